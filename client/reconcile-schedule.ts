/**
 * The ServiceChannel reconciliation Schedule: starts a `workOrderReconcile` every reconcileIntervalMs
 * (overlap SKIP: a run still going makes the next one skip), so a work order whose webhook
 * ServiceChannel dropped is caught within one interval. `npm start` and the CLI create or update it
 * with `ensureReconcileSchedule`; its state lives in Temporal.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { WORK_ORDER_RECONCILE_WORKFLOW, type WorkOrderReconcileInput } from '../workflows/definitions';

export const RECONCILE_SCHEDULE_ID = 'fieldbridge-servicechannel-reconcile';
/** The workflow id prefix of each run (the schedule appends the scheduled time). */
export const RECONCILE_WORKFLOW_ID = 'work-order-reconcile:servicechannel';
const MIN_INTERVAL_MS = 10_000;

export interface ReconcileScheduleOptions {
  taskQueue: string;
  /** mobileSync.reconcileIntervalMs */
  everyMs: number;
  /** The workflow's options (first run's look-back, overlap, page size). */
  input?: WorkOrderReconcileInput;
}

function scheduleOptions(opts: ReconcileScheduleOptions): ScheduleOptions {
  if (!Number.isFinite(opts.everyMs) || opts.everyMs < MIN_INTERVAL_MS) throw new Error(`reconcile interval ${opts.everyMs} ms is shorter than ${MIN_INTERVAL_MS / 1000}s`);
  return {
    scheduleId: RECONCILE_SCHEDULE_ID,
    spec: { intervals: [{ every: opts.everyMs }] },
    action: { type: 'startWorkflow', workflowType: WORK_ORDER_RECONCILE_WORKFLOW, workflowId: RECONCILE_WORKFLOW_ID, taskQueue: opts.taskQueue, args: [opts.input ?? {}] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
  };
}

/** Create the schedule, or update its interval, input and task queue when it exists (its paused state is kept). */
export async function ensureReconcileSchedule(client: Client, opts: ReconcileScheduleOptions): Promise<{ created: boolean }> {
  const options = scheduleOptions(opts);
  try {
    await client.schedule.create(options);
    return { created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).update((previous) => ({
    spec: options.spec,
    action: options.action as Extract<ScheduleOptions['action'], { type: 'startWorkflow' }>,
    policies: options.policies,
    state: { paused: previous.state.paused, note: previous.state.note },
  }));
  return { created: false };
}

/** Start one reconciliation now (skipped if one is running). */
export async function triggerReconcile(client: Client): Promise<void> {
  await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).trigger(ScheduleOverlapPolicy.SKIP);
}

export async function deleteReconcileSchedule(client: Client): Promise<void> {
  await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).delete();
}
