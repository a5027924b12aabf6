/**
 * Reading a webhook's body, the same way on every route: the raw bytes (kept for the signature)
 * decoded as strict UTF-8, parsed as JSON, validated with the route's zod schema. A body that is
 * not UTF-8 or not JSON is `malformed`; one that does not fit is `invalid`, naming every field.
 */
import type { z } from 'zod';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface InvalidField {
  field: string;
  message: string;
}

export type WebhookBody<T> =
  | { ok: true; data: T }
  /** `json` is what parsed (undefined when the body was malformed), for the route's log line. */
  | { ok: false; json: unknown; fields: InvalidField[]; response: { error: 'malformed' | 'invalid'; reason: string; fields?: InvalidField[] } };

/**
 * @param label what the sender calls the message, from the parsed JSON (e.g. `ServiceTrade webhook 42`),
 *   used in the 400's reason: `<label> is invalid: <fields>`
 */
export function readWebhookBody<S extends z.ZodType>(raw: Buffer, schema: S, label: (json: unknown) => string): WebhookBody<z.output<S>> {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return { ok: false, json: undefined, fields: [], response: { error: 'malformed', reason: 'body is not valid UTF-8' } };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, json: undefined, fields: [], response: { error: 'malformed', reason: `body is not JSON: ${(err as Error).message}` } };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, data: parsed.data };
  const fields = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  return {
    ok: false,
    json,
    fields,
    response: { error: 'invalid', reason: `${label(json)} is invalid: ${fields.map((f) => f.field).join(', ')}`, fields },
  };
}

/** A property of a parsed JSON body, when it is a string or a number (an id to name in a message). */
export function idIn(json: unknown, key: string): string | undefined {
  const value = (json as Record<string, unknown> | null | undefined)?.[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
