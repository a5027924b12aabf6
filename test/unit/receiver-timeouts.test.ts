/**
 * The receiver's HTTP timeouts: a client that sends its headers and then stalls is cut off after
 * the configured time instead of holding a connection (and its memory) forever; idle keep-alive
 * connections are closed after their timeout. No Temporal call is made here (the request never
 * completes), so the client points nowhere.
 */
import { connect, type Socket } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildReceiver } from '../../client/receiver';
import { loadConfig } from '../../common/config';
import { testLogger } from '../helpers/stack';

const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
afterAll(() => connection.close().catch(() => undefined));

async function withReceiver<T>(env: Record<string, string>, fn: (port: number) => Promise<T>): Promise<T> {
  const app: FastifyInstance = buildReceiver({
    ...loadConfig(['receiver'], env).receiver,
    client: new Client({ connection }),
    taskQueue: 'q',
    logger: testLogger.child({}, { level: 'silent' }),
    app4salesWebhookSecret: 'a-secret-of-at-least-16',
    servicetradeWebhook: { token: 'servicetrade-hook-token-0123456789', autoSyncNewJobs: false },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await fn((app.server.address() as { port: number }).port);
  } finally {
    await app.close();
  }
}

/** Open a socket, write `data`, then say nothing more. Resolves with what the server sent and when it closed (or gave up waiting). */
function sendAndStall(port: number, data: string, waitMs: number): Promise<{ closedAfterMs: number | null; received: string }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    const start = Date.now();
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve({ closedAfterMs: null, received });
    }, waitMs);
    socket.on('connect', () => socket.write(data));
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ closedAfterMs: Date.now() - start, received });
    });
  });
}

const stalledWebhook =
  'POST /webhooks/app4sales HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n' +
  'X-App4Sales-Timestamp: 1\r\nX-App4Sales-Signature: sha256=00\r\n\r\n{"EventId":"evt-slow",';

test('headers sent, body stalled: 408 and the socket closed after RECEIVER_REQUEST_TIMEOUT_MS', async () => {
  await withReceiver({ RECEIVER_REQUEST_TIMEOUT_MS: '600' }, async (port) => {
    const { closedAfterMs, received } = await sendAndStall(port, stalledWebhook, 6000);
    expect(closedAfterMs).not.toBeNull();
    expect(closedAfterMs).toBeGreaterThanOrEqual(500);
    expect(closedAfterMs).toBeLessThan(3000);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });
});

test('a body trickled a byte at a time is cut off after RECEIVER_REQUEST_TIMEOUT_MS: the whole request must arrive in time', async () => {
  await withReceiver({ RECEIVER_REQUEST_TIMEOUT_MS: '600', RECEIVER_CONNECTION_TIMEOUT_MS: '30000' }, async (port) => {
    const result = await new Promise<{ closedAfterMs: number | null; received: string }>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const start = Date.now();
      let received = '';
      const drip = setInterval(() => socket.writable && socket.write(' '), 100);
      const giveUp = setTimeout(() => socket.destroy(), 6000);
      socket.on('connect', () => socket.write(stalledWebhook));
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(drip);
        clearTimeout(giveUp);
        const elapsed = Date.now() - start;
        resolve({ closedAfterMs: elapsed < 6000 ? elapsed : null, received });
      });
    });
    expect(result.closedAfterMs).not.toBeNull();
    expect(result.closedAfterMs).toBeLessThan(3000);
    expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
  });
});

test('a request that goes silent is cut off after RECEIVER_CONNECTION_TIMEOUT_MS, even within the request timeout', async () => {
  await withReceiver({ RECEIVER_REQUEST_TIMEOUT_MS: '60000', RECEIVER_CONNECTION_TIMEOUT_MS: '500' }, async (port) => {
    const { closedAfterMs } = await sendAndStall(port, stalledWebhook, 6000);
    expect(closedAfterMs).not.toBeNull();
    expect(closedAfterMs).toBeGreaterThanOrEqual(400);
    expect(closedAfterMs).toBeLessThan(3000);
  });
});

test('an idle keep-alive connection is closed after RECEIVER_KEEP_ALIVE_TIMEOUT_MS', async () => {
  await withReceiver({ RECEIVER_KEEP_ALIVE_TIMEOUT_MS: '500' }, async (port) => {
    const { closedAfterMs, received } = await sendAndStall(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n', 6000);
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received).toMatch(/keep-alive/i);
    expect(closedAfterMs).not.toBeNull();
    expect(closedAfterMs).toBeGreaterThanOrEqual(400);
    expect(closedAfterMs).toBeLessThan(3000);
  });
});
