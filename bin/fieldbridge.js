#!/usr/bin/env node
/**
 * `fieldbridge`: the operator CLI (client/cli.ts) and the three processes of a deployment:
 *
 *   fieldbridge worker         the Temporal worker (worker/main.ts)
 *   fieldbridge receiver       the webhook receiver (client/receiver-main.ts)
 *   fieldbridge codec-server   the codec server for the Temporal UI (client/codec-server.ts)
 *
 * Runs the compiled code in dist/ with plain node: the installed package ships it, and a checkout has
 * it after `npm run build`. In a source checkout whose dist/ is missing or older than the sources, it
 * runs the TypeScript sources through tsx instead (the worker then bundles its workflows at start).
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

/** command -> module, relative to dist/ (compiled) or the checkout (sources). */
const PROCESSES = { worker: 'worker/main', receiver: 'client/receiver-main', 'codec-server': 'client/codec-server' };
/** The folders `npm run build` compiles; a newer .ts file in one of them makes dist/ stale. */
const SOURCE_DIRS = ['activities', 'client', 'common', 'connectors', 'mappings', 'workflows', 'worker'];
/** Written last but one by the build (scripts/build.ts): when dist/ was built. */
const BUILD_MARK = path.join(dist, 'workflow-bundle.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** 'dist', 'source' (a checkout without an up-to-date build), or undefined (nothing to run). */
function codeToRun() {
  const built = fs.existsSync(BUILD_MARK) ? fs.statSync(BUILD_MARK).mtimeMs : undefined;
  const checkout = fs.existsSync(path.join(root, 'worker', 'main.ts'));
  if (!checkout) return built === undefined ? undefined : 'dist';
  if (built !== undefined && SOURCE_DIRS.every((d) => !fs.existsSync(path.join(root, d)) || newestSource(path.join(root, d)) <= built)) return 'dist';
  return 'source';
}

const command = process.argv[2];
const code = codeToRun();
if (code === undefined) {
  process.stderr.write(`fieldbridge: ${path.relative(process.cwd(), dist) || 'dist'} is missing: run \`npm run build\` in the package first (a package made with \`npm pack\` ships it built)\n`);
  process.exit(1);
}
const load = (module) => {
  if (code === 'dist') return require(path.join(dist, `${module}.js`));
  require('tsx/cjs');
  return require(path.join(root, `${module}.ts`));
};

if (Object.hasOwn(PROCESSES, command)) {
  const loaded = load(PROCESSES[command]);
  // worker/main and receiver-main start on load; the codec server module also serves the tests.
  if (command === 'codec-server') loaded.main();
} else {
  process.env.FIELDBRIDGE_CLI_MAIN = '1';
  load('client/cli');
}
