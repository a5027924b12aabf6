/**
 * The ServiceTrade simulator's webhook sender, following ServiceTrade's delivery rules (API-NOTES
 * section 2): the body carries ids only (`{messageId, timestamp, data: [{action, timestamp, userId,
 * entity: {type, id, uri}}]}`), nothing is signed (the hook URL's secret path is the receiver's only
 * check), each attempt must be answered within 5 s, at most 3 attempts, and any answer 200..499
 * counts as delivered. Deliveries run in the background and are logged for tests.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { request } from 'undici';
import { z } from 'zod';
import type { ServiceTradeWebhookEvent } from './schemas';

export const WebhookTargetSchema = z.object({ hookUrl: z.url({ protocol: /^https?$/ }) }).strict();
export type WebhookTarget = z.infer<typeof WebhookTargetSchema>;

/** ServiceTrade's rules: 5 s per attempt, 3 attempts. The waits between attempts are not published *(assumed)*. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000;
export const MAX_WEBHOOK_ATTEMPTS = 3;
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [1000, 5000];

export interface WebhookDispatcherOptions {
  /** Deadline of one attempt (headers and body); default 5000, ServiceTrade's. */
  timeoutMs?: number;
  /** Waits before the 2nd and 3rd attempt; default [1000, 5000]. Attempts are capped at 3 whatever its length. */
  retryDelaysMs?: readonly number[];
}

export interface WebhookAttempt {
  /** HTTP status, when the receiver answered. */
  status?: number;
  error?: string;
  durationMs: number;
}

/** A webhook body as the simulator sends it (ServiceTradeWebhookSchema reads it). */
export interface ServiceTradeWebhookMessage {
  messageId: string;
  /** Unix seconds, as a string (as ServiceTrade sends it). */
  timestamp: string;
  data: Array<{
    action: ServiceTradeWebhookEvent['action'];
    timestamp: number;
    userId: number | null;
    entity: { type: string; id: number; uri: string };
  }>;
}

export interface WebhookDelivery {
  messageId: string;
  /** The body as sent. */
  message: ServiceTradeWebhookMessage;
  /** skipped: no hook URL was configured when the change happened. */
  status: 'pending' | 'delivered' | 'failed' | 'skipped';
  attempts: number;
  /** Status of the last attempt that got an answer. */
  responseStatus?: number;
  error?: string;
  attemptLog: WebhookAttempt[];
}

/** One change to announce: the entity, what happened, who did it. */
export interface EntityChange {
  action: ServiceTradeWebhookEvent['action'];
  entityType: string;
  entityId: number;
  userId?: number | null;
}

export class WebhookDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly timeoutMs: number;
  private readonly retryDelaysMs: readonly number[];

  /**
   * @param deliveries the log to append to (the simulator state's, so /__admin/state shows it)
   * @param entityUri the `uri` of an entity, e.g. `<api url>/job/42`
   */
  constructor(
    private readonly log: FastifyBaseLogger,
    public target: WebhookTarget | null,
    readonly deliveries: WebhookDelivery[],
    private readonly entityUri: (type: string, id: number) => string,
    options: WebhookDispatcherOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS;
  }

  /** Sends one message carrying these changes (ids only); delivery runs in the background. */
  emit(changes: EntityChange[]): WebhookDelivery | undefined {
    if (changes.length === 0) return undefined;
    const now = Math.floor(Date.now() / 1000);
    const message: ServiceTradeWebhookMessage = {
      messageId: randomUUID(),
      // ServiceTrade sends the message timestamp as a string of Unix seconds.
      timestamp: String(now),
      data: changes.map((change) => ({
        action: change.action,
        timestamp: now,
        userId: change.userId ?? null,
        entity: { type: change.entityType, id: change.entityId, uri: this.entityUri(change.entityType, change.entityId) },
      })),
    };
    const delivery: WebhookDelivery = {
      messageId: message.messageId,
      message,
      status: this.target ? 'pending' : 'skipped',
      attempts: 0,
      attemptLog: [],
    };
    this.deliveries.push(delivery);
    if (this.target) {
      const running = this.deliver(JSON.stringify(message), this.target, delivery).finally(() => this.inFlight.delete(running));
      this.inFlight.add(running);
    }
    return delivery;
  }

  /** Resolves once every delivery started so far has been delivered or has failed. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Cancels retries and in-flight requests, and waits for them to settle. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private async deliver(body: string, target: WebhookTarget, delivery: WebhookDelivery): Promise<void> {
    const closing = this.stopping.signal;
    for (let attempt = 1; attempt <= MAX_WEBHOOK_ATTEMPTS; attempt += 1) {
      delivery.attempts = attempt;
      const startedAt = Date.now();
      const deadline = AbortSignal.timeout(this.timeoutMs);
      try {
        const response = await request(target.hookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.any([closing, deadline]),
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        });
        await response.body.dump();
        delivery.responseStatus = response.statusCode;
        delivery.attemptLog.push({ status: response.statusCode, durationMs: Date.now() - startedAt });
        if (response.statusCode >= 200 && response.statusCode < 500) {
          delivery.status = 'delivered';
          delete delivery.error;
          this.log.info({ messageId: delivery.messageId, status: response.statusCode, attempt }, 'webhook delivered');
          return;
        }
        delivery.error = `HTTP ${response.statusCode}`;
      } catch (error) {
        delivery.error = closing.aborted
          ? 'simulator closed'
          : deadline.aborted
            ? `no answer within ${this.timeoutMs} ms`
            : error instanceof Error
              ? error.message
              : String(error);
        delivery.attemptLog.push({ error: delivery.error, durationMs: Date.now() - startedAt });
      }
      if (closing.aborted || attempt === MAX_WEBHOOK_ATTEMPTS) break;
      this.log.warn({ messageId: delivery.messageId, attempt, error: delivery.error }, 'webhook attempt failed; retrying');
      try {
        await sleep(this.retryDelaysMs[attempt - 1] ?? this.retryDelaysMs[this.retryDelaysMs.length - 1] ?? 0, undefined, { signal: closing });
      } catch {
        delivery.error = 'simulator closed';
        break;
      }
    }
    delivery.status = 'failed';
    this.log.warn({ messageId: delivery.messageId, attempts: delivery.attempts, error: delivery.error }, 'webhook delivery failed');
  }
}
