/**
 * Activities of the ServiceChannel work order -> ServicePower mobile work order flow, and of its
 * reconciliation. Built by factories that take the clients.
 *
 * Two groups, on two task queues:
 * - `createServiceChannelActivities`: every activity makes ONE ServiceChannel API request (a
 *   permission refusal may add the GET that names the subscriber; token requests go to the token
 *   endpoint, outside the per-minute limit; the legacy all-pages listChangedServiceChannelWorkOrders
 *   is the exception, kept only for runs started before the paged list). They run on their own task queue
 *   (worker/task-queues.ts `serviceChannelTaskQueue`), served by a worker whose
 *   `maxTaskQueueActivitiesPerSecond` is the configured ceiling: Temporal's own rate limiter, across
 *   all workers, keeps every burst under ServiceChannel's per-minute limit. A 429/503 that still
 *   comes back carries Retry-After: the interceptor turns it into the failure's nextRetryDelay.
 * - `createWorkOrderToMobileActivities`: ServicePower calls, the settings, and Temporal calls
 *   (signal-with-start of the work orders' workflows, the last reconciliation's watermark).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { startWorkOrderToMobile } from '../client/starters';
import { PermanentError, PermanentErrorTypes } from '../common/errors';
import type { Config } from '../common/config';
import { visibilityString } from '../common/search-attributes';
import type { ChangedSinceCursor, ServiceChannelClient } from '../connectors/servicechannel/client';
import type { ServiceChannelWorkOrder } from '../connectors/servicechannel/schemas';
import type { ServicePowerClient } from '../connectors/servicepower/client';
import type { ServicePowerWorkOrderInput, ServicePowerWorkOrderPatch } from '../connectors/servicepower/schemas';
import type { MobileMappingSettings, ServiceChannelNoteInput } from '../mappings/work-order-to-mobile';
import { workOrderToMobileWorkflowId, type ServiceChannelEvent } from '../workflows/definitions';
import { WORK_ORDER_RECONCILE_WORKFLOW } from '../workflows/work-order-reconcile';

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
    async readMobileWorkOrder(input: { num: string }): Promise<MobileWorkOrderRead> {
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
      const query = `WorkflowType = ${visibilityString(WORK_ORDER_RECONCILE_WORKFLOW)} AND ExecutionStatus = "Completed" AND TaskQueue = ${visibilityString(temporal.taskQueue)}`;
      let newest: { workflowId: string; runId: string; closeTime: number } | null = null;
      let seen = 0;
      for await (const info of temporal.client.workflow.list({ query, pageSize: 10 })) {
        const closeTime = info.closeTime?.getTime() ?? 0;
        if (!newest || closeTime > newest.closeTime) newest = { workflowId: info.workflowId, runId: info.runId, closeTime };
        if (++seen >= 10) break;
      }
      const now = new Date().toISOString();
      if (!newest) return { watermark: null, now };
      const result = (await temporal.client.workflow.getHandle(newest.workflowId, newest.runId).result()) as { watermark?: string } | undefined;
      return { watermark: result?.watermark ?? null, now };
    },
  };
}

/** Every activity here makes one ServiceChannel request; they run on the rate-limited task queue. */
export function createServiceChannelActivities(deps: Pick<WorkOrderToMobileDeps, 'servicechannel'>) {
  const sc = deps.servicechannel;
  return {
    async getServiceChannelWorkOrder(input: { workOrderId: number }): Promise<ServiceChannelWorkOrder> {
      return sc.getWorkOrder(input.workOrderId);
    },
    async setServiceChannelStatus(input: { workOrderId: number; primary: string; extended: string | null; note?: string }): Promise<void> {
      await sc.updateStatus(input.workOrderId, { primary: input.primary, extended: input.extended, ...(input.note ? { note: input.note } : {}) });
    },
    async addServiceChannelNote(input: { workOrderId: number; note: string }): Promise<void> {
      await sc.addNote(input.workOrderId, { note: input.note });
    },
    async checkInServiceChannel(input: { workOrderId: number }): Promise<void> {
      await sc.checkIn(input.workOrderId);
    },
    async checkOutServiceChannel(input: { workOrderId: number; resolution?: string }): Promise<void> {
      await sc.checkOut(input.workOrderId, input.resolution ? { resolution: input.resolution } : {});
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
      const page = await sc.listWorkOrdersChangedSincePage(new Date(input.since), { pageSize: input.pageSize, cursor: input.cursor });
      return { rows: page.workOrders.filter((r) => r.UpdatedDate).map((r) => ({ workOrderId: r.Id, updatedDate: r.UpdatedDate! })), next: page.next };
    },
    /**
     * Every work order changed at or after `since`, all pages in this one activity (several requests).
     * Kept for reconciliation runs started before the paged activity existed; new runs use
     * listChangedServiceChannelWorkOrdersPage.
     */
    async listChangedServiceChannelWorkOrders(input: { since: string; pageSize: number }): Promise<ChangedWorkOrder[]> {
      const rows = await sc.listWorkOrdersChangedSince(new Date(input.since), { pageSize: input.pageSize });
      return rows.filter((r) => r.UpdatedDate).map((r) => ({ workOrderId: r.Id, updatedDate: r.UpdatedDate! }));
    },
  };
}

export type WorkOrderToMobileActivities = ReturnType<typeof createWorkOrderToMobileActivities>;
export type ServiceChannelActivities = ReturnType<typeof createServiceChannelActivities>;
