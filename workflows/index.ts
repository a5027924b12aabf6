// Every workflow the worker runs. Deterministic code only: bundled by the Temporal SDK.
export { customerUpsert } from './customer-upsert';
export { customerBulkSync } from './customer-bulk-sync';
export { customerSweep } from './customer-sweep';
export { jobToWorkOrder } from './job-to-work-order';
export { serviceTradeJobSweep } from './job-sweep';
export { workOrderToMobile } from './work-order-to-mobile';
export { workOrderReconcile } from './work-order-reconcile';
