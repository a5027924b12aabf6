/**
 * POST /webhooks/servicetrade/:token, the receiver built as in production (buildReceiver) against a
 * real Temporal dev server with FieldBridge's search attributes. No worker: the job sync's workflow
 * is only started or signalled, and what reached Temporal is read back with describe and the
 * workflow's history. The cases:
 *
 *   wrong or missing token -> 401, nothing started, the token never logged;
 *   malformed body -> 400 naming the field;
 *   job created -> the job's sync started with its search attributes (auto-sync on), or nothing (off);
 *   the same event delivered again -> the same run, the same event id (the workflow ignores it);
 *   location / company updated -> `recheck` signalled to the syncs waiting on that record, only those;
 *   job updated -> `recheck` to the job's sync when it waits, nothing otherwise;
 *   other entities -> 202, nothing started;
 *   Temporal unavailable -> 503 with Retry-After; misconfigured (unknown namespace) -> 500.
 */
import { Writable } from 'node:stream';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildReceiver } from '../../client/receiver';
import { jobToWorkOrderSearchAttributes } from '../../common/starters';
import { loadConfig } from '../../common/config';
import { createLogger } from '../../common/logger';
import { ALL_SEARCH_ATTRIBUTES, SyncStatusKey, WaitingOnKey } from '../../common/search-attributes';
import { JOB_TO_WORK_ORDER_WORKFLOW, jobToWorkOrderWorkflowId } from '../../workflows/definitions';
import { devServerOptions } from '../helpers/temporal-cli';

jest.setTimeout(60_000);

const TOKEN = 'st-hook-token-0123456789abcdef';
const TASK_QUEUE = 'fieldbridge-servicetrade-webhook-test';

/** Every log line the receivers write, as text. */
class LogText extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

let env: TestWorkflowEnvironment;
let client: Client;
const logs = new LogText();
const apps: FastifyInstance[] = [];
const connections: Connection[] = [];
let autoUrl: string;
let manualUrl: string;

async function startReceiver(opts: { client: Client; autoSyncNewJobs: boolean; startDeadlineMs?: number }): Promise<string> {
  const app = buildReceiver({
    ...loadConfig(['receiver'], {}).receiver,
    client: opts.client,
    taskQueue: TASK_QUEUE,
    logger: createLogger({ name: 'servicetrade-webhook-test', level: 'info', format: 'json', destination: logs }),
    app4salesWebhookSecret: 'a-secret-of-at-least-16',
    servicetradeWebhook: { token: TOKEN, autoSyncNewJobs: opts.autoSyncNewJobs },
    startDeadlineMs: opts.startDeadlineMs ?? 2000,
  });
  apps.push(app);
  return app.listen({ host: '127.0.0.1', port: 0 });
}

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({ server: devServerOptions([...ALL_SEARCH_ATTRIBUTES]) });
  client = env.client;
  autoUrl = await startReceiver({ client, autoSyncNewJobs: true });
  manualUrl = await startReceiver({ client, autoSyncNewJobs: false });
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
  await env?.teardown();
});

let nextMessage = 1;
type Entry = { action: string; type: string; id: number | string; timestamp?: number };
function delivery(entries: Entry[], messageId = `msg-${nextMessage++}`) {
  return {
    messageId,
    timestamp: String(Math.floor(Date.now() / 1000)),
    data: entries.map((e) => ({
      action: e.action,
      timestamp: e.timestamp ?? 1_760_000_000,
      userId: 7,
      entity: { type: e.type, id: e.id, uri: `https://api.servicetrade.com/api/${e.type}/${e.id}` },
    })),
  };
}

async function post(baseUrl: string, body: unknown, path = `/webhooks/servicetrade/${TOKEN}`) {
  const res = await request(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** The signals in a workflow's history: name and decoded argument. */
async function signals(workflowId: string): Promise<Array<{ name: string; arg: unknown }>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a): a is NonNullable<typeof a> => !!a)
    .map((a) => ({ name: a.signalName ?? '', arg: a.input?.payloads?.[0] ? defaultPayloadConverter.fromPayload(a.input.payloads[0]) : undefined }));
}

/** A job sync parked as the workflow parks it (status waiting, FieldBridgeWaitingOn set), started without a worker. */
async function startWaitingJobSync(jobId: number, waitingOn: string[]): Promise<string> {
  const workflowId = jobToWorkOrderWorkflowId(jobId);
  await client.workflow.start(JOB_TO_WORK_ORDER_WORKFLOW, {
    workflowId,
    taskQueue: TASK_QUEUE,
    args: [{ jobId }],
    typedSearchAttributes: [
      ...jobToWorkOrderSearchAttributes(jobId).filter((p) => p.key.name !== SyncStatusKey.name),
      { key: SyncStatusKey, value: 'waiting' },
      { key: WaitingOnKey, value: waitingOn },
    ],
  });
  return workflowId;
}

/** Visibility lags a little behind a start: wait until the waiting sync can be found by what it waits on. */
async function visibleWaitingOn(waitKey: string, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  const query = `${WaitingOnKey.name} = "${waitKey}" AND ExecutionStatus = "Running"`;
  while ((await client.workflow.count(query)).count < count) {
    if (Date.now() > deadline) throw new Error(`visibility never showed ${count} sync(s) waiting on ${waitKey}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('authentication: the token in the hook URL', () => {
  test('a wrong token: 401, nothing started; a missing token: 401', async () => {
    const body = delivery([{ action: 'created', type: 'job', id: 101 }]);
    const wrong = await post(autoUrl, body, '/webhooks/servicetrade/not-the-token-0123456789abcdef');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'unauthenticated' });
    // Same length as the real token, one character off.
    const almost = await post(autoUrl, body, `/webhooks/servicetrade/${TOKEN.slice(0, -1)}X`);
    expect(almost.status).toBe(401);
    for (const path of ['/webhooks/servicetrade', '/webhooks/servicetrade/']) {
      const missing = await post(autoUrl, body, path);
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ error: 'unauthenticated', reason: 'missing token in the hook URL' });
    }
    expect(await exists(jobToWorkOrderWorkflowId(101))).toBe(false);
  });

  test('the token never reaches the log: request lines show the path with [redacted]', async () => {
    const res = await post(autoUrl, delivery([{ action: 'updated', type: 'asset', id: 5 }]));
    expect(res.status).toBe(202);
    const get = await request(`${autoUrl}/webhooks/servicetrade/${TOKEN}`);
    expect(get.statusCode).toBe(405);
    await get.body.dump();
    await post(autoUrl, delivery([]), '/webhooks/servicetrade/another-wrong-token-0123456789');
    expect(logs.text).toContain('/webhooks/servicetrade/[redacted]');
    expect(logs.text).not.toContain(TOKEN);
    expect(logs.text).not.toContain('another-wrong-token');
  });
});

describe('validation', () => {
  test('a body that is not JSON: 400', async () => {
    const res = await post(autoUrl, '{"messageId": ');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'malformed' });
    expect(res.body.reason).toMatch(/^body is not JSON/);
  });

  test('a missing entity id, an unknown action, a missing data list: 400 naming each field, nothing started', async () => {
    const body = delivery([{ action: 'created', type: 'job', id: 102 }, { action: 'archived', type: 'job', id: 103 }], 'msg-bad');
    delete (body.data[0].entity as { id?: unknown }).id;
    const res = await post(autoUrl, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid');
    expect(res.body.reason).toMatch(/^ServiceTrade webhook msg-bad is invalid: /);
    expect(res.body.fields.map((f: { field: string }) => f.field)).toEqual(['data.0.entity.id', 'data.1.action']);

    const noData = await post(autoUrl, { messageId: 'msg-no-data', timestamp: '1760000000' });
    expect(noData.status).toBe(400);
    expect(noData.body.fields).toEqual([expect.objectContaining({ field: 'data' })]);

    expect(await exists(jobToWorkOrderWorkflowId(102))).toBe(false);
    expect(await exists(jobToWorkOrderWorkflowId(103))).toBe(false);
  });
});

describe('job created', () => {
  test('auto-sync on: the job\'s sync is started (jobToWorkOrder, its id, its search attributes), answered 202', async () => {
    const res = await post(autoUrl, delivery([{ action: 'created', type: 'job', id: 201, timestamp: 1_760_000_201 }], 'msg-201'));
    expect(res.status).toBe(202);
    const workflowId = jobToWorkOrderWorkflowId(201);
    expect(workflowId).toBe('job-to-work-order:servicetrade:201');
    expect(res.body).toMatchObject({
      accepted: true,
      messageId: 'msg-201',
      events: [{ entity: 'job:201', action: 'created', outcome: 'sync-signalled', workflowId, eventId: 'servicetrade:job:201:created:1760000201' }],
    });

    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.type).toBe('jobToWorkOrder');
    expect(description.status.name).toBe('RUNNING');
    expect(description.taskQueue).toBe(TASK_QUEUE);
    expect(description.runId).toBe(res.body.events[0].runId);
    for (const { key, value } of jobToWorkOrderSearchAttributes(201)) expect(description.typedSearchAttributes.get(key)).toEqual(value);
    expect(await signals(workflowId)).toEqual([{ name: 'sourceChanged', arg: { eventId: 'servicetrade:job:201:created:1760000201', changedFields: [] } }]);
  });

  test('auto-sync off: 202 saying why, nothing started', async () => {
    const res = await post(manualUrl, delivery([{ action: 'created', type: 'job', id: 202 }]));
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(false);
    expect(res.body.events).toEqual([
      { entity: 'job:202', action: 'created', outcome: 'ignored', reason: expect.stringMatching(/SERVICETRADE_AUTO_SYNC_NEW_JOBS.*fieldbridge sync servicetrade-job 202/) },
    ]);
    expect(await exists(jobToWorkOrderWorkflowId(202))).toBe(false);
  });

  test('the same event delivered again (same message, or another message id and position): the same run, the same event id', async () => {
    const body = delivery([{ action: 'created', type: 'job', id: 203, timestamp: 1_760_000_203 }], 'msg-203');
    const first = await post(autoUrl, body);
    const again = await post(autoUrl, body);
    const retried = await post(autoUrl, delivery([{ action: 'updated', type: 'asset', id: 1 }, { action: 'created', type: 'job', id: 203, timestamp: 1_760_000_203 }], 'msg-203-retry'));
    expect([first.status, again.status, retried.status]).toEqual([202, 202, 202]);
    const runIds = [first.body.events[0].runId, again.body.events[0].runId, retried.body.events[1].runId];
    expect(new Set(runIds).size).toBe(1);

    const workflowId = jobToWorkOrderWorkflowId(203);
    const received = await signals(workflowId);
    expect(received).toHaveLength(3);
    // The workflow ignores an event id it has seen: three deliveries, one pass.
    expect(new Set(received.map((s) => JSON.stringify(s)))).toEqual(new Set([JSON.stringify({ name: 'sourceChanged', arg: { eventId: 'servicetrade:job:203:created:1760000203', changedFields: [] } })]));
  });
});

describe('a record a waiting sync needs changed', () => {
  test('location updated: `recheck` to the syncs waiting on that location, and to no other', async () => {
    const waiting = await startWaitingJobSync(301, ['servicetrade:location:3001', 'servicetrade:company:3002']);
    const alsoWaiting = await startWaitingJobSync(302, ['servicetrade:location:3001']);
    const other = await startWaitingJobSync(303, ['servicetrade:location:3999']);
    await visibleWaitingOn('servicetrade:location:3001', 2);

    const res = await post(autoUrl, delivery([{ action: 'updated', type: 'location', id: 3001 }], 'msg-loc'));
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(true);
    expect(res.body.events).toHaveLength(1);
    expect(res.body.events[0]).toMatchObject({ entity: 'location:3001', action: 'updated', outcome: 'recheck-signalled', waitKey: 'servicetrade:location:3001' });
    expect([...res.body.events[0].signalled].sort()).toEqual([waiting, alsoWaiting].sort());

    for (const id of [waiting, alsoWaiting]) {
      expect(await signals(id)).toEqual([{ name: 'recheck', arg: { reason: 'ServiceTrade location 3001 updated (webhook msg-loc)' } }]);
    }
    expect(await signals(other)).toEqual([]);
  });

  test('company created or updated: `recheck` to the syncs waiting on that company', async () => {
    const waiting = await startWaitingJobSync(311, ['servicetrade:company:3102']);
    await visibleWaitingOn('servicetrade:company:3102', 1);
    const res = await post(autoUrl, delivery([{ action: 'created', type: 'company', id: 3102 }, { action: 'updated', type: 'company', id: 3103 }]));
    expect(res.status).toBe(202);
    expect(res.body.events).toEqual([
      { entity: 'company:3102', action: 'created', outcome: 'recheck-signalled', waitKey: 'servicetrade:company:3102', signalled: [waiting] },
      { entity: 'company:3103', action: 'updated', outcome: 'recheck-signalled', waitKey: 'servicetrade:company:3103', signalled: [] },
    ]);
    expect((await signals(waiting)).map((s) => s.name)).toEqual(['recheck']);
  });

  test('job updated: `recheck` to the job\'s sync when it waits; one more pass (a change signal) when it runs; nothing when it does not exist', async () => {
    const waiting = await startWaitingJobSync(321, ['servicetrade:location:3201']);
    // A running (not waiting) sync of job 322, started by its created webhook.
    expect((await post(autoUrl, delivery([{ action: 'created', type: 'job', id: 322 }]))).status).toBe(202);

    const res = await post(manualUrl, delivery([
      { action: 'updated', type: 'job', id: 321 },
      { action: 'updated', type: 'job', id: 322 },
      { action: 'updated', type: 'job', id: 323 },
    ]));
    expect(res.status).toBe(202);
    expect(res.body.events).toEqual([
      { entity: 'job:321', action: 'updated', outcome: 'recheck-signalled', signalled: [waiting] },
      { entity: 'job:322', action: 'updated', outcome: 'sync-signalled', workflowId: jobToWorkOrderWorkflowId(322), runId: expect.any(String), eventId: expect.stringMatching(/:job:322:updated$/) },
      { entity: 'job:323', action: 'updated', outcome: 'ignored', reason: expect.stringMatching(/no sync of this job exists/) },
    ]);
    expect((await signals(waiting)).map((s) => s.name)).toEqual(['recheck']);
    // The created webhook's change, then the update coalesced into one more pass (issue 15).
    expect((await signals(jobToWorkOrderWorkflowId(322))).map((s) => s.name)).toEqual(['sourceChanged', 'sourceChanged']);
    expect(await exists(jobToWorkOrderWorkflowId(323))).toBe(false);
  });
});

test('other entities and actions: 202, logged, nothing started', async () => {
  const res = await post(autoUrl, delivery([
    { action: 'created', type: 'asset', id: 401 },
    { action: 'deleted', type: 'job', id: 402 },
    { action: 'deleted', type: 'location', id: 403 },
  ]));
  expect(res.status).toBe(202);
  expect(res.body.accepted).toBe(false);
  expect(res.body.reason).toBe('nothing to do for these events');
  expect(res.body.events.map((e: { outcome: string }) => e.outcome)).toEqual(['ignored', 'ignored', 'ignored']);
  expect(await exists(jobToWorkOrderWorkflowId(402))).toBe(false);
  expect(logs.text).toContain('ServiceTrade asset:401 created: nothing to do');
});

describe('Temporal trouble', () => {
  test('Temporal unreachable: 503 with Retry-After (ServiceTrade tries again)', async () => {
    // Nothing listens on port 1.
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    connections.push(connection);
    const url = await startReceiver({ client: new Client({ connection }), autoSyncNewJobs: true, startDeadlineMs: 1000 });
    const started = Date.now();
    const res = await post(url, delivery([{ action: 'created', type: 'job', id: 501 }]));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ error: 'unavailable' });
    // Well within ServiceTrade's 5 s.
    expect(Date.now() - started).toBeLessThan(4000);
  });

  test('a namespace that does not exist: 500, misconfigured, nothing started', async () => {
    const url = await startReceiver({ client: new Client({ connection: client.connection, namespace: 'no-such-namespace' }), autoSyncNewJobs: true });
    const res = await post(url, delivery([{ action: 'created', type: 'job', id: 502 }]));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      error: 'misconfigured',
      problem: 'namespace-not-found',
      reason: 'the webhook could not be processed: the Temporal namespace this receiver is configured for does not exist',
    });
    expect(await exists(jobToWorkOrderWorkflowId(502))).toBe(false);
  });
});
