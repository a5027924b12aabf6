import type { CustomerUpsertDeps } from './customer-upsert';
import { createCustomerUpsertActivities } from './customer-upsert';

export type ActivityDeps = CustomerUpsertDeps;

/** Every activity the worker registers, built from its clients. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCustomerUpsertActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export * from './customer-upsert';
