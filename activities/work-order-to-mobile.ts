/**
 * Activities of the ServiceChannel work order -> ServicePower mobile work order flow, and of its
 * reconciliation. Built by factories that take the clients.
 *
 * Two groups, on two task queues:
 * - `createServiceChannelActivities`: every activity makes ONE ServiceChannel API request (a
 *   permission refusal may add the GET that names the subscriber; a work order whose location comes
 *   without its address adds one `GET /locations/{id}` per location per hour; token requests go to the token
 *   endpoint, outside the per-minute limit; the legacy all-pages listChangedServiceChannelWorkOrders
 *   is the exception, kept only for runs started before the paged list; check-in and check-out
 *   first GET the work order for its number, see visitOf). They run on their own task queue
 *   (common/task-queues.ts `serviceChannelTaskQueue`), served by a worker whose
 *   `maxTaskQueueActivitiesPerSecond` is the configured ceiling: Temporal's own rate limiter, across
 *   all workers, keeps every burst under ServiceChannel's per-minute limit. A 429/503 that still
 *   comes back carries Retry-After: the interceptor turns it into the failure's nextRetryDelay.
 * - `createWorkOrderToMobileActivities`: ServicePower calls, the settings, and Temporal calls
 *   (signal-with-start of the work orders' workflows, the last reconciliation's watermark).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { startWorkOrderToMobile } from '../common/starters';
import { PermanentError, PermanentErrorTypes } from '../common/errors';
import type { Config } from '../common/config';
import { newestCompletedRun } from '../common/newest-completed-run';
import type { ChangedSinceCursor, ServiceChannelClient } from '../connectors/servicechannel/client';
import { isCheckOutAction, markNote, noteKeyOf, NOTE_KEY_PATTERN, type ServiceChannelWorkOrder } from '../connectors/servicechannel/schemas';
import type { ServicePowerClient } from '../connectors/servicepower/client';
import type { ServicePowerWorkOrder, ServicePowerWorkOrderInput, ServicePowerWorkOrderPatch } from '../connectors/servicepower/schemas';
import { FINAL_SC_STATUSES, mobileWorkOrderNum, type MobileMappingSettings, type ServiceChannelNoteInput } from '../mappings/work-order-to-mobile';
import { WORK_ORDER_RECONCILE_WORKFLOW, workOrderToMobileWorkflowId, type ServiceChannelEvent } from '../workflows/definitions';

export type MobileSyncSettings = Config['mobileSync'];

export interface WorkOrderToMobileDeps {
  servicechannel: ServiceChannelClient;
  servicepower: ServicePowerClient;
  mobileSync: MobileSyncSettings;
  temporal: { client: Client; taskQueue: string };
}

export interface LoadedMobileSettings {
  mapping: MobileMappingSettings;
  rereadIntervalMs: number;
  /** MOBILE_MAX_HISTORY_EVENTS (absent in answers recorded before it existed). */
  maxHistoryEvents?: number;
}

export type PatchOutcome = { outcome: 'patched'; warnings: string[] } | { outcome: 'conflict' | 'gone'; message: string };

export interface MobileWorkOrderRead {
  /** false: ServicePower says the work order does not exist (410: deleted, or never stored); `gone` is then true. */
  found: boolean;
  gone: boolean;
  orderStatus: string | null;
  /** The technician's latest note (TechNotes), for the note templates. */
  techNote: string | null;
  technician: string | null;
  /** The ServicePower work order as stored (when found): a new run adopts what ServicePower already holds. */
  document?: Record<string, unknown>;
}

export type { ChangedSinceCursor };

export interface ChangedWorkOrder {
  workOrderId: number;
  updatedDate: string;
}


async function workflowCompleted(client: Client, workOrderId: number): Promise<boolean> {
  try {
    const description = await client.workflow.getHandle(workOrderToMobileWorkflowId(workOrderId)).describe();
    return description.status.name === 'COMPLETED';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

export function createWorkOrderToMobileActivities(deps: WorkOrderToMobileDeps) {
  const { servicepower, mobileSync, temporal } = deps;
  return {
    /** The dispatch preferences, read once per run by the workflow (a restart of the worker picks up new ones). */
    async loadMobileSyncSettings(): Promise<LoadedMobileSettings> {
      return {
        mapping: {
          workOrderNumberPrefix: mobileSync.workOrderNumberPrefix,
          managedAccounts: mobileSync.managedAccounts,
          technicianByTrade: mobileSync.technicianByTrade,
          dispatchedStatus: mobileSync.dispatchedStatus,
          fieldStatusMap: mobileSync.fieldStatusMap,
        },
        rereadIntervalMs: mobileSync.rereadIntervalMs,
        maxHistoryEvents: mobileSync.maxHistoryEvents,
      };
    },

    /** PUT (insert or update): safe to repeat. */
    async putMobileWorkOrder(input: { num: string; workOrder: ServicePowerWorkOrderInput }): Promise<{ created: boolean; warnings: string[] }> {
      const { created, warnings } = await servicepower.putWorkOrder(input.num, input.workOrder);
      return { created, warnings };
    },

    /** PATCH only what changed; a closed (409) or deleted (410) work order is an outcome, not a failure. */
    async patchMobileWorkOrder(input: { num: string; patch: ServicePowerWorkOrderPatch }): Promise<PatchOutcome> {
      try {
        const { warnings } = await servicepower.patchWorkOrder(input.num, input.patch);
        return { outcome: 'patched', warnings };
      } catch (err) {
        if (err instanceof PermanentError && err.type === PermanentErrorTypes.TargetConflict) return { outcome: 'conflict', message: err.message };
        if (err instanceof PermanentError && err.type === PermanentErrorTypes.TargetGone) return { outcome: 'gone', message: err.message };
        throw err;
      }
    },

    /** DELETE: takes it off the technician; a 410 (the work order does not exist) means it was already gone. */
    async deleteMobileWorkOrder(input: { num: string }): Promise<{ alreadyGone: boolean }> {
      const { alreadyGone } = await servicepower.deleteWorkOrder(input.num);
      return { alreadyGone };
    },

    /** The field's side of the work order: its OrderStatus and the technician's latest note. */
    async readMobileWorkOrder(input: { num: string; withDocument?: boolean }): Promise<MobileWorkOrderRead> {
      try {
        const wo = await servicepower.getWorkOrder(input.num);
        // 410: read only after FieldBridge dispatched it, so it was removed in ServicePower.
        if (!wo) return { found: false, gone: true, orderStatus: null, techNote: null, technician: null };
        const notes = wo.TechNotes ?? [];
        return {
          found: true,
          gone: false,
          orderStatus: wo.OrderStatus ? String(wo.OrderStatus) : null,
          techNote: notes.length > 0 ? (notes[notes.length - 1]!.Text ?? null) : null,
          technician: wo.UserName || wo.PrimaryUserName || null,
          ...(input.withDocument ? { document: wo as Record<string, unknown> } : {}),
        };
      } catch (err) {
        if (err instanceof PermanentError && err.type === PermanentErrorTypes.TargetGone) return { found: false, gone: true, orderStatus: null, techNote: null, technician: null };
        throw err;
      }
    },

    /** One page of the reconciliation: signal-with-start each work order's workflow (idempotent: event ids). */
    async signalWorkOrderEvents(input: { events: Array<{ workOrderId: number; event: ServiceChannelEvent }> }): Promise<{ signalled: number; skipped: number }> {
      let signalled = 0;
      let skipped = 0;
      const queue = [...input.events];
      const workers = Array.from({ length: Math.min(10, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          // A workflow that completed ended final on both sides: a later version of the work order starts nothing.
          if (next.event.source === 'reconcile' && (await workflowCompleted(temporal.client, next.workOrderId))) {
            skipped += 1;
            continue;
          }
          await startWorkOrderToMobile(temporal.client, temporal.taskQueue, next.workOrderId, next.event);
          signalled += 1;
        }
      });
      await Promise.all(workers);
      return { signalled, skipped };
    },

    /** The watermark of the newest completed reconciliation on this task queue (null: none yet), and the time now. */
    async findLastWorkOrderReconcile(): Promise<{ watermark: string | null; now: string }> {
      const newest = await newestCompletedRun(temporal.client, WORK_ORDER_RECONCILE_WORKFLOW, temporal.taskQueue);
      const now = new Date().toISOString();
      if (!newest) return { watermark: null, now };
      const result = (await temporal.client.workflow.getHandle(newest.workflowId, newest.runId).result()) as { watermark?: string } | undefined;
      return { watermark: result?.watermark ?? null, now };
    },
  };
}

/** What ServicePower recorded of the visit a check-in/out reports. */
export interface VisitFacts {
  workOrderNum: string;
  /** ActualStartDate (check-in) or ActualEndDate (check-out), UTC ISO 8601. */
  time: string;
  latitude?: number;
  longitude?: number;
}

function coordinate(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The visit's real time and position, from the ServicePower work order (seed 004; MOB3 documents no
 * per-visit technician GPS): ActualStartDate ("the actual date and time the work order was started on
 * site") for a check-in, ActualEndDate ("the actual date and time the work order was completed") for a
 * check-out, and the site's coordinates `Location.Address.Lat`/`Lon` (the Account Location's address,
 * where the work is done). No time: an error naming the work order and the field. No coordinates: an
 * error naming the work order and the fields, unless the subscriber granted the XML check-in permission
 * (`xmlCheckInSubscribers`), when the check-in/out goes without them.
 */
export function visitFacts(workOrderNum: string, wo: ServicePowerWorkOrder, edge: 'start' | 'end', context: { workOrderId: number; subscriberId: number; xmlCheckInGranted: boolean }): VisitFacts {
  const field = edge === 'start' ? 'ActualStartDate' : 'ActualEndDate';
  const what = `ServiceChannel work order ${context.workOrderId} (ServicePower work order ${workOrderNum})`;
  const time = wo[field];
  if (!time) {
    throw new PermanentError('servicepower', PermanentErrorTypes.MissingRequiredFields, `${what}: ServicePower has no ${field}, so the ${edge === 'start' ? 'check-in' : 'check-out'} has no real visit time`, {
      workOrderId: context.workOrderId,
      workOrderNum,
      field,
    });
  }
  const address = wo.Location?.Address;
  const latitude = coordinate(address?.Lat);
  const longitude = coordinate(address?.Lon);
  if (latitude === undefined || longitude === undefined) {
    if (!context.xmlCheckInGranted) {
      throw new PermanentError(
        'servicepower',
        PermanentErrorTypes.MissingRequiredFields,
        `${what}: ServicePower has no Location.Address.Lat/Lon, and ServiceChannel needs Latitude and Longitude for a check-in/out unless subscriber ${context.subscriberId} granted the XML check-in permission (list it in MOBILE_XML_CHECKIN_SUBSCRIBERS)`,
        { workOrderId: context.workOrderId, workOrderNum, field: 'Location.Address.Lat/Lon', subscriberId: context.subscriberId },
      );
    }
    return { workOrderNum, time: new Date(time).toISOString() };
  }
  return { workOrderNum, time: new Date(time).toISOString(), latitude, longitude };
}

/**
 * Every activity here makes one ServiceChannel request, except the writes, which read first so that a
 * retry never repeats a write that landed (status: GET the work order; note with a key: the notes;
 * check-in/out: the work order for its number, then its check-in activity). They run on the
 * rate-limited task queue.
 */
export function createServiceChannelActivities(deps: Pick<WorkOrderToMobileDeps, 'servicechannel' | 'servicepower' | 'mobileSync'>) {
  const sc = deps.servicechannel;
  const { servicepower, mobileSync } = deps;
  // The webhook subscription's filters: the reconciliation lists only what the subscription announces.
  const subscription = {
    trades: mobileSync.subscriptionTrades,
    categories: mobileSync.subscriptionCategories,
    statuses: mobileSync.subscriptionStatuses,
  };

  /**
   * The visit ServicePower recorded for a ServiceChannel work order: its number (`workOrderNum` when
   * the caller gives it; else prefix + the ServiceChannel Number, as the mapping made it before the
   * number was built from the Id), then the ServicePower work order's facts.
   */
  async function visitOf(workOrderId: number, edge: 'start' | 'end', workOrderNum?: string): Promise<VisitFacts> {
    const scWorkOrder = await sc.getWorkOrder(workOrderId);
    const num = workOrderNum ?? mobileWorkOrderNum(mobileSync.workOrderNumberPrefix, scWorkOrder.Number);
    const wo = await servicepower.getWorkOrder(num);
    if (!wo) {
      throw new PermanentError('servicepower', PermanentErrorTypes.SourceRecordNotFound, `ServiceChannel work order ${workOrderId}: ServicePower work order ${num} does not exist (410), so there is no visit to check ${edge === 'start' ? 'in' : 'out'}`, {
        workOrderId,
        workOrderNum: num,
      });
    }
    return visitFacts(num, wo, edge, { workOrderId, subscriberId: scWorkOrder.SubscriberId, xmlCheckInGranted: mobileSync.xmlCheckInSubscribers.includes(scWorkOrder.SubscriberId) });
  }

  /** Whether ServiceChannel already holds a check-in (or check-out) at the visit's time. */
  async function alreadyRecorded(workOrderId: number, kind: 'check-in' | 'check-out', time: string): Promise<boolean> {
    const rows = await sc.getCheckInActivity(workOrderId);
    const at = Date.parse(time);
    return rows.some((r) => isCheckOutAction(r.Action) === (kind === 'check-out') && r.Date !== null && Math.abs(Date.parse(r.Date) - at) < VISIT_TIME_TOLERANCE_MS);
  }

  /** Whether the notes hold FieldBridge's note with this key (or, without a key, FieldBridge's note with exactly this text). */
  async function noteExists(workOrderId: number, note: string, key: string | undefined): Promise<boolean> {
    const notes = await sc.listNotes(workOrderId);
    if (key !== undefined) return notes.some((n) => noteKeyOf(n.NoteData) === key);
    const marked = markNote(note).trim();
    return notes.some((n) => n.fromProvider && n.NoteData.trim() === marked);
  }

  return {
    async getServiceChannelWorkOrder(input: { workOrderId: number }): Promise<ServiceChannelWorkOrder> {
      return sc.getWorkOrder(input.workOrderId);
    },
    /**
     * Set the work order's status, reading it first (each attempt reads again), so a retried write
     * whose answer was lost is not repeated:
     * - `onlyForward` and ServiceChannel's status is final (FINAL_SC_STATUSES: CANCELLED, COMPLETED,
     *   INVOICED): nothing written (a cancellation made meanwhile is never overwritten);
     * - the status already is primary/extended: no PUT; a note with a `key` that ServiceChannel does
     *   not hold yet (no FieldBridge note with that key) is POSTed alone; a note without a key is
     *   (re)sent with the PUT only when no FieldBridge note with exactly its text exists;
     * - else the PUT, with the note (marked `[FieldBridge <key>]` when a key is given).
     * `written`: whether this attempt wrote anything (the PUT, or the note alone); `current`:
     * ServiceChannel's status as read before writing.
     */
    async setServiceChannelStatus(input: SetServiceChannelStatusInput): Promise<SetServiceChannelStatusResult> {
      const key = checkedKey(input.workOrderId, input.key);
      const wo = await sc.getWorkOrder(input.workOrderId);
      const current = { primary: wo.Status.Primary, extended: wo.Status.Extended ?? null };
      if (input.onlyForward && FINAL_SC_STATUSES.includes(current.primary.trim().toUpperCase())) return { written: false, current };
      const same = sameText(current.primary, input.primary) && sameText(current.extended, input.extended);
      const note = input.note ? input.note : undefined;
      if (same) {
        if (note === undefined || (await noteExists(input.workOrderId, note, key))) return { written: false, current };
        if (key !== undefined) {
          await sc.addNote(input.workOrderId, { note, key });
          return { written: true, current };
        }
      }
      await sc.updateStatus(input.workOrderId, { primary: input.primary, extended: input.extended, ...(note !== undefined ? { note, ...(key !== undefined ? { noteKey: key } : {}) } : {}) });
      return { written: true, current };
    },
    /** A note; with a `key`, only when ServiceChannel holds no FieldBridge note with that key yet (the notes are read first, every attempt). */
    async addServiceChannelNote(input: AddServiceChannelNoteInput): Promise<{ written: boolean }> {
      const key = checkedKey(input.workOrderId, input.key);
      if (key !== undefined && (await noteExists(input.workOrderId, input.note, key))) return { written: false };
      await sc.addNote(input.workOrderId, { note: input.note, ...(key !== undefined ? { key } : {}) });
      return { written: true };
    },
    /**
     * Check-in at the visit's real start and position, as ServicePower recorded them (visitOf), unless
     * ServiceChannel's check-in activity already holds a check-in at that time (a retry after a lost
     * answer, or a repeated run): read first, on every attempt.
     */
    async checkInServiceChannel(input: { workOrderId: number; workOrderNum?: string }): Promise<{ written: boolean }> {
      const visit = await visitOf(input.workOrderId, 'start', input.workOrderNum);
      if (await alreadyRecorded(input.workOrderId, 'check-in', visit.time)) return { written: false };
      await sc.checkIn(input.workOrderId, { time: visit.time, ...position(visit) });
      return { written: true };
    },
    /** Check-out at the visit's real end and position (visitOf), unless ServiceChannel already holds a check-out at that time (read first, every attempt). */
    async checkOutServiceChannel(input: { workOrderId: number; workOrderNum?: string; resolution?: string }): Promise<{ written: boolean }> {
      const visit = await visitOf(input.workOrderId, 'end', input.workOrderNum);
      if (await alreadyRecorded(input.workOrderId, 'check-out', visit.time)) return { written: false };
      await sc.checkOut(input.workOrderId, { time: visit.time, ...position(visit), ...(input.resolution ? { resolution: input.resolution } : {}) });
      return { written: true };
    },
    /** `GET /workorders/{id}/notes`: the notes, each marked when the provider (FieldBridge) wrote it. */
    async listServiceChannelNotes(input: { workOrderId: number }): Promise<ServiceChannelNoteInput[]> {
      const notes = await sc.listNotes(input.workOrderId);
      return notes.map((n) => ({ id: n.Id, text: n.NoteData, createdBy: n.CreatedBy, dateCreated: n.DateCreated, fromProvider: n.fromProvider }));
    },
    /**
     * ONE page (one request) of the work orders changed at or after `since` (ids and UpdatedDate
     * only), and the cursor of the next page (null: this was the last). The reconciliation calls it
     * once per page, so every ServiceChannel activity stays one request under the task queue's rate limit.
     */
    async listChangedServiceChannelWorkOrdersPage(input: { since: string; pageSize: number; cursor: ChangedSinceCursor | null }): Promise<{ rows: ChangedWorkOrder[]; next: ChangedSinceCursor | null }> {
      const page = await sc.listWorkOrdersChangedSincePage(new Date(input.since), { pageSize: input.pageSize, cursor: input.cursor, subscription });
      return { rows: page.workOrders.filter((r) => r.UpdatedDate).map((r) => ({ workOrderId: r.Id, updatedDate: r.UpdatedDate! })), next: page.next };
    },
    /**
     * Every work order changed at or after `since`, all pages in this one activity (several requests).
     * Kept for reconciliation runs started before the paged activity existed; new runs use
     * listChangedServiceChannelWorkOrdersPage.
     */
    async listChangedServiceChannelWorkOrders(input: { since: string; pageSize: number }): Promise<ChangedWorkOrder[]> {
      const rows = await sc.listWorkOrdersChangedSince(new Date(input.since), { pageSize: input.pageSize, subscription });
      return rows.filter((r) => r.UpdatedDate).map((r) => ({ workOrderId: r.Id, updatedDate: r.UpdatedDate! }));
    },
  };
}

export interface SetServiceChannelStatusInput {
  workOrderId: number;
  primary: string;
  extended: string | null;
  note?: string;
  /** The note's idempotency key ([A-Za-z0-9._:-]{1,40}): the note is marked `[FieldBridge <key>]`. */
  key?: string;
  /** Write nothing when ServiceChannel's status is final (CANCELLED, COMPLETED, INVOICED). */
  onlyForward?: boolean;
}

export interface SetServiceChannelStatusResult {
  /** Whether this attempt wrote anything (the status PUT, or the note alone). */
  written: boolean;
  /** ServiceChannel's status as read before writing. */
  current: { primary: string; extended: string | null };
}

export interface AddServiceChannelNoteInput {
  workOrderId: number;
  note: string;
  /** The note's idempotency key ([A-Za-z0-9._:-]{1,40}): the note is marked `[FieldBridge <key>]`. */
  key?: string;
}

/**
 * How far a recorded check-in/out may be from the visit's time and still be that visit's
 * *(assumed: ServiceChannel may keep the time to the minute)*.
 */
export const VISIT_TIME_TOLERANCE_MS = 60_000;

function sameText(a: string | null | undefined, b: string | null | undefined): boolean {
  return (a ?? '').trim().toUpperCase() === (b ?? '').trim().toUpperCase();
}

/** The key, checked against NOTE_KEY_PATTERN: InvalidRequest naming the work order and the field otherwise. */
function checkedKey(workOrderId: number, key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!NOTE_KEY_PATTERN.test(key)) {
    throw new PermanentError('servicechannel', PermanentErrorTypes.InvalidRequest, `ServiceChannel work order ${workOrderId}: note key "${key}" is not 1 to 40 of A-Z a-z 0-9 . _ : -`, { workOrderId, field: 'key' });
  }
  return key;
}

function position(visit: VisitFacts): { latitude?: number; longitude?: number } {
  return visit.latitude !== undefined && visit.longitude !== undefined ? { latitude: visit.latitude, longitude: visit.longitude } : {};
}

export type WorkOrderToMobileActivities = ReturnType<typeof createWorkOrderToMobileActivities>;
export type ServiceChannelActivities = ReturnType<typeof createServiceChannelActivities>;
