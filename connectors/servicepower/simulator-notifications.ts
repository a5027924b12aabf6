/**
 * The ServicePower simulator's notification sender *(assumed; see ./notifications for the shape and
 * signature)*: each technician move is POSTed, signed, to the configured URL, in the background.
 * Up to 3 attempts (waits 200 ms, then 1 s; configurable), 5 s each; a 2xx is delivered; a 4xx
 * other than 408/429 fails at once (the receiver refused it); a 5xx, 408, 429, timeout or network
 * failure is retried. Every notification is logged in `deliveries` (`dropped`: the move was made
 * with `notify: false`; `skipped`: no target configured).
 */
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { notificationHeaders, type ServicePowerStatusNotification } from './notifications';
import { deliveredOn2xxRefusedOn4xx, WebhookSender } from '../../simulators/webhooks';

export const NotificationTargetSchema = z.object({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(1) }).strict();
export type NotificationTarget = z.infer<typeof NotificationTargetSchema>;

export const DEFAULT_NOTIFICATION_RETRY_DELAYS_MS: readonly number[] = [200, 1000];
const MAX_ATTEMPTS = 3;

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
  private readonly sender: WebhookSender;

  constructor(
    log: FastifyBaseLogger,
    public target: NotificationTarget | null,
    retryDelaysMs: readonly number[] = DEFAULT_NOTIFICATION_RETRY_DELAYS_MS,
  ) {
    this.sender = new WebhookSender(log, { retryDelaysMs, maxAttempts: MAX_ATTEMPTS, rule: deliveredOn2xxRefusedOn4xx, what: 'notification' });
  }

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
    if (!drop && target) this.deliver(notification, target, delivery);
    return delivery;
  }

  /** Delivers a notification sent (or dropped) earlier once more, the very same body: a duplicate. */
  resend(eventId: string): NotificationDelivery | undefined {
    const earlier = this.deliveries.find((d) => d.EventID === eventId);
    return earlier ? this.emit(earlier.notification) : undefined;
  }

  /** Resolves once every delivery started so far has settled. */
  idle(): Promise<void> {
    return this.sender.idle();
  }

  close(): Promise<void> {
    return this.sender.close();
  }

  clear(): void {
    this.deliveries.length = 0;
  }

  private deliver(notification: ServicePowerStatusNotification, target: NotificationTarget, delivery: NotificationDelivery): void {
    const body = JSON.stringify(notification);
    this.sender.send({
      url: target.url,
      body,
      // Signed per attempt, with a fresh timestamp.
      headers: () => ({ 'content-type': 'application/json', ...notificationHeaders(target.secret, body) }),
      progress: delivery,
      logFields: { eventId: delivery.EventID, workOrderNum: delivery.WorkOrderNum },
      settled: (delivered) => {
        delivery.status = delivered ? 'delivered' : 'failed';
      },
    });
  }
}
