/**
 * Starting and following the bulk load of App4Sales customers (`fieldbridge sync app4sales-customer
 * --all`): one durable customerBulkSync workflow, never a client-side loop.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { SourceSystemKey, SyncKindKey, SyncStatusKey, TargetSystemKey } from '../common/search-attributes';
import type { customerBulkSync } from '../workflows/customer-bulk-sync';
import {
  CUSTOMER_BULK_SYNC_WORKFLOW,
  customerBulkSyncProgressQuery,
  customerBulkSyncWorkflowId,
  type CustomerBulkSyncInput,
  type CustomerBulkSyncProgress,
} from '../workflows/definitions';

export type CustomerBulkSyncHandle = WorkflowHandle<typeof customerBulkSync>;

/**
 * Start the bulk load (`bulkId` defaults to the start time). A bulk sync with that id that is still
 * running is followed, not started twice; one that completed is refused (give another id); one that
 * failed may run again.
 */
export async function startCustomerBulkSync(
  client: Client,
  taskQueue: string,
  opts: Omit<CustomerBulkSyncInput, 'bulkId' | 'cursor' | 'progress'> & { bulkId?: string } = {},
): Promise<CustomerBulkSyncHandle> {
  const bulkId = opts.bulkId ?? new Date().toISOString();
  const workflowId = customerBulkSyncWorkflowId(bulkId);
  try {
    await client.workflow.start<typeof customerBulkSync>(CUSTOMER_BULK_SYNC_WORKFLOW, {
      workflowId,
      taskQueue,
      args: [{ ...opts, bulkId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      // Set at start: free. Ids only (no customer data).
      typedSearchAttributes: [
        { key: SourceSystemKey, value: 'app4sales' },
        { key: TargetSystemKey, value: 'specter' },
        { key: SyncKindKey, value: 'customer-bulk-sync' },
        { key: SyncStatusKey, value: 'running' },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(`bulk sync ${workflowId} already completed: give another --id (or none, for the start time)`);
    }
    throw err;
  }
  // No run id: queries and the result follow the chain through continue-as-new.
  return client.workflow.getHandle<typeof customerBulkSync>(workflowId);
}

/**
 * Wait for the bulk sync's result, asking for its progress every `everyMs` (each query is one
 * Temporal action) and handing each answer to `onProgress`.
 */
export async function followCustomerBulkSync(
  handle: CustomerBulkSyncHandle,
  onProgress: (progress: CustomerBulkSyncProgress) => void,
  everyMs = 1000,
): Promise<CustomerBulkSyncProgress> {
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  while (!finished) {
    await Promise.race([result.catch(() => undefined), sleep(everyMs)]);
    if (finished) break;
    const progress = await handle.query(customerBulkSyncProgressQuery).catch(() => null);
    if (progress) onProgress(progress);
  }
  return result;
}
