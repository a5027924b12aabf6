/**
 * How syncs are started, by the webhook receiver, the CLI and the sweep activities alike:
 * signal-with-start on the record's workflow id, so a change to a record whose sync is running
 * queues a further pass instead of starting a second sync, and a repeated event id is ignored by the
 * workflow. Workflows are named and typed through workflows/definitions.ts, never imported.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { SourceIdKey, SourceSystemKey, SyncKindKey, SyncStatusKey, TargetSystemKey, WaitingOnKey, visibilityString } from './search-attributes';
import {
  CUSTOMER_UPSERT_VERSION,
  CUSTOMER_UPSERT_WORKFLOW,
  customerUpsertWorkflowId,
  JOB_TO_WORK_ORDER_VERSION,
  JOB_TO_WORK_ORDER_WORKFLOW,
  jobToWorkOrderWorkflowId,
  mobileStatusChangedSignal,
  recheckSignal,
  serviceChannelEventSignal,
  sourceChangedSignal,
  WORK_ORDER_TO_MOBILE_WORKFLOW,
  WORK_ORDER_TO_MOBILE_VERSION,
  workOrderToMobileWorkflowId,
  type CustomerUpsertWorkflow,
  type JobToWorkOrderWorkflow,
  type MobileStatusChange,
  type ServiceChannelEvent,
  type SourceChange,
  type WorkOrderToMobileWorkflow,
} from '../workflows/definitions';

export interface StartedSync {
  workflowId: string;
  /** The run the change was delivered to (new or already running). */
  runId: string;
}

/** The search attributes a customer sync starts with (free at start; ids only, never customer data). */
export function customerUpsertSearchAttributes(customerId: string): SearchAttributePair[] {
  return [
    { key: SourceSystemKey, value: 'app4sales' },
    { key: SourceIdKey, value: customerId },
    { key: TargetSystemKey, value: 'specter' },
    { key: SyncKindKey, value: 'customer-upsert' },
    { key: SyncStatusKey, value: 'running' },
  ];
}

/**
 * Sync an App4Sales customer to Specter (or queue another pass of its running sync). `version`: the
 * command sequence of a new run (default CUSTOMER_UPSERT_VERSION; null: the first one, as runs started
 * before it had, which the bench measures as "before").
 */
export async function startCustomerUpsert(
  client: Client,
  taskQueue: string,
  customerId: string,
  change: SourceChange,
  version: number | null = CUSTOMER_UPSERT_VERSION,
): Promise<StartedSync> {
  const workflowId = customerUpsertWorkflowId(customerId);
  const handle = await client.workflow.signalWithStart<CustomerUpsertWorkflow, [SourceChange]>(CUSTOMER_UPSERT_WORKFLOW, {
    workflowId,
    taskQueue,
    args: [version === null ? { customerId } : { customerId, version }],
    signal: sourceChangedSignal,
    signalArgs: [change],
    typedSearchAttributes: customerUpsertSearchAttributes(customerId),
  });
  return { workflowId, runId: handle.signaledRunId };
}

/** The search attributes a job sync starts with (ids only). */
export function jobToWorkOrderSearchAttributes(jobId: number): SearchAttributePair[] {
  return [
    { key: SourceSystemKey, value: 'servicetrade' },
    { key: SourceIdKey, value: String(jobId) },
    { key: TargetSystemKey, value: 'spectrum' },
    { key: SyncKindKey, value: 'job-to-work-order' },
    { key: SyncStatusKey, value: 'running' },
  ];
}

/**
 * The event id of a job's creation (`servicetrade:job:<id>:created:<unix seconds>`): the webhook
 * gives it from the entry's timestamp and the job sweep from the job's `created`, so a sweep and a
 * webhook for one new job add no second pass to its sync.
 */
export function jobCreatedEventIdOf(jobId: number, createdAt: number): string {
  return `servicetrade:job:${jobId}:created:${createdAt}`;
}

/**
 * Sync a ServiceTrade job to its Spectrum work order (or queue another pass of its running sync).
 * `version`: the command sequence of a new run (default JOB_TO_WORK_ORDER_VERSION; null: the first
 * one, as runs started before it had, which the bench measures as "before").
 */
export async function startJobToWorkOrder(
  client: Client,
  taskQueue: string,
  jobId: number,
  change: SourceChange,
  version: number | null = JOB_TO_WORK_ORDER_VERSION,
): Promise<StartedSync> {
  const workflowId = jobToWorkOrderWorkflowId(jobId);
  const handle = await client.workflow.signalWithStart<JobToWorkOrderWorkflow, [SourceChange]>(JOB_TO_WORK_ORDER_WORKFLOW, {
    workflowId,
    taskQueue,
    args: [version === null ? { jobId } : { jobId, version }],
    signal: sourceChangedSignal,
    signalArgs: [change],
    typedSearchAttributes: jobToWorkOrderSearchAttributes(jobId),
  });
  return { workflowId, runId: handle.signaledRunId };
}

/**
 * Wake the running syncs that wait on a record (`servicetrade:location:42`): each looks again at
 * what it lacks. Returns the workflow ids signalled.
 */
export async function recheckSyncsWaitingOn(client: Client, waitKey: string, reason: string): Promise<string[]> {
  const query = `${WaitingOnKey.name} = ${visibilityString(waitKey)} AND ExecutionStatus = "Running"`;
  const signalled: string[] = [];
  for await (const info of client.workflow.list({ query, pageSize: 100 })) {
    await client.workflow.getHandle(info.workflowId, info.runId).signal(recheckSignal, { reason });
    signalled.push(info.workflowId);
  }
  return signalled;
}

// ---------------------------------------------------------------------------------------------
// ServiceChannel work orders -> ServicePower mobile work orders

/** The search attributes a work order's workflow starts with (ids only; the workflow adds its status and the mobile work order number). */
export function workOrderToMobileSearchAttributes(workOrderId: number): SearchAttributePair[] {
  return [
    { key: SourceSystemKey, value: 'servicechannel' },
    { key: SourceIdKey, value: String(workOrderId) },
    { key: TargetSystemKey, value: 'servicepower' },
    { key: SyncKindKey, value: 'work-order-to-mobile' },
    { key: SyncStatusKey, value: 'running' },
  ];
}

/**
 * Deliver a ServiceChannel event to its work order's workflow, starting the workflow if it is not
 * running (signal-with-start): events for one work order queue in order behind each other, and an
 * event id the workflow has already applied is ignored by it.
 */
export async function startWorkOrderToMobile(client: Client, taskQueue: string, workOrderId: number, event: ServiceChannelEvent): Promise<StartedSync> {
  const workflowId = workOrderToMobileWorkflowId(workOrderId);
  const handle = await client.workflow.signalWithStart<WorkOrderToMobileWorkflow, [ServiceChannelEvent]>(WORK_ORDER_TO_MOBILE_WORKFLOW, {
    workflowId,
    taskQueue,
    args: [{ workOrderId, version: WORK_ORDER_TO_MOBILE_VERSION }],
    signal: serviceChannelEventSignal,
    signalArgs: [event],
    typedSearchAttributes: workOrderToMobileSearchAttributes(workOrderId),
  });
  return { workflowId, runId: handle.signaledRunId };
}

export type MobileStatusSignalled =
  /** Signalled to the workflow id (whichever run is current when Temporal takes the signal). */
  | { signalled: true; workflowId: string }
  /** No workflow of that work order is running (never started, or ended): nothing was signalled. */
  | { signalled: false; workflowId: string; reason: string };

/**
 * Tell a work order's running workflow that its ServicePower OrderStatus moved. The signal names the
 * workflow id only, never a run id: a run id read first goes stale when the workflow continues as new
 * in between, and the signal to it would fail (the notification answered 202 and dropped); Temporal
 * delivers a signal without a run id to the run that is current when it takes it. A field change for
 * a work order whose workflow is not running starts nothing (the workflow is started by ServiceChannel
 * events only): the result says so.
 */
export async function signalMobileStatus(client: Client, workOrderId: number, change: MobileStatusChange): Promise<MobileStatusSignalled> {
  const workflowId = workOrderToMobileWorkflowId(workOrderId);
  try {
    await client.workflow.getHandle(workflowId).signal(mobileStatusChangedSignal, change);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return { signalled: false, workflowId, reason: `no running workflow for ServiceChannel work order ${workOrderId}` };
    }
    throw err;
  }
  return { signalled: true, workflowId };
}
