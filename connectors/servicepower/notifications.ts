/**
 * Notifications of a work order's OrderStatus moving in the field *(assumed: seed 004 and API-NOTES
 * section 5 publish no outbound notification; this is the shape the simulator sends and the
 * receiver reads)*.
 *
 * `POST <url>` with `content-type: application/json`, body `ServicePowerStatusNotification`, and
 * headers `X-ServicePower-Timestamp: <unix seconds>` and
 * `X-ServicePower-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>` (the same
 * scheme as the App4Sales webhooks, whose helpers it uses). Verify with
 * `verifyNotificationSignature(secret, headers, rawBody)`: constant-time, 300 s tolerance.
 */
import { z } from 'zod';
import { signWebhook, verifyWebhookSignature } from '../app4sales/signature';
import { ORDER_STATUS_CODES } from './schemas';

export const NOTIFICATION_SIGNATURE_HEADER = 'x-servicepower-signature';
export const NOTIFICATION_TIMESTAMP_HEADER = 'x-servicepower-timestamp';

const orderStatus = z.enum(ORDER_STATUS_CODES);

export const StatusNotificationSchema = z
  .object({
    /** Unique per notification; a redelivery carries the same one. */
    EventID: z.string().min(1),
    EventType: z.literal('OrderStatusChanged'),
    WorkOrderNum: z.string().min(1),
    OrderStatus: orderStatus,
    PreviousOrderStatus: orderStatus,
    /** The mobile worker who moved it, when the work order has one. */
    UserName: z.string().optional(),
    /** The technician's note, when given. */
    Note: z.string().optional(),
    /** RejectReasonCode (1001) or ReasonCode (4096/4097), when given. */
    ReasonCode: z.string().optional(),
    /** When it moved (UTC, ISO 8601). */
    ChangedUTC: z.iso.datetime({ offset: true }),
  })
  .strict();
export type ServicePowerStatusNotification = z.infer<typeof StatusNotificationSchema>;

/** The two headers of a notification sent now. */
export function notificationHeaders(secret: string, rawBody: string, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
  const timestamp = String(nowSeconds);
  return { [NOTIFICATION_TIMESTAMP_HEADER]: timestamp, [NOTIFICATION_SIGNATURE_HEADER]: signWebhook(secret, timestamp, rawBody) };
}

/** True when the headers carry a valid signature of `rawBody`, made within `toleranceSeconds`. */
export function verifyNotificationSignature(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string | Buffer,
  toleranceSeconds = 300,
  nowSeconds?: number,
): boolean {
  return verifyWebhookSignature(secret, headers[NOTIFICATION_TIMESTAMP_HEADER], rawBody, headers[NOTIFICATION_SIGNATURE_HEADER], toleranceSeconds, nowSeconds);
}
