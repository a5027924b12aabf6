/**
 * The work order burst of the dispatch flow (ServiceChannel work order -> ServicePower mobile work
 * order), shared by the benchmark (bench/mobile-flow.ts) and its small version in the test suite
 * (test/workflows/work-order-burst.test.ts):
 *
 * - planBurst: N work orders and a sequence of distinct ServiceChannel events over them (first each
 *   work order's WorkOrderCreated, then NTE, scheduled date and status changes at random work
 *   orders), every event delivered `copies` times. Two waves: first one delivery of each
 *   WorkOrderCreated (the work orders are created and dispatched), then the burst: every other
 *   delivery (the created events' redeliveries, every change `copies` times), shuffled. NTE values
 *   and scheduled dates only grow per work order, so "ServicePower holds this change (or a later
 *   one)" is a comparison.
 * - fireBurst: apply each change to the ServiceChannel simulator (without its webhook) just before
 *   its first delivery (a webhook never arrives before the change it announces), deliver as the
 *   receiver does (startWorkOrderToMobile: signal-with-start), as fast as the client allows with
 *   `concurrency` deliveries in flight, waiting between the waves for whatever the caller says
 *   (the dispatch of every work order); the first delivery time of every event is kept for
 *   latencies.
 * - MobileTargetLog: what ServicePower held when (a wrapped simulator, or the null phase's no-op
 *   activities), for latencies and the exactly-once check.
 * - verifyBurst: after the drain, each work order PUT once, its NTE and schedule equal to
 *   ServiceChannel's, equal to its last event's value, no event applied twice.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { startWorkOrderToMobile } from '../common/starters';
import { DEMO_LOCATION_IDS, DEMO_SUBSCRIBER_IDS } from '../connectors/servicechannel/demo-data';
import { DISPATCHED_NOTE_KEY, markKeyOf } from '../mappings/work-order-to-mobile';
import type { ServiceChannelState } from '../connectors/servicechannel/simulator';
import type { WorkOrderInput } from '../connectors/servicechannel/simulator-state';
import type { ServicePowerSimulator } from '../connectors/servicepower/simulator';

export type BurstEventType = 'WorkOrderCreated' | 'WorkOrderNteChanged' | 'WorkOrderScheduledDateChanged' | 'WorkOrderStatusChanged';

export interface BurstEvent {
  /** Position in the sequence of changes (ServiceChannel's order). */
  seq: number;
  workOrderId: number;
  eventId: string;
  eventType: BurstEventType;
  nte?: number;
  scheduledDate?: string;
  status?: { Primary: 'OPEN' | 'IN PROGRESS' | 'ON HOLD'; Extended: string | null };
}

export interface BurstPlan {
  workOrderIds: number[];
  /** Distinct events, in the order the changes happen in ServiceChannel. */
  events: BurstEvent[];
  /** Deliveries in firing order: indexes into `events` (each event `copies` times). */
  deliveries: number[];
  /** The first `firstWave` deliveries are one WorkOrderCreated per work order; the rest is the burst. */
  firstWave: number;
  copies: number;
}

export const BASE_NTE = 500;
export const NTE_STEP = 25;
export const BASE_SCHEDULE = Date.parse('2026-01-07T14:00:00.000Z');
const HOUR = 3600_000;
const STATUSES: Array<NonNullable<BurstEvent['status']>> = [
  { Primary: 'ON HOLD', Extended: 'PARTS ON ORDER' },
  { Primary: 'IN PROGRESS', Extended: 'DISPATCHED' },
  { Primary: 'IN PROGRESS', Extended: 'ON SITE' },
];

/** The ServicePower number FieldBridge gives a bench work order (prefix SC, number = id). */
export const mobileNumberOf = (workOrderId: number) => `SC${workOrderId}`;

/** A small deterministic PRNG (mulberry32): the same seed, the same burst. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `workOrders` work orders from `firstId`, `events` distinct events in all (the first `workOrders`
 * are the WorkOrderCreated events; the rest 40 % NTE, 40 % scheduled date, 20 % status), each
 * delivered `copies` times, shuffled.
 */
export function planBurst(opts: { firstId: number; workOrders: number; events: number; copies: number; seed?: number; tag?: string }): BurstPlan {
  if (opts.events < opts.workOrders) throw new Error(`a burst of ${opts.events} events cannot create ${opts.workOrders} work orders`);
  const random = prng(opts.seed ?? 20261123);
  const tag = opts.tag ?? 'bench';
  const workOrderIds = Array.from({ length: opts.workOrders }, (_, i) => opts.firstId + i);
  const events: BurstEvent[] = [];
  const counts = new Map<number, { nte: number; schedule: number; status: number }>();
  for (const id of workOrderIds) {
    counts.set(id, { nte: 0, schedule: 0, status: 0 });
    events.push({ seq: events.length, workOrderId: id, eventId: `${tag}:${id}:created`, eventType: 'WorkOrderCreated' });
  }
  while (events.length < opts.events) {
    const id = workOrderIds[Math.floor(random() * workOrderIds.length)]!;
    const c = counts.get(id)!;
    const r = random();
    const seq = events.length;
    if (r < 0.4) {
      c.nte += 1;
      events.push({ seq, workOrderId: id, eventId: `${tag}:${id}:nte:${c.nte}`, eventType: 'WorkOrderNteChanged', nte: BASE_NTE + NTE_STEP * c.nte });
    } else if (r < 0.8) {
      c.schedule += 1;
      events.push({ seq, workOrderId: id, eventId: `${tag}:${id}:schedule:${c.schedule}`, eventType: 'WorkOrderScheduledDateChanged', scheduledDate: new Date(BASE_SCHEDULE + c.schedule * HOUR).toISOString() });
    } else {
      c.status += 1;
      events.push({ seq, workOrderId: id, eventId: `${tag}:${id}:status:${c.status}`, eventType: 'WorkOrderStatusChanged', status: STATUSES[c.status % STATUSES.length] });
    }
  }
  const created = events.filter((e) => e.eventType === 'WorkOrderCreated').map((e) => e.seq);
  const keyed: Array<{ key: number; index: number }> = [];
  for (const e of events) {
    const copies = e.eventType === 'WorkOrderCreated' ? opts.copies - 1 : opts.copies;
    for (let k = 0; k < copies; k += 1) keyed.push({ key: random(), index: e.seq });
  }
  keyed.sort((a, b) => a.key - b.key);
  return { workOrderIds, events, deliveries: [...created, ...keyed.map((d) => d.index)], firstWave: created.length, copies: opts.copies };
}

/** The ServiceChannel work order a burst creates (Northwind Raleigh, HVAC, scheduled: dispatchable to tech.alvarez). */
export function burstWorkOrder(id: number): WorkOrderInput {
  return {
    Id: id,
    Number: String(id),
    SubscriberId: DEMO_SUBSCRIBER_IDS.northwind,
    LocationId: DEMO_LOCATION_IDS.northwindRaleigh,
    PurchaseNumber: `PO-${id}`,
    Priority: 'P2 - 24 Hours',
    Trade: 'HVAC',
    Category: 'REPAIR',
    ProblemCode: 'NO COOLING',
    ScheduledDate: new Date(BASE_SCHEDULE).toISOString(),
    Nte: BASE_NTE,
    Description: 'Rooftop unit not cooling (bench burst)',
    Caller: 'Dana Whitfield (store manager)',
  };
}

/** Apply one event's change to the ServiceChannel simulator, without its webhook (the burst delivers it). */
export function applyChange(sc: ServiceChannelState, e: BurstEvent): void {
  if (e.eventType === 'WorkOrderCreated') sc.createWorkOrder(burstWorkOrder(e.workOrderId), { notify: false });
  else if (e.nte !== undefined) sc.patchWorkOrder(e.workOrderId, { Nte: e.nte }, { notify: false });
  else if (e.scheduledDate !== undefined) sc.patchWorkOrder(e.workOrderId, { ScheduledDate: e.scheduledDate }, { notify: false });
  else if (e.status) sc.patchWorkOrder(e.workOrderId, { Status: e.status }, { notify: false });
}

export interface FiredBurst {
  /** performance.now() of each event's first delivery (by seq). */
  firstDeliveredAt: number[];
  firstAt: number;
  /** When the burst (second wave) began, after the first wave was dispatched. */
  burstAt: number;
  lastAt: number;
  /** signal-with-start round trips (ms). */
  rpcMs: number[];
  errors: string[];
}

/**
 * Fire the plan: the created events, then `betweenWaves` (e.g. wait until every work order is
 * dispatched), then the burst; changes applied in sequence just before they are needed.
 */
export async function fireBurst(
  client: Client,
  taskQueue: string,
  sc: ServiceChannelState,
  plan: BurstPlan,
  concurrency: number,
  betweenWaves: () => Promise<void> = async () => undefined,
): Promise<FiredBurst> {
  const firstDeliveredAt: number[] = new Array(plan.events.length).fill(Number.NaN);
  const rpcMs: number[] = [];
  const errors: string[] = [];
  let applied = 0;
  let next = 0;
  let end = plan.firstWave;
  const firstAt = performance.now();
  const slot = async () => {
    for (;;) {
      if (next >= end) return; // not next++ first: the burst wave goes on from here
      const d = next++;
      const e = plan.events[plan.deliveries[d]!]!;
      while (applied <= e.seq) applyChange(sc, plan.events[applied++]!);
      const at = performance.now();
      if (Number.isNaN(firstDeliveredAt[e.seq]!)) firstDeliveredAt[e.seq] = at;
      try {
        await startWorkOrderToMobile(client, taskQueue, e.workOrderId, { eventId: e.eventId, eventType: e.eventType, source: 'webhook' });
        rpcMs.push(performance.now() - at);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  const wave = async () => Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, end - next)) }, slot));
  await wave();
  await betweenWaves();
  const burstAt = performance.now();
  end = plan.deliveries.length;
  await wave();
  return { firstDeliveredAt, firstAt, burstAt, lastAt: performance.now(), rpcMs, errors };
}

// ---------------------------------------------------------------------------------------------
// what ServicePower held when

interface Held {
  at: number;
  amount: number | null;
  planned: number | null;
}

/** Every write to ServicePower (PUT, PATCH) per work order number, and what it held after each. */
export class MobileTargetLog {
  readonly puts = new Map<string, number>();
  readonly patches = new Map<string, number>();
  readonly deletes = new Map<string, number>();
  private readonly timeline = new Map<string, Held[]>();

  record(num: string, method: 'PUT' | 'PATCH' | 'DELETE', held: { amount?: number | null; planned?: string | null } | null, at = performance.now()): void {
    const counts = method === 'PUT' ? this.puts : method === 'PATCH' ? this.patches : this.deletes;
    counts.set(num, (counts.get(num) ?? 0) + 1);
    if (!held) return;
    const list = this.timeline.get(num) ?? [];
    list.push({ at, amount: held.amount ?? null, planned: held.planned ? Date.parse(held.planned) : null });
    this.timeline.set(num, list);
  }

  /** When ServicePower first held the work order. */
  firstHeldAt(num: string): number | undefined {
    return this.timeline.get(num)?.[0]?.at;
  }

  /** When ServicePower first held this NTE (or a later, higher one) / this scheduled date (or a later one). */
  heldAt(num: string, e: BurstEvent): number | undefined {
    for (const h of this.timeline.get(num) ?? []) {
      if (e.nte !== undefined && h.amount !== null && h.amount >= e.nte) return h.at;
      if (e.scheduledDate !== undefined && h.planned !== null && h.planned >= Date.parse(e.scheduledDate)) return h.at;
    }
    return undefined;
  }

  /** Work orders ServicePower holds (PUT at least once) out of these. */
  heldCount(workOrderIds: number[]): number {
    return workOrderIds.filter((id) => this.timeline.has(mobileNumberOf(id))).length;
  }

  /** What ServicePower holds last. */
  last(num: string): { amount: number | null; planned: number | null } | undefined {
    const list = this.timeline.get(num);
    return list?.[list.length - 1];
  }
}

type Doc = { PurchaseOrder?: { Amount?: number }; PlannedStartDate?: string };
const heldOf = (doc: Doc | undefined) => (doc ? { amount: doc.PurchaseOrder?.Amount ?? null, planned: doc.PlannedStartDate ?? null } : null);

/** Record every PUT and PATCH the ServicePower simulator applies (its state's methods, in this process). */
export function watchServicePower(sp: ServicePowerSimulator, log: MobileTargetLog): void {
  const state = sp.state;
  const put = state.put.bind(state);
  const patch = state.patch.bind(state);
  state.put = (num, body) => {
    const outcome = put(num, body);
    log.record(num, 'PUT', heldOf(state.workOrders.get(num)?.workOrder as Doc | undefined));
    return outcome;
  };
  state.patch = (num, body) => {
    const outcome = patch(num, body);
    log.record(num, 'PATCH', heldOf(state.workOrders.get(num)?.workOrder as Doc | undefined));
    return outcome;
  };
}

// ---------------------------------------------------------------------------------------------
// latencies and the check after the drain

/** Latencies (ms) from each event's first delivery to ServicePower holding its change; 0 when it already did. */
export function burstLatencies(plan: BurstPlan, fired: FiredBurst, target: MobileTargetLog) {
  const toHold: number[] = [];
  const toDispatch: number[] = [];
  let alreadyHeld = 0;
  let neverHeld = 0;
  for (const e of plan.events) {
    const delivered = fired.firstDeliveredAt[e.seq]!;
    if (Number.isNaN(delivered)) continue;
    const num = mobileNumberOf(e.workOrderId);
    const at = e.eventType === 'WorkOrderCreated' ? target.firstHeldAt(num) : e.nte !== undefined || e.scheduledDate !== undefined ? target.heldAt(num, e) : null;
    if (at === null) continue; // a status change: nothing for ServicePower
    if (at === undefined) {
      neverHeld += 1;
      continue;
    }
    if (at < delivered) alreadyHeld += 1;
    (e.eventType === 'WorkOrderCreated' ? toDispatch : toHold).push(Math.max(0, at - delivered));
  }
  return { toHold, toDispatch, alreadyHeld, neverHeld };
}

export interface BurstCheck {
  workOrders: number;
  /** Work orders with exactly one PUT to ServicePower. */
  putOnce: number;
  /** ... whose ServicePower NTE / schedule equals ServiceChannel's, which equals the last event's value. */
  nteRight: number;
  scheduleRight: number;
  dispatched: number;
  puts: number;
  patches: number;
  deletes: number;
  /** NTE and schedule events: at most one PATCH each (no duplicate application). */
  patchableEvents: number;
  workOrdersOverPatched: number;
  /** Distinct events vs. ServiceChannel reads of the work order (one per applied event). */
  events: number;
  deliveries: number;
  serviceChannelReads: number;
  /** Reads expected: one per distinct event, plus the status write's own read per work order (real simulator). */
  expectedReads: number;
  serviceChannelStatusWrites: number;
  /** Work orders whose dispatched note ServiceChannel holds exactly once (real simulator; null activities: every work order). */
  dispatchedNoteOnce: number;
  ok: boolean;
}

/**
 * After the drain: each work order PUT once and dispatched, its NTE and schedule in ServicePower
 * equal to ServiceChannel's and to its last event's value, no more PATCHes than NTE/schedule
 * events, one ServiceChannel read per distinct event (duplicates applied never), and each work
 * order's dispatched status reported once. Against the real simulator the status write reads the work
 * order first and PUTs only when ServiceChannel does not already hold the status (a status event of the
 * burst may have set it), its note keyed so it lands once: one more read per work order, at most one
 * PUT, exactly one dispatched note. With null activities: one status-write activity per work order.
 */
export function verifyBurst(
  plan: BurstPlan,
  sc: ServiceChannelState,
  target: MobileTargetLog,
  held: (num: string) => { amount: number | null; planned: number | null; dispatchStatus: number | null } | undefined,
  serviceChannel: { reads: number; statusWrites: number; real: boolean },
): BurstCheck {
  const last = new Map<number, { nte: number; schedule: number; patchable: number }>();
  for (const id of plan.workOrderIds) last.set(id, { nte: BASE_NTE, schedule: BASE_SCHEDULE, patchable: 0 });
  for (const e of plan.events) {
    const l = last.get(e.workOrderId)!;
    if (e.nte !== undefined) [l.nte, l.patchable] = [e.nte, l.patchable + 1];
    if (e.scheduledDate !== undefined) [l.schedule, l.patchable] = [Date.parse(e.scheduledDate), l.patchable + 1];
  }
  const check: BurstCheck = {
    workOrders: plan.workOrderIds.length,
    putOnce: 0,
    nteRight: 0,
    scheduleRight: 0,
    dispatched: 0,
    puts: 0,
    patches: 0,
    deletes: 0,
    patchableEvents: 0,
    workOrdersOverPatched: 0,
    events: plan.events.length,
    deliveries: plan.deliveries.length,
    serviceChannelReads: serviceChannel.reads,
    expectedReads: plan.events.length + (serviceChannel.real ? plan.workOrderIds.length : 0),
    serviceChannelStatusWrites: serviceChannel.statusWrites,
    dispatchedNoteOnce: 0,
    ok: false,
  };
  for (const id of plan.workOrderIds) {
    const num = mobileNumberOf(id);
    const expected = last.get(id)!;
    const puts = target.puts.get(num) ?? 0;
    const patches = target.patches.get(num) ?? 0;
    check.puts += puts;
    check.patches += patches;
    check.deletes += target.deletes.get(num) ?? 0;
    check.patchableEvents += expected.patchable;
    if (puts === 1) check.putOnce += 1;
    if (patches > expected.patchable) check.workOrdersOverPatched += 1;
    const scWo = sc.adminWorkOrder(id);
    const sp = held(num);
    if (sp?.dispatchStatus === 3) check.dispatched += 1;
    const dispatchedNotes = (scWo?.Notes ?? []).filter((note) => markKeyOf((note as { NoteData?: string }).NoteData) === DISPATCHED_NOTE_KEY).length;
    if (!serviceChannel.real || dispatchedNotes === 1) check.dispatchedNoteOnce += 1;
    if (scWo && sp && scWo.Nte === expected.nte && sp.amount === scWo.Nte) check.nteRight += 1;
    const scSchedule = scWo?.ScheduledDate ? Date.parse(scWo.ScheduledDate) : null;
    if (sp && scSchedule === expected.schedule && sp.planned === scSchedule) check.scheduleRight += 1;
  }
  const n = check.workOrders;
  check.ok =
    check.putOnce === n &&
    check.dispatched === n &&
    check.nteRight === n &&
    check.scheduleRight === n &&
    check.deletes === 0 &&
    check.workOrdersOverPatched === 0 &&
    check.serviceChannelReads === check.expectedReads &&
    check.dispatchedNoteOnce === n &&
    (serviceChannel.real ? check.serviceChannelStatusWrites <= n : check.serviceChannelStatusWrites === n);
  return check;
}

export function describeCheck(c: BurstCheck): string {
  return (
    `${c.putOnce}/${c.workOrders} work orders PUT once, ${c.dispatched}/${c.workOrders} dispatched (DispatchStatus 3), ` +
    `NTE right ${c.nteRight}/${c.workOrders}, schedule right ${c.scheduleRight}/${c.workOrders} (ServicePower = ServiceChannel = last event); ` +
    `${c.patches} PATCHes for ${c.patchableEvents} NTE/schedule events (${c.workOrdersOverPatched} work orders over), ${c.deletes} DELETEs; ` +
    `ServiceChannel reads ${c.serviceChannelReads} (expected ${c.expectedReads}) for ${c.events} distinct events (${c.deliveries} deliveries), ` +
    `status writes ${c.serviceChannelStatusWrites}, dispatched note once ${c.dispatchedNoteOnce}/${c.workOrders}: ${c.ok ? 'OK' : 'MISMATCH'}`
  );
}
