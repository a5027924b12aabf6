/**
 * End to end, the ServiceChannel -> ServicePower dispatch and the field's way back, driven only
 * through the simulators' admin endpoints as a user would (issue 8, "Done when"):
 *
 *   the receiver (buildReceiver, both routes) + the workers as production builds them (the main task
 *   queue and the rate-limited ServiceChannel one) on the dev server stack;
 *   ServiceChannel simulator's signed webhooks -> the receiver's /webhooks/servicechannel;
 *   ServicePower simulator's signed notifications -> the receiver's /webhooks/servicepower.
 *
 *   work order created in ServiceChannel -> dispatched in ServicePower within a few seconds
 *   its NTE changed -> one PATCH of the amount; a client's note -> in the mobile work order's Notes
 *   technician on site, then complete (ServicePower admin) -> ServiceChannel shows the check-in and
 *   check-out, COMPLETED / PENDING CONFIRMATION and the notes
 *   a second work order cancelled in ServiceChannel -> removed from ServicePower
 */
import type { FastifyInstance } from 'fastify';
import { buildReceiver } from '../../client/receiver';
import { loadConfig } from '../../common/config';
import { DEMO_LOCATION_IDS, DEMO_SUBSCRIBER_IDS } from '../../connectors/servicechannel/demo-data';
import { workOrderToMobileWorkflowId } from '../../workflows/definitions';
import { eventually, startStack, testLogger, WEBHOOK_SECRET, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

const SC_KEY = 'e2e-servicechannel-webhook-key-0123456789';
const SP_SECRET = 'e2e-servicepower-notification-secret-0123';

let stack: Stack;
let receiver: FastifyInstance;
let receiverUrl: string;

beforeAll(async () => {
  stack = await startStack();
  receiver = buildReceiver({
    ...loadConfig(['receiver'], {}).receiver,
    client: stack.env.client,
    taskQueue: stack.taskQueue,
    logger: testLogger,
    app4salesWebhookSecret: WEBHOOK_SECRET,
    servicetradeWebhook: { token: 'servicetrade-hook-token-0123456789', autoSyncNewJobs: false },
    servicechannelWebhook: { key: SC_KEY },
    servicepowerNotification: { secret: SP_SECRET },
    startDeadlineMs: 5000,
  });
  receiverUrl = await receiver.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

/** What the tests read of an admin answer (both simulators' work orders). */
interface AdminView {
  Status: { Primary: string; Extended: string | null };
  Notes: Array<{ NoteData: string }>;
  CheckIns: Array<{ CheckOutTime: string | null }>;
  workOrder: MobileView;
}
type MobileView = Record<string, unknown> & { Notes?: Array<{ Text?: string; Author?: string }>; PurchaseOrder?: { Amount?: number } };

async function admin(base: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; json: AdminView }> {
  const res = await fetch(`${base}/__admin${path}`, {
    method: init.method ?? 'GET',
    ...(init.body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}
const sc = (path: string, init?: { method?: string; body?: unknown }) => admin(stack.servicechannel.rootUrl, path, init);
const sp = (path: string, init?: { method?: string; body?: unknown }) => admin(stack.servicepower.rootUrl, path, init);

let nextId = 70_000_000 + Math.floor(Math.random() * 1000) * 1000;
function newWorkOrder(description: string) {
  const id = nextId++;
  return {
    Id: id,
    Number: String(id),
    SubscriberId: DEMO_SUBSCRIBER_IDS.northwind,
    LocationId: DEMO_LOCATION_IDS.northwindRaleigh,
    PurchaseNumber: `PO-${id}`,
    Priority: 'P2 - 24 Hours',
    Trade: 'HVAC',
    Category: 'REPAIR',
    ProblemCode: 'NO COOLING',
    ScheduledDate: '2026-01-07T14:00:00.000Z',
    Nte: 500,
    Description: description,
    Caller: 'Dana Whitfield (store manager)',
  };
}

/** The mobile work order as ServicePower's admin shows it; null once it is gone (404/410). */
async function mobile(num: string): Promise<MobileView | null> {
  const res = await sp(`/workorders/${num}`);
  return res.status === 200 ? res.json.workOrder : null;
}

test('created -> dispatched; NTE -> PATCH; a client note -> Notes; on site and complete -> check-in, status and notes in ServiceChannel; a cancelled one -> removed', async () => {
  // The simulators deliver to the receiver, signed.
  stack.servicechannel.webhooks.target = { url: `${receiverUrl}/webhooks/servicechannel`, key: SC_KEY };
  stack.servicepower.notifications.target = { url: `${receiverUrl}/webhooks/servicepower`, secret: SP_SECRET };

  await stack.withWorker(async () => {
    // 1. A new work order in ServiceChannel is dispatched in ServicePower within a few seconds.
    const input = newWorkOrder('Rooftop unit 3 not cooling');
    const num = `SC${input.Id}`;
    const startedAt = Date.now();
    expect((await sc('/workorders', { method: 'POST', body: input })).status).toBe(201);
    const dispatched = await eventually(() => mobile(num), 5000, 'dispatched in ServicePower');
    const dispatchMs = Date.now() - startedAt;
    expect(dispatched).toMatchObject({ Account: { AccountNum: 'NW-1000' }, UserName: 'tech.alvarez', DispatchStatus: 3, PurchaseOrder: { Amount: 500, PONum: `PO-${input.Id}` } });
    await eventually(async () => (await sc(`/workorders/${input.Id}`)).json.Status.Extended === 'DISPATCHED', 5000, 'ServiceChannel shows DISPATCHED');
    let scView = (await sc(`/workorders/${input.Id}`)).json;
    expect(scView.Status).toEqual({ Primary: 'IN PROGRESS', Extended: 'DISPATCHED' });
    expect(scView.Notes.map((n) => n.NoteData).join('\n')).toContain(num);
    testLogger.info({ dispatchMs }, 'e2e: webhook to dispatched');

    // 2. Its NTE changes: one PATCH of the amount arrives.
    expect((await sc(`/workorders/${input.Id}`, { method: 'PATCH', body: { Nte: 900 } })).status).toBe(200);
    await eventually(async () => (await mobile(num))?.PurchaseOrder?.Amount === 900, 10_000, 'NTE in ServicePower');
    const patches = () => stack.servicepower.state.callsTo('PATCH', num);
    expect(patches()).toBe(1);

    // 3. The store manager adds a note: it reaches the mobile work order (our own dispatch note does not).
    expect((await sc(`/workorders/${input.Id}/notes`, { method: 'POST', body: { Note: 'Gate code 4412, ask for Sam', CreatedBy: 'Dana Whitfield' } })).status).toBe(201);
    const withNote = await eventually(async () => {
      const wo = await mobile(num);
      return (wo?.Notes ?? []).length > 0 ? wo : null;
    }, 10_000, 'the client note in ServicePower');
    expect(withNote.Notes).toEqual([expect.objectContaining({ Text: 'Gate code 4412, ask for Sam', Author: 'Dana Whitfield' })]);

    // 4. The technician goes on site: ServiceChannel shows the check-in and the note.
    expect((await sp(`/workorders/${num}/status`, { method: 'POST', body: { OrderStatus: '7' } })).status).toBe(200);
    await eventually(async () => (await sc(`/workorders/${input.Id}`)).json.CheckIns.length === 1, 10_000, 'check-in in ServiceChannel');
    await eventually(async () => (await sc(`/workorders/${input.Id}`)).json.Notes.some((n) => n.NoteData.includes(`Technician on site (mobile work order ${num})`)), 10_000, 'on-site note');

    // 5. ... and completes it: check-out, COMPLETED / PENDING CONFIRMATION and the technician's note.
    expect((await sp(`/workorders/${num}/status`, { method: 'POST', body: { OrderStatus: '4096', note: 'Replaced the capacitor' } })).status).toBe(200);
    await eventually(async () => (await sc(`/workorders/${input.Id}`)).json.Status.Primary === 'COMPLETED', 10_000, 'completed in ServiceChannel');
    scView = (await sc(`/workorders/${input.Id}`)).json;
    expect(scView.Status).toEqual({ Primary: 'COMPLETED', Extended: 'PENDING CONFIRMATION' });
    expect(scView.CheckIns).toHaveLength(1);
    expect(scView.CheckIns[0].CheckOutTime).not.toBeNull();
    expect(scView.Notes.map((n) => n.NoteData).join('\n')).toContain('Replaced the capacitor');
    const done = await stack.env.client.workflow.getHandle(workOrderToMobileWorkflowId(input.Id)).result();
    expect(done.outcome).toMatch(/closed in the field/);
    // Every ServiceChannel change FieldBridge made came back as a webhook too: none was sent on to ServicePower.
    expect(patches()).toBe(2);
    expect(stack.servicepower.state.callsTo('PUT', num)).toBe(1);

    // 6. A second work order, cancelled in ServiceChannel: removed from ServicePower.
    const second = newWorkOrder('Walk-in cooler door seal');
    const secondNum = `SC${second.Id}`;
    expect((await sc('/workorders', { method: 'POST', body: second })).status).toBe(201);
    await eventually(() => mobile(secondNum), 5000, 'second dispatched');
    await eventually(async () => (await sc(`/workorders/${second.Id}`)).json.Status.Extended === 'DISPATCHED', 5000, 'second DISPATCHED');
    expect((await sc(`/workorders/${second.Id}`, { method: 'PATCH', body: { Status: { Primary: 'CANCELLED' } } })).status).toBe(200);
    await eventually(async () => (await mobile(secondNum)) === null, 10_000, 'second removed from ServicePower');
    expect((await sp(`/workorders/${secondNum}`)).status).toBe(410);
    expect(stack.servicepower.state.callsTo('DELETE', secondNum)).toBe(1);
    const cancelled = await stack.env.client.workflow.getHandle(workOrderToMobileWorkflowId(second.Id)).result();
    expect(cancelled.outcome).toMatch(/cancelled/);

    // Everything travelled signed through the receiver: no delivery refused.
    await eventually(() => stack.servicechannel.webhooks.deliveries.every((d) => d.status === 'delivered'), 10_000, 'every webhook delivered');
    expect(stack.servicechannel.webhooks.deliveries.length).toBeGreaterThanOrEqual(5);
    expect(stack.servicechannel.webhooks.deliveries.every((d) => d.attempts === 1)).toBe(true);
    expect(stack.servicepower.notifications.deliveries.length).toBeGreaterThanOrEqual(2);
    expect(stack.servicechannel.state.throttledRequests).toBe(0);
  }, { mobile: { mobileSync: { rereadIntervalMs: 60 * 60_000 } } });
});
