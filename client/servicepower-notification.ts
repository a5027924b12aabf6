/**
 * POST /webhooks/servicepower: ServicePower's status notifications, sent when a technician moves a
 * mobile work order's OrderStatus (connectors/servicepower/notifications.ts; the shape is assumed,
 * as ServicePower publishes none).
 *
 * Authentication: `X-ServicePower-Timestamp` and `X-ServicePower-Signature: sha256=<hex HMAC>` with
 * SERVICEPOWER_NOTIFICATION_SECRET, constant-time, within the receiver's signature tolerance.
 * Unsigned, wrong or stale: 401, a warning, nothing signalled. Invalid body: 400 naming the field.
 *
 * Which workflow: a notification names the ServicePower WorkOrderNum only, which is the configured
 * prefix + the ServiceChannel work order *number*, while the workflow id is derived from the
 * ServiceChannel work order *id* (a different value), so the id cannot be computed from the number.
 * The workflow records the WorkOrderNum it created as its search attribute FieldBridgeTargetCode; the
 * receiver finds the running `work-order-to-mobile` workflow with that target code through visibility
 * and reads the work order id from its FieldBridgeSourceId. (This also keeps the receiver free of the
 * worker's dispatch settings.) The workflow is then signalled with mobileStatusChangedSignal; its
 * event id is the notification's EventID, the same on every redelivery, so a repeat is ignored.
 *
 * No running workflow holds that number:
 * - a workflow that held it has ended (the work order is final on both sides; a run that continued as
 *   new has not ended): 202 with
 *   `accepted: false` and a log line, nothing started;
 * - no workflow ever held it: 503 with `Retry-After: 1` and a warning. The workflow records the number
 *   right after its PUT, and visibility follows a moment later, so a technician's move made at once
 *   (a test, a demo) can arrive before the number is visible: the sender's retry finds it. A number
 *   that is not FieldBridge's is dropped by the sender after its attempts; the workflow's own periodic
 *   re-read of the work order picks up any change a notification failed to deliver.
 * Temporal unavailable or slow -> 503 with Retry-After (ServicePower retries), misconfigured -> 500.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { SourceIdKey, SyncKindKey, TargetCodeKey, visibilityString } from '../common/search-attributes';
import { StatusNotificationSchema, verifyNotificationSignature, NOTIFICATION_SIGNATURE_HEADER, NOTIFICATION_TIMESTAMP_HEADER } from '../connectors/servicepower/notifications';
import type { MobileStatusChange } from '../workflows/definitions';
import { classifyTemporalError, describeTrouble, PUBLIC_REASONS } from './readiness';
import { signalMobileStatus, type MobileStatusSignalled } from '../common/starters';
import { idIn, readWebhookBody } from './webhook-body';

export const SERVICEPOWER_NOTIFICATION_PATH = '/webhooks/servicepower';

export interface ServicePowerNotificationRouteOptions {
  client: Client;
  startDeadlineMs: number;
  retryAfterSeconds: number;
  signatureToleranceSeconds: number;
  /** SERVICEPOWER_NOTIFICATION_SECRET */
  secret: string;
}


/** Seconds ServicePower is asked to wait before delivering a notification whose number is not yet visible. */
const NOT_YET_VISIBLE_RETRY_SECONDS = 1;

/** The visibility query that finds the workflow of a mobile work order number: the running one (default), or the closed ones. */
export function workflowByMobileNumberQuery(workOrderNum: string, opts: { closed?: boolean } = {}): string {
  const query = `${SyncKindKey.name} = "work-order-to-mobile" AND ${TargetCodeKey.name} = ${visibilityString(workOrderNum)}`;
  // A run that continued as new has not ended: its successor holds the number (it may not be visible yet).
  return opts.closed ? `${query} AND ExecutionStatus != "Running" AND ExecutionStatus != "ContinuedAsNew"` : `${query} AND ExecutionStatus = "Running"`;
}

/** The ServiceChannel work order id whose running workflow holds this ServicePower work order number, or null. */
export async function findWorkOrderIdByMobileNumber(client: Client, workOrderNum: string): Promise<number | null> {
  for await (const info of client.workflow.list({ query: workflowByMobileNumberQuery(workOrderNum), pageSize: 10 })) {
    const sourceId = info.typedSearchAttributes.get(SourceIdKey);
    const id = Number(sourceId);
    if (sourceId && Number.isSafeInteger(id)) return id;
  }
  return null;
}

type Outcome = MobileStatusSignalled | { signalled: false; reason: string; notYetVisible?: true };

export async function servicePowerNotificationRoutes(app: FastifyInstance, opts: ServicePowerNotificationRouteOptions): Promise<void> {
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.post(SERVICEPOWER_NOTIFICATION_PATH, async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifyNotificationSignature(opts.secret, req.headers, raw, opts.signatureToleranceSeconds)) {
      const missing = [NOTIFICATION_TIMESTAMP_HEADER, NOTIFICATION_SIGNATURE_HEADER].filter((h) => req.headers[h] === undefined);
      const reason = missing.length
        ? `missing ${missing.map((h) => (h === NOTIFICATION_TIMESTAMP_HEADER ? 'X-ServicePower-Timestamp' : 'X-ServicePower-Signature')).join(' and ')} header`
        : 'signature does not match the body, or the timestamp is outside the accepted window';
      req.log.warn({ reason }, 'ServicePower notification refused: unsigned or wrongly signed');
      return reply.code(401).send({ error: 'unauthenticated', reason });
    }
    const read = readWebhookBody(raw, StatusNotificationSchema, (json) => `ServicePower notification${idIn(json, 'EventID') ? ` ${idIn(json, 'EventID')}` : ''}`);
    if (!read.ok) {
      req.log.warn({ eventId: idIn(read.json, 'EventID'), fields: read.fields }, `ServicePower notification refused: ${read.response.reason}`);
      return reply.code(400).send(read.response);
    }
    const n = read.data;
    const change: MobileStatusChange = {
      eventId: n.EventID,
      workOrderNum: n.WorkOrderNum,
      orderStatus: n.OrderStatus,
      previousOrderStatus: n.PreviousOrderStatus,
      occurredAt: n.ChangedUTC,
      ...(n.Note !== undefined ? { note: n.Note } : {}),
    };
    const context = { eventId: n.EventID, workOrderNum: n.WorkOrderNum, orderStatus: n.OrderStatus };
    let outcome: Outcome;
    try {
      outcome = await opts.client.withDeadline(Date.now() + opts.startDeadlineMs, async (): Promise<Outcome> => {
        const workOrderId = await findWorkOrderIdByMobileNumber(opts.client, n.WorkOrderNum);
        if (workOrderId !== null) return signalMobileStatus(opts.client, workOrderId, change);
        // Closed runs only: a running sync that became visible between the two reads has not ended
        // (counting it would answer 202 and drop the notification; 503 makes the sender retry and find it).
        const ended = (await opts.client.workflow.count(workflowByMobileNumberQuery(n.WorkOrderNum, { closed: true }))).count > 0;
        if (ended) return { signalled: false, reason: `the sync of ServicePower work order ${n.WorkOrderNum} has ended` };
        return { signalled: false, notYetVisible: true, reason: `no work order sync holds ServicePower work order ${n.WorkOrderNum} (yet)` };
      });
    } catch (err) {
      const trouble = classifyTemporalError(err, opts.client.options.namespace);
      if (trouble.kind === 'unavailable') {
        req.log.warn({ err, ...context, ...trouble }, `field status not signalled, ServicePower will retry: ${describeTrouble(trouble)}`);
        return reply
          .code(503)
          .header('retry-after', String(opts.retryAfterSeconds))
          .send({ error: 'unavailable', reason: 'Temporal is unavailable or slow; the notification could not be delivered to its sync; retry later' });
      }
      req.log.error({ err, ...context, ...trouble }, `field status not signalled, FieldBridge is misconfigured: ${describeTrouble(trouble)}`);
      return reply.code(500).send({ error: 'misconfigured', problem: trouble.problem, reason: `the notification could not be delivered to its sync: ${PUBLIC_REASONS[trouble.problem]}` });
    }
    if (!outcome.signalled) {
      if ('notYetVisible' in outcome) {
        req.log.warn({ ...context, reason: outcome.reason }, `ServicePower notification not applied, the sender is asked to retry: ${outcome.reason}`);
        return reply
          .code(503)
          .header('retry-after', String(NOT_YET_VISIBLE_RETRY_SECONDS))
          .send({ error: 'not-yet-known', eventId: n.EventID, reason: `${outcome.reason}; retry later` });
      }
      req.log.info({ ...context, reason: outcome.reason }, `ServicePower notification not applied: ${outcome.reason}`);
      return reply.code(202).send({ accepted: false, eventId: n.EventID, reason: outcome.reason });
    }
    req.log.info({ ...context, workflowId: outcome.workflowId }, 'field status signalled (to the workflow id: its current run)');
    return reply.code(202).send({ accepted: true, eventId: n.EventID, workflowId: outcome.workflowId });
  });
}
