/**
 * Contract of the ServicePower connector against the reference facts kept as data in
 * connectors/servicepower/reference/ (JSON Schemas transcribed from seed 004 and the MOB3 pages named
 * in each file): every request the client builds (createjwt, GET/PUT/POST/PATCH/DELETE WorkOrder),
 * every answer the simulator gives (work orders, replies, both error shapes, the JWT and its claims)
 * and every notification it sends is validated with ajv. The requests and answers are the real ones:
 * a recording proxy sits between the client and the simulator.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { request } from 'undici';
import workOrderSchema from '../../connectors/servicepower/reference/work-order.schema.json';
import createJwtSchema from '../../connectors/servicepower/reference/createjwt.schema.json';
import responsesSchema from '../../connectors/servicepower/reference/responses.schema.json';
import notificationSchema from '../../connectors/servicepower/reference/notification.assumed.schema.json';
import { ServicePowerClient, resetServicePowerTokenCache } from '../../connectors/servicepower/client';
import { buildWorkOrderPatch } from '../../connectors/servicepower/patch';
import { DEMO_SERVICEPOWER_USER, DEMO_WORK_ORDER_NUM, demoServicePowerData } from '../../connectors/servicepower/demo-data';
import { startServicePowerSimulator, type ServicePowerSimulator } from '../../connectors/servicepower/simulator';
import type { ServiceChannelWorkOrder } from '../../connectors/servicechannel/schemas';
import { mapWorkOrderToMobile } from '../../mappings/work-order-to-mobile';
import { DEMO_MOBILE_SYNC } from '../../scripts/simulator-adapter-config';
import seedSample from '../fixtures/servicepower-work-order.json';
import { startWebhookReceiver, type WebhookReceiver } from '../simulators/helpers';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema(workOrderSchema).addSchema(createJwtSchema).addSchema(responsesSchema);
const schema = (ref: string): ValidateFunction => ajv.getSchema(ref)!;
const WORK_ORDER = schema(`${workOrderSchema.$id}#/definitions/WorkOrder`);
const WORK_ORDER_PATCH = schema(`${workOrderSchema.$id}#/definitions/WorkOrderPatch`);
const JWT_REQUEST = schema(`${createJwtSchema.$id}#/definitions/CreateJwtRequest`);
const JWT_RESPONSE = schema(`${createJwtSchema.$id}#/definitions/CreateJwtResponse`);
const JWT_HEADER = schema(`${createJwtSchema.$id}#/definitions/JwtHeader`);
const JWT_CLAIMS = schema(`${createJwtSchema.$id}#/definitions/JwtClaims`);
const REPLY = schema(`${responsesSchema.$id}#/definitions/Reply`);
const CODE_DETAIL = schema(`${responsesSchema.$id}#/definitions/CodeDetailResponse`);
const STANDARD = schema(`${responsesSchema.$id}#/definitions/StandardResponse`);
const STATUSES = schema(`${responsesSchema.$id}#/definitions/Statuses`);
const NOTIFICATION = ajv.compile(notificationSchema);

/** The ajv errors of `value`, as readable lines (empty: valid). */
function problems(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

interface Exchange {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  status: number;
  responseHeaders: Record<string, string | string[] | undefined>;
  response: unknown;
}

/** A proxy that forwards to the simulator and keeps every request and answer. */
async function startRecordingProxy(target: string): Promise<{ url: string; exchanges: Exchange[]; close(): Promise<void> }> {
  const exchanges: Exchange[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      void (async () => {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
        const answer = await request(`${target}${req.url}`, { method: req.method as 'GET', headers, body: text === '' ? undefined : text });
        const responseText = await answer.body.text();
        exchanges.push({
          method: req.method!,
          path: req.url!,
          headers: req.headers,
          body: text === '' ? undefined : JSON.parse(text),
          status: answer.statusCode,
          responseHeaders: answer.headers,
          response: responseText === '' ? undefined : JSON.parse(responseText),
        });
        res.writeHead(answer.statusCode, { 'content-type': 'application/json', ...(answer.headers.location ? { location: String(answer.headers.location) } : {}) });
        res.end(responseText);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const scWorkOrder = (overrides: Partial<ServiceChannelWorkOrder> = {}): ServiceChannelWorkOrder => ({
  Id: 90000101,
  Number: '1000101',
  PurchaseNumber: 'NW-PO-7781',
  SubscriberId: 2014917243,
  ProviderId: 2000081234,
  Subscriber: { Id: 2014917243, Name: 'Northwind Retail' },
  Provider: { Id: 2000081234, Name: 'FieldBridge Services' },
  LocationId: 301012,
  Location: { Id: 301012, SubscriberId: 2014917243, StoreId: '1012', Name: 'Northwind Store #1012', Address1: '4120 Glenwood Ave', Address2: null, City: 'Raleigh', State: 'NC', Zip: '27612', Country: 'US', Phone: '+1 919 555 0112', Email: null, Latitude: 35.8416, Longitude: -78.6801 },
  Status: { Primary: 'OPEN', Extended: null },
  CallDate: '2026-01-05T09:00:00.000Z',
  Priority: 'P2 - 24 Hours',
  Trade: 'HVAC',
  Category: 'REPAIR',
  ProblemCode: 'NO COOLING',
  ScheduledDate: '2026-01-07T09:00:00-05:00',
  ExpirationDate: '2026-01-09T17:00:00-05:00',
  Nte: 500,
  Currency: { AlphabeticalCode: 'USD' },
  Description: `Rooftop unit 3 not cooling. ${'The compressor cycles on and off every few minutes; '.repeat(6)}`,
  Caller: 'Dana Whitfield (store manager)',
  CreatedBy: 'dwhitfield',
  UpdatedDate: '2026-01-05T09:00:00.000Z',
  ...overrides,
});

describe('ServicePower contract (connectors/servicepower/reference)', () => {
  it("the reference's work order schema accepts seed 004's own sample (the transcription matches its source)", () => {
    expect(problems(WORK_ORDER, seedSample)).toEqual([]);
    expect(problems(WORK_ORDER_PATCH, seedSample)).toEqual([]);
  });

  it('the reference catches the drifts issue 14 names: a local PlannedStartDate, an unknown property, a missing Location, an unknown OrderStatus', () => {
    const base = { Account: { AccountNum: 'NW-1000' }, Location: { LocationNum: 'NW-HQ' } };
    expect(problems(WORK_ORDER, { ...base, PlannedStartDate: '2026-01-07T09:00:00-05:00' })).not.toEqual([]);
    expect(problems(WORK_ORDER, { ...base, ExpirationDate: '2026-01-09T22:00:00Z' })).not.toEqual([]);
    expect(problems(WORK_ORDER, { Account: base.Account })).not.toEqual([]);
    expect(problems(WORK_ORDER, { ...base, OrderStatus: '5' })).not.toEqual([]);
    expect(problems(WORK_ORDER, { Deleted: true })).toEqual([]);
  });

  describe('over the wire', () => {
    let sim: ServicePowerSimulator;
    let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
    let receiver: WebhookReceiver;
    let client: ServicePowerClient;

    beforeEach(async () => {
      resetServicePowerTokenCache();
      receiver = await startWebhookReceiver();
      sim = await startServicePowerSimulator({ users: [DEMO_SERVICEPOWER_USER], seed: demoServicePowerData, notification: { url: receiver.url, secret: 'contract-notification-secret' }, logger: false });
      proxy = await startRecordingProxy(sim.rootUrl);
      client = new ServicePowerClient({ baseUrl: `${proxy.url}/seiapi/v3/trans`, ...DEMO_SERVICEPOWER_USER, timeoutMs: 5000 });
    });
    afterEach(async () => {
      await client.close();
      await proxy.close();
      await sim.close();
      await receiver.close();
    });

    /** A whole life: dispatch (PUT), re-read, changes (PATCH from the mapping, POST), technician moves, errors, delete. */
    async function exerciseEveryCall(): Promise<void> {
      const settings = { ...DEMO_MOBILE_SYNC, technicianByTrade: { HVAC: 'tech.alvarez' } };
      const first = mapWorkOrderToMobile(scWorkOrder(), settings, '2026-01-06T09:00:00.000Z');
      expect(first.problems).toEqual([]);
      const num = first.workOrderNum;
      await client.putWorkOrder(num, first.workOrder);
      await client.putWorkOrder(num, first.workOrder);
      await client.getWorkOrder(num);
      const changed = mapWorkOrderToMobile(scWorkOrder({ Nte: 900, Description: 'Short now', ScheduledDate: '2026-01-08T10:00:00+01:00' }), settings, '2026-01-06T09:00:00.000Z');
      await client.patchWorkOrder(num, buildWorkOrderPatch(first.workOrder as Record<string, unknown>, changed.workOrder as Record<string, unknown>));
      await client.patchWorkOrder(num, { Notes: [{ ID: 'SC-NOTE-1', Author: 'Dana Whitfield', Date: '2026-01-06T10:00:00.000Z', Text: 'Gate code 4412', ReadOnly: true }] });
      await client.postWorkOrder(DEMO_WORK_ORDER_NUM, { Account: { AccountNum: 'NW-1000' }, Location: { LocationNum: 'NW-HQ' }, Description: 'Updated by POST', OrderSubType: 'BASKET WEAVING' });
      sim.state.setOrderStatus(num, { OrderStatus: 7, at: '2026-01-08T09:05:00Z' });
      sim.state.setOrderStatus(num, { OrderStatus: 4096, at: '2026-01-08T10:40:00Z', note: 'Replaced capacitor', reasonCode: 'DONE' });
      await client.getWorkOrder(num);
      await client.patchWorkOrder(num, { Priority: '1' }).catch(() => undefined); // 409: closed
      await client.putWorkOrder('SC-BAD', { ...first.workOrder, Account: { AccountNum: 'NO-SUCH-ACCOUNT' } }).catch(() => undefined); // 400: unknown managed account
      await client.putWorkOrder('SC-OPS', { ...first.workOrder, Rules: { IsOps: true } });
      await client.deleteWorkOrder('SC-OPS').catch(() => undefined); // 405
      await client.putWorkOrder('SC-DEL', first.workOrder);
      await client.deleteWorkOrder('SC-DEL');
      await client.deleteWorkOrder('SC-DEL'); // 410
      await client.getWorkOrder('SC-DEL'); // 410
      await client.patchWorkOrder('SC-DEL', { Priority: '1' }).catch(() => undefined); // 410
    }

    function expectEveryExchangeConforms(shape: 'code-detail' | 'standard'): void {
      const workOrderCalls = proxy.exchanges.filter((e) => e.path.startsWith('/seiapi/v3/trans/WorkOrder/'));
      expect(new Set(workOrderCalls.map((e) => e.method))).toEqual(new Set(['GET', 'PUT', 'POST', 'PATCH', 'DELETE']));
      expect(new Set(workOrderCalls.map((e) => e.status))).toEqual(new Set([200, 201, 400, 405, 409, 410]));
      for (const e of proxy.exchanges) {
        const what = `${e.method} ${e.path} -> ${e.status}`;
        expect([what, problems(STATUSES, e.status)]).toEqual([what, []]);
        if (e.path === '/createjwt') {
          expect([what, e.headers['content-type'], problems(JWT_REQUEST, e.body), problems(JWT_RESPONSE, e.response)]).toEqual([what, 'application/json', [], []]);
          const [header, payload] = (e.response as { token: string }).token.split('.');
          expect(problems(JWT_HEADER, JSON.parse(Buffer.from(header!, 'base64url').toString()))).toEqual([]);
          expect(problems(JWT_CLAIMS, JSON.parse(Buffer.from(payload!, 'base64url').toString()))).toEqual([]);
          continue;
        }
        // Standard HTTP Headers: x-access-token (a JWT), Content-Type application/json with a body.
        expect([what, typeof e.headers['x-access-token'], (e.headers['x-access-token'] as string).split('.').length]).toEqual([what, 'string', 3]);
        if (e.body !== undefined) expect([what, e.headers['content-type']]).toEqual([what, 'application/json']);
        if (e.method === 'PUT' || e.method === 'POST') expect([what, problems(WORK_ORDER, e.body)]).toEqual([what, []]);
        if (e.method === 'PATCH') expect([what, problems(WORK_ORDER_PATCH, e.body)]).toEqual([what, []]);
        if (e.method === 'GET' || e.method === 'DELETE') expect([what, e.body]).toEqual([what, undefined]);
        if (e.method === 'GET' && e.status === 200) {
          expect([what, problems(WORK_ORDER, e.response)]).toEqual([what, []]);
          continue;
        }
        if (e.status === 201) expect([what, typeof e.responseHeaders.location]).toEqual([what, 'string']);
        const replyShape = e.status >= 400 && shape === 'standard' ? STANDARD : e.status >= 400 ? CODE_DETAIL : REPLY;
        expect([what, problems(replyShape, e.response)]).toEqual([what, []]);
      }
    }

    it('every request the client builds and every answer of the simulator ({code, detail} errors) fits the reference', async () => {
      await exerciseEveryCall();
      expectEveryExchangeConforms('code-detail');
      expect(proxy.exchanges.filter((e) => e.path === '/createjwt')).toHaveLength(1);
    });

    it('the same with the Standard Response Object error shape', async () => {
      sim.errorShape = 'standard';
      await exerciseEveryCall();
      expectEveryExchangeConforms('standard');
    });

    it('a refused login is answered in the reference error shape, to the reference request', async () => {
      const wrong = new ServicePowerClient({ baseUrl: `${proxy.url}/seiapi/v3/trans`, username: DEMO_SERVICEPOWER_USER.username, password: 'wrong', timeoutMs: 5000 });
      await expect(wrong.getWorkOrder(DEMO_WORK_ORDER_NUM)).rejects.toThrow(/Invalid Logon/);
      await wrong.close();
      const [login] = proxy.exchanges;
      expect(login).toMatchObject({ path: '/createjwt', status: 401 });
      expect(problems(JWT_REQUEST, login!.body)).toEqual([]);
      expect(problems(CODE_DETAIL, login!.response)).toEqual([]);
    });

    it('every notification the simulator sends fits the (assumed, see its x-sources) notification schema', async () => {
      const num = 'SC-N1';
      await client.putWorkOrder(num, mapWorkOrderToMobile(scWorkOrder(), { ...DEMO_MOBILE_SYNC, technicianByTrade: { HVAC: 'tech.alvarez' } }, '2026-01-06T09:00:00.000Z').workOrder);
      sim.state.setOrderStatus(num, { OrderStatus: 6 });
      sim.state.setOrderStatus(num, { OrderStatus: 7 });
      sim.state.setOrderStatus(num, { OrderStatus: 4097, note: 'Part on order', reasonCode: 'PARTS' });
      const received = await receiver.waitFor(3);
      for (const r of received) expect(problems(NOTIFICATION, JSON.parse(r.rawBody))).toEqual([]);
    });
  });
});
