/**
 * POST /webhooks/servicechannel and POST /webhooks/servicepower, the receiver built as in production
 * (buildReceiver) against a real Temporal dev server with FieldBridge's search attributes. No worker:
 * the work order's workflow is only started or signalled, and what reached Temporal is read back with
 * describe and the workflow's history. The cases:
 *
 *   a signed work order event -> the work order's workflow started (id, search attributes) with the event as its signal;
 *   unsigned, another Sign-Type, a wrong signature, an altered body -> 401, nothing started;
 *   malformed -> 400 naming the field; Proposal* / Invoice* -> 202 acknowledged; unknown -> 202 and a log line;
 *   a redelivery -> the same workflow, the same event id;
 *   a ServicePower notification -> mobileStatusChanged on the running workflow that holds the number;
 *   a wrongly signed notification -> 401; a number no sync holds yet -> 503 Retry-After 1 (visibility lag
 *   right after dispatch: the sender's retry finds it); a number whose sync has ended -> 202, nothing signalled;
 *   Temporal unavailable -> 503 with Retry-After; misconfigured -> 500.
 */
import { Writable } from 'node:stream';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildReceiver } from '../../client/receiver';
import { workOrderToMobileSearchAttributes } from '../../common/starters';
import { workflowByMobileNumberQuery } from '../../client/servicepower-notification';
import { loadConfig } from '../../common/config';
import { createLogger } from '../../common/logger';
import { ALL_SEARCH_ATTRIBUTES, SourceIdKey, SourceSystemKey, SyncKindKey, SyncStatusKey, TargetCodeKey, TargetSystemKey } from '../../common/search-attributes';
import { EVENT_ID_HEADER, serviceChannelEventId } from '../../connectors/servicechannel/schemas';
import { signServiceChannelWebhook } from '../../connectors/servicechannel/signature';
import { notificationHeaders } from '../../connectors/servicepower/notifications';
import { WORK_ORDER_TO_MOBILE_WORKFLOW, workOrderToMobileWorkflowId } from '../../workflows/definitions';
import { devServerOptions } from '../helpers/temporal-cli';

jest.setTimeout(60_000);

const KEY = 'servicechannel-webhook-key-0123456789';
const SECRET = 'servicepower-notification-secret-0123';
const TASK_QUEUE = 'fieldbridge-servicechannel-webhook-test';

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
let url: string;

async function startReceiver(opts: { client: Client; startDeadlineMs?: number }): Promise<string> {
  const app = buildReceiver({
    ...loadConfig(['receiver'], {}).receiver,
    client: opts.client,
    taskQueue: TASK_QUEUE,
    logger: createLogger({ name: 'servicechannel-webhook-test', level: 'info', format: 'json', destination: logs }),
    app4salesWebhookSecret: 'a-secret-of-at-least-16',
    servicetradeWebhook: { token: 'st-hook-token-0123456789abcdef', autoSyncNewJobs: false },
    servicechannelWebhook: { key: KEY },
    servicepowerNotification: { secret: SECRET },
    startDeadlineMs: opts.startDeadlineMs ?? 2000,
  });
  apps.push(app);
  return app.listen({ host: '127.0.0.1', port: 0 });
}

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({ server: devServerOptions([...ALL_SEARCH_ATTRIBUTES]) });
  client = env.client;
  url = await startReceiver({ client });
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
  await env?.teardown();
});

function workOrderEvent(eventType: string, id: number, extra: Record<string, unknown> = {}) {
  return {
    EventType: eventType,
    Object: {
      Id: id,
      Number: String(id - 89_000_000),
      SubscriberId: 2014917243,
      ProviderId: 2000081234,
      LocationId: 301012,
      Status: { Primary: 'OPEN', Extended: null },
      UpdatedDate: '2026-11-23T10:15:30.123Z',
      ...extra,
    },
  };
}

async function postSigned(baseUrl: string, body: unknown, headers: Record<string, string> = {}, key = KEY) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return post(baseUrl, '/webhooks/servicechannel', raw, { 'sign-type': 'HMACSHA256', 'sign-data': signServiceChannelWebhook(key, raw), ...headers });
}

async function post(baseUrl: string, path: string, raw: string, headers: Record<string, string>) {
  const res = await request(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
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

async function signals(workflowId: string): Promise<Array<{ name: string; arg: unknown }>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a): a is NonNullable<typeof a> => !!a)
    .map((a) => ({ name: a.signalName ?? '', arg: a.input?.payloads?.[0] ? defaultPayloadConverter.fromPayload(a.input.payloads[0]) : undefined }));
}

describe('POST /webhooks/servicechannel', () => {
  test('a signed WorkOrderCreated: the work order\'s workflow started with its id, search attributes and the event as signal', async () => {
    const body = workOrderEvent('WorkOrderCreated', 90000501);
    const started = Date.now();
    const res = await postSigned(url, body);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(202);
    const workflowId = workOrderToMobileWorkflowId(90000501);
    const eventId = serviceChannelEventId(body);
    expect(eventId).toBe('WorkOrderCreated:90000501:2026-11-23T10:15:30.123Z');
    expect(res.body).toMatchObject({ accepted: true, workflowId, eventId, eventType: 'WorkOrderCreated', runId: expect.any(String) });

    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.type).toBe(WORK_ORDER_TO_MOBILE_WORKFLOW);
    expect(description.taskQueue).toBe(TASK_QUEUE);
    expect(description.status.name).toBe('RUNNING');
    expect(description.typedSearchAttributes.get(SourceSystemKey)).toBe('servicechannel');
    expect(description.typedSearchAttributes.get(SourceIdKey)).toBe('90000501');
    expect(description.typedSearchAttributes.get(TargetSystemKey)).toBe('servicepower');
    expect(description.typedSearchAttributes.get(SyncKindKey)).toBe('work-order-to-mobile');
    expect(description.typedSearchAttributes.get(SyncStatusKey)).toBe('running');
    expect(await signals(workflowId)).toEqual([
      { name: 'serviceChannelEvent', arg: { eventId, eventType: 'WorkOrderCreated', occurredAt: '2026-11-23T10:15:30.123Z', source: 'webhook' } },
    ]);
  });

  test('a redelivery: the same workflow and run, the same event id (the workflow ignores it); a later change: another event id', async () => {
    const body = workOrderEvent('WorkOrderCreated', 90000502);
    const first = await postSigned(url, body, { [EVENT_ID_HEADER]: serviceChannelEventId(body) });
    const again = await postSigned(url, body, { [EVENT_ID_HEADER]: serviceChannelEventId(body) });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.runId).toBe(first.body.runId);
    expect(again.body.eventId).toBe(first.body.eventId);
    const nte = await postSigned(url, workOrderEvent('WorkOrderNteChanged', 90000502, { UpdatedDate: '2026-11-23T10:20:00.000Z' }));
    expect(nte.body.runId).toBe(first.body.runId);
    const received = await signals(workOrderToMobileWorkflowId(90000502));
    expect(received.map((s) => (s.arg as { eventId: string }).eventId)).toEqual([
      'WorkOrderCreated:90000502:2026-11-23T10:15:30.123Z',
      'WorkOrderCreated:90000502:2026-11-23T10:15:30.123Z',
      'WorkOrderNteChanged:90000502:2026-11-23T10:20:00.000Z',
    ]);
  });

  test('events without UpdatedDate (or Date) keep apart: a later status change, a cancellation included, gets its own id; a redelivery keeps its id', async () => {
    const id = 90000521;
    const bare = (status: { Primary: string; Extended: string | null }, extra: Record<string, unknown> = {}) => {
      const { UpdatedDate: _none, ...object } = workOrderEvent('WorkOrderStatusChanged', id, { Status: status, ...extra }).Object;
      return { EventType: 'WorkOrderStatusChanged', Object: object };
    };
    const inProgress = bare({ Primary: 'IN PROGRESS', Extended: 'DISPATCHED' });
    const cancelled = bare({ Primary: 'CANCELLED', Extended: null });
    const ids: string[] = [];
    for (const body of [inProgress, cancelled, cancelled]) {
      const res = await postSigned(url, body);
      expect(res.status).toBe(202);
      ids.push(res.body.eventId as string);
    }
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids[2]).toBe(ids[1]);
    expect(ids[1]).toMatch(/^WorkOrderStatusChanged:90000521::status-CANCELLED:h-[0-9a-f]{16}$/);
    // Two NTE changes without UpdatedDate differ by their Object; check-ins without Date too.
    const nte = (amount: number) => {
      const { UpdatedDate: _none, ...object } = workOrderEvent('WorkOrderNteChanged', id, { Nte: amount }).Object;
      return { EventType: 'WorkOrderNteChanged', Object: object };
    };
    const nte1 = await postSigned(url, nte(400));
    const nte2 = await postSigned(url, nte(650));
    expect(nte1.body.eventId).not.toBe(nte2.body.eventId);
    const checkIn = (techs: number) => ({ EventType: 'WorkOrderCheckIn', Object: { WorkOrderId: id, Action: 'CheckIn', TechsCount: techs } });
    const in1 = await postSigned(url, checkIn(1));
    const in2 = await postSigned(url, checkIn(2));
    expect(in1.body.eventId).not.toBe(in2.body.eventId);

    // What reached the workflow: every change with its own id, the cancellation among them.
    const received = (await signals(workOrderToMobileWorkflowId(id))).map((x) => x.arg as { eventId: string; eventType: string });
    expect(new Set(received.map((r) => r.eventId)).size).toBe(6);
    expect(received.filter((r) => r.eventId === ids[1])).toHaveLength(2);
  });

  test('two status changes stamped with the same UpdatedDate keep apart (the status is in the id)', async () => {
    const a = await postSigned(url, workOrderEvent('WorkOrderStatusChanged', 90000522, { Status: { Primary: 'IN PROGRESS', Extended: 'DISPATCHED' } }));
    const b = await postSigned(url, workOrderEvent('WorkOrderStatusChanged', 90000522, { Status: { Primary: 'CANCELLED', Extended: null } }));
    expect(a.body.eventId).toBe('WorkOrderStatusChanged:90000522:2026-11-23T10:15:30.123Z:status-IN_PROGRESS/DISPATCHED');
    expect(b.body.eventId).toBe('WorkOrderStatusChanged:90000522:2026-11-23T10:15:30.123Z:status-CANCELLED');
  });

  test('a check-in/out event names the work order WorkOrderId (no Id, webhook reference CheckInAndOut): accepted and signalled, never a 400', async () => {
    const checkIn = {
      EventType: 'WorkOrderCheckIn',
      Object: { SubscriberId: 2014917243, ProviderId: 2000081234, LocationId: 301012, CheckinAction: 1, WorkOrderId: 90000511, Date: '2026-11-23T10:30:00Z', DateDTO: '2026-11-23T10:30:00Z', Action: 'CheckIn', WorkType: 'Repair', TechsCount: 1 },
    };
    const res = await postSigned(url, checkIn);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: true, eventId: 'WorkOrderCheckIn:90000511:2026-11-23T10:30:00Z' });
    const out = await postSigned(url, { ...checkIn, EventType: 'WorkOrderCheckOut', Object: { ...checkIn.Object, CheckinAction: 2, Action: 'CheckOut', Date: '2026-11-23T11:45:00Z' } });
    expect(out.status).toBe(202);
    const received = await signals(workOrderToMobileWorkflowId(90000511));
    expect(received.map((x) => (x.arg as { eventId: string }).eventId)).toEqual(['WorkOrderCheckIn:90000511:2026-11-23T10:30:00Z', 'WorkOrderCheckOut:90000511:2026-11-23T11:45:00Z']);
    // A work order event naming no work order is still refused, naming the field.
    const none = await postSigned(url, { EventType: 'WorkOrderCheckIn', Object: { Action: 'CheckIn', Date: '2026-11-23T10:30:00Z' } });
    expect(none).toMatchObject({ status: 400, body: { fields: [{ field: 'Object.WorkOrderId' }] } });
  });

  test('a note event\'s id carries the note id; an event id header that differs from the signed body is logged, not used', async () => {
    const body = workOrderEvent('WorkOrderNoteAdded', 90000503, { Notes: [{ Id: 77, NoteData: 'Please call ahead', CreatedBy: 'store', DateCreated: '2026-11-23T10:16:00Z' }] });
    const res = await postSigned(url, body, { [EVENT_ID_HEADER]: 'forged-id' });
    expect(res.status).toBe(202);
    expect(res.body.eventId).toBe('WorkOrderNoteAdded:90000503:2026-11-23T10:15:30.123Z:note-77');
    expect(logs.text).toContain('differs from the id of the signed body');
  });

  test('unsigned, another Sign-Type, a wrong key, an altered body: 401, nothing started', async () => {
    const body = workOrderEvent('WorkOrderCreated', 90000504);
    const raw = JSON.stringify(body);
    const unsigned = await post(url, '/webhooks/servicechannel', raw, {});
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toEqual({ error: 'unauthenticated', reason: 'missing Sign-Type header' });
    const noData = await post(url, '/webhooks/servicechannel', raw, { 'sign-type': 'HMACSHA256' });
    expect(noData.body.reason).toBe('missing Sign-Data header');
    const otherType = await post(url, '/webhooks/servicechannel', raw, { 'sign-type': 'HMACSHA1', 'sign-data': signServiceChannelWebhook(KEY, raw) });
    expect(otherType.status).toBe(401);
    const wrongKey = await postSigned(url, body, {}, 'another-key-of-the-same-length-xx');
    expect(wrongKey.status).toBe(401);
    const altered = await post(url, '/webhooks/servicechannel', raw.replace('90000504', '90000505'), { 'sign-type': 'HMACSHA256', 'sign-data': signServiceChannelWebhook(KEY, raw) });
    expect(altered.status).toBe(401);
    expect(await exists(workOrderToMobileWorkflowId(90000504))).toBe(false);
    expect(await exists(workOrderToMobileWorkflowId(90000505))).toBe(false);
    expect(logs.text).toContain('ServiceChannel webhook refused: unsigned or wrongly signed');
    expect(logs.text).not.toContain(KEY);
  });

  test('malformed: not JSON -> 400; a missing Object.Id, a missing EventType -> 400 naming the field; nothing started', async () => {
    const notJson = await postSigned(url, '{"EventType": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ error: 'malformed' });
    const noId = workOrderEvent('WorkOrderCreated', 90000506) as { Object: Record<string, unknown> };
    delete noId.Object.Id;
    const res = await postSigned(url, noId);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid');
    expect(res.body.reason).toBe('ServiceChannel WorkOrderCreated is invalid: Object.Id');
    expect(res.body.fields.map((f: { field: string }) => f.field)).toEqual(['Object.Id']);
    const noType = await postSigned(url, { Object: { Id: 90000506 } });
    expect(noType.status).toBe(400);
    expect(noType.body.fields.map((f: { field: string }) => f.field)).toContain('EventType');
    expect(await exists(workOrderToMobileWorkflowId(90000506))).toBe(false);
  });

  test('Proposal* and Invoice*: 202 acknowledged and logged; an unknown event type: 202 and a log line; nothing started', async () => {
    for (const eventType of ['ProposalCreated', 'InvoiceSubmitted']) {
      const res = await postSigned(url, { EventType: eventType, Object: { Id: 90000507 } });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ accepted: false, acknowledged: true, eventType });
      expect(logs.text).toContain(`ServiceChannel ${eventType} acknowledged`);
    }
    const unknown = await postSigned(url, { EventType: 'AssetTagged', Object: { Id: 90000507 } });
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual({ accepted: false, eventType: 'AssetTagged', reason: 'FieldBridge does not act on AssetTagged events' });
    expect(logs.text).toContain('ServiceChannel event type AssetTagged is unknown to FieldBridge');
    expect(await exists(workOrderToMobileWorkflowId(90000507))).toBe(false);
  });
});

describe('POST /webhooks/servicepower', () => {
  function notification(workOrderNum: string, eventId = `sp-${workOrderNum}-7`) {
    return {
      EventID: eventId,
      EventType: 'OrderStatusChanged',
      WorkOrderNum: workOrderNum,
      OrderStatus: '7',
      PreviousOrderStatus: '6',
      UserName: 'tech.alvarez',
      Note: 'on the roof',
      ChangedUTC: '2026-11-23T11:00:00Z',
    };
  }
  async function postNotification(body: unknown, secret = SECRET) {
    const raw = JSON.stringify(body);
    return post(url, '/webhooks/servicepower', raw, notificationHeaders(secret, raw));
  }

  /** A work order's workflow as it is once it has created the mobile work order (FieldBridgeTargetCode set), started without a worker. */
  async function startHoldingWorkflow(workOrderId: number, workOrderNum: string): Promise<string> {
    const workflowId = workOrderToMobileWorkflowId(workOrderId);
    await client.workflow.start(WORK_ORDER_TO_MOBILE_WORKFLOW, {
      workflowId,
      taskQueue: TASK_QUEUE,
      args: [{ workOrderId }],
      typedSearchAttributes: [...workOrderToMobileSearchAttributes(workOrderId), { key: TargetCodeKey, value: workOrderNum }],
    });
    const deadline = Date.now() + 15_000;
    while ((await client.workflow.count(workflowByMobileNumberQuery(workOrderNum))).count < 1) {
      if (Date.now() > deadline) throw new Error(`visibility never showed ${workOrderNum}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return workflowId;
  }

  test('a signed notification: mobileStatusChanged on the running workflow holding the number; a redelivery carries the same event id', async () => {
    const workflowId = await startHoldingWorkflow(90000601, 'SC1000601');
    const res = await postNotification(notification('SC1000601'));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: true, eventId: 'sp-SC1000601-7', workflowId });
    await postNotification(notification('SC1000601'));
    expect(await signals(workflowId)).toEqual([
      {
        name: 'mobileStatusChanged',
        arg: { eventId: 'sp-SC1000601-7', workOrderNum: 'SC1000601', orderStatus: '7', previousOrderStatus: '6', occurredAt: '2026-11-23T11:00:00Z', note: 'on the roof' },
      },
      expect.objectContaining({ name: 'mobileStatusChanged', arg: expect.objectContaining({ eventId: 'sp-SC1000601-7' }) }),
    ]);
  });

  test('a wrong secret or no signature: 401, nothing signalled', async () => {
    const workflowId = await startHoldingWorkflow(90000602, 'SC1000602');
    const wrong = await postNotification(notification('SC1000602'), 'not-the-notification-secret-0123');
    expect(wrong.status).toBe(401);
    const unsigned = await post(url, '/webhooks/servicepower', JSON.stringify(notification('SC1000602')), {});
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.reason).toBe('missing X-ServicePower-Timestamp and X-ServicePower-Signature header');
    expect(await signals(workflowId)).toEqual([]);
  });

  test('an invalid OrderStatus: 400 naming the field', async () => {
    const bad = await postNotification({ ...notification('SC1000603'), OrderStatus: '42' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field)).toEqual(['OrderStatus']);
  });

  test('a number no sync holds (yet): 503 with Retry-After 1, so the sender tries again once visibility has caught up', async () => {
    const unknown = await postNotification(notification('SC-NOT-YET'));
    expect(unknown.status).toBe(503);
    expect(unknown.headers['retry-after']).toBe('1');
    expect(unknown.body).toEqual({ error: 'not-yet-known', eventId: 'sp-SC-NOT-YET-7', reason: 'no work order sync holds ServicePower work order SC-NOT-YET (yet); retry later' });
    expect(logs.text).toContain('ServicePower notification not applied, the sender is asked to retry');
    // The work order's sync records the number: the sender's next attempt is signalled.
    const workflowId = await startHoldingWorkflow(90000604, 'SC-NOT-YET');
    const retried = await postNotification(notification('SC-NOT-YET'));
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ accepted: true, workflowId });
  });

  test('a number whose sync has ended: 202, not applied, nothing started', async () => {
    const workflowId = await startHoldingWorkflow(90000605, 'SC1000605');
    await client.workflow.getHandle(workflowId).terminate('ended for the test');
    const deadline = Date.now() + 15_000;
    while ((await client.workflow.count(workflowByMobileNumberQuery('SC1000605'))).count > 0) {
      if (Date.now() > deadline) throw new Error('visibility never showed the sync ended');
      await new Promise((r) => setTimeout(r, 100));
    }
    const late = await postNotification(notification('SC1000605'));
    expect(late.status).toBe(202);
    expect(late.body).toMatchObject({ accepted: false, reason: 'the sync of ServicePower work order SC1000605 has ended' });
  });
});

describe('Temporal trouble', () => {
  test('Temporal unreachable: 503 with Retry-After, within the start deadline', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    connections.push(connection);
    const downUrl = await startReceiver({ client: new Client({ connection }), startDeadlineMs: 1000 });
    const started = Date.now();
    const res = await postSigned(downUrl, workOrderEvent('WorkOrderCreated', 90000701));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ error: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  test('a namespace that does not exist: 500, misconfigured, nothing started', async () => {
    const badUrl = await startReceiver({ client: new Client({ connection: client.connection, namespace: 'no-such-namespace' }) });
    const res = await postSigned(badUrl, workOrderEvent('WorkOrderCreated', 90000702));
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: 'misconfigured', problem: 'namespace-not-found' });
    expect(await exists(workOrderToMobileWorkflowId(90000702))).toBe(false);
  });
});
