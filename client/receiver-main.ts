/** The webhook receiver process: `fieldbridge receiver` (built) or `npm run receiver` (source). */
import { ConfigError, loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { connectClient } from '../common/temporal-connection';
import { buildReceiver, RECEIVER_CONFIG_SECTIONS } from './receiver';

async function main(): Promise<void> {
  // temporal, log, receiver and the four webhook sections: the receiver needs no App4Sales API key and no Specter, ServiceTrade, Spectrum, ServiceChannel or ServicePower credentials.
  const config = loadConfig(RECEIVER_CONFIG_SECTIONS);
  const logger = createLogger({ name: 'fieldbridge-receiver', ...config.log });
  const { client, connection } = await connectClient(config.temporal);
  const app = buildReceiver({
    ...config.receiver,
    client,
    taskQueue: config.temporal.taskQueue,
    logger,
    app4salesWebhookSecret: config.app4salesWebhook.secret,
    servicetradeWebhook: config.servicetradeWebhook,
    servicechannelWebhook: config.servicechannelWebhook,
    servicepowerNotification: config.servicepowerNotification,
  });
  const address = await app.listen({ host: config.receiver.host, port: config.receiver.port });
  logger.info(
    { address, namespace: config.temporal.namespace, servicetradeAutoSyncNewJobs: config.servicetradeWebhook.autoSyncNewJobs },
    'webhook receiver listening (ServiceTrade hooks at /webhooks/servicetrade/<token>, ServiceChannel at /webhooks/servicechannel, ServicePower notifications at /webhooks/servicepower)',
  );
  // SIGTERM/SIGINT: stop accepting connections, answer the requests in progress (fastify close: new
  // requests on kept-alive connections get 503), close the Temporal connection, exit 0. A request
  // lasts at most RECEIVER_REQUEST_TIMEOUT_MS plus the start deadline; past that the process exits 1.
  // A second signal ends it at once.
  const stop = async (signal: NodeJS.Signals) => {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    const started = Date.now();
    const limitMs = config.receiver.requestTimeoutMs + config.receiver.startDeadlineMs;
    logger.info({ signal }, `${signal}: shutting down (no new connections; requests in progress have up to ${limitMs} ms)`);
    const overdue = setTimeout(() => {
      logger.error(`requests still in progress ${limitMs} ms after ${signal}: exiting`);
      process.exit(1);
    }, limitMs);
    overdue.unref();
    await app.close();
    await connection.close();
    logger.info({ shutdownMs: Date.now() - started }, `receiver stopped: shutdown took ${Date.now() - started} ms`);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `fieldbridge receiver failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
