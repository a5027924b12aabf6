/**
 * The ServiceChannel work order -> ServicePower mobile work order flow in the benchmark (flow 3):
 * phases `mobile-real` (real activities against the ServiceChannel and ServicePower simulators, the
 * main worker and the rate-limited ServiceChannel worker as production builds them) and
 * `mobile-null` (the same workflow code, no-op activities of the same names and shapes on both task
 * queues).
 *
 * Each phase plans a burst (bench/work-orders.ts): N work orders created in the ServiceChannel
 * simulator and delivered as the receiver does (startWorkOrderToMobile with WorkOrderCreated);
 * once ServicePower holds them all, the burst: NTE / scheduled date / status changes (in all
 * `burst` distinct events with the N created ones), every event delivered `copies` times (the
 * created ones redelivered), shuffled, fired as fast as the client allows (`concurrency` in
 * flight). Then it waits for the drain (every event applied once, every workflow idle) and reports:
 *
 * - events/s (distinct events / first delivery -> last activity; and the burst's alone),
 *   deliveries/s;
 * - latency from each event's first delivery to ServicePower holding its change (NTE, schedule), and
 *   to dispatch (the PUT) for the created events;
 * - actions per event from the histories (per work order, divided by its events) plus heartbeats
 *   from the dev server's metrics (these activities do not heartbeat: expect 0);
 * - the peak ServiceChannel request rate per minute read from the simulator
 *   (`state.peakRequestsPerMinute()`), against our ceiling and the simulator's limit; throttled
 *   requests (should be 0) and logins (should be 1 per process). Printed, never asserted;
 * - after the drain, the check against the simulators (bench/work-orders.ts verifyBurst).
 *
 * Every event costs at least one ServiceChannel activity (the workflow reads the work order), and
 * each work order one more (the dispatched status); the ServiceChannel worker hands out activities at
 * the request ceiling divided by SERVICECHANNEL_REQUESTS_PER_ACTIVITY (a write reads first), so the
 * real phase cannot go faster than 3 x (burst + N) / ceiling minutes. The null phase has no ServiceChannel to protect: its
 * ServiceChannel worker runs with a ceiling of NULL_CEILING_PER_MINUTE, so it shows the engine's own
 * ceiling.
 */
import { performance } from 'node:perf_hooks';
import type { Worker } from '@temporalio/worker';
import type { LoadedMobileSettings, MobileWorkOrderRead, PatchOutcome } from '../activities';
import type { Logger } from '../common/logger';
import type { ServiceChannelSimulator } from '../connectors/servicechannel/simulator';
import { WorkOrderSchema } from '../connectors/servicechannel/schemas';
import type { ServicePowerWorkOrderInput, ServicePowerWorkOrderPatch } from '../connectors/servicepower/schemas';
import type { ServicePowerSimulator } from '../connectors/servicepower/simulator';
import { workOrderToMobileWorkflowId } from '../workflows/definitions';
import { workOrderMobileStateQuery } from '../workflows/work-order-to-mobile';
import { createFieldBridgeWorker, createServiceChannelWorker, SERVICECHANNEL_REQUESTS_PER_ACTIVITY } from '../worker/worker';
import { ACTION_KINDS, countActions, emptyActionCounts, totalActions } from './history';
import {
  distribution,
  fmt,
  mean,
  reportHeader,
  ResourceSampler,
  round2,
  settledHeartbeats,
  table,
  type BenchEngine,
  type Distribution,
  type FlowBenchResult,
  type MachineInfo,
  type ResourceFigures,
} from './runner';
import {
  burstLatencies,
  describeCheck,
  fireBurst,
  mobileNumberOf,
  MobileTargetLog,
  planBurst,
  verifyBurst,
  watchServicePower,
  type BurstCheck,
  type BurstPlan,
} from './work-orders';

export type MobilePhaseName = 'mobile-real' | 'mobile-null';
const PHASE_TITLES: Record<MobilePhaseName, string> = { 'mobile-real': 'mobile-real (simulators)', 'mobile-null': 'mobile-null (no-op activities)' };
/** The null phase's ServiceChannel worker: no ServiceChannel behind it, so no ceiling worth the name. */
export const NULL_CEILING_PER_MINUTE = 60_000;
const DRAIN_POLL_MS = 100;
const HISTORY_FETCH_CONCURRENCY = 20;

export interface MobileFlowSettings {
  phases: MobilePhaseName[];
  /** Work orders per phase. */
  n: number;
  /** Distinct events per phase (the first n are the WorkOrderCreated events). */
  burst: number;
  /** Deliveries of each event. */
  copies: number;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** Our ceiling on ServiceChannel requests per minute (the ServiceChannel worker's maxTaskQueueActivitiesPerSecond x 60). */
  ceilingPerMinute: number;
  /** Give up on the drain after this long beyond the time the ceiling needs. */
  drainSlackMs: number;
}

export interface MobilePhaseFigures {
  taskQueue: string;
  workOrders: number;
  events: number;
  deliveries: number;
  /** Events applied (from the workflows' state) / expected. */
  applied: number;
  drained: boolean;
  deliveryErrors: string[];
  /** The created events' wave: first delivery -> ServicePower holds every work order. */
  dispatchWaveMs: number;
  /** The burst: first -> last delivery sent. */
  fireMs: number;
  deliveriesPerSecond: number;
  /** First delivery -> last activity completed. */
  wallMs: number;
  eventsPerSecond: number;
  /** The burst alone: its events / (its first delivery -> last activity). */
  burstWallMs: number;
  burstEventsPerSecond: number;
  /** The ServiceChannel-bound minimum for the real phase ((events + work orders) / ceiling), ms. */
  ceilingBoundMs: number | null;
  latencyMs: {
    signalWithStart: Distribution | null;
    /** First delivery of an NTE / schedule event -> ServicePower holds that value (or a later one). */
    toServicePower: Distribution | null;
    /** First delivery of a WorkOrderCreated -> the PUT (dispatch). */
    toDispatch: Distribution | null;
    /** Changes ServicePower already held when their first delivery was sent (read by an earlier event). */
    alreadyHeld: number;
    neverHeld: number;
  };
  actions: {
    /** Mean over work orders of (actions of its workflow / its distinct events). */
    perEvent: number;
    /** All actions / all deliveries. */
    perDelivery: number;
    perWorkOrder: number;
    byKindPerEvent: Record<string, number>;
    heartbeatsPerEvent: number | null;
    historiesFetched: number;
    /** Runs beyond the first (continue-as-new): their actions are not counted. */
    continuedAsNew: number;
    historyEventsPerWorkOrder: number;
    /** Deliveries (signal-with-start calls that returned) minus the signals the histories record. */
    deliveriesNotInHistories: number;
  };
  serviceChannel: {
    requests: number;
    reads: number;
    statusWrites: number;
    peakPerMinute: number;
    peakAcceptedPerMinute: number;
    /** Busiest 10 s, times 6. */
    peak10sPerMinute: number;
    ceilingPerMinute: number;
    simulatorLimitPerMinute: number;
    throttled: number;
    /** Logins of this process so far (its token cache is process-wide). */
    logins: number;
    loginsLimited: number;
  } | null;
  servicePower: { puts: number; patches: number; deletes: number };
  check: BurstCheck;
  resources: ResourceFigures;
}

export type MobileBenchResult = FlowBenchResult<'work-order-burst', MobileFlowSettings, MobilePhaseName, MobilePhaseFigures>;

export interface MobileFlowInput {
  engine: BenchEngine;
  servicechannel: ServiceChannelSimulator;
  servicepower: ServicePowerSimulator;
  /** The main worker's real activities (createActivities) and the ServiceChannel worker's (createServiceChannelActivities). */
  activities: Record<string, (...args: never[]) => Promise<unknown>>;
  serviceChannelActivities: Record<string, (...args: never[]) => Promise<unknown>>;
  /** The dispatch preferences the real activities load (the null loadMobileSyncSettings returns the same). */
  loadMobileSyncSettings: () => Promise<LoadedMobileSettings>;
  settings: MobileFlowSettings;
  machine: MachineInfo;
  startupMs: MobileBenchResult['startupMs'];
  began: number;
  log: Logger;
}

/**
 * The least time the real phase can take at the ceiling: every event reads the work order, every work
 * order is told it is dispatched, one activity each, at the ServiceChannel worker's activity rate.
 */
export function ceilingBoundMs(events: number, workOrders: number, ceilingPerMinute: number): number {
  return Math.round(((events + workOrders) / (ceilingPerMinute / SERVICECHANNEL_REQUESTS_PER_ACTIVITY)) * 60_000);
}

type ActivityMap = Record<string, (...args: never[]) => Promise<unknown>>;

/** Every activity wrapped to count its completions per name and note the last one's time (the drain). */
class ActivityMeter {
  readonly completed = new Map<string, number>();
  lastAt = 0;
  wrap(activities: ActivityMap): ActivityMap {
    return Object.fromEntries(
      Object.entries(activities).map(([name, fn]) => [
        name,
        async (...args: never[]) => {
          const result = await fn(...args);
          this.completed.set(name, (this.completed.get(name) ?? 0) + 1);
          this.lastAt = performance.now();
          return result;
        },
      ]),
    );
  }
  count(name: string): number {
    return this.completed.get(name) ?? 0;
  }
}

/** Work order ids: phase 1 real, 2 null. */
const firstIdOf = (phase: 1 | 2) => 80_000_000 + phase * 1_000_000;

export async function runMobileFlow(input: MobileFlowInput): Promise<MobileBenchResult> {
  const { engine, servicechannel, servicepower, settings, log } = input;
  const realTarget = new MobileTargetLog();
  watchServicePower(servicepower, realTarget);
  const phases: MobileBenchResult['phases'] = {};
  for (const name of settings.phases) {
    const real = name === 'mobile-real';
    const plan = planBurst({ firstId: firstIdOf(real ? 1 : 2), workOrders: settings.n, events: settings.burst, copies: settings.copies, tag: name });
    const target = real ? realTarget : new MobileTargetLog();
    const meter = new ActivityMeter();
    const taskQueue = `fieldbridge-bench-${name}`;
    const ceiling = real ? settings.ceilingPerMinute : NULL_CEILING_PER_MINUTE;
    const main = meter.wrap(real ? input.activities : nullMobileActivities(input.loadMobileSyncSettings, target));
    const scActivities = meter.wrap(real ? input.serviceChannelActivities : nullServiceChannelActivities(servicechannel));
    const bound = real ? ceilingBoundMs(plan.events.length, plan.workOrderIds.length, ceiling) : null;
    log.info(
      { phase: name, workOrders: plan.workOrderIds.length, events: plan.events.length, deliveries: plan.deliveries.length, ceilingPerMinute: ceiling, expectedAtLeastS: bound === null ? null : Math.round(bound / 1000) },
      'work order burst',
    );

    const worker = await createFieldBridgeWorker({
      connection: engine.env.nativeConnection,
      namespace: engine.env.namespace ?? 'default',
      taskQueue,
      activities: main,
      workflowBundle: engine.bundle,
      dataConverter: engine.dataConverter,
      shutdownGraceTime: '1s',
    });
    const scWorker = await createServiceChannelWorker({
      connection: engine.env.nativeConnection,
      namespace: engine.env.namespace ?? 'default',
      taskQueue,
      activities: scActivities,
      requestsPerMinute: ceiling,
      dataConverter: engine.dataConverter,
      shutdownGraceTime: '1s',
    });
    const figures = await runBoth(worker, scWorker, async () => {
      const heartbeatsBefore = await settledHeartbeats(engine.metricsUrl);
      const sampler = new ResourceSampler(engine.devServerPid);
      // The bound counts one activity per event and per work order at the ceiling; the writes' own
      // activities and the first wave come on top, so the slack grows with it (a quarter of it, at least drainSlackMs).
      const drainBudget = (bound ?? 0) + Math.max(settings.drainSlackMs, (bound ?? 0) / 4);
      const began = performance.now();
      const fired = await fireBurst(engine.env.client, taskQueue, servicechannel.state, plan, settings.concurrency, async () => {
        // The created events' wave: until ServicePower holds every work order (or the drain's budget is gone).
        while (target.heldCount(plan.workOrderIds) < plan.workOrderIds.length && performance.now() < began + drainBudget) {
          await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
        }
        log.info({ phase: name, dispatched: target.heldCount(plan.workOrderIds), s: round2((performance.now() - began) / 1000) }, 'work orders dispatched; the burst');
      });
      if (fired.errors.length > 0) log.warn({ phase: name, failed: fired.errors.length, first: fired.errors[0] }, 'deliveries failed');
      const drained = await waitForDrain(input, plan, meter, fired.firstAt + drainBudget);
      const resources = sampler.stop();
      const heartbeatsAfter = await settledHeartbeats(engine.metricsUrl);
      const heartbeats = heartbeatsBefore === null || heartbeatsAfter === null ? null : heartbeatsAfter - heartbeatsBefore;
      log.info({ phase: name, drained: drained.ok }, 'fetching histories');
      const actions = await actionFigures(input, plan, heartbeats);
      const sc = servicechannel.state;
      const held = real
        ? (num: string) => {
            const wo = servicepower.state.workOrders.get(num)?.workOrder as { PurchaseOrder?: { Amount?: number }; PlannedStartDate?: string; DispatchStatus?: number } | undefined;
            return wo ? { amount: wo.PurchaseOrder?.Amount ?? null, planned: wo.PlannedStartDate ? Date.parse(wo.PlannedStartDate) : null, dispatchStatus: wo.DispatchStatus ?? null } : undefined;
          }
        : (num: string) => {
            const last = target.last(num);
            return last ? { ...last, dispatchStatus: nullDispatchStatus.get(num) ?? null } : undefined;
          };
      const reads = real ? sc.requests.filter((r) => r.route === 'getWorkOrder').length : meter.count('getServiceChannelWorkOrder');
      const statusWrites = real ? sc.requests.filter((r) => r.route === 'updateStatus').length : meter.count('setServiceChannelStatus');
      // The real phase's work orders only: earlier requests (none: it runs first or alone on the simulator) would count too.
      const check = verifyBurst(plan, sc, target, held, { reads, statusWrites, real });
      const lat = burstLatencies(plan, fired, target);
      const wallMs = Math.max(0, meter.lastAt - fired.firstAt);
      const burstWallMs = Math.max(0, meter.lastAt - fired.burstAt);
      const burstEvents = plan.events.length - plan.firstWave;
      const fireMs = fired.lastAt - fired.burstAt;
      const phase: MobilePhaseFigures = {
        taskQueue,
        workOrders: plan.workOrderIds.length,
        events: plan.events.length,
        deliveries: plan.deliveries.length,
        applied: drained.applied,
        drained: drained.ok,
        deliveryErrors: [...new Set(fired.errors)].slice(0, 5),
        dispatchWaveMs: Math.round(fired.burstAt - fired.firstAt),
        fireMs: Math.round(fireMs),
        deliveriesPerSecond: fireMs > 0 ? round2(((plan.deliveries.length - plan.firstWave) / fireMs) * 1000) : 0,
        wallMs: Math.round(wallMs),
        eventsPerSecond: wallMs > 0 ? round2((drained.applied / wallMs) * 1000) : 0,
        burstWallMs: Math.round(burstWallMs),
        burstEventsPerSecond: burstWallMs > 0 ? round2((burstEvents / burstWallMs) * 1000) : 0,
        ceilingBoundMs: bound,
        latencyMs: {
          signalWithStart: distribution(fired.rpcMs),
          toServicePower: distribution(lat.toHold),
          toDispatch: distribution(lat.toDispatch),
          alreadyHeld: lat.alreadyHeld,
          neverHeld: lat.neverHeld,
        },
        actions,
        serviceChannel: real
          ? {
              requests: sc.requests.length,
              reads,
              statusWrites,
              peakPerMinute: sc.peakRequestsPerMinute(),
              peakAcceptedPerMinute: sc.peakRequestsPerMinute({ acceptedOnly: true }),
              peak10sPerMinute: sc.peakRequestsPerMinute({ windowMs: 10_000 }) * 6,
              ceilingPerMinute: ceiling,
              simulatorLimitPerMinute: sc.perClientPerMinute,
              throttled: sc.throttledRequests,
              logins: sc.logins,
              loginsLimited: sc.loginsLimited,
            }
          : null,
        servicePower: { puts: check.puts, patches: check.patches, deletes: check.deletes },
        check,
        resources,
      };
      return phase;
    });
    phases[name] = figures;
  }
  return {
    bench: 'work-order-burst',
    at: new Date().toISOString(),
    machine: input.machine,
    settings,
    startupMs: input.startupMs,
    totalMs: Math.round(performance.now() - input.began),
    phases,
  };
}

/** Run fn while both workers poll; both are shut down afterwards. */
async function runBoth<T>(worker: Worker, scWorker: Worker, fn: () => Promise<T>): Promise<T> {
  const scRun = scWorker.run();
  try {
    return await worker.runUntil(fn());
  } finally {
    scWorker.shutdown();
    await scRun;
  }
}

/**
 * Drained: one ServiceChannel read per distinct event and one dispatched status per work order have
 * completed (the meter), then every workflow says it is idle with all its events applied (queries).
 */
async function waitForDrain(input: MobileFlowInput, plan: BurstPlan, meter: ActivityMeter, deadline: number): Promise<{ ok: boolean; applied: number }> {
  const expectedPerWo = new Map<number, number>();
  for (const e of plan.events) expectedPerWo.set(e.workOrderId, (expectedPerWo.get(e.workOrderId) ?? 0) + 1);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let lastLog = performance.now();
  while (meter.count('getServiceChannelWorkOrder') < plan.events.length || meter.count('setServiceChannelStatus') < plan.workOrderIds.length) {
    if (performance.now() > deadline) break;
    if (performance.now() - lastLog > 15_000) {
      input.log.info({ read: meter.count('getServiceChannelWorkOrder'), of: plan.events.length }, 'draining');
      lastLog = performance.now();
    }
    await sleep(DRAIN_POLL_MS);
  }
  const client = input.engine.env.client;
  for (;;) {
    let applied = 0;
    let idle = true;
    for (const id of plan.workOrderIds) {
      try {
        const state = await client.workflow.getHandle(workOrderToMobileWorkflowId(id)).query(workOrderMobileStateQuery);
        applied += state.eventsApplied;
        if (state.queued > 0 || state.eventsApplied < expectedPerWo.get(id)!) idle = false;
      } catch {
        idle = false;
      }
    }
    if (idle || performance.now() > deadline) return { ok: idle, applied };
    await sleep(500);
  }
}

/** Actions per event from each work order's history (plus heartbeats), per work order divided by its events. */
async function actionFigures(input: MobileFlowInput, plan: BurstPlan, heartbeats: number | null): Promise<MobilePhaseFigures['actions']> {
  const eventsOf = new Map<number, number>();
  for (const e of plan.events) eventsOf.set(e.workOrderId, (eventsOf.get(e.workOrderId) ?? 0) + 1);
  let signalsRecorded = 0;
  const sums = emptyActionCounts();
  const ratios: number[] = [];
  const historyEvents: number[] = [];
  let total = 0;
  let continuedAsNew = 0;
  let next = 0;
  const ids = plan.workOrderIds;
  const slot = async () => {
    for (;;) {
      const id = ids[next++];
      if (id === undefined) return;
      try {
        const history = await input.engine.env.client.workflow.getHandle(workOrderToMobileWorkflowId(id)).fetchHistory();
        const counts = countActions(history);
        signalsRecorded += (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
        const firstRun = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
        if (firstRun) continuedAsNew += 1;
        for (const kind of ACTION_KINDS) sums[kind] += counts[kind];
        const n = totalActions(counts);
        total += n;
        ratios.push(n / eventsOf.get(id)!);
        historyEvents.push(history.events?.length ?? 0);
      } catch (err) {
        input.log.warn({ err, workOrderId: id }, 'could not fetch the history');
      }
    }
  };
  await Promise.all(Array.from({ length: HISTORY_FETCH_CONCURRENCY }, slot));
  const events = plan.events.length;
  const heartbeatsPerEvent = heartbeats === null ? null : round2(heartbeats / events);
  return {
    perEvent: round2(mean(ratios) + (heartbeatsPerEvent ?? 0)),
    perDelivery: round2((total + (heartbeats ?? 0)) / plan.deliveries.length),
    perWorkOrder: round2(total / Math.max(1, ratios.length)),
    byKindPerEvent: Object.fromEntries(ACTION_KINDS.map((kind) => [kind, round2(sums[kind] / events)])),
    heartbeatsPerEvent,
    historiesFetched: ratios.length,
    continuedAsNew,
    historyEventsPerWorkOrder: round2(mean(historyEvents)),
    deliveriesNotInHistories: plan.deliveries.length - signalsRecorded,
  };
}

// ---------------------------------------------------------------------------------------------
// the null phase's activities

const nullDispatchStatus = new Map<string, number | null>();

/** No-op ServicePower activities of the flow's names and shapes; what "ServicePower" holds is kept in `target`. */
function nullMobileActivities(loadSettings: () => Promise<LoadedMobileSettings>, target: MobileTargetLog): ActivityMap {
  type Doc = { PurchaseOrder?: { Amount?: number }; PlannedStartDate?: string; DispatchStatus?: number };
  const held = new Map<string, { amount: number | null; planned: string | null }>();
  return {
    loadMobileSyncSettings: () => loadSettings(),
    async putMobileWorkOrder({ num, workOrder }: { num: string; workOrder: ServicePowerWorkOrderInput }): Promise<{ created: boolean; warnings: string[] }> {
      const doc = workOrder as Doc;
      const created = !held.has(num);
      const now = { amount: doc.PurchaseOrder?.Amount ?? null, planned: doc.PlannedStartDate ?? null };
      held.set(num, now);
      nullDispatchStatus.set(num, doc.DispatchStatus ?? null);
      target.record(num, 'PUT', now);
      return { created, warnings: [] };
    },
    async patchMobileWorkOrder({ num, patch }: { num: string; patch: ServicePowerWorkOrderPatch }): Promise<PatchOutcome> {
      const doc = patch as Doc;
      const before = held.get(num) ?? { amount: null, planned: null };
      const now = { amount: doc.PurchaseOrder?.Amount ?? before.amount, planned: doc.PlannedStartDate ?? before.planned };
      held.set(num, now);
      if (doc.DispatchStatus !== undefined) nullDispatchStatus.set(num, doc.DispatchStatus);
      target.record(num, 'PATCH', now);
      return { outcome: 'patched', warnings: [] };
    },
    async deleteMobileWorkOrder({ num }: { num: string }): Promise<{ alreadyGone: boolean }> {
      target.record(num, 'DELETE', null);
      return { alreadyGone: false };
    },
    async readMobileWorkOrder(): Promise<MobileWorkOrderRead> {
      return { found: true, gone: false, orderStatus: null, techNote: null, technician: null };
    },
  };
}

/** No-op ServiceChannel activities: the work order as the simulator's state holds it (no HTTP, not counted), writes dropped. */
function nullServiceChannelActivities(servicechannel: ServiceChannelSimulator): ActivityMap {
  return {
    async getServiceChannelWorkOrder({ workOrderId }: { workOrderId: number }) {
      // As the client returns it: the whole location (no GET /locations needed), FieldBridge's flat ids added.
      const { Notes: _notes, CheckIns: _checkIns, ...wo } = servicechannel.state.adminWorkOrder(workOrderId) ?? {};
      return JSON.parse(JSON.stringify(WorkOrderSchema.parse(wo))) as unknown;
    },
    async setServiceChannelStatus() {},
    async addServiceChannelNote() {},
    async checkInServiceChannel() {},
    async checkOutServiceChannel() {},
    async listServiceChannelNotes() {
      return [];
    },
    async listChangedServiceChannelWorkOrdersPage() {
      return { rows: [], next: null };
    },
    async listChangedServiceChannelWorkOrders() {
      return [];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// report

export function mobileReport(result: MobileBenchResult): string {
  const s = result.settings;
  const phases = s.phases.map((name) => ({ title: PHASE_TITLES[name], p: result.phases[name]! }));
  const rows: string[][] = [];
  const add = (label: string, f: (p: MobilePhaseFigures) => string) => rows.push([label, ...phases.map(({ p }) => f(p))]);
  const dist = (label: string, pick: (p: MobilePhaseFigures) => Distribution | null) => {
    for (const k of ['p50', 'p95', 'p99', 'max'] as const) add(`${label} ${k} (ms)`, (p) => fmt(pick(p)?.[k]));
  };
  const sc = (f: (c: NonNullable<MobilePhaseFigures['serviceChannel']>) => string) => (p: MobilePhaseFigures) => (p.serviceChannel ? f(p.serviceChannel) : '-');
  add('work orders / distinct events / deliveries', (p) => `${p.workOrders} / ${p.events} / ${p.deliveries}`);
  add('events applied / expected (drained)', (p) => `${p.applied}/${p.events}${p.drained ? '' : ' NOT DRAINED'}`);
  add('created wave: first delivery -> all in ServicePower (s)', (p) => fmt(p.dispatchWaveMs / 1000, 2));
  add('burst deliveries fired in (s)', (p) => fmt(p.fireMs / 1000, 2));
  add('burst deliveries per second (signal-with-start)', (p) => fmt(p.deliveriesPerSecond));
  add('signal-with-start round trip p50 / p99 (ms)', (p) => `${fmt(p.latencyMs.signalWithStart?.p50)} / ${fmt(p.latencyMs.signalWithStart?.p99)}`);
  add('wall time, first delivery -> last activity (s)', (p) => fmt(p.wallMs / 1000, 2));
  add('  least time at the ServiceChannel ceiling (s)', (p) => fmt(p.ceilingBoundMs === null ? null : p.ceilingBoundMs / 1000, 1));
  add('throughput, all events (events/s)', (p) => fmt(p.eventsPerSecond, 2));
  add('throughput, the burst alone (events/s)', (p) => fmt(p.burstEventsPerSecond, 2));
  dist('event -> ServicePower holds NTE/schedule', (p) => p.latencyMs.toServicePower);
  add('  held before their first delivery (count)', (p) => String(p.latencyMs.alreadyHeld));
  add('  never held (count, must be 0)', (p) => String(p.latencyMs.neverHeld));
  dist('created -> dispatched (PUT)', (p) => p.latencyMs.toDispatch);
  add('actions per event (mean over work orders)', (p) => fmt(p.actions.perEvent, 2));
  for (const kind of ACTION_KINDS) {
    if (phases.every(({ p }) => !p.actions.byKindPerEvent[kind])) continue;
    add(`  ${kind}`, (p) => fmt(p.actions.byKindPerEvent[kind], 2));
  }
  add('  heartbeat (reached the server; not in histories)', (p) => fmt(p.actions.heartbeatsPerEvent, 2));
  add('actions per delivery / per work order', (p) => `${fmt(p.actions.perDelivery, 2)} / ${fmt(p.actions.perWorkOrder, 1)}`);
  add('history events per work order (mean)', (p) => fmt(p.actions.historyEventsPerWorkOrder));
  add('deliveries not recorded as signals (histories)', (p) => String(p.actions.deliveriesNotInHistories));
  add('ServiceChannel requests (reads, status writes)', sc((c) => `${c.requests} (${c.reads}, ${c.statusWrites})`));
  add('ServiceChannel peak requests/min (simulator)', sc((c) => String(c.peakPerMinute)));
  add('  busiest 10 s x 6', sc((c) => String(c.peak10sPerMinute)));
  add('  our ceiling / simulator limit (per min)', sc((c) => `${c.ceilingPerMinute} / ${c.simulatorLimitPerMinute}`));
  add('  throttled requests (should be 0)', sc((c) => String(c.throttled)));
  add('  logins in this process (should be 1)', sc((c) => `${c.logins}${c.loginsLimited ? ` (+${c.loginsLimited} refused)` : ''}`));
  add('ServicePower PUT / PATCH / DELETE', (p) => `${p.servicePower.puts} / ${p.servicePower.patches} / ${p.servicePower.deletes}`);
  add('bench process RSS start / peak / end (MiB)', (p) => `${p.resources.rssMiB.start} / ${p.resources.rssMiB.peak} / ${p.resources.rssMiB.end}`);
  add('bench process CPU, cores busy (mean)', (p) => fmt(p.resources.cpuMs / Math.max(1, p.wallMs), 2));
  add('dev server RSS peak (MiB)', (p) => fmt(p.resources.devServer?.rssPeakMiB));
  add('dev server CPU, cores busy (mean)', (p) => fmt(p.resources.devServer ? p.resources.devServer.cpuMs / Math.max(1, p.wallMs) : null, 2));
  const out = [
    ...reportHeader(
      'FieldBridge work order burst benchmark (ServiceChannel work order -> ServicePower mobile work order)',
      result.machine,
      `N=${s.n} work orders created and dispatched, then ${s.burst} distinct events in all (the N created + NTE/schedule/status changes) x ${s.copies} deliveries, shuffled, ` +
        `${s.concurrency} in flight; ServiceChannel ceiling ${s.ceilingPerMinute}/min (null phase: ${NULL_CEILING_PER_MINUTE}/min)`,
      result.startupMs,
    ),
    table(rows, ['', ...phases.map(({ title }) => title)]),
    '',
  ];
  for (const name of s.phases) {
    const p = result.phases[name]!;
    out.push(`  ${name} check: ${describeCheck(p.check)}`);
    if (p.deliveryErrors.length > 0) out.push(`  ${name} delivery errors: ${p.deliveryErrors.join(' | ')}`);
    if (p.actions.continuedAsNew > 0) out.push(`  ${name}: ${p.actions.continuedAsNew} work orders continued as new; only their latest run's actions are counted`);
  }
  out.push(
    `  work orders ${mobileNumberOf(firstIdOf(1))}... (real), ${mobileNumberOf(firstIdOf(2))}... (null); events/s = distinct events applied / (first delivery -> last activity); nothing here is asserted`,
    '',
  );
  return `${out.join('\n')}\n`;
}
