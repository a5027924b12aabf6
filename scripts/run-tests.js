#!/usr/bin/env node
/**
 * `npm test`: runs jest in band (the Temporal tests share dev servers and ports), passing extra
 * arguments through (`npm test -- test/tooling -t name`), and ends with one summary line:
 *
 *   Tests: N passed, M failed[, K skipped]
 *
 * computed from jest's --json report ("failed" also counts suites that crashed before running
 * any test). Exit code: jest's; non-zero as well when no test ran.
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbridge-jest-'));
const outFile = path.join(outDir, 'results.json');

const jestBin = require.resolve('jest/bin/jest', { paths: [root] });
const args = [jestBin, '--runInBand', ...process.argv.slice(2), '--json', `--outputFile=${outFile}`];

const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });

const forward = (signal) => () => child.kill(signal);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward(signal));

child.on('error', (err) => {
  process.stderr.write(`run-tests: could not start jest: ${err.message}\n`);
  finish(1);
});
child.on('close', (code, signal) => finish(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));

let finished = false;
function finish(jestCode) {
  if (finished) return;
  finished = true;
  let exitCode = jestCode;
  let line;
  try {
    const r = JSON.parse(fs.readFileSync(outFile, 'utf8'));
    const passed = r.numPassedTests ?? 0;
    const failed = (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    line = `Tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
    if (exitCode === 0 && (failed > 0 || passed + failed === 0)) exitCode = 1;
  } catch {
    // No report: jest crashed (bad config, globalSetup threw, killed, ...).
    line = 'Tests: 0 passed, 1 failed';
    if (exitCode === 0) exitCode = 1;
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  process.stdout.write(`${line}\n`, () => process.exit(exitCode));
}
