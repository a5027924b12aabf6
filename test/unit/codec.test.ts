import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { decodePayloadsIn, EncryptionCodec, EncryptionKeyRing, ENCRYPTED_ENCODING, failureMessage, generateKeyEntry, KEY_ID_METADATA, parseKeyList } from '../../common/codec';
import { ConfigError, loadConfig } from '../../common/config';
import { fieldBridgeDataConverter } from '../../common/temporal-connection';

const keyA = { id: 'k2026a', key: Buffer.alloc(32, 0xa1) };
const keyB = { id: 'k2026b', key: Buffer.alloc(32, 0xb2) };
const customer = { Id: 'A4S-1', Name: 'Nordvik Maskin AS', EmailAddress: 'kari.nordmann@nordvik.example' };
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('EncryptionCodec', () => {
  const plain = defaultPayloadConverter.toPayload(customer) as Payload;

  it('round-trips a payload and stores neither the data nor its metadata in clear', async () => {
    const codec = new EncryptionCodec(new EncryptionKeyRing([keyA]));
    const [encoded] = await codec.encode([plain]);
    expect(text(encoded.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded.metadata?.[KEY_ID_METADATA])).toBe('k2026a');
    expect(Object.keys(encoded.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
    expect(text(encoded.data)).not.toContain('kari.nordmann');
    expect(text(encoded.data)).not.toContain('json/plain');
    const [decoded] = await codec.decode([encoded]);
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(customer);
    expect(text(decoded.metadata?.encoding)).toBe('json/plain');
  });

  it('uses a fresh IV per payload: the same value encrypts differently', async () => {
    const codec = new EncryptionCodec(new EncryptionKeyRing([keyA]));
    const [one, two] = await codec.encode([plain, plain]);
    expect(Buffer.from(one.data!).equals(Buffer.from(two.data!))).toBe(false);
  });

  it('rotation: a payload from the old key still decodes once a new key is current; new payloads use the new key', async () => {
    const before = new EncryptionCodec(new EncryptionKeyRing([keyA]));
    const [old] = await before.encode([plain]);
    const after = new EncryptionCodec(new EncryptionKeyRing([keyB, keyA]));
    expect(defaultPayloadConverter.fromPayload((await after.decode([old]))[0])).toEqual(customer);
    const [fresh] = await after.encode([plain]);
    expect(text(fresh.metadata?.[KEY_ID_METADATA])).toBe('k2026b');
    // The old key alone cannot read what the new key wrote.
    await expect(before.decode([fresh])).rejects.toThrow(/key id "k2026b", which is not configured/);
  });

  it('passes plain payloads (written before keys were configured) through', async () => {
    const codec = new EncryptionCodec(new EncryptionKeyRing([keyA]));
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('names the key id of a payload whose key is not configured, never a key', async () => {
    const [encoded] = await new EncryptionCodec(new EncryptionKeyRing([keyB])).encode([plain]);
    const err = await new EncryptionCodec(new EncryptionKeyRing([keyA])).decode([encoded]).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/"k2026b".*not configured \(configured: k2026a\)/);
    expect((err as Error).message).not.toContain(keyA.key.toString('base64'));
  });

  it('refuses a tampered payload, a relabelled key id and a wrong key, naming the key id', async () => {
    const codec = new EncryptionCodec(new EncryptionKeyRing([keyA, keyB]));
    const [encoded] = await codec.encode([plain]);
    const flipped = Buffer.from(encoded.data!);
    flipped[20] ^= 0x01;
    await expect(codec.decode([{ ...encoded, data: flipped }])).rejects.toThrow(/key id "k2026a" does not decrypt: it was altered/);
    const relabelled = { ...encoded, metadata: { ...encoded.metadata, [KEY_ID_METADATA]: Buffer.from('k2026b') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key id "k2026b" does not decrypt/);
    const sameIdOtherKey = new EncryptionCodec(new EncryptionKeyRing([{ id: 'k2026a', key: Buffer.alloc(32, 7) }]));
    await expect(sameIdOtherKey.decode([encoded])).rejects.toThrow(/key configured as "k2026a" is not the key it was encrypted with/);
  });

  it('a key ring never prints its keys', () => {
    const ring = new EncryptionKeyRing([keyA, keyB]);
    const b64 = keyA.key.toString('base64');
    expect(JSON.stringify({ ring })).not.toContain(b64);
    expect(inspect(ring, { depth: 5 })).not.toContain(b64);
    expect(JSON.stringify(ring)).toBe('{"keyIds":["k2026a","k2026b"],"currentKeyId":"k2026a"}');
  });

  it('encrypts failure messages and stack traces; the SDK and the CLI helper read them back', async () => {
    const dataConverter = loadDataConverter(fieldBridgeDataConverter({ encryption: new EncryptionKeyRing([keyA]) }));
    const failure = await dataConverter.failureConverter.errorToFailure(ApplicationFailure.nonRetryable('customer kari.nordmann@nordvik.example is missing Name', 'MissingRequiredFields'), dataConverter.payloadConverter);
    // What the worker does before it sends the failure: encode its payloads.
    const [encodedAttributes] = await dataConverter.payloadCodecs[0].encode([failure.encodedAttributes!]);
    const stored = { ...failure, encodedAttributes };
    expect(stored.message).toBe('Encoded failure');
    expect(JSON.stringify(stored)).not.toContain('kari.nordmann');
    expect(await failureMessage(dataConverter, stored)).toBe('customer kari.nordmann@nordvik.example is missing Name');
    expect(stored.applicationFailureInfo?.type).toBe('MissingRequiredFields');
  });

  it('decodePayloadsIn decodes every payload of a history-shaped object in place', async () => {
    const codec = new EncryptionCodec(new EncryptionKeyRing([keyA]));
    const [input, result] = await codec.encode([defaultPayloadConverter.toPayload('A4S-1') as Payload, plain]);
    const history = { events: [{ eventId: 1, workflowExecutionStartedEventAttributes: { input: { payloads: [input] } } }, { eventId: 2, activityTaskCompletedEventAttributes: { result: { payloads: [result] } } }] };
    await decodePayloadsIn({ payloadCodecs: [codec] }, history);
    expect(defaultPayloadConverter.fromPayload(history.events[1].activityTaskCompletedEventAttributes!.result.payloads[0])).toEqual(customer);
    expect(defaultPayloadConverter.fromPayload(history.events[0].workflowExecutionStartedEventAttributes!.input.payloads[0])).toBe('A4S-1');
  });
});

describe('encryption keys in the configuration', () => {
  const b64 = (fill: number) => Buffer.alloc(32, fill).toString('base64');

  it('no keys: no codec (payloads in clear, as before)', () => {
    const { temporal } = loadConfig(['temporal'], {});
    expect(temporal.encryption).toBeUndefined();
    expect(fieldBridgeDataConverter(temporal)).toBeUndefined();
  });

  it('the first key is current unless FIELDBRIDGE_ENCRYPTION_KEY_ID names another; a key file adds keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, `# rotated 2026-11\n${generateKeyEntry('old')}\n\n`, { mode: 0o600 });
    const { temporal } = loadConfig(['temporal'], { FIELDBRIDGE_ENCRYPTION_KEYS: `new:${b64(1)}`, FIELDBRIDGE_ENCRYPTION_KEY_FILE: file });
    expect(temporal.encryption?.keyIds).toEqual(['new', 'old']);
    expect(temporal.encryption?.currentKeyId).toBe('new');
    const chosen = loadConfig(['temporal'], { FIELDBRIDGE_ENCRYPTION_KEYS: `new:${b64(1)}`, FIELDBRIDGE_ENCRYPTION_KEY_FILE: file, FIELDBRIDGE_ENCRYPTION_KEY_ID: 'old' });
    expect(chosen.temporal.encryption?.currentKeyId).toBe('old');
  });

  it('refuses bad keys at start, each problem named by its variable, no key echoed', () => {
    const short = Buffer.alloc(16, 3).toString('base64');
    const problems = problemsOf(() =>
      loadConfig(['temporal'], { FIELDBRIDGE_ENCRYPTION_KEYS: `a:${b64(1)},a:${b64(2)},b:${short},c`, FIELDBRIDGE_ENCRYPTION_KEY_FILE: '/nonexistent/keys', FIELDBRIDGE_ENCRYPTION_KEY_ID: 'z' }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^FIELDBRIDGE_ENCRYPTION_KEYS .*key id "a" is given twice/),
        expect.stringMatching(/^FIELDBRIDGE_ENCRYPTION_KEYS .*key "b" must be 32 bytes.*it is 16 bytes/),
        expect.stringMatching(/^FIELDBRIDGE_ENCRYPTION_KEYS .*entry 4 must be written keyId:base64/),
        expect.stringMatching(/^FIELDBRIDGE_ENCRYPTION_KEY_FILE .*\/nonexistent\/keys cannot be read \(ENOENT\)/),
        expect.stringMatching(/^FIELDBRIDGE_ENCRYPTION_KEY_ID .*"z" is not among the configured keys \(a\)/),
      ]),
    );
    expect(problems.join('\n')).not.toContain(b64(1));
    expect(problems.join('\n')).not.toContain(short);
  });

  it('a current key id without keys is refused', () => {
    expect(problemsOf(() => loadConfig(['temporal'], { FIELDBRIDGE_ENCRYPTION_KEY_ID: 'k1' }))).toEqual([expect.stringMatching(/^FIELDBRIDGE_ENCRYPTION_KEY_ID .*no keys are configured/)]);
  });

  it('parseKeyList reads commas, lines and comments', () => {
    const { keys, problems } = parseKeyList(`# made by npm start, keep older keys below\na:${b64(1)}, b:${b64(2)}\n# c:nope\nc:${b64(3)} # third, newest`);
    expect(problems).toEqual([]);
    expect(keys.map((k) => k.id)).toEqual(['a', 'b', 'c']);
    expect(parseKeyList('  \n# only a comment').problems).toEqual(['holds no key']);
  });
});
