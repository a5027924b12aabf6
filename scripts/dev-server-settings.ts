/**
 * The Temporal server settings FieldBridge runs its dev server with: `npm start` (scripts/start.ts),
 * the tests (test/helpers/temporal-cli.ts devServerOptions) and the benchmark (bench/customer-sync.ts)
 * pass the same dynamic config, so what the bench measures is what the stack and the tests run. A
 * self-hosted cluster sets the same keys in its dynamic config file (docs/production.md; why: docs/benchmarks.md,
 * "Server settings").
 *
 * history.transferProcessorMaxPollRPS (server default 20): how often per second a history shard's
 * transfer queue reader may read new tasks from the database. Every workflow task and every activity
 * task goes through it on its way to matching, so at 20 each one waits for the next of the reader's
 * 50 ms slots: ~30 ms "scheduled -> started" per task on an idle server with one shard (the dev
 * server has one), and the faster the worker, the longer the wait (bench/probe/dispatch.ts: three
 * no-op activities 340 ms at 20, 70 ms at 1000). The timer queue (timers, retry backoffs) and the
 * visibility queue (search attributes becoming visible to list queries) have the same limit.
 * Raising the cap costs nothing when idle: the readers still read only when notified of new tasks.
 *
 * system.enableActivityEagerExecution=true: when a workflow task completes with ScheduleActivityTask
 * commands that ask for it (the TypeScript SDK asks whenever the worker that ran the workflow task
 * also polls that task queue for activities and has a free slot), the server hands the activity task
 * back in the RespondWorkflowTaskCompleted answer instead of queueing it for a poller: no matching
 * round trip, no scheduled -> started wait (ActivityTaskStarted is still recorded; timeouts, retries
 * and heartbeats are unchanged; a worker that dies holding it loses it to the start-to-close timeout
 * exactly as a polled task). Off by default in the Temporal server.
 */

/**
 * SQLite pragmas for a dev server whose database is a file (`npm start`; the bench's `--db file`):
 * write-ahead logging, and a sync at checkpoints instead of at every commit. Every commit survives
 * the server process being killed (the WAL is in the file system); an operating-system crash or a
 * power cut can lose the last commits. The default (rollback journal, synchronous=FULL) syncs the
 * disk on every transaction, which made a file-backed dev server take half the bench's throughput.
 */
export const DEV_SERVER_FILE_PRAGMAS: readonly string[] = ['journal_mode=WAL', 'synchronous=NORMAL'];

/** `--sqlite-pragma` arguments for a file-backed dev server. */
export function devServerFileArgs(): string[] {
  return DEV_SERVER_FILE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]);
}

/** The queue readers' poll rate FieldBridge sets (the server's default is 20). */
export const QUEUE_POLL_RPS = 1000;

export interface DevServerSettings {
  /** Eager activity dispatch (default true). */
  eager?: boolean;
  /** The history queue readers' max polls per second (default QUEUE_POLL_RPS; 20 is the server's default). */
  queuePollRps?: number;
}

/** Dynamic config values, `key=value` as `temporal server start-dev --dynamic-config-value` takes them. */
export function devServerDynamicConfig(settings: DevServerSettings = {}): string[] {
  const rps = settings.queuePollRps ?? QUEUE_POLL_RPS;
  return [
    ...(settings.eager === false ? [] : ['system.enableActivityEagerExecution=true']),
    `history.transferProcessorMaxPollRPS=${rps}`,
    `history.timerProcessorMaxPollRPS=${rps}`,
    `history.visibilityProcessorMaxPollRPS=${rps}`,
  ];
}

/** `--dynamic-config-value k=v` pairs for the CLI's `server start-dev`. */
export function devServerDynamicConfigArgs(settings: DevServerSettings = {}): string[] {
  return devServerDynamicConfig(settings).flatMap((kv) => ['--dynamic-config-value', kv]);
}
