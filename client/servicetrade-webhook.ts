/**
 * POST /webhooks/servicetrade/:token: ServiceTrade's entity webhooks (API-NOTES section 2).
 *
 * ServiceTrade signs nothing, so the secret token in the hook URL is the authentication: compared in
 * constant time, never logged (the request log shows the path with the token replaced). A delivery
 * carries ids only: `{messageId, timestamp, data: [{action, timestamp, userId, entity: {type, id, uri}, changeset?}]}`.
 *
 * What each entry does:
 * - job created: starts the job's sync (signal-with-start) when SERVICETRADE_AUTO_SYNC_NEW_JOBS is
 *   on (seed 000's "Automatically Sync New Jobs"); otherwise logged, nothing started.
 * - location or company created/updated: wakes the syncs waiting on that record
 *   (FieldBridgeWaitingOn = "servicetrade:location:<id>"): each looks again at its mapping.
 * - job updated: wakes the job's sync if it is waiting; if it is running a pass, signals the change
 *   (sourceChanged, event id from the delivery's messageId, so a redelivery adds nothing), which the
 *   workflow coalesces into one more pass; no new sync for a finished one (later changes are pushed
 *   by an operator with `fieldbridge sync servicetrade-job <id>`).
 * - anything else: acknowledged (202) and logged.
 *
 * ServiceTrade waits at most 5 s, makes at most 3 attempts and counts any 200-499 as delivered, so
 * the answer is bounded by the receiver's start deadline, and Temporal unavailable -> 503 with
 * Retry-After (ServiceTrade tries again; a job-created event redelivered is recognised by its event
 * id, a recheck repeated is harmless), misconfigured -> 500.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../common/config';
import { ServiceTradeWebhookSchema, type ServiceTradeWebhook, type ServiceTradeWebhookEvent } from '../connectors/servicetrade/schemas';
import { SyncStatusKey } from '../common/search-attributes';
import { jobToWorkOrderWorkflowId, recheckSignal, sourceChangedSignal } from '../workflows/definitions';
import { classifyTemporalError, describeTrouble, PUBLIC_REASONS } from './readiness';
import { jobCreatedEventIdOf, recheckSyncsWaitingOn, startJobToWorkOrder } from '../common/starters';
import { idIn, readWebhookBody } from './webhook-body';

export const SERVICETRADE_WEBHOOK_PATH = '/webhooks/servicetrade';

export type ServiceTradeWebhookOptions = Config['servicetradeWebhook'];

/** What the receiver did with one entry of a delivery (the 202 body lists one per entry). */
export type EntryOutcome =
  | { entity: string; action: string; outcome: 'sync-signalled'; workflowId: string; runId: string; eventId: string }
  | { entity: string; action: string; outcome: 'recheck-signalled'; waitKey?: string; signalled: string[] }
  | { entity: string; action: string; outcome: 'ignored'; reason: string };

/** Records whose change can unblock a job sync waiting for its Spectrum mapping. */
const MAPPED_RECORDS = new Set(['location', 'company']);

/**
 * The event id of a job-created entry: the same on every delivery of the event, whatever the
 * message id or the entry's position, so a redelivery adds no pass to a running sync.
 */
export function jobCreatedEventId(entry: ServiceTradeWebhookEvent): string {
  return jobCreatedEventIdOf(entry.entity.id, entry.timestamp);
}

/** The wait key (FieldBridgeWaitingOn) a ServiceTrade record's sync waits on. */
export function serviceTradeWaitKey(record: string, id: number): string {
  return `servicetrade:${record}:${id}`;
}

/** Constant-time comparison of the token in the URL with the configured one (hashes: equal lengths whatever was sent). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given || !expected) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The request URL as it may be logged: the hook token replaced. */
export function redactServiceTradeUrl(url: string | undefined): string | undefined {
  return url?.replace(/^(\/webhooks\/servicetrade\/)[^/?#]+/, '$1[redacted]');
}


interface RouteOptions {
  client: Client;
  taskQueue: string;
  startDeadlineMs: number;
  retryAfterSeconds: number;
  servicetradeWebhook: ServiceTradeWebhookOptions;
}

/**
 * The routes, in their own plugin scope: there any content type is read as raw bytes (ServiceTrade
 * does not document the one it sends; the body must be JSON whatever it says).
 */
export async function serviceTradeWebhookRoutes(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const refuse = (req: FastifyRequest, reply: FastifyReply, reason: string) => {
    // ServiceTrade counts a 401 as delivered: the warning is how an operator learns of a wrong hook URL.
    req.log.warn({ reason }, 'ServiceTrade webhook refused: wrong or missing token in the hook URL');
    return reply.code(401).send({ error: 'unauthenticated', reason });
  };

  app.post(SERVICETRADE_WEBHOOK_PATH, async (req, reply) => refuse(req, reply, 'missing token in the hook URL'));
  app.post(`${SERVICETRADE_WEBHOOK_PATH}/`, async (req, reply) => refuse(req, reply, 'missing token in the hook URL'));
  // Other methods on the token path: answered here, so the default 404 handler does not log the URL.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: `${SERVICETRADE_WEBHOOK_PATH}/:token`,
    handler: async (_req, reply) => reply.code(405).header('allow', 'POST').send({ error: 'method not allowed', reason: 'ServiceTrade webhooks are POSTed' }),
  });

  app.post<{ Params: { token: string } }>(`${SERVICETRADE_WEBHOOK_PATH}/:token`, async (req, reply) => {
    if (!tokenMatches(req.params.token, opts.servicetradeWebhook.token)) return refuse(req, reply, 'the token in the hook URL is not this receiver\'s');

    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const read = readWebhookBody(raw, ServiceTradeWebhookSchema, (json) => `ServiceTrade webhook${idIn(json, 'messageId') ? ` ${idIn(json, 'messageId')}` : ''}`);
    if (!read.ok) {
      req.log.warn({ messageId: idIn(read.json, 'messageId'), fields: read.fields }, `ServiceTrade webhook refused: ${read.response.reason}`);
      return reply.code(400).send(read.response);
    }
    const message = read.data;

    const outcomes: EntryOutcome[] = [];
    try {
      // One deadline for the whole delivery: ServiceTrade gives up after 5 s.
      await opts.client.withDeadline(Date.now() + opts.startDeadlineMs, async () => {
        for (const entry of message.data) outcomes.push(await handleEntry(opts, message, entry));
      });
    } catch (err) {
      const trouble = classifyTemporalError(err, opts.client.options.namespace);
      const done = outcomes.map((o) => `${o.entity} ${o.outcome}`);
      const context = { err, messageId: message.messageId, entries: message.data.length, done, ...trouble };
      if (trouble.kind === 'unavailable') {
        req.log.warn(context, `ServiceTrade webhook not processed, ServiceTrade will retry: ${describeTrouble(trouble)}`);
        return reply
          .code(503)
          .header('retry-after', String(opts.retryAfterSeconds))
          .send({ error: 'unavailable', reason: 'Temporal is unavailable or slow; the webhook could not be processed; retry later' });
      }
      req.log.error(context, `ServiceTrade webhook not processed, FieldBridge is misconfigured: ${describeTrouble(trouble)}`);
      return reply.code(500).send({ error: 'misconfigured', problem: trouble.problem, reason: `the webhook could not be processed: ${PUBLIC_REASONS[trouble.problem]}` });
    }

    for (const o of outcomes) {
      const context = { messageId: message.messageId, ...o };
      if (o.outcome === 'ignored') req.log.info(context, `ServiceTrade ${o.entity} ${o.action}: nothing to do (${o.reason})`);
      else req.log.info(context, `ServiceTrade ${o.entity} ${o.action}: ${o.outcome === 'sync-signalled' ? 'job sync signalled' : `recheck signalled to ${o.signalled.length} waiting sync(s)`}`);
    }
    const acted = outcomes.filter((o) => o.outcome !== 'ignored').length;
    return reply.code(202).send({
      accepted: acted > 0,
      messageId: message.messageId,
      ...(acted === 0 ? { reason: outcomes.length === 0 ? 'the delivery holds no events' : 'nothing to do for these events' } : {}),
      events: outcomes,
    });
  });
}

async function handleEntry(opts: RouteOptions, message: ServiceTradeWebhook, entry: ServiceTradeWebhookEvent): Promise<EntryOutcome> {
  const { type, id } = entry.entity;
  const base = { entity: `${type}:${id}`, action: entry.action };

  if (type === 'job' && entry.action === 'created') {
    if (!opts.servicetradeWebhook.autoSyncNewJobs) {
      return {
        ...base,
        outcome: 'ignored',
        reason: `automatic sync of new jobs is off (SERVICETRADE_AUTO_SYNC_NEW_JOBS); sync it with \`fieldbridge sync servicetrade-job ${id}\``,
      };
    }
    const eventId = jobCreatedEventId(entry);
    const started = await startJobToWorkOrder(opts.client, opts.taskQueue, id, { eventId, changedFields: [] });
    return { ...base, outcome: 'sync-signalled', ...started, eventId };
  }

  if (type === 'job' && entry.action === 'updated') {
    const workflowId = jobToWorkOrderWorkflowId(id);
    const handle = opts.client.workflow.getHandle(workflowId);
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { ...base, outcome: 'ignored', reason: 'no sync of this job exists (later job changes are synced by an operator)' };
      throw err;
    }
    if (description.status.name !== 'RUNNING') {
      return { ...base, outcome: 'ignored', reason: 'the job\'s sync is not running (later job changes are synced by an operator)' };
    }
    // Signalled by workflow id, not run id: a continue-as-new in between gets it too.
    if (description.typedSearchAttributes.get(SyncStatusKey) === 'waiting') {
      await handle.signal(recheckSignal, { reason: `ServiceTrade job ${id} updated (webhook ${message.messageId})` });
      return { ...base, outcome: 'recheck-signalled', signalled: [workflowId] };
    }
    // A pass is running: the change becomes one more pass (the workflow coalesces changes that arrive during a pass).
    const eventId = `servicetrade:${message.messageId}:job:${id}:updated`;
    await handle.signal(sourceChangedSignal, { eventId, changedFields: [] });
    return { ...base, outcome: 'sync-signalled', workflowId, runId: description.runId, eventId };
  }

  if (MAPPED_RECORDS.has(type) && (entry.action === 'created' || entry.action === 'updated')) {
    const waitKey = serviceTradeWaitKey(type, id);
    const signalled = await recheckSyncsWaitingOn(opts.client, waitKey, `ServiceTrade ${type} ${id} ${entry.action} (webhook ${message.messageId})`);
    return { ...base, outcome: 'recheck-signalled', waitKey, signalled };
  }

  return { ...base, outcome: 'ignored', reason: `FieldBridge does not act on ${type} ${entry.action} events` };
}
