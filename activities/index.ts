import type { Client } from '@temporalio/client';
import type { CustomerUpsertDeps } from './customer-upsert';
import { createCustomerUpsertActivities } from './customer-upsert';
import { createCustomerFanOutActivities } from './customer-fan-out';
import { createJobSweepActivities } from './job-sweep';
import { createJobToWorkOrderActivities, type JobToWorkOrderDeps } from './job-to-work-order';
import { createServiceChannelActivities, createWorkOrderToMobileActivities, type WorkOrderToMobileDeps } from './work-order-to-mobile';

/**
 * What activities need of Temporal itself: a client on the worker's namespace (to read earlier runs
 * of a sync, or to signal-with-start syncs in bulk) and the task queue the syncs run on.
 */
export interface TemporalDeps {
  client: Client;
  taskQueue: string;
}

export type ActivityDeps = CustomerUpsertDeps & JobToWorkOrderDeps & WorkOrderToMobileDeps & { temporal: TemporalDeps };

/** Every activity the worker registers, built from its clients. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCustomerUpsertActivities(deps),
    ...createCustomerFanOutActivities(deps),
    ...createJobToWorkOrderActivities(deps),
    ...createJobSweepActivities(deps),
    ...createWorkOrderToMobileActivities(deps),
  };
}

/**
 * The ServiceChannel activities: registered only by the ServiceChannel worker, on its own
 * rate-limited task queue (common/task-queues.ts), never on the main one.
 */
export { createServiceChannelActivities };

export type Activities = ReturnType<typeof createActivities>;
export * from './customer-upsert';
export * from './job-to-work-order';
export * from './job-sweep';
export * from './work-order-to-mobile';
