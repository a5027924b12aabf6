/**
 * THE FIRST COMMAND SEQUENCE of the ServiceChannel -> ServicePower workflow, kept unchanged for runs
 * started without an input `version` (before WORK_ORDER_TO_MOBILE_VERSION existed): their histories
 * (test/histories/work-order-to-mobile-*.json without a version prefix) must keep replaying. New runs,
 * and these runs once they continue-as-new, run the current sequence (./work-order-to-mobile.ts).
 * Do not change the commands this file issues; what the current sequence shares is exported.
 *
 * As documented when it was current:
 * ServiceChannel work order -> ServicePower mobile work order, and the field's status back
 * (seeds 003 and 004). One long-lived workflow per ServiceChannel work order, started by
 * its first event (signal-with-start, common/starters.ts) and fed the later ones as signals:
 *
 *   queue every event (ServiceChannel's, the field's, the re-read timer's) and apply them one at a
 *   time, in arrival order; an event id already seen is ignored
 *   - ServiceChannel event: read the work order, map it (mappings/work-order-to-mobile.ts)
 *       first time: PUT it, then set the ServiceChannel dispatched status with a note naming the number
 *       later:      PATCH only what changed since the document last sent (empty: nothing sent)
 *       cancelled:  DELETE it (410: already gone)
 *   - the field moved (ServicePower notification, or the re-read every rereadIntervalMs while open):
 *       the OrderStatus's check-in, check-out, status and note in ServiceChannel, once per OrderStatus
 *   - ServiceChannel refuses for good (a permission the subscriber has not granted): the refusal is
 *       kept, the status is `waiting` (FieldBridgeWaitingOn `servicechannel:subscriber:<id>`), lastError
 *       and the log say what is missing; a `recheck` signal tries the refused writes again
 *   - a client's note (WorkOrderNoteAdded, or a reconciled version): the notes not yet sent, and not
 *       written by the provider itself, PATCHed into the mobile work order's Notes (ids kept)
 *   - ends when the work order is final on both sides: deleted after a cancellation, or closed in the
 *     field with everything told to ServiceChannel
 *   - FAILS (SourceRecordNotFound) when ServiceChannel answers 404 for the work order (deleted, or no
 *     longer visible to this provider), after deleting the mobile work order if one was dispatched
 *
 * The history is rolled over (continue-as-new) after maxEventsPerRun events, carrying the event ids
 * seen, the queue, and what was sent to ServicePower.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { LoadedMobileSettings, ServiceChannelActivities, WorkOrderToMobileActivities } from '../activities/work-order-to-mobile';
import { NON_RETRYABLE_ERROR_TYPES, PermanentErrorTypes } from '../common/errors';
import { SyncStatusKey, TargetCodeKey, WaitingOnKey, type SyncStatus } from '../common/search-attributes';
import { buildWorkOrderPatch, isEmptyPatch } from '../connectors/servicepower/patch';
import {
  dispatchedNote,
  fieldStatusActions,
  FINAL_ORDER_STATUSES,
  FINAL_SC_STATUSES,
  isCancelledInServiceChannel,
  mapWorkOrderToMobile,
  notesToSend,
  type ServiceChannelAction,
} from '../mappings/work-order-to-mobile';
import { serviceChannelTaskQueue } from '../common/task-queues';
import {
  mobileStatusChangedSignal,
  recheckSignal,
  serviceChannelEventSignal,
  syncStateQuery,
  type MobileStatusChange,
  type ServiceChannelEvent,
  type SyncState,
  WORK_ORDER_TO_MOBILE_VERSION,
  type WorkOrderToMobileInput,
  type WorkOrderToMobileResult,
} from './definitions';
import { innermostMessage } from './failures';

export const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES };

/** ServicePower calls and the settings: idempotent (PUT, PATCH of a diff, DELETE, GET); retried for up to a day. */
const { loadMobileSyncSettings, putMobileWorkOrder, patchMobileWorkOrder, deleteMobileWorkOrder, readMobileWorkOrder } = proxyActivities<WorkOrderToMobileActivities>({
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '24h',
  retry,
});

/** ServiceChannel calls: on the rate-limited task queue (common/task-queues.ts); a throttled call waits its Retry-After. */
function serviceChannelActivities() {
  return proxyActivities<ServiceChannelActivities>({
    taskQueue: serviceChannelTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '60s',
    scheduleToCloseTimeout: '24h',
    retry,
  });
}

export type MobileStep = 'starting' | 'idle' | 'loading' | 'dispatching' | 'patching' | 'deleting' | 'reporting' | 'rereading' | 'done';

export type QueueItem = { kind: 'servicechannel'; event: ServiceChannelEvent } | { kind: 'field'; change: MobileStatusChange } | { kind: 'reread' };

/** What a refused ServiceChannel write was, and why. */
export interface RefusedWrite {
  action: ServiceChannelAction;
  reason: string;
  permission: string | null;
  subscriberId: number | null;
}

/** Carried over continue-as-new (WorkOrderToMobileInput.carried). */
export interface MobileCarry {
  workOrderNum: string | null;
  /** The ServicePower document last sent (PUT, or PUT + PATCHes): what buildWorkOrderPatch compares with. */
  lastSent: Record<string, unknown> | null;
  /** When FieldBridge first dispatched it (DispatchUTC), kept so a PATCH does not move it. */
  dispatchUTC: string | null;
  /** The ServiceChannel UpdatedDate last read: a reconciliation event at or before it is nothing new. */
  lastUpdatedDate: string | null;
  deleted: boolean;
  cancelled: boolean;
  orderStatus: string | null;
  fieldStatusesApplied: string[];
  checkedIn: boolean;
  refused: RefusedWrite[];
  pending: QueueItem[];
  eventsApplied: number;
  /** The ServiceChannel notes already copied into the mobile work order's Notes (absent in runs carried before notes were copied). */
  notesSent?: number[];
}

export interface WorkOrderMobileState {
  step: MobileStep;
  status: SyncStatus;
  workOrderId: number;
  workOrderNum: string | null;
  orderStatus: string | null;
  fieldStatusesApplied: string[];
  eventsApplied: number;
  queued: number;
  deleted: boolean;
  refused: RefusedWrite[];
  lastError: string | null;
  waitingOn: string[];
}

export const workOrderMobileStateQuery = defineQuery<WorkOrderMobileState>('workOrderMobileState');

export const MAX_EVENTS_PER_RUN = 200;
export const SEEN_EVENTS_KEPT = 500;

export async function workOrderToMobileV1(input: WorkOrderToMobileInput): Promise<WorkOrderToMobileResult> {
  const { workOrderId } = input;
  const maxEvents = input.maxEventsPerRun ?? MAX_EVENTS_PER_RUN;
  const carried = (input.carried as MobileCarry | undefined) ?? null;
  const carry: MobileCarry = carried ?? {
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
  };
  carry.notesSent ??= [];
  const seen = new Set(input.appliedEventIds ?? []);
  const queue: QueueItem[] = [...carry.pending];
  const wake = { recheck: false };
  const state = { step: 'starting' as MobileStep, status: 'running' as SyncStatus, lastError: null as string | null, waitingOn: [] as string[] };

  const view = (): WorkOrderMobileState => ({
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
  });
  setHandler(workOrderMobileStateQuery, view);
  // What `fieldbridge status` reads of every sync.
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
  const ctx: Ctx = { workOrderId, carry, state, settings, sc: serviceChannelActivities() };
  if (carry.refused.length > 0) markRefused(ctx);

  let runEvents = 0;
  for (;;) {
    if (isFinal(carry) && queue.length === 0) break;
    if (runEvents >= maxEvents) {
      // The next run takes the current sequence (same workflow type; it reads this carried state).
      await continueAsNew<(next: WorkOrderToMobileInput) => Promise<WorkOrderToMobileResult>>({
        workOrderId,
        appliedEventIds: [...seen].slice(-SEEN_EVENTS_KEPT),
        carried: { ...carry, pending: [...queue] },
        maxEventsPerRun: input.maxEventsPerRun,
        version: WORK_ORDER_TO_MOBILE_VERSION,
      });
    }
    state.step = 'idle';
    const open = carry.workOrderNum !== null && !carry.deleted && !isClosed(carry);
    const ready = () => queue.length > 0 || wake.recheck;
    const woke = open ? await condition(ready, settings.rereadIntervalMs) : (await condition(ready), true);
    if (!woke) queue.push({ kind: 'reread' });
    if (wake.recheck) {
      wake.recheck = false;
      try {
        await retryRefused(ctx);
      } catch (err) {
        const notFound = serviceChannelNotFound(err);
        if (notFound !== null) await endNotFound(ctx, notFound);
        throw err;
      }
      if (queue.length === 0) continue;
    }
    const item = queue.shift()!;
    try {
      await applyItem(ctx, item);
    } catch (err) {
      const notFound = serviceChannelNotFound(err);
      if (notFound !== null) await endNotFound(ctx, notFound);
      // A permanent failure of one event is recorded; the workflow goes on with the next one.
      state.lastError = innermostMessage(err);
      log.error('event could not be applied', { workOrderId, item: describeItem(item), error: state.lastError });
      if (state.status === 'running') setStatus(state, 'failed', [], []);
    }
    if (item.kind !== 'reread') {
      carry.eventsApplied += 1;
      runEvents += 1;
    }
  }
  state.step = 'done';
  const outcome = carry.cancelled
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

export interface Ctx {
  workOrderId: number;
  carry: MobileCarry;
  state: { step: MobileStep; status: SyncStatus; lastError: string | null; waitingOn: string[] };
  settings: LoadedMobileSettings;
  sc: ReturnType<typeof serviceChannelActivities>;
}

export function isClosed(carry: MobileCarry): boolean {
  return carry.fieldStatusesApplied.some((s) => FINAL_ORDER_STATUSES.includes(s));
}

/** Final on both sides: gone from ServicePower (or closed there and told to ServiceChannel), no refused write outstanding. */
function isFinal(carry: MobileCarry): boolean {
  return (carry.deleted || isClosed(carry)) && carry.refused.length === 0;
}

export function describeItem(item: QueueItem): string {
  if (item.kind === 'servicechannel') return `${item.event.eventType} ${item.event.eventId}`;
  if (item.kind === 'field') return `OrderStatus ${item.change.orderStatus} ${item.change.eventId}`;
  return 're-read';
}

export function setStatus(state: Ctx['state'], status: SyncStatus, extra: SearchAttributeUpdatePair[] = [], waitingOn: string[] = state.waitingOn): void {
  const waitChanged = state.waitingOn.join(',') !== waitingOn.join(',');
  if (state.status === status && !waitChanged && extra.length === 0) return;
  state.status = status;
  state.waitingOn = waitingOn;
  upsertSearchAttributes([{ key: SyncStatusKey, value: status }, { key: WaitingOnKey, value: waitingOn }, ...extra]);
}

async function applyItem(ctx: Ctx, item: QueueItem): Promise<void> {
  if (item.kind === 'servicechannel') return applyServiceChannelEvent(ctx, item.event);
  if (item.kind === 'field') return applyFieldStatus(ctx, item.change.orderStatus, item.change.note ?? null, null);
  return reread(ctx);
}

/** A ServiceChannel event: the work order's change, then, for a note (or a reconciled version), the client's new notes. */
async function applyServiceChannelEvent(ctx: Ctx, event: ServiceChannelEvent): Promise<void> {
  await applyWorkOrderChange(ctx, event);
  const { carry } = ctx;
  if ((event.eventType === 'WorkOrderNoteAdded' || event.source === 'reconcile') && carry.workOrderNum && !carry.deleted && !isClosed(carry)) {
    await copyNotes(ctx);
  }
}

/** The client's notes not yet on the mobile work order, PATCHed into its Notes (our own notes are not echoed back). */
async function copyNotes(ctx: Ctx): Promise<void> {
  const { carry, state, workOrderId } = ctx;
  state.step = 'loading';
  const notes = await ctx.sc.listServiceChannelNotes({ workOrderId });
  const { ids, entries } = notesToSend(notes, carry.notesSent ?? []);
  if (ids.length === 0) return;
  state.step = 'patching';
  const result = await patchMobileWorkOrder({ num: carry.workOrderNum!, patch: { Notes: entries } });
  if (result.outcome === 'gone') {
    log.warn('the mobile work order was deleted in ServicePower', { workOrderId, workOrderNum: carry.workOrderNum });
    carry.deleted = true;
    return;
  }
  if (result.outcome === 'conflict') {
    log.warn('ServicePower refused the notes (conflict): the field has closed it', { workOrderId, workOrderNum: carry.workOrderNum, message: result.message });
    await reread(ctx);
    return;
  }
  carry.notesSent = [...(carry.notesSent ?? []), ...ids];
  log.info('client notes copied to the mobile work order', { workOrderId, workOrderNum: carry.workOrderNum, notes: ids });
}

async function applyWorkOrderChange(ctx: Ctx, event: ServiceChannelEvent): Promise<void> {
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
  if (wo.UpdatedDate && (!carry.lastUpdatedDate || Date.parse(wo.UpdatedDate) > Date.parse(carry.lastUpdatedDate))) carry.lastUpdatedDate = wo.UpdatedDate;

  if (isCancelledInServiceChannel(wo)) {
    carry.cancelled = true;
    if (carry.workOrderNum) {
      state.step = 'deleting';
      const { alreadyGone } = await deleteMobileWorkOrder({ num: carry.workOrderNum });
      log.info('cancelled in ServiceChannel: mobile work order deleted', { workOrderId, workOrderNum: carry.workOrderNum, alreadyGone });
    }
    carry.deleted = true;
    return;
  }
  if (isClosed(carry)) {
    log.info('the mobile work order is closed: ServiceChannel change not sent', { workOrderId, eventId: event.eventId });
    return;
  }
  if (carry.lastSent === null && FINAL_SC_STATUSES.includes(wo.Status.Primary.trim().toUpperCase())) {
    log.info('work order already final in ServiceChannel: nothing to dispatch', { workOrderId, status: wo.Status.Primary });
    carry.deleted = true;
    carry.cancelled = false;
    return;
  }

  const mapping = mapWorkOrderToMobile(wo, ctx.settings.mapping, carry.dispatchUTC ?? new Date().toISOString());
  if (mapping.problems.length > 0) {
    state.lastError = `ServiceChannel work order ${workOrderId} (number ${wo.Number}) cannot become a ServicePower work order: ${mapping.problems.join('; ')}`;
    log.error('work order cannot be dispatched', { workOrderId, problems: mapping.problems });
    setStatus(state, 'waiting', [], [`servicechannel:location:${wo.LocationId}`]);
    return;
  }
  const document = mapping.workOrder as Record<string, unknown>;
  if (carry.lastSent === null) {
    state.step = 'dispatching';
    const { created, warnings } = await putMobileWorkOrder({ num: mapping.workOrderNum, workOrder: mapping.workOrder });
    carry.lastSent = document;
    carry.workOrderNum = mapping.workOrderNum;
    carry.dispatchUTC = (document.DispatchUTC as string | undefined) ?? null;
    log.info('dispatched to ServicePower', { workOrderId, workOrderNum: mapping.workOrderNum, created, dispatchStatus: mapping.dispatchStatus, warnings });
    if (state.status === 'waiting' && carry.refused.length === 0) state.lastError = null;
    setStatus(state, carry.refused.length > 0 ? 'waiting' : 'running', [{ key: TargetCodeKey, value: mapping.workOrderNum }], carry.refused.length > 0 ? state.waitingOn : []);
    const dispatched = ctx.settings.mapping.dispatchedStatus;
    state.step = 'reporting';
    await writeToServiceChannel(ctx, { kind: 'status', primary: dispatched.primary, extended: dispatched.extended, note: dispatchedNote(mapping) });
    return;
  }
  const patch = buildWorkOrderPatch(carry.lastSent, document);
  if (isEmptyPatch(patch)) {
    log.info('nothing changed for ServicePower', { workOrderId, eventId: event.eventId });
    return;
  }
  state.step = 'patching';
  const result = await patchMobileWorkOrder({ num: carry.workOrderNum!, patch });
  if (result.outcome === 'gone') {
    log.warn('the mobile work order was deleted in ServicePower', { workOrderId, workOrderNum: carry.workOrderNum });
    carry.deleted = true;
    return;
  }
  if (result.outcome === 'conflict') {
    // Closed in the field meanwhile: the re-read (or its notification) brings the closing status.
    log.warn('ServicePower refused the change (conflict): the field has closed it', { workOrderId, workOrderNum: carry.workOrderNum, message: result.message });
    await reread(ctx);
    return;
  }
  carry.lastSent = document;
  carry.dispatchUTC = carry.dispatchUTC ?? (document.DispatchUTC as string | undefined) ?? null;
  log.info('ServicePower work order patched', { workOrderId, workOrderNum: carry.workOrderNum, fields: Object.keys(patch), warnings: result.outcome === 'patched' ? result.warnings : [] });
}

/** The field's status, learnt from a notification or the re-read: ServiceChannel hears it once per OrderStatus. */
async function applyFieldStatus(ctx: Ctx, orderStatus: string, note: string | null, technician: string | null): Promise<void> {
  const { carry, workOrderId } = ctx;
  if (!carry.workOrderNum || carry.deleted) return;
  if (carry.fieldStatusesApplied.includes(orderStatus)) return;
  if (isClosed(carry)) {
    log.info('field status after the close ignored', { workOrderId, orderStatus });
    return;
  }
  carry.orderStatus = orderStatus;
  ctx.state.step = 'reporting';
  const actions = fieldStatusActions(orderStatus, ctx.settings.mapping.fieldStatusMap, {
    num: carry.workOrderNum,
    note,
    technician: technician ?? ((carry.lastSent?.UserName as string | undefined) ?? null),
    checkedIn: carry.checkedIn,
  });
  for (const action of actions) await writeToServiceChannel(ctx, action);
  carry.fieldStatusesApplied.push(orderStatus);
  log.info('field status reported to ServiceChannel', { workOrderId, orderStatus, actions: actions.map((a) => a.kind) });
}

async function reread(ctx: Ctx): Promise<void> {
  const { carry } = ctx;
  if (!carry.workOrderNum || carry.deleted) return;
  ctx.state.step = 'rereading';
  const read = await readMobileWorkOrder({ num: carry.workOrderNum });
  if (read.gone) {
    carry.deleted = true;
    return;
  }
  if (read.orderStatus && !carry.fieldStatusesApplied.includes(read.orderStatus)) {
    await applyFieldStatus(ctx, read.orderStatus, read.techNote, read.technician);
  }
}

/** One ServiceChannel write; a permanent refusal (a permission not granted) is kept and shown, not thrown. */
async function writeToServiceChannel(ctx: Ctx, action: ServiceChannelAction): Promise<boolean> {
  const { workOrderId, carry } = ctx;
  try {
    await performWrite(ctx, action);
    if (action.kind === 'checkIn') carry.checkedIn = true;
    if (action.kind === 'checkOut') carry.checkedIn = false;
    return true;
  } catch (err) {
    const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : null;
    if (failure?.type !== PermanentErrorTypes.ProviderPermissionMissing) throw err;
    const details = (failure.details?.[0] ?? {}) as { permission?: string | null; subscriberId?: number | null };
    carry.refused.push({ action, reason: failure.message, permission: details.permission ?? null, subscriberId: details.subscriberId ?? null });
    log.error('ServiceChannel refused a write: ServicePower and ServiceChannel now differ', { workOrderId, action: action.kind, error: failure.message });
    markRefused(ctx);
    return false;
  }
}

export function markRefused(ctx: Ctx): void {
  const { carry, state, workOrderId } = ctx;
  const last = carry.refused[carry.refused.length - 1]!;
  const what = carry.refused.map((r) => r.action.kind).join(', ');
  state.lastError =
    `ServicePower holds mobile work order ${carry.workOrderNum} but ServiceChannel work order ${workOrderId} was not updated (${what}): ${last.reason}. ` +
    `Once granted, run \`fieldbridge recheck\` on this workflow to send it again.`;
  const keys = [...new Set(carry.refused.map((r) => `servicechannel:subscriber:${r.subscriberId ?? 'unknown'}`))];
  setStatus(state, 'waiting', [], keys);
}

async function retryRefused(ctx: Ctx): Promise<void> {
  const { carry, state } = ctx;
  if (carry.refused.length === 0) return;
  const refused = carry.refused.splice(0);
  for (const r of refused) await writeToServiceChannel(ctx, r.action);
  if (carry.refused.length === 0) {
    state.lastError = null;
    setStatus(state, 'running', [], []);
  }
}

async function performWrite(ctx: Ctx, action: ServiceChannelAction): Promise<unknown> {
  const { workOrderId, sc } = ctx;
  switch (action.kind) {
    case 'checkIn':
      return sc.checkInServiceChannel({ workOrderId });
    case 'checkOut':
      return sc.checkOutServiceChannel({ workOrderId, ...(action.resolution ? { resolution: action.resolution } : {}) });
    case 'status':
      return sc.setServiceChannelStatus({ workOrderId, primary: action.primary, extended: action.extended, ...(action.note ? { note: action.note } : {}) });
    case 'note':
      return sc.addServiceChannelNote({ workOrderId, note: action.note });
  }
}

/** The ServiceChannel activities (all of them make ServiceChannel requests): their 404 means the work order is gone for this provider. */
const SERVICECHANNEL_ACTIVITY_TYPES: readonly string[] = [
  'getServiceChannelWorkOrder',
  'listServiceChannelNotes',
  'setServiceChannelStatus',
  'addServiceChannelNote',
  'checkInServiceChannel',
  'checkOutServiceChannel',
];

/** ServiceChannel's 404 for this work order (SourceRecordNotFound from a ServiceChannel activity): its message, else null. */
export function serviceChannelNotFound(err: unknown): string | null {
  if (!(err instanceof ActivityFailure) || !SERVICECHANNEL_ACTIVITY_TYPES.includes(err.activityType)) return null;
  const cause = err.cause;
  return cause instanceof ApplicationFailure && cause.type === PermanentErrorTypes.SourceRecordNotFound ? cause.message : null;
}

/**
 * ServiceChannel has no such work order, or no longer shows it to this provider (deleted, reassigned):
 * nothing it says will ever come again. The mobile work order, if one was dispatched, is taken off the
 * technician (DELETE; 410 = already gone), and the workflow FAILS with SourceRecordNotFound naming the
 * work order (status `failed`, lastError), rather than staying open forever.
 */
async function endNotFound(ctx: Ctx, reason: string): Promise<never> {
  const { carry, state, workOrderId } = ctx;
  let removed = '';
  if (carry.workOrderNum && !carry.deleted) {
    state.step = 'deleting';
    const { alreadyGone } = await deleteMobileWorkOrder({ num: carry.workOrderNum });
    removed = alreadyGone ? `; mobile work order ${carry.workOrderNum} was already gone from ServicePower` : `; mobile work order ${carry.workOrderNum} deleted from ServicePower`;
  }
  carry.deleted = true;
  const message = `ServiceChannel work order ${workOrderId} is gone for this provider: ${reason}${removed}`;
  state.step = 'done';
  state.lastError = message;
  setStatus(state, 'failed', carry.workOrderNum ? [{ key: TargetCodeKey, value: carry.workOrderNum }] : [], []);
  log.error('ServiceChannel work order not found: workflow fails', { workOrderId, workOrderNum: carry.workOrderNum, error: message });
  throw ApplicationFailure.create({ type: PermanentErrorTypes.SourceRecordNotFound, message, nonRetryable: true, details: [{ workOrderId, workOrderNum: carry.workOrderNum }] });
}
