/**
 * Signature of ServiceChannel webhooks: `Sign-Type: HMACSHA256` and `Sign-Data: <base64>` (API-NOTES
 * section 3). ServiceChannel does not publish the key's form nor the exact input of the HMAC
 * *(assumed here, and configurable in one place)*: the key is the secret configured for the webhook,
 * used as its UTF-8 bytes, and the input is the raw request body, byte for byte as received (never a
 * re-serialised JSON). `Sign-Data` is the standard base64 of the 32-byte HMAC-SHA256.
 * The simulator signs with signServiceChannelWebhook; the receiver checks with
 * verifyServiceChannelSignature, in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SIGN_TYPE_HMACSHA256 } from './schemas';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HMAC_SHA256_BYTES = 32;

function hmac(key: string, rawBody: string | Buffer): Buffer {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(rawBody).digest();
}

/** The `Sign-Data` value for a body: base64(HMAC-SHA256(key, raw body bytes)). */
export function signServiceChannelWebhook(key: string, rawBody: string | Buffer): string {
  return hmac(key, rawBody).toString('base64');
}

/**
 * True when `signType` is `HMACSHA256` and `signData` is the signature of `rawBody` under `key`.
 * Takes the raw header values (`string | string[] | undefined`); a missing or repeated header, an
 * empty key, another sign type or a value that is not base64 of 32 bytes is false. The comparison
 * runs in constant time.
 */
export function verifyServiceChannelSignature(
  key: string,
  rawBody: string | Buffer,
  signType: string | string[] | undefined,
  signData: string | string[] | undefined,
): boolean {
  if (!key) return false;
  if (typeof signType !== 'string' || signType.trim().toUpperCase() !== SIGN_TYPE_HMACSHA256) return false;
  if (typeof signData !== 'string') return false;
  const value = signData.trim();
  if (!BASE64.test(value)) return false;
  const received = Buffer.from(value, 'base64');
  if (received.length !== HMAC_SHA256_BYTES) return false;
  return timingSafeEqual(hmac(key, rawBody), received);
}
