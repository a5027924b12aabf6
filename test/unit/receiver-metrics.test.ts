/**
 * The receiver's /metrics counts every refused webhook under its reason, for each source, as an
 * operator reads them (the accepted and duplicate ones are counted on a real dev server in
 * test/e2e/metrics.test.ts). Temporal is unreachable here: a webhook that passes every check gets 503.
 */
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildReceiver } from '../../client/receiver';
import { loadConfig } from '../../common/config';
import { signWebhook } from '../../connectors/app4sales/signature';
import { signServiceChannelWebhook } from '../../connectors/servicechannel/signature';
import { sampleValue } from '../helpers/prometheus';
import { testLogger } from '../helpers/stack';

const SECRET = 'a-secret-of-at-least-16';
const ST_TOKEN = 'servicetrade-hook-token-0123456789';
let connection: Connection;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
  app = buildReceiver({
    ...loadConfig(['receiver'], {}).receiver,
    client: new Client({ connection }),
    taskQueue: 'q',
    logger: testLogger.child({}, { level: 'silent' }),
    app4salesWebhookSecret: SECRET,
    servicetradeWebhook: { token: ST_TOKEN, autoSyncNewJobs: false },
    servicechannelWebhook: { key: 'servicechannel-key-0123456789' },
    servicepowerNotification: { secret: 'servicepower-secret-0123456789' },
    bodyLimitBytes: 4096,
    startDeadlineMs: 1000,
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await connection?.close().catch(() => undefined);
});

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  await res.body.dump();
  return res.statusCode;
}

function app4sales(body: string, ts = String(Math.floor(Date.now() / 1000)), secret = SECRET): Promise<number> {
  return post('/webhooks/app4sales', body, { 'x-app4sales-timestamp': ts, 'x-app4sales-signature': signWebhook(secret, ts, body) });
}

const event = JSON.stringify({ EventId: 'e1', EventType: 'CustomerChanged', CustomerId: 'C1', ChangedFields: ['CustomerName'], OccurredAt: new Date().toISOString() });

test('each refusal under its reason, by source; ids and tokens never in a label', async () => {
  expect(await app4sales(event, String(Math.floor(Date.now() / 1000) - 3600))).toBe(401); // replayed an hour later
  expect(await app4sales(event, undefined, 'not-the-secret-0123456789')).toBe(401);
  expect(await post('/webhooks/app4sales', event)).toBe(401);
  expect(await app4sales('{"EventId": ')).toBe(400);
  expect(await app4sales(JSON.stringify({ EventId: 'e2' }))).toBe(400);
  expect(await app4sales(JSON.stringify({ pad: 'x'.repeat(5000) }))).toBe(413);
  expect(await app4sales(event)).toBe(503); // passes every check; Temporal is unreachable
  expect(await post('/webhooks/servicetrade/not-the-token-0123456789abc', '{}')).toBe(401);
  expect(await post('/webhooks/servicetrade', '{}')).toBe(401);
  expect(await post('/webhooks/servicechannel', '{}')).toBe(401);
  expect(await post('/webhooks/servicechannel', '{}', { 'sign-type': 'HMACSHA256', 'sign-data': signServiceChannelWebhook('another-key-0123456789', '{}') })).toBe(401);
  expect(await post('/webhooks/servicepower', '{}')).toBe(401);

  const res = await request(`${url}/metrics`);
  expect(res.statusCode).toBe(200);
  const text = await res.body.text();
  const count = (source: string, outcome: string) => sampleValue(text, 'fieldbridge_webhooks_total', { source, outcome });
  expect(count('app4sales', 'stale')).toBe(1);
  expect(count('app4sales', 'bad-signature')).toBe(1);
  expect(count('app4sales', 'unsigned')).toBe(1);
  expect(count('app4sales', 'malformed')).toBe(1);
  expect(count('app4sales', 'invalid')).toBe(1);
  expect(count('app4sales', 'too-large')).toBe(1);
  expect(count('app4sales', 'unavailable')).toBe(1);
  expect(count('servicetrade', 'bad-token')).toBe(1);
  expect(count('servicetrade', 'unsigned')).toBe(1);
  expect(count('servicechannel', 'unsigned')).toBe(1);
  expect(count('servicechannel', 'bad-signature')).toBe(1);
  expect(count('servicepower', 'unsigned')).toBe(1);
  expect(count('app4sales', 'accepted')).toBe(0);
  expect(text).not.toMatch(/not-the-token|C1|e2/);
});
