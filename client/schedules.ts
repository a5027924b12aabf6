/**
 * FieldBridge's Temporal Schedules. One today: the App4Sales customer sweep, which starts a
 * `customerSweep` every few minutes (overlap SKIP: a sweep still running makes the next one skip),
 * so a change whose webhook was lost is synced within one interval. `npm start` and
 * `fieldbridge schedule sweep` create or update it; its state lives in Temporal.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { CUSTOMER_SWEEP_WORKFLOW, type CustomerSweepInput } from '../workflows/definitions';

export const CUSTOMER_SWEEP_SCHEDULE_ID = 'fieldbridge-app4sales-customer-sweep';
/** The workflow id prefix of each sweep (the schedule appends the scheduled time). */
export const CUSTOMER_SWEEP_WORKFLOW_ID = 'customer-sweep:app4sales';
export const DEFAULT_SWEEP_INTERVAL = '5m';
/** Shortest interval accepted: a sweep lists App4Sales and reads Temporal's visibility each time. */
const MIN_SWEEP_INTERVAL_MS = 10_000;

export interface CustomerSweepScheduleOptions {
  taskQueue: string;
  /** How often a sweep starts (default 5m). */
  every?: Duration;
  /** The first sweep's look-back, and each sweep's overlap (the workflow's defaults: 1h, 2m). */
  lookback?: Duration;
  overlap?: Duration;
}

export interface CustomerSweepScheduleState {
  scheduleId: string;
  /** Interval in milliseconds. */
  everyMs: number | null;
  overlapPolicy: string;
  paused: boolean;
  note: string | null;
  nextRuns: Date[];
  /** Newest last. */
  recentRuns: Array<{ workflowId: string; startedAt: Date }>;
  running: string[];
}

/** An interval as milliseconds; throws a message naming the value when it is not a duration, or too short. */
export function parseInterval(value: Duration, what = 'interval'): number {
  let ms: number;
  try {
    ms = msToNumber(value);
  } catch {
    throw new Error(`${what} "${value}" is not a duration (e.g. 30s, 5m, 1h)`);
  }
  if (!Number.isFinite(ms) || ms < MIN_SWEEP_INTERVAL_MS) throw new Error(`${what} "${value}" is shorter than ${MIN_SWEEP_INTERVAL_MS / 1000}s`);
  return ms;
}

function scheduleOptions(opts: CustomerSweepScheduleOptions): ScheduleOptions {
  const args: [CustomerSweepInput] = [{ ...(opts.lookback ? { lookback: opts.lookback } : {}), ...(opts.overlap ? { overlap: opts.overlap } : {}) }];
  return {
    scheduleId: CUSTOMER_SWEEP_SCHEDULE_ID,
    spec: { intervals: [{ every: parseInterval(opts.every ?? DEFAULT_SWEEP_INTERVAL) }] },
    action: { type: 'startWorkflow', workflowType: CUSTOMER_SWEEP_WORKFLOW, workflowId: CUSTOMER_SWEEP_WORKFLOW_ID, taskQueue: opts.taskQueue, args },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      // Each sweep starts where the last completed one stopped: after an outage one catch-up run is enough.
      catchupWindow: '1m',
    },
  };
}

/**
 * Create the sweep schedule, or update its interval, options and task queue when it exists (its
 * paused state is kept). Returns whether it was created, and its state.
 */
export async function ensureCustomerSweepSchedule(client: Client, opts: CustomerSweepScheduleOptions): Promise<{ created: boolean; state: CustomerSweepScheduleState }> {
  const options = scheduleOptions(opts);
  let created = true;
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    created = false;
    await client.schedule.getHandle(CUSTOMER_SWEEP_SCHEDULE_ID).update((previous) => ({
      spec: options.spec,
      action: options.action as Extract<ScheduleOptions['action'], { type: 'startWorkflow' }>,
      policies: options.policies,
      state: { paused: previous.state.paused, note: previous.state.note },
    }));
  }
  return { created, state: await describeCustomerSweepSchedule(client) };
}

export async function describeCustomerSweepSchedule(client: Client): Promise<CustomerSweepScheduleState> {
  return summarize(await client.schedule.getHandle(CUSTOMER_SWEEP_SCHEDULE_ID).describe());
}

export async function pauseCustomerSweepSchedule(client: Client, paused: boolean): Promise<CustomerSweepScheduleState> {
  const handle = client.schedule.getHandle(CUSTOMER_SWEEP_SCHEDULE_ID);
  if (paused) await handle.pause('paused with fieldbridge schedule sweep --pause');
  else await handle.unpause('unpaused with fieldbridge schedule sweep --unpause');
  return describeCustomerSweepSchedule(client);
}

/** Start one sweep now, whatever the interval (skipped if one is running). */
export async function triggerCustomerSweep(client: Client): Promise<void> {
  await client.schedule.getHandle(CUSTOMER_SWEEP_SCHEDULE_ID).trigger(ScheduleOverlapPolicy.SKIP);
}

export async function deleteCustomerSweepSchedule(client: Client): Promise<void> {
  await client.schedule.getHandle(CUSTOMER_SWEEP_SCHEDULE_ID).delete();
}

function summarize(d: ScheduleDescription): CustomerSweepScheduleState {
  return {
    scheduleId: d.scheduleId,
    everyMs: d.spec.intervals?.[0]?.every ?? null,
    overlapPolicy: String(d.policies.overlap),
    paused: d.state.paused,
    note: d.state.note ?? null,
    nextRuns: d.info.nextActionTimes,
    recentRuns: d.info.recentActions.map((a) => ({ workflowId: a.action.workflow.workflowId, startedAt: a.takenAt })),
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
  };
}

/** 300000 -> "5m", 90000 -> "1m30s". */
export function formatInterval(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join('');
}
