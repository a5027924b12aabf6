/**
 * The webhook receiver: one route per source system. Each request is authenticated, validated with
 * zod and turned into a signal-with-start, and answered in milliseconds; the sync itself runs
 * durably in Temporal. Malformed, oversized or unauthenticated requests get a 4xx naming the reason
 * and start nothing. When Temporal cannot be reached the answer is 503, so the sender retries and
 * nothing is lost.
 */
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { CustomerChangedEventSchema, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../app4sales/schemas';
import { verifyWebhookSignature } from '../app4sales/signature';
import type { Logger } from '../common/logger';
import { startCustomerUpsert } from './starters';

export interface ReceiverOptions {
  client: Client;
  taskQueue: string;
  logger: Logger;
  app4salesWebhookSecret: string;
  bodyLimitBytes: number;
  signatureToleranceSeconds: number;
  /** How long a start may take before the sender is told to retry (503): senders wait only seconds. */
  startDeadlineMs: number;
}

/** A change whose only field is CustomerCode is FieldBridge's own write-back echoing: nothing to sync. */
const OWN_WRITE_FIELDS = new Set(['CustomerCode']);

export function buildReceiver(opts: ReceiverOptions): FastifyInstance {
  const app = Fastify({ loggerInstance: opts.logger as FastifyBaseLogger, bodyLimit: opts.bodyLimitBytes });

  // Keep the raw body: the signature is computed over the exact bytes sent.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.post('/webhooks/app4sales', async (req, reply) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const timestamp = req.headers[TIMESTAMP_HEADER];
    const signature = req.headers[SIGNATURE_HEADER];
    if (!timestamp || !signature) {
      return reply.code(401).send({ error: 'unauthenticated', reason: `missing ${!timestamp ? 'X-App4Sales-Timestamp' : 'X-App4Sales-Signature'} header` });
    }
    if (!verifyWebhookSignature(opts.app4salesWebhookSecret, timestamp, raw, signature, opts.signatureToleranceSeconds)) {
      return reply.code(401).send({ error: 'unauthenticated', reason: 'signature does not match the body, or the timestamp is outside the accepted window' });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      return reply.code(400).send({ error: 'malformed', reason: `body is not JSON: ${(err as Error).message}` });
    }
    const parsed = CustomerChangedEventSchema.safeParse(json);
    if (!parsed.success) {
      const eventId = (json as { EventId?: unknown } | null)?.EventId;
      return reply.code(400).send({
        error: 'invalid',
        reason: `App4Sales event${typeof eventId === 'string' ? ` ${eventId}` : ''} is invalid`,
        fields: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
      });
    }
    const event = parsed.data;
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
      req.log.error({ err, eventId: event.EventId }, 'could not reach Temporal');
      return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', reason: 'the sync could not be started; retry later' });
    }
  });

  return app;
}
