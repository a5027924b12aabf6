/**
 * The receiver's metrics: every answer to a webhook counted by source and outcome
 * (fieldbridge_webhooks_total), and GET /metrics serving the process's registry.
 *
 * The outcome is read from the answer the route already gives (its status and its JSON `error` /
 * `accepted` / `reason`), so the routes need no metrics code of their own:
 *   accepted       202 {accepted: true}: delivered to its sync (signal-with-start)
 *   duplicate      202 {accepted: true} for a body this process accepted before (the same event
 *                  delivered again: the workflow ignores its id; remembered for the last 10,000 per source)
 *   ignored        202 {accepted: false}: acknowledged, nothing to sync (own write-back, unhandled type)
 *   unsigned       401 with a signature header (or ServiceTrade's URL token) missing
 *   stale          401 whose timestamp header is outside the accepted window (a replay or a skewed clock)
 *   bad-signature  401 otherwise (ServiceTrade: bad-token, a wrong token in the hook URL)
 *   malformed      400 not UTF-8 / not JSON;  invalid  400 JSON that fails the schema
 *   too-large      413;  unsupported-media-type 415;  timeout 408;  method-not-allowed 405;  not-found 404
 *   unavailable    503 (Temporal unavailable or slow: the sender retries);  not-yet-known 503 (ServicePower: sync not visible yet)
 *   misconfigured  500
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TIMESTAMP_HEADER } from '../connectors/app4sales/schemas';
import { NOTIFICATION_TIMESTAMP_HEADER } from '../connectors/servicepower/notifications';
import { enableProcessMetrics, metricsRegistry, webhooks } from '../common/metrics';

export const WEBHOOK_SOURCES = ['app4sales', 'servicetrade', 'servicechannel', 'servicepower'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** The timestamp header each signed source sends (seconds since the epoch). */
const TIMESTAMP_HEADERS: Partial<Record<WebhookSource, string>> = { app4sales: TIMESTAMP_HEADER, servicepower: NOTIFICATION_TIMESTAMP_HEADER };

const REMEMBERED_PER_SOURCE = 10_000;

/** The webhook source of a request URL (`/webhooks/<source>...`), or null for any other URL. */
export function webhookSourceOf(url: string | undefined): WebhookSource | 'other' | null {
  const match = /^\/webhooks(?:\/([^/?#]*))?/.exec(url ?? '');
  if (!match) return null;
  return (WEBHOOK_SOURCES as readonly string[]).includes(match[1] ?? '') ? (match[1] as WebhookSource) : 'other';
}

export interface AnswerFacts {
  status: number;
  /** The JSON answer, when there was one. */
  body?: { error?: unknown; accepted?: unknown; reason?: unknown; code?: unknown };
  /** The request's timestamp header was outside the accepted window. */
  stale?: boolean;
  /** The same body was accepted before. */
  seenBefore?: boolean;
  source: WebhookSource | 'other';
}

/** The outcome label of one answer (see the module comment). */
export function webhookOutcome(a: AnswerFacts): string {
  const error = typeof a.body?.error === 'string' ? a.body.error : undefined;
  const reason = typeof a.body?.reason === 'string' ? a.body.reason : '';
  if (a.status >= 200 && a.status < 300) {
    if (a.body?.accepted === false) return 'ignored';
    return a.seenBefore ? 'duplicate' : 'accepted';
  }
  switch (a.status) {
    case 400:
      return error === 'malformed' || error === 'invalid' ? error : 'malformed';
    case 401:
      if (/^missing\b/.test(reason)) return 'unsigned';
      if (a.source === 'servicetrade') return 'bad-token';
      return a.stale ? 'stale' : 'bad-signature';
    case 404:
      return 'not-found';
    case 405:
      return 'method-not-allowed';
    case 408:
      return 'timeout';
    case 413:
      return 'too-large';
    case 415:
      return 'unsupported-media-type';
    case 500:
      return 'misconfigured';
    case 503:
      return error === 'not-yet-known' ? 'not-yet-known' : 'unavailable';
    default:
      return a.status < 500 ? `refused-${a.status}` : `error-${a.status}`;
  }
}

function isStale(req: FastifyRequest, source: WebhookSource | 'other', toleranceSeconds: number): boolean {
  const header = source === 'other' ? undefined : TIMESTAMP_HEADERS[source];
  const value = header ? req.headers[header] : undefined;
  if (typeof value !== 'string' || !/^\d{1,12}$/.test(value)) return false;
  return Math.abs(Date.now() / 1000 - Number(value)) > toleranceSeconds;
}

/** A bounded memory of accepted bodies, by source: insertion order, the oldest forgotten first. */
class SeenBodies {
  private readonly seen = new Map<string, Set<string>>();
  has(source: string, digest: string): boolean {
    return this.seen.get(source)?.has(digest) ?? false;
  }
  add(source: string, digest: string): void {
    let set = this.seen.get(source);
    if (!set) this.seen.set(source, (set = new Set()));
    set.add(digest);
    if (set.size > REMEMBERED_PER_SOURCE) set.delete(set.values().next().value as string);
  }
}

interface Facts {
  source: WebhookSource | 'other';
  body?: AnswerFacts['body'];
  digest?: string;
}
const FACTS = Symbol('fieldbridge.webhookFacts');
type WithFacts = FastifyRequest & { [FACTS]?: Facts };

/**
 * Count every webhook answer and serve GET /metrics. Call on the root instance before the routes
 * are registered (the hooks then cover the routes of every plugin).
 */
export function instrumentReceiver(app: FastifyInstance, opts: { signatureToleranceSeconds: number }): void {
  enableProcessMetrics();
  const seen = new SeenBodies();

  app.get('/metrics', async (_req, reply) => reply.header('content-type', metricsRegistry.contentType).send(await metricsRegistry.metrics()));

  app.addHook('onSend', async (req, reply, payload) => {
    const source = webhookSourceOf(req.url);
    if (source === null) return payload;
    const facts: Facts = { source };
    if (typeof payload === 'string' && payload.length <= 16_384 && String(reply.getHeader('content-type') ?? '').includes('json')) {
      try {
        facts.body = JSON.parse(payload) as Facts['body'];
      } catch {
        // not JSON after all: counted by status alone
      }
    }
    if (Buffer.isBuffer(req.body)) facts.digest = createHash('sha256').update(req.body).digest('base64');
    (req as WithFacts)[FACTS] = facts;
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    const facts = (req as WithFacts)[FACTS] ?? (webhookSourceOf(req.url) === null ? undefined : { source: webhookSourceOf(req.url)! });
    if (!facts) return;
    const status = reply.statusCode;
    const accepted = status >= 200 && status < 300 && facts.body?.accepted !== false;
    const seenBefore = accepted && facts.digest !== undefined && seen.has(facts.source, facts.digest);
    const outcome = webhookOutcome({
      status,
      body: facts.body,
      source: facts.source,
      seenBefore,
      stale: status === 401 && isStale(req, facts.source, opts.signatureToleranceSeconds),
    });
    if (accepted && facts.digest !== undefined && !seenBefore) seen.add(facts.source, facts.digest);
    webhooks.inc({ source: facts.source, outcome });
  });
}
