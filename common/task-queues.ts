/**
 * Task queue names. Workflow-safe (no Node modules): the workflows read them to route activities.
 *
 * ServiceChannel activities run on their own queue, `<taskQueue>-servicechannel`, served by a worker
 * with `maxTaskQueueActivitiesPerSecond` (worker/worker.ts): Temporal's task-queue rate limit, shared
 * by every worker polling that queue, keeps FieldBridge under ServiceChannel's per-minute limit.
 */
export function serviceChannelTaskQueue(taskQueue: string): string {
  return `${taskQueue}-servicechannel`;
}
