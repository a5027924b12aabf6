/**
 * The dispatch probe: what the Temporal dev server and a TypeScript worker cost on this machine
 * before any FieldBridge code runs, by server setting. For each mode it starts its own dev server
 * (the provisioned CLI), a worker in this process, and runs bare workflows one at a time (three
 * no-op activities; three no-op local activities; an empty workflow), printing the wall time per
 * workflow (client start -> result) and, from the histories, scheduled -> started per workflow task
 * and per activity task.
 *
 *   npx tsx bench/probe/dispatch.ts                       # every mode, 20 runs each
 *   npx tsx bench/probe/dispatch.ts --runs 50 --modes memory,memory-eager
 *
 * Modes: memory (SQLite in memory: the SDK's default), file (SQLite
 * in a file, as `npm start` runs it), *-eager (system.enableActivityEagerExecution=true),
 * memory-poll-rps (history.{transfer,timer}ProcessorMaxPollRPS=1000 instead of 20), *-fieldbridge
 * (every setting of scripts/dev-server-settings.ts), memory-1-partition
 * (matching.numTaskqueue{Read,Write}Partitions=1), and external (a running server at
 * $PROBE_TEMPORAL_ADDRESS). Figures only; `PROBE_JSON` line last.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Runtime, Worker } from '@temporalio/worker';
import { devServerDynamicConfigArgs } from '../../scripts/dev-server-settings';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { taskTimings } from '../history';
import { distribution, fmt, table, type Distribution } from '../runner';

const MODES: Record<string, { file: boolean; args: string[] }> = {
  memory: { file: false, args: [] },
  file: { file: true, args: [] },
  'memory-eager': { file: false, args: ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'] },
  'file-eager': { file: true, args: ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'] },
  'memory-poll-rps': {
    file: false,
    args: ['--dynamic-config-value', 'history.transferProcessorMaxPollRPS=1000', '--dynamic-config-value', 'history.timerProcessorMaxPollRPS=1000'],
  },
  /** Everything FieldBridge's dev server sets (scripts/dev-server-settings.ts). */
  'memory-fieldbridge': { file: false, args: devServerDynamicConfigArgs() },
  'file-fieldbridge': { file: true, args: devServerDynamicConfigArgs() },
  'memory-1-partition': {
    file: false,
    args: ['--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1', '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1'],
  },
};
/** `external`: a dev server already running at $PROBE_TEMPORAL_ADDRESS (e.g. the one `npm start` runs). */
const EXTERNAL = 'external';
const WORKFLOWS = ['probeActivities', 'probeLocalActivities', 'probeEmpty'] as const;

interface ModeResult {
  mode: string;
  workflows: Record<string, { wallMs: Distribution | null; wftQueueMs: number; wftRunMs: number; wfts: number; activityQueueMs: number; activityRunMs: number }>;
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, modes: { type: 'string' } } });
  const runs = Number(values.runs ?? 20);
  const modes = (values.modes ?? Object.keys(MODES).join(',')).split(',').filter((m) => MODES[m] || m === EXTERNAL);
  Runtime.install({ telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } }, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  const cli = await ensureTemporalCli({ log: () => undefined });
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quiet });
  const results: ModeResult[] = [];
  for (const mode of modes) {
    const m = MODES[mode];
    const env =
      mode === EXTERNAL
        ? await TestWorkflowEnvironment.createFromExistingServer({ address: process.env.PROBE_TEMPORAL_ADDRESS ?? '127.0.0.1:7233' })
        : await TestWorkflowEnvironment.createLocal({
            server: {
              executable: { type: 'existing-path', path: cli.path },
              extraArgs: m.args,
              ...(m.file ? { dbFilename: join(mkdtempSync(join(tmpdir(), 'fieldbridge-probe-')), 'temporal.db') } : {}),
            },
          });
    const taskQueue = `probe-${mode}-${Date.now()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: { noop: async (i: number) => i },
    });
    const result: ModeResult = { mode, workflows: {} };
    await worker.runUntil(async () => {
      for (const wf of WORKFLOWS) {
        const walls: number[] = [];
        const timings: ReturnType<typeof taskTimings>[] = [];
        for (let i = 0; i < runs + 3; i++) {
          const t0 = performance.now();
          const handle = await env.client.workflow.start(wf, { taskQueue, workflowId: `${taskQueue}-${wf}-${i}` });
          await handle.result();
          if (i < 3) continue; // warm-up
          walls.push(performance.now() - t0);
          timings.push(taskTimings(await handle.fetchHistory()));
        }
        const sum = (f: (t: (typeof timings)[number]) => number) => timings.reduce((a, t) => a + f(t), 0);
        const per = (ms: number, n: number) => Math.round((n ? ms / n : 0) * 10) / 10;
        result.workflows[wf] = {
          wallMs: distribution(walls),
          wfts: per(sum((t) => t.workflowTasks), timings.length),
          wftQueueMs: per(sum((t) => t.workflowTaskQueueMs), sum((t) => t.workflowTasks)),
          wftRunMs: per(sum((t) => t.workflowTaskRunMs), sum((t) => t.workflowTasks)),
          activityQueueMs: per(sum((t) => t.activityQueueMs), sum((t) => t.activityTasks)),
          activityRunMs: per(sum((t) => t.activityRunMs), sum((t) => t.activityTasks)),
        };
      }
    });
    await env.teardown();
    results.push(result);
    process.stderr.write(`probe: ${mode} done\n`);
  }
  const rows: string[][] = [];
  for (const r of results) {
    for (const wf of WORKFLOWS) {
      const w = r.workflows[wf];
      rows.push([`${r.mode} ${wf}`, fmt(w.wallMs?.p50), fmt(w.wallMs?.p95), fmt(w.wfts), fmt(w.wftQueueMs), fmt(w.wftRunMs), fmt(w.activityQueueMs), fmt(w.activityRunMs)]);
    }
  }
  process.stdout.write(`\nDispatch probe (${runs} runs per workflow, one at a time; ${cli.version})\n`);
  process.stdout.write(`${table(rows, ['mode, workflow', 'wall p50', 'wall p95', 'WFTs', 'WFT sched->start', 'WFT start->done', 'act sched->start', 'act start->done'])}\n`);
  process.stdout.write(`PROBE_JSON ${JSON.stringify(results)}\n`);
}

main().catch((err) => {
  process.stderr.write(`probe failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
