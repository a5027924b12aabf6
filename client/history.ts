/**
 * Reading a sync's history for the repair commands: its steps (activities, local ones included) in
 * order, what each was given and returned, and the failure that ended the run. Payloads are decoded
 * through the client's data converter (its payload codec too, when payloads are encrypted), never by
 * reading `payload.data`.
 */
import type { Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, TemporalFailure, TimeoutFailure, type LoadedDataConverter } from '@temporalio/common';
import { decodeFromPayloadsAtIndex, decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads;

/** One step of a run: an activity (or local activity) the workflow scheduled. */
export interface HistoryStep {
  activityType: string;
  /** ActivityTaskScheduled (or MarkerRecorded, for a local activity) event id. */
  scheduledEventId: number;
  /** The workflow task whose completion scheduled it: resetting to it runs the step again. */
  workflowTaskCompletedEventId: number;
  local: boolean;
  outcome: 'completed' | 'failed' | 'timed-out' | 'cancelled' | 'open';
  input: Payloads | null;
  result: Payloads | null;
}

/** Why a run ended in failure. */
export interface RunFailure {
  /** ApplicationFailure type, `Timeout (…)`, or null when unknown. */
  type: string | null;
  message: string;
  /** Retrying as is cannot help: non-retryable, or one of common/errors.ts PermanentErrorTypes. */
  permanent: boolean;
  /** The activity that failed (null: the workflow code itself raised it, e.g. a mapping problem). */
  activity: { activityType: string; scheduledEventId: number } | null;
  /** The failure's details (e.g. the missing fields), decoded. */
  details: unknown[];
}

export interface RunHistory {
  workflowId: string;
  runId: string;
  events: HistoryEvent[];
  steps: HistoryStep[];
  /** The workflow's input (first argument). */
  input: unknown;
  failure: RunFailure | null;
}

export function dataConverterOf(client: Client): LoadedDataConverter {
  return client.options.loadedDataConverter;
}

export async function decodeFirst<T>(client: Client, payloads: Payloads | null | undefined): Promise<T | undefined> {
  if (!payloads?.payloads?.length) return undefined;
  return decodeFromPayloadsAtIndex<T>(dataConverterOf(client), 0, payloads.payloads);
}

const num = (v: unknown): number => Number(v ?? 0);

/** The history of one run, its steps and its failure. */
export async function readRun(client: Client, workflowId: string, runId: string): Promise<RunHistory> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const steps = new Map<number, HistoryStep>();
  let input: unknown;
  let failureEvent: temporal.api.failure.v1.IFailure | null = null;
  /** Failed local activities' markers: event id -> the failure's message. */
  const localFailures = new Map<number, string>();
  for (const event of events) {
    const id = num(event.eventId);
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) input = await decodeFirst(client, started.input);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      steps.set(id, {
        activityType: scheduled.activityType?.name ?? '?',
        scheduledEventId: id,
        workflowTaskCompletedEventId: num(scheduled.workflowTaskCompletedEventId),
        local: false,
        outcome: 'open',
        input: scheduled.input ?? null,
        result: null,
      });
    }
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      if (marker.failure) localFailures.set(id, marker.failure.message ?? '');
      // Core writes the marker's data in snake case (activity_type); accept either spelling.
      const data = await decodeFirst<{ activity_type?: string; activityType?: string }>(client, marker.details?.data).catch(() => undefined);
      steps.set(id, {
        activityType: data?.activity_type ?? data?.activityType ?? '?',
        scheduledEventId: id,
        workflowTaskCompletedEventId: num(marker.workflowTaskCompletedEventId),
        local: true,
        outcome: marker.failure ? 'failed' : 'completed',
        input: null,
        result: marker.details?.result ?? null,
      });
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const step = steps.get(num(completed.scheduledEventId));
      if (step) Object.assign(step, { outcome: 'completed', result: completed.result ?? null });
    }
    const ends: Array<[HistoryStep['outcome'], { scheduledEventId?: unknown } | null | undefined]> = [
      ['failed', event.activityTaskFailedEventAttributes],
      ['timed-out', event.activityTaskTimedOutEventAttributes],
      ['cancelled', event.activityTaskCanceledEventAttributes],
    ];
    for (const [outcome, attrs] of ends) {
      const step = attrs ? steps.get(num(attrs.scheduledEventId)) : undefined;
      if (step) step.outcome = outcome;
    }
    if (event.workflowExecutionFailedEventAttributes) failureEvent = event.workflowExecutionFailedEventAttributes.failure ?? null;
  }
  const failure = failureEvent ? await readFailure(client, failureEvent) : null;
  if (failure && !failure.activity && failureEvent) {
    // A local activity's failure reaches the workflow without an ActivityFailure around it: the
    // step is the last failed marker whose failure is the one the run failed with.
    const local = [...steps.values()].filter((s) => s.local && s.outcome === 'failed' && localFailures.get(s.scheduledEventId) === (failureEvent!.message ?? '')).pop();
    if (local) failure.activity = { activityType: local.activityType, scheduledEventId: local.scheduledEventId };
  }
  return { workflowId, runId, events, steps: [...steps.values()], input, failure };
}

async function readFailure(client: Client, raw: temporal.api.failure.v1.IFailure): Promise<RunFailure> {
  const err = await decodeOptionalFailureToOptionalError(dataConverterOf(client), raw);
  let activity: RunFailure['activity'] = null;
  for (let f: temporal.api.failure.v1.IFailure | null | undefined = raw; f; f = f.cause) {
    if (f.activityFailureInfo) {
      activity = { activityType: f.activityFailureInfo.activityType?.name ?? '?', scheduledEventId: num(f.activityFailureInfo.scheduledEventId) };
      break;
    }
  }
  let current: unknown = err;
  while (current instanceof TemporalFailure && current.cause instanceof Error) current = current.cause;
  if (current instanceof ActivityFailure) current = current.cause ?? current;
  let type: string | null = null;
  let nonRetryable = false;
  let details: unknown[] = [];
  if (current instanceof ApplicationFailure) {
    type = current.type ?? null;
    nonRetryable = current.nonRetryable === true;
    details = [...(current.details ?? [])];
  } else if (current instanceof TimeoutFailure) {
    type = `Timeout (${current.timeoutType})`;
  } else if (current instanceof TemporalFailure) {
    type = current.name;
  }
  return {
    type,
    message: current instanceof Error ? current.message : String(current ?? raw.message ?? ''),
    permanent: nonRetryable || (type !== null && NON_RETRYABLE_ERROR_TYPES.includes(type)),
    activity,
    details,
  };
}
