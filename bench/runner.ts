/**
 * What every benchmark flow (`npm run bench`) shares: statistics, the resource sampler, the runner
 * that triggers syncs with bounded concurrency and awaits them, the figures read from histories,
 * one phase (a production-built worker on its own task queue, warm-up, measured syncs), the dev
 * server's heartbeat counter, and the table the figures are printed in.
 *
 * A flow (bench/customer-flow.ts, bench/job-flow.ts) says how a sync is triggered, what its no-op
 * activities are and what "the target system holds it" means; the rest is here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { StartedSync } from '../common/starters';
import type { Logger } from '../common/logger';
import { createFieldBridgeWorker, type FieldBridgeWorkerOptions } from '../worker/worker';
import { ACTION_KINDS, countActions, emptyActionCounts, taskTimings, totalActions, type ActionCounts, type TaskTimings } from './history';

const SAMPLE_EVERY_MS = 50;
const HISTORY_FETCH_CONCURRENCY = 20;
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// statistics

export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles; null for no values. */
export function distribution(values: number[]): Distribution | null {
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

export const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length);
export const round2 = (v: number) => Math.round(v * 100) / 100;
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
export function findDevServerPid(): number | undefined {
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

export interface ResourceFigures {
  /** Bench process (client, simulators, and the worker unless it runs in a process of its own): RSS and V8 heapUsed, MiB. */
  rssMiB: { start: number; peak: number; end: number };
  heapUsedMiB: { start: number; peak: number; end: number };
  /** Bench process CPU time (user + system) during the measured syncs. */
  cpuMs: number;
  /** Dev server process, when found (Linux). */
  devServer: { rssPeakMiB: number; rssEndMiB: number; cpuMs: number } | null;
  /** The worker's own process (bench --worker-process child), when it runs in one; null when it shares the bench process. */
  worker?: { rssPeakMiB: number; rssEndMiB: number; cpuMs: number } | null;
}

export class ResourceSampler {
  private readonly startMem = process.memoryUsage();
  private readonly startCpu = process.cpuUsage();
  private readonly startServer: { rss: number; cpuMs: number } | undefined;
  private readonly startWorker: { rss: number; cpuMs: number } | undefined;
  private peakRss = this.startMem.rss;
  private peakHeap = this.startMem.heapUsed;
  private peakServerRss = 0;
  private peakWorkerRss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly devServerPid: number | undefined,
    private readonly workerPid?: number,
  ) {
    this.startServer = devServerPid === undefined ? undefined : processStats(devServerPid);
    this.peakServerRss = this.startServer?.rss ?? 0;
    this.startWorker = workerPid === undefined ? undefined : processStats(workerPid);
    this.peakWorkerRss = this.startWorker?.rss ?? 0;
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  private sample(): { rss: number; heapUsed: number; server?: { rss: number; cpuMs: number }; worker?: { rss: number; cpuMs: number } } {
    const { rss, heapUsed } = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, rss);
    this.peakHeap = Math.max(this.peakHeap, heapUsed);
    const server = this.devServerPid === undefined ? undefined : processStats(this.devServerPid);
    if (server) this.peakServerRss = Math.max(this.peakServerRss, server.rss);
    const worker = this.workerPid === undefined ? undefined : processStats(this.workerPid);
    if (worker) this.peakWorkerRss = Math.max(this.peakWorkerRss, worker.rss);
    return { rss, heapUsed, server, worker };
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
      worker:
        this.startWorker && end.worker
          ? { rssPeakMiB: toMiB(this.peakWorkerRss), rssEndMiB: toMiB(end.worker.rss), cpuMs: end.worker.cpuMs - this.startWorker.cpuMs }
          : null,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// the dev server's own counters

const HEARTBEAT_OPERATIONS = ['RecordActivityTaskHeartbeat', 'RecordActivityTaskHeartbeatById'];

/**
 * Activity heartbeats that reached the server so far (its frontend's `service_requests` counter),
 * or null when the metrics cannot be read. Heartbeats are billable actions that no history shows:
 * the SDK throttles them (to 0.8 x heartbeatTimeout), so only the server knows how many arrived.
 */
export async function serverHeartbeats(metricsUrl: string | undefined): Promise<number | null> {
  if (!metricsUrl) return null;
  try {
    const response = await fetch(metricsUrl);
    if (!response.ok) return null;
    let total = 0;
    for (const line of (await response.text()).split('\n')) {
      if (!line.startsWith('service_requests{') || !line.includes('service_name="frontend"')) continue;
      if (!HEARTBEAT_OPERATIONS.some((op) => line.includes(`operation="${op}"`))) continue;
      total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
    }
    return total;
  } catch {
    return null;
  }
}

const METRICS_POLL_MS = 500;
const METRICS_STABLE_POLLS = 3;
const METRICS_SETTLE_MAX_MS = 10_000;

/**
 * The heartbeat counter once it has stopped moving: the server publishes its metrics periodically,
 * so a read right after a batch can miss its last heartbeats. Called while no sync runs, so a value
 * unchanged over METRICS_STABLE_POLLS reads is the batch's final count. Null without metrics.
 */
export async function settledHeartbeats(metricsUrl: string | undefined): Promise<number | null> {
  let last = await serverHeartbeats(metricsUrl);
  if (last === null) return null;
  const deadline = performance.now() + METRICS_SETTLE_MAX_MS;
  for (let stable = 0; stable < METRICS_STABLE_POLLS && performance.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, METRICS_POLL_MS));
    const now = await serverHeartbeats(metricsUrl);
    if (now === null) return null;
    if (now === last) stable += 1;
    else [last, stable] = [now, 0];
  }
  return last;
}

// ---------------------------------------------------------------------------------------------
// syncs

export interface SyncSample {
  /** The source record's id (App4Sales customer id, ServiceTrade job id). */
  key: string;
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

/** How a flow triggers one sync, as its receiver does (signal-with-start). */
export type StartSync = (client: Client, taskQueue: string, key: string) => Promise<StartedSync>;

/** Trigger one sync, await it to completion, and fill in its sample. */
async function runOne(client: Client, taskQueue: string, start: StartSync, timeoutMs: number, sample: SyncSample): Promise<void> {
  try {
    const started = await start(client, taskQueue, sample.key);
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

/**
 * Trigger one sync per key, each awaited to completion: at most `concurrency` in flight (closed
 * loop), or, with `ratePerSecond`, one trigger every 1/rate s whatever is in flight (open loop: a
 * steady arrival rate, as webhooks come).
 */
export async function runSyncs(
  client: Client,
  taskQueue: string,
  keys: string[],
  start: StartSync,
  concurrency: number,
  timeoutMs: number,
  ratePerSecond?: number,
): Promise<SyncSample[]> {
  const samples: SyncSample[] = new Array(keys.length);
  if (ratePerSecond !== undefined && ratePerSecond > 0) {
    const began = performance.now();
    const runs: Promise<void>[] = [];
    for (let i = 0; i < keys.length; i++) {
      const due = began + (i * 1000) / ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      samples[i] = { key: keys[i], triggeredAt: performance.now() };
      runs.push(runOne(client, taskQueue, start, timeoutMs, samples[i]));
    }
    await Promise.all(runs);
    return samples;
  }
  let next = 0;
  const slot = async () => {
    for (;;) {
      const i = next++;
      if (i >= keys.length) return;
      samples[i] = { key: keys[i], triggeredAt: performance.now() };
      await runOne(client, taskQueue, start, timeoutMs, samples[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, slot));
  return samples;
}

export interface HistoryFigures {
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

/** The completed syncs' histories: actions by kind (bench/history.ts), events, where the time went. */
export async function historyFigures(client: Client, samples: SyncSample[], log: Logger): Promise<HistoryFigures> {
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

/** The part of the stack every phase needs: the dev server, the workflow bundle, its counters. */
export interface BenchEngine {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  /** Payload encryption (fieldBridgeDataConverter), when keys are configured; the bundle was built with it. */
  dataConverter?: DataConverter;
  devServerPid: number | undefined;
  /** The dev server's Prometheus endpoint (for heartbeats), when known. */
  metricsUrl: string | undefined;
}

export interface RunSettings {
  concurrency: number;
  syncTimeoutMs: number;
}

/** The activities a phase's worker registers (real ones, or a flow's no-op ones). */
export type PhaseActivities = FieldBridgeWorkerOptions['activities'];

export interface PhaseRun {
  name: string;
  taskQueue: string;
  activities: PhaseActivities;
  start: StartSync;
  warmupKeys: string[];
  keys: string[];
  /** Count the activity heartbeats that reach the server in each batch (waits for the server's metrics to settle). */
  countHeartbeats?: boolean;
  /**
   * Further unmeasured-for-throughput batches run by the same worker after the measured syncs (e.g.
   * bigger records; one at a time to see an idle engine; a steady arrival rate). Each batch's
   * resources are sampled too.
   */
  extraBatches?: Array<{ label: string; keys: string[]; concurrency?: number; ratePerSecond?: number }>;
  /**
   * Run the phase's worker in a process of its own (bench/worker-process.ts) instead of this one, so
   * that its CPU is measured alone; `activities` is then unused.
   */
  startWorkerProcess?: () => Promise<{ pid: number; stop(): Promise<void> }>;
  /** After the warm-up, sample CPU for this long with nothing running: what each process burns idle. */
  idleCpuProbeMs?: number;
}

/** CPU burnt per second with no sync running (pollers waiting, timers, GC): ms of CPU per s of wall time. */
export interface IdleCpu {
  wallMs: number;
  benchMsPerS: number;
  workerMsPerS: number | null;
  devServerMsPerS: number | null;
}

export interface BatchRun {
  samples: SyncSample[];
  /** Heartbeats that reached the server during the batch; null when not counted or without metrics. */
  heartbeats: number | null;
  /** CPU and memory during the batch (extra batches). */
  resources?: ResourceFigures;
}

export interface PhaseRunResult {
  idleCpu?: IdleCpu | null;
  measured: BatchRun;
  resources: ResourceFigures;
  extra: Record<string, BatchRun>;
}

/** One phase: a production-built worker on the phase's task queue; warm-up, measured syncs (sampled), extra batches. */
export async function runPhase(engine: BenchEngine, run: PhaseRun, settings: RunSettings, log: Logger): Promise<PhaseRunResult> {
  const client = engine.env.client;
  let workerPid: number | undefined;
  let runUntil: (fn: () => Promise<void>) => Promise<void>;
  if (run.startWorkerProcess) {
    const child = await run.startWorkerProcess();
    workerPid = child.pid;
    log.info({ phase: run.name, workerPid }, 'worker process ready');
    runUntil = async (fn) => {
      try {
        await fn();
      } finally {
        await child.stop();
      }
    };
  } else {
    const worker = await createFieldBridgeWorker({
      connection: engine.env.nativeConnection,
      namespace: engine.env.namespace ?? 'default',
      taskQueue: run.taskQueue,
      activities: run.activities,
      workflowBundle: engine.bundle,
      dataConverter: engine.dataConverter,
      shutdownGraceTime: '1s',
    });
    runUntil = (fn) => worker.runUntil(fn);
  }
  const heartbeats = async () => (run.countHeartbeats ? settledHeartbeats(engine.metricsUrl) : null);
  const delta = (before: number | null, after: number | null) => (before === null || after === null ? null : after - before);

  let measured: BatchRun | undefined;
  let resources: ResourceFigures | undefined;
  let idleCpu: IdleCpu | null = null;
  const extra: Record<string, BatchRun> = {};
  await runUntil(async () => {
    if (run.warmupKeys.length > 0) {
      log.info({ phase: run.name, warmup: run.warmupKeys.length }, 'warm-up syncs');
      const warm = await runSyncs(client, run.taskQueue, run.warmupKeys, run.start, settings.concurrency, settings.syncTimeoutMs);
      const failed = warm.filter((s) => s.error);
      if (failed.length > 0) log.warn({ phase: run.name, failed: failed.length, first: failed[0].error }, 'warm-up syncs failed');
    }
    if (run.idleCpuProbeMs && run.idleCpuProbeMs > 0) {
      const idleSampler = new ResourceSampler(engine.devServerPid, workerPid);
      const t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, run.idleCpuProbeMs));
      const r = idleSampler.stop();
      const wallMs = performance.now() - t0;
      const perS = (ms: number) => round2((ms / wallMs) * 1000);
      idleCpu = { wallMs: Math.round(wallMs), benchMsPerS: perS(r.cpuMs), workerMsPerS: r.worker ? perS(r.worker.cpuMs) : null, devServerMsPerS: r.devServer ? perS(r.devServer.cpuMs) : null };
      log.info({ phase: run.name, ...idleCpu }, 'idle CPU');
    }
    log.info({ phase: run.name, n: run.keys.length, concurrency: settings.concurrency, taskQueue: run.taskQueue }, 'measured syncs');
    let before = await heartbeats();
    const sampler = new ResourceSampler(engine.devServerPid, workerPid);
    const samples = await runSyncs(client, run.taskQueue, run.keys, run.start, settings.concurrency, settings.syncTimeoutMs);
    resources = sampler.stop();
    let after = await heartbeats();
    measured = { samples, heartbeats: delta(before, after) };
    for (const { label, keys, concurrency, ratePerSecond } of run.extraBatches ?? []) {
      if (keys.length === 0) continue;
      log.info({ phase: run.name, batch: label, n: keys.length, concurrency, ratePerSecond }, 'extra syncs');
      before = after;
      const batchSampler = new ResourceSampler(engine.devServerPid, workerPid);
      const extraSamples = await runSyncs(client, run.taskQueue, keys, run.start, concurrency ?? settings.concurrency, settings.syncTimeoutMs, ratePerSecond);
      const batchResources = batchSampler.stop();
      after = await heartbeats();
      extra[label] = { samples: extraSamples, heartbeats: delta(before, after), resources: batchResources };
    }
  });
  return { idleCpu, measured: measured!, resources: resources!, extra };
}

export interface BatchFigures {
  syncs: number;
  completed: number;
  failed: number;
  errors: string[];
  wallMs: number;
  syncsPerSecond: number;
  startRpc: Distribution | null;
  toCompletion: Distribution | null;
}

/** Counts, wall time (first trigger -> last completion), throughput and latencies of a batch. */
export function batchFigures(samples: SyncSample[]): BatchFigures {
  const ok = samples.filter((s) => s.completedAt !== undefined);
  const failed = samples.filter((s) => s.error !== undefined);
  const firstTrigger = Math.min(...samples.map((s) => s.triggeredAt));
  const lastCompletion = ok.length ? Math.max(...ok.map((s) => s.completedAt!)) : firstTrigger;
  const wallMs = lastCompletion - firstTrigger;
  return {
    syncs: samples.length,
    completed: ok.length,
    failed: failed.length,
    errors: [...new Set(failed.map((s) => s.error!))].slice(0, 5),
    wallMs: Math.round(wallMs),
    syncsPerSecond: wallMs > 0 ? round2((ok.length / wallMs) * 1000) : 0,
    startRpc: distribution(samples.filter((s) => s.startRpcMs !== undefined).map((s) => s.startRpcMs!)),
    toCompletion: distribution(ok.map((s) => s.completedAt! - s.triggeredAt)),
  };
}

/** Latencies from each completed sync's trigger to the moment `reachedAt` says the target held it. */
export function latenciesTo(samples: SyncSample[], reachedAt: (key: string) => number | undefined): Distribution | null {
  const values: number[] = [];
  for (const s of samples) {
    if (s.completedAt === undefined) continue;
    const at = reachedAt(s.key);
    if (at !== undefined) values.push(at - s.triggeredAt);
  }
  return distribution(values);
}

// ---------------------------------------------------------------------------------------------
// machine

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryGiB: number;
  platform: string;
  node: string;
  temporalSdk: string;
  temporalCli: string;
}

export function machineInfo(temporalCli: string): MachineInfo {
  const cpus = os.cpus();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const temporalSdk = (require('@temporalio/worker/package.json') as { version: string }).version;
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    temporalSdk,
    temporalCli,
  };
}

// ---------------------------------------------------------------------------------------------
// report

export function fmt(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? '-' : value.toFixed(digits);
}

export function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) => `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}`;
  return [line(header), `  ${'-'.repeat(widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1))}`, ...rows.map(line)].join('\n');
}

/** What every phase reports, whatever its flow. */
export interface CommonPhaseFigures {
  syncs: number;
  completed: number;
  wallMs: number;
  syncsPerSecond: number;
  latencyMs: { startRpc: Distribution | null; toCompletion: Distribution | null };
  history: HistoryFigures;
  resources: ResourceFigures;
}

type Cell<P> = (p: P) => string;

export interface PhaseTableSpec<P extends CommonPhaseFigures> {
  /** "trigger -> <target holds it>" latency rows. */
  target: { label: string; pick: (p: P) => Distribution | null };
  /** The "actions per sync (mean)" cell; default: the history's count. */
  actionsMean?: Cell<P>;
  /** Rows after the action kinds (e.g. heartbeats, a bigger record's actions). */
  afterKinds?: Array<[string, Cell<P>]>;
}

/** The phase table: one column per phase, the same rows for every flow (plus a flow's own action rows). */
export function phaseTable<P extends CommonPhaseFigures>(phases: Array<{ title: string; p: P }>, spec: PhaseTableSpec<P>): string {
  const rows: string[][] = [];
  const add = (label: string, f: Cell<P>) => rows.push([label, ...phases.map(({ p }) => f(p))]);
  const dist = (label: string, pick: (p: P) => Distribution | null) => {
    for (const k of ['p50', 'p95', 'p99', 'max'] as const) add(`${label} ${k} (ms)`, (p) => fmt(pick(p)?.[k]));
  };
  add('syncs completed / triggered', (p) => `${p.completed}/${p.syncs}`);
  add('wall time, first trigger -> last completion (s)', (p) => fmt(p.wallMs / 1000, 2));
  add('throughput (syncs/s)', (p) => fmt(p.syncsPerSecond));
  dist(`trigger -> ${spec.target.label}`, spec.target.pick);
  dist('trigger -> workflow completed', (p) => p.latencyMs.toCompletion);
  add('signal-with-start round trip p50 (ms)', (p) => fmt(p.latencyMs.startRpc?.p50));
  add('actions per sync (mean)', spec.actionsMean ?? ((p) => fmt(p.history.actionsPerSync.mean, 2)));
  for (const kind of ACTION_KINDS) {
    if (phases.every(({ p }) => p.history.actionsPerSync.byKind[kind] === 0)) continue;
    add(`  ${kind}`, (p) => fmt(p.history.actionsPerSync.byKind[kind], 2));
  }
  for (const [label, cell] of spec.afterKinds ?? []) add(label, cell);
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
  if (phases.some(({ p }) => p.resources.worker)) {
    add('worker process RSS peak (MiB)', (p) => fmt(p.resources.worker?.rssPeakMiB));
    add('worker process CPU per sync (ms)', (p) => fmt(p.resources.worker ? p.resources.worker.cpuMs / Math.max(1, p.completed) : null));
    add('worker process CPU, cores busy (mean)', (p) => fmt(p.resources.worker ? p.resources.worker.cpuMs / Math.max(1, p.wallMs) : null, 2));
  }
  add('dev server RSS peak (MiB)', (p) => fmt(p.resources.devServer?.rssPeakMiB));
  add('dev server CPU per sync (ms)', (p) => fmt(p.resources.devServer ? p.resources.devServer.cpuMs / Math.max(1, p.completed) : null));
  add('dev server CPU, cores busy (mean)', (p) => fmt(p.resources.devServer ? p.resources.devServer.cpuMs / Math.max(1, p.wallMs) : null, 2));
  return table(rows, ['', ...phases.map(({ title }) => title)]);
}

/** The lines above a flow's table: machine, software, settings, startup. */
export function reportHeader(title: string, machine: MachineInfo, settingsLine: string, startupMs: { devServerAndSimulators: number; bundle: number }): string[] {
  return [
    '',
    title,
    `  machine   ${machine.cpus} x ${machine.cpuModel}, ${machine.totalMemoryGiB} GiB, ${machine.platform}`,
    `  software  node ${machine.node}, Temporal SDK ${machine.temporalSdk}, ${machine.temporalCli}`,
    `  settings  ${settingsLine}`,
    `  startup   dev server ${fmt(startupMs.devServerAndSimulators / 1000, 2)} s, workflow bundle ${fmt(startupMs.bundle / 1000, 2)} s`,
    '',
  ];
}

/** What one flow's benchmark prints as its BENCH_JSON line. */
export interface FlowBenchResult<Bench extends string, Settings, Phase extends string, Figures> {
  bench: Bench;
  at: string;
  machine: MachineInfo;
  settings: Settings;
  startupMs: { temporalCli: number; devServerAndSimulators: number; bundle: number };
  totalMs: number;
  phases: Partial<Record<Phase, Figures>>;
}
