/**
 * The App4Sales -> Specter customer sync in the benchmark: phases `real` (real activities against
 * the App4Sales and Specter simulators) and `null` (no-op activities of the same names and shapes),
 * each customer triggered as the webhook receiver does (startCustomerUpsert: signal-with-start).
 * Its table and BENCH_JSON line are what `npm run bench` printed before the job flow existed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Activities } from '../activities';
import { startCustomerUpsert } from '../common/starters';
import type { Logger } from '../common/logger';
import type { App4SalesSimulator } from '../connectors/app4sales/simulator';
import type { SpecterSimulator } from '../connectors/specter/simulator';
import type { AdapterConfig } from '../worker/deps';
import { BENCH_PRICE_LIST, BENCH_SALES_REP, benchCustomer, benchCustomerId } from './customers';
import { nullCustomerActivities } from './null-activities';
import { startWorkerProcess } from './worker-process';
import {
  batchFigures,
  latenciesTo,
  phaseTable,
  reportHeader,
  runPhase,
  type BenchEngine,
  type Distribution,
  type HistoryFigures,
  type IdleCpu,
  type FlowBenchResult,
  type MachineInfo,
  type PhaseActivities,
  type ResourceFigures,
  historyFigures,
  fmt,
  table,
} from './runner';

export type CustomerPhaseName = 'real' | 'null';
const PHASE_TITLES: Record<CustomerPhaseName, string> = { real: 'real (simulators)', null: 'null (no-op activities)' };

/** The customer flow's settings, as its BENCH_JSON line has always shown them. */
export interface CustomerFlowSettings {
  /** Phases to run, in this order. */
  phases: CustomerPhaseName[];
  n: number;
  concurrency: number;
  warmup: number;
  syncTimeoutMs: number;
  /** Syncs run one at a time after the measured ones (each phase): the idle engine's latency and dispatch. */
  idleN?: number;
  /** Syncs triggered at `rate` per second, open loop (real phase): p50/p99 under a steady load, CPU per sync. */
  pacedN?: number;
  rate?: number;
  /** The customer sync's command sequence started (workflows/definitions.ts CUSTOMER_UPSERT_VERSION; 1: the first sequence). */
  workflowVersion?: number;
  /** How the dev server ran (eager activity dispatch on or off; SQLite in memory or in a file). */
  devServer?: { eagerActivities: boolean; queuePollRps?: number; db: 'memory' | 'file' | 'file-default'; dynamicConfig?: string[]; gogc?: string };
  /**
   * Where the worker runs: 'child' (a process of its own, bench/worker-process.ts: its CPU measured
   * alone) or 'inline' (in the bench process with the client and the simulators, as before). Absent: inline.
   */
  workerProcess?: 'child' | 'inline';
}

/** One extra batch's figures (idle: one at a time; paced: a steady rate). */
export interface CustomerBatchFigures {
  syncs: number;
  completed: number;
  ratePerSecond: number | null;
  latencyMs: { toSpecter: Distribution | null; toCompletion: Distribution | null };
  history: HistoryFigures;
  /**
   * CPU per completed sync during the batch: the bench process (client and simulators, plus the
   * worker when it runs inline), the dev server, and the worker's own process (null when inline).
   */
  cpuPerSyncMs: { bench: number; devServer: number | null; worker?: number | null };
}

export interface CustomerPhaseFigures {
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
  /** CPU burnt per second with nothing running, after the warm-up (5 s). */
  idleCpu?: IdleCpu | null;
  /** Syncs one at a time (idle engine), and at a steady rate (real phase). */
  idle?: CustomerBatchFigures | null;
  paced?: CustomerBatchFigures | null;
}

export type CustomerBenchResult = FlowBenchResult<'customer-sync', CustomerFlowSettings, CustomerPhaseName, CustomerPhaseFigures>;

export interface CustomerFlowInput {
  engine: BenchEngine;
  app4sales: App4SalesSimulator;
  specter: SpecterSimulator;
  /** The worker's real activities, pointed at the simulators. */
  activities: Activities;
  /** For a worker in its own process (settings.workerProcess 'child'): the same activities' configuration, and a profile directory. */
  workerProcess?: { adapters: AdapterConfig; depsTaskQueue: string; cpuProfDir?: string };
  settings: CustomerFlowSettings;
  machine: MachineInfo;
  startupMs: CustomerBenchResult['startupMs'];
  /** performance.now() when the bench began (totalMs is counted from it). */
  began: number;
  log: Logger;
}

interface CustomerPhaseSpec {
  name: CustomerPhaseName;
  taskQueue: string;
  batch: string;
  /** The customer sync's activities (the null phase has no others). */
  activities: PhaseActivities;
  /** Customer name of an id, to look the Specter record up (real phase). */
  nameOf?: (customerId: string) => string;
}

export async function runCustomerFlow(input: CustomerFlowInput): Promise<CustomerBenchResult> {
  const { engine, app4sales, specter, settings, log } = input;
  const specterStoredAt = watchSpecterStores(specter);

  // App4Sales data for the real phase: warm-up and measured customers, the sales rep, the price list.
  const realCustomers = [
    ...Array.from({ length: settings.warmup }, (_, i) => benchCustomer('RW', i + 1)),
    ...Array.from({ length: settings.n }, (_, i) => benchCustomer('R', i + 1)),
    ...Array.from({ length: settings.idleN ?? 0 }, (_, i) => benchCustomer('RI', i + 1)),
    ...Array.from({ length: settings.pacedN ?? 0 }, (_, i) => benchCustomer('RP', i + 1)),
  ];
  app4sales.seed({ customers: realCustomers, salesReps: [BENCH_SALES_REP], priceLists: [BENCH_PRICE_LIST] });
  const names = new Map(realCustomers.map((c) => [c.Id, c.CustomerName ?? '']));

  const specs: Record<CustomerPhaseName, CustomerPhaseSpec> = {
    real: { name: 'real', taskQueue: 'fieldbridge-bench-real', batch: 'R', activities: input.activities, nameOf: (id) => names.get(id) ?? '' },
    null: { name: 'null', taskQueue: 'fieldbridge-bench-null', batch: 'N', activities: nullCustomerActivities() },
  };
  const phases: CustomerBenchResult['phases'] = {};
  for (const name of settings.phases) {
    const spec = specs[name];
    const keys = Array.from({ length: settings.n }, (_, i) => benchCustomerId(spec.batch, i + 1));
    const idleKeys = (b: string, n: number) => Array.from({ length: n }, (_, i) => benchCustomerId(`${b}I`, i + 1));
    const pacedKeys = (b: string, n: number) => Array.from({ length: n }, (_, i) => benchCustomerId(`${b}P`, i + 1));
    const run = await runPhase(
      engine,
      {
        name: spec.name,
        taskQueue: spec.taskQueue,
        activities: spec.activities,
        ...(settings.workerProcess === 'child' && input.workerProcess
          ? {
              startWorkerProcess: () =>
                startWorkerProcess({
                  address: engine.env.address,
                  namespace: engine.env.namespace ?? 'default',
                  taskQueue: spec.taskQueue,
                  bundle: engine.bundle,
                  activities: spec.name === 'real' ? 'real' : 'null-customer',
                  adapters: input.workerProcess!.adapters,
                  depsTaskQueue: input.workerProcess!.depsTaskQueue,
                  cpuProfDir: input.workerProcess!.cpuProfDir,
                }),
            }
          : {}),
        start: (client, taskQueue, customerId) =>
          startCustomerUpsert(client, taskQueue, customerId, { eventId: `bench-${customerId}` }, settings.workflowVersion === 1 ? null : undefined),
        idleCpuProbeMs: 5000,
        warmupKeys: Array.from({ length: settings.warmup }, (_, i) => benchCustomerId(`${spec.batch}W`, i + 1)),
        keys,
        extraBatches: [
          { label: 'idle', keys: idleKeys(spec.batch, settings.idleN ?? 0), concurrency: 1 },
          ...(spec.name === 'real' ? [{ label: 'paced', keys: pacedKeys(spec.batch, settings.pacedN ?? 0), ratePerSecond: settings.rate ?? 10 }] : []),
        ],
      },
      settings,
      log,
    );
    const samples = run.measured.samples;
    const f = batchFigures(samples);
    let verified: CustomerPhaseFigures['verified'] = null;
    const nameOf = spec.nameOf;
    if (nameOf) {
      const wanted = new Set(keys.map(nameOf));
      const specterRecords = [...specter.state.customers.values()].filter((c) => wanted.has(c.Name)).length;
      const customerCodesWrittenBack = keys.filter((id) => app4sales.state.customers.get(id)?.CustomerCode).length;
      verified = { specterRecords, customerCodesWrittenBack };
    }
    log.info({ phase: spec.name, completed: f.completed }, 'fetching histories');
    const history = await historyFigures(engine.env.client, samples, log);
    const batch = async (label: 'idle' | 'paced', ratePerSecond: number | null): Promise<CustomerBatchFigures | null> => {
      const b = run.extra[label];
      if (!b) return null;
      const bf = batchFigures(b.samples);
      const res = b.resources;
      const per = (ms: number | undefined) => (ms === undefined ? null : Math.round((ms / Math.max(1, bf.completed)) * 10) / 10);
      return {
        syncs: bf.syncs,
        completed: bf.completed,
        ratePerSecond,
        latencyMs: { toSpecter: nameOf ? latenciesTo(b.samples, (id) => specterStoredAt.get(nameOf(id))) : null, toCompletion: bf.toCompletion },
        history: await historyFigures(engine.env.client, b.samples, log),
        cpuPerSyncMs: { bench: per(res?.cpuMs) ?? 0, devServer: per(res?.devServer?.cpuMs), worker: per(res?.worker?.cpuMs ?? undefined) },
      };
    };
    phases[name] = {
      taskQueue: spec.taskQueue,
      syncs: f.syncs,
      completed: f.completed,
      failed: f.failed,
      errors: f.errors,
      wallMs: f.wallMs,
      syncsPerSecond: f.syncsPerSecond,
      latencyMs: {
        startRpc: f.startRpc,
        toSpecter: nameOf ? latenciesTo(samples, (id) => specterStoredAt.get(nameOf(id))) : null,
        toCompletion: f.toCompletion,
      },
      verified,
      history,
      resources: run.resources,
      idleCpu: run.idleCpu ?? null,
      idle: await batch('idle', null),
      paced: spec.name === 'real' ? await batch('paced', settings.rate ?? 10) : null,
    };
  }
  return {
    bench: 'customer-sync',
    at: new Date().toISOString(),
    machine: input.machine,
    settings,
    startupMs: input.startupMs,
    totalMs: Math.round(performance.now() - input.began),
    phases,
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

/** The figures with cost targets, from one customer BENCH_JSON (this run's or an earlier one). */
export interface CostFigures {
  /** Syncs one at a time: trigger -> Specter holds it, p50 (ms). */
  idleToSpecterP50: number | null;
  idleToCompletionP50: number | null;
  /** A steady `rate` syncs/s: trigger -> Specter p50 / p99 (ms). */
  pacedRate: number | null;
  pacedToSpecterP50: number | null;
  pacedToSpecterP99: number | null;
  actionsPerSync: number | null;
  workflowTasksPerSync: number | null;
  activityTasksPerSync: number | null;
  /** Idle: scheduled -> started of each workflow / activity task, and a workflow task's time on the worker (ms). */
  idleWorkflowTaskQueueMs: number | null;
  idleWorkflowTaskRunMs: number | null;
  idleActivityQueueMs: number | null;
  idleActivityRunMs: number | null;
  /**
   * CPU per sync at the steady rate (ms): the worker's own process (null when the worker ran inline,
   * as every run before bench --worker-process); the bench process (client and simulators, plus the
   * worker when inline); the dev server; worker + dev server (the target; when the worker ran
   * inline, bench process + dev server, which overstates it); everything.
   */
  cpuPerSyncWorkerMs: number | null;
  cpuPerSyncBenchMs: number | null;
  cpuPerSyncDevServerMs: number | null;
  cpuPerSyncMs: number | null;
  cpuPerSyncAllMs: number | null;
  /** CPU burnt per second with nothing running (ms/s): the worker's process (or the bench process when inline), the dev server. */
  idleCpuWorkerMsPerS: number | null;
  idleCpuDevServerMsPerS: number | null;
  /** Closed loop at `concurrency`: real, null (the engine's ceiling) and real / null. */
  realSyncsPerSecond: number | null;
  nullSyncsPerSecond: number | null;
  realOverNull: number | null;
}

export function costFigures(result: CustomerBenchResult): CostFigures {
  const real = result.phases.real;
  const nul = result.phases.null;
  const idle = real?.idle ?? null;
  const paced = real?.paced ?? null;
  const cpuBench = paced ? paced.cpuPerSyncMs.bench : real ? real.resources.cpuMs / Math.max(1, real.completed) : null;
  const cpuServer = paced ? paced.cpuPerSyncMs.devServer : real?.resources.devServer ? real.resources.devServer.cpuMs / Math.max(1, real.completed) : null;
  const cpuWorker = paced ? (paced.cpuPerSyncMs.worker ?? null) : real?.resources.worker ? real.resources.worker.cpuMs / Math.max(1, real.completed) : null;
  const r1 = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? null : Math.round(v * 10) / 10);
  return {
    idleToSpecterP50: r1(idle?.latencyMs.toSpecter?.p50),
    idleToCompletionP50: r1(idle?.latencyMs.toCompletion?.p50),
    pacedRate: paced?.ratePerSecond ?? null,
    pacedToSpecterP50: r1(paced?.latencyMs.toSpecter?.p50),
    pacedToSpecterP99: r1(paced?.latencyMs.toSpecter?.p99),
    actionsPerSync: r1(real?.history.actionsPerSync.mean),
    workflowTasksPerSync: r1(real?.history.timingMs.workflowTasksPerSync),
    activityTasksPerSync: r1(real?.history.timingMs.activityTasksPerSync),
    idleWorkflowTaskQueueMs: r1(idle?.history.timingMs.workflowTaskQueuePerTask),
    idleWorkflowTaskRunMs: r1(idle?.history.timingMs.workflowTaskRunPerTask),
    idleActivityQueueMs: r1(idle?.history.timingMs.activityQueuePerTask),
    idleActivityRunMs: r1(idle?.history.timingMs.activityRunPerTask),
    cpuPerSyncWorkerMs: r1(cpuWorker),
    cpuPerSyncBenchMs: r1(cpuBench),
    cpuPerSyncDevServerMs: r1(cpuServer),
    cpuPerSyncMs: cpuWorker !== null ? r1(cpuWorker + (cpuServer ?? 0)) : cpuBench === null ? null : r1(cpuBench + (cpuServer ?? 0)),
    cpuPerSyncAllMs: cpuBench === null ? null : r1(cpuBench + (cpuWorker ?? 0) + (cpuServer ?? 0)),
    idleCpuWorkerMsPerS: r1(real?.idleCpu ? (real.idleCpu.workerMsPerS ?? real.idleCpu.benchMsPerS) : null),
    idleCpuDevServerMsPerS: r1(real?.idleCpu?.devServerMsPerS),
    realSyncsPerSecond: r1(real?.syncsPerSecond),
    nullSyncsPerSecond: r1(nul?.syncsPerSecond),
    realOverNull: real && nul && nul.syncsPerSecond > 0 ? Math.round((real.syncsPerSecond / nul.syncsPerSecond) * 100) / 100 : null,
  };
}

/** An earlier customer BENCH_JSON (a file holding the JSON, or bench output with a `BENCH_JSON` line), or null. */
export function loadBaseline(file: string, log: Logger): { file: string; result: CustomerBenchResult } | null {
  if (!file) return null;
  if (!existsSync(file)) {
    log.info({ file }, 'no baseline file: nothing to compare with');
    return null;
  }
  try {
    const text = readFileSync(file, 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('BENCH_JSON ') && l.includes('"customer-sync"'));
    const result = JSON.parse(line ? line.slice('BENCH_JSON '.length) : text) as CustomerBenchResult;
    return result.bench === 'customer-sync' ? { file, result } : null;
  } catch (err) {
    log.warn({ err, file }, 'baseline file unreadable: nothing to compare with');
    return null;
  }
}

const COST_ROWS: Array<[keyof CostFigures, string, string]> = [
  ['idleToSpecterP50', 'idle: trigger -> Specter p50 (ms)', '<= 60'],
  ['idleToCompletionP50', 'idle: trigger -> completed p50 (ms)', ''],
  ['pacedToSpecterP50', 'steady rate: trigger -> Specter p50 (ms)', ''],
  ['pacedToSpecterP99', 'steady rate: trigger -> Specter p99 (ms)', '<= 250 at 10/s'],
  ['actionsPerSync', 'actions per sync', '<= 5'],
  ['workflowTasksPerSync', 'workflow tasks per sync', ''],
  ['activityTasksPerSync', 'activity tasks per sync', ''],
  ['idleWorkflowTaskQueueMs', 'idle: workflow task scheduled -> started (ms)', ''],
  ['idleWorkflowTaskRunMs', 'idle: workflow task started -> completed (ms)', ''],
  ['idleActivityQueueMs', 'idle: activity scheduled -> started (ms)', ''],
  ['idleActivityRunMs', 'idle: activity started -> completed (ms)', ''],
  ['cpuPerSyncWorkerMs', 'CPU per sync, worker alone (ms)', ''],
  ['cpuPerSyncBenchMs', 'CPU per sync, bench process: client + simulators (+ worker if inline) (ms)', ''],
  ['cpuPerSyncDevServerMs', 'CPU per sync, dev server (ms)', ''],
  ['cpuPerSyncMs', 'CPU per sync, worker + dev server (ms)', '<= 55'],
  ['cpuPerSyncAllMs', 'CPU per sync, all processes (ms)', ''],
  ['idleCpuWorkerMsPerS', 'idle, nothing running: worker CPU (ms per s)', ''],
  ['idleCpuDevServerMsPerS', 'idle, nothing running: dev server CPU (ms per s)', ''],
  ['realSyncsPerSecond', 'throughput real (syncs/s)', ''],
  ['nullSyncsPerSecond', 'throughput null = ceiling (syncs/s)', 'x 1.5'],
  ['realOverNull', 'real / null', '>= 0.90'],
];

/** Before (the baseline) and now, figure by figure, with the targets. */
export function costTable(now: CustomerBenchResult, baseline: { file: string; result: CustomerBenchResult } | null): string {
  const after = costFigures(now);
  const before = baseline ? costFigures(baseline.result) : null;
  const rows = COST_ROWS.map(([key, label, target]) => [label, before ? fmt(before[key]) : '-', fmt(after[key]), target]);
  const server = (r: CustomerBenchResult) =>
    `workflow v${r.settings.workflowVersion ?? 1}, worker ${r.settings.workerProcess === 'child' ? 'in its own process' : 'inline'}, ` +
    (r.settings.devServer
      ? `eager ${r.settings.devServer.eagerActivities ? 'on' : 'off'}, queue polls ${r.settings.devServer.queuePollRps ?? 20}/s, SQLite ${r.settings.devServer.db}` +
        (r.settings.devServer.dynamicConfig ? `, ${r.settings.devServer.dynamicConfig.join(', ')}` : '') +
        (r.settings.devServer.gogc ? `, GOGC=${r.settings.devServer.gogc}` : '')
      : 'eager off, queue polls 20/s, SQLite memory');
  return [
    `  cost per sync${baseline ? `: before = ${baseline.file} (${baseline.result.at}; ${server(baseline.result)})` : ''}; now: ${server(now)}`,
    table(rows, ['', 'before', 'now', 'target']),
    ...(before && before.cpuPerSyncWorkerMs === null && after.cpuPerSyncWorkerMs !== null
      ? ['  (before: the worker ran inline, so its "worker + dev server" is bench process + dev server: worker, client and simulators)']
      : []),
  ].join('\n');
}

export function customerReport(result: CustomerBenchResult, baseline: { file: string; result: CustomerBenchResult } | null = null): string {
  const phases = result.settings.phases.map((name) => ({ name, title: PHASE_TITLES[name], p: result.phases[name]! }));
  const s = result.settings;
  const out = [
    ...reportHeader(
      'FieldBridge customer-sync benchmark',
      result.machine,
      `N=${s.n} per phase, concurrency ${s.concurrency}, warm-up ${s.warmup}; ` +
        (s.workerProcess === 'child' ? 'the worker in its own process; client and simulators in this one' : 'worker, client and simulators share this process'),
      result.startupMs,
    ),
    phaseTable(phases, { target: { label: 'Specter holds the record', pick: (p) => p.latencyMs.toSpecter } }),
    '',
  ];
  const real = result.phases.real;
  if (real?.verified) {
    out.push(`  real phase check: ${real.verified.specterRecords}/${real.syncs} customers in Specter, ${real.verified.customerCodesWrittenBack}/${real.syncs} CustomerCodes written back to App4Sales`);
  }
  for (const { name, p } of phases) {
    if (p.errors.length > 0) out.push(`  ${name} phase errors (${p.failed}): ${p.errors.join(' | ')}`);
  }
  out.push('', costTable(result, baseline), '');
  return out.join('\n');
}
