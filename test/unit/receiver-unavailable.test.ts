/**
 * When Temporal cannot be reached, the receiver answers 503 with Retry-After, so App4Sales
 * delivers the event again later and nothing is lost.
 */
import { Client, Connection } from '@temporalio/client';
import { request } from 'undici';
import { signWebhook } from '../../app4sales/signature';
import { buildReceiver } from '../../client/receiver';
import { testLogger } from '../helpers/stack';

test('Temporal unreachable: 503 with Retry-After', async () => {
  // Nothing listens on port 1: every call fails fast.
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
  const app = buildReceiver({
    client: new Client({ connection }),
    taskQueue: 'q',
    logger: testLogger.child({}, { level: 'silent' }),
    app4salesWebhookSecret: 'a-secret-of-at-least-16',
    bodyLimitBytes: 4096,
    signatureToleranceSeconds: 300,
    startDeadlineMs: 3000,
  });
  try {
    const body = JSON.stringify({ EventId: 'e1', EventType: 'CustomerChanged', CustomerId: 'C1', ChangedFields: ['CustomerName'], OccurredAt: new Date().toISOString() });
    const ts = String(Math.floor(Date.now() / 1000));
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const res = await request(`${url}/webhooks/app4sales`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-app4sales-timestamp': ts, 'x-app4sales-signature': signWebhook('a-secret-of-at-least-16', ts, body) },
      body,
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(await res.body.json()).toMatchObject({ error: 'unavailable' });
  } finally {
    await app.close();
    await connection.close().catch(() => undefined);
  }
});
