/**
 * The ServiceTrade job sweep Schedule: starts a `serviceTradeJobSweep` every SERVICETRADE_JOB_SWEEP_EVERY
 * (overlap SKIP: a sweep still going makes the next one skip), so a job whose job-created webhook was
 * lost gets its work order within one interval. It exists only while automatic sync of new jobs is on
 * (seed 000, SERVICETRADE_AUTO_SYNC_NEW_JOBS): with it off, new jobs are synced by hand and the
 * schedule is removed. `npm start` and `fieldbridge schedule job-sweep` create, update or remove it.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { JOB_SWEEP_WORKFLOW, type JobSweepInput } from '../workflows/definitions';
import { DEFAULT_SWEEP_INTERVAL, parseInterval } from './schedules';

export const JOB_SWEEP_SCHEDULE_ID = 'fieldbridge-servicetrade-job-sweep';
/** The workflow id prefix of each sweep (the schedule appends the scheduled time). */
export const JOB_SWEEP_WORKFLOW_ID = 'job-sweep:servicetrade';

export interface JobSweepScheduleOptions {
  taskQueue: string;
  /** servicetradeWebhook.autoSyncNewJobs: false removes the schedule. */
  autoSyncNewJobs: boolean;
  /** How often a sweep starts (default 5m). */
  every?: Duration;
  /** The workflow's options (first sweep's look-back, overlap). */
  input?: JobSweepInput;
}

export type JobSweepScheduleOutcome = { state: 'created' | 'updated'; everyMs: number; paused: boolean } | { state: 'off'; removed: boolean };

function scheduleOptions(opts: JobSweepScheduleOptions): ScheduleOptions {
  return {
    scheduleId: JOB_SWEEP_SCHEDULE_ID,
    spec: { intervals: [{ every: parseInterval(opts.every ?? DEFAULT_SWEEP_INTERVAL, 'job sweep interval') }] },
    action: { type: 'startWorkflow', workflowType: JOB_SWEEP_WORKFLOW, workflowId: JOB_SWEEP_WORKFLOW_ID, taskQueue: opts.taskQueue, args: [opts.input ?? {}] },
    // Each sweep starts where the last completed one stopped: after an outage one catch-up run is enough.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
  };
}

/** Create the schedule, or update its interval, input and task queue (its paused state is kept); remove it when automatic sync is off. */
export async function ensureJobSweepSchedule(client: Client, opts: JobSweepScheduleOptions): Promise<JobSweepScheduleOutcome> {
  const handle = client.schedule.getHandle(JOB_SWEEP_SCHEDULE_ID);
  if (!opts.autoSyncNewJobs) {
    try {
      await handle.delete();
      return { state: 'off', removed: true };
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return { state: 'off', removed: false };
      throw err;
    }
  }
  const options = scheduleOptions(opts);
  let state: 'created' | 'updated' = 'created';
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    state = 'updated';
    await handle.update((previous) => ({
      spec: options.spec,
      action: options.action as Extract<ScheduleOptions['action'], { type: 'startWorkflow' }>,
      policies: options.policies,
      state: { paused: previous.state.paused, note: previous.state.note },
    }));
  }
  const described = await handle.describe();
  return { state, everyMs: described.spec.intervals?.[0]?.every ?? 0, paused: described.state.paused };
}

/** Start one sweep now, whatever the interval (skipped if one is running). */
export async function triggerJobSweep(client: Client): Promise<void> {
  await client.schedule.getHandle(JOB_SWEEP_SCHEDULE_ID).trigger(ScheduleOverlapPolicy.SKIP);
}
