/**
 * The FieldBridge worker process: `fieldbridge worker` (built: node dist/worker/main.js) or
 * `npm run worker` (source, through tsx). Configuration from the environment (docs/configuration.md).
 *
 * Workflow code: from the bundle `npm run build` wrote when running from dist/, else bundled at start.
 *
 * Shutdown: on SIGTERM or SIGINT (also SIGQUIT, SIGUSR2) the Temporal Runtime shuts both workers down:
 * they stop polling, and the activities running get WORKER_SHUTDOWN_GRACE to finish before they are
 * cancelled; the process then closes its connections and exits 0. A second signal ends it at once.
 */
import { createActivities, createServiceChannelActivities } from '../activities';
import { ConfigError, loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { connectClient, fieldBridgeDataConverter } from '../common/temporal-connection';
import { connectWorker } from './connection';
import { createActivityDeps, serviceChannelRequestsPerMinute, WORKER_CONFIG_SECTIONS } from './deps';
import { freePort } from '../common/ports';
import { registerWaitingSyncsGauge, startWorkerMetricsServer, type WorkerMetricsServer } from './metrics';
import { createFieldBridgeWorker, createServiceChannelWorker, installRuntimeLogger, prebuiltWorkflowBundle } from './worker';

/** The signals on which the Temporal Runtime shuts workers down (its default shutdownSignals). */
const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'];

async function main(): Promise<void> {
  const config = loadConfig(WORKER_CONFIG_SECTIONS);
  const logger = createLogger({ name: 'fieldbridge-worker', ...config.log });
  // Metrics (WORKER_METRICS_PORT, 0 = off): the SDK's exporter on a loopback port of its own, served
  // again with FieldBridge's registry on the one endpoint.
  const sdkMetricsPort = config.workerMetrics.port === 0 ? undefined : await freePort(); // the runtime's exporter, on loopback
  installRuntimeLogger(logger, { sdkMetricsBindAddress: sdkMetricsPort ? `127.0.0.1:${sdkMetricsPort}` : undefined });
  const connection = await connectWorker(config.temporal);
  // Activities that read earlier runs or start syncs use an ordinary client on the same cluster.
  const temporalClient = await connectClient(config.temporal);
  let metricsServer: WorkerMetricsServer | undefined;
  if (sdkMetricsPort) {
    registerWaitingSyncsGauge(temporalClient.client, { logger });
    try {
      metricsServer = await startWorkerMetricsServer({ ...config.workerMetrics, sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`, logger });
    } catch (err) {
      // Syncs matter more than their metrics: the worker runs on, and says loudly what is missing.
      logger.error({ err }, `metrics endpoint not started on ${config.workerMetrics.host}:${config.workerMetrics.port} (WORKER_METRICS_HOST, WORKER_METRICS_PORT): ${(err as Error).message}`);
    }
  }
  const deps = createActivityDeps(config, { client: temporalClient.client, taskQueue: config.temporal.taskQueue });
  const dataConverter = fieldBridgeDataConverter(config.temporal);
  if (config.temporal.encryption) logger.info({ currentKeyId: config.temporal.encryption.currentKeyId, keyIds: config.temporal.encryption.keyIds }, 'payload encryption on');
  else logger.warn('payload encryption off: no FIELDBRIDGE_ENCRYPTION_KEYS or FIELDBRIDGE_ENCRYPTION_KEY_FILE, customer data is stored in clear in Temporal');
  const workflowBundle = prebuiltWorkflowBundle(dataConverter);
  const shutdownGraceTime = config.worker.shutdownGraceMs;
  // The Runtime (installed above) already shuts every worker down on these signals; this only says so,
  // and when. `once`: after the first signal no listener is left, so a second one ends the process.
  let shutdownStarted: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    shutdownStarted = Date.now();
    for (const s of SHUTDOWN_SIGNALS) process.removeListener(s, onSignal);
    logger.info({ signal, shutdownGraceMs: shutdownGraceTime }, `${signal}: shutting down (polling stops; running activities have ${shutdownGraceTime} ms to finish)`);
  };
  for (const s of SHUTDOWN_SIGNALS) process.once(s, onSignal);
  try {
    const worker = await createFieldBridgeWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: createActivities(deps),
      workflowBundle,
      shutdownGraceTime,
      dataConverter,
    });
    const requestsPerMinute = serviceChannelRequestsPerMinute(config.servicechannel);
    const scWorker = await createServiceChannelWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: createServiceChannelActivities(deps),
      requestsPerMinute,
      shutdownGraceTime,
      dataConverter,
    });
    logger.info(
      {
        address: config.temporal.address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        serviceChannelRequestsPerMinute: requestsPerMinute,
        metrics: metricsServer?.url ?? null,
        workflowBundle: workflowBundle?.codePath ?? 'bundled at start',
        shutdownGraceMs: shutdownGraceTime,
      },
      'worker started',
    );
    // The Temporal Runtime shuts the workers down on the signals; run() resolves once they have drained.
    await Promise.all([worker.run(), scWorker.run()]);
  } finally {
    for (const s of SHUTDOWN_SIGNALS) process.removeListener(s, onSignal);
    await metricsServer?.close();
    await deps.close();
    await temporalClient.connection.close();
    await connection.close();
  }
  const tookMs = shutdownStarted === undefined ? undefined : Date.now() - shutdownStarted;
  logger.info({ shutdownMs: tookMs }, tookMs === undefined ? 'worker stopped' : `worker stopped: shutdown took ${tookMs} ms`);
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`fieldbridge worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
