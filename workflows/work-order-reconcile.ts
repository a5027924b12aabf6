/**
 * The ServiceChannel reconciliation (ServiceChannel drops a webhook after 3 tries). Started by
 * a Temporal Schedule every reconcileIntervalMs (client/reconcile-schedule.ts; overlap SKIP):
 *
 *   find where the last completed reconciliation stopped (its watermark: the latest UpdatedDate it
 *   saw, ServiceChannel's clock) -> list the work orders changed since then, less an overlap, ONE
 *   page per activity (one ServiceChannel request each, so the task queue's rate limit counts every
 *   request) -> signal-with-start each page's work orders (workOrderToMobile, `reconcile:<UpdatedDate>`)
 *   -> the next page, up to MAX_PAGES_PER_RUN -> return the new watermark
 *
 * The workflow ignores a reconcile event it has already applied, and one no newer than the work
 * order version it last read; a work order whose workflow has completed (final on both sides) is not
 * signalled. The very first run looks back `lookbackMs`.
 */
import { proxyActivities, workflowInfo, type RetryPolicy } from '@temporalio/workflow';
import type { ChangedSinceCursor, ChangedWorkOrder, ServiceChannelActivities, WorkOrderToMobileActivities } from '../activities/work-order-to-mobile';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';
import { serviceChannelTaskQueue } from '../common/task-queues';
import type { WorkOrderReconcileInput, WorkOrderReconcileResult } from './definitions';

/** The event id the reconciliation gives a work order's change: two runs that see one version signal it once. */
export function reconcileEventId(updatedDate: string): string {
  return `reconcile:${updatedDate}`;
}

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES };
const { findLastWorkOrderReconcile, signalWorkOrderEvents } = proxyActivities<WorkOrderToMobileActivities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '1h',
  retry,
});

const SIGNAL_BATCH = 100;

/** Most pages one run reads (100 rows each by default): the rest waits for the next run, from its watermark. */
const MAX_PAGES_PER_RUN = 200;

export async function workOrderReconcile(input: WorkOrderReconcileInput = {}): Promise<WorkOrderReconcileResult> {
  const { listChangedServiceChannelWorkOrdersPage } = proxyActivities<ServiceChannelActivities>({
    taskQueue: serviceChannelTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '1m',
    scheduleToCloseTimeout: '1h',
    retry,
  });
  const lookbackMs = input.lookbackMs ?? 3_600_000;
  const overlapMs = input.overlapMs ?? 120_000;
  const pageSize = input.pageSize ?? 100;
  const { watermark: previous, now } = await findLastWorkOrderReconcile();
  const since = new Date(previous ? Date.parse(previous) - overlapMs : Date.parse(now) - lookbackMs).toISOString();
  let latest = previous;
  let listed = 0;
  let signalled = 0;
  // One ServiceChannel request per activity: a page, then its signals, then the next page.
  let cursor: ChangedSinceCursor | null = null;
  for (let page = 1; page <= MAX_PAGES_PER_RUN; page += 1) {
    const { rows, next }: { rows: ChangedWorkOrder[]; next: ChangedSinceCursor | null } = await listChangedServiceChannelWorkOrdersPage({ since, pageSize, cursor });
    listed += rows.length;
    for (let i = 0; i < rows.length; i += SIGNAL_BATCH) {
      const events = rows.slice(i, i + SIGNAL_BATCH).map((row) => ({
        workOrderId: row.workOrderId,
        event: { eventId: reconcileEventId(row.updatedDate), eventType: 'Reconciled', occurredAt: row.updatedDate, source: 'reconcile' as const },
      }));
      signalled += (await signalWorkOrderEvents({ events })).signalled;
    }
    latest = rows.reduce<string | null>((max, r) => (!max || Date.parse(r.updatedDate) > Date.parse(max) ? r.updatedDate : max), latest);
    if (!next) break;
    cursor = next;
  }
  return { since, watermark: latest ?? since, listed, signalled };
}
