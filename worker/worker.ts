/**
 * Builds the FieldBridge worker. Used by worker/main.ts, the start command, the benchmark and the
 * tests, so every one runs the same workflows, activities, interceptors and tuning.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Runtime, Worker, type NativeConnection, type WorkflowBundleOption, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DataConverter, Duration } from '@temporalio/common';
import type { Activities } from '../activities';
import { TemporalPinoLogger, type Logger } from '../common/logger';
import { vendorErrorInterceptor } from './interceptors';
import { metricsSinks, queueWaitInterceptor, WORKFLOW_METRICS_INTERCEPTOR } from './metrics';
import { serviceChannelTaskQueue } from '../common/task-queues';

export interface FieldBridgeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities | Record<string, (...args: never[]) => Promise<unknown>>;
  /**
   * A prebuilt bundle: bundleWorkflows() in tests and replay, `{ codePath }` of the bundle written by
   * `npm run build` (prebuiltWorkflowBundle). None: the worker bundles workflows/ itself at start.
   */
  workflowBundle?: WorkflowBundleOption;
  /** Time running activities get to finish on shutdown before they are cancelled. */
  shutdownGraceTime?: Duration;
  /**
   * Payload encryption: fieldBridgeDataConverter(config.temporal) (common/temporal-connection.ts).
   * A prebuilt workflowBundle must then come from bundleWorkflows(path, dataConverter), so that
   * workflow failures are encrypted too.
   */
  dataConverter?: DataConverter;
}

export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Grace time of a worker built without one (the worker process passes WORKER_SHUTDOWN_GRACE). */
const DEFAULT_SHUTDOWN_GRACE_TIME = '10s';

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/**
 * Bundle workflow code once, without webpack's chatter (tests, replay, benchmark). `workflowsPath`
 * defaults to FieldBridge's workflows/.
 */
export function bundleWorkflows(workflowsPath: string = WORKFLOWS_PATH, dataConverter?: DataConverter): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [WORKFLOW_METRICS_INTERCEPTOR],
    logger: quiet,
    failureConverterPath: dataConverter?.failureConverterPath,
    payloadConverterPath: dataConverter?.payloadConverterPath,
  });
}

/**
 * The bundles `npm run build` writes beside the compiled code (dist/), one per failure converter:
 * the SDK's default (payloads in clear) and the one that encrypts failure messages
 * (ENCRYPTED_FAILURE_CONVERTER_PATH, with payload encryption on). The failure converter is compiled
 * into a bundle, so the worker picks the bundle that matches its data converter.
 */
export const WORKFLOW_BUNDLE_FILES = { clear: 'workflow-bundle.js', encryptedFailures: 'workflow-bundle.encrypted-failures.js' } as const;

/** Where the compiled code's bundles are: dist/ when this module runs from dist/worker/. */
const BUILD_ROOT = join(__dirname, '..');

/**
 * The bundle written by `npm run build` for this data converter, when this module runs from the build
 * (dist/); undefined in a source checkout run through tsx, where the worker bundles at start.
 */
export function prebuiltWorkflowBundle(dataConverter?: DataConverter): { codePath: string } | undefined {
  const file = dataConverter?.failureConverterPath ? WORKFLOW_BUNDLE_FILES.encryptedFailures : WORKFLOW_BUNDLE_FILES.clear;
  const codePath = join(BUILD_ROOT, file);
  return existsSync(codePath) ? { codePath } : undefined;
}

let runtimeInstalled = false;

/**
 * Route the Temporal runtime's logs (core included), the workflows' and the activities' through
 * pino. The Runtime is process-wide: install once, before any connection is made. With
 * `sdkMetricsBindAddress` (host:port), the runtime's Prometheus exporter serves the SDK's metrics
 * there (worker/metrics.ts serves them again with FieldBridge's own on WORKER_METRICS_PORT).
 */
export function installRuntimeLogger(logger: Logger, opts: { sdkMetricsBindAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  Runtime.install({
    logger: new TemporalPinoLogger(logger),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} },
      ...(opts.sdkMetricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.sdkMetricsBindAddress, useSecondsForDurations: true } } } : {}),
    },
  });
  runtimeInstalled = true;
}

export function createFieldBridgeWorker(opts: FieldBridgeWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: opts.activities,
    dataConverter: opts.dataConverter,
    // A prebuilt bundle (bundleWorkflows, npm run build) already holds the metrics interceptor module.
    interceptors: { activity: [vendorErrorInterceptor, queueWaitInterceptor('main')], ...(opts.workflowBundle ? {} : { workflowModules: [WORKFLOW_METRICS_INTERCEPTOR] }) },
    sinks: metricsSinks(),
    // Activities are HTTP calls that mostly wait on the network; 50 in flight keeps an ERP busy
    // without flooding it. Cached workflows: one per customer being synced, ~1 MB each.
    maxConcurrentActivityTaskExecutions: 50,
    maxCachedWorkflows: 500,
    shutdownGraceTime: opts.shutdownGraceTime ?? DEFAULT_SHUTDOWN_GRACE_TIME,
  });
}

export interface ServiceChannelWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The main task queue; this worker polls `serviceChannelTaskQueue(taskQueue)`. */
  taskQueue: string;
  /** createServiceChannelActivities(deps) */
  activities: Record<string, (...args: never[]) => Promise<unknown>>;
  /** Our ceiling on ServiceChannel requests per minute (worker/deps.ts serviceChannelRequestsPerMinute). */
  requestsPerMinute: number;
  shutdownGraceTime?: Duration;
  /** Payload encryption, as for createFieldBridgeWorker. */
  dataConverter?: DataConverter;
}

/**
 * The worker of the ServiceChannel activities: activities only, on their own task queue, rate-limited
 * by Temporal (`maxTaskQueueActivitiesPerSecond`: the server hands out at most that many activity
 * tasks per second on the queue, whichever worker polls it), so every burst stays under
 * ServiceChannel's per-minute limit without a sleep loop or a limiter of our own. The limit counts
 * activities, and a write reads before it writes (GET then PUT/POST, a keyed note lists the
 * notes too, a check-in/out reads the work order and its check-ins first): up to
 * SERVICECHANNEL_REQUESTS_PER_ACTIVITY requests per activity, so the activity rate is the request
 * budget divided by it.
 */
export const SERVICECHANNEL_REQUESTS_PER_ACTIVITY = 3;

export function createServiceChannelWorker(opts: ServiceChannelWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: serviceChannelTaskQueue(opts.taskQueue),
    activities: opts.activities,
    dataConverter: opts.dataConverter,
    interceptors: { activity: [vendorErrorInterceptor, queueWaitInterceptor('servicechannel')] },
    maxTaskQueueActivitiesPerSecond: opts.requestsPerMinute / 60 / SERVICECHANNEL_REQUESTS_PER_ACTIVITY,
    maxConcurrentActivityTaskExecutions: 20,
    shutdownGraceTime: opts.shutdownGraceTime ?? DEFAULT_SHUTDOWN_GRACE_TIME,
  });
}
