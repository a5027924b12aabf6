/**
 * The ServiceChannel simulator at the wire: token endpoint and login limit, per-minute limits and the
 * request log, permissions, the changed-since list, signed webhooks with ServiceChannel's delivery
 * rules (retries, drop after the last, drop-next, redelivery, disabling), admin; and the signature helpers.
 */
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { call, startWebhookReceiver, type WebhookReceiver } from './helpers';
import {
  DEMO_LOCATION_IDS,
  DEMO_SERVICECHANNEL_CLIENT as CLIENT,
  DEMO_SERVICECHANNEL_USER as USER,
  DEMO_SUBSCRIBER_IDS,
  DEMO_WORK_ORDER_IDS,
  demoServiceChannelData,
} from '../../connectors/servicechannel/demo-data';
import { ServiceChannelWebhookSchema, serviceChannelEventId } from '../../connectors/servicechannel/schemas';
import { signServiceChannelWebhook, verifyServiceChannelSignature } from '../../connectors/servicechannel/signature';
import { type ServiceChannelSimulator, type ServiceChannelSimulatorOptions, startServiceChannelSimulator } from '../../connectors/servicechannel/simulator';

const KEY = 'test-webhook-key';
const BASIC = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`;
const OTHER_CLIENT = { clientId: 'other-app', clientSecret: 'other-secret' };
const OTHER_USER = { username: 'second.user@provider.example', password: 'second-password' };
const WO = DEMO_WORK_ORDER_IDS.newHvac;

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('signature (Sign-Type HMACSHA256, Sign-Data base64)', () => {
  const body = '{"Object":{"Id":1},"EventType":"WorkOrderCreated"}';

  it('signs the raw body with HMAC-SHA256 under the key, base64', () => {
    expect(signServiceChannelWebhook(KEY, body)).toBe(createHmac('sha256', KEY).update(body).digest('base64'));
  });

  it('verifies its own signature and refuses a wrong key, an altered body, another sign type, a missing, repeated or malformed header', () => {
    const sig = signServiceChannelWebhook(KEY, body);
    expect(verifyServiceChannelSignature(KEY, body, 'HMACSHA256', sig)).toBe(true);
    expect(verifyServiceChannelSignature(KEY, Buffer.from(body), 'HMACSHA256', sig)).toBe(true);
    expect(verifyServiceChannelSignature('another-key', body, 'HMACSHA256', sig)).toBe(false);
    expect(verifyServiceChannelSignature(KEY, body.replace('"Id":1', '"Id":2'), 'HMACSHA256', sig)).toBe(false);
    expect(verifyServiceChannelSignature(KEY, `${body} `, 'HMACSHA256', sig)).toBe(false);
    expect(verifyServiceChannelSignature(KEY, body, 'HMACSHA1', sig)).toBe(false);
    expect(verifyServiceChannelSignature(KEY, body, undefined, sig)).toBe(false);
    expect(verifyServiceChannelSignature(KEY, body, 'HMACSHA256', undefined)).toBe(false);
    expect(verifyServiceChannelSignature(KEY, body, 'HMACSHA256', [sig, sig])).toBe(false);
    expect(verifyServiceChannelSignature(KEY, body, 'HMACSHA256', 'not base64!')).toBe(false);
    expect(verifyServiceChannelSignature(KEY, body, 'HMACSHA256', sig.slice(0, 20))).toBe(false);
    expect(verifyServiceChannelSignature('', body, 'HMACSHA256', signServiceChannelWebhook('', body))).toBe(false);
  });
});

describe('ServiceChannel simulator', () => {
  let sim: ServiceChannelSimulator;
  let receiver: WebhookReceiver | undefined;

  const start = async (options: Partial<ServiceChannelSimulatorOptions> = {}) => {
    sim = await startServiceChannelSimulator({
      clients: [CLIENT, OTHER_CLIENT],
      users: [USER, OTHER_USER],
      seed: demoServiceChannelData,
      loginIntervalMs: 300,
      ...options,
    });
  };
  const tokenCall = (fields: Record<string, string>, auth = BASIC) =>
    call(sim.tokenUrl, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, rawBody: form(fields) });
  const login = async (user = USER, auth = BASIC) => {
    const res = await tokenCall({ grant_type: 'password', username: user.username, password: user.password }, auth);
    expect(res.status).toBe(200);
    return res.json as { access_token: string; refresh_token: string; expires_in: number };
  };
  const api = (token: string, path: string, init: { method?: 'GET' | 'PUT' | 'POST'; body?: unknown } = {}) =>
    call(`${sim.url}${path}`, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${token}` }, body: init.body });

  afterEach(async () => {
    await sim.close();
    await receiver?.close();
    receiver = undefined;
  });

  describe('token endpoint', () => {
    beforeEach(() => start());

    it('grants a 600 s bearer token and a refresh token for Basic client auth + the password grant; refreshes (rotating the refresh token)', async () => {
      const token = await login();
      expect(token).toMatchObject({ token_type: 'bearer', expires_in: 600 });
      expect((await api(token.access_token, `/workorders/${WO}`)).status).toBe(200);
      const refreshed = await tokenCall({ grant_type: 'refresh_token', refresh_token: token.refresh_token });
      expect(refreshed.status).toBe(200);
      expect((await tokenCall({ grant_type: 'refresh_token', refresh_token: token.refresh_token })).json).toMatchObject({ error: 'invalid_grant' });
      expect(sim.state.counters()).toMatchObject({ logins: 1, refreshes: 1, refreshesRefused: 1, tokenRequests: 3 });
    });

    it('refuses a bad client (401 invalid_client), bad user credentials (400 invalid_grant) and other grants (400)', async () => {
      expect(await tokenCall({ grant_type: 'password', username: USER.username, password: USER.password }, `Basic ${Buffer.from('x:y').toString('base64')}`)).toMatchObject({
        status: 401,
        json: { error: 'invalid_client' },
      });
      expect(await tokenCall({ grant_type: 'password', username: USER.username, password: 'nope' })).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
      expect(await tokenCall({ grant_type: 'client_credentials' })).toMatchObject({ status: 400, json: { error: 'unsupported_grant_type' } });
      expect(sim.state.logins).toBe(0);
    });

    it('allows one login per user per interval: the next is 429 with Error-Message and Retry-After; another user is not limited; after the interval it works', async () => {
      await login();
      const refused = await tokenCall({ grant_type: 'password', username: USER.username, password: USER.password });
      expect(refused.status).toBe(429);
      expect(refused.headers['error-message']).toBe('Rejected by security reason: Login attempts limit exceed.');
      expect(refused.headers['retry-after']).toBe('1');
      await login(OTHER_USER);
      await new Promise((r) => setTimeout(r, 320));
      await login();
      expect(sim.state.counters()).toMatchObject({ logins: 3, loginsLimited: 1 });
    });
  });

  describe('API auth and limits', () => {
    it('answers 401 without a valid token, and counts the request', async () => {
      await start();
      expect(await call(`${sim.url}/workorders/${WO}`)).toMatchObject({ status: 401, json: { Message: expect.stringContaining('denied') } });
      expect(await call(`${sim.url}/workorders/${WO}`, { headers: { authorization: 'Bearer forged' } })).toMatchObject({ status: 401 });
      expect(sim.state.counters()).toMatchObject({ requests: 2, unauthorizedRequests: 2 });
    });

    it('sandbox: the 41st request of a client within a minute is 429 with Retry-After and the Reason body; the log shows the peak', async () => {
      await start({ environment: 'sandbox' });
      const { access_token } = await login();
      const statuses: number[] = [];
      for (let i = 0; i < 42; i += 1) statuses.push((await api(access_token, `/workorders/${WO}`)).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(40);
      expect(statuses.slice(40)).toEqual([429, 429]);
      const throttled = await api(access_token, `/workorders/${WO}`);
      expect(throttled.json).toEqual({ Reason: 'Request has been throttled. Your current Application limit is [40] per [1] minute' });
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(59);
      expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(sim.state.peakRequestsPerMinute()).toBe(43);
      expect(sim.state.peakRequestsPerMinute({ acceptedOnly: true })).toBe(40);
      expect(sim.state.peakRequestsPerMinute({ clientId: 'nobody' })).toBe(0);
      expect((await call(`${sim.rootUrl}/__admin/requests`)).json).toMatchObject({ requests: 43, throttledRequests: 3, peakRequestsPerMinute: 43, peakAcceptedRequestsPerMinute: 40 });
    });

    it('counts the company limit across client ids, answers 503 when so configured, and lets requests through again once the window moves on', async () => {
      await start({ limits: { perClientPerMinute: 5, perCompanyPerMinute: 8 }, throttleStatus: 503, rateWindowMs: 600 });
      const a = (await login()).access_token;
      const b = (await login(OTHER_USER, `Basic ${Buffer.from(`${OTHER_CLIENT.clientId}:${OTHER_CLIENT.clientSecret}`).toString('base64')}`)).access_token;
      for (let i = 0; i < 5; i += 1) expect((await api(a, `/workorders/${WO}`)).status).toBe(200);
      expect((await api(a, `/workorders/${WO}`)).json.Reason).toContain('Application limit is [5]');
      for (let i = 0; i < 3; i += 1) expect((await api(b, `/workorders/${WO}`)).status).toBe(200);
      const company = await api(b, `/workorders/${WO}`);
      expect(company.status).toBe(503);
      expect(company.json.Reason).toContain('Company limit is [8]');
      expect(company.headers['retry-after']).toBe('1');
      await new Promise((r) => setTimeout(r, 650));
      expect((await api(b, `/workorders/${WO}`)).status).toBe(200);
      expect(sim.state.peakRequestsPerMinute({ acceptedOnly: true })).toBe(8);
      expect(sim.state.peakRequestsPerMinute({ windowMs: 60_000 })).toBe(11);
    });
  });

  describe('work order routes and permissions', () => {
    it('status, notes, check-in/out at the wire; a refusal is 401 with error code 504 (ErrorResponse), naming neither permission nor subscriber', async () => {
      await start();
      const { access_token } = await login();
      expect(await api(access_token, `/workorders/${WO}/status`, { method: 'PUT', body: { Status: { Primary: 'IN PROGRESS', Extended: 'ON SITE' }, Note: 'arrived' } })).toMatchObject({
        status: 200,
        json: { result: expect.any(String), id: WO },
      });
      expect((await api(access_token, `/workorders/${WO}/notes`, { method: 'POST', body: { Note: 'hello' } })).status).toBe(201);
      expect((await api(access_token, `/workorders/${WO}/status`, { method: 'PUT', body: { Status: {} } })).status).toBe(400);
      // Extended is required (an empty string when none), as the reference's WorkorderStatusExt says.
      expect(await api(access_token, `/workorders/${WO}/status`, { method: 'PUT', body: { Status: { Primary: 'IN PROGRESS', Extended: null } } })).toMatchObject({ status: 400, json: { ErrorCode: 503 } });
      const harbor = DEMO_WORK_ORDER_IDS.scheduledWithNte;
      const refused = await api(access_token, `/workorders/${harbor}/notes`, { method: 'POST', body: { Note: 'hello' } });
      expect(refused).toMatchObject({
        status: 401,
        json: { ErrorCodes: [504], ErrorCode: 504, ErrorMessage: 'API call rejected by security permissions' },
      });
      expect(sim.state.permissionRefusals).toEqual([{ permission: 'Note Creation', subscriberId: DEMO_SUBSCRIBER_IDS.harborPoint, providerId: 2000081234 }]);
      // Granting it over admin lets the note through.
      const grant = await call(`${sim.rootUrl}/__admin/permissions/${DEMO_SUBSCRIBER_IDS.harborPoint}`, { method: 'PUT', body: ['Incoming XML Active', 'Note Creation'] });
      expect(grant.json.permissions).toEqual(['Incoming XML Active', 'Note Creation']);
      expect((await api(access_token, `/workorders/${harbor}/notes`, { method: 'POST', body: { Note: 'hello' } })).status).toBe(201);
      expect(await api(access_token, `/workorders/${harbor}/status`, { method: 'PUT', body: { Status: { Primary: 'IN PROGRESS', Extended: '' } } })).toMatchObject({ status: 401, json: { ErrorCode: 504 } });
      expect(await api(access_token, '/workorders/1/universalCheckIn', { method: 'POST', body: { Latitude: 1, Longitude: 2 } })).toMatchObject({ status: 400, json: { ErrorCode: 502 } });
    });

    it('reads the notes the provider may see as {Notes}, newest first, without a "created by the provider" flag; a removed work order is gone everywhere', async () => {
      await start();
      const { access_token } = await login();
      expect((await api(access_token, `/workorders/${WO}/notes`, { method: 'POST', body: { Note: 'ours' } })).status).toBe(201);
      sim.state.addSubscriberNote(WO, { Note: 'theirs', CreatedBy: 'Dana' }, { notify: false });
      // Visibility 2 = not the provider: never served back to it.
      expect((await api(access_token, `/workorders/${WO}/notes`, { method: 'POST', body: { Note: 'hidden from the provider', Visibility: 2 } })).status).toBe(201);
      const notes = await api(access_token, `/workorders/${WO}/notes`);
      expect(notes.status).toBe(200);
      expect(notes.json.Notes.map((n: Record<string, unknown>) => [n.NoteData, n.CreatedBy, 'CreatedByProvider' in n])).toEqual([
        ['theirs', 'Dana', false],
        ['ours', 'provider', false],
      ]);
      expect(notes.json.AllNotesCount).toBe(2);
      expect((await api(access_token, `/workorders/${WO}/notes?paging=2:1`)).json.Notes.map((n: { NoteData: string }) => n.NoteData)).toEqual(['ours']);
      expect(await api(access_token, `/workorders/${WO}/notes?paging=0:10`)).toMatchObject({ status: 400, json: { ErrorCode: 922 } });
      expect(await api(access_token, '/workorders/1/notes')).toMatchObject({ status: 400, json: { ErrorCode: 502 } });
      expect((await call(`${sim.rootUrl}/__admin/workorders/${WO}`, { method: 'DELETE' })).status).toBe(204);
      expect((await api(access_token, `/workorders/${WO}`)).status).toBe(404);
      expect((await api(access_token, `/workorders/${WO}/notes`)).status).toBe(400);
      expect((await call(`${sim.rootUrl}/__admin/workorders/${WO}`, { method: 'DELETE' })).status).toBe(404);
    });

    it('lists work orders changed since a time (OData), pages with $top/$skip, refuses filters it does not read', async () => {
      await start();
      const { access_token } = await login();
      // Work orders called more than 90 days ago: without a CallDate bound the list leaves them out.
      for (const id of Object.values(DEMO_WORK_ORDER_IDS)) sim.state.patchWorkOrder(id, { CallDate: new Date(Date.now() - 120 * 86_400_000).toISOString() }, { notify: false });
      const called = Object.values(DEMO_WORK_ORDER_IDS).map((id) => Date.parse(String(sim.state.workOrder(id)!.CallDate)));
      expect(Math.max(...called)).toBeLessThan(Date.now() - 90 * 86_400_000);
      expect((await api(access_token, `/odata/workorders?$filter=${encodeURIComponent('UpdatedDate ge 2000-01-01T00:00:00Z')}`)).json.value).toEqual([]);
      const bound = new Date(Date.now() - 364 * 86_400_000).toISOString();
      const tooFar = new Date(Date.now() - 400 * 86_400_000).toISOString();
      expect((await api(access_token, `/odata/workorders?$filter=${encodeURIComponent(`UpdatedDate ge 2000-01-01T00:00:00Z and CallDate ge ${tooFar}`)}`)).status).toBe(400);
      const all = await api(access_token, `/odata/workorders?$filter=${encodeURIComponent(`UpdatedDate ge 2000-01-01T00:00:00Z and CallDate ge ${bound}`)}&$count=true&$top=2`);
      expect(all.status).toBe(200);
      expect(all.json['@odata.count']).toBe(3);
      expect(all.json.value).toHaveLength(2);
      const rest = await api(access_token, `/odata/workorders?$filter=${encodeURIComponent(`UpdatedDate ge 2000-01-01T00:00:00Z and CallDate ge ${bound}`)}&$top=2&$skip=2`);
      expect(rest.json.value).toHaveLength(1);
      const ids = [...all.json.value, ...rest.json.value].map((w: { Id: number }) => w.Id);
      expect(new Set(ids)).toEqual(new Set(Object.values(DEMO_WORK_ORDER_IDS)));
      const harborOnly = await api(access_token, `/odata/workorders?$filter=${encodeURIComponent(`UpdatedDate ge 2000-01-01T00:00:00Z and CallDate ge ${bound} and SubscriberId eq ${DEMO_SUBSCRIBER_IDS.harborPoint}`)}`);
      expect(harborOnly.json.value.map((w: { Id: number }) => w.Id)).toEqual([DEMO_WORK_ORDER_IDS.scheduledWithNte]);
      const trade = await api(access_token, `/odata/workorders?$filter=${encodeURIComponent(`UpdatedDate ge 2000-01-01T00:00:00Z and CallDate ge ${bound} and (Trade eq 'REFRIGERATION' or Trade eq 'ELECTRICAL')`)}`);
      expect(trade.json.value.map((w: { Id: number }) => w.Id)).toEqual([DEMO_WORK_ORDER_IDS.scheduledWithNte]);
      expect((await api(access_token, `/odata/workorders?$filter=${encodeURIComponent("Priority eq 'P1'")}`)).json.ErrorMessage).toContain('$filter');
      // 50 rows a page at most: a larger $top gets the server's page.
      expect((await api(access_token, `/odata/workorders?$filter=${encodeURIComponent(`UpdatedDate ge 2000-01-01T00:00:00Z and CallDate ge ${bound}`)}&$top=500`)).status).toBe(200);
    });
  });

  describe('webhooks', () => {
    const startWithReceiver = async (statuses: number[] = [], options: Partial<ServiceChannelSimulatorOptions> = {}) => {
      receiver = await startWebhookReceiver(statuses);
      await start({ webhook: { url: receiver.url, key: KEY }, webhookRetryDelaysMs: [30, 30, 30], ...options });
    };

    it('sends each change signed, as {Object, EventType}: created, status, NTE, schedule, note (admin and API), check-in and out', async () => {
      await startWithReceiver();
      const created = await call(`${sim.rootUrl}/__admin/workorders`, {
        method: 'POST',
        body: { SubscriberId: DEMO_SUBSCRIBER_IDS.northwind, LocationId: DEMO_LOCATION_IDS.northwindDurham, Trade: 'HVAC', Nte: 300, Description: 'New unit noise' },
      });
      expect(created.status).toBe(201);
      const id = created.json.Id as number;
      await call(`${sim.rootUrl}/__admin/workorders/${id}`, { method: 'PATCH', body: { Nte: 450, ScheduledDate: '2026-02-01T10:00:00Z', Description: 'quiet now?' } });
      await call(`${sim.rootUrl}/__admin/workorders/${id}/notes`, { method: 'POST', body: { Note: 'Please call before arriving' } });
      const { access_token } = await login();
      await api(access_token, `/workorders/${id}/universalCheckIn`, { method: 'POST', body: {} });
      await api(access_token, `/workorders/${id}/universalCheckOut`, { method: 'POST', body: { Resolution: 'Tightened fan' } });
      await api(access_token, `/workorders/${id}/status`, { method: 'PUT', body: { Status: { Primary: 'COMPLETED', Extended: 'PENDING CONFIRMATION' } } });
      const got = await receiver!.waitFor(7);
      await sim.webhooks.idle();
      const bodies = got.map((w) => {
        expect(verifyServiceChannelSignature(KEY, w.rawBody, w.headers['sign-type'], w.headers['sign-data'])).toBe(true);
        const parsed = ServiceChannelWebhookSchema.parse(JSON.parse(w.rawBody));
        expect(w.headers['x-servicechannel-event-id']).toBe(serviceChannelEventId(parsed));
        return parsed;
      });
      expect(bodies.map((b) => b.EventType).sort()).toEqual(
        ['WorkOrderCreated', 'WorkOrderNteChanged', 'WorkOrderScheduledDateChanged', 'WorkOrderNoteAdded', 'WorkOrderCheckIn', 'WorkOrderCheckOut', 'WorkOrderStatusChanged'].sort(),
      );
      for (const b of bodies.filter((x) => !x.EventType.startsWith('WorkOrderCheck'))) expect(b.Object).toMatchObject({ Id: id, SubscriberId: DEMO_SUBSCRIBER_IDS.northwind });
      expect(bodies.find((b) => b.EventType === 'WorkOrderNoteAdded')!.Object.Notes).toEqual([expect.objectContaining({ NoteData: 'Please call before arriving' })]);
      // Check-in/out objects name the work order WorkOrderId and carry no Id (webhook reference CheckInAndOut).
      expect(bodies.find((b) => b.EventType === 'WorkOrderCheckOut')!.Object).toMatchObject({ WorkOrderId: id, Action: 'CheckOut' });
      expect(bodies.find((b) => b.EventType === 'WorkOrderCheckIn')!.Object.Id).toBeUndefined();
      expect(bodies.find((b) => b.EventType === 'WorkOrderStatusChanged')!.Object.Status).toEqual({ Primary: 'COMPLETED', Extended: 'PENDING CONFIRMATION' });
      expect(new Set(bodies.map((b) => serviceChannelEventId(b))).size).toBe(7);
      expect(sim.webhooks.deliveries.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
    });

    it('retries a failed delivery (a 4xx too) and counts a 2xx as delivered; drops the event after the 3rd retry', async () => {
      await startWithReceiver([500, 400, 204, 503, 500, 502, 500]);
      sim.state.patchWorkOrder(WO, { Nte: 999 });
      await receiver!.waitFor(3);
      await sim.webhooks.idle();
      sim.state.patchWorkOrder(WO, { Nte: 1000 });
      await receiver!.waitFor(7);
      await sim.webhooks.idle();
      const [first, second] = sim.webhooks.deliveries;
      expect(first).toMatchObject({ status: 'delivered', attempts: 3, responseStatus: 204 });
      expect(first!.attemptLog.map((a) => a.status)).toEqual([500, 400, 204]);
      expect(second).toMatchObject({ status: 'dropped', attempts: 4, error: 'HTTP 500' });
      // The three attempts of one event carry the same body, signature and event id.
      const sameEvent = receiver!.received.slice(3);
      expect(new Set(sameEvent.map((w) => w.rawBody)).size).toBe(1);
      expect(new Set(sameEvent.map((w) => w.headers['x-servicechannel-event-id'])).size).toBe(1);
    });

    it('an answer slower than the deadline is a failed attempt', async () => {
      const { createServer } = await import('node:http');
      let hits = 0;
      const slow = createServer((_req, res) => {
        hits += 1;
        setTimeout(() => res.end(), 300);
      });
      await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
      const port = (slow.address() as { port: number }).port;
      try {
        await start({ webhook: { url: `http://127.0.0.1:${port}/hook`, key: KEY }, webhookTimeoutMs: 100, webhookRetryDelaysMs: [10] });
        sim.state.patchWorkOrder(WO, { Nte: 1 });
        await sim.webhooks.idle();
        expect(sim.webhooks.deliveries[0]).toMatchObject({ status: 'dropped', attempts: 2, error: 'no answer within 100 ms' });
        expect(hits).toBe(2);
      } finally {
        slow.closeAllConnections();
        await new Promise((r) => slow.close(r));
      }
    });

    it('drops the next event on purpose (never sent), sends the one after, and redelivers an event byte for byte', async () => {
      await startWithReceiver();
      expect((await call(`${sim.rootUrl}/__admin/webhooks/drop-next`, { method: 'POST', body: {} })).json).toEqual({ dropNext: 1 });
      await call(`${sim.rootUrl}/__admin/workorders/${WO}`, { method: 'PATCH', body: { Status: { Primary: 'CANCELLED' } } });
      await call(`${sim.rootUrl}/__admin/workorders/${WO}`, { method: 'PATCH', body: { Nte: 10 } });
      const got = await receiver!.waitFor(1);
      await sim.webhooks.idle();
      expect(got.map((w) => JSON.parse(w.rawBody).EventType)).toEqual(['WorkOrderNteChanged']);
      const deliveries = (await call(`${sim.rootUrl}/__admin/webhooks`)).json;
      expect(deliveries[0]).toMatchObject({ EventType: 'WorkOrderStatusChanged', status: 'dropped', droppedOnPurpose: true, attempts: 0 });
      const eventId = deliveries[1].eventId as string;
      expect((await call(`${sim.rootUrl}/__admin/webhooks/${encodeURIComponent(eventId)}/redeliver`, { method: 'POST' })).status).toBe(202);
      const twice = await receiver!.waitFor(2);
      expect(twice[1]!.rawBody).toBe(twice[0]!.rawBody);
      expect(twice[1]!.headers['sign-data']).toBe(twice[0]!.headers['sign-data']);
      // The dropped change is still there for reconciliation: the work order is CANCELLED.
      expect(sim.state.workOrder(WO)!.Status.Primary).toBe('CANCELLED');
    });

    it('sends any event type over admin (Proposal*, Invoice*), and notify=false applies a change silently', async () => {
      await startWithReceiver();
      await call(`${sim.rootUrl}/__admin/webhooks/send`, { method: 'POST', body: { EventType: 'ProposalCreated', Object: { Id: 555, WorkOrderId: WO } } });
      await call(`${sim.rootUrl}/__admin/workorders/${WO}?notify=false`, { method: 'PATCH', body: { Nte: 5 } });
      const got = await receiver!.waitFor(1);
      await sim.webhooks.idle();
      expect(got).toHaveLength(1);
      expect(JSON.parse(got[0]!.rawBody)).toEqual({ Object: { Id: 555, WorkOrderId: WO }, EventType: 'ProposalCreated' });
      expect(sim.state.workOrder(WO)!.Nte).toBe(5);
    });

    it('disables the webhook after the configured run of consecutive failed attempts', async () => {
      await startWithReceiver([500, 500, 500, 500, 500, 500], { webhookRetryDelaysMs: [5, 5], webhookDisableAfterFailures: 3 });
      sim.state.patchWorkOrder(WO, { Nte: 1 });
      await sim.webhooks.idle();
      sim.state.patchWorkOrder(WO, { Nte: 2 });
      await sim.webhooks.idle();
      expect(sim.webhooks.disabled).toMatchObject({ disabled: true, permanently: false });
      expect(sim.webhooks.deliveries.map((d) => d.status)).toEqual(['dropped', 'skipped']);
      expect(receiver!.received).toHaveLength(3);
    });
  });

  describe('admin', () => {
    it('shows state, resets (records, counters, deliveries) and seeds', async () => {
      await start({ permissions: { [DEMO_SUBSCRIBER_IDS.northwind]: ['Incoming XML Active', 'Status Update'] } });
      await login();
      const state = (await call(`${sim.rootUrl}/__admin/state`)).json;
      expect(state.workOrders).toHaveLength(3);
      expect(state.subscribers.find((s: { Id: number }) => s.Id === DEMO_SUBSCRIBER_IDS.northwind).Permissions).toEqual(['Incoming XML Active', 'Status Update']);
      expect(state.counters).toMatchObject({ logins: 1 });
      expect((await call(`${sim.rootUrl}/__admin/reset`, { method: 'POST' })).status).toBe(204);
      expect((await call(`${sim.rootUrl}/__admin/state`)).json).toMatchObject({ workOrders: [], counters: { logins: 0, requests: 0 } });
      expect((await call(`${sim.rootUrl}/__admin/seed`, { method: 'POST', body: demoServiceChannelData })).status).toBe(204);
      expect((await call(`${sim.rootUrl}/__admin/workorders`)).json).toHaveLength(3);
      // The start permissions apply again after a reset and seed.
      expect((await call(`${sim.rootUrl}/__admin/permissions`)).json[DEMO_SUBSCRIBER_IDS.northwind]).toEqual(['Incoming XML Active', 'Status Update']);
      expect((await call(`${sim.rootUrl}/__admin/workorders`, { method: 'POST', body: { SubscriberId: 1, LocationId: 1 } })).status).toBe(400);
      expect((await call(`${sim.rootUrl}/__admin/workorders/1`)).status).toBe(404);
    });

    it('apply, then lose the answer: the write is stored, then answered 504 (or the connection dropped) without its result, per route and N times; reads are not affected', async () => {
      await start();
      const { access_token } = await login();
      const set = await call(`${sim.rootUrl}/__admin/faults`, { method: 'PUT', body: { applyThenLoseAnswer: '504', routes: ['addNote', 'getWorkOrder'], count: 2 } });
      expect(set.status).toBe(200);
      const notesBefore = sim.state.adminWorkOrder(WO)!.Notes.length;
      const raw = (path: string, method: 'POST' | 'PUT' | 'GET', body?: unknown) =>
        request(`${sim.url}${path}`, { method, headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      // A read on a listed route is answered as usual and does not consume the count.
      expect((await api(access_token, `/workorders/${WO}`)).status).toBe(200);
      const lost = await raw(`/workorders/${WO}/notes`, 'POST', { Note: 'first' });
      expect(lost.statusCode).toBe(504);
      expect(await lost.body.text()).toContain('504 Gateway Time-out');
      expect(sim.state.adminWorkOrder(WO)!.Notes.length).toBe(notesBefore + 1);
      expect((await raw(`/workorders/${WO}/notes`, 'POST', { Note: 'second' })).statusCode).toBe(504);
      expect((await api(access_token, `/workorders/${WO}/notes`, { method: 'POST', body: { Note: 'third' } })).status).toBe(201);
      expect(sim.state.adminWorkOrder(WO)!.Notes.length).toBe(notesBefore + 3);

      sim.faults.set({ applyThenLoseAnswer: 'drop', routes: ['checkIn'], count: 1 });
      await expect(raw(`/workorders/${WO}/universalCheckIn`, 'POST', { Latitude: 35.84, Longitude: -78.68 })).rejects.toThrow();
      expect(sim.state.adminWorkOrder(WO)!.CheckIns).toHaveLength(1);
      expect(sim.faults.state().config).toBeNull();
    });

    it('serves the check-in activity (every check-in and check-out, Date and Action) and refuses a check-out without an open check-in (400, 503 "User has not checked in")', async () => {
      await start();
      const { access_token } = await login();
      const activity = () => api(access_token, `/odata/workorders(${WO})/Service.CheckInActivity()`);
      expect((await activity()).json).toMatchObject({ value: [] });
      const refused = await api(access_token, `/workorders/${WO}/universalCheckOut`, { method: 'POST', body: { Latitude: 35.84, Longitude: -78.68 } });
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ ErrorCodes: [503], ErrorMessage: expect.stringContaining('User has not checked in') });
      expect((await api(access_token, `/workorders/${WO}/universalCheckIn`, { method: 'POST', body: { Latitude: 35.84, Longitude: -78.68 } })).status).toBe(200);
      expect((await api(access_token, `/workorders/${WO}/universalCheckOut`, { method: 'POST', body: { Latitude: 35.84, Longitude: -78.68 } })).status).toBe(200);
      const rows = (await activity()).json as { value: Array<{ Action: string; Date: string }> };
      expect(rows.value.map((r) => r.Action)).toEqual(['CheckIn', 'CheckOut']);
      const stored = sim.state.adminWorkOrder(WO)!.CheckIns[0]!;
      expect(rows.value.map((r) => r.Date)).toEqual([stored.CheckInTime, stored.CheckOutTime]);
      expect((await api(access_token, '/odata/workorders(12345)/Service.CheckInActivity()')).json).toMatchObject({ ErrorCodes: [502] });
    });

    it('gateway404: a gateway answers 404 with an HTML page (no ServiceChannel error body), nothing reaches ServiceChannel', async () => {
      await start();
      const { access_token } = await login();
      sim.faults.set({ gateway404: true, routes: ['getWorkOrder', 'updateStatus'], count: 2 });
      const res = await request(`${sim.url}/workorders/${WO}`, { headers: { authorization: `Bearer ${access_token}` } });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('text/html');
      const body = await res.body.text();
      expect(body).toContain('404 Not Found');
      expect(body).not.toContain('ErrorCode');
      const before = sim.state.adminWorkOrder(WO)!.Status;
      const put = await request(`${sim.url}/workorders/${WO}/status`, { method: 'PUT', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ Status: { Primary: 'IN PROGRESS', Extended: '' } }) });
      expect(put.statusCode).toBe(404);
      await put.body.text();
      expect(sim.state.adminWorkOrder(WO)!.Status).toEqual(before);
      expect((await api(access_token, `/workorders/${WO}`)).status).toBe(200);
    });

    it('applies the shared faults to the public routes (a hold, then release)', async () => {
      await start();
      const { access_token } = await login();
      sim.faults.set({ hold: true, routes: ['getWorkOrder'], count: 1 });
      const pending = api(access_token, `/workorders/${WO}`);
      while (sim.faults.held === 0) await new Promise((r) => setTimeout(r, 5));
      expect((await call(`${sim.rootUrl}/__admin/faults/release`, { method: 'POST' })).json).toEqual({ released: 1 });
      expect((await pending).status).toBe(200);
    });
  });
});
