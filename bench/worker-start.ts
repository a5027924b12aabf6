/**
 * `npm run bench:worker-start [-- --runs N]`: how long a worker process takes from being spawned to
 * polling its task queue, for
 *
 *   source  node --require tsx/cjs worker/main.ts   (TypeScript through tsx, workflows bundled by webpack at start)
 *   built   node dist/worker/main.js                (npm run build: compiled code, the prebuilt workflow bundle)
 *
 * against a dev server started here. "Polling" is the worker's log line "Worker state changed" with
 * state RUNNING (logged as its pollers start); the bench then checks with DescribeTaskQueue that the
 * server sees a poller on the queue, stops the worker with SIGTERM and times its exit. Prints min, median and max of
 * N runs (default 5) of each. Needs a current `npm run build`. The adapters point at unused loopback
 * ports: a worker calls no external system until it runs an activity.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { devServerDynamicConfigArgs } from '../scripts/dev-server-settings';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { WORKFLOW_BUNDLE_FILES } from '../worker/worker';

const root = join(__dirname, '..');

const MODES = {
  source: ['--require', 'tsx/cjs', 'worker/main.ts'],
  built: ['dist/worker/main.js'],
} as const;
type Mode = keyof typeof MODES;

function workerEnv(address: string, taskQueue: string): NodeJS.ProcessEnv {
  const unused = 'http://127.0.0.1:9';
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    WORKER_METRICS_PORT: '0',
    APP4SALES_BASE_URL: unused,
    APP4SALES_API_KEY: 'bench',
    SPECTER_BASE_URL: unused,
    SPECTER_SBM_ID: '1',
    SPECTER_WRITE_USER_ID: 'bench',
    SPECTER_WRITE_USER_KEY: 'bench',
    SPECTER_READ_USER_ID: 'bench',
    SPECTER_READ_USER_KEY: 'bench',
    SERVICETRADE_BASE_URL: unused,
    SERVICETRADE_CLIENT_ID: 'bench',
    SERVICETRADE_CLIENT_SECRET: 'bench',
    SPECTRUM_WEB_SERVICES_URL: unused,
    SPECTRUM_AUTHORIZATION_ID: 'bench',
    SERVICECHANNEL_API_BASE_URL: unused,
    SERVICECHANNEL_TOKEN_URL: unused,
    SERVICECHANNEL_CLIENT_ID: 'bench',
    SERVICECHANNEL_CLIENT_SECRET: 'bench',
    SERVICECHANNEL_USERNAME: 'bench',
    SERVICECHANNEL_PASSWORD: 'bench',
    SERVICEPOWER_BASE_URL: unused,
    SERVICEPOWER_USERNAME: 'bench',
    SERVICEPOWER_PASSWORD: 'bench',
  };
}

/**
 * Spawn one worker: the ms from spawn to "Worker state changed: RUNNING", and from SIGTERM to the
 * process's exit (idle: no activity running).
 */
async function startToPoll(env: TestWorkflowEnvironment, mode: Mode, run: number): Promise<{ startMs: number; stopMs: number }> {
  const taskQueue = `bench-worker-start-${mode}-${run}-${Date.now()}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [...MODES[mode]], { cwd: root, env: workerEnv(env.address, taskQueue), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ms = await new Promise<number>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; state?: string };
        if (entry.msg === 'Worker state changed' && entry.state === 'RUNNING') resolve(performance.now() - t0);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`${mode} worker exited (${code}) before polling:\n${output}`)));
  });
  // The server sees the poller (a poll reaches it within moments of RUNNING).
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { pollers } = await env.connection.workflowService.describeTaskQueue({
      namespace: env.namespace ?? 'default',
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if ((pollers ?? []).length > 0) break;
    if (Date.now() > deadline) throw new Error(`${mode} worker logged RUNNING, but the server saw no poller on ${taskQueue} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const signalled = performance.now();
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`${mode} worker exited ${code} after SIGTERM:\n${output}`);
  return { startMs: ms, stopMs: performance.now() - signalled };
}

function summary(values: number[]): { min: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (!existsSync(join(root, 'dist', WORKFLOW_BUNDLE_FILES.clear))) throw new Error('no build in dist/: run `npm run build` first');
  const cli = await ensureTemporalCli({ allowBuild: false });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli.path }, searchAttributes: [...ALL_SEARCH_ATTRIBUTES], extraArgs: devServerDynamicConfigArgs() },
  });
  try {
    const results: Record<Mode, number[]> = { source: [], built: [] };
    const stops: number[] = [];
    // Alternate the modes, so that a busy moment on the machine does not fall on one mode only.
    for (let run = 1; run <= runs; run++) {
      for (const mode of Object.keys(MODES) as Mode[]) {
        const { startMs, stopMs } = await startToPoll(env, mode, run);
        results[mode].push(startMs);
        stops.push(stopMs);
        process.stderr.write(`run ${run}/${runs} ${mode}: polling after ${(startMs / 1000).toFixed(2)} s, exited ${(stopMs / 1000).toFixed(2)} s after SIGTERM\n`);
      }
    }
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(`\nworker start to first poll, ${runs} runs each (${cpus().length} CPUs, node ${process.version})\n`);
    process.stdout.write(`${'mode'.padEnd(8)}${'min'.padStart(9)}${'median'.padStart(9)}${'max'.padStart(9)}\n`);
    for (const mode of Object.keys(MODES) as Mode[]) {
      const { min, median, max } = summary(results[mode]);
      process.stdout.write(`${mode.padEnd(8)}${s(min).padStart(9)}${s(median).padStart(9)}${s(max).padStart(9)}\n`);
    }
    const stop = summary(stops);
    process.stdout.write(`SIGTERM to exit, idle worker (both modes): min ${s(stop.min)}, median ${s(stop.median)}, max ${s(stop.max)}\n`);
  } finally {
    await env.teardown();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:worker-start failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
