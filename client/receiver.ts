/**
 * The webhook receiver: one route per source system (App4Sales here; ServiceTrade in
 * servicetrade-webhook.ts; ServiceChannel in servicechannel-webhook.ts; ServicePower's status
 * notifications in servicepower-notification.ts). Each request is authenticated, validated with
 * zod and turned into a signal-with-start, and answered in milliseconds; the sync itself runs
 * durably in Temporal. Malformed, oversized, unauthenticated or too slowly sent requests get a 4xx
 * naming the reason and start nothing. The sender is told the truth about Temporal: unavailable or
 * slow -> 503 with Retry-After (the sender retries, nothing is lost); misconfigured (unknown
 * namespace, unregistered search attribute, refused credentials, anything unexpected) -> 500,
 * named in general terms, with an error log line naming it precisely.
 *
 * GET /healthz: liveness (the process answers). GET /readyz: readiness (Temporal reachable, the
 * namespace exists, every FieldBridge search attribute registered). GET /metrics: Prometheus
 * (webhooks by source and outcome, client/receiver-metrics.ts).
 */
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { CustomerChangedEventSchema, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../connectors/app4sales/schemas';
import { verifyWebhookSignature } from '../connectors/app4sales/signature';
import type { Config, ConfigSection } from '../common/config';
import type { Logger } from '../common/logger';
import { checkReadiness, classifyTemporalError, describeTrouble, PUBLIC_REASONS } from './readiness';
import { instrumentReceiver } from './receiver-metrics';
import { serviceChannelWebhookRoutes } from './servicechannel-webhook';
import { servicePowerNotificationRoutes } from './servicepower-notification';
import { redactServiceTradeUrl, serviceTradeWebhookRoutes, type ServiceTradeWebhookOptions } from './servicetrade-webhook';
import { startCustomerUpsert } from '../common/starters';
import { idIn, readWebhookBody } from './webhook-body';

/**
 * The configuration sections the receiver process loads: the webhook secrets, no App4Sales API
 * key, no Specter, ServiceTrade, Spectrum, ServiceChannel or ServicePower credentials.
 */
export const RECEIVER_CONFIG_SECTIONS = [
  'temporal',
  'log',
  'receiver',
  'app4salesWebhook',
  'servicetradeWebhook',
  'servicechannelWebhook',
  'servicepowerNotification',
] as const satisfies readonly ConfigSection[];

export interface ReceiverOptions extends Omit<Config['receiver'], 'host' | 'port'> {
  client: Client;
  taskQueue: string;
  logger: Logger;
  app4salesWebhookSecret: string;
  /** The token in ServiceTrade's hook URL, and whether a job-created webhook starts the job's sync. */
  servicetradeWebhook: ServiceTradeWebhookOptions;
  /**
   * The key ServiceChannel signs its webhooks with (POST /webhooks/servicechannel). The receiver
   * process always passes it; a receiver built without it (tests of the other flows) has no such route.
   */
  servicechannelWebhook?: Config['servicechannelWebhook'];
  /** The secret ServicePower's status notifications are signed with (POST /webhooks/servicepower); as above. */
  servicepowerNotification?: Config['servicepowerNotification'];
}

/** Seconds the sender is asked to wait before delivering again when Temporal is unavailable. */
const RETRY_AFTER_SECONDS = 5;


/** A change whose only field is CustomerCode is FieldBridge's own write-back echoing: nothing to sync. */
const OWN_WRITE_FIELDS = new Set(['CustomerCode']);

export function buildReceiver(opts: ReceiverOptions): FastifyInstance {
  const app = Fastify({
    // The request log shows the URL with ServiceTrade's hook token replaced.
    loggerInstance: opts.logger.child({}, { serializers: { req: logSafeRequest } }) as FastifyBaseLogger,
    bodyLimit: opts.bodyLimitBytes,
    // A client that sends its headers and then stalls is cut off (408, socket closed) instead of
    // holding a connection forever. Two Node details make the timeout mean what it says: a
    // headersTimeout (60 s by default) longer than requestTimeout silently swaps the two, and running
    // requests are only checked every connectionsCheckingInterval (30 s by default).
    requestTimeout: opts.requestTimeoutMs,
    connectionTimeout: opts.connectionTimeoutMs,
    keepAliveTimeout: opts.keepAliveTimeoutMs,
    http: {
      requestTimeout: opts.requestTimeoutMs,
      headersTimeout: Math.min(60_000, opts.requestTimeoutMs),
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(opts.requestTimeoutMs / 4))),
    },
  });

  // Keep the raw bytes: the signature is computed over exactly what was sent, then decoded.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // GET /metrics, and every webhook answer counted by source and outcome (before the routes: its hooks cover them all).
  instrumentReceiver(app, { signatureToleranceSeconds: opts.signatureToleranceSeconds });

  app.get('/healthz', async () => ({ status: 'ok' }));

  let lastReadinessProblems = '';
  app.get('/readyz', async (req, reply) => {
    const readiness = await checkReadiness(opts.client, opts.startDeadlineMs);
    const problems = readiness.problems.join('; ');
    if (problems !== lastReadinessProblems) {
      // Logged when the state changes, not on every probe.
      if (readiness.ready) req.log.info('ready: Temporal reachable, FieldBridge search attributes registered');
      else req.log.warn({ problems: readiness.problems }, `not ready: ${problems}`);
      lastReadinessProblems = problems;
    }
    return reply
      .code(readiness.ready ? 200 : 503)
      .send(readiness.ready ? { status: 'ready', checks: readiness.checks } : { status: 'not ready', failing: readiness.failing, checks: readiness.checks });
  });

  app.post('/webhooks/app4sales', async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const timestamp = req.headers[TIMESTAMP_HEADER];
    const signature = req.headers[SIGNATURE_HEADER];
    if (!timestamp || !signature) {
      return reply.code(401).send({ error: 'unauthenticated', reason: `missing ${!timestamp ? 'X-App4Sales-Timestamp' : 'X-App4Sales-Signature'} header` });
    }
    if (!verifyWebhookSignature(opts.app4salesWebhookSecret, timestamp, raw, signature, opts.signatureToleranceSeconds)) {
      return reply.code(401).send({ error: 'unauthenticated', reason: 'signature does not match the body, or the timestamp is outside the accepted window' });
    }
    const read = readWebhookBody(raw, CustomerChangedEventSchema, (json) => `App4Sales event${idIn(json, 'EventId') ? ` ${idIn(json, 'EventId')}` : ''}`);
    if (!read.ok) return reply.code(400).send(read.response);
    const event = read.data;
    if (event.ChangedFields.length > 0 && event.ChangedFields.every((f) => OWN_WRITE_FIELDS.has(f))) {
      req.log.debug({ eventId: event.EventId, customerId: event.CustomerId }, 'CustomerCode-only change ignored');
      return reply.code(202).send({ accepted: false, reason: 'only CustomerCode changed: written by FieldBridge itself' });
    }
    try {
      const started = await opts.client.withDeadline(Date.now() + opts.startDeadlineMs, () =>
        startCustomerUpsert(opts.client, opts.taskQueue, event.CustomerId, { eventId: event.EventId, changedFields: event.ChangedFields }),
      );
      req.log.info({ eventId: event.EventId, customerId: event.CustomerId, ...started }, 'customer sync signalled');
      return reply.code(202).send({ accepted: true, ...started });
    } catch (err) {
      const trouble = classifyTemporalError(err, opts.client.options.namespace);
      const context = { err, eventId: event.EventId, customerId: event.CustomerId, ...trouble };
      if (trouble.kind === 'unavailable') {
        req.log.warn(context, `customer sync not started, the sender will retry: ${describeTrouble(trouble)}`);
        return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ error: 'unavailable', reason: 'Temporal is unavailable or slow; the sync could not be started; retry later' });
      }
      req.log.error(context, `customer sync not started, FieldBridge is misconfigured: ${describeTrouble(trouble)}`);
      return reply.code(500).send({ error: 'misconfigured', problem: trouble.problem, reason: `the sync could not be started: ${PUBLIC_REASONS[trouble.problem]}` });
    }
  });

  app.register(serviceTradeWebhookRoutes, {
    client: opts.client,
    taskQueue: opts.taskQueue,
    startDeadlineMs: opts.startDeadlineMs,
    retryAfterSeconds: RETRY_AFTER_SECONDS,
    servicetradeWebhook: opts.servicetradeWebhook,
  });
  if (opts.servicechannelWebhook) {
    app.register(serviceChannelWebhookRoutes, {
      client: opts.client,
      taskQueue: opts.taskQueue,
      startDeadlineMs: opts.startDeadlineMs,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
      key: opts.servicechannelWebhook.key,
    });
  }
  if (opts.servicepowerNotification) {
    app.register(servicePowerNotificationRoutes, {
      client: opts.client,
      startDeadlineMs: opts.startDeadlineMs,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
      signatureToleranceSeconds: opts.signatureToleranceSeconds,
      secret: opts.servicepowerNotification.secret,
    });
  }

  return app;
}

/** Fastify's request serializer, with the URL as it may be logged. */
function logSafeRequest(req: { method?: string; url?: string; host?: string; ip?: string; headers?: Record<string, unknown>; socket?: { remotePort?: number } }) {
  return {
    method: req.method,
    url: redactServiceTradeUrl(req.url),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
