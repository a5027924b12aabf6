/**
 * The ServiceTrade job sweep (a lost job-created webhook is never synced otherwise).
 * Started by a Temporal Schedule every few minutes (client/job-sweep-schedule.ts; overlap SKIP), only
 * while automatic sync of new jobs is on (seed 000, SERVICETRADE_AUTO_SYNC_NEW_JOBS):
 *
 *   find where the last completed sweep stopped (its watermark: the latest job `updated` it saw,
 *   ServiceTrade's clock) -> list the jobs updated since then, less an overlap, ONE page per activity
 *   (`GET /job?updatedAfter=&page=`, paged by `totalPages` as the official SDKs read it) -> start the
 *   sync of each listed job that has no work order number and no sync yet (startJobToWorkOrder, the
 *   job-created event id) -> the next page, up to MAX_PAGES_PER_RUN -> return the new watermark
 *
 * The very first sweep looks back `lookbackSeconds`. A failed sweep leaves no watermark: the next one
 * starts where the last completed one stopped. Ids only in inputs and results.
 */
import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { JobSweepActivities, SweptJob } from '../activities/job-sweep';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';
import type { JobSweepInput, JobSweepResult } from './definitions';

export { JOB_SWEEP_WORKFLOW, type JobSweepInput, type JobSweepResult } from './definitions';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES };
/** A sweep that cannot finish within the hour fails; the next one starts from the last completed one. */
const { findLastJobSweep, listServiceTradeJobsPage, startJobSyncs } = proxyActivities<JobSweepActivities>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '1h',
  retry,
});

/** Most pages one sweep reads (100 jobs each by default): the rest waits for the next sweep, from its watermark. */
const MAX_PAGES_PER_RUN = 100;

export async function serviceTradeJobSweep(input: JobSweepInput = {}): Promise<JobSweepResult> {
  const lookback = input.lookbackSeconds ?? 3600;
  const overlap = input.overlapSeconds ?? 120;
  const { watermark: previous, now } = await findLastJobSweep();
  const updatedAfter = Math.max(0, previous !== null ? previous - overlap : now - lookback);
  const result: JobSweepResult = { updatedAfter, watermark: previous ?? updatedAfter, pages: 0, listed: 0, started: [], recorded: 0, known: 0 };
  for (let page = 1; page <= MAX_PAGES_PER_RUN; page += 1) {
    const { jobs, totalPages }: { jobs: SweptJob[]; totalPages: number } = await listServiceTradeJobsPage({ updatedAfter, page });
    result.pages = page;
    result.listed += jobs.length;
    if (jobs.length > 0) {
      const outcome = await startJobSyncs({ jobs });
      result.started.push(...outcome.started);
      result.recorded += outcome.recorded.length;
      result.known += outcome.known.length;
      result.watermark = jobs.reduce((max, j) => Math.max(max, j.updated), result.watermark);
    }
    if (page >= totalPages) break;
  }
  return result;
}
