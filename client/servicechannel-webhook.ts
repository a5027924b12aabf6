/**
 * POST /webhooks/servicechannel: ServiceChannel's work order events (API-NOTES section 3, seed 003).
 *
 * Authentication: `Sign-Type: HMACSHA256` and `Sign-Data: base64(HMAC-SHA256(key, raw body))` with
 * SERVICECHANNEL_WEBHOOK_KEY, checked over the bytes exactly as received, in constant time
 * (connectors/servicechannel/signature.ts). Unsigned, another sign type, a wrong signature or an
 * altered body: 401, a warning, nothing started.
 *
 * The body `{EventType, Object}` is validated with zod (400 naming the field). The work order is
 * `Object.Id` for work order events (a `WorkOrderObject`) and `Object.WorkOrderId` for check-in/out
 * events (a `CheckInAndOutObject`, which has no Id) — webhook reference FieldAdv.ServiceChannel.Webhooks.
 * A work order event naming neither is a 400. Then, by EventType:
 * - a work order event (WorkOrderCreated, ...StatusChanged, ...NteChanged, ...ScheduledDateChanged,
 *   ...NoteAdded, ...CheckIn, ...CheckOut): signal-with-start of the work order's workflow
 *   (`work-order-to-mobile:servicechannel:<Object.Id>`) with the event. The workflow reads the work
 *   order itself, so the Object need not be whole here.
 * - Proposal* and Invoice*: 202, acknowledged and logged, nothing started.
 * - anything else: 202 and a log line, nothing started.
 *
 * The event id is serviceChannelEventId(body) (`<EventType>:<Id>:<UpdatedDate>[:status-<Primary>[/<Extended>]][:note-<id>]`,
 * or `<EventType>:<WorkOrderId>:<Date>` for a check-in/out; an event without its time adds `:h-<hash
 * of the Object>`, so two different events never share an id and a cancellation is never dropped as a
 * repeat of the change before it):
 * computed from the signed body, so it is the same on every delivery attempt and cannot be changed by
 * anyone without the key. The simulator's `X-ServiceChannel-Event-Id` header carries the same value;
 * it is not signed, so it is only compared (a difference is logged), never trusted.
 *
 * The answer is bounded by the receiver's start deadline: Temporal unavailable or slow -> 503 with
 * Retry-After (ServiceChannel retries 3 times, 5 minutes apart; after that the reconciliation
 * Schedule finds the change), misconfigured -> 500.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import {
  EVENT_ID_HEADER,
  isAcknowledgedEventType,
  isCheckInOutEventType,
  isWorkOrderEventType,
  ServiceChannelWebhookSchema,
  SIGN_DATA_HEADER,
  SIGN_TYPE_HEADER,
  serviceChannelEventId,
  workOrderIdOf,
} from '../connectors/servicechannel/schemas';
import { verifyServiceChannelSignature } from '../connectors/servicechannel/signature';
import type { ServiceChannelEvent } from '../workflows/definitions';
import { classifyTemporalError, describeTrouble, PUBLIC_REASONS } from './readiness';
import { startWorkOrderToMobile } from '../common/starters';
import { idIn, readWebhookBody } from './webhook-body';

export const SERVICECHANNEL_WEBHOOK_PATH = '/webhooks/servicechannel';

export interface ServiceChannelWebhookRouteOptions {
  client: Client;
  taskQueue: string;
  startDeadlineMs: number;
  retryAfterSeconds: number;
  /** SERVICECHANNEL_WEBHOOK_KEY: the HMAC key ServiceChannel signs with. */
  key: string;
}


/** The route, in its own plugin scope: any content type is read as raw bytes (the signature covers them). */
export async function serviceChannelWebhookRoutes(app: FastifyInstance, opts: ServiceChannelWebhookRouteOptions): Promise<void> {
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.post(SERVICECHANNEL_WEBHOOK_PATH, async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signType = req.headers[SIGN_TYPE_HEADER];
    const signData = req.headers[SIGN_DATA_HEADER];
    if (!verifyServiceChannelSignature(opts.key, raw, signType, signData)) {
      const reason =
        signType === undefined || signData === undefined
          ? `missing ${signType === undefined ? 'Sign-Type' : 'Sign-Data'} header`
          : 'Sign-Type is not HMACSHA256, or Sign-Data is not the signature of the body with this receiver\'s key';
      req.log.warn({ reason }, 'ServiceChannel webhook refused: unsigned or wrongly signed');
      return reply.code(401).send({ error: 'unauthenticated', reason });
    }

    const read = readWebhookBody(raw, ServiceChannelWebhookSchema, (json) => `ServiceChannel ${idIn(json, 'EventType') ?? 'webhook'}`);
    if (!read.ok) {
      req.log.warn({ eventType: idIn(read.json, 'EventType'), fields: read.fields }, `ServiceChannel webhook refused: ${read.response.reason}`);
      return reply.code(400).send(read.response);
    }
    const body = read.data;
    const eventType = body.EventType;
    const workOrderId = workOrderIdOf(body);
    const eventId = serviceChannelEventId(body);
    const headerEventId = req.headers[EVENT_ID_HEADER];
    if (typeof headerEventId === 'string' && headerEventId !== eventId) {
      req.log.warn({ eventId, headerEventId }, 'X-ServiceChannel-Event-Id differs from the id of the signed body: the body\'s is used');
    }

    if (isAcknowledgedEventType(eventType)) {
      req.log.info({ eventType, objectId: workOrderId, eventId }, `ServiceChannel ${eventType} acknowledged: FieldBridge does not sync proposals or invoices`);
      return reply.code(202).send({ accepted: false, acknowledged: true, eventType, reason: 'proposals and invoices are acknowledged, not synced' });
    }
    if (!isWorkOrderEventType(eventType)) {
      req.log.info({ eventType, objectId: workOrderId, eventId }, `ServiceChannel event type ${eventType} is unknown to FieldBridge: acknowledged, nothing started`);
      return reply.code(202).send({ accepted: false, eventType, reason: `FieldBridge does not act on ${eventType} events` });
    }
    if (workOrderId === null) {
      const field = isCheckInOutEventType(eventType) ? 'Object.WorkOrderId' : 'Object.Id';
      req.log.warn({ eventType, fields: [field] }, `ServiceChannel webhook refused: ${eventType} names no work order`);
      return reply.code(400).send({ error: 'invalid', reason: `ServiceChannel ${eventType} is invalid: ${field}`, fields: [{ field, message: 'the work order\'s id is required' }] });
    }

    const occurredAt = body.Object.UpdatedDate ?? body.Object.Date;
    const event: ServiceChannelEvent = { eventId, eventType, source: 'webhook', ...(occurredAt ? { occurredAt } : {}) };
    try {
      const started = await opts.client.withDeadline(Date.now() + opts.startDeadlineMs, () => startWorkOrderToMobile(opts.client, opts.taskQueue, workOrderId, event));
      req.log.info({ eventId, eventType, workOrderId, ...started }, 'work order sync signalled');
      return reply.code(202).send({ accepted: true, eventId, eventType, ...started });
    } catch (err) {
      const trouble = classifyTemporalError(err, opts.client.options.namespace);
      const context = { err, eventId, eventType, workOrderId, ...trouble };
      if (trouble.kind === 'unavailable') {
        req.log.warn(context, `work order sync not signalled, ServiceChannel will retry: ${describeTrouble(trouble)}`);
        return reply
          .code(503)
          .header('retry-after', String(opts.retryAfterSeconds))
          .send({ error: 'unavailable', reason: 'Temporal is unavailable or slow; the event could not be delivered to its sync; retry later' });
      }
      req.log.error(context, `work order sync not signalled, FieldBridge is misconfigured: ${describeTrouble(trouble)}`);
      return reply.code(500).send({ error: 'misconfigured', problem: trouble.problem, reason: `the event could not be delivered to its sync: ${PUBLIC_REASONS[trouble.problem]}` });
    }
  });
}
