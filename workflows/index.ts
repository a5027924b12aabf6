// Every workflow the worker runs. Deterministic code only: bundled by the Temporal SDK.
export { customerUpsert } from './customer-upsert';
