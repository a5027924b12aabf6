/**
 * The App4Sales simulator's webhook sender: signed customer events, delivered asynchronously with
 * retries, and a delivery log for tests.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { type CustomerChangedEvent, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './schemas';
import { signWebhook } from './signature';
import { HttpError } from '../../simulators/http';
import { deliveredBelow500, WebhookSender } from '../../simulators/webhooks';

export const WebhookTargetSchema = z.object({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(1) }).strict();
export type WebhookTarget = z.infer<typeof WebhookTargetSchema>;

/** Waits before the 2nd and 3rd attempt: 3 attempts in all. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [200, 1000];

export interface WebhookDelivery {
  EventId: string;
  EventType: CustomerChangedEvent['EventType'];
  CustomerId: string;
  ChangedFields: string[];
  /** skipped: no webhook target was configured when the event was emitted. */
  status: 'pending' | 'delivered' | 'failed' | 'skipped';
  attempts: number;
  /** HTTP status of the last attempt that got an answer. */
  responseStatus?: number;
  error?: string;
}

export type NewEvent = Pick<CustomerChangedEvent, 'EventType' | 'CustomerId' | 'ChangedFields'>;

export class WebhookDispatcher {
  /** Every emitted event, in order (a resend is a new entry with the same EventId). */
  readonly deliveries: WebhookDelivery[] = [];
  private readonly events = new Map<string, CustomerChangedEvent>();
  private readonly sender: WebhookSender;

  constructor(
    log: FastifyBaseLogger,
    public target: WebhookTarget | null,
    retryDelaysMs: readonly number[] = DEFAULT_RETRY_DELAYS_MS,
  ) {
    this.sender = new WebhookSender(log, { retryDelaysMs, rule: deliveredBelow500 });
  }

  /** Emits a new event (fresh EventId, OccurredAt now); delivery runs in the background. */
  emit(event: NewEvent): CustomerChangedEvent {
    return this.send({ ...event, EventId: randomUUID(), OccurredAt: new Date().toISOString() });
  }

  /**
   * Delivers an event again: the very event emitted earlier when `eventId` names one (a duplicate
   * delivery), else a new CustomerChanged event for the customer (with `eventId` when given).
   */
  resend(customerId: string, eventId?: string): CustomerChangedEvent {
    const known = eventId === undefined ? undefined : this.events.get(eventId);
    if (known && known.CustomerId !== customerId) {
      throw new HttpError(400, `Event ${eventId} belongs to customer ${known.CustomerId}, not ${customerId}`);
    }
    return this.send(
      known ?? {
        EventId: eventId ?? randomUUID(),
        EventType: 'CustomerChanged',
        CustomerId: customerId,
        ChangedFields: [],
        OccurredAt: new Date().toISOString(),
      },
    );
  }

  /** Logs the event and starts delivering it (unless no target is configured). */
  private send(event: CustomerChangedEvent): CustomerChangedEvent {
    this.events.set(event.EventId, event);
    const delivery: WebhookDelivery = {
      EventId: event.EventId,
      EventType: event.EventType,
      CustomerId: event.CustomerId,
      ChangedFields: event.ChangedFields,
      status: this.target ? 'pending' : 'skipped',
      attempts: 0,
    };
    this.deliveries.push(delivery);
    if (this.target) this.deliver(event, this.target, delivery);
    return event;
  }

  /** Resolves once every delivery started so far has been delivered or has failed. */
  idle(): Promise<void> {
    return this.sender.idle();
  }

  /** Forgets the log and the events (deliveries in flight carry on). */
  reset(): void {
    this.deliveries.length = 0;
    this.events.clear();
  }

  /** Cancels retries and in-flight requests, and waits for them to settle. */
  close(): Promise<void> {
    return this.sender.close();
  }

  private deliver(event: CustomerChangedEvent, target: WebhookTarget, delivery: WebhookDelivery): void {
    const body = JSON.stringify(event);
    this.sender.send({
      url: target.url,
      body,
      // Signed per attempt, with a fresh timestamp.
      headers: () => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        return { 'content-type': 'application/json', [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, body) };
      },
      progress: delivery,
      logFields: { eventId: event.EventId },
      settled: (delivered) => {
        delivery.status = delivered ? 'delivered' : 'failed';
      },
    });
  }
}
