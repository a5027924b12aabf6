import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildCodecServer, codecServerOptions } from '../../client/codec-server';
import { EncryptionCodec, EncryptionKeyRing } from '../../common/codec';
import { ConfigError, loadConfig } from '../../common/config';
import { testLogger } from '../helpers/stack';

const TOKEN = 'operator-token-0123456789';
const UI = 'http://127.0.0.1:8233';
const codec = new EncryptionCodec(new EncryptionKeyRing([{ id: 'k1', key: Buffer.alloc(32, 9) }]));
const email = 'kari.nordmann@nordvik.example';

/** A payload as the Temporal UI posts it: metadata values and data in base64. */
function asJson(p: Payload) {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  };
}

interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): { payloads: Array<{ metadata: Record<string, string>; data: string }>; message?: string };
}

/** A codec server listening on a free loopback port, called over HTTP as a browser or the CLI would. */
function serve(app: FastifyInstance) {
  const listening = app.listen({ host: '127.0.0.1', port: 0 });
  return {
    async inject(opts: { method: 'POST' | 'OPTIONS'; url: string; headers?: Record<string, string>; payload?: unknown }): Promise<Answer> {
      const address = await listening;
      const res = await request(`${address}${opts.url}`, {
        method: opts.method,
        headers: { ...(opts.payload !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        body: opts.payload !== undefined ? JSON.stringify(opts.payload) : undefined,
      });
      const body = await res.body.text();
      return { statusCode: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body) };
    },
    close: () => app.close(),
  };
}

describe('codec server', () => {
  const open = serve(buildCodecServer({ codec, namespace: 'default', corsOrigins: [UI, 'http://localhost:8233'], logger: testLogger }));
  const guarded = serve(buildCodecServer({ codec, namespace: 'default', token: TOKEN, corsOrigins: [UI], logger: testLogger }));
  afterAll(async () => {
    await open.close();
    await guarded.close();
  });

  async function encrypted() {
    const [p] = await codec.encode([defaultPayloadConverter.toPayload({ EmailAddress: email }) as Payload]);
    return asJson(p);
  }

  it('answers the UI\'s preflight for its origin with the methods, headers and credentials it needs', async () => {
    const res = await guarded.inject({
      method: 'OPTIONS',
      url: '/decode',
      headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(res.headers['access-control-allow-headers']).split(/,\s*/).sort()).toEqual(['authorization', 'content-type', 'x-namespace']);
  });

  it('refuses an origin that is not configured', async () => {
    const pre = await open.inject({ method: 'OPTIONS', url: '/decode', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.statusCode).toBe(403);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const post = await open.inject({ method: 'POST', url: '/decode', headers: { origin: 'https://evil.example' }, payload: { payloads: [await encrypted()] } });
    expect(post.statusCode).toBe(403);
    expect(post.body).not.toContain(email);
  });

  it('decodes the UI\'s payloads to clear text (and CORS-allows the UI to read the answer)', async () => {
    const res = await open.inject({ method: 'POST', url: '/decode', headers: { origin: UI, 'x-namespace': 'default' }, payload: { payloads: [await encrypted()] } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    const [p] = res.json().payloads;
    expect(Buffer.from(p.metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(p.data, 'base64').toString())).toEqual({ EmailAddress: email });
  });

  it('encode then decode round-trips', async () => {
    const plain = asJson(defaultPayloadConverter.toPayload('hello') as Payload);
    const enc = await open.inject({ method: 'POST', url: '/encode', payload: { payloads: [plain] } });
    expect(enc.statusCode).toBe(200);
    expect(Buffer.from(enc.json().payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    const dec = await open.inject({ method: 'POST', url: '/decode', payload: enc.json() });
    expect(dec.json().payloads[0]).toEqual(plain);
  });

  it('with a token: 401 without it or with a wrong one, 200 with it', async () => {
    const body = { payloads: [await encrypted()] };
    const none = await guarded.inject({ method: 'POST', url: '/decode', headers: { origin: UI }, payload: body });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.headers['access-control-allow-origin']).toBe(UI); // the UI can read why
    expect(none.body).not.toContain(email);
    const wrong = await guarded.inject({ method: 'POST', url: '/decode', headers: { authorization: 'Bearer nope' }, payload: body });
    expect(wrong.statusCode).toBe(401);
    const right = await guarded.inject({ method: 'POST', url: '/decode', headers: { authorization: `Bearer ${TOKEN}` }, payload: body });
    expect(right.statusCode).toBe(200);
    expect(Buffer.from(right.json().payloads[0].data, 'base64').toString()).toContain(email);
  });

  it('refuses another namespace, a malformed body, and a payload it cannot decrypt (naming the key id)', async () => {
    const other = await open.inject({ method: 'POST', url: '/decode', headers: { 'x-namespace': 'billing' }, payload: { payloads: [await encrypted()] } });
    expect(other.statusCode).toBe(403);
    expect(other.json().message).toMatch(/namespace billing/);
    const malformed = await open.inject({ method: 'POST', url: '/decode', payload: { payload: [] } });
    expect(malformed.statusCode).toBe(400);
    const [foreign] = await new EncryptionCodec(new EncryptionKeyRing([{ id: 'k9', key: Buffer.alloc(32, 1) }])).encode([defaultPayloadConverter.toPayload('x') as Payload]);
    const unknown = await open.inject({ method: 'POST', url: '/decode', payload: { payloads: [asJson(foreign)] } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/key id "k9"/);
  });

  it('will not start without keys; takes its origins and token from the configuration', () => {
    expect(() => codecServerOptions(loadConfig(['temporal', 'codecServer'], {}), testLogger)).toThrow(ConfigError);
    const cfg = loadConfig(['temporal', 'codecServer'], {
      FIELDBRIDGE_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 9).toString('base64')}`,
      CODEC_SERVER_TOKEN: TOKEN,
      CODEC_SERVER_CORS_ORIGINS: 'https://temporal.example.com/, http://localhost:9233',
    });
    const opts = codecServerOptions(cfg, testLogger);
    expect(opts.corsOrigins).toEqual(['https://temporal.example.com', 'http://localhost:9233']);
    expect(opts.token).toBe(TOKEN);
    expect(cfg.codecServer.port).toBe(8234);
    expect(cfg.codecServer.host).toBe('127.0.0.1');
  });

  it('refuses to listen beyond loopback without a token, naming CODEC_SERVER_TOKEN', () => {
    const keys = { FIELDBRIDGE_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 9).toString('base64')}` };
    for (const host of ['0.0.0.0', '10.1.2.3', '::']) {
      expect(() => loadConfig(['temporal', 'codecServer'], { ...keys, CODEC_SERVER_HOST: host })).toThrow(/CODEC_SERVER_TOKEN/);
    }
    expect(loadConfig(['temporal', 'codecServer'], { ...keys, CODEC_SERVER_HOST: '0.0.0.0', CODEC_SERVER_TOKEN: TOKEN }).codecServer.host).toBe('0.0.0.0');
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) {
      expect(loadConfig(['temporal', 'codecServer'], { ...keys, CODEC_SERVER_HOST: host }).codecServer.host).toBe(host);
    }
  });
});
