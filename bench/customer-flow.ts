/**
 * The App4Sales -> Specter customer sync in the benchmark: phases `real` (real activities against
 * the App4Sales and Specter simulators) and `null` (no-op activities of the same names and shapes),
 * each customer triggered as the webhook receiver does (startCustomerUpsert: signal-with-start).
 * Its table and BENCH_JSON line are what `npm run bench` printed before the job flow existed.
 */
import { performance } from 'node:perf_hooks';
import type { Activities, LoadApp4SalesCustomerInput, LoadedCustomer } from '../activities';
import { startCustomerUpsert } from '../client/starters';
import type { Logger } from '../common/logger';
import type { App4SalesSimulator } from '../connectors/app4sales/simulator';
import type { SpecterSimulator } from '../connectors/specter/simulator';
import { BENCH_PRICE_LIST, BENCH_SALES_REP, benchCustomer, benchCustomerId } from './customers';
import {
  batchFigures,
  latenciesTo,
  phaseTable,
  reportHeader,
  runPhase,
  type BenchEngine,
  type Distribution,
  type HistoryFigures,
  type FlowBenchResult,
  type MachineInfo,
  type PhaseActivities,
  type ResourceFigures,
  historyFigures,
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
}

export type CustomerBenchResult = FlowBenchResult<'customer-sync', CustomerFlowSettings, CustomerPhaseName, CustomerPhaseFigures>;

export interface CustomerFlowInput {
  engine: BenchEngine;
  app4sales: App4SalesSimulator;
  specter: SpecterSimulator;
  /** The worker's real activities, pointed at the simulators. */
  activities: Activities;
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
    const run = await runPhase(
      engine,
      {
        name: spec.name,
        taskQueue: spec.taskQueue,
        activities: spec.activities,
        start: (client, taskQueue, customerId) => startCustomerUpsert(client, taskQueue, customerId, { eventId: `bench-${customerId}` }),
        warmupKeys: Array.from({ length: settings.warmup }, (_, i) => benchCustomerId(`${spec.batch}W`, i + 1)),
        keys,
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

/** No-op activities of the same names and shapes: the engine's share of a sync. */
function nullCustomerActivities(): Pick<Activities, 'loadApp4SalesCustomer' | 'upsertSpecterCustomer' | 'findLostSpecterCustomer' | 'recordCustomerCode'> {
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

export function customerReport(result: CustomerBenchResult): string {
  const phases = result.settings.phases.map((name) => ({ name, title: PHASE_TITLES[name], p: result.phases[name]! }));
  const s = result.settings;
  const out = [
    ...reportHeader(
      'FieldBridge customer-sync benchmark',
      result.machine,
      `N=${s.n} per phase, concurrency ${s.concurrency}, warm-up ${s.warmup}; worker, client and simulators share this process`,
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
  out.push('');
  return out.join('\n');
}
