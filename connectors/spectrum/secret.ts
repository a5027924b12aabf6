/**
 * The enhanced-authentication client secret and when it expires. Spectrum's secret rotates every 7
 * to 120 days (Enable Enhanced Authentication: Data Exchange -> Settings; Secret Status shows the
 * expiration date; "Allow self-rotation" lets an application call POST /secretRotation, whose answer
 * is `{client_secret, estimated_expiration}`; Enhanced Authentication page).
 *
 * FieldBridge learns the expiry from, first, the secret file when it holds that rotation answer
 * (SPECTRUM_CLIENT_SECRET_FILE may hold the bare secret, or the JSON the rotation answered, as a
 * rotation script saves it), else the configured date (SPECTRUM_CLIENT_SECRET_EXPIRES, copied from
 * Secret Status). The file is read again before each token request, so a rotated secret written
 * there is used without a restart.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The answer of POST /secretRotation, as the Enhanced Authentication page lists it. */
export const SecretRotationResponseSchema = z.object({
  client_secret: z.string().min(1),
  /** "Estimated expiration date based on current Spectrum settings"; its format is not published (an ISO date is assumed; MM/DD/CCYY is read too). */
  estimated_expiration: z.string().min(1).optional(),
});
export type SecretRotationResponse = z.infer<typeof SecretRotationResponseSchema>;

export interface ClientSecret {
  secret: string;
  /** When it expires, if known. */
  expiresAt?: Date;
  /** Where the expiry came from. */
  expirySource?: 'secret file (estimated_expiration)' | 'SPECTRUM_CLIENT_SECRET_EXPIRES';
}

/** A date as Spectrum or an operator writes it: ISO 8601 (date or date-time) or MM/DD/CCYY. Undefined when unreadable. */
export function parseExpiry(text: string | undefined): Date | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  const us = /^(\d{2})[/-](\d{2})[/-](\d{4})$/.exec(value);
  const date = us ? new Date(Date.UTC(Number(us[3]), Number(us[1]) - 1, Number(us[2]))) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The secret file's content: the bare secret, or the JSON answer of POST /secretRotation (its
 * client_secret, and estimated_expiration as the expiry). One trailing newline is dropped.
 */
export function readSecretText(text: string): { secret: string; expiresAt?: Date } {
  const trimmed = text.replace(/\r?\n$/, '');
  if (trimmed.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new Error(`holds neither a bare secret nor the JSON answer of POST /secretRotation (${(err as Error).message})`);
    }
    const answer = SecretRotationResponseSchema.safeParse(parsed);
    if (!answer.success) throw new Error('holds JSON without a client_secret (expected the answer of POST /secretRotation)');
    return { secret: answer.data.client_secret, expiresAt: parseExpiry(answer.data.estimated_expiration) };
  }
  if (trimmed === '') throw new Error('is empty');
  return { secret: trimmed };
}

export interface SecretSource {
  /** The secret given directly (SPECTRUM_CLIENT_SECRET), used when no file is named. */
  value?: string;
  /** SPECTRUM_CLIENT_SECRET_FILE: read again before each token request. */
  file?: string;
  /** SPECTRUM_CLIENT_SECRET_EXPIRES: the expiry shown by Secret Status, when the file does not say. */
  expires?: string;
}

/** The current secret from its source (the file when named, else the value); throws naming the file when it cannot be read. */
export function loadClientSecret(source: SecretSource): ClientSecret {
  const configured = parseExpiry(source.expires);
  if (source.file) {
    let text: string;
    try {
      text = readFileSync(source.file, 'utf8');
    } catch (err) {
      throw new Error(`SPECTRUM_CLIENT_SECRET_FILE (${source.file}) cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    let read: { secret: string; expiresAt?: Date };
    try {
      read = readSecretText(text);
    } catch (err) {
      throw new Error(`SPECTRUM_CLIENT_SECRET_FILE (${source.file}) ${(err as Error).message}`);
    }
    if (read.expiresAt) return { secret: read.secret, expiresAt: read.expiresAt, expirySource: 'secret file (estimated_expiration)' };
    return { secret: read.secret, ...(configured ? { expiresAt: configured, expirySource: 'SPECTRUM_CLIENT_SECRET_EXPIRES' as const } : {}) };
  }
  if (!source.value) throw new Error('no Spectrum client secret: set SPECTRUM_CLIENT_SECRET or SPECTRUM_CLIENT_SECRET_FILE');
  return { secret: source.value, ...(configured ? { expiresAt: configured, expirySource: 'SPECTRUM_CLIENT_SECRET_EXPIRES' as const } : {}) };
}

export type SecretExpiryState = 'ok' | 'expiring' | 'expired' | 'unknown';

export interface SecretExpiryStatus {
  state: SecretExpiryState;
  expiresAt?: string;
  /** Whole days left (negative once expired). */
  daysLeft?: number;
  /** One line an operator acts on. */
  message: string;
}

const DAY_MS = 24 * 3600 * 1000;

/** Whether the secret expires within `warnDays` of `now` (or has), in words an operator acts on. */
export function secretExpiryStatus(secret: Pick<ClientSecret, 'expiresAt' | 'expirySource'>, now: Date, warnDays: number): SecretExpiryStatus {
  const rotate =
    'rotate it in Spectrum (System Administration -> Installation -> Data Exchange -> the Authorization ID -> Secret Status -> Rotate Secret, or POST /secretRotation with Allow self-rotation) and write the new secret, or the rotation answer, to SPECTRUM_CLIENT_SECRET_FILE: the worker reads it again without a restart';
  if (!secret.expiresAt) {
    return {
      state: 'unknown',
      message: `Spectrum client secret: expiry unknown; set SPECTRUM_CLIENT_SECRET_EXPIRES to the date Secret Status shows, or keep the POST /secretRotation answer in SPECTRUM_CLIENT_SECRET_FILE`,
    };
  }
  const expiresAt = secret.expiresAt.toISOString();
  const daysLeft = Math.floor((secret.expiresAt.getTime() - now.getTime()) / DAY_MS);
  const from = secret.expirySource ? ` (from ${secret.expirySource})` : '';
  if (secret.expiresAt.getTime() <= now.getTime()) {
    return { state: 'expired', expiresAt, daysLeft, message: `Spectrum client secret EXPIRED at ${expiresAt}${from}: Spectrum refuses its tokens; ${rotate}` };
  }
  if (daysLeft < warnDays) {
    return { state: 'expiring', expiresAt, daysLeft, message: `Spectrum client secret expires at ${expiresAt}${from}, in ${daysLeft} day(s) (warned ${warnDays} days ahead): ${rotate}` };
  }
  return { state: 'ok', expiresAt, daysLeft, message: `Spectrum client secret expires at ${expiresAt}${from}, in ${daysLeft} days` };
}
