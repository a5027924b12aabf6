/**
 * How syncs are started, by the webhook receiver and by the CLI alike: signal-with-start on the
 * record's workflow id, so a change to a record whose sync is running queues a further pass instead
 * of starting a second sync, and a repeated event id is ignored by the workflow.
 */
import type { Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { SourceIdKey, SourceSystemKey, SyncKindKey, SyncStatusKey, TargetSystemKey, WaitingOnKey, visibilityString } from '../common/search-attributes';
import type { customerUpsert } from '../workflows/customer-upsert';
import type { jobToWorkOrder } from '../workflows/job-to-work-order';
import {
  CUSTOMER_UPSERT_WORKFLOW,
  customerUpsertWorkflowId,
  JOB_TO_WORK_ORDER_WORKFLOW,
  jobToWorkOrderWorkflowId,
  recheckSignal,
  sourceChangedSignal,
  type SourceChange,
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

export async function startCustomerUpsert(
  client: Client,
  taskQueue: string,
  customerId: string,
  change: SourceChange,
): Promise<StartedSync> {
  const workflowId = customerUpsertWorkflowId(customerId);
  const handle = await client.workflow.signalWithStart<typeof customerUpsert, [SourceChange]>(CUSTOMER_UPSERT_WORKFLOW, {
    workflowId,
    taskQueue,
    args: [{ customerId }],
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

/** Sync a ServiceTrade job to its Spectrum work order (or queue another pass of its running sync). */
export async function startJobToWorkOrder(client: Client, taskQueue: string, jobId: number, change: SourceChange): Promise<StartedSync> {
  const workflowId = jobToWorkOrderWorkflowId(jobId);
  const handle = await client.workflow.signalWithStart<typeof jobToWorkOrder, [SourceChange]>(JOB_TO_WORK_ORDER_WORKFLOW, {
    workflowId,
    taskQueue,
    args: [{ jobId }],
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
