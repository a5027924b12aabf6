/**
 * Names, signals, queries and shared types of the FieldBridge workflows, and no workflow code:
 * imported by the workflows, their activities, the starters (common/starters.ts), the webhook
 * receiver, the CLI and tests alike, so none of them imports a workflow module for a name.
 * Workflow-safe.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { SyncStatus } from '../common/search-attributes';
import type { KeptField } from '../mappings/job-to-work-order';

/** A change to the source record, as delivered by a webhook or requested by an operator. */
export interface SourceChange {
  /** The source system's event id (webhook) or a generated one (CLI); duplicates are ignored. */
  eventId: string;
  changedFields?: string[];
}

export type SyncStep =
  | 'starting'
  | 'loading'
  | 'verifying'
  | 'mapping'
  | 'upserting'
  | 'writing-lines'
  | 'recording'
  | 'compensating'
  | 'done';

export interface SyncState {
  step: SyncStep;
  status: SyncStatus;
  /** How many times the source record has been synced in this run (a burst of changes adds passes). */
  passes: number;
  /** Changes received while a pass was running, to be synced by the next pass. */
  pendingChanges: number;
  /** The Specter customer id, once known: kept across passes and continue-as-new. */
  targetCode: string | null;
  /** Why the last pass failed, or why the sync is waiting. */
  lastError: string | null;
  /** What a waiting sync waits on (`servicetrade:location:42`, …); empty otherwise. */
  waitingOn?: string[];
  /** What the last pass asks an operator to do by hand (a value emptied in the source that the target keeps). */
  notices?: string[];
}

export const sourceChangedSignal = defineSignal<[SourceChange]>('sourceChanged');
/**
 * Look again at what a waiting sync waits on (an operator fixed a mapping, or ServiceTrade said the
 * record changed). Harmless to a sync that is not waiting. Sent by `fieldbridge recheck`, the
 * receiver, or the Temporal UI (signal name `recheck`, no argument needed).
 */
export const recheckSignal = defineSignal<[{ reason?: string }?]>('recheck');
export const syncStateQuery = defineQuery<SyncState>('syncState');

export interface CustomerUpsertInput {
  /** App4Sales customer id */
  customerId: string;
  /** Event ids already synced by earlier runs of this chain (carried over continue-as-new). */
  seenEventIds?: string[];
  /** The Specter customer id this chain already knows (carried over continue-as-new). */
  specterCustomerId?: string | null;
  /** Fingerprint of the App4Sales data last written to Specter (carried over continue-as-new). */
  sourceFingerprint?: string | null;
  /** Passes before continue-as-new (default 25); tests lower it. */
  maxPassesPerRun?: number;
  /** Attempts at the Specter write before giving up (default 12, about 10 minutes); tests lower it. */
  specterWriteMaxAttempts?: number;
  /**
   * The command sequence of this run, chosen when it starts (CUSTOMER_UPSERT_VERSION by the starters
   * and by continue-as-new): absent for runs started before it existed, which keep their original
   * sequence, so their histories replay. See workflows/customer-upsert.ts.
   */
  version?: number;
}

/**
 * 2: the App4Sales reads and the first tries of the code write-back are local activities, and
 * FieldBridgeTargetCode goes with the next status upsert (2 workflow tasks, 1 activity task, 5 actions
 * per new customer instead of 4, 3 and 6). A version in the input, not patched(): core records each
 * patch with an extra TemporalChangeVersion search-attribute upsert, one more action in every run.
 */
export const CUSTOMER_UPSERT_VERSION = 2;

export interface CustomerUpsertResult {
  customerId: string;
  specterCustomerId: string;
  created: boolean;
  /** False when Specter already held exactly this data (a redelivered event): nothing was sent. */
  written: boolean;
  passes: number;
  truncatedFields: string[];
  /** Fingerprint of the App4Sales data Specter now holds; a later run compares it before writing. */
  sourceFingerprint: string | null;
}

export const CUSTOMER_UPSERT_WORKFLOW = 'customerUpsert';

/** The workflow's signature (workflows/customer-upsert.ts), for its starters. */
export type CustomerUpsertWorkflow = (input: CustomerUpsertInput) => Promise<CustomerUpsertResult>;

/** One workflow per App4Sales customer: concurrent changes to it queue behind the running sync. */
export function customerUpsertWorkflowId(customerId: string): string {
  return `customer-upsert:app4sales:${customerId}`;
}

export interface JobToWorkOrderInput {
  /** ServiceTrade job id */
  jobId: number;
  /** Event ids already synced by earlier runs of this chain (carried over continue-as-new). */
  seenEventIds?: string[];
  /** What this chain has written to Spectrum (carried over continue-as-new). */
  written?: { workOrderNumber: string; lineGroups: Record<string, string>; headerFields?: Record<string, string> } | null;
  /** The chain's Spectrum session id (carried over continue-as-new). */
  guid?: string;
  /** Passes before continue-as-new (default 25); tests lower it. */
  maxPassesPerRun?: number;
  /** Heartbeat timeout of the lines activity (default 2 min): how soon a dead worker's attempt is retried; tests lower it. */
  linesHeartbeatTimeoutMs?: number;
  /**
   * The command sequence of this run, chosen when it starts (JOB_TO_WORK_ORDER_VERSION by the starter
   * and by continue-as-new): absent for runs started before it existed, which keep their original
   * sequence, so their histories replay. See workflows/job-to-work-order.ts.
   */
  version?: number;
}

/**
 * 2: the ServiceTrade load (with the mapping checks) and the Spectrum header (create-or-update) are
 * local activities run in the first workflow task, and the first tries of the number write-back are a
 * local activity in the workflow task that got the lines (2 workflow tasks, 1 activity task, 6 actions
 * per new job instead of 5, 4 and 7). A version in the input, not patched(), as for the customer sync.
 * 3: the work order number is claimed before the header (a local activity in the first workflow
 * task): the number recorded on the job wins over the computed one, a Spectrum work order of that
 * number FieldBridge did not write for this job is refused untouched, and the number is recorded on
 * the job then, not after the lines. Runs of version 2 or none keep their sequence.
 */
export const JOB_TO_WORK_ORDER_VERSION = 3;

export interface JobToWorkOrderResult {
  jobId: number;
  workOrderNumber: string;
  /** Item code -> fingerprint of the material lines Spectrum holds for the job. */
  lineGroups: Record<string, string>;
  linesAdded: number;
  /** False when the job already carried the number (nothing written back). */
  numberRecorded: boolean;
  /** The clearable header fields written with a value (the customer P.O., dates): recalled by the job's next sync. */
  headerFields?: Record<string, string>;
  /** Fields emptied in ServiceTrade whose old value Spectrum keeps (its web services never blank a field). */
  keptInSpectrum?: KeptField[];
  passes: number;
}

export const JOB_TO_WORK_ORDER_WORKFLOW = 'jobToWorkOrder';

/** The workflow's signature (workflows/job-to-work-order.ts), for its starters. */
export type JobToWorkOrderWorkflow = (input: JobToWorkOrderInput) => Promise<JobToWorkOrderResult>;

/** One workflow per ServiceTrade job: its changes and rechecks queue behind the running sync. */
export function jobToWorkOrderWorkflowId(jobId: number | string): string {
  return `job-to-work-order:servicetrade:${jobId}`;
}

// ---------------------------------------------------------------------------------------------
// The bulk load of App4Sales customers (workflows/customer-bulk-sync.ts)

export const CUSTOMER_BULK_SYNC_WORKFLOW = 'customerBulkSync';

/** One workflow per bulk run; `bulkId` is the start time or an id the operator gives. */
export function customerBulkSyncWorkflowId(bulkId: string): string {
  return `customer-bulk-sync:app4sales:${bulkId}`;
}

export interface CustomerBulkSyncInput {
  bulkId: string;
  /** Only customers without a CustomerCode (those Specter has not been given yet). */
  withoutCode?: boolean;
  /** Customers per page (1..500, default 100). */
  pageSize?: number;
  /** Signal-with-starts in flight at once (default 20). */
  concurrency?: number;
  /** Pages per run before continue-as-new (default 20). */
  pagesPerRun?: number;
  /** Carried over continue-as-new. */
  cursor?: string | null;
  progress?: CustomerBulkSyncProgress;
}

export interface CustomerBulkSyncProgress {
  /** Customers listed so far (one whose write-back moved it behind the cursor is listed twice). */
  listed: number;
  /** Syncs started or given one more change. */
  signalled: number;
  /** Already synced with their current data: not signalled. */
  skipped: number;
  /** Customers whose signal could not be delivered, retries exhausted. */
  failed: number;
  pages: number;
  done: boolean;
  lastError: string | null;
  /** Up to 100 of the customers counted in `failed`, for a re-run or a look. */
  failedCustomerIds: string[];
}

export type CustomerBulkSyncResult = CustomerBulkSyncProgress;

export const customerBulkSyncProgressQuery = defineQuery<CustomerBulkSyncProgress>('customerBulkSyncProgress');

// ---------------------------------------------------------------------------------------------
// The App4Sales customer sweep (workflows/customer-sweep.ts), started by its schedule

export const CUSTOMER_SWEEP_WORKFLOW = 'customerSweep';

export interface CustomerSweepInput {
  /** The very first sweep lists the customers changed this long before it (default `1h`). */
  lookback?: Duration;
  /** Each sweep starts this long before the previous one's watermark (default `2m`). */
  overlap?: Duration;
  /** Customers per page (1..500, default 200). */
  pageSize?: number;
  /** Signal-with-starts in flight at once (default 20). */
  concurrency?: number;
  /** Pages per run before continue-as-new (default 20). */
  pagesPerRun?: number;
  /** Carried over continue-as-new. */
  carried?: CustomerSweepCarry;
}

/** A customer the sweep saw within the overlap before its watermark, at that revision. */
export interface SweptCustomer {
  customerId: string;
  revision: number;
  changedAt: string;
}

export interface CustomerSweepProgress {
  /** Where this sweep started (ChangedAt at or after this); null until it knows. */
  changedSince: string | null;
  listed: number;
  signalled: number;
  /** Listed again at the revision the previous sweep saw (the overlap): not signalled. */
  seenBefore: number;
  /** Already synced with their current data: not signalled. */
  skipped: number;
  pages: number;
  done: boolean;
  lastError: string | null;
}

export interface CustomerSweepResult extends CustomerSweepProgress {
  changedSince: string;
  /** The latest ChangedAt seen (App4Sales' clock); the next sweep starts at this minus the overlap. */
  watermark: string;
  /** Customers seen within the overlap before the watermark: the next sweep skips these revisions. */
  boundary: SweptCustomer[];
  /** The completed sweep this one continued from; null for the first. */
  previousSweep: { workflowId: string; runId: string } | null;
}

export interface CustomerSweepCarry {
  progress: CustomerSweepProgress & { changedSince: string };
  cursor: string | null;
  watermark: string;
  /** Seen within the overlap before `watermark` (this sweep's and the previous one's). */
  recent: SweptCustomer[];
  /** `<customerId>@<revision>` the previous sweep saw in its overlap. */
  seenBefore: string[];
  previousSweep: { workflowId: string; runId: string } | null;
}

export const customerSweepProgressQuery = defineQuery<CustomerSweepProgress>('customerSweepProgress');

// ---------------------------------------------------------------------------------------------
// ServiceChannel work orders -> ServicePower mobile work orders (seeds 003, 004)

/** A ServiceChannel event for one work order, from its webhook, the reconciliation, or an operator. */
export interface ServiceChannelEvent {
  /** Stable id of the event (the webhook's, or `reconcile:<UpdatedDate>`), so a redelivery is recognised. */
  eventId: string;
  /** ServiceChannel's EventType, e.g. WorkOrderCreated, WorkOrderNteChanged; `Reconciled` from the reconciliation. */
  eventType: string;
  /** When ServiceChannel says it happened (ISO), for ordering; events are applied in arrival order otherwise. */
  occurredAt?: string;
  source: 'webhook' | 'reconcile' | 'cli';
}

/** A ServicePower status change of the mobile work order, from its notification or the workflow's own re-read. */
export interface MobileStatusChange {
  eventId: string;
  workOrderNum: string;
  /** ServicePower OrderStatus code as a string, e.g. '7' on site, '4096' closed complete. */
  orderStatus: string;
  previousOrderStatus?: string;
  occurredAt?: string;
  note?: string;
}

export const serviceChannelEventSignal = defineSignal<[ServiceChannelEvent]>('serviceChannelEvent');
export const mobileStatusChangedSignal = defineSignal<[MobileStatusChange]>('mobileStatusChanged');

export interface WorkOrderToMobileInput {
  /** ServiceChannel work order id */
  workOrderId: number;
  /** Event ids already applied by earlier runs of this chain (carried over continue-as-new). */
  appliedEventIds?: string[];
  /** What this chain has sent to ServicePower (the last work order document) and learnt (carried over continue-as-new). */
  carried?: unknown;
  /** Events before continue-as-new (default 200); tests lower it. */
  maxEventsPerRun?: number;
  /**
   * History events before continue-as-new (default MOBILE_MAX_HISTORY_EVENTS, 5,000; also when Temporal
   * suggests it): a quiet open work order's re-reads add events without any event being applied. Tests lower it.
   */
  maxHistoryLength?: number;
  /** How long a work order may wait on a problem of its data (a location without an address) before the sync fails (default 7 days). */
  problemDeadlineMs?: number;
  /**
   * The command sequence of this run (WORK_ORDER_TO_MOBILE_VERSION by the starter and by
   * continue-as-new): absent for runs started before it existed, which keep their first sequence
   * (workflows/work-order-to-mobile-v1.ts) until they continue-as-new, so their histories replay.
   */
  version?: number;
}

/**
 * 2: every ServiceChannel write reads before it writes (keyed notes, check-ins by the visit
 * time, status only forward), a new run starts from what ServicePower and ServiceChannel hold, the mobile
 * number is built from the work order Id, a 404 is confirmed by a second read before anything is
 * deleted, and the history rolls over on its size. See workflows/work-order-to-mobile.ts.
 */
export const WORK_ORDER_TO_MOBILE_VERSION = 2;

export interface WorkOrderToMobileResult {
  workOrderId: number;
  workOrderNum: string | null;
  /** How the work order ended: closed in the field, cancelled in ServiceChannel, … */
  outcome: string;
  eventsApplied: number;
}

export const WORK_ORDER_TO_MOBILE_WORKFLOW = 'workOrderToMobile';

/** The workflow's signature (workflows/work-order-to-mobile.ts), for its starters. */
export type WorkOrderToMobileWorkflow = (input: WorkOrderToMobileInput) => Promise<WorkOrderToMobileResult>;

/** One long-lived workflow per ServiceChannel work order: its events apply in order. */
export function workOrderToMobileWorkflowId(workOrderId: number | string): string {
  return `work-order-to-mobile:servicechannel:${workOrderId}`;
}

/** The ServiceChannel reconciliation (workflows/work-order-reconcile.ts), started by its schedule. */
export const WORK_ORDER_RECONCILE_WORKFLOW = 'workOrderReconcile';

export interface WorkOrderReconcileInput {
  /** The first run lists work orders changed this long before it (default 1 h). */
  lookbackMs?: number;
  /** Each run starts this long before the previous watermark (default 2 min). */
  overlapMs?: number;
  /** Rows asked per list request (default 100; the client asks at most 50, ServiceChannel's page, and pages on). */
  pageSize?: number;
}

export interface WorkOrderReconcileResult {
  since: string;
  /** The latest UpdatedDate seen; the next run starts from it less the overlap. */
  watermark: string;
  listed: number;
  signalled: number;
}

/** The ServiceTrade job sweep (workflows/job-sweep.ts): names shared by the workflow, its activities and its schedule. */
export const JOB_SWEEP_WORKFLOW = 'serviceTradeJobSweep';

export interface JobSweepInput {
  /** The first sweep lists the jobs updated this many seconds before it (default 3600). */
  lookbackSeconds?: number;
  /** Each sweep starts this many seconds before the previous watermark (default 120). */
  overlapSeconds?: number;
}

export interface JobSweepResult {
  /** Unix seconds the listing started from (`updatedAfter`). */
  updatedAfter: number;
  /** The latest `updated` seen (ServiceTrade's clock); the next sweep starts from it less the overlap. */
  watermark: number;
  pages: number;
  listed: number;
  /** Jobs whose sync this sweep started. */
  started: number[];
  /** Listed jobs left alone: their number is recorded, or their sync exists. */
  recorded: number;
  known: number;
}
