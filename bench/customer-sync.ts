/**
 * Customer-sync benchmark (`npm run bench`): how fast FieldBridge syncs App4Sales customers into
 * Specter on this machine, what each sync costs in Temporal actions, and how much of the time is
 * the engine's own (a "null" sync of the same shape with no-op activities).
 *
 *   npm run bench                               # N=200, concurrency 50, 10 warm-up syncs per phase
 *   npm run bench -- --n 500 --concurrency 100
 *   npm run bench -- --phases null,real          # order, or just one phase
 *   BENCH_N=50 BENCH_CONCURRENCY=10 npm run bench
 *   npm run bench 2>/dev/null | grep '^BENCH_JSON ' | cut -c12- | jq .
 *
 * Self-contained: the provisioned Temporal CLI's dev server (in-memory), both simulators in-process on
 * random ports, and one production-built worker per phase (same factory, interceptors and tuning as
 * worker/main.ts, same workflow bundle), all running in this process except the dev server.
 *
 *   real  task queue A, real activities over HTTP against the simulators.
 *   null  task queue B, the same workflow code with no-op activities of the same names and shapes.
 *
 * A sync is triggered as the webhook receiver does (startCustomerUpsert: signal-with-start) and
 * awaited to completion; at most `concurrency` syncs are in flight. Latencies are measured from the
 * trigger to the moment the Specter simulator stores the customer (real phase) and to workflow
 * completion (result() returns). Figures only: nothing here passes or fails.
 *
 * Output: a table on stdout, then one line `BENCH_JSON {...}` with every figure; log lines (pino)
 * go to stderr.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type Activities, type LoadApp4SalesCustomerInput, type LoadedCustomer } from '../activities';
import { startCustomerUpsert } from '../client/starters';
import { createLogger, type Logger } from '../common/logger';
import { ALL_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { startApp4SalesSimulator, type App4SalesSimulator } from '../connectors/app4sales/simulator';
import { startSpecterSimulator, type SpecterSimulator } from '../connectors/specter/simulator';
import { simulatorAdapterConfig } from '../scripts/simulator-adapter-config';
import { createActivityDeps } from '../worker/deps';
import { bundleWorkflows, createFieldBridgeWorker, installRuntimeLogger } from '../worker/worker';
import { ACTION_KINDS, countActions, emptyActionCounts, taskTimings, totalActions, type ActionCounts, type TaskTimings } from './history';
import { BENCH_PRICE_LIST, BENCH_SALES_REP, benchCustomer, benchCustomerId } from './customers';

const APP4SALES_API_KEY = 'bench-app4sales-key';
const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789';
const SPECTER = { sbmId: 7, writeUser: { id: 'bench-writer', key: 'bench-write-key' }, readUser: { id: 'bench-reader', key: 'bench-read-key' } };
const SAMPLE_EVERY_MS = 50;
const HISTORY_FETCH_CONCURRENCY = 20;
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// options

type PhaseName = 'real' | 'null';
const PHASE_NAMES: readonly PhaseName[] = ['real', 'null'];
const PHASE_TITLES: Record<PhaseName, string> = { real: 'real (simulators)', null: 'null (no-op activities)' };

interface BenchOptions {
  /** Phases to run, in this order. */
  phases: PhaseName[];
  n: number;
  concurrency: number;
  warmup: number;
  syncTimeoutMs: number;
}

const USAGE = `usage: npm run bench -- [--n N] [--concurrency C] [--warmup W] [--timeout-ms MS] [--phases real,null]
  --n            syncs measured per phase           [BENCH_N, default 200]
  --concurrency  syncs in flight at once            [BENCH_CONCURRENCY, default 50]
  --warmup       unmeasured syncs before each phase [BENCH_WARMUP, default 10]
  --timeout-ms   give up on one sync after MS       [BENCH_SYNC_TIMEOUT_MS, default 60000]
  --phases       phases to run, in this order       [BENCH_PHASES, default real,null]`;

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string' },
      concurrency: { type: 'string' },
      warmup: { type: 'string' },
      'timeout-ms': { type: 'string' },
      phases: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min} (got ${JSON.stringify(raw)})\n${USAGE}`);
    return value;
  };
  const phases = (values.phases ?? env.BENCH_PHASES ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = phases.filter((p) => !PHASE_NAMES.includes(p as PhaseName));
  if (unknown.length > 0 || new Set(phases).size !== phases.length) {
    throw new Error(`phases must be distinct names out of ${PHASE_NAMES.join(', ')} (got ${JSON.stringify(phases.join(','))})\n${USAGE}`);
  }
  return {
    phases: phases.length > 0 ? (phases as PhaseName[]) : [...PHASE_NAMES],
    n: int('n', values.n ?? env.BENCH_N, 200, 1),
    concurrency: int('concurrency', values.concurrency ?? env.BENCH_CONCURRENCY, 50, 1),
    warmup: int('warmup', values.warmup ?? env.BENCH_WARMUP, 10, 0),
    syncTimeoutMs: int('timeout-ms', values['timeout-ms'] ?? env.BENCH_SYNC_TIMEOUT_MS, 60_000, 1),
  };
}

// ---------------------------------------------------------------------------------------------
// statistics

interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles; null for no values. */
function distribution(values: number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    count: sorted.length,
    mean: round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
    p50: round(rank(50)),
    p95: round(rank(95)),
    p99: round(rank(99)),
    max: round(sorted[sorted.length - 1]),
  };
}

const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length);
const round2 = (v: number) => Math.round(v * 100) / 100;
const toMiB = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

// ---------------------------------------------------------------------------------------------
// resource sampling

/** PIDs of this process's children (Linux /proc); the dev server is one of them. */
function childPids(): number[] {
  const pids = new Set<number>();
  try {
    for (const task of fs.readdirSync('/proc/self/task')) {
      const children = fs.readFileSync(path.join('/proc/self/task', task, 'children'), 'utf8').trim();
      for (const pid of children.split(/\s+/).filter(Boolean)) pids.add(Number(pid));
    }
  } catch {
    /* not Linux, or no children file */
  }
  return [...pids];
}

/** The dev server's PID: our child process whose command line runs `server start-dev`. */
function findDevServerPid(): number | undefined {
  for (const pid of childPids()) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmdline.includes('start-dev')) return pid;
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** RSS (bytes) and CPU time (ms, user + system) of another process, from /proc. */
function processStats(pid: number): { rss: number; cpuMs: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime 15, rss (pages) 24.
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssPages = Number(fields[21]);
    return { rss: rssPages * 4096, cpuMs: ticks * 10 }; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

interface ResourceFigures {
  /** Bench process (worker, client, simulators): RSS and V8 heapUsed, MiB. */
  rssMiB: { start: number; peak: number; end: number };
  heapUsedMiB: { start: number; peak: number; end: number };
  /** Bench process CPU time (user + system) during the measured syncs. */
  cpuMs: number;
  /** Dev server process, when found (Linux). */
  devServer: { rssPeakMiB: number; rssEndMiB: number; cpuMs: number } | null;
}

class ResourceSampler {
  private readonly startMem = process.memoryUsage();
  private readonly startCpu = process.cpuUsage();
  private readonly startServer: { rss: number; cpuMs: number } | undefined;
  private peakRss = this.startMem.rss;
  private peakHeap = this.startMem.heapUsed;
  private peakServerRss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly devServerPid: number | undefined) {
    this.startServer = devServerPid === undefined ? undefined : processStats(devServerPid);
    this.peakServerRss = this.startServer?.rss ?? 0;
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  private sample(): { rss: number; heapUsed: number; server?: { rss: number; cpuMs: number } } {
    const { rss, heapUsed } = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, rss);
    this.peakHeap = Math.max(this.peakHeap, heapUsed);
    const server = this.devServerPid === undefined ? undefined : processStats(this.devServerPid);
    if (server) this.peakServerRss = Math.max(this.peakServerRss, server.rss);
    return { rss, heapUsed, server };
  }

  stop(): ResourceFigures {
    clearInterval(this.timer);
    const end = this.sample();
    const cpu = process.cpuUsage(this.startCpu);
    return {
      rssMiB: { start: toMiB(this.startMem.rss), peak: toMiB(this.peakRss), end: toMiB(end.rss) },
      heapUsedMiB: { start: toMiB(this.startMem.heapUsed), peak: toMiB(this.peakHeap), end: toMiB(end.heapUsed) },
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      devServer:
        this.startServer && end.server
          ? { rssPeakMiB: toMiB(this.peakServerRss), rssEndMiB: toMiB(end.server.rss), cpuMs: end.server.cpuMs - this.startServer.cpuMs }
          : null,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// syncs

interface SyncSample {
  customerId: string;
  workflowId?: string;
  runId?: string;
  triggeredAt: number;
  /** signal-with-start round trip */
  startRpcMs?: number;
  completedAt?: number;
  error?: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runSyncs(client: Client, taskQueue: string, customerIds: string[], concurrency: number, timeoutMs: number): Promise<SyncSample[]> {
  const samples: SyncSample[] = new Array(customerIds.length);
  let next = 0;
  const slot = async () => {
    for (;;) {
      const i = next++;
      if (i >= customerIds.length) return;
      const customerId = customerIds[i];
      const sample: SyncSample = { customerId, triggeredAt: performance.now() };
      samples[i] = sample;
      try {
        const started = await startCustomerUpsert(client, taskQueue, customerId, { eventId: `bench-${customerId}` });
        sample.startRpcMs = performance.now() - sample.triggeredAt;
        sample.workflowId = started.workflowId;
        sample.runId = started.runId;
        const result = client.workflow.getHandle(started.workflowId, started.runId).result();
        result.catch(() => undefined); // a timed-out sync's long poll may reject later
        await withTimeout(result, timeoutMs, started.workflowId);
        sample.completedAt = performance.now();
      } catch (err) {
        sample.error = err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, customerIds.length) }, slot));
  return samples;
}

interface HistoryFigures {
  fetched: number;
  eventsPerSync: Distribution | null;
  actionsPerSync: { mean: number; min: number; max: number; byKind: Record<string, number> };
  /** From the server's event times, means per sync: run (start -> close) and its tasks. */
  timingMs: {
    run: number;
    workflowTasksPerSync: number;
    workflowTaskQueuePerTask: number;
    workflowTaskRunPerTask: number;
    activityTasksPerSync: number;
    activityQueuePerTask: number;
    activityRunPerTask: number;
  };
}

async function historyFigures(client: Client, samples: SyncSample[], log: Logger): Promise<HistoryFigures> {
  const done = samples.filter((s) => s.workflowId && s.completedAt !== undefined);
  const events: number[] = [];
  const totals: number[] = [];
  const sums = emptyActionCounts();
  const timings: TaskTimings[] = [];
  let next = 0;
  const slot = async () => {
    for (;;) {
      const sample = done[next++];
      if (!sample) return;
      try {
        const history = await client.workflow.getHandle(sample.workflowId!, sample.runId).fetchHistory();
        const counts: ActionCounts = countActions(history);
        events.push(history.events?.length ?? 0);
        totals.push(totalActions(counts));
        for (const kind of ACTION_KINDS) sums[kind] += counts[kind];
        timings.push(taskTimings(history));
      } catch (err) {
        log.warn({ err, workflowId: sample.workflowId }, 'could not fetch the history');
      }
    }
  };
  await Promise.all(Array.from({ length: HISTORY_FETCH_CONCURRENCY }, slot));
  const sum = (pick: (t: TaskTimings) => number) => timings.reduce((acc, t) => acc + pick(t), 0);
  const perTask = (ms: number, tasks: number) => round2(tasks > 0 ? ms / tasks : 0);
  const perSync = (v: number) => round2(timings.length > 0 ? v / timings.length : 0);
  const byKind = Object.fromEntries(ACTION_KINDS.map((kind) => [kind, round2(totals.length ? sums[kind] / totals.length : 0)]));
  return {
    fetched: totals.length,
    eventsPerSync: distribution(events),
    actionsPerSync: { mean: round2(mean(totals)), min: totals.length ? Math.min(...totals) : 0, max: totals.length ? Math.max(...totals) : 0, byKind },
    timingMs: {
      run: perSync(sum((t) => t.runMs)),
      workflowTasksPerSync: perSync(sum((t) => t.workflowTasks)),
      workflowTaskQueuePerTask: perTask(sum((t) => t.workflowTaskQueueMs), sum((t) => t.workflowTasks)),
      workflowTaskRunPerTask: perTask(sum((t) => t.workflowTaskRunMs), sum((t) => t.workflowTasks)),
      activityTasksPerSync: perSync(sum((t) => t.activityTasks)),
      activityQueuePerTask: perTask(sum((t) => t.activityQueueMs), sum((t) => t.activityTasks)),
      activityRunPerTask: perTask(sum((t) => t.activityRunMs), sum((t) => t.activityTasks)),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// phases

interface Stack {
  env: TestWorkflowEnvironment;
  app4sales: App4SalesSimulator;
  specter: SpecterSimulator;
  bundle: WorkflowBundleWithSourceMap;
  devServerPid: number | undefined;
  /** performance.now() at which the Specter simulator first stored a customer of that name. */
  specterStoredAt: Map<string, number>;
}

interface PhaseFigures {
  taskQueue: string;
  syncs: number;
  completed: number;
  failed: number;
  errors: string[];
  wallMs: number;
  syncsPerSecond: number;
  latencyMs: {
    startRpc: Distribution | null;
    toSpecter: Distribution | null;
    toCompletion: Distribution | null;
  };
  /** Real phase: what the simulators hold afterwards. */
  verified: { specterRecords: number; customerCodesWrittenBack: number } | null;
  history: HistoryFigures;
  resources: ResourceFigures;
}

interface PhaseSpec {
  name: PhaseName;
  taskQueue: string;
  batch: string;
  /** The customer sync's activities (the null phase has no others). */
  activities: Partial<Activities>;
  /** Customer name of an id, to look the Specter record up (real phase). */
  nameOf?: (customerId: string) => string;
}

async function runPhase(stack: Stack, spec: PhaseSpec, opts: BenchOptions, log: Logger): Promise<PhaseFigures> {
  const client = stack.env.client;
  const warmupIds = Array.from({ length: opts.warmup }, (_, i) => benchCustomerId(`${spec.batch}W`, i + 1));
  const ids = Array.from({ length: opts.n }, (_, i) => benchCustomerId(spec.batch, i + 1));

  const worker = await createFieldBridgeWorker({
    connection: stack.env.nativeConnection,
    namespace: stack.env.namespace ?? 'default',
    taskQueue: spec.taskQueue,
    activities: spec.activities,
    workflowBundle: stack.bundle,
    shutdownGraceTime: '1s',
  });

  let samples: SyncSample[] = [];
  let resources: ResourceFigures | undefined;
  await worker.runUntil(async () => {
    if (warmupIds.length > 0) {
      log.info({ phase: spec.name, warmup: warmupIds.length }, 'warm-up syncs');
      const warm = await runSyncs(client, spec.taskQueue, warmupIds, opts.concurrency, opts.syncTimeoutMs);
      const failed = warm.filter((s) => s.error);
      if (failed.length > 0) log.warn({ phase: spec.name, failed: failed.length, first: failed[0].error }, 'warm-up syncs failed');
    }
    log.info({ phase: spec.name, n: ids.length, concurrency: opts.concurrency, taskQueue: spec.taskQueue }, 'measured syncs');
    const sampler = new ResourceSampler(stack.devServerPid);
    samples = await runSyncs(client, spec.taskQueue, ids, opts.concurrency, opts.syncTimeoutMs);
    resources = sampler.stop();
  });

  const ok = samples.filter((s) => s.completedAt !== undefined);
  const failed = samples.filter((s) => s.error !== undefined);
  const firstTrigger = Math.min(...samples.map((s) => s.triggeredAt));
  const lastCompletion = ok.length ? Math.max(...ok.map((s) => s.completedAt!)) : firstTrigger;
  const wallMs = lastCompletion - firstTrigger;

  const toSpecter: number[] = [];
  let verified: PhaseFigures['verified'] = null;
  if (spec.nameOf) {
    for (const s of ok) {
      const storedAt = stack.specterStoredAt.get(spec.nameOf(s.customerId));
      if (storedAt !== undefined) toSpecter.push(storedAt - s.triggeredAt);
    }
    const names = new Set(ids.map(spec.nameOf));
    const specterRecords = [...stack.specter.state.customers.values()].filter((c) => names.has(c.Name)).length;
    const customerCodesWrittenBack = ids.filter((id) => stack.app4sales.state.customers.get(id)?.CustomerCode).length;
    verified = { specterRecords, customerCodesWrittenBack };
  }

  log.info({ phase: spec.name, completed: ok.length }, 'fetching histories');
  const history = await historyFigures(client, samples, log);

  return {
    taskQueue: spec.taskQueue,
    syncs: samples.length,
    completed: ok.length,
    failed: failed.length,
    errors: [...new Set(failed.map((s) => s.error!))].slice(0, 5),
    wallMs: Math.round(wallMs),
    syncsPerSecond: wallMs > 0 ? round2((ok.length / wallMs) * 1000) : 0,
    latencyMs: {
      startRpc: distribution(samples.filter((s) => s.startRpcMs !== undefined).map((s) => s.startRpcMs!)),
      toSpecter: spec.nameOf ? distribution(toSpecter) : null,
      toCompletion: distribution(ok.map((s) => s.completedAt! - s.triggeredAt)),
    },
    verified,
    history,
    resources: resources!,
  };
}

/** No-op activities of the same names and shapes: the engine's share of a sync. */
function nullActivities(): Pick<Activities, 'loadApp4SalesCustomer' | 'upsertSpecterCustomer' | 'findLostSpecterCustomer' | 'recordCustomerCode'> {
  const template = benchCustomer('NULL', 0);
  return {
    async loadApp4SalesCustomer(input: LoadApp4SalesCustomerInput | string): Promise<LoadedCustomer> {
      const customerId = typeof input === 'string' ? input : input.customerId;
      return {
        customer: { ...template, Id: customerId },
        salesRepResIdString: BENCH_SALES_REP.ResIdString,
        priceListCurrency: BENCH_PRICE_LIST.Currency ?? null,
        defaultCustomerGroupId: null,
        sourceFingerprint: customerId,
        earlierSync: null,
      };
    },
    async upsertSpecterCustomer() {
      return { code: '90001', created: true, message: 'Customer created' };
    },
    async findLostSpecterCustomer() {
      return null;
    },
    async recordCustomerCode() {},
  };
}

/** Record when the Specter simulator first stores each customer name (its state is a Map in this process). */
function watchSpecterStores(specter: SpecterSimulator): Map<string, number> {
  const storedAt = new Map<string, number>();
  const customers = specter.state.customers;
  const set = customers.set.bind(customers);
  customers.set = (id, customer) => {
    if (!storedAt.has(customer.Name)) storedAt.set(customer.Name, performance.now());
    return set(id, customer);
  };
  return storedAt;
}

// ---------------------------------------------------------------------------------------------
// report

function fmt(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? '-' : value.toFixed(digits);
}

function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) => `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}`;
  return [line(header), `  ${'-'.repeat(widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1))}`, ...rows.map(line)].join('\n');
}

function report(result: BenchResult): string {
  const phases = result.settings.phases.map((name) => ({ name, p: result.phases[name]! }));
  const rows: string[][] = [];
  const add = (label: string, f: (p: PhaseFigures) => string) => rows.push([label, ...phases.map(({ p }) => f(p))]);
  const dist = (label: string, pick: (p: PhaseFigures) => Distribution | null) => {
    for (const k of ['p50', 'p95', 'p99', 'max'] as const) add(`${label} ${k} (ms)`, (p) => fmt(pick(p)?.[k]));
  };
  add('syncs completed / triggered', (p) => `${p.completed}/${p.syncs}`);
  add('wall time, first trigger -> last completion (s)', (p) => fmt(p.wallMs / 1000, 2));
  add('throughput (syncs/s)', (p) => fmt(p.syncsPerSecond));
  dist('trigger -> Specter holds the record', (p) => p.latencyMs.toSpecter);
  dist('trigger -> workflow completed', (p) => p.latencyMs.toCompletion);
  add('signal-with-start round trip p50 (ms)', (p) => fmt(p.latencyMs.startRpc?.p50));
  add('actions per sync (mean)', (p) => fmt(p.history.actionsPerSync.mean, 2));
  for (const kind of ACTION_KINDS) {
    if (phases.every(({ p }) => p.history.actionsPerSync.byKind[kind] === 0)) continue;
    add(`  ${kind}`, (p) => fmt(p.history.actionsPerSync.byKind[kind], 2));
  }
  add('history events per sync (mean)', (p) => fmt(p.history.eventsPerSync?.mean));
  add('server-side run, started -> closed (ms, mean)', (p) => fmt(p.history.timingMs.run));
  add('  workflow tasks per sync', (p) => fmt(p.history.timingMs.workflowTasksPerSync));
  add('  workflow task queued, scheduled -> started (ms/task)', (p) => fmt(p.history.timingMs.workflowTaskQueuePerTask));
  add('  workflow task processed, started -> completed (ms/task)', (p) => fmt(p.history.timingMs.workflowTaskRunPerTask));
  add('  activity tasks per sync', (p) => fmt(p.history.timingMs.activityTasksPerSync));
  add('  activity queued, scheduled -> started (ms/task)', (p) => fmt(p.history.timingMs.activityQueuePerTask));
  add('  activity ran, started -> completed (ms/task)', (p) => fmt(p.history.timingMs.activityRunPerTask));
  add('bench process RSS start / peak / end (MiB)', (p) => `${p.resources.rssMiB.start} / ${p.resources.rssMiB.peak} / ${p.resources.rssMiB.end}`);
  add('bench process heapUsed start / peak / end (MiB)', (p) => `${p.resources.heapUsedMiB.start} / ${p.resources.heapUsedMiB.peak} / ${p.resources.heapUsedMiB.end}`);
  add('bench process CPU per sync (ms)', (p) => fmt(p.resources.cpuMs / Math.max(1, p.completed)));
  add('bench process CPU, cores busy (mean)', (p) => fmt(p.resources.cpuMs / Math.max(1, p.wallMs), 2));
  add('dev server RSS peak (MiB)', (p) => fmt(p.resources.devServer?.rssPeakMiB));
  add('dev server CPU per sync (ms)', (p) => fmt(p.resources.devServer ? p.resources.devServer.cpuMs / Math.max(1, p.completed) : null));
  add('dev server CPU, cores busy (mean)', (p) => fmt(p.resources.devServer ? p.resources.devServer.cpuMs / Math.max(1, p.wallMs) : null, 2));

  const m = result.machine;
  const s = result.settings;
  const out = [
    '',
    'FieldBridge customer-sync benchmark',
    `  machine   ${m.cpus} x ${m.cpuModel}, ${m.totalMemoryGiB} GiB, ${m.platform}`,
    `  software  node ${m.node}, Temporal SDK ${m.temporalSdk}, ${m.temporalCli}`,
    `  settings  N=${s.n} per phase, concurrency ${s.concurrency}, warm-up ${s.warmup}; worker, client and simulators share this process`,
    `  startup   dev server ${fmt(result.startupMs.devServerAndSimulators / 1000, 2)} s, workflow bundle ${fmt(result.startupMs.bundle / 1000, 2)} s`,
    '',
    table(rows, ['', ...phases.map(({ name }) => PHASE_TITLES[name])]),
    '',
  ];
  const real = result.phases.real;
  if (real?.verified) {
    out.push(`  real phase check: ${real.verified.specterRecords}/${real.syncs} customers in Specter, ${real.verified.customerCodesWrittenBack}/${real.syncs} CustomerCodes written back to App4Sales`);
  }
  for (const { name, p } of phases) {
    if (p.errors.length > 0) out.push(`  ${name} phase errors (${p.failed}): ${p.errors.join(' | ')}`);
  }
  out.push('');
  return out.join('\n');
}

interface BenchResult {
  bench: 'customer-sync';
  at: string;
  machine: {
    cpus: number;
    cpuModel: string;
    totalMemoryGiB: number;
    platform: string;
    node: string;
    temporalSdk: string;
    temporalCli: string;
  };
  settings: BenchOptions;
  startupMs: { temporalCli: number; devServerAndSimulators: number; bundle: number };
  totalMs: number;
  phases: Partial<Record<PhaseName, PhaseFigures>>;
}

// ---------------------------------------------------------------------------------------------
// main

async function main(): Promise<number> {
  const began = performance.now();
  const log = createLogger({ name: 'bench', level: process.env.LOG_LEVEL ?? 'info', format: 'auto', destination: process.stderr });
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }

  // The worker's (and the SDK's) logs: warnings and errors only, on stderr.
  installRuntimeLogger(createLogger({ name: 'worker', level: 'warn', format: 'json', destination: process.stderr }));

  const cli = await ensureTemporalCli({ log: (msg) => log.info(msg) });
  const cpus = os.cpus();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const temporalSdk = (require('@temporalio/worker/package.json') as { version: string }).version;
  const machine: BenchResult['machine'] = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    temporalSdk,
    temporalCli: cli.version,
  };
  log.info({ ...opts, cpus: machine.cpus }, 'starting the stack');

  const closers: Array<() => Promise<void>> = [];
  let envTeardown: (() => Promise<void>) | undefined;
  try {
    const t0 = performance.now();
    const bundleStarted = performance.now();
    const bundlePromise = bundleWorkflows().then((b) => ({ b, ms: performance.now() - bundleStarted }));
    bundlePromise.catch(() => undefined); // awaited below; don't report it unhandled if the stack fails first
    // allSettled: whatever started is stopped again, even when something else failed to start.
    const [envResult, app4salesResult, specterResult] = await Promise.allSettled([
      TestWorkflowEnvironment.createLocal({
        server: { executable: { type: 'existing-path', path: cli.path }, searchAttributes: [...ALL_SEARCH_ATTRIBUTES] },
      }),
      startApp4SalesSimulator({ apiKey: APP4SALES_API_KEY, logger: false }),
      startSpecterSimulator({ ...SPECTER, logger: false }),
    ]);
    if (envResult.status === 'fulfilled') envTeardown = () => envResult.value.teardown();
    if (app4salesResult.status === 'fulfilled') closers.push(() => app4salesResult.value.close());
    if (specterResult.status === 'fulfilled') closers.push(() => specterResult.value.close());
    for (const r of [envResult, app4salesResult, specterResult]) if (r.status === 'rejected') throw r.reason;
    const env = (envResult as PromiseFulfilledResult<TestWorkflowEnvironment>).value;
    const app4sales = (app4salesResult as PromiseFulfilledResult<App4SalesSimulator>).value;
    const specter = (specterResult as PromiseFulfilledResult<SpecterSimulator>).value;
    const devServerMs = performance.now() - t0;
    const { b: bundle, ms: bundleMs } = await bundlePromise;
    const stack: Stack = { env, app4sales, specter, bundle, devServerPid: findDevServerPid(), specterStoredAt: watchSpecterStores(specter) };
    log.info({ devServerPid: stack.devServerPid ?? null, app4sales: app4sales.url, specter: specter.url }, 'stack up');

    // App4Sales data for the real phase: warm-up and measured customers, the sales rep, the price list.
    const realCustomers = [
      ...Array.from({ length: opts.warmup }, (_, i) => benchCustomer('RW', i + 1)),
      ...Array.from({ length: opts.n }, (_, i) => benchCustomer('R', i + 1)),
    ];
    app4sales.seed({ customers: realCustomers, salesReps: [BENCH_SALES_REP], priceLists: [BENCH_PRICE_LIST] });
    const names = new Map(realCustomers.map((c) => [c.Id, c.CustomerName ?? '']));

    const deps = createActivityDeps(
      simulatorAdapterConfig({ app4sales, specter }, { app4salesApiKey: APP4SALES_API_KEY, webhookSecret: WEBHOOK_SECRET, specter: SPECTER }),
      { client: env.client, taskQueue: 'fieldbridge-bench-real' },
    );
    const specs: Record<PhaseName, PhaseSpec> = {
      real: {
        name: 'real',
        taskQueue: 'fieldbridge-bench-real',
        batch: 'R',
        activities: createActivities(deps),
        nameOf: (id) => names.get(id) ?? '',
      },
      null: { name: 'null', taskQueue: 'fieldbridge-bench-null', batch: 'N', activities: nullActivities() },
    };
    const phases: BenchResult['phases'] = {};
    try {
      for (const name of opts.phases) phases[name] = await runPhase(stack, specs[name], opts, log);
    } finally {
      await deps.close();
    }

    const result: BenchResult = {
      bench: 'customer-sync',
      at: new Date().toISOString(),
      machine,
      settings: opts,
      startupMs: { temporalCli: cli.ms, devServerAndSimulators: Math.round(devServerMs), bundle: Math.round(bundleMs) },
      totalMs: Math.round(performance.now() - began),
      phases,
    };
    process.stdout.write(report(result));
    process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    log.info('stopping the stack');
    // Simulators first, the dev server last.
    if (envTeardown) closers.push(envTeardown);
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        log.warn({ err }, 'error while stopping the stack');
      }
    }
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
