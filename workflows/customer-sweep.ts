/**
 * The App4Sales customer sweep (nothing waits for a webhook that never comes). Started by
 * a Temporal Schedule every few minutes (client/schedules.ts; overlap SKIP), it lists the App4Sales
 * customers changed since the last completed sweep stopped and signals each one's customerUpsert, so a
 * change whose webhook was lost is synced within one interval.
 *
 *   find where the last completed sweep stopped -> list customers changed since then, less an overlap
 *   -> signal each one's sync (eventId `sweep:<customerId>:<Revision>`) -> return the new watermark
 *
 * Where to start: the newest completed sweep's result holds its watermark (the latest App4Sales
 * ChangedAt it saw, so FieldBridge's clock does not matter) and the customers it saw within the
 * overlap before it. The next sweep lists from watermark - overlap, so a change App4Sales stamped
 * just before the watermark but made visible late is not missed, and skips the customers it lists
 * again at the revision the previous sweep already saw. The very first sweep looks back `lookback`.
 * A failed sweep leaves no watermark: the next one starts where the last completed one stopped.
 *
 * A sync that is running gets the signal (a revision it has seen adds no pass); a customer whose last
 * sync completed with exactly its current data (e.g. a change that came with its webhook, or
 * FieldBridge's own CustomerCode write-back) is skipped by the signalling activity. Ids only in
 * workflow ids, inputs and results: no customer names or e-mails.
 */
import { msToNumber } from '@temporalio/common/lib/time';
import { continueAsNew, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CustomerFanOutActivities, ListedCustomers } from '../activities/customer-fan-out';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';
import {
  customerSweepProgressQuery,
  type CustomerSweepCarry,
  type CustomerSweepInput,
  type CustomerSweepProgress,
  type CustomerSweepResult,
  type SweptCustomer,
} from './definitions';
import { innermostMessage } from './failures';

/** The event id a sweep gives a customer's change: two sweeps that see one revision signal it once. */
export function sweepEventId(customerId: string, revision: number): string {
  return `sweep:${customerId}:${revision}`;
}

/** App4Sales reads and finding the last sweep: a sweep that cannot finish within the hour fails; the next one starts over. */
const { listApp4SalesCustomers, findLastCustomerSweep } = proxyActivities<CustomerFanOutActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

/** One page's signal-with-starts; a batch with undelivered signals is retried whole (it is idempotent). */
const { signalCustomerSyncs } = proxyActivities<CustomerFanOutActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

const DEFAULT_LOOKBACK = '1h';
const DEFAULT_OVERLAP = '2m';
/** Cap on the boundary carried to the next sweep (beyond it, the signalling activity's own check still skips synced customers). */
const MAX_BOUNDARY = 5000;

const time = (iso: string) => Date.parse(iso);
const minus = (iso: string, ms: number) => new Date(time(iso) - ms).toISOString();

export async function customerSweep(input: CustomerSweepInput = {}): Promise<CustomerSweepResult> {
  const overlapMs = msToNumber(input.overlap ?? DEFAULT_OVERLAP);
  const pageSize = input.pageSize ?? 200;
  const pagesPerRun = input.pagesPerRun ?? 20;
  const progress: CustomerSweepProgress = input.carried?.progress ?? {
    changedSince: null,
    listed: 0,
    signalled: 0,
    seenBefore: 0,
    skipped: 0,
    pages: 0,
    done: false,
    lastError: null,
  };
  setHandler(customerSweepProgressQuery, () => ({ ...progress }));

  const carry: CustomerSweepCarry = input.carried ?? (await startingPoint(input, progress, overlapMs));
  const changedSince = carry.progress.changedSince;
  const seenBefore = new Set(carry.seenBefore);
  let { cursor, watermark, recent } = carry;

  for (let pagesThisRun = 0; ; pagesThisRun++) {
    if (pagesThisRun >= pagesPerRun) {
      await continueAsNew<typeof customerSweep>({
        ...input,
        carried: { progress: { ...progress, changedSince }, cursor, watermark, recent, seenBefore: [...seenBefore], previousSweep: carry.previousSweep },
      });
    }
    const page: ListedCustomers = await listApp4SalesCustomers({ changedSince, pageSize, cursor: cursor ?? undefined });
    progress.pages += 1;
    progress.listed += page.customers.length;

    const changed = page.customers.filter((c) => !seenBefore.has(`${c.Id}@${c.Revision}`));
    progress.seenBefore += page.customers.length - changed.length;
    for (const c of page.customers) if (time(c.ChangedAt) > time(watermark)) watermark = c.ChangedAt;
    recent = withinOverlap([...recent, ...page.customers.map((c) => ({ customerId: c.Id, revision: c.Revision, changedAt: c.ChangedAt }))], watermark, overlapMs);

    if (changed.length > 0) {
      try {
        const sent = await signalCustomerSyncs({
          signals: changed.map((c) => ({ customerId: c.Id, eventId: sweepEventId(c.Id, c.Revision) })),
          concurrency: input.concurrency,
        });
        progress.signalled += sent.signalled;
        progress.skipped += sent.skipped;
      } catch (err) {
        // No watermark from a sweep that missed signals: the next one starts where the last completed one stopped.
        progress.lastError = innermostMessage(err);
        throw err;
      }
    }
    cursor = page.nextCursor;
    if (!cursor) break;
  }

  progress.done = true;
  log.info('customer sweep done', { changedSince, watermark, listed: progress.listed, signalled: progress.signalled, skipped: progress.skipped });
  return { ...progress, changedSince, watermark, boundary: recent, previousSweep: carry.previousSweep };
}

/** From the last completed sweep's watermark less the overlap; the first sweep looks back `lookback`. */
async function startingPoint(input: CustomerSweepInput, progress: CustomerSweepProgress, overlapMs: number): Promise<CustomerSweepCarry> {
  const { previous, now } = await findLastCustomerSweep();
  const usable = previous && typeof previous.watermark === 'string' && !Number.isNaN(time(previous.watermark));
  const changedSince = usable ? minus(previous.watermark, overlapMs) : minus(now, msToNumber(input.lookback ?? DEFAULT_LOOKBACK));
  const boundary = usable && Array.isArray(previous.boundary) ? previous.boundary : [];
  progress.changedSince = changedSince;
  log.info('customer sweep starts', { changedSince, previousSweep: usable ? previous.workflowId : null });
  return {
    progress: { ...progress, changedSince },
    cursor: null,
    watermark: usable ? previous.watermark : changedSince,
    recent: boundary,
    seenBefore: boundary.map((b) => `${b.customerId}@${b.revision}`),
    previousSweep: usable ? { workflowId: previous.workflowId, runId: previous.runId } : null,
  };
}

/** The latest entry per customer, changed within the overlap before the watermark; at most MAX_BOUNDARY, the newest. */
function withinOverlap(entries: SweptCustomer[], watermark: string, overlapMs: number): SweptCustomer[] {
  const from = time(watermark) - overlapMs;
  const latest = new Map<string, SweptCustomer>();
  for (const e of entries) {
    if (time(e.changedAt) < from) continue;
    const known = latest.get(e.customerId);
    if (!known || time(e.changedAt) >= time(known.changedAt)) latest.set(e.customerId, e);
  }
  return [...latest.values()].sort((a, b) => time(a.changedAt) - time(b.changedAt)).slice(-MAX_BOUNDARY);
}
