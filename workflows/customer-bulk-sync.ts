/**
 * The first load of an existing App4Sales customer base (`fieldbridge sync app4sales-customer --all`):
 * one durable workflow pages through the App4Sales customer list and fans out, page by page, one
 * customerUpsert signal-with-start per customer. The syncs stay one workflow per customer, exactly
 * as a webhook starts them; this workflow only says "sync these".
 *
 *   list a page (activity, retried) -> signal each customer's sync, bounded concurrency (activity,
 *   retried whole: idempotent) -> next page ... -> continue-as-new every `pagesPerRun` pages
 *
 * Each customer's signal carries the event id `bulk:<bulkId>:<customerId>`: a retried batch adds no
 * pass to a sync that is still running, and the signalling activity skips a customer whose last sync
 * completed with its current data (so one that the listing shows again after its CustomerCode
 * write-back moved it behind the cursor starts no second run). Progress is a query; the result
 * counts what was listed, signalled, skipped and failed. Ids only: no customer data in ids,
 * attributes, inputs or results.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { CustomerFanOutActivities, ListedCustomers } from '../activities/customer-fan-out';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';
import { SyncStatusKey, type SyncStatus } from '../common/search-attributes';
import { customerBulkSyncProgressQuery, type CustomerBulkSyncInput, type CustomerBulkSyncProgress, type CustomerBulkSyncResult } from './definitions';
import { innermostMessage } from './failures';

/** The event id a bulk run gives each customer's change: the same on every retry of its batch. */
export function bulkEventId(bulkId: string, customerId: string): string {
  return `bulk:${bulkId}:${customerId}`;
}

/** App4Sales list reads: cheap and idempotent, retried for as long as App4Sales is down (up to a day). */
const { listApp4SalesCustomers } = proxyActivities<CustomerFanOutActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

/** One page's signal-with-starts; a batch with undelivered signals is retried whole (it is idempotent). */
const { signalCustomerSyncs } = proxyActivities<CustomerFanOutActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

const FAILED_IDS_KEPT = 100;

export async function customerBulkSync(input: CustomerBulkSyncInput): Promise<CustomerBulkSyncResult> {
  const { bulkId, withoutCode = false } = input;
  const pageSize = input.pageSize ?? 100;
  const pagesPerRun = input.pagesPerRun ?? 20;
  const progress: CustomerBulkSyncProgress = input.progress ?? {
    listed: 0,
    signalled: 0,
    skipped: 0,
    failed: 0,
    pages: 0,
    done: false,
    lastError: null,
    failedCustomerIds: [],
  };
  setHandler(customerBulkSyncProgressQuery, () => ({ ...progress, failedCustomerIds: [...progress.failedCustomerIds] }));
  const setStatus = (status: SyncStatus) => upsertSearchAttributes([{ key: SyncStatusKey, value: status }]);

  let cursor = input.cursor ?? null;
  try {
    for (let pagesThisRun = 0; ; pagesThisRun++) {
      if (pagesThisRun >= pagesPerRun) {
        await continueAsNew<typeof customerBulkSync>({ ...input, cursor, progress });
      }
      const page: ListedCustomers = await listApp4SalesCustomers({ withoutCode: withoutCode || undefined, pageSize, cursor: cursor ?? undefined });
      progress.pages += 1;
      progress.listed += page.customers.length;
      if (page.customers.length > 0) await signalPage(bulkId, page, input.concurrency, progress);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    progress.lastError = innermostMessage(err);
    // A cancelled run shows as cancelled from Temporal's own status.
    if (!isCancellation(err)) setStatus('failed');
    throw err;
  }
  progress.done = true;
  setStatus('completed');
  log.info('customer bulk sync done', { bulkId, listed: progress.listed, signalled: progress.signalled, skipped: progress.skipped, failed: progress.failed });
  return { ...progress };
}

/** Signal a page's customers; a batch that still fails after its retries is counted and the load goes on. */
async function signalPage(bulkId: string, page: ListedCustomers, concurrency: number | undefined, progress: CustomerBulkSyncProgress): Promise<void> {
  try {
    const sent = await signalCustomerSyncs({
      signals: page.customers.map((c) => ({ customerId: c.Id, eventId: bulkEventId(bulkId, c.Id) })),
      concurrency,
    });
    progress.signalled += sent.signalled;
    progress.skipped += sent.skipped;
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    const last = lastAttemptOf(err);
    const failedIds = last?.failedCustomerIds ?? page.customers.map((c) => c.Id);
    progress.failed += failedIds.length;
    progress.signalled += last?.signalled ?? 0;
    progress.skipped += last?.skipped ?? 0;
    progress.failedCustomerIds = [...progress.failedCustomerIds, ...failedIds].slice(0, FAILED_IDS_KEPT);
    progress.lastError = innermostMessage(err);
    log.warn('customer syncs could not be signalled, retries exhausted: going on with the next page', { bulkId, failed: failedIds.length, error: progress.lastError });
  }
}

/** What the batch's last attempt reported: the customers it could not signal, and its counts. */
function lastAttemptOf(err: ActivityFailure): { failedCustomerIds: string[]; signalled: number; skipped: number } | null {
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure)) return null;
  const details = cause.details?.[0] as { failedCustomerIds?: unknown; signalled?: unknown; skipped?: unknown } | undefined;
  if (!Array.isArray(details?.failedCustomerIds)) return null;
  return {
    failedCustomerIds: details.failedCustomerIds.filter((id): id is string => typeof id === 'string'),
    signalled: typeof details.signalled === 'number' ? details.signalled : 0,
    skipped: typeof details.skipped === 'number' ? details.skipped : 0,
  };
}
