/**
 * The receiver tells the sender the truth about Temporal, on a real dev server started WITHOUT
 * FieldBridge's search attributes (as a fresh cluster is before `fieldbridge setup`):
 *
 *   misconfigured (unregistered search attribute, unknown namespace) -> 500, named in general terms
 *   in the body and precisely in an error log line; /readyz 503 naming the failing check;
 *   the receiver process starts with only its own settings (no App4Sales API key, no Specter);
 *   attributes registered -> /readyz 200 and the webhook is accepted;
 *   Temporal stopped -> 503 with Retry-After, /readyz 503 naming Temporal.
 *
 * The tests run in order on one dev server (the last one stops it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { signWebhook } from '../../connectors/app4sales/signature';
import { INDEXED_VALUE_TYPES } from '../../client/readiness';
import { buildReceiver } from '../../client/receiver';
import { loadConfig } from '../../common/config';
import { createLogger } from '../../common/logger';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { customerUpsertWorkflowId } from '../../workflows/definitions';
import { freePort } from '../../common/ports';
import { eventually, WEBHOOK_SECRET } from '../helpers/stack';
import { devServerOptions } from '../helpers/temporal-cli';

jest.setTimeout(60_000);

/** Every JSON log line the receivers write. */
class LogLines extends Writable {
  readonly lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(JSON.parse(line));
    done();
  }
  errors() {
    return this.lines.filter((l) => l.level >= 50);
  }
}

let env: TestWorkflowEnvironment | undefined;
/** The receivers' own connection, as in production (the environment's closes with it). */
let connection: Connection;
const logs = new LogLines();
const receivers: FastifyInstance[] = [];

async function startReceiver(client: Client): Promise<string> {
  const app = buildReceiver({
    ...loadConfig(['receiver'], {}).receiver,
    client,
    taskQueue: 'fieldbridge-receiver-test',
    logger: createLogger({ name: 'receiver-test', level: 'info', format: 'json', destination: logs }),
    app4salesWebhookSecret: WEBHOOK_SECRET,
    servicetradeWebhook: { token: 'servicetrade-hook-token-0123456789', autoSyncNewJobs: false },
    startDeadlineMs: 2000,
  });
  receivers.push(app);
  return app.listen({ host: '127.0.0.1', port: 0 });
}

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({ server: devServerOptions([]) });
  connection = await Connection.connect({ address: env.address });
});

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await connection?.close();
  await env?.teardown();
});

function event(customerId: string, eventId = `evt-${customerId}-${Date.now()}`): string {
  return JSON.stringify({ EventId: eventId, EventType: 'CustomerChanged', CustomerId: customerId, ChangedFields: ['CustomerName'], OccurredAt: new Date().toISOString() });
}

async function deliver(baseUrl: string, body: string) {
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await request(`${baseUrl}/webhooks/app4sales`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-app4sales-timestamp': ts, 'x-app4sales-signature': signWebhook(WEBHOOK_SECRET, ts, body) },
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, body: JSON.parse(text) };
}

async function ready(baseUrl: string) {
  const res = await request(`${baseUrl}/readyz`);
  return { status: res.statusCode, body: (await res.body.json()) as { status: string; failing?: string[]; checks: Array<{ name: string; ok: boolean; reason?: string; missing?: string[] }> } };
}

async function workflowExists(client: Client, customerId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(customerUpsertWorkflowId(customerId)).describe();
    return true;
  } catch {
    return false;
  }
}

const ALL_NAMES = ALL_SEARCH_ATTRIBUTES.map((k) => k.name);
let url: string;

describe('a namespace without FieldBridge\'s search attributes', () => {
  beforeAll(async () => {
    url = await startReceiver(new Client({ connection }));
  });

  test('a webhook: 500 naming the problem in general terms, an error log line naming the attribute and namespace, nothing started', async () => {
    const before = logs.errors().length;
    const res = await deliver(url, event('NO-SA-1'));
    expect(res.status).toBe(500);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.body).toEqual({
      error: 'misconfigured',
      problem: 'search-attribute-not-registered',
      reason: 'the sync could not be started: a search attribute FieldBridge needs is not registered on its Temporal namespace',
    });
    const errors = logs.errors().slice(before);
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toMatch(/search attribute FieldBridge\w+ is not registered on Temporal namespace "default": run `fieldbridge setup`/);
    expect(ALL_NAMES).toContain(errors[0].searchAttribute);
    expect(errors[0]).toMatchObject({ namespace: 'default', grpcStatus: 'INVALID_ARGUMENT', customerId: 'NO-SA-1' });
    expect(await workflowExists(env!.client, 'NO-SA-1')).toBe(false);
  });

  test('/readyz: 503 naming the search attribute check and every missing attribute; /healthz stays 200', async () => {
    const res = await ready(url);
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('not ready');
    expect(res.body.failing).toEqual(['searchAttributes']);
    expect(res.body.checks[0]).toEqual({ name: 'temporal', ok: true });
    expect(res.body.checks[1]).toMatchObject({ name: 'searchAttributes', ok: false, missing: ALL_NAMES });
    expect(logs.lines.some((l) => l.level === 40 && l.msg.includes('namespace "default"') && l.msg.includes('FieldBridgeSyncStatus'))).toBe(true);
    expect((await request(`${url}/healthz`)).statusCode).toBe(200);
  });
});

describe('a client pointed at a namespace that does not exist', () => {
  let unknownUrl: string;
  beforeAll(async () => {
    unknownUrl = await startReceiver(new Client({ connection, namespace: 'no-such-namespace' }));
  });

  test('a webhook: 500, the body says the namespace does not exist without naming it, the log line names it', async () => {
    const before = logs.errors().length;
    const res = await deliver(unknownUrl, event('NO-NS-1'));
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: 'misconfigured', problem: 'namespace-not-found' });
    expect(res.text).not.toContain('no-such-namespace');
    const errors = logs.errors().slice(before);
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toContain('Temporal namespace "no-such-namespace" does not exist: set TEMPORAL_NAMESPACE');
  });

  test('/readyz: 503 naming the temporal check', async () => {
    const res = await ready(unknownUrl);
    expect(res.status).toBe(503);
    expect(res.body.failing).toEqual(['temporal']);
    expect(res.body.checks[0]).toEqual({ name: 'temporal', ok: false, reason: 'the Temporal namespace this receiver is configured for does not exist' });
  });
});

describe('the receiver process (npm run receiver)', () => {
  let proc: ChildProcess | undefined;
  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
  });

  test('starts with only Temporal, the receiver settings and the webhook secrets: no App4Sales API key, no Specter; its timeouts come from the environment', async () => {
    const port = await freePort();
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(APP4SALES|SPECTER|SERVICECHANNEL|SERVICEPOWER|TEMPORAL|RECEIVER|FIELDBRIDGE_CONFIG|LOG_)/.test(k)));
    let output = '';
    proc = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, '..', '..', 'client', 'receiver-main.ts')], {
      env: {
        ...base,
        TEMPORAL_ADDRESS: env!.address,
        APP4SALES_WEBHOOK_SECRET: WEBHOOK_SECRET,
        SERVICETRADE_WEBHOOK_TOKEN: 'servicetrade-hook-token-0123456789',
        SERVICECHANNEL_WEBHOOK_KEY: 'servicechannel-webhook-key-0123',
        SERVICEPOWER_NOTIFICATION_SECRET: 'servicepower-notification-secret',
        RECEIVER_PORT: String(port),
        RECEIVER_REQUEST_TIMEOUT_MS: '700',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    const procUrl = `http://127.0.0.1:${port}`;
    await eventually(
      async () => {
        if (proc!.exitCode !== null) throw new Error(`the receiver exited ${proc!.exitCode}: ${output}`);
        return (await request(`${procUrl}/healthz`).then((r) => r.statusCode).catch(() => 0)) === 200;
      },
      30_000,
      'the receiver process to listen',
    );
    expect(output).not.toContain('Invalid FieldBridge configuration');

    const readiness = await ready(procUrl);
    expect(readiness.status).toBe(503);
    expect(readiness.body.failing).toEqual(['searchAttributes']);

    // RECEIVER_REQUEST_TIMEOUT_MS reaches the server: headers sent, body never finished -> 408 and closed.
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      let received = '';
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('POST /webhooks/app4sales HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{'),
      );
      socket.on('data', (d) => (received += d));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(received));
      setTimeout(() => socket.destroy(), 8000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describe('once the operator registers the search attributes', () => {
  test('/readyz: 200 with both checks, and a webhook starts the sync (202)', async () => {
    await env!.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]])),
    });
    const res = await eventually(async () => {
      const r = await ready(url);
      return r.status === 200 ? r : undefined;
    }, 20_000, '/readyz to turn 200');
    expect(res.body).toEqual({ status: 'ready', checks: [{ name: 'temporal', ok: true }, { name: 'searchAttributes', ok: true }] });

    const accepted = await eventually(async () => {
      const r = await deliver(url, event('SA-OK-1'));
      return r.status === 202 ? r : undefined;
    }, 20_000, 'the webhook to be accepted');
    expect(accepted.body).toMatchObject({ accepted: true, workflowId: customerUpsertWorkflowId('SA-OK-1') });
    expect(await workflowExists(env!.client, 'SA-OK-1')).toBe(true);
  });
});

describe('Temporal stopped', () => {
  test('a webhook: 503 with Retry-After; /readyz: 503 naming Temporal', async () => {
    await env!.teardown();
    env = undefined;
    const res = await deliver(url, event('STOPPED-1'));
    if (res.status !== 503) console.error(logs.lines.slice(-3));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ error: 'unavailable' });

    const readiness = await ready(url);
    expect(readiness.status).toBe(503);
    expect(readiness.body.failing).toEqual(['temporal']);
  });
});
