/** The ServicePower simulator over HTTP: createjwt and its JWTs, the Work Order API and its rules (410 = does not exist, both error shapes), the technician admin and its signed notifications, admin and faults. */
import { DEMO_WORK_ORDER_NUM, demoServicePowerData } from '../../connectors/servicepower/demo-data';
import { StatusNotificationSchema, verifyNotificationSignature } from '../../connectors/servicepower/notifications';
import { type ServicePowerSimulator, startServicePowerSimulator } from '../../connectors/servicepower/simulator';
import { call, startWebhookReceiver, type WebhookReceiver } from './helpers';

const USER = { username: 'fieldbridge', password: 'sp-test-password' };
const SECRET = 'sp-notification-secret';
const auth: Record<string, string> = {};

/** An ad-hoc work order: every required property, not dispatched. */
const adHoc = () => ({
  Account: { Name: 'Store 12', AccountNum: 'SC-STORE-12' },
  Location: { Name: 'Store 12', Address: { AddrLine1: '12 Main St', City: 'Raleigh', Zip: '27601' } },
  Description: 'Leaking sink',
  OrderType: '1005',
  OrderSubType: 'PLUMBING',
  Priority: '2',
  Notes: [{ ID: 'N1', Text: 'Customer called' }],
});

/** A managed, dispatched work order. */
const dispatched = () => ({
  Account: { AccountNum: 'NW-1000' },
  Location: { LocationNum: 'NW-HQ' },
  Description: 'Rooftop unit down',
  OrderSubType: 'HVAC',
  UserName: 'tech.alvarez',
  PrimaryUserName: 'tech.alvarez',
  PlannedStartDate: '2026-02-01T14:00:00Z',
  DispatchUTC: '2026-01-31T09:00:00Z',
  DispatchStatus: 3,
  Notes: [
    { ID: 'N1', Text: 'first' },
    { ID: 'N2', Text: 'second' },
  ],
});

describe('ServicePower simulator', () => {
  let sim: ServicePowerSimulator;
  let receiver: WebhookReceiver;
  const wo = (num: string) => `${sim.url}/WorkOrder/${encodeURIComponent(num)}`;
  const put = (num: string, body: unknown) => call(wo(num), { method: 'PUT', headers: auth, body });
  const get = (num: string) => call(wo(num), { headers: auth });
  const patch = (num: string, body: unknown) => call(wo(num), { method: 'PATCH', headers: auth, body });
  const admin = (path: string, method: 'GET' | 'POST' | 'PUT' = 'GET', body?: unknown) => call(`${sim.rootUrl}/__admin${path}`, { method, body });

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    sim = await startServicePowerSimulator({ users: [USER], seed: demoServicePowerData, notification: { url: receiver.url, secret: SECRET }, notificationRetryDelaysMs: [20, 20] });
    auth['x-access-token'] = ((await call(`${sim.rootUrl}/createjwt`, { method: 'POST', body: USER })).json as { token: string }).token;
  });
  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  describe('auth and routes', () => {
    it('serves under /seiapi/v3/trans and refuses a missing or unknown x-access-token with 401 {code, detail}', async () => {
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/seiapi\/v3\/trans$/);
      expect(await call(wo(DEMO_WORK_ORDER_NUM))).toMatchObject({ status: 401, json: { code: 401, detail: { message: expect.stringContaining('missing') } } });
      expect((await call(wo(DEMO_WORK_ORDER_NUM), { headers: { 'x-access-token': 'forged' } })).status).toBe(401);
      expect((await get(DEMO_WORK_ORDER_NUM)).status).toBe(200);
      expect(sim.state.requestCounts()).toEqual({ GET: 3 });
      expect(sim.state.requests.map((r) => r.status)).toEqual([401, 401, 200]);
    });

    it('POST /createjwt answers {token}: an HS256 JWT whose exp is iat + the lifetime; a wrong password is 401 Invalid Logon', async () => {
      const res = await call(`${sim.rootUrl}/createjwt`, { method: 'POST', body: USER });
      expect(res.status).toBe(200);
      const [header, payload] = (res.json.token as string).split('.');
      expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { iat: number; exp: number; name: string };
      expect(claims).toMatchObject({ name: 'fieldbridge' });
      expect(claims.exp - claims.iat).toBe(3600);
      expect(await call(`${sim.rootUrl}/createjwt`, { method: 'POST', body: { ...USER, password: 'nope' } })).toMatchObject({ status: 401, json: { code: 401, detail: { message: 'Invalid Logon.' } } });
    });

    it('refuses an expired JWT with 401', async () => {
      await sim.close();
      let now = new Date('2026-03-01T10:00:00Z');
      sim = await startServicePowerSimulator({ users: [USER], seed: demoServicePowerData, now: () => now });
      const token = ((await call(`${sim.rootUrl}/createjwt`, { method: 'POST', body: USER })).json as { token: string }).token;
      expect((await call(wo(DEMO_WORK_ORDER_NUM), { headers: { 'x-access-token': token } })).status).toBe(200);
      now = new Date('2026-03-01T11:00:00Z');
      expect(await call(wo(DEMO_WORK_ORDER_NUM), { headers: { 'x-access-token': token } })).toMatchObject({ status: 401, json: { detail: { message: expect.stringContaining('expired') } } });
    });

    it('answers 404 for a URL the API does not have (MOB3: "Not Found. The URL is incorrect")', async () => {
      expect(await call(`${sim.rootUrl}/seiapi/v2/trans/WorkOrder/X1`, { headers: auth })).toMatchObject({ status: 404, json: { code: 404 } });
    });

    it('answers errors as the Standard Response Object {type, title, status, detail, invalidParams} when switched to it', async () => {
      expect((await admin('/error-shape', 'POST', { errorShape: 'standard' })).status).toBe(204);
      const res = await put('SC-S', { ...adHoc(), Location: undefined });
      expect(res).toMatchObject({ status: 400, json: { title: 'Bad Request', status: 400, detail: expect.stringContaining('Location is required'), invalidParams: [{ name: 'Location', path: '$.Location' }] } });
      expect(await get('NOPE')).toMatchObject({ status: 410, json: { title: 'Gone', status: 410, detail: "WorkOrder 'NOPE' does not exist" } });
    });

    it('answers 405 for a method the resource does not support', async () => {
      expect(await call(wo('X1'), { method: 'OPTIONS', headers: auth })).toMatchObject({ status: 405, json: { code: 405 } });
      expect((await call(`${sim.url}/WorkOrder`, { method: 'POST', headers: auth, body: {} })).status).toBe(405);
    });
  });

  describe('PUT, GET, POST', () => {
    it('PUT inserts (201 + Location) then updates (200); GET returns the managed account and location filled in', async () => {
      const created = await put('SC-1', dispatched());
      expect(created.status).toBe(201);
      expect(created.headers.location).toBe(`${sim.url}/WorkOrder/SC-1`);
      expect(created.json).toEqual({ code: 201 });
      const read = await get('SC-1');
      expect(read.json).toMatchObject({
        OrderNum: 'SC-1',
        OrderStatus: '1',
        DispatchStatus: 3,
        Account: { AccountNum: 'NW-1000', Name: 'Northwind Facilities Inc.' },
        Location: { LocationNum: 'NW-HQ', Name: 'Northwind HQ', Address: { City: 'Raleigh' } },
      });
      const updated = await put('SC-1', { ...dispatched(), Description: 'Rooftop unit 3 down' });
      expect(updated).toMatchObject({ status: 200, json: { code: 200 } });
      expect(updated.headers.location).toBeUndefined();
      expect((await get('SC-1')).json.Description).toBe('Rooftop unit 3 down');
      expect(sim.state.stored('SC-1').version).toBe(2);
    });

    it('GET of an unknown number is 410 (MOB3: "The specified object does not exists")', async () => {
      expect(await get('NOPE')).toMatchObject({ status: 410, json: { code: 410, detail: { message: "WorkOrder 'NOPE' does not exist" } } });
    });

    it.each([
      ['Location missing', { Location: undefined }, 'Location'],
      ['an empty account', { Account: {} }, 'Account'],
      ['an ad-hoc account without Name', { Account: { AccountNum: 'X', AccountType: '1001' } }, 'Account.Name'],
      ['an unknown managed account', { Account: { AccountNum: 'NOPE-1' } }, 'Account.AccountNum'],
      ['an unknown managed location', { Location: { LocationNum: 'NOPE' } }, 'Location.LocationNum'],
      ['an ad-hoc location without City', { Location: { Name: 'X', Address: { AddrLine1: '1 Main' } } }, 'Location.Address.City'],
      ['an unknown mobile worker', { UserName: 'tech.nobody' }, 'UserName'],
      ['a DispatchStatus outside 0..3', { DispatchStatus: 5 }, 'DispatchStatus'],
      ['an OrderType outside the system category', { OrderType: '42' }, 'OrderType'],
      ['an OrderNum other than the URL', { OrderNum: 'OTHER' }, 'OrderNum'],
    ])('PUT with %s is 400 naming the property, and stores nothing', async (_what, change, dataPath) => {
      const res = await put('SC-BAD', { ...adHoc(), ...change });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe(400);
      expect(res.json.detail.dataPath).toBe(dataPath);
      expect(res.json.detail.message).toContain(dataPath.split('.').pop());
      expect(sim.state.workOrders.has('SC-BAD')).toBe(false);
    });

    it('refuses a PlannedStartDate that is not in UTC (seed 004: "in UTC format") with 400 naming it', async () => {
      const res = await put('SC-UTC', { ...dispatched(), PlannedStartDate: '2026-02-01T09:00:00-05:00' });
      expect(res).toMatchObject({ status: 400, json: { detail: { dataPath: 'PlannedStartDate', message: expect.stringContaining('must be in UTC') } } });
      expect((await put('SC-UTC', { ...dispatched(), PlannedStartDate: '2026-02-01T14:00:00Z', PlannedEndDate: '2026-02-03T22:00:00.000Z' })).status).toBe(201);
    });

    it('words an OrderNum mismatch as ServiceMobility does', async () => {
      const res = await put('SC-2', { ...adHoc(), OrderNum: 'SC-9' });
      expect(res.json.detail.message).toBe("OrderNumber 'SC-9' from payload does not match with request URI '/SC-2'.");
    });

    it('POST updates an existing work order (410 when there is none) and keeps what the technician recorded', async () => {
      expect((await call(wo('SC-3'), { method: 'POST', headers: auth, body: adHoc() })).status).toBe(410);
      await put('SC-3', dispatched());
      await admin('/workorders/SC-3/status', 'POST', { OrderStatus: 6 });
      const res = await call(wo('SC-3'), { method: 'POST', headers: auth, body: { ...dispatched(), Priority: '1' } });
      expect(res).toMatchObject({ status: 200, json: { code: 200 } });
      expect((await get('SC-3')).json).toMatchObject({ Priority: '1', OrderStatus: '6', ActualTravelStartDate: expect.any(String) });
    });
  });

  describe('DispatchStatus rules', () => {
    it.each([
      [{ DispatchUTC: undefined }, 'DispatchUTC'],
      [{ PlannedStartDate: undefined }, 'PlannedStartDate'],
      [{ UserName: undefined, PrimaryUserName: undefined }, 'PrimaryUser'],
    ])('3 (Dispatched) without %j is 400 naming what is missing', async (change, missing) => {
      const res = await put('SC-D', { ...dispatched(), ...change });
      expect(res.status).toBe(400);
      expect(res.json.detail.message).toMatch(new RegExp(`^DispatchStatus 3 \\(Dispatched\\) requires .*missing: ${missing}$`));
    });

    it('1 (Scheduled) needs PlannedStartDate; 2 (Assigned) needs a mobile worker', async () => {
      expect((await put('SC-D', { ...adHoc(), DispatchStatus: 1 })).json.detail.dataPath).toBe('PlannedStartDate');
      expect((await put('SC-D', { ...adHoc(), DispatchStatus: 2 })).json.detail.dataPath).toBe('UserName');
      expect((await put('SC-D', { ...adHoc(), DispatchStatus: 2, UserName: 'tech.brooks' })).status).toBe(201);
    });

    it('stores an undispatched work order that could be dispatched, with a warning', async () => {
      const res = await put('SC-D', { ...dispatched(), DispatchStatus: 0 });
      expect(res.status).toBe(201);
      expect(res.json.detail).toEqual({ message: expect.stringContaining('the work order is not dispatched'), dataPath: 'DispatchStatus' });
    });
  });

  describe('warnings in 2xx replies', () => {
    it('an unknown trade, a truncated Description and the deprecated ApptWnd: stored, with one detail each', async () => {
      const res = await put('SC-W', { ...adHoc(), OrderSubType: 'BASKET WEAVING', Description: 'x'.repeat(300), ApptWnd: { Desc: '9 to noon' } });
      expect(res.status).toBe(201);
      expect(res.json.detail.map((d: { dataPath: string }) => d.dataPath)).toEqual(['OrderSubType', 'Description', 'ApptWnd']);
      expect(res.json.detail[0].message).toBe("Unknown trade 'BASKET WEAVING': stored, but no mobile worker is matched on it");
      expect((await get('SC-W')).json.Description).toHaveLength(255);
    });
  });

  describe('PATCH', () => {
    beforeEach(async () => {
      expect((await put('SC-P', { ...dispatched(), Priority: '3', Remarks: 'r', PurchaseOrder: { PONum: 'PO-1', Amount: 500 } })).status).toBe(201);
    });

    it('changes only the supplied properties', async () => {
      const before = (await get('SC-P')).json;
      expect(await patch('SC-P', { PurchaseOrder: { Amount: 750 } })).toMatchObject({ status: 200, json: { code: 200 } });
      const after = (await get('SC-P')).json;
      expect(after).toEqual({ ...before, PurchaseOrder: { PONum: 'PO-1', Amount: 750 } });
    });

    it('_fields removes properties, _paths removes JSONPath matches, Delete removes a collection entry', async () => {
      const res = await patch('SC-P', {
        _fields: ['Remarks'],
        _paths: ["$.Notes[?(@.ID=='N1')].Text", '$.Location.Contacts'],
        Notes: [{ ID: 'N2', Delete: true }, { ID: 'N3', Text: 'third' }],
      });
      expect(res.status).toBe(200);
      const after = (await get('SC-P')).json;
      expect(after.Remarks).toBeUndefined();
      expect(after.Notes).toEqual([{ ID: 'N1' }, { ID: 'N3', Text: 'third' }]);
      expect(after.Location.Contacts).toBeUndefined();
      expect(after.Location.Name).toBe('Northwind HQ');
      expect(JSON.stringify(after)).not.toMatch(/"Delete"|_fields|_paths/);
    });

    it('refuses a PATCH whose result breaks a rule (400) or a bad JSONPath (400), changing nothing', async () => {
      const before = (await get('SC-P')).json;
      expect((await patch('SC-P', { _fields: ['DispatchUTC'] })).json.detail.message).toMatch(/missing: DispatchUTC$/);
      expect((await patch('SC-P', { _fields: ['Location'] })).json.detail).toMatchObject({ dataPath: 'Location' });
      const badPath = await patch('SC-P', { _paths: ['$..Notes'] });
      expect(badPath).toMatchObject({ status: 400, json: { detail: { dataPath: '_paths' } } });
      expect((await get('SC-P')).json).toEqual(before);
    });

    it('is 410 for an unknown number', async () => {
      expect((await patch('NOPE', { Priority: '1' })).status).toBe(410);
    });
  });

  describe('409 conflicts', () => {
    it('a closed work order can not be written (PUT, POST, PATCH): 409', async () => {
      await put('SC-C', dispatched());
      await admin('/workorders/SC-C/status', 'POST', { OrderStatus: 4096 });
      const res = await put('SC-C', dispatched());
      expect(res).toMatchObject({ status: 409, json: { code: 409, detail: { message: "WorkOrder 'SC-C' is Closed / Complete (OrderStatus 4096) and can not be replaced", dataPath: 'OrderStatus' } } });
      expect((await call(wo('SC-C'), { method: 'POST', headers: auth, body: dispatched() })).status).toBe(409);
      expect((await patch('SC-C', { Priority: '1' })).status).toBe(409);
    });

    it("changing the account a work order belongs to is 409", async () => {
      await put('SC-A', dispatched());
      const res = await put('SC-A', { ...dispatched(), Account: { AccountNum: 'HP-2000' } });
      expect(res).toMatchObject({ status: 409, json: { detail: { dataPath: 'Account.AccountNum' } } });
      expect((await get('SC-A')).json.Account.AccountNum).toBe('NW-1000');
    });
  });

  describe('DELETE', () => {
    it('deletes; then it does not exist (410, DELETE included) until a PUT inserts it again; a dispatched one is cancelled on the device', async () => {
      await put('SC-X', dispatched());
      expect(await call(wo('SC-X'), { method: 'DELETE', headers: auth })).toMatchObject({ status: 200, json: { code: 200 } });
      expect(sim.state.cancellations).toEqual([{ WorkOrderNum: 'SC-X', UserName: 'tech.alvarez', at: expect.any(String) }]);
      expect(await get('SC-X')).toMatchObject({ status: 410, json: { code: 410 } });
      expect((await patch('SC-X', { Priority: '1' })).status).toBe(410);
      expect((await call(wo('SC-X'), { method: 'DELETE', headers: auth })).status).toBe(410);
      expect(sim.state.callsTo('DELETE', 'SC-X')).toBe(2);
      expect((await put('SC-X', dispatched())).status).toBe(201);
    });

    it('is 410 for a number never seen, and 405 for a ServiceOperations work order (Rules.IsOps)', async () => {
      expect((await call(wo('NEVER'), { method: 'DELETE', headers: auth })).status).toBe(410);
      await put('SC-OPS', { ...adHoc(), Rules: { IsOps: true } });
      expect(await call(wo('SC-OPS'), { method: 'DELETE', headers: auth })).toMatchObject({ status: 405, json: { detail: { dataPath: 'Rules.IsOps' } } });
      expect((await get('SC-OPS')).status).toBe(200);
    });
  });

  describe('the technician (admin) and notifications', () => {
    it('moves OrderStatus as a technician would and POSTs a signed notification', async () => {
      await put('SC-T', dispatched());
      const res = await admin('/workorders/SC-T/status', 'POST', { OrderStatus: 7, note: 'On site, checking the unit' });
      expect(res.status).toBe(200);
      expect(res.json.workOrder).toMatchObject({ OrderStatus: '7', ActualStartDate: expect.any(String), TechNotes: [{ Author: 'tech.alvarez', Text: 'On site, checking the unit' }] });

      const [received] = await receiver.waitFor(1);
      const body = StatusNotificationSchema.parse(JSON.parse(received.rawBody));
      expect(body).toEqual({
        EventID: res.json.notification.EventID,
        EventType: 'OrderStatusChanged',
        WorkOrderNum: 'SC-T',
        OrderStatus: '7',
        PreviousOrderStatus: '1',
        UserName: 'tech.alvarez',
        Note: 'On site, checking the unit',
        ChangedUTC: expect.any(String),
      });
      expect(verifyNotificationSignature(SECRET, received.headers, received.rawBody)).toBe(true);
      expect(verifyNotificationSignature('another-secret', received.headers, received.rawBody)).toBe(false);
      expect(verifyNotificationSignature(SECRET, received.headers, received.rawBody.replace('SC-T', 'SC-U'))).toBe(false);
      await sim.notifications.idle();
      expect(sim.notifications.deliveries).toMatchObject([{ EventID: body.EventID, status: 'delivered', attempts: 1 }]);
    });

    it('closes with a reason code; a closed work order can not move again (409)', async () => {
      await put('SC-T', dispatched());
      const closed = await admin('/workorders/SC-T/status', 'POST', { OrderStatus: '4097', reasonCode: 'PARTS' });
      expect(closed.json.workOrder).toMatchObject({ OrderStatus: '4097', ReasonCode: 'PARTS', ActualEndDate: expect.any(String) });
      expect(closed.json.notification).toMatchObject({ PreviousOrderStatus: '1', OrderStatus: '4097', ReasonCode: 'PARTS' });
      expect((await admin('/workorders/SC-T/status', 'POST', { OrderStatus: 7 })).status).toBe(409);
    });

    it('refuses to move a work order that is not dispatched (409), an unknown code (400) or number (410)', async () => {
      await put('SC-N', adHoc());
      expect(await admin('/workorders/SC-N/status', 'POST', { OrderStatus: 6 })).toMatchObject({ status: 409, json: { detail: { dataPath: 'DispatchStatus' } } });
      expect((await admin('/workorders/SC-N/status', 'POST', { OrderStatus: 5 })).status).toBe(400);
      expect((await admin('/workorders/NOPE/status', 'POST', { OrderStatus: 6 })).status).toBe(410);
      expect(receiver.received).toHaveLength(0);
    });

    it('?notify=false moves it without a notification (a lost one); resend delivers a notification again, same body', async () => {
      await put('SC-L', dispatched());
      const moved = await call(`${sim.rootUrl}/__admin/workorders/SC-L/status?notify=false`, { method: 'POST', body: { OrderStatus: 6 } });
      expect(moved.json.workOrder.OrderStatus).toBe('6');
      await sim.notifications.idle();
      expect(receiver.received).toHaveLength(0);
      expect(sim.notifications.deliveries).toMatchObject([{ status: 'dropped', attempts: 0 }]);

      const resent = await admin(`/notifications/${moved.json.notification.EventID}/resend`, 'POST');
      expect(resent.status).toBe(202);
      const [received] = await receiver.waitFor(1);
      expect(JSON.parse(received.rawBody)).toEqual(moved.json.notification);
    });

    it('retries a notification the receiver fails (5xx), and gives up on a refusal (4xx)', async () => {
      await receiver.close();
      receiver = await startWebhookReceiver([503, 200, 401]);
      await call(`${sim.rootUrl}/__admin/notification`, { method: 'PUT', body: { url: receiver.url, secret: SECRET } });
      await put('SC-R', dispatched());
      await admin('/workorders/SC-R/status', 'POST', { OrderStatus: 6 });
      await receiver.waitFor(2);
      await admin('/workorders/SC-R/status', 'POST', { OrderStatus: 7 });
      await receiver.waitFor(3);
      await sim.notifications.idle();
      expect(sim.notifications.deliveries.map((d) => [d.status, d.attempts, d.responseStatus])).toEqual([
        ['delivered', 2, 200],
        ['failed', 1, 401],
      ]);
    });
  });

  describe('admin and faults', () => {
    it('GET /__admin/workorders/:num, /state with request counts, /seed, /reset back to the start seed', async () => {
      expect((await admin(`/workorders/${DEMO_WORK_ORDER_NUM}`)).json).toMatchObject({ num: DEMO_WORK_ORDER_NUM, version: 1, workOrder: { DispatchStatus: 3 } });
      await put('SC-S', adHoc());
      await get('SC-S');
      const state = (await admin('/state')).json;
      expect(state.requestCounts).toEqual({ PUT: 1, GET: 1 });
      expect(Object.keys(state.workOrders).sort()).toEqual(['SC-S', DEMO_WORK_ORDER_NUM]);
      expect(state.notificationTarget).toEqual({ url: receiver.url });
      expect(JSON.stringify(state)).not.toContain(SECRET);

      expect((await admin('/seed', 'POST', { users: [{ UserName: 'tech.new' }] })).status).toBe(204);
      expect((await put('SC-S', { ...adHoc(), UserName: 'tech.new', DispatchStatus: 2 })).status).toBe(200);
      expect((await admin('/reset', 'POST')).status).toBe(204);
      expect([...sim.state.workOrders.keys()]).toEqual([DEMO_WORK_ORDER_NUM]);
      expect(sim.state.users.has('tech.new')).toBe(false);
      expect((await admin('/requests')).json).toEqual({ requests: [], counts: {} });
    });

    it('injects a 500 in the ServiceMobility error shape, on the routes named', async () => {
      expect((await admin('/faults', 'PUT', { errorRate: 1, errorStatus: 500, routes: ['putWorkOrder'], count: 1 })).status).toBe(200);
      expect((await get(DEMO_WORK_ORDER_NUM)).status).toBe(200);
      expect(await put('SC-F', adHoc())).toMatchObject({ status: 500, json: { code: 500, detail: { message: 'Injected fault: HTTP 500' } } });
      expect(sim.state.workOrders.has('SC-F')).toBe(false);
      expect((await put('SC-F', adHoc())).status).toBe(201);
    });

    it('applyThenHang applies the write and never answers', async () => {
      await admin('/faults', 'PUT', { applyThenHang: true, count: 1 });
      await expect(call(wo('SC-H'), { method: 'PUT', headers: auth, body: adHoc(), headersTimeout: 300 })).rejects.toThrow();
      expect((await get('SC-H')).json.OrderNum).toBe('SC-H');
    });
  });
});
