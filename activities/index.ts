import type { Client } from '@temporalio/client';
import type { CustomerUpsertDeps } from './customer-upsert';
import { createCustomerUpsertActivities } from './customer-upsert';
import { createCustomerFanOutActivities } from './customer-fan-out';
import { createJobToWorkOrderActivities, type JobToWorkOrderDeps } from './job-to-work-order';

/**
 * What activities need of Temporal itself: a client on the worker's namespace (to read earlier runs
 * of a sync, or to signal-with-start syncs in bulk) and the task queue the syncs run on.
 */
export interface TemporalDeps {
  client: Client;
  taskQueue: string;
}

export type ActivityDeps = CustomerUpsertDeps & JobToWorkOrderDeps & { temporal: TemporalDeps };

/** Every activity the worker registers, built from its clients. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCustomerUpsertActivities(deps),
    ...createCustomerFanOutActivities(deps),
    ...createJobToWorkOrderActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export * from './customer-upsert';
export * from './job-to-work-order';
