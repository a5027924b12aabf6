/**
 * What one workflow run's event history says about a sync: its Temporal Cloud actions, and where
 * its time went (task queueing vs. worker processing vs. activity execution).
 *
 * Actions are counted following the
 * pricing notes (/work/shared/TEMPORAL-NOTES.md, "Cloud pricing unit: the action";
 * https://docs.temporal.io/cloud/actions).
 *
 * What a history cannot show is not counted here: queries, heartbeats, rejected updates,
 * de-duplicated starts. Only heartbeats happen in the benchmark (the job flow's
 * convergeWorkOrderLines): bench/job-flow.ts adds those that reached the server, read from the dev
 * server's metrics (bench/runner.ts, serverHeartbeats).
 */
import type { WorkflowHandle } from '@temporalio/client';

export type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

export const ACTION_KINDS = [
  /** WorkflowExecutionStarted; a signal-with-start counts 1 together with its signal. */
  'workflowStart',
  /** ActivityTaskScheduled: the first attempt of each activity. */
  'activity',
  /** ActivityTaskStarted.attempt - 1: every retry is an action too. */
  'activityRetry',
  /** TimerStarted (including the implicit timer of condition(fn, timeout)). */
  'timer',
  /** WorkflowExecutionSignaled beyond the first one (which came with signal-with-start). */
  'extraSignal',
  /** UpsertWorkflowSearchAttributes (attributes set at start are free). */
  'searchAttributeUpsert',
  /** WorkflowPropertiesModified (memo upsert), WorkflowExecutionOptionsUpdated. */
  'propertiesUpdate',
  /** WorkflowExecutionUpdateAccepted. */
  'update',
  /** StartChildWorkflowExecutionInitiated (the child's own start is in the child's history). */
  'childWorkflowStart',
  /** WorkflowExecutionContinuedAsNew: the next run's start. */
  'continueAsNew',
  /** Workflow tasks that recorded local-activity markers: 1 per such task. */
  'localActivityTask',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];
export type ActionCounts = Record<ActionKind, number>;

export function emptyActionCounts(): ActionCounts {
  return Object.fromEntries(ACTION_KINDS.map((kind) => [kind, 0])) as ActionCounts;
}

export function totalActions(counts: ActionCounts): number {
  return ACTION_KINDS.reduce((sum, kind) => sum + counts[kind], 0);
}

/** Actions of one run, by kind, assuming it was started with signal-with-start. */
export function countActions(history: History): ActionCounts {
  const counts = emptyActionCounts();
  let signals = 0;
  const localActivityTasks = new Set<string>();
  for (const event of history.events ?? []) {
    if (event.workflowExecutionStartedEventAttributes) counts.workflowStart += 1;
    else if (event.activityTaskScheduledEventAttributes) counts.activity += 1;
    else if (event.activityTaskStartedEventAttributes) counts.activityRetry += Math.max(0, (event.activityTaskStartedEventAttributes.attempt ?? 1) - 1);
    else if (event.timerStartedEventAttributes) counts.timer += 1;
    else if (event.workflowExecutionSignaledEventAttributes) signals += 1;
    else if (event.upsertWorkflowSearchAttributesEventAttributes) counts.searchAttributeUpsert += 1;
    else if (event.workflowPropertiesModifiedEventAttributes || event.workflowExecutionOptionsUpdatedEventAttributes) counts.propertiesUpdate += 1;
    else if (event.workflowExecutionUpdateAcceptedEventAttributes) counts.update += 1;
    else if (event.startChildWorkflowExecutionInitiatedEventAttributes) counts.childWorkflowStart += 1;
    else if (event.workflowExecutionContinuedAsNewEventAttributes) counts.continueAsNew += 1;
    else if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      localActivityTasks.add(String(event.markerRecordedEventAttributes.workflowTaskCompletedEventId ?? event.eventId));
    }
  }
  counts.extraSignal = Math.max(0, signals - 1);
  counts.localActivityTask = localActivityTasks.size;
  return counts;
}

/** Where a run's time went, from the server's event timestamps (ms, summed over the run's tasks). */
export interface TaskTimings {
  /** WorkflowExecutionStarted -> the closing event. */
  runMs: number;
  workflowTasks: number;
  /** WorkflowTaskScheduled -> WorkflowTaskStarted: waiting for the server to hand the task to a poller. */
  workflowTaskQueueMs: number;
  /** WorkflowTaskStarted -> WorkflowTaskCompleted: the worker processing the activation. */
  workflowTaskRunMs: number;
  activityTasks: number;
  /** ActivityTaskScheduled -> ActivityTaskStarted (last attempt). */
  activityQueueMs: number;
  /** ActivityTaskStarted -> ActivityTaskCompleted/Failed/TimedOut (last attempt). */
  activityRunMs: number;
}

type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;

function toMs(ts: Timestamp): number {
  if (!ts) return NaN;
  return Number(String(ts.seconds ?? 0)) * 1000 + (ts.nanos ?? 0) / 1e6;
}

export function taskTimings(history: History): TaskTimings {
  const events = history.events ?? [];
  const at = new Map<string, number>();
  const t: TaskTimings = { runMs: 0, workflowTasks: 0, workflowTaskQueueMs: 0, workflowTaskRunMs: 0, activityTasks: 0, activityQueueMs: 0, activityRunMs: 0 };
  const since = (id: unknown, now: number) => {
    const then = at.get(String(id));
    return then === undefined ? 0 : now - then;
  };
  for (const event of events) {
    const now = toMs(event.eventTime);
    at.set(String(event.eventId), now);
    if (event.workflowTaskStartedEventAttributes) {
      t.workflowTasks += 1;
      t.workflowTaskQueueMs += since(event.workflowTaskStartedEventAttributes.scheduledEventId, now);
    } else if (event.workflowTaskCompletedEventAttributes) {
      t.workflowTaskRunMs += since(event.workflowTaskCompletedEventAttributes.startedEventId, now);
    } else if (event.activityTaskStartedEventAttributes) {
      t.activityTasks += 1;
      t.activityQueueMs += since(event.activityTaskStartedEventAttributes.scheduledEventId, now);
    } else {
      const closed =
        event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
      if (closed) t.activityRunMs += since(closed.startedEventId, now);
    }
  }
  if (events.length > 1) t.runMs = toMs(events[events.length - 1].eventTime) - toMs(events[0].eventTime);
  return t;
}
