/**
 * The ServiceTrade simulator's webhook sender, following ServiceTrade's delivery rules (API-NOTES
 * section 2): the body carries ids only (`{messageId, timestamp, data: [{action, timestamp, userId,
 * entity: {type, id, uri}}]}`), nothing is signed (the hook URL's secret path is the receiver's only
 * check), each attempt must be answered within 5 s, at most 3 attempts, and any answer 200..499
 * counts as delivered. Deliveries run in the background and are logged for tests.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { ServiceTradeWebhookEvent } from './schemas';
import { type DeliveryAttempt, deliveredBelow500, WebhookSender } from '../../simulators/webhooks';

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

export type WebhookAttempt = DeliveryAttempt;

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
  private readonly sender: WebhookSender;

  /**
   * @param deliveries the log to append to (the simulator state's, so /__admin/state shows it)
   * @param entityUri the `uri` of an entity, e.g. `<api url>/job/42`
   */
  constructor(
    log: FastifyBaseLogger,
    public target: WebhookTarget | null,
    readonly deliveries: WebhookDelivery[],
    private readonly entityUri: (type: string, id: number) => string,
    options: WebhookDispatcherOptions = {},
  ) {
    this.sender = new WebhookSender(log, {
      timeoutMs: options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
      retryDelaysMs: options.retryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
      maxAttempts: MAX_WEBHOOK_ATTEMPTS,
      rule: deliveredBelow500,
    });
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
      this.sender.send({
        url: this.target.hookUrl,
        body: JSON.stringify(message),
        headers: () => ({ 'content-type': 'application/json' }),
        progress: delivery,
        logFields: { messageId: delivery.messageId },
        settled: (delivered) => {
          delivery.status = delivered ? 'delivered' : 'failed';
        },
      });
    }
    return delivery;
  }

  /** Resolves once every delivery started so far has been delivered or has failed. */
  idle(): Promise<void> {
    return this.sender.idle();
  }

  /** Cancels retries and in-flight requests, and waits for them to settle. */
  close(): Promise<void> {
    return this.sender.close();
  }
}
