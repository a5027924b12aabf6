/**
 * The Temporal server settings FieldBridge runs its dev server with: `npm start` (scripts/start.ts),
 * the tests (test/helpers/temporal-cli.ts devServerOptions) and the benchmark (bench/customer-sync.ts)
 * pass the same dynamic config, so what the bench measures is what the stack and the tests run.
 *
 * system.enableActivityEagerExecution=true: when a workflow task completes with ScheduleActivityTask
 * commands that ask for it (the TypeScript SDK asks whenever the worker that ran the workflow task
 * also polls that task queue for activities and has a free slot), the server hands the activity task
 * back in the RespondWorkflowTaskCompleted answer instead of queueing it for a poller: no matching
 * round trip, no scheduled -> started wait (ActivityTaskStarted is still recorded; timeouts, retries
 * and heartbeats are unchanged; a worker that dies holding it loses it to the start-to-close timeout
 * exactly as a polled task). Off by default in the Temporal server; a self-hosted cluster sets the same
 * key in its dynamic config file (README "Benchmark": "Server settings").
 */

/** Dynamic config values, `key=value` as `temporal server start-dev --dynamic-config-value` takes them. */
export const DEV_SERVER_DYNAMIC_CONFIG: readonly string[] = ['system.enableActivityEagerExecution=true'];

/** `--dynamic-config-value k=v` pairs for the CLI's `server start-dev`; `eager: false` leaves eager activity dispatch off (the bench's "before"). */
export function devServerDynamicConfigArgs(opts: { eager?: boolean } = {}): string[] {
  return DEV_SERVER_DYNAMIC_CONFIG.filter((kv) => opts.eager !== false || !kv.startsWith('system.enableActivityEagerExecution=')).flatMap((kv) => [
    '--dynamic-config-value',
    kv,
  ]);
}
