/**
 * End to end: a customer changed in App4Sales -> signed webhook -> receiver -> Temporal ->
 * worker -> Specter holds the customer -> App4Sales holds its code. Plus what the receiver refuses.
 */
import { request } from 'undici';
import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import { signWebhook } from '../../connectors/app4sales/signature';
import { buildReceiver } from '../../client/receiver';
import { loadConfig } from '../../common/config';
import { describeSync, listSyncs } from '../../client/operations';
import { customerUpsertWorkflowId } from '../../workflows/definitions';
import { app4salesCustomer } from '../fixtures/customers';
import { eventually, startStack, testLogger, WEBHOOK_SECRET, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

let stack: Stack;
let receiver: FastifyInstance;
let receiverUrl: string;
let worker: { worker: Worker; close(): Promise<void> };
let workerRun: Promise<void>;

beforeAll(async () => {
  stack = await startStack();
  receiver = buildReceiver({
    client: stack.env.client,
    taskQueue: stack.taskQueue,
    logger: testLogger,
    app4salesWebhookSecret: WEBHOOK_SECRET,
    servicetradeWebhook: { token: 'servicetrade-hook-token-0123456789', autoSyncNewJobs: false },
    ...loadConfig(['receiver'], {}).receiver,
    bodyLimitBytes: 4096,
  });
  receiverUrl = `${await receiver.listen({ host: '127.0.0.1', port: 0 })}/webhooks/app4sales`;
  await admin('PUT', '/__admin/webhook', { url: receiverUrl, secret: WEBHOOK_SECRET });
  worker = await stack.createWorker();
  workerRun = worker.worker.run();
});

afterAll(async () => {
  worker?.worker.shutdown();
  await workerRun;
  await worker?.close();
  await receiver?.close();
  await stack?.close();
});

async function admin(method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown) {
  const res = await request(`${stack.app4sales.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

async function post(body: string | Buffer, headers: Record<string, string>) {
  const res = await request(receiverUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.statusCode, body: JSON.parse(await res.body.text()) };
}

function signed(body: string | Buffer, secret = WEBHOOK_SECRET, timestamp = String(Math.floor(Date.now() / 1000))) {
  return { 'x-app4sales-timestamp': timestamp, 'x-app4sales-signature': signWebhook(secret, timestamp, body) };
}

const event = (customerId: string, eventId = `evt-${Date.now()}`) =>
  JSON.stringify({ EventId: eventId, EventType: 'CustomerChanged', CustomerId: customerId, ChangedFields: ['CustomerName'], OccurredAt: new Date().toISOString() });

test('a customer created and then changed in App4Sales reaches Specter, and its code is written back', async () => {
  const customer = app4salesCustomer({ Id: 'E2E-1', UsesPriceField: 'PL-NOK', Username: 'anna.berg' });
  expect((await admin('POST', '/__admin/customers', customer)).status).toBe(201);

  const specterCustomer = await eventually(() => [...stack.specter.state.customers.values()].find((c) => c.Name === customer.CustomerName), 20_000, 'Specter to hold the customer');
  expect(specterCustomer).toMatchObject({ Currency: 'NOK', SalesRepresentativeId: 'SR-0001', TypeCustomer: 'C' });
  await eventually(() => stack.app4sales.state.customers.get('E2E-1')?.CustomerCode === specterCustomer.CustomerId, 20_000, 'the code in App4Sales');

  // The write-back itself makes App4Sales send a CustomerCode-only webhook: acknowledged, not synced again.
  const deliveries = await eventually(async () => {
    const log = (await admin('GET', '/__admin/webhooks')).body as Array<{ CustomerId: string; ChangedFields: string[]; status: string; responseStatus?: number }>;
    const echo = log.find((d) => d.CustomerId === 'E2E-1' && d.ChangedFields.join() === 'CustomerCode' && d.status === 'delivered');
    return echo ? log : undefined;
  }, 10_000, 'the CustomerCode webhook');
  expect(deliveries.filter((d) => d.CustomerId === 'E2E-1').every((d) => d.responseStatus === 202)).toBe(true);

  const report = await eventually(async () => {
    const r = await describeSync(stack.env.client, customerUpsertWorkflowId('E2E-1'));
    return r.syncStatus === 'completed' ? r : undefined;
  }, 20_000, 'the sync to complete');
  expect(report).toMatchObject({ sourceSystem: 'app4sales', sourceId: 'E2E-1', targetSystem: 'specter', targetCode: specterCustomer.CustomerId, step: 'done' });

  // A later change in App4Sales updates the same Specter customer.
  expect((await admin('PATCH', '/__admin/customers/E2E-1', { CustomerName: 'Nordic Fire & Safety Group AB' })).status).toBe(200);
  await eventually(() => stack.specter.state.customers.get(specterCustomer.CustomerId)?.Name === 'Nordic Fire & Safety Group AB', 20_000, 'the update in Specter');
  expect([...stack.specter.state.customers.values()].filter((c) => c.EmailAddress === specterCustomer.EmailAddress)).toHaveLength(1);

  // The change ran as a new sync of the same customer; once it completes, the list shows it with the code.
  const listed = await eventually(async () => {
    const rows = (await listSyncs(stack.env.client, { system: 'app4sales', status: 'completed' })).filter((s) => s.sourceId === 'E2E-1');
    return rows.length >= 2 ? rows : undefined;
  }, 15_000, 'both syncs of E2E-1 in fieldbridge list');
  expect(listed.every((s) => s.targetCode === specterCustomer.CustomerId)).toBe(true);
});

test('one event delivered ten times by App4Sales leaves one Specter customer', async () => {
  await admin('POST', '/__admin/customers?notify=false', app4salesCustomer({ Id: 'E2E-2', CustomerName: 'Duplicate Deliveries AB', Email: 'dup@x.example', MainContactPerson: null }));
  for (let i = 0; i < 10; i++) {
    expect((await admin('POST', '/__admin/customers/E2E-2/resend-webhook', { EventId: 'same-event' })).status).toBe(202);
  }
  await eventually(() => stack.app4sales.state.customers.get('E2E-2')?.CustomerCode, 20_000, 'the code in App4Sales');
  await eventually(async () => (await describeSync(stack.env.client, customerUpsertWorkflowId('E2E-2'))).syncStatus === 'completed', 20_000, 'completion');
  expect([...stack.specter.state.customers.values()].filter((c) => c.Name === 'Duplicate Deliveries AB')).toHaveLength(1);
});

test('GET /readyz: 200 when Temporal answers and every FieldBridge search attribute is registered', async () => {
  const res = await request(receiverUrl.replace('/webhooks/app4sales', '/readyz'));
  expect(res.statusCode).toBe(200);
  expect(await res.body.json()).toEqual({ status: 'ready', checks: [{ name: 'temporal', ok: true }, { name: 'searchAttributes', ok: true }] });
});

test('a body with non-ASCII characters, signed over its UTF-8 bytes, is accepted and reaches the sync intact', async () => {
  await admin('POST', '/__admin/customers?notify=false', app4salesCustomer({ Id: 'E2E-3', CustomerName: 'Malmö Brandskydd AB', Email: 'info@malmo-brand.example', MainContactPerson: null }));
  const eventId = `evt-Malmö-Göteborg-${Date.now()}`;
  const bytes = Buffer.from(event('E2E-3', eventId), 'utf8');
  const res = await post(bytes, signed(bytes));
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ accepted: true, workflowId: customerUpsertWorkflowId('E2E-3') });
  // The event id the workflow received is the one sent, character for character.
  const history = await stack.env.client.workflow.getHandle(customerUpsertWorkflowId('E2E-3')).fetchHistory();
  const signalled = (history.events ?? []).flatMap((e) => e.workflowExecutionSignaledEventAttributes?.input?.payloads ?? []);
  expect(signalled.map((p) => JSON.parse(Buffer.from(p.data ?? []).toString('utf8')).eventId)).toContain(eventId);
  const specterCustomer = await eventually(() => [...stack.specter.state.customers.values()].find((c) => c.Name === 'Malmö Brandskydd AB'), 20_000, 'Specter to hold Malmö Brandskydd AB');
  expect(specterCustomer.EmailAddress).toBe('info@malmo-brand.example');
});

describe('the receiver refuses, with a reason, and starts nothing', () => {
  const customerId = 'NEVER-STARTED';
  afterEach(async () => {
    await expect(stack.env.client.workflow.getHandle(customerUpsertWorkflowId(customerId)).describe()).rejects.toThrow(/not found/i);
  });

  test('no signature: 401', async () => {
    const res = await post(event(customerId), {});
    expect(res.status).toBe(401);
    expect(res.body.reason).toMatch(/X-App4Sales-Timestamp/);
  });

  test('a signature made with another secret: 401', async () => {
    const body = event(customerId);
    const res = await post(body, signed(body, 'not-the-shared-secret'));
    expect(res.status).toBe(401);
    expect(res.body.reason).toMatch(/signature/);
  });

  test('a body altered after signing: 401', async () => {
    const body = event(customerId);
    const res = await post(body.replace(customerId, 'OTHER'), signed(body));
    expect(res.status).toBe(401);
  });

  test('bytes that differ from the signed ones, though they decode to the same text: 401', async () => {
    // "Malmö" sent in Latin-1 (0xF6) decodes to "Malm\uFFFD"; the signature is over that text's UTF-8 bytes, not over what was sent.
    const sent = Buffer.from(event(customerId).replace('CustomerChanged"', 'CustomerChanged", "City": "Malm\u00f6"'), 'latin1');
    const signedBytes = Buffer.from(sent.toString('utf8'), 'utf8');
    expect(signedBytes.equals(sent)).toBe(false);
    const res = await post(sent, signed(signedBytes));
    expect(res.status).toBe(401);
    expect(res.body.reason).toMatch(/signature/);
  });

  test('a body that is not UTF-8, correctly signed over its bytes: 400 naming the encoding', async () => {
    const sent = Buffer.from(event(customerId).replace('CustomerChanged"', 'CustomerChanged", "City": "Malm\u00f6"'), 'latin1');
    const res = await post(sent, signed(sent));
    expect(res.status).toBe(400);
    expect(res.body.reason).toMatch(/UTF-8/);
  });

  test('a stale timestamp (replayed request): 401', async () => {
    const body = event(customerId);
    const res = await post(body, signed(body, WEBHOOK_SECRET, String(Math.floor(Date.now() / 1000) - 3600)));
    expect(res.status).toBe(401);
  });

  test('not JSON: 400', async () => {
    const body = '{"EventId": ';
    const res = await post(body, signed(body));
    expect(res.status).toBe(400);
    expect(res.body.reason).toMatch(/not JSON/);
  });

  test('a JSON body missing fields: 400 naming the event and each field', async () => {
    const body = JSON.stringify({ EventId: 'evt-bad', EventType: 'CustomerDeleted', OccurredAt: 'yesterday' });
    const res = await post(body, signed(body));
    expect(res.status).toBe(400);
    expect(res.body.reason).toContain('evt-bad');
    expect(res.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['CustomerId', 'EventType', 'OccurredAt']);
  });

  test('an oversized body: 413', async () => {
    const body = JSON.stringify({ EventId: 'x'.repeat(5000) });
    const res = await post(body, signed(body));
    expect(res.status).toBe(413);
  });
});
