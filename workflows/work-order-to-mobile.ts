/**
 * ServiceChannel work order -> ServicePower mobile work order, and the field's status back (seeds 003
 * and 004; command sequence 2). One long-lived workflow per
 * ServiceChannel work order, started by its first event (signal-with-start, common/starters.ts) and fed
 * the later ones as signals. Runs started without an input `version` run the first sequence
 * (./work-order-to-mobile-v1.ts) until they continue-as-new.
 *
 *   queue every event (ServiceChannel's, the field's, the re-read timer's) and apply them one at a
 *   time, in arrival order; an event id already seen is ignored
 *   - ServiceChannel event: read the work order, map it (mappings/work-order-to-mobile.ts; the mobile
 *     number is prefix + the work order Id, unique across subscribers)
 *       first time: start from what the two systems hold: an existing ServicePower work order (a
 *                   earlier run dispatched it) is adopted, only what differs is PATCHed, and what
 *                   ServiceChannel already heard (FieldBridge's keyed notes) is not said again; else PUT
 *                   it, then the dispatched status, only forward (a cancellation made meanwhile wins)
 *       later:      PATCH only what changed since the document last sent (empty: nothing sent)
 *       cancelled, or completed/invoiced by the subscriber while the technician still has it: DELETE
 *   - the field moved (ServicePower notification, or the re-read every rereadIntervalMs while open):
 *     every transition of the OrderStatus (a second visit, a second rejection included) is reported:
 *     check-in, check-out, status and note. Every ServiceChannel write reads first (activities): a
 *     repeated write (lost answer, retry, new run) finds itself there and is not made twice
 *   - ServiceChannel refuses for good (a permission not granted): kept, status `waiting`; a `recheck`
 *     signal tries again (an error then keeps the write for the next recheck)
 *   - a client's note: copied into the mobile work order's Notes once
 *   - a work order whose data cannot be dispatched (no address) waits, re-read every rereadIntervalMs,
 *     and fails after problemDeadlineMs naming the work order and what is missing
 *   - ServiceChannel says the work order does not exist: a second read must say so too; only then is
 *     the mobile work order deleted and the workflow FAILS (SourceRecordNotFound). A 404 that is not
 *     ServiceChannel's own answer is retried by the activity, never acted on.
 *   - ends when the work order is final on both sides
 *
 * Continue-as-new after maxEventsPerRun events, or when the history reaches maxHistoryLength events or
 * Temporal suggests it (re-reads of a quiet work order grow it too), carrying the state, the queue and
 * a pending recheck.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { WorkOrderToMobileActivities } from '../activities/work-order-to-mobile';
import { PermanentErrorTypes } from '../common/errors';
import { TargetCodeKey } from '../common/search-attributes';
import { buildWorkOrderPatch, isEmptyPatch } from '../connectors/servicepower/patch';
import {
  dispatchedNote,
  DISPATCHED_NOTE_KEY,
  fieldNoteKey,
  fieldStatusActions,
  FINAL_ORDER_STATUSES,
  FINAL_SC_STATUSES,
  isCancelledInServiceChannel,
  keyActions,
  lastFieldReport,
  markKeyOf,
  mapWorkOrderToMobile,
  mobileNoteId,
  mobileWorkOrderNumFor,
  notesToSend,
  type ServiceChannelAction,
} from '../mappings/work-order-to-mobile';
import { serviceChannelTaskQueue } from '../common/task-queues';
import {
  mobileStatusChangedSignal,
  recheckSignal,
  serviceChannelEventSignal,
  syncStateQuery,
  WORK_ORDER_TO_MOBILE_VERSION,
  type ServiceChannelEvent,
  type SyncState,
  type WorkOrderToMobileInput,
  type WorkOrderToMobileResult,
} from './definitions';
import { innermostMessage } from './failures';
import {
  describeItem as describeV1Item,
  MAX_EVENTS_PER_RUN,
  markRefused,
  retry,
  SEEN_EVENTS_KEPT,
  serviceChannelNotFound,
  setStatus,
  workOrderMobileStateQuery,
  workOrderToMobileV1,
  type Ctx as V1Ctx,
  type MobileCarry,
  type MobileStep,
  type QueueItem as V1QueueItem,
  type WorkOrderMobileState,
} from './work-order-to-mobile-v1';

export { workOrderMobileStateQuery, type MobileCarry, type MobileStep, type RefusedWrite, type WorkOrderMobileState } from './work-order-to-mobile-v1';

/** ServicePower calls and the settings: idempotent (PUT, PATCH of a diff, DELETE, GET); retried for up to a day. */
const { loadMobileSyncSettings, putMobileWorkOrder, patchMobileWorkOrder, deleteMobileWorkOrder, readMobileWorkOrder } = proxyActivities<WorkOrderToMobileActivities>({
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '24h',
  retry,
});

const MAX_HISTORY_LENGTH = 5_000;
const PROBLEM_DEADLINE_MS = 7 * 24 * 3_600_000;

/** What the ServiceChannel write activities answer (runs of version 2 read them; older ones ignore them). */
interface WriteResult {
  written?: boolean;
  current?: { primary: string; extended: string | null };
}

/** What sequence 2 carries over continue-as-new, on top of the first sequence's state. */
export interface MobileCarryV2 extends MobileCarry {
  /** Field transitions reported so far (the n of the `f<n>-<OrderStatus>` note keys). */
  fieldSeq?: number;
  /** Closed in the field and told to ServiceChannel. */
  closed?: boolean;
  /** A recheck asked for and not yet done when the run rolled over. */
  recheckPending?: boolean;
  /** When the work order started waiting on a problem of its data (null: not waiting). */
  problemSince?: string | null;
  /** A fresh chain looked for a work order an earlier chain dispatched (done once). */
  adoptionChecked?: boolean;
  /** How the chain ended, when it ended by a ServiceChannel status rather than the field. */
  endedBy?: string | null;
}

type QueueItem = V1QueueItem | { kind: 'problem-recheck' };

interface Ctx2 extends V1Ctx {
  carry: MobileCarryV2;
  problemDeadlineMs: number;
}

export async function workOrderToMobile(input: WorkOrderToMobileInput): Promise<WorkOrderToMobileResult> {
  if ((input.version ?? 1) < 2) return workOrderToMobileV1(input);
  const { workOrderId } = input;
  const maxEvents = input.maxEventsPerRun ?? MAX_EVENTS_PER_RUN;
  const carry: MobileCarryV2 = (input.carried as MobileCarryV2 | undefined) ?? {
    workOrderNum: null,
    lastSent: null,
    dispatchUTC: null,
    lastUpdatedDate: null,
    deleted: false,
    cancelled: false,
    orderStatus: null,
    fieldStatusesApplied: [],
    checkedIn: false,
    refused: [],
    pending: [],
    eventsApplied: 0,
    notesSent: [],
    fieldSeq: 0,
    closed: false,
    recheckPending: false,
    problemSince: null,
    adoptionChecked: false,
    endedBy: null,
  };
  carry.notesSent ??= [];
  carry.fieldSeq ??= carry.fieldStatusesApplied.length;
  carry.closed ??= carry.fieldStatusesApplied.some((s) => FINAL_ORDER_STATUSES.includes(s));
  // A chain carried from the first sequence already dispatched (or knew there was nothing to): no adoption.
  carry.adoptionChecked ??= true;
  carry.problemSince ??= null;
  const seen = new Set(input.appliedEventIds ?? []);
  const queue: QueueItem[] = [...(carry.pending as QueueItem[])];
  const wake = { recheck: carry.recheckPending ?? false };
  const state = { step: 'starting' as MobileStep, status: 'running' as WorkOrderMobileState['status'], lastError: null as string | null, waitingOn: [] as string[] };

  setHandler(workOrderMobileStateQuery, (): WorkOrderMobileState => ({
    step: state.step,
    status: state.status,
    workOrderId,
    workOrderNum: carry.workOrderNum,
    orderStatus: carry.orderStatus,
    fieldStatusesApplied: [...carry.fieldStatusesApplied],
    eventsApplied: carry.eventsApplied,
    queued: queue.length,
    deleted: carry.deleted,
    refused: carry.refused.map((r) => ({ ...r })),
    lastError: state.lastError,
    waitingOn: [...state.waitingOn],
  }));
  setHandler(syncStateQuery, (): SyncState => ({
    step: state.step === 'done' ? 'done' : 'upserting',
    status: state.status,
    passes: carry.eventsApplied,
    pendingChanges: queue.length,
    targetCode: carry.workOrderNum,
    lastError: state.lastError,
    waitingOn: [...state.waitingOn],
  }));
  setHandler(serviceChannelEventSignal, (event) => {
    if (seen.has(event.eventId)) {
      log.info('duplicate ServiceChannel event ignored', { workOrderId, eventId: event.eventId });
      return;
    }
    seen.add(event.eventId);
    queue.push({ kind: 'servicechannel', event });
  });
  setHandler(mobileStatusChangedSignal, (change) => {
    if (seen.has(change.eventId)) {
      log.info('duplicate field status ignored', { workOrderId, eventId: change.eventId });
      return;
    }
    seen.add(change.eventId);
    queue.push({ kind: 'field', change });
  });
  setHandler(recheckSignal, (request) => {
    log.info('recheck requested', { workOrderId, reason: request?.reason });
    wake.recheck = true;
  });

  const settings = await loadMobileSyncSettings();
  const maxHistory = input.maxHistoryLength ?? settings.maxHistoryEvents ?? MAX_HISTORY_LENGTH;
  const sc = proxyActivities<V1Ctx['sc']>({
    taskQueue: serviceChannelTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '60s',
    scheduleToCloseTimeout: '24h',
    retry,
  }) as V1Ctx['sc'];
  const ctx: Ctx2 = { workOrderId, carry, state, settings, sc, problemDeadlineMs: input.problemDeadlineMs ?? PROBLEM_DEADLINE_MS };
  if (carry.refused.length > 0) markRefused(ctx);

  let runEvents = 0;
  for (;;) {
    if (isFinal(carry) && queue.length === 0 && !wake.recheck) break;
    const info = workflowInfo();
    if (runEvents >= maxEvents || info.historyLength >= maxHistory || info.continueAsNewSuggested) {
      log.info('rolling the history over', { workOrderId, runEvents, historyLength: info.historyLength, suggested: info.continueAsNewSuggested });
      await continueAsNew<typeof workOrderToMobile>({
        workOrderId,
        appliedEventIds: [...seen].slice(-SEEN_EVENTS_KEPT),
        carried: { ...carry, pending: [...queue], recheckPending: wake.recheck },
        ...(input.maxEventsPerRun !== undefined ? { maxEventsPerRun: input.maxEventsPerRun } : {}),
        ...(input.maxHistoryLength !== undefined ? { maxHistoryLength: input.maxHistoryLength } : {}),
        ...(input.problemDeadlineMs !== undefined ? { problemDeadlineMs: input.problemDeadlineMs } : {}),
        version: WORK_ORDER_TO_MOBILE_VERSION,
      });
    }
    state.step = 'idle';
    const open = carry.workOrderNum !== null && !carry.deleted && !carry.closed;
    const waitingOnProblem = carry.problemSince !== null && carry.workOrderNum === null && !carry.deleted;
    const ready = () => queue.length > 0 || wake.recheck;
    const woke = open || waitingOnProblem ? await condition(ready, settings.rereadIntervalMs) : (await condition(ready), true);
    if (!woke) queue.push(open ? { kind: 'reread' } : { kind: 'problem-recheck' });
    if (wake.recheck) {
      wake.recheck = false;
      await retryRefused(ctx);
      if (queue.length === 0) continue;
    }
    const item = queue.shift()!;
    try {
      await applyItem(ctx, item);
    } catch (err) {
      await failedItem(ctx, item, err);
    }
    if (item.kind !== 'reread' && item.kind !== 'problem-recheck') carry.eventsApplied += 1;
    runEvents += 1;
  }
  state.step = 'done';
  const outcome = carry.endedBy
    ? carry.endedBy
    : carry.cancelled
      ? 'cancelled in ServiceChannel: mobile work order deleted'
      : carry.deleted
        ? carry.workOrderNum
          ? 'deleted in ServicePower'
          : 'final in ServiceChannel before dispatch: nothing sent'
        : `closed in the field (OrderStatus ${carry.orderStatus})`;
  setStatus(state, 'completed', carry.workOrderNum ? [{ key: TargetCodeKey, value: carry.workOrderNum }] : [], []);
  log.info('work order finished', { workOrderId, workOrderNum: carry.workOrderNum, outcome });
  return { workOrderId, workOrderNum: carry.workOrderNum, outcome, eventsApplied: carry.eventsApplied };
}

/** Final on both sides: gone from ServicePower (or closed there and told to ServiceChannel), no refused write outstanding. */
function isFinal(carry: MobileCarryV2): boolean {
  return (carry.deleted || carry.closed === true) && carry.refused.length === 0;
}

function describeItem(item: QueueItem): string {
  return item.kind === 'problem-recheck' ? 'recheck of the work order data' : describeV1Item(item);
}

/**
 * An item that could not be applied. ServiceChannel saying the work order does not exist is believed
 * only when a second read says so too; anything else is recorded (status failed, lastError) and the
 * workflow goes on with the next item (the re-read and later events try again).
 */
async function failedItem(ctx: Ctx2, item: QueueItem, err: unknown): Promise<void> {
  const { state, workOrderId } = ctx;
  const notFound = serviceChannelNotFound(err);
  if (notFound !== null && (await confirmedGone(ctx))) await endNotFound(ctx, notFound);
  if (err instanceof ApplicationFailure && err.type === PermanentErrorTypes.MissingRequiredFields && ctx.carry.problemSince !== null) throw err;
  state.lastError = innermostMessage(err);
  log.error('event could not be applied', { workOrderId, item: describeItem(item), error: state.lastError });
  if (state.status === 'running') setStatus(state, 'failed', [], []);
}

/** A second read of the work order: true only when ServiceChannel again says it does not exist. */
async function confirmedGone(ctx: Ctx2): Promise<boolean> {
  try {
    await ctx.sc.getServiceChannelWorkOrder({ workOrderId: ctx.workOrderId });
    log.warn('ServiceChannel answered "not found" once, but the work order reads: nothing deleted', { workOrderId: ctx.workOrderId });
    return false;
  } catch (err) {
    return serviceChannelNotFound(err) !== null;
  }
}

async function applyItem(ctx: Ctx2, item: QueueItem): Promise<void> {
  if (item.kind === 'servicechannel') return applyServiceChannelEvent(ctx, item.event);
  if (item.kind === 'field') return applyFieldStatus(ctx, item.change.orderStatus, item.change.note ?? null, null);
  if (item.kind === 'problem-recheck') return applyWorkOrderChange(ctx, { eventId: `problem-recheck`, eventType: 'Recheck', source: 'cli' });
  return reread(ctx);
}

async function applyServiceChannelEvent(ctx: Ctx2, event: ServiceChannelEvent): Promise<void> {
  await applyWorkOrderChange(ctx, event);
  const { carry } = ctx;
  // An operator's retry (`fieldbridge retry`) also re-reads the field: a field status whose report
  // failed is reported again, and what of it already landed is found there (the writes read first).
  if (event.eventType === 'OperatorRetry') await reread(ctx);
  if ((event.eventType === 'WorkOrderNoteAdded' || event.source === 'reconcile') && carry.workOrderNum && !carry.deleted && !carry.closed) {
    await copyNotes(ctx);
  }
}

async function copyNotes(ctx: Ctx2): Promise<void> {
  const { carry, state, workOrderId } = ctx;
  state.step = 'loading';
  const notes = await ctx.sc.listServiceChannelNotes({ workOrderId });
  const { ids, entries } = notesToSend(notes, carry.notesSent ?? []);
  if (ids.length === 0) return;
  state.step = 'patching';
  const result = await patchMobileWorkOrder({ num: carry.workOrderNum!, patch: { Notes: entries } });
  if (result.outcome !== 'patched') return refusedByServicePower(ctx, result, 'the client notes');
  carry.notesSent = [...(carry.notesSent ?? []), ...ids];
  log.info('client notes copied to the mobile work order', { workOrderId, workOrderNum: carry.workOrderNum, notes: ids });
}

/** ServicePower refused a PATCH: 410 = deleted there; 409 = a conflict, named in lastError (status shows it), then the field's state is re-read. */
async function refusedByServicePower(ctx: Ctx2, result: { outcome: 'conflict' | 'gone'; message: string }, what: string): Promise<void> {
  const { carry, state, workOrderId } = ctx;
  if (result.outcome === 'gone') {
    log.warn('the mobile work order was deleted in ServicePower', { workOrderId, workOrderNum: carry.workOrderNum });
    carry.deleted = true;
    return;
  }
  state.lastError = `ServicePower refused ${what} for mobile work order ${carry.workOrderNum} (ServiceChannel work order ${workOrderId}) with a conflict (409): ${result.message}`;
  log.warn('ServicePower refused a change with a conflict', { workOrderId, workOrderNum: carry.workOrderNum, what, message: result.message });
  await reread(ctx);
  if (!carry.closed && state.status === 'running') setStatus(state, 'failed', [], []);
}

async function applyWorkOrderChange(ctx: Ctx2, event: ServiceChannelEvent): Promise<void> {
  const { carry, state, workOrderId } = ctx;
  if (carry.deleted) {
    log.info('ServiceChannel event after the mobile work order was deleted: nothing to do', { workOrderId, eventId: event.eventId });
    return;
  }
  if (event.source === 'reconcile' && event.occurredAt && carry.lastUpdatedDate && Date.parse(event.occurredAt) <= Date.parse(carry.lastUpdatedDate)) {
    log.info('reconciliation found nothing newer than what was applied', { workOrderId, eventId: event.eventId });
    return;
  }
  state.step = 'loading';
  const wo = await ctx.sc.getServiceChannelWorkOrder({ workOrderId });
  // The version read is recorded only once it is applied: a failed write leaves it for the reconciliation.
  const applied = () => {
    if (wo.UpdatedDate && (!carry.lastUpdatedDate || Date.parse(wo.UpdatedDate) > Date.parse(carry.lastUpdatedDate))) carry.lastUpdatedDate = wo.UpdatedDate;
  };
  const primary = wo.Status.Primary.trim().toUpperCase();

  if (carry.lastSent === null && !carry.adoptionChecked) {
    await adoptExisting(ctx, wo);
    if (carry.deleted || carry.closed) return applied();
  }
  if (isCancelledInServiceChannel(wo)) {
    await withdraw(ctx, 'cancelled');
    return applied();
  }
  if (carry.closed) {
    log.info('the mobile work order is closed: ServiceChannel change not sent', { workOrderId, eventId: event.eventId });
    return applied();
  }
  if (FINAL_SC_STATUSES.includes(primary)) {
    if (carry.lastSent === null) {
      log.info('work order already final in ServiceChannel: nothing to dispatch', { workOrderId, status: wo.Status.Primary });
      carry.deleted = true;
      return applied();
    }
    // Completed or invoiced by the subscriber while the technician still has it: unless the field has
    // just closed it (read first), it is taken off the technician.
    await reread(ctx);
    if (!carry.closed && !carry.deleted) await withdraw(ctx, primary.toLowerCase());
    return applied();
  }

  const mapping = mapWorkOrderToMobile(wo, ctx.settings.mapping, carry.dispatchUTC ?? new Date().toISOString(), 'id');
  if (carry.workOrderNum === null && mapping.problems.length > 0) {
    carry.problemSince ??= new Date().toISOString();
    const waited = new Date().getTime() - Date.parse(carry.problemSince);
    const what = `ServiceChannel work order ${workOrderId} (number ${wo.Number}) cannot become a ServicePower work order: ${mapping.problems.join('; ')}`;
    if (waited >= ctx.problemDeadlineMs) {
      state.lastError = `${what}; waited since ${carry.problemSince}, longer than ${Math.round(ctx.problemDeadlineMs / 60_000)} minutes: giving up`;
      setStatus(state, 'failed', [], []);
      throw ApplicationFailure.create({ type: PermanentErrorTypes.MissingRequiredFields, message: state.lastError, nonRetryable: true, details: [{ workOrderId, problems: mapping.problems }] });
    }
    state.lastError = `${what} (waiting since ${carry.problemSince}; re-read every ${Math.round(ctx.settings.rereadIntervalMs / 1000)} s)`;
    log.error('work order cannot be dispatched', { workOrderId, problems: mapping.problems });
    setStatus(state, 'waiting', [], [`servicechannel:location:${wo.LocationId}`]);
    return;
  }
  if (mapping.problems.length > 0) {
    state.lastError = `ServiceChannel work order ${workOrderId} (number ${wo.Number}): the change cannot be sent to mobile work order ${carry.workOrderNum}: ${mapping.problems.join('; ')}`;
    log.error('work order change cannot be sent', { workOrderId, problems: mapping.problems });
    setStatus(state, 'waiting', [], [`servicechannel:location:${wo.LocationId}`]);
    return;
  }
  if (carry.problemSince !== null) {
    carry.problemSince = null;
    if (state.status === 'waiting' && carry.refused.length === 0) {
      state.lastError = null;
      setStatus(state, 'running', [], []);
    }
  }
  const document = mapping.workOrder as Record<string, unknown>;
  if (carry.lastSent === null) {
    state.step = 'dispatching';
    const { created, warnings } = await putMobileWorkOrder({ num: mapping.workOrderNum, workOrder: mapping.workOrder });
    carry.lastSent = document;
    carry.workOrderNum = mapping.workOrderNum;
    carry.dispatchUTC = (document.DispatchUTC as string | undefined) ?? null;
    log.info('dispatched to ServicePower', { workOrderId, workOrderNum: mapping.workOrderNum, created, dispatchStatus: mapping.dispatchStatus, warnings });
    setStatus(state, carry.refused.length > 0 ? 'waiting' : 'running', [{ key: TargetCodeKey, value: mapping.workOrderNum }], carry.refused.length > 0 ? state.waitingOn : []);
    await reportDispatched(ctx, dispatchedNote(mapping));
    return applied();
  }
  const patch = buildWorkOrderPatch(carry.lastSent, document);
  if (isEmptyPatch(patch)) {
    log.info('nothing changed for ServicePower', { workOrderId, eventId: event.eventId });
    return applied();
  }
  state.step = 'patching';
  const result = await patchMobileWorkOrder({ num: carry.workOrderNum!, patch });
  if (result.outcome !== 'patched') return refusedByServicePower(ctx, result, `the change of ${Object.keys(patch).join(', ')}`);
  carry.lastSent = document;
  carry.dispatchUTC = carry.dispatchUTC ?? (document.DispatchUTC as string | undefined) ?? null;
  log.info('ServicePower work order patched', { workOrderId, workOrderNum: carry.workOrderNum, fields: Object.keys(patch), warnings: result.warnings });
  applied();
}

/** The dispatched status and its note, only forward: a cancellation (or completion) made during the dispatch wins and withdraws it. */
async function reportDispatched(ctx: Ctx2, note: string): Promise<void> {
  const dispatched = ctx.settings.mapping.dispatchedStatus;
  ctx.state.step = 'reporting';
  const result = await writeToServiceChannel(ctx, { kind: 'status', primary: dispatched.primary, extended: dispatched.extended, note, key: DISPATCHED_NOTE_KEY, onlyForward: true });
  const current = result?.current?.primary?.trim().toUpperCase();
  if (result && result.written === false && current && FINAL_SC_STATUSES.includes(current)) {
    log.warn('ServiceChannel was final before the dispatched status: the mobile work order is withdrawn', { workOrderId: ctx.workOrderId, status: current });
    await withdraw(ctx, current.toLowerCase());
  }
}

/** Take the mobile work order off the technician (DELETE; 410 = already gone) because ServiceChannel ended it. */
async function withdraw(ctx: Ctx2, why: string): Promise<void> {
  const { carry, state, workOrderId } = ctx;
  if (carry.workOrderNum) {
    state.step = 'deleting';
    const { alreadyGone } = await deleteMobileWorkOrder({ num: carry.workOrderNum });
    log.info(`${why} in ServiceChannel: mobile work order deleted`, { workOrderId, workOrderNum: carry.workOrderNum, alreadyGone });
  }
  carry.deleted = true;
  carry.cancelled = why === 'cancelled';
  if (why !== 'cancelled') carry.endedBy = `${why} in ServiceChannel while the technician had it: mobile work order deleted`;
}

/** The part of what ServicePower stores that has the shape of what FieldBridge sends (server-filled fields left out). */
function projectOnto(actual: unknown, shape: unknown): unknown {
  if (Array.isArray(shape)) {
    if (!Array.isArray(actual)) return actual;
    const keyOf = (e: unknown): unknown => (e && typeof e === 'object' ? ((e as Record<string, unknown>).ID ?? null) : null);
    const shapeKeys = new Set<unknown>(shape.map(keyOf).filter((k) => k !== null));
    if (shapeKeys.size === 0) return actual;
    return actual.filter((e) => shapeKeys.has(keyOf(e))).map((e) => projectOnto(e, shape.find((s) => keyOf(s) === keyOf(e))));
  }
  if (shape && typeof shape === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return actual;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape)) {
      const value = (actual as Record<string, unknown>)[key];
      if (value !== undefined) out[key] = projectOnto(value, (shape as Record<string, unknown>)[key]);
    }
    return out;
  }
  return actual;
}

/**
 * A fresh chain (no state carried): an earlier chain may have dispatched this work order already (its
 * run completed, failed or was terminated, and a later event started a new one). What ServicePower
 * holds is adopted rather than sent again, and what ServiceChannel already heard (FieldBridge's keyed
 * notes) is not said again; a work order closed in the field ends the chain once ServiceChannel knows.
 */
async function adoptExisting(ctx: Ctx2, wo: { Id: number; Number: string }): Promise<void> {
  const { carry, state, workOrderId, settings } = ctx;
  carry.adoptionChecked = true;
  const candidates = [...new Set([mobileWorkOrderNumFor(settings.mapping.workOrderNumberPrefix, wo, 'id'), mobileWorkOrderNumFor(settings.mapping.workOrderNumberPrefix, wo, 'number')])];
  let found: { num: string; document: Record<string, unknown>; orderStatus: string | null; techNote: string | null; technician: string | null } | null = null;
  for (const num of candidates) {
    state.step = 'loading';
    const read = await readMobileWorkOrder({ num, withDocument: true });
    if (read.found && read.document) {
      found = { num, document: read.document, orderStatus: read.orderStatus, techNote: read.techNote, technician: read.technician };
      break;
    }
  }
  if (!found) return;
  const notes = await ctx.sc.listServiceChannelNotes({ workOrderId });
  const ours = notes.filter((n) => markKeyOf(n.text) !== null).map((n) => n.text);
  const last = lastFieldReport(ours);
  carry.workOrderNum = found.num;
  carry.dispatchUTC = (found.document.DispatchUTC as string | undefined) ?? null;
  const mapping = mapWorkOrderToMobile(wo as Parameters<typeof mapWorkOrderToMobile>[0], settings.mapping, carry.dispatchUTC ?? new Date().toISOString(), 'id');
  carry.lastSent = projectOnto(found.document, mapping.workOrder) as Record<string, unknown>;
  const sentNotes = ((found.document.Notes as Array<{ ID?: string }> | undefined) ?? []).map((n) => n.ID ?? '');
  carry.notesSent = notes.filter((n) => sentNotes.includes(mobileNoteId(n.id))).map((n) => n.id);
  carry.fieldSeq = last?.seq ?? 0;
  carry.orderStatus = last?.orderStatus ?? null;
  if (last) carry.fieldStatusesApplied.push(last.orderStatus);
  carry.closed = last !== null && FINAL_ORDER_STATUSES.includes(last.orderStatus);
  const mapped = ctx.settings.mapping.fieldStatusMap[last?.orderStatus ?? ''];
  carry.checkedIn = Boolean(mapped?.checkIn && !mapped.checkOut);
  log.info('adopted the mobile work order an earlier run dispatched', { workOrderId, workOrderNum: found.num, orderStatus: found.orderStatus, lastReported: last });
  setStatus(state, state.status, [{ key: TargetCodeKey, value: found.num }]);
  if (!ours.some((t) => markKeyOf(t) === DISPATCHED_NOTE_KEY) && last === null) await reportDispatched(ctx, dispatchedNote({ workOrderNum: found.num, technician: found.technician, dispatchStatus: Number(found.document.DispatchStatus ?? 0) as never }));
  // What the field did since ServiceChannel last heard of it.
  if (found.orderStatus && found.orderStatus !== carry.orderStatus && !carry.deleted) await applyFieldStatus(ctx, found.orderStatus, found.techNote, found.technician);
}

/**
 * The field's status, learnt from a notification or the re-read: every transition is reported
 * (`f<n>-<OrderStatus>` keys the writes, so a repeat finds them there); the same status again is none.
 */
async function applyFieldStatus(ctx: Ctx2, orderStatus: string, note: string | null, technician: string | null): Promise<void> {
  const { carry, workOrderId } = ctx;
  if (!carry.workOrderNum || carry.deleted) return;
  if (carry.orderStatus === orderStatus) return;
  if (carry.closed) {
    log.info('field status after the close ignored', { workOrderId, orderStatus });
    return;
  }
  ctx.state.step = 'reporting';
  const seq = (carry.fieldSeq ?? 0) + 1;
  const actions = keyActions(
    fieldStatusActions(orderStatus, ctx.settings.mapping.fieldStatusMap, {
      num: carry.workOrderNum,
      note,
      technician: technician ?? ((carry.lastSent?.UserName as string | undefined) ?? null),
      checkedIn: carry.checkedIn,
    }),
    fieldNoteKey(seq, orderStatus),
  );
  for (const action of actions) await writeToServiceChannel(ctx, action);
  carry.fieldSeq = seq;
  carry.orderStatus = orderStatus;
  carry.fieldStatusesApplied.push(orderStatus);
  if (FINAL_ORDER_STATUSES.includes(orderStatus)) carry.closed = true;
  log.info('field status reported to ServiceChannel', { workOrderId, orderStatus, seq, actions: actions.map((a) => a.kind) });
}

async function reread(ctx: Ctx2): Promise<void> {
  const { carry } = ctx;
  if (!carry.workOrderNum || carry.deleted) return;
  ctx.state.step = 'rereading';
  const read = await readMobileWorkOrder({ num: carry.workOrderNum });
  if (read.gone) {
    carry.deleted = true;
    return;
  }
  if (read.orderStatus && read.orderStatus !== carry.orderStatus) await applyFieldStatus(ctx, read.orderStatus, read.techNote, read.technician);
}

/** One ServiceChannel write (the activity reads first); a permanent refusal (a permission not granted) is kept and shown, not thrown. */
async function writeToServiceChannel(ctx: Ctx2, action: ServiceChannelAction): Promise<WriteResult | null> {
  const { workOrderId, carry } = ctx;
  try {
    const result = await performWrite(ctx, action);
    if (action.kind === 'checkIn') carry.checkedIn = true;
    if (action.kind === 'checkOut') carry.checkedIn = false;
    return result ?? {};
  } catch (err) {
    const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : null;
    if (failure?.type !== PermanentErrorTypes.ProviderPermissionMissing) throw err;
    const details = (failure.details?.[0] ?? {}) as { permission?: string | null; subscriberId?: number | null };
    carry.refused.push({ action, reason: failure.message, permission: details.permission ?? null, subscriberId: details.subscriberId ?? null });
    log.error('ServiceChannel refused a write: ServicePower and ServiceChannel now differ', { workOrderId, action: action.kind, error: failure.message });
    markRefused(ctx);
    return null;
  }
}

/** The refused writes again; one that fails otherwise stays for the next recheck (nothing waiting is lost). */
async function retryRefused(ctx: Ctx2): Promise<void> {
  const { carry, state, workOrderId } = ctx;
  if (carry.refused.length === 0) return;
  const refused = carry.refused.splice(0);
  for (let i = 0; i < refused.length; i += 1) {
    try {
      await writeToServiceChannel(ctx, refused[i]!.action);
    } catch (err) {
      const notFound = serviceChannelNotFound(err);
      if (notFound !== null && (await confirmedGone(ctx))) await endNotFound(ctx, notFound);
      const reason = innermostMessage(err);
      carry.refused.push(...refused.slice(i).map((r, j) => (j === 0 ? { ...r, reason } : r)));
      markRefused(ctx);
      state.lastError = `the recheck could not send the ${refused[i]!.action.kind} to ServiceChannel work order ${workOrderId}: ${reason}; it is kept for the next recheck`;
      log.error('recheck failed: the writes are kept', { workOrderId, error: reason });
      return;
    }
  }
  if (carry.refused.length === 0) {
    state.lastError = null;
    setStatus(state, 'running', [], []);
  }
}

async function performWrite(ctx: Ctx2, action: ServiceChannelAction): Promise<WriteResult> {
  const { workOrderId, sc, carry } = ctx;
  const num = carry.workOrderNum ? { workOrderNum: carry.workOrderNum } : {};
  switch (action.kind) {
    case 'checkIn':
      return sc.checkInServiceChannel({ workOrderId, ...num });
    case 'checkOut':
      return sc.checkOutServiceChannel({ workOrderId, ...num, ...(action.resolution ? { resolution: action.resolution } : {}) });
    case 'status':
      return sc.setServiceChannelStatus({
        workOrderId,
        primary: action.primary,
        extended: action.extended,
        ...(action.note ? { note: action.note } : {}),
        ...(action.key ? { key: action.key } : {}),
        ...(action.onlyForward ? { onlyForward: true } : {}),
      });
    case 'note':
      return sc.addServiceChannelNote({ workOrderId, note: action.note, ...(action.key ? { key: action.key } : {}) });
  }
}

/**
 * ServiceChannel said twice that the work order does not exist for this provider: the mobile work
 * order, if one was dispatched, is taken off the technician, and the workflow FAILS with
 * SourceRecordNotFound naming the work order.
 */
async function endNotFound(ctx: Ctx2, reason: string): Promise<never> {
  const { carry, state, workOrderId } = ctx;
  let removed = '';
  if (carry.workOrderNum && !carry.deleted) {
    state.step = 'deleting';
    const { alreadyGone } = await deleteMobileWorkOrder({ num: carry.workOrderNum });
    removed = alreadyGone ? `; mobile work order ${carry.workOrderNum} was already gone from ServicePower` : `; mobile work order ${carry.workOrderNum} deleted from ServicePower`;
  }
  carry.deleted = true;
  const message = `ServiceChannel work order ${workOrderId} is gone for this provider (said twice): ${reason}${removed}`;
  state.step = 'done';
  state.lastError = message;
  setStatus(state, 'failed', carry.workOrderNum ? [{ key: TargetCodeKey, value: carry.workOrderNum }] : [], []);
  log.error('ServiceChannel work order not found: workflow fails', { workOrderId, workOrderNum: carry.workOrderNum, error: message });
  throw ApplicationFailure.create({ type: PermanentErrorTypes.SourceRecordNotFound, message, nonRetryable: true, details: [{ workOrderId, workOrderNum: carry.workOrderNum }] });
}

