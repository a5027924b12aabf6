/** The webhook receiver process: `npm run receiver`. */
import { ConfigError, loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { connectClient } from '../common/temporal-connection';
import { buildReceiver } from './receiver';

async function main(): Promise<void> {
  const config = loadConfig(['temporal', 'log', 'receiver', 'app4sales']);
  const logger = createLogger({ name: 'fieldbridge-receiver', ...config.log });
  const { client, connection } = await connectClient(config.temporal);
  const app = buildReceiver({
    client,
    taskQueue: config.temporal.taskQueue,
    logger,
    app4salesWebhookSecret: config.app4sales.webhookSecret,
    bodyLimitBytes: config.receiver.bodyLimitBytes,
    signatureToleranceSeconds: config.receiver.signatureToleranceSeconds,
    startDeadlineMs: config.receiver.startDeadlineMs,
  });
  const address = await app.listen({ host: config.receiver.host, port: config.receiver.port });
  logger.info({ address }, 'webhook receiver listening');
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
