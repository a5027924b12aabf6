/**
 * Activities of the ServiceTrade job sweep (workflows/job-sweep.ts): find where the last completed
 * sweep stopped, read one page of ServiceTrade's job list changed since then (`GET /job?updatedAfter=
 * &page=`, one request per activity), and start the sync of each listed job that has none.
 *
 * A job is left alone when it already carries its work order number (its external id of the Spectrum
 * system: the sync's last step) or when a sync of it exists in Temporal (running: it reloads the job
 * anyway; closed: the webhook or an operator already handled it, and `fieldbridge retry` is the way to
 * run it again). Anything else gets its sync through startJobToWorkOrder (the current version) with
 * the event id the job-created webhook gives it, so a sweep and a webhook for one job start one sync.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ServiceTradeClient } from '../connectors/servicetrade/client';
import { jobCreatedEventIdOf, startJobToWorkOrder } from '../common/starters';
import { newestCompletedRun } from '../common/newest-completed-run';
import { jobToWorkOrderWorkflowId } from '../workflows/definitions';
import { JOB_SWEEP_WORKFLOW, type JobSweepResult } from '../workflows/definitions';
import type { JobSyncSettings } from './job-to-work-order';

export interface JobSweepDeps {
  servicetrade: ServiceTradeClient;
  jobSync: JobSyncSettings;
  temporal: { client: Client; taskQueue: string };
}

/** What the sweep needs of a listed job (ids and ServiceTrade's timestamps only). */
export interface SweptJob {
  jobId: number;
  /** Unix seconds (ServiceTrade's clock). */
  created: number;
  updated: number;
  /** The job already holds an external id of the Spectrum system (its work order number). */
  numberRecorded: boolean;
}

export interface JobListPage {
  jobs: SweptJob[];
  totalPages: number;
}

export interface StartJobSyncsResult {
  started: number[];
  /** Jobs that carry their work order number already. */
  recorded: number[];
  /** Jobs whose sync exists in Temporal (running or closed). */
  known: number[];
}

/** Syncs looked up and started at once. */
const CONCURRENCY = 10;

async function syncExists(client: Client, jobId: number): Promise<boolean> {
  try {
    await client.workflow.getHandle(jobToWorkOrderWorkflowId(jobId)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

export function createJobSweepActivities({ servicetrade, jobSync, temporal }: JobSweepDeps) {
  const system = jobSync.externalSystemName;
  return {
    /** The watermark (Unix seconds, ServiceTrade's clock) of the newest completed sweep on this task queue (null: none yet), and the time now. */
    async findLastJobSweep(): Promise<{ watermark: number | null; now: number }> {
      const newest = await newestCompletedRun(temporal.client, JOB_SWEEP_WORKFLOW, temporal.taskQueue);
      const now = Math.floor(Date.now() / 1000);
      if (!newest) return { watermark: null, now };
      const result = (await temporal.client.workflow.getHandle(newest.workflowId, newest.runId).result()) as Partial<JobSweepResult> | undefined;
      return { watermark: typeof result?.watermark === 'number' ? result.watermark : null, now };
    },

    /** One page of the jobs ServiceTrade changed at or after `updatedAfter` (one request). */
    async listServiceTradeJobsPage({ updatedAfter, page }: { updatedAfter: number; page: number }): Promise<JobListPage> {
      const answer = await servicetrade.listJobsPage({ updatedAfter }, page);
      return {
        totalPages: answer.totalPages,
        jobs: answer.jobs.map((j) => ({ jobId: j.id, created: j.created, updated: j.updated, numberRecorded: Boolean(j.externalIds[system]) })),
      };
    },

    /** Start the sync of every job that has neither its number recorded nor a sync in Temporal. */
    async startJobSyncs({ jobs }: { jobs: SweptJob[] }): Promise<StartJobSyncsResult> {
      const result: StartJobSyncsResult = { started: [], recorded: [], known: [] };
      const queue = [...jobs];
      const worker = async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          if (job.numberRecorded) {
            result.recorded.push(job.jobId);
          } else if (await syncExists(temporal.client, job.jobId)) {
            result.known.push(job.jobId);
          } else {
            await startJobToWorkOrder(temporal.client, temporal.taskQueue, job.jobId, { eventId: jobCreatedEventIdOf(job.jobId, job.created), changedFields: [] });
            result.started.push(job.jobId);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
      for (const list of Object.values(result)) list.sort((a: number, b: number) => a - b);
      return result;
    },
  };
}

export type JobSweepActivities = ReturnType<typeof createJobSweepActivities>;
