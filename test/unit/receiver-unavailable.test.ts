/**
 * When Temporal cannot be reached, the receiver answers 503 with Retry-After, so App4Sales
 * delivers the event again later and nothing is lost; its readiness endpoint says Temporal is the
 * failing check. (Misconfigurations, answered 500, are tested on real dev servers in
 * test/e2e/receiver-temporal.test.ts.)
 */
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { signWebhook } from '../../connectors/app4sales/signature';
import { buildReceiver } from '../../client/receiver';
import { loadConfig } from '../../common/config';
import { testLogger } from '../helpers/stack';

const SECRET = 'a-secret-of-at-least-16';
let connection: Connection;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  // Nothing listens on port 1: every call fails fast.
  connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
  app = buildReceiver({
    ...loadConfig(['receiver'], {}).receiver,
    client: new Client({ connection }),
    taskQueue: 'q',
    logger: testLogger.child({}, { level: 'silent' }),
    app4salesWebhookSecret: SECRET,
    servicetradeWebhook: { token: 'servicetrade-hook-token-0123456789', autoSyncNewJobs: false },
    bodyLimitBytes: 4096,
    startDeadlineMs: 1000,
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await connection?.close().catch(() => undefined);
});

test('Temporal unreachable: 503 with Retry-After', async () => {
  const body = JSON.stringify({ EventId: 'e1', EventType: 'CustomerChanged', CustomerId: 'C1', ChangedFields: ['CustomerName'], OccurredAt: new Date().toISOString() });
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await request(`${url}/webhooks/app4sales`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-app4sales-timestamp': ts, 'x-app4sales-signature': signWebhook(SECRET, ts, body) },
    body,
  });
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('5');
  expect(await res.body.json()).toMatchObject({ error: 'unavailable' });
});

test('Temporal unreachable: /readyz is 503 naming the temporal check; /healthz stays 200', async () => {
  const ready = await request(`${url}/readyz`);
  expect(ready.statusCode).toBe(503);
  const body = (await ready.body.json()) as { status: string; failing: string[]; checks: Array<{ name: string; ok: boolean; reason?: string }> };
  expect(body.status).toBe('not ready');
  expect(body.failing).toEqual(['temporal']);
  expect(body.checks).toEqual([
    { name: 'temporal', ok: false, reason: 'Temporal is unreachable or too slow' },
    { name: 'searchAttributes', ok: false, skipped: true, reason: 'not checked: Temporal is not ready' },
  ]);

  const health = await request(`${url}/healthz`);
  expect(health.statusCode).toBe(200);
  await health.body.dump();
});
