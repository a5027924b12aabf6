/**
 * Encryption at rest: an AES-256-GCM PayloadCodec. Every payload the worker, the receiver, the CLI
 * and the bench hand to Temporal (workflow inputs, activity inputs and results, query and signal
 * arguments, and, with the encrypted failure converter, failure messages and stack traces) is
 * stored as ciphertext; the key id travels in the payload's metadata, so a payload encrypted with
 * an older key still decrypts after a new key became current (key rotation without breaking
 * running syncs). Search attributes and workflow ids are never encoded: keep them ids only.
 *
 * Encoded payload: metadata `encoding: binary/encrypted`, `encryption-key-id: <id>`; data
 * `iv (12 bytes) | ciphertext | GCM tag (16 bytes)` of the original payload (metadata and data,
 * protobuf-serialized). The key id is authenticated (GCM additional data): a payload relabelled
 * with another key id fails like a tampered one.
 *
 * Keys: `keyId:base64-of-32-bytes`, from FIELDBRIDGE_ENCRYPTION_KEYS (comma or newline separated)
 * and/or the file FIELDBRIDGE_ENCRYPTION_KEY_FILE (one per line, `#` comments); the first is current
 * unless FIELDBRIDGE_ENCRYPTION_KEY_ID names another (common/config.ts validates them at start).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { LoadedDataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;
/** Key ids are written into every payload's metadata: short, printable, no separators. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const utf8 = new TextEncoder();
const text = new TextDecoder();

export interface EncryptionKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** A codec failure: names the key id and what to do, never the key. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

/**
 * The configured keys (the current one encrypts, any one decrypts). Serializes to its ids only, so
 * a configuration object that gets logged never prints a key.
 */
export class EncryptionKeyRing {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly currentKeyId: string;

  constructor(keys: readonly EncryptionKey[], currentKeyId: string = keys[0]?.id) {
    if (keys.length === 0) throw new Error('an encryption key ring needs at least one key');
    const map = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (!KEY_ID_PATTERN.test(id)) throw new Error(`encryption key id "${id}" must be 1-64 letters, digits, '.', '_' or '-'`);
      if (key.length !== KEY_BYTES) throw new Error(`encryption key "${id}" must be ${KEY_BYTES} bytes (got ${key.length})`);
      if (map.has(id)) throw new Error(`encryption key id "${id}" is given twice`);
      map.set(id, Buffer.from(key));
    }
    if (!map.has(currentKeyId)) throw new Error(`the current encryption key id "${currentKeyId}" is not among the configured keys (${[...map.keys()].join(', ')})`);
    this.#keys = map;
    this.currentKeyId = currentKeyId;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  toJSON(): { keyIds: string[]; currentKeyId: string } {
    return { keyIds: this.keyIds, currentKeyId: this.currentKeyId };
  }

  /** Never the key bytes in util.inspect/console.log either. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `EncryptionKeyRing { keyIds: ${JSON.stringify(this.keyIds)}, currentKeyId: ${JSON.stringify(this.currentKeyId)} }`;
  }
}

/** `keyId:base64` entries, separated by commas or newlines; blank lines and `#` comments ignored. */
export function parseKeyList(value: string): { keys: EncryptionKey[]; problems: string[] } {
  const keys: EncryptionKey[] = [];
  const problems: string[] = [];
  const entries = value
    .split('\n')
    .flatMap((line) => line.replace(/#.*$/, '').split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon).trim() : '';
    const encoded = colon > 0 ? entry.slice(colon + 1).trim() : '';
    const where = id ? `key "${id}"` : `entry ${i + 1}`;
    if (!id || !encoded) {
      problems.push(`${where} must be written keyId:base64-of-32-bytes`);
      return;
    }
    if (!KEY_ID_PATTERN.test(id)) {
      problems.push(`${where}: the key id must be 1-64 letters, digits, '.', '_' or '-'`);
      return;
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
      problems.push(`${where} is not base64`);
      return;
    }
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) {
      problems.push(`${where} must be ${KEY_BYTES} bytes, base64-encoded (it is ${key.length} bytes; make one with \`openssl rand -base64 32\`)`);
      return;
    }
    keys.push({ id, key });
  });
  if (entries.length === 0) problems.push('holds no key');
  return { keys, problems };
}

/** A fresh random key entry (`keyId:base64`), as the key file holds it. */
export function generateKeyEntry(id: string): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return !!encoding && text.decode(encoding) === ENCRYPTED_ENCODING;
}

/** The AES-256-GCM codec of FieldBridge's payloads. */
export class EncryptionCodec implements PayloadCodec {
  constructor(readonly keys: EncryptionKeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const id = this.keys.currentKeyId;
    const key = this.keys.key(id)!;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, key, iv);
      cipher.setAAD(utf8.encode(id));
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(id) }, data };
    });
  }

  /**
   * Decrypt with the key named in each payload. Payloads that are not encrypted (written before keys
   * were configured) pass through unchanged, so turning encryption on does not break running syncs.
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncrypted(payload)) return payload;
      const rawId = payload.metadata?.[KEY_ID_METADATA];
      if (!rawId) throw new PayloadDecryptionError(`an encrypted payload has no ${KEY_ID_METADATA} in its metadata: it was not written by FieldBridge's codec`);
      const id = text.decode(rawId);
      const key = this.keys.key(id);
      if (!key) {
        throw new PayloadDecryptionError(
          `a payload is encrypted with key id "${id}", which is not configured (configured: ${this.keys.keyIds.join(', ')}): add that key to FIELDBRIDGE_ENCRYPTION_KEYS or FIELDBRIDGE_ENCRYPTION_KEY_FILE`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`a payload encrypted with key id "${id}" is truncated (${data.length} bytes)`);
      try {
        const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, IV_BYTES));
        decipher.setAAD(utf8.encode(id));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        const decoded = temporal.api.common.v1.Payload.decode(plain);
        return { metadata: decoded.metadata, data: decoded.data };
      } catch {
        throw new PayloadDecryptionError(`a payload encrypted with key id "${id}" does not decrypt: it was altered, or the key configured as "${id}" is not the key it was encrypted with`);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Reading what a client fetched: histories (handle.fetchHistory()) and raw failures (describe()'s
// pending activities) come back ENCODED; these helpers decode them with the client's converter.

/** The payloads decoded by the converter's codecs (in reverse order, as the SDK does). */
export async function decodePayloads(dataConverter: Pick<LoadedDataConverter, 'payloadCodecs'>, payloads: Payload[]): Promise<Payload[]> {
  let decoded = payloads;
  for (const codec of [...dataConverter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return decoded;
}

/** A proto Payload-shaped object: metadata and data. */
function isPayloadLike(value: object): value is Payload {
  const v = value as Record<string, unknown>;
  return 'metadata' in v && 'data' in v && (v.data instanceof Uint8Array || v.data === null || v.data === undefined) && typeof v.metadata === 'object';
}

/**
 * Decode, in place, every payload inside `root` (a history fetched with handle.fetchHistory(), one
 * event, a failure, a describe() response): workflow and activity inputs and results, signal and
 * query arguments, failure details and encoded failure attributes. Returns `root`. Plain payloads
 * pass through, so this is harmless without keys.
 */
export async function decodePayloadsIn<T>(dataConverter: Pick<LoadedDataConverter, 'payloadCodecs'>, root: T): Promise<T> {
  if (dataConverter.payloadCodecs.length === 0) return root;
  const seen = new Set<object>();
  const visit = async (node: unknown): Promise<unknown> => {
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array || seen.has(node)) return node;
    seen.add(node);
    if (isPayloadLike(node)) {
      const [decoded] = await decodePayloads(dataConverter, [node]);
      return decoded;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = await visit(node[i]);
      return node;
    }
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (typeof child === 'object' && child !== null && !(child instanceof Uint8Array)) record[key] = await visit(child);
    }
    return node;
  };
  return (await visit(root)) as T;
}

/** The history of a run with its payloads decoded (for the CLI's readers and exports). */
export const decodeHistoryPayloads = decodePayloadsIn;

/** Raw proto failure shape (describe()'s pendingActivities[].lastFailure, a history event's failure). */
export type ProtoFailure = temporal.api.failure.v1.IFailure;

/**
 * A raw failure as an Error, decoded (its payloads through the codecs, its message and stack from
 * the encoded attributes). Undefined for none.
 */
export async function decodeFailure(dataConverter: LoadedDataConverter, failure: ProtoFailure | null | undefined): Promise<Error | undefined> {
  if (!failure) return undefined;
  return decodeOptionalFailureToOptionalError(dataConverter, failure);
}

/** The readable message of a raw failure (decoded when encrypted); falls back to the raw message when it cannot be decoded. */
export async function failureMessage(dataConverter: LoadedDataConverter, failure: ProtoFailure | null | undefined): Promise<string | null> {
  if (!failure) return null;
  try {
    return (await decodeFailure(dataConverter, failure))?.message ?? failure.message ?? null;
  } catch (err) {
    return `${failure.message ?? 'failure'} (not readable: ${(err as Error).message})`;
  }
}
