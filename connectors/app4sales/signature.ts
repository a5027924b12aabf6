/**
 * HMAC signature of App4Sales webhooks.
 *
 * `X-App4Sales-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, with the
 * timestamp (unix seconds) sent in `X-App4Sales-Timestamp`. The simulator signs; the receiver verifies.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_PREFIX = 'sha256=';
const SIGNATURE_PATTERN = /^sha256=[0-9a-f]{64}$/i;
const TIMESTAMP_PATTERN = /^\d{1,15}$/;

function hmacHex(secret: string, timestamp: string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The full `X-App4Sales-Signature` header value (`sha256=<hex>`) for a body sent at `timestamp`. */
export function signWebhook(secret: string, timestamp: string, rawBody: string | Buffer): string {
  return `${SIGNATURE_PREFIX}${hmacHex(secret, timestamp, rawBody)}`;
}

/**
 * True when `header` is the signature of `rawBody` at `timestamp` and the timestamp is within
 * `toleranceSeconds` of `nowSeconds` (either direction). Compares in constant time.
 * Accepts the raw header values (`string | string[] | undefined`); a repeated header is rejected.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | string[] | undefined,
  rawBody: string | Buffer,
  header: string | string[] | undefined,
  toleranceSeconds = 300,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): boolean {
  if (typeof timestamp !== 'string' || !TIMESTAMP_PATTERN.test(timestamp)) return false;
  if (typeof header !== 'string' || !SIGNATURE_PATTERN.test(header)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;

  const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), 'hex');
  const received = Buffer.from(header.slice(SIGNATURE_PREFIX.length), 'hex');
  return expected.length === received.length && timingSafeEqual(expected, received);
}
