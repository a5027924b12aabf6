/**
 * The Prometheus endpoints, scraped as Prometheus would after real syncs on the dev server:
 *
 * - the production worker process (worker/main.ts) with WORKER_METRICS_PORT serves, on one port,
 *   FieldBridge's metrics (syncs started/completed/failed by flow and failure type, waiting syncs,
 *   external calls by system/operation/outcome with their latency histogram) and the Temporal SDK's
 *   own (temporal_*, from the runtime's exporter);
 * - the webhook receiver's /metrics counts webhooks by source and outcome: accepted, duplicate,
 *   unsigned, bad-signature.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildReceiver } from '../../client/receiver';
import { startJobToWorkOrder } from '../../common/starters';
import { loadConfig } from '../../common/config';
import { SyncStatusKey } from '../../common/search-attributes';
import { signWebhook } from '../../connectors/app4sales/signature';
import { DEMO_JOB_IDS } from '../../connectors/servicetrade/demo-data';
import { customerUpsertWorkflowId, jobToWorkOrderWorkflowId } from '../../workflows/definitions';
import { freePort } from '../../common/ports';
import { app4salesCustomer } from '../fixtures/customers';
import { hasMetric, sampleValue } from '../helpers/prometheus';
import { eventually, startStack, testLogger, WEBHOOK_SECRET, workerProcessEnv, type Stack } from '../helpers/stack';

jest.setTimeout(180_000);

const root = join(__dirname, '..', '..');
let stack: Stack;
let worker: ChildProcess | undefined;
let workerOutput = '';
let metricsUrl: string;
let receiver: FastifyInstance;
let receiverUrl: string;

function startWorkerProcess(port: number): Promise<void> {
  // node itself with tsx's hook, as npm start runs it.
  worker = spawn(process.execPath, ['--require', 'tsx/cjs', 'worker/main.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: workerProcessEnv(stack, { WORKER_METRICS_HOST: '127.0.0.1', WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'info' }),
  });
  const child = worker;
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      workerOutput += chunk.toString();
      if (workerOutput.includes('"msg":"worker started"')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before starting:\n${workerOutput}`)));
  });
}

async function scrape(url: string): Promise<string> {
  const res = await request(url);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return res.body.text();
}

beforeAll(async () => {
  stack = await startStack();
  stack.app4sales.state.putSalesRep({ Username: 'jdoe', ResIdString: 'SR-JDOE' });
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await startWorkerProcess(port);
  receiver = buildReceiver({
    ...loadConfig(['receiver'], {}).receiver,
    client: stack.env.client,
    taskQueue: stack.taskQueue,
    logger: testLogger,
    app4salesWebhookSecret: WEBHOOK_SECRET,
    servicetradeWebhook: { token: 'servicetrade-hook-token-0123456789', autoSyncNewJobs: false },
  });
  receiverUrl = await receiver.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker!.once('exit', resolve));
  }
  await receiver?.close();
  await stack?.close();
});

function customerEvent(customerId: string, eventId: string): string {
  return JSON.stringify({ EventId: eventId, EventType: 'CustomerChanged', CustomerId: customerId, ChangedFields: ['CustomerName'], OccurredAt: new Date().toISOString() });
}

async function deliver(body: string, sign: 'right' | 'wrong' | 'none' = 'right'): Promise<number> {
  const ts = String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sign !== 'none') {
    headers['x-app4sales-timestamp'] = ts;
    headers['x-app4sales-signature'] = signWebhook(sign === 'right' ? WEBHOOK_SECRET : 'not-the-secret-0123456789', ts, body);
  }
  const res = await request(`${receiverUrl}/webhooks/app4sales`, { method: 'POST', headers, body });
  await res.body.dump();
  return res.statusCode;
}

test('a customer synced through the receiver and the worker process: the worker endpoint shows the sync, its calls and the SDK metrics; the receiver counts each webhook by outcome', async () => {
  const id = 'MET-1';
  stack.app4sales.state.putCustomer(app4salesCustomer({ Id: id }));
  const body = customerEvent(id, 'evt-met-1');

  expect(await deliver(body)).toBe(202);
  expect(await deliver(body)).toBe(202); // the same event delivered again
  expect(await deliver(customerEvent(id, 'evt-met-forged'), 'wrong')).toBe(401);
  expect(await deliver(customerEvent(id, 'evt-met-unsigned'), 'none')).toBe(401);
  await stack.env.client.workflow.getHandle(customerUpsertWorkflowId(id)).result();
  expect(stack.specter.state.customers.size).toBe(1);

  // The worker: FieldBridge's metrics and the SDK's, one scrape.
  const text = await eventually(async () => {
    const t = await scrape(metricsUrl);
    return sampleValue(t, 'fieldbridge_syncs_completed_total', { flow: 'customerUpsert' }) >= 1 ? t : null;
  }, 30_000, 'fieldbridge_syncs_completed_total{flow="customerUpsert"} to count the sync');
  expect(sampleValue(text, 'fieldbridge_syncs_started_total', { flow: 'customerUpsert' })).toBeGreaterThanOrEqual(1);
  expect(sampleValue(text, 'fieldbridge_external_calls_total', { system: 'app4sales', operation: 'GET api/v1/customers/{id}', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  expect(sampleValue(text, 'fieldbridge_external_calls_total', { system: 'app4sales', operation: 'PUT api/v1/customers/{id}/customercode', outcome: 'ok' })).toBe(1);
  expect(sampleValue(text, 'fieldbridge_external_calls_total', { system: 'specter', operation: 'POST api/v1/{sbmId}/customers', outcome: 'ok' })).toBe(1);
  expect(sampleValue(text, 'fieldbridge_external_call_duration_seconds_bucket', { system: 'specter', operation: 'POST api/v1/{sbmId}/customers', outcome: 'ok', le: '+Inf' })).toBe(1);
  expect(sampleValue(text, 'fieldbridge_external_call_duration_seconds_count', { system: 'app4sales', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
  expect(sampleValue(text, 'fieldbridge_activity_queue_wait_seconds_count', { queue: 'main' })).toBeGreaterThanOrEqual(3);
  expect(sampleValue(text, 'fieldbridge_sdk_metrics_up', {})).toBe(1);
  expect(hasMetric(text, 'temporal_workflow_completed')).toBe(true);
  expect(hasMetric(text, 'temporal_activity_execution_latency')).toBe(true);
  expect(hasMetric(text, 'process_cpu_seconds_total')).toBe(true);
  // Ids stay out of the labels.
  expect(text).not.toContain(id);

  // The receiver.
  const hooks = await scrape(`${receiverUrl}/metrics`);
  const webhooks = (outcome: string) => sampleValue(hooks, 'fieldbridge_webhooks_total', { source: 'app4sales', outcome });
  expect(webhooks('accepted')).toBe(1);
  expect(webhooks('duplicate')).toBe(1);
  expect(webhooks('bad-signature')).toBe(1);
  expect(webhooks('unsigned')).toBe(1);
});

test('a sync that fails is counted by its failure type, and a sync that waits on a mapping shows in fieldbridge_syncs_waiting', async () => {
  const bad = 'MET-BAD-1';
  stack.app4sales.state.putCustomer(app4salesCustomer({ Id: bad, CustomerName: '', ContactPersons: [{ Id: 'c', FirstName: 'Only' }] }));
  expect(await deliver(customerEvent(bad, 'evt-met-bad'))).toBe(202);
  await expect(stack.env.client.workflow.getHandle(customerUpsertWorkflowId(bad)).result()).rejects.toThrow();

  await startJobToWorkOrder(stack.env.client, stack.taskQueue, DEMO_JOB_IDS.unmappedLocation, { eventId: 'start:met-waiting' });
  await eventually(
    async () => (await stack.env.client.workflow.getHandle(jobToWorkOrderWorkflowId(DEMO_JOB_IDS.unmappedLocation)).describe()).typedSearchAttributes.get(SyncStatusKey) === 'waiting',
    60_000,
    'the job sync to wait on its location',
  );

  const text = await eventually(async () => {
    const t = await scrape(metricsUrl);
    const failed = sampleValue(t, 'fieldbridge_syncs_failed_total', { flow: 'customerUpsert', failure_type: 'MissingRequiredFields' });
    const waiting = sampleValue(t, 'fieldbridge_syncs_waiting', { flow: 'jobToWorkOrder' });
    return failed === 1 && waiting === 1 ? t : null;
  }, 60_000, 'the failed sync and the waiting one in the scrape');
  expect(sampleValue(text, 'fieldbridge_syncs_started_total', { flow: 'jobToWorkOrder' })).toBe(1);
  expect(sampleValue(text, 'fieldbridge_syncs_completed_total', { flow: 'jobToWorkOrder' })).toBe(0);
  expect(sampleValue(text, 'fieldbridge_external_calls_total', { system: 'servicetrade', operation: 'GET job/{id}', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
});
