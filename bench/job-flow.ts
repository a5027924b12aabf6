/**
 * The ServiceTrade job -> Spectrum work order sync in the benchmark: phases `job-real` (real
 * activities against the ServiceTrade and Spectrum simulators) and `job-null` (the same workflow
 * code with no-op activities of the same names and shapes), each job triggered as the receiver does
 * (startJobToWorkOrder: signal-with-start) and awaited.
 *
 * Measured jobs have 5 items, like the demo job 4001 (bench/jobs.ts). After the measured syncs each
 * phase syncs a few jobs with more items (default 25) with the same worker, for their actions per
 * sync: the flow's target is at most 8 actions per sync whatever the item count.
 *
 * Actions are those the histories show (bench/history.ts) plus the activity heartbeats that reached
 * the server, which no history shows (convergeWorkOrderLines heartbeats after each item code; the
 * SDK throttles them to one per 0.8 x heartbeatTimeout): counted from the dev server's own metrics
 * around each batch. The null phase's convergeWorkOrderLines heartbeats per item code too, as the
 * real one does: heartbeats are Temporal's cost, not Spectrum's.
 */
import { performance } from 'node:perf_hooks';
import { Context } from '@temporalio/activity';
import { loadedJobSettings, type ConvergeLinesInput, type ConvergeLinesResult, type JobSyncSettings, type JobToWorkOrderActivities, type LoadedJob } from '../activities';
import { startJobToWorkOrder } from '../common/starters';
import { JOB_TO_WORK_ORDER_VERSION } from '../workflows/definitions';
import type { Logger } from '../common/logger';
import type { ServiceTradeSimulator } from '../connectors/servicetrade/simulator';
import type { SpectrumSimulator } from '../connectors/spectrum/simulator';
import { benchJob, benchJobSource } from './jobs';
import {
  batchFigures,
  fmt,
  historyFigures,
  latenciesTo,
  phaseTable,
  reportHeader,
  round2,
  runPhase,
  type BatchRun,
  type BenchEngine,
  type Distribution,
  type HistoryFigures,
  type FlowBenchResult,
  type MachineInfo,
  type PhaseActivities,
  type ResourceFigures,
} from './runner';

export type JobPhaseKind = 'real' | 'null';
export type JobPhaseName = 'job-real' | 'job-null';
const PHASE_TITLES: Record<JobPhaseName, string> = { 'job-real': 'job-real (simulators)', 'job-null': 'job-null (no-op activities)' };
const EXTRA = 'extra';

export interface JobFlowSettings {
  /** Phases to run, in this order. */
  phases: JobPhaseName[];
  /** Measured jobs per phase. */
  n: number;
  concurrency: number;
  warmup: number;
  syncTimeoutMs: number;
  /** Items per measured job. */
  items: number;
  /** Items per job of the extra measurement (actions per sync only); extraN jobs per phase, 0: none. */
  extraItems: number;
  extraN: number;
  /** The job sync's command sequence: 1 (the first sequence: every step an activity) or JOB_TO_WORK_ORDER_VERSION. */
  workflowVersion?: number;
}

/** Actions per sync: the history's, plus the heartbeats that reached the server (null without metrics). */
export interface JobActions {
  mean: number | null;
  fromHistory: number;
  heartbeats: number | null;
}

export interface JobVerification {
  /** Jobs of the batch with a work order in Spectrum. */
  workOrders: number;
  /** ... holding exactly the job's lines. */
  workOrdersWithAllLines: number;
  /** Jobs carrying their work order number in ServiceTrade. */
  numbersRecorded: number;
}

export interface JobPhaseFigures {
  taskQueue: string;
  items: number;
  syncs: number;
  completed: number;
  failed: number;
  errors: string[];
  wallMs: number;
  syncsPerSecond: number;
  latencyMs: {
    startRpc: Distribution | null;
    /** Trigger -> the Spectrum simulator holds the work order with all the job's lines (real phase). */
    toSpectrum: Distribution | null;
    toCompletion: Distribution | null;
  };
  verified: JobVerification | null;
  actionsPerSync: JobActions;
  history: HistoryFigures;
  resources: ResourceFigures;
  /** The jobs with more items, after the measured ones. */
  extra: {
    items: number;
    syncs: number;
    completed: number;
    failed: number;
    errors: string[];
    latencyMs: { toCompletion: Distribution | null };
    verified: JobVerification | null;
    actionsPerSync: JobActions & { historyMin: number; historyMax: number };
    eventsPerSync: number | null;
  } | null;
}

export type JobBenchResult = FlowBenchResult<'job-sync', JobFlowSettings, JobPhaseName, JobPhaseFigures>;

export interface JobFlowInput {
  engine: BenchEngine;
  servicetrade: ServiceTradeSimulator;
  spectrum: SpectrumSimulator;
  /** The worker's real activities, pointed at the simulators. */
  activities: PhaseActivities;
  /** The job sync settings the real activities run with (the null phase hands the same to the workflow). */
  jobSync: JobSyncSettings;
  settings: JobFlowSettings;
  machine: MachineInfo;
  startupMs: JobBenchResult['startupMs'];
  began: number;
  log: Logger;
}

/** Job ids: phase (1 real, 2 null), batch (1 warm-up, 2 measured, 3 extra), then the index; the number is the id. */
function jobId(phase: 1 | 2, batch: 1 | 2 | 3, i: number): number {
  return phase * 10_000_000 + batch * 1_000_000 + i;
}

const workOrderNumberOf = (key: string) => `S${key}`;

export async function runJobFlow(input: JobFlowInput): Promise<JobBenchResult> {
  const { engine, servicetrade, spectrum, settings, log } = input;
  const expectedLines = new Map<string, number>();
  const completeAt = watchCompleteWorkOrders(spectrum, expectedLines);

  const phases: JobBenchResult['phases'] = {};
  for (const name of settings.phases) {
    const real = name === 'job-real';
    const phase = real ? 1 : 2;
    const ids = (batch: 1 | 2 | 3, count: number) => Array.from({ length: count }, (_, i) => jobId(phase, batch, i + 1));
    const batches = { warmup: ids(1, settings.warmup), measured: ids(2, settings.n), extra: ids(3, settings.extraN) };
    const itemsOf = new Map<number, number>();
    for (const id of [...batches.warmup, ...batches.measured]) itemsOf.set(id, settings.items);
    for (const id of batches.extra) itemsOf.set(id, settings.extraItems);
    if (real) {
      for (const [id, items] of itemsOf) {
        servicetrade.state.createJob(benchJob(id, items), { notify: false });
        expectedLines.set(workOrderNumberOf(String(id)), items);
      }
    }
    const taskQueue = real ? 'fieldbridge-bench-job-real' : 'fieldbridge-bench-job-null';
    const run = await runPhase(
      engine,
      {
        name,
        taskQueue,
        activities: real ? input.activities : nullJobActivities(input.jobSync, (id) => itemsOf.get(id) ?? settings.items),
        start: (client, queue, key) =>
          startJobToWorkOrder(client, queue, Number(key), { eventId: `bench-${key}` }, settings.workflowVersion === 1 ? null : (settings.workflowVersion ?? JOB_TO_WORK_ORDER_VERSION)),
        warmupKeys: batches.warmup.map(String),
        keys: batches.measured.map(String),
        extraBatches: [{ label: EXTRA, keys: batches.extra.map(String) }],
        countHeartbeats: true,
      },
      settings,
      log,
    );
    const verify = (batch: BatchRun): JobVerification | null => (real ? verifyJobs(batch, servicetrade, spectrum, expectedLines) : null);

    const samples = run.measured.samples;
    const f = batchFigures(samples);
    log.info({ phase: name, completed: f.completed }, 'fetching histories');
    const history = await historyFigures(engine.env.client, samples, log);
    let extra: JobPhaseFigures['extra'] = null;
    const extraRun = run.extra[EXTRA];
    if (extraRun) {
      const e = batchFigures(extraRun.samples);
      const extraHistory = await historyFigures(engine.env.client, extraRun.samples, log);
      extra = {
        items: settings.extraItems,
        syncs: e.syncs,
        completed: e.completed,
        failed: e.failed,
        errors: e.errors,
        latencyMs: { toCompletion: e.toCompletion },
        verified: verify(extraRun),
        actionsPerSync: {
          ...jobActions(extraHistory, extraRun.heartbeats, e.completed),
          historyMin: extraHistory.actionsPerSync.min,
          historyMax: extraHistory.actionsPerSync.max,
        },
        eventsPerSync: extraHistory.eventsPerSync?.mean ?? null,
      };
    }
    phases[name] = {
      taskQueue,
      items: settings.items,
      syncs: f.syncs,
      completed: f.completed,
      failed: f.failed,
      errors: f.errors,
      wallMs: f.wallMs,
      syncsPerSecond: f.syncsPerSecond,
      latencyMs: {
        startRpc: f.startRpc,
        toSpectrum: real ? latenciesTo(samples, (key) => completeAt.get(workOrderNumberOf(key))) : null,
        toCompletion: f.toCompletion,
      },
      verified: verify(run.measured),
      actionsPerSync: jobActions(history, run.measured.heartbeats, f.completed),
      history,
      resources: run.resources,
      extra,
    };
  }
  return {
    bench: 'job-sync',
    at: new Date().toISOString(),
    machine: input.machine,
    settings,
    startupMs: input.startupMs,
    totalMs: Math.round(performance.now() - input.began),
    phases,
  };
}

function jobActions(history: HistoryFigures, heartbeats: number | null, completed: number): JobActions {
  const perSync = heartbeats === null ? null : round2(heartbeats / Math.max(1, completed));
  return {
    mean: perSync === null ? null : round2(history.actionsPerSync.mean + perSync),
    fromHistory: history.actionsPerSync.mean,
    heartbeats: perSync,
  };
}

/** What Spectrum and ServiceTrade hold for a batch's jobs afterwards (real phase). */
function verifyJobs(batch: BatchRun, servicetrade: ServiceTradeSimulator, spectrum: SpectrumSimulator, expectedLines: Map<string, number>): JobVerification {
  let workOrders = 0;
  let workOrdersWithAllLines = 0;
  let numbersRecorded = 0;
  for (const { key } of batch.samples) {
    const number = workOrderNumberOf(key);
    const order = spectrum.state.workOrder(number);
    if (order) workOrders += 1;
    if (order && order.materials.length === expectedLines.get(number)) workOrdersWithAllLines += 1;
    if (servicetrade.state.job(Number(key))?.externalIds?.spectrum === number) numbersRecorded += 1;
  }
  return { workOrders, workOrdersWithAllLines, numbersRecorded };
}

/**
 * Record when the Spectrum simulator first holds each work order with all its expected lines: its
 * state's `call` (every SOAP service goes through it, in this process) is wrapped.
 */
function watchCompleteWorkOrders(spectrum: SpectrumSimulator, expectedLines: Map<string, number>): Map<string, number> {
  const completeAt = new Map<string, number>();
  const state = spectrum.state;
  const call = state.call.bind(state);
  state.call = (service, params, token) => {
    const outcome = call(service, params, token);
    if (service === 'AddWOMaterialCost' && outcome.applied) {
      const number = params.WO_Number ?? '';
      const expected = expectedLines.get(number);
      if (expected !== undefined && !completeAt.has(number)) {
        const order = state.workOrder(number, params.Company_Code || undefined);
        if (order && order.materials.length >= expected) completeAt.set(number, performance.now());
      }
    }
    return outcome;
  };
  return completeAt;
}

/** No-op activities of the job sync's names and shapes: the engine's share of a sync. */
function nullJobActivities(
  jobSync: JobSyncSettings,
  itemsOf: (jobId: number) => number,
): Pick<
  JobToWorkOrderActivities,
  'loadServiceTradeJob' | 'claimWorkOrderNumber' | 'upsertWorkOrderHeader' | 'convergeWorkOrderLines' | 'compensateWorkOrder' | 'recordWorkOrderNumber'
> {
  return {
    async loadServiceTradeJob({ jobId, recall = false }: { jobId: number; recall?: boolean }): Promise<LoadedJob> {
      const source = benchJobSource(jobId, itemsOf(jobId));
      return {
        jobId,
        jobNumber: source.job.number,
        source,
        missing: [],
        settings: loadedJobSettings(jobSync),
        recordedIds: [],
        earlierSync: recall ? null : undefined,
      };
    },
    async claimWorkOrderNumber() {},
    async upsertWorkOrderHeader({ header }) {
      return { workOrderNumber: header.WO_Number, messages: [] };
    },
    async convergeWorkOrderLines({ groups, previous }: ConvergeLinesInput): Promise<ConvergeLinesResult> {
      const ctx = Context.current();
      const wanted = new Set(groups.map((g) => g.itemCode));
      const progress = { done: 0, lineGroups: {} as Record<string, string>, added: 0, deletedCodes: Object.keys(previous).filter((code) => !wanted.has(code)) };
      for (const group of groups) {
        progress.lineGroups[group.itemCode] = group.fingerprint;
        progress.added += group.lines.length;
        progress.done += 1;
        ctx.heartbeat(progress);
      }
      return { lineGroups: progress.lineGroups, added: progress.added, deletedCodes: progress.deletedCodes };
    },
    async compensateWorkOrder() {},
    async recordWorkOrderNumber() {},
  };
}

export function jobReport(result: JobBenchResult): string {
  const s = result.settings;
  const phases = s.phases.map((name) => ({ name, title: PHASE_TITLES[name], p: result.phases[name]! }));
  const x = s.extraItems;
  const extraRows: Array<[string, (p: JobPhaseFigures) => string]> = [
    ['  heartbeat (reached the server; not in histories)', (p) => fmt(p.actionsPerSync.heartbeats, 2)],
    [`actions per sync, ${s.items} items / ${x} items (mean)`, (p) => `${fmt(p.actionsPerSync.mean, 2)} / ${fmt(p.extra?.actionsPerSync.mean, 2)}`],
    [`  from histories, ${s.items} items / ${x} items (max)`, (p) => `${p.history.actionsPerSync.max} / ${p.extra ? p.extra.actionsPerSync.historyMax : '-'}`],
    [`  heartbeats, ${s.items} items / ${x} items`, (p) => `${fmt(p.actionsPerSync.heartbeats, 2)} / ${fmt(p.extra?.actionsPerSync.heartbeats, 2)}`],
    [`${x}-item syncs completed / triggered`, (p) => (p.extra ? `${p.extra.completed}/${p.extra.syncs}` : '-')],
    [`${x}-item trigger -> workflow completed p50 / max (ms)`, (p) => `${fmt(p.extra?.latencyMs.toCompletion?.p50)} / ${fmt(p.extra?.latencyMs.toCompletion?.max)}`],
  ];
  const out = [
    ...reportHeader(
      'FieldBridge job-sync benchmark (ServiceTrade job -> Spectrum work order)',
      result.machine,
      `N=${s.n} jobs of ${s.items} items per phase, concurrency ${s.concurrency}, warm-up ${s.warmup}` +
        (s.extraN > 0 ? `; then ${s.extraN} jobs of ${x} items per phase (actions per sync)` : '') +
        `; workflow v${s.workflowVersion ?? JOB_TO_WORK_ORDER_VERSION}` +
        '; worker, client and simulators share this process',
      result.startupMs,
    ),
    phaseTable(phases, {
      target: { label: 'Spectrum holds the work order and its lines', pick: (p) => p.latencyMs.toSpectrum },
      actionsMean: (p) => fmt(p.actionsPerSync.mean ?? p.actionsPerSync.fromHistory, 2),
      afterKinds: extraRows,
    }),
    '',
  ];
  const real = result.phases['job-real'];
  if (real?.verified) {
    const v = real.verified;
    out.push(`  job-real check: ${v.workOrders}/${real.syncs} work orders in Spectrum, ${v.workOrdersWithAllLines}/${real.syncs} with exactly the job's ${s.items} lines, ${v.numbersRecorded}/${real.syncs} numbers recorded on the ServiceTrade jobs`);
    const e = real.extra;
    if (e?.verified) {
      out.push(`  job-real check, ${x}-item jobs: ${e.verified.workOrders}/${e.syncs} work orders, ${e.verified.workOrdersWithAllLines}/${e.syncs} with exactly ${x} lines, ${e.verified.numbersRecorded}/${e.syncs} numbers recorded`);
    }
  }
  if (phases.some(({ p }) => p.actionsPerSync.heartbeats === null)) {
    out.push('  heartbeats: the dev server\'s metrics could not be read; actions per sync are the histories\' only');
  }
  for (const { name, p } of phases) {
    if (p.errors.length > 0) out.push(`  ${name} phase errors (${p.failed}): ${p.errors.join(' | ')}`);
    if (p.extra && p.extra.errors.length > 0) out.push(`  ${name} ${x}-item errors (${p.extra.failed}): ${p.extra.errors.join(' | ')}`);
  }
  out.push('');
  return out.join('\n');
}
