/**
 * How syncs are started, by the webhook receiver and by the CLI alike: signal-with-start on the
 * record's workflow id, so a change to a record whose sync is running queues a further pass instead
 * of starting a second sync, and a repeated event id is ignored by the workflow.
 */
import type { Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { SourceIdKey, SourceSystemKey, SyncKindKey, SyncStatusKey, TargetSystemKey } from '../common/search-attributes';
import type { customerUpsert } from '../workflows/customer-upsert';
import {
  CUSTOMER_UPSERT_WORKFLOW,
  customerUpsertWorkflowId,
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
