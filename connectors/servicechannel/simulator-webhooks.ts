/**
 * The ServiceChannel simulator's webhook sender, following ServiceChannel's delivery rules (API-NOTES
 * section 3): body `{Object, EventType}`, signed (`Sign-Type: HMACSHA256`, `Sign-Data:
 * base64(HMAC-SHA256(key, raw body))`); an attempt succeeds when answered 2xx within 5 s; otherwise
 * 3 retries 5 minutes apart (tests pass short waits), after which the event is dropped. 1000
 * consecutive failed attempts disable the webhook for 12 h, a repeat disables it for good. Admin
 * helpers: drop the next event(s) on purpose (never sent: a lost event for reconciliation to find),
 * send any event (Proposal*, Invoice*), redeliver an event (a duplicate). Deliveries run in the
 * background and are logged for tests.
 */
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { EVENT_ID_HEADER, SIGN_TYPE_HMACSHA256, serviceChannelEventId, workOrderIdOf, type WebhookIdentity } from './schemas';
import { signServiceChannelWebhook } from './signature';
import type { ServiceChannelEvent } from './simulator-state';
import { HttpError } from '../../simulators/http';
import { type DeliveryAttempt, deliveredOn2xx, WebhookSender } from '../../simulators/webhooks';

export const WebhookTargetSchema = z.object({ url: z.url({ protocol: /^https?$/ }), key: z.string().min(1) }).strict();
export type WebhookTarget = z.infer<typeof WebhookTargetSchema>;

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000;
/** ServiceChannel: 3 retries, 5 minutes apart. */
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [300_000, 300_000, 300_000];
export const DEFAULT_DISABLE_AFTER_FAILURES = 1000;
export const DEFAULT_DISABLE_FOR_MS = 12 * 3600_000;

export interface WebhookDispatcherOptions {
  /** Deadline of one attempt; default 5000. */
  timeoutMs?: number;
  /** The waits before each retry; their number is the number of retries. Default 3 x 5 min. */
  retryDelaysMs?: readonly number[];
  /** Consecutive failed attempts that disable the webhook; default 1000. */
  disableAfterFailures?: number;
  /** How long the first disabling lasts; default 12 h (the second is for good). */
  disableForMs?: number;
}

export type WebhookAttempt = DeliveryAttempt;

export interface WebhookDelivery {
  /** The event id (schemas.serviceChannelEventId), also sent as X-ServiceChannel-Event-Id. */
  eventId: string;
  EventType: string;
  /** The work order's id (Object.Id, or Object.WorkOrderId for check-in/out events); 0 when the Object names none. */
  objectId: number;
  /** The raw body as sent (signed as is). */
  body: string;
  /**
   * pending: being delivered; delivered: a 2xx within the deadline; dropped: every attempt failed,
   * or dropped on purpose (`droppedOnPurpose`); skipped: no target or the webhook is disabled.
   */
  status: 'pending' | 'delivered' | 'dropped' | 'skipped';
  droppedOnPurpose?: boolean;
  /** A redelivery of an earlier event (a duplicate). */
  redelivery?: boolean;
  attempts: number;
  responseStatus?: number;
  error?: string;
  attemptLog: WebhookAttempt[];
}

export class WebhookDispatcher {
  readonly deliveries: WebhookDelivery[] = [];
  private readonly sender: WebhookSender;
  private readonly disableAfterFailures: number;
  private readonly disableForMs: number;
  private dropNextCount = 0;
  private consecutiveFailures = 0;
  private timesDisabled = 0;
  private disabledUntil = 0;

  constructor(
    private readonly log: FastifyBaseLogger,
    public target: WebhookTarget | null,
    options: WebhookDispatcherOptions = {},
  ) {
    this.sender = new WebhookSender(log, {
      timeoutMs: options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
      retryDelaysMs: options.retryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
      rule: deliveredOn2xx,
    });
    this.disableAfterFailures = options.disableAfterFailures ?? DEFAULT_DISABLE_AFTER_FAILURES;
    this.disableForMs = options.disableForMs ?? DEFAULT_DISABLE_FOR_MS;
  }

  /** The next `count` events are dropped without being sent. */
  dropNext(count = 1): number {
    this.dropNextCount += count;
    return this.dropNextCount;
  }

  /** Whether the webhook is disabled now (after too many consecutive failures), and until when. */
  get disabled(): { disabled: boolean; until: number | null; permanently: boolean } {
    const permanently = this.disabledUntil === Number.POSITIVE_INFINITY;
    const disabled = Date.now() < this.disabledUntil;
    return { disabled, until: disabled && !permanently ? this.disabledUntil : null, permanently };
  }

  /** Re-enables a disabled webhook (as the provider would in Provider Automation). */
  enable(): void {
    this.disabledUntil = 0;
    this.consecutiveFailures = 0;
  }

  /** Sends one event; delivery runs in the background. */
  emit(event: ServiceChannelEvent): WebhookDelivery {
    const body = JSON.stringify({ Object: event.Object, EventType: event.EventType });
    const delivery: WebhookDelivery = {
      eventId: serviceChannelEventId(event as WebhookIdentity),
      EventType: event.EventType,
      objectId: workOrderIdOf(event as WebhookIdentity) ?? 0,
      body,
      status: 'pending',
      attempts: 0,
      attemptLog: [],
    };
    return this.start(delivery);
  }

  /** Sends an earlier event again, byte for byte (a duplicate delivery). */
  redeliver(eventId: string): WebhookDelivery {
    const earlier = [...this.deliveries].reverse().find((d) => d.eventId === eventId);
    if (!earlier) throw new HttpError(404, `No webhook event ${eventId}`, 'ERROR_NOT_FOUND');
    return this.start({ ...earlier, status: 'pending', redelivery: true, droppedOnPurpose: undefined, attempts: 0, attemptLog: [], responseStatus: undefined, error: undefined }, true);
  }

  private start(delivery: WebhookDelivery, isRedelivery = false): WebhookDelivery {
    this.deliveries.push(delivery);
    if (!isRedelivery && this.dropNextCount > 0) {
      this.dropNextCount -= 1;
      delivery.status = 'dropped';
      delivery.droppedOnPurpose = true;
      this.log.info({ eventId: delivery.eventId }, 'webhook dropped on purpose');
      return delivery;
    }
    if (!this.target) {
      delivery.status = 'skipped';
      delivery.error = 'no webhook target';
      return delivery;
    }
    if (this.disabled.disabled) {
      delivery.status = 'skipped';
      delivery.error = 'webhook disabled after consecutive failures';
      return delivery;
    }
    const { eventId } = delivery;
    const headers = {
      'content-type': 'application/json',
      'sign-type': SIGN_TYPE_HMACSHA256,
      'sign-data': signServiceChannelWebhook(this.target.key, delivery.body),
      [EVENT_ID_HEADER]: eventId,
    };
    this.sender.send({
      url: this.target.url,
      body: delivery.body,
      headers: () => headers,
      progress: delivery,
      logFields: { eventId },
      // A failed attempt counts towards disabling; once disabled, no more retries.
      afterFailedAttempt: () => {
        this.failedAttempt();
        return !this.disabled.disabled;
      },
      settled: (delivered) => {
        delivery.status = delivered ? 'delivered' : 'dropped';
        if (delivered) this.consecutiveFailures = 0;
      },
    });
    return delivery;
  }

  /** Resolves once every delivery started so far has been delivered or dropped. */
  idle(): Promise<void> {
    return this.sender.idle();
  }

  close(): Promise<void> {
    return this.sender.close();
  }

  private failedAttempt(): void {
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures < this.disableAfterFailures) return;
    this.consecutiveFailures = 0;
    this.timesDisabled += 1;
    this.disabledUntil = this.timesDisabled === 1 ? Date.now() + this.disableForMs : Number.POSITIVE_INFINITY;
    this.log.warn({ timesDisabled: this.timesDisabled }, 'webhook disabled after consecutive failures');
  }
}
