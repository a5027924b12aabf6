/**
 * The ServicePower simulator's notification sender *(assumed; see ./notifications for the shape and
 * signature)*: each technician move is POSTed, signed, to the configured URL, in the background.
 * Up to 3 attempts (waits 200 ms, then 1 s; configurable), 5 s each; a 2xx is delivered; a 4xx
 * other than 408/429 fails at once (the receiver refused it); a 5xx, 408, 429, timeout or network
 * failure is retried. Every notification is logged in `deliveries` (`dropped`: the move was made
 * with `notify: false`; `skipped`: no target configured).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { request } from 'undici';
import { z } from 'zod';
import { notificationHeaders, type ServicePowerStatusNotification } from './notifications';

export const NotificationTargetSchema = z.object({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(1) }).strict();
export type NotificationTarget = z.infer<typeof NotificationTargetSchema>;

export const DEFAULT_NOTIFICATION_RETRY_DELAYS_MS: readonly number[] = [200, 1000];
const MAX_ATTEMPTS = 3;
const ATTEMPT_TIMEOUT_MS = 5000;

export interface NotificationDelivery {
  EventID: string;
  WorkOrderNum: string;
  notification: ServicePowerStatusNotification;
  status: 'pending' | 'delivered' | 'failed' | 'skipped' | 'dropped';
  attempts: number;
  responseStatus?: number;
  error?: string;
}

export class NotificationDispatcher {
  readonly deliveries: NotificationDelivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly log: FastifyBaseLogger,
    public target: NotificationTarget | null,
    private readonly retryDelaysMs: readonly number[] = DEFAULT_NOTIFICATION_RETRY_DELAYS_MS,
  ) {}

  /** Logs the notification and, unless `drop`, delivers it in the background. */
  emit(notification: ServicePowerStatusNotification, { drop = false }: { drop?: boolean } = {}): NotificationDelivery {
    const target = this.target;
    const delivery: NotificationDelivery = {
      EventID: notification.EventID,
      WorkOrderNum: notification.WorkOrderNum,
      notification,
      status: drop ? 'dropped' : target ? 'pending' : 'skipped',
      attempts: 0,
    };
    this.deliveries.push(delivery);
    if (!drop && target) this.track(this.deliver(notification, target, delivery));
    return delivery;
  }

  /** Delivers a notification sent (or dropped) earlier once more, the very same body: a duplicate. */
  resend(eventId: string): NotificationDelivery | undefined {
    const earlier = this.deliveries.find((d) => d.EventID === eventId);
    return earlier ? this.emit(earlier.notification) : undefined;
  }

  /** Resolves once every delivery started so far has settled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  clear(): void {
    this.deliveries.length = 0;
  }

  private track(running: Promise<void>): void {
    const tracked = running.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async deliver(notification: ServicePowerStatusNotification, target: NotificationTarget, delivery: NotificationDelivery): Promise<void> {
    const body = JSON.stringify(notification);
    const closing = this.stopping.signal;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      delivery.attempts = attempt;
      try {
        const response = await request(target.url, {
          method: 'POST',
          // Signed per attempt, with a fresh timestamp.
          headers: { 'content-type': 'application/json', ...notificationHeaders(target.secret, body) },
          body,
          signal: AbortSignal.any([closing, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
          headersTimeout: ATTEMPT_TIMEOUT_MS,
          bodyTimeout: ATTEMPT_TIMEOUT_MS,
        });
        await response.body.dump();
        delivery.responseStatus = response.statusCode;
        if (response.statusCode >= 200 && response.statusCode < 300) {
          delivery.status = 'delivered';
          delete delivery.error;
          this.log.info({ eventId: delivery.EventID, workOrderNum: delivery.WorkOrderNum, attempt }, 'notification delivered');
          return;
        }
        delivery.error = `HTTP ${response.statusCode}`;
        if (response.statusCode < 500 && response.statusCode !== 408 && response.statusCode !== 429) break;
      } catch (error) {
        delivery.error = closing.aborted ? 'simulator closed' : error instanceof Error ? error.message : String(error);
      }
      if (closing.aborted || attempt === MAX_ATTEMPTS) break;
      try {
        await sleep(this.retryDelaysMs[attempt - 1] ?? this.retryDelaysMs[this.retryDelaysMs.length - 1] ?? 0, undefined, { signal: closing });
      } catch {
        delivery.error = 'simulator closed';
        break;
      }
    }
    delivery.status = 'failed';
    this.log.warn({ eventId: delivery.EventID, workOrderNum: delivery.WorkOrderNum, attempts: delivery.attempts, error: delivery.error }, 'notification delivery failed');
  }
}
