/**
 * The package as a user installs it: `npm run build`, `npm pack`, `npm install <tarball>` into an
 * empty folder, then `node_modules/.bin/fieldbridge worker` there (plain node, the prebuilt workflow
 * bundle, configured by the production environment variables) against the dev server, with the
 * simulators in this process. One App4Sales customer is synced to Specter and its code written back.
 *
 * npm installs from its cache (~/.npm) when it holds the packages (--prefer-offline), else from the
 * registry; the times of the build, the pack and the install are printed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, workerProcessEnv } from '../helpers/stack';
import { useCustomerSyncStack } from '../helpers/customer-sync';

// Build (tsc and two webpack bundles) and install (the SDK's native bridge included) take minutes on 2 cores.
jest.setTimeout(15 * 60_000);

const root = join(__dirname, '..', '..');
const t = useCustomerSyncStack('PACK');
const temp = mkdtempSync(join(tmpdir(), 'fieldbridge-pack-'));
let worker: ChildProcess | undefined;
let output = '';

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  rmSync(temp, { recursive: true, force: true });
});

/**
 * The environment without npm's own variables: when the tests run under `npm test`, npm_config_*
 * (local_prefix among them) would make the install below act on this checkout.
 */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || /^npm_config_(cache|registry|userconfig)$/i.test(k)));
}

async function npm(args: string[], cwd: string): Promise<{ stdout: string; seconds: number }> {
  const t0 = Date.now();
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile('npm', args, { cwd, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 }, (err, out, errOut) =>
      err ? reject(new Error(`npm ${args.join(' ')} failed: ${err.message}\n${out}\n${errOut}`)) : resolve(out),
    ),
  );
  return { stdout, seconds: (Date.now() - t0) / 1000 };
}

function logLines(): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('npm pack, npm install into an empty folder, `fieldbridge worker` there syncs a customer to Specter', async () => {
  const { stack } = t;
  const build = await npm(['run', 'build'], root);
  const packDir = join(temp, 'pack');
  mkdirSync(packDir, { recursive: true });
  const pack = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], root);
  const [{ filename, files }] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const paths = files.map((f) => f.path);
  // The compiled code and its bundles, the launcher; no TypeScript sources, tests or simulators.
  expect(paths).toEqual(expect.arrayContaining(['bin/fieldbridge.js', 'dist/worker/main.js', 'dist/workflow-bundle.js', 'dist/client/cli.js', 'package.json']));
  expect(paths.filter((p) => p.endsWith('.ts') || p.startsWith('test/') || /simulator/.test(p))).toEqual([]);

  const app = join(temp, 'app');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fieldbridge-install-check', private: true }));
  const install = await npm(['install', join(packDir, filename), '--no-audit', '--no-fund', '--prefer-offline'], app);
  process.stderr.write(`pack test: npm run build ${build.seconds.toFixed(1)} s, npm pack ${pack.seconds.toFixed(1)} s, npm install ${install.seconds.toFixed(1)} s\n`);
  const installed = join(app, 'node_modules', 'fieldbridge');
  expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).name).toBe('fieldbridge');
  expect(existsSync(join(installed, 'worker'))).toBe(false);

  const spawnedAt = Date.now();
  worker = spawn(join(app, 'node_modules', '.bin', 'fieldbridge'), ['worker'], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: workerProcessEnv(stack, { LOG_LEVEL: 'info' }),
  });
  const proc = worker;
  proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  await eventually(() => logLines().some((l) => l.msg === 'Worker state changed' && l.state === 'RUNNING') || proc.exitCode !== null, 60_000, `the installed worker to poll:\n${output}`);
  expect(proc.exitCode).toBeNull();
  process.stderr.write(`pack test: installed worker polling ${((Date.now() - spawnedAt) / 1000).toFixed(1)} s after it was spawned\n`);
  // Workflows from the bundle the package ships, not bundled at start.
  expect(logLines().find((l) => l.msg === 'worker started')).toMatchObject({ workflowBundle: join(installed, 'dist', 'workflow-bundle.js') });

  const id = t.seedCustomer();
  const handle = await t.sync(id);
  const result = await handle.result();
  const specterCustomer = stack.specter.state.customers.get(result.specterCustomerId);
  expect(specterCustomer).toBeDefined();
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(result.specterCustomerId);

  proc.kill('SIGTERM');
  expect(await exited).toEqual({ code: 0, signal: null });
});
