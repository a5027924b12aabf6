/** The webhook receiver process: `npm run receiver`. */
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
  const stop = async () => {
    await app.close();
    await connection.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `fieldbridge receiver failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
