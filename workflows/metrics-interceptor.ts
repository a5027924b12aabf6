/**
 * Counts syncs for the worker's Prometheus endpoint without touching history: a workflow inbound
 * interceptor (registered by worker/worker.ts for every workflow type) that reports start, completion
 * and failure through a Sink. Sinks run on the worker after the activation, never during replay, so
 * a replayed or cache-evicted workflow is not counted twice; they add no command and no event, so
 * adding or removing this interceptor changes no history (the replay tests still pass).
 *
 * A run that continues as new is the same sync: its continuation does not count as started, and
 * the continue-as-new is neither a completion nor a failure. An error that fails the workflow task
 * instead of the workflow (a bug: a plain Error thrown by workflow code) is retried by Temporal and is
 * not counted; the SDK's own temporal_workflow_task_execution_failed counts those.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  ContinueAsNew,
  isCancellation,
  proxySinks,
  TemporalFailure,
  TimeoutFailure,
  workflowInfo,
  type Sinks,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

export interface FieldBridgeMetricsSinks extends Sinks {
  fieldbridgeMetrics: {
    syncStarted(): void;
    syncCompleted(): void;
    syncFailed(failureType: string): void;
  };
}

const { fieldbridgeMetrics } = proxySinks<FieldBridgeMetricsSinks>();

/**
 * The failure_type label of an error a workflow ends with: the innermost ApplicationFailure's type
 * (through ActivityFailure and ChildWorkflowFailure), 'timeout', 'cancelled', or 'unknown' for another
 * Temporal failure. null when the error does not fail the workflow (it fails the workflow task).
 */
export function failureTypeOf(err: unknown): string | null {
  if (!(err instanceof TemporalFailure)) return isCancellation(err) ? 'cancelled' : null;
  let cause: unknown = err;
  while (cause instanceof TemporalFailure) {
    if (cause instanceof ApplicationFailure) return cause.type || 'ApplicationFailure';
    if (cause instanceof TimeoutFailure) return 'timeout';
    if (cause instanceof CancelledFailure) return 'cancelled';
    if (!(cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure)) break;
    cause = cause.cause;
  }
  return 'unknown';
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        if (!workflowInfo().continuedFromExecutionRunId) fieldbridgeMetrics.syncStarted();
        try {
          const result = await next(input);
          fieldbridgeMetrics.syncCompleted();
          return result;
        } catch (err) {
          if (!(err instanceof ContinueAsNew)) {
            const type = failureTypeOf(err);
            if (type !== null) fieldbridgeMetrics.syncFailed(type);
          }
          throw err;
        }
      },
    },
  ],
});
