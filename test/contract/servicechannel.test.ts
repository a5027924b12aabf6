/**
 * ServiceChannel contract: every request the client builds and every answer the simulator gives, on
 * every route FieldBridge calls, and every webhook body the simulator sends, validated with ajv
 * against FieldBridge's transcription of ServiceChannel's own references
 * (connectors/servicechannel/reference/: the v3 Swagger's operations and definitions, the webhook
 * event models). A simulator answer or a client request the real API could not give or take fails
 * here, and so does a route the client calls that the reference does not have.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { PermanentErrorTypes } from '../../common/errors';
import { ServiceChannelClient, resetServiceChannelTokenCache } from '../../connectors/servicechannel/client';
import {
  DEMO_SERVICECHANNEL_CLIENT as CLIENT,
  DEMO_SERVICECHANNEL_USER as USER,
  DEMO_SUBSCRIBER_IDS,
  DEMO_WORK_ORDER_IDS,
  demoServiceChannelData,
} from '../../connectors/servicechannel/demo-data';
import apiReference from '../../connectors/servicechannel/reference/api-v3.json';
import webhookReference from '../../connectors/servicechannel/reference/webhooks.json';
import { WorkOrderSchema } from '../../connectors/servicechannel/schemas';
import { type ServiceChannelExchange, type ServiceChannelSimulator, startServiceChannelSimulator } from '../../connectors/servicechannel/simulator';
import { SERVICECHANNEL_PERMISSIONS } from '../../connectors/servicechannel/schemas';
import { startWebhookReceiver, type WebhookReceiver } from '../simulators/helpers';

jest.setTimeout(60_000);

type Operation = { fieldbridge: string; parameters: Array<{ name: string; in: string; required?: boolean; type?: string }>; body?: object; responses: Record<string, object> };
const paths = apiReference.paths as unknown as Record<string, Record<string, Operation>>;

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('double', { type: 'number', validate: () => true });
ajv.addFormat('float', { type: 'number', validate: () => true });
ajv.addFormat('byte', () => true);
ajv.addSchema({ $id: 'api', definitions: apiReference.definitions });
ajv.addSchema({ $id: 'webhooks', definitions: webhookReference.definitions });

/** A schema of the reference (its $refs resolved in the api document). */
function apiValidator(schema: object): ValidateFunction {
  return ajv.compile({ $id: `api-op-${Math.random()}`, definitions: apiReference.definitions, ...schema });
}
const errorResponse = apiValidator({ $ref: '#/definitions/ErrorResponse' });

function problems(validate: ValidateFunction): string {
  return ajv.errorsText(validate.errors, { separator: '\n' });
}

/** The reference operation of an exchange: its path pattern (simulator `:id` -> the reference's `{...}`). */
function operationOf(x: ServiceChannelExchange): { path: string; op: Operation } {
  // The OData function route: the simulator serves it under `/v3/odata/*`.
  if (x.routeId === 'checkInActivity') {
    const path = '/odata/workorders({workorderId})/Service.CheckInActivity()';
    if (!/^\/v3\/odata\/workorders\(\d+\)\/Service\.CheckInActivity\(\)(\?|$)/.test(x.url)) throw new Error(`${x.method} ${x.url}: the client calls a route the reference does not have`);
    return { path, op: paths[path]![x.method.toLowerCase()]! };
  }
  const route = (x.route ?? '').replace(/^\/v3/, '');
  const candidates = Object.keys(paths).filter((p) => p.replace(/\{[^}]+\}/g, ':id') === route);
  const path = candidates.find((p) => paths[p]![x.method.toLowerCase()]);
  if (!path) throw new Error(`${x.method} ${x.route}: the client calls a route the reference does not have`);
  return { path, op: paths[path]![x.method.toLowerCase()]! };
}

/** Checks one exchange against the reference; returns a list of problems (empty: conforms). */
function check(x: ServiceChannelExchange): string[] {
  const out: string[] = [];
  const label = `${x.method} ${x.url} -> ${x.status}`;
  if (x.routeId === 'token') {
    const body = apiValidator(apiReference.token.body);
    if (!body(x.requestBody)) out.push(`${label}: token request: ${problems(body)}`);
    if (x.contentType?.split(';')[0] !== 'application/x-www-form-urlencoded') out.push(`${label}: token request is not form-encoded`);
    if (x.status === 200) {
      const res = apiValidator(apiReference.token.response);
      if (!res(x.responseBody)) out.push(`${label}: token answer: ${problems(res)}`);
    }
    return out;
  }
  const { path, op } = operationOf(x);
  // Query parameters: only those the reference declares.
  const declared = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of Object.keys(x.query)) if (!declared.has(name)) out.push(`${label}: query parameter ${name} is not in the reference's ${path}`);
  if (op.body !== undefined && x.status !== 401) {
    const body = apiValidator(op.body);
    if (!body(x.requestBody)) out.push(`${label}: request body: ${problems(body)}`);
  }
  const declaredStatus = op.responses[String(x.status)];
  if (declaredStatus === undefined && x.status !== 429 && x.status !== 503) out.push(`${label}: status ${x.status} is not among the reference's answers (${Object.keys(op.responses).join(', ')})`);
  if (x.status >= 400 && x.status !== 429) {
    if (!errorResponse(x.responseBody)) out.push(`${label}: error body is not an ErrorResponse: ${problems(errorResponse)}`);
  } else if (declaredStatus && Object.keys(declaredStatus).length > 0) {
    // /odata/workorders: the reference declares the entity array; the OData envelope's `value` holds it.
    const body = path.startsWith('/odata/') ? (x.responseBody as { value?: unknown }).value : x.responseBody;
    const res = apiValidator(declaredStatus);
    if (!res(body)) out.push(`${label}: answer: ${problems(res)}`);
  }
  return out;
}

describe('ServiceChannel contract (reference: Field-Advantage/ServiceChannel.Api Swagger, FieldAdv.ServiceChannel.Webhooks models)', () => {
  let sim: ServiceChannelSimulator;
  let exchanges: ServiceChannelExchange[];
  let receiver: WebhookReceiver | undefined;
  const clients: ServiceChannelClient[] = [];

  const start = async (options: Parameters<typeof startServiceChannelSimulator>[0] extends infer O ? Partial<O> : never = {}) => {
    exchanges = [];
    sim = await startServiceChannelSimulator({ clients: [CLIENT], users: [USER], seed: demoServiceChannelData, onExchange: (x) => exchanges.push(x), ...options });
  };
  const newClient = () => {
    const client = new ServiceChannelClient({ apiBaseUrl: sim.url, tokenUrl: sim.tokenUrl, ...CLIENT, ...USER, timeoutMs: 5000 });
    clients.push(client);
    return client;
  };
  async function failure(promise: Promise<unknown>): Promise<unknown> {
    try {
      await promise;
    } catch (err) {
      return err;
    }
    throw new Error('expected the call to fail');
  }

  beforeEach(() => resetServiceChannelTokenCache());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim?.close();
    await receiver?.close();
    receiver = undefined;
  });

  it("the reference's work order (Subscriber{}, Provider{}, LocationId 0, a Location without address) is read, and its location fetched", () => {
    const real = {
      Id: 90000777,
      Number: '1000777',
      Subscriber: { Id: 2014917243, Name: 'Northwind' },
      Provider: { Id: 2000081234, Name: 'FieldBridge Provider' },
      LocationId: 0,
      Location: { Id: 301012, StoreId: '1012', Name: 'Northwind Store #1012' },
      Status: { Primary: 'OPEN', Extended: '' },
      CallDate: '2026-11-20T09:00:00Z',
      Currency: { AlphabeticalCode: 'USD' },
    };
    expect(apiValidator({ $ref: '#/definitions/WorkOrder' })(real)).toBe(true);
    expect(WorkOrderSchema.parse(real)).toMatchObject({ SubscriberId: 2014917243, ProviderId: 2000081234, LocationId: 301012, Location: { Id: 301012, Address1: null } });
  });

  it('every request the client builds and every answer the simulator gives, on every route FieldBridge calls, conform to the reference', async () => {
    await start();
    const client = newClient();
    const wo = DEMO_WORK_ORDER_IDS.newHvac;
    await client.getWorkOrder(wo); // token, work order, location
    await client.getLocation(301012).catch(() => undefined);
    await client.updateStatus(wo, { primary: 'IN PROGRESS', extended: null, note: 'Dispatched' });
    await client.updateStatus(wo, { primary: 'IN PROGRESS', extended: 'DISPATCHED' });
    await client.addNote(wo, { note: 'Technician assigned', mailedTo: ['store@northwind.example'] });
    for (let i = 0; i < 12; i += 1) sim.state.addSubscriberNote(wo, { Note: `client note ${i}` }, { notify: false });
    await client.listNotes(wo);
    await client.checkIn(wo, { latitude: 35.84, longitude: -78.68, time: '2026-11-20T10:00:00Z', techsCount: 2 });
    await client.checkOut(wo, { latitude: 35.84, longitude: -78.68, time: '2026-11-20T11:00:00Z', resolution: 'Replaced contactor', primaryStatus: 'Completed' });
    await client.updateScheduledDate(wo, { scheduledDate: '2026-11-21T09:00:00Z' });
    await client.updateNte(wo, { nte: 750.5 });
    expect(await client.getCheckInActivity(wo)).toEqual([
      expect.objectContaining({ Action: 'CheckIn', Date: '2026-11-20T10:00:00.000Z' }),
      expect.objectContaining({ Action: 'CheckOut', Date: '2026-11-20T11:00:00.000Z' }),
    ]);
    await client.listWorkOrdersChangedSince(new Date('2026-01-01T00:00:00Z'), { subscription: { trades: ['HVAC', 'REFRIGERATION'], statuses: ['OPEN', 'IN PROGRESS', 'COMPLETED'] } });
    // Refusals: not found, permission (401/504), position missing (400/503), bad request.
    await failure(client.getWorkOrder(12345));
    await failure(client.listNotes(12345));
    await failure(client.getLocation(999));
    sim.state.setPermissions(DEMO_SUBSCRIBER_IDS.northwind, SERVICECHANNEL_PERMISSIONS.filter((p) => p !== 'IVR Check IN/OUT' && p !== 'Note Creation'));
    expect(await failure(client.addNote(wo, { note: 'refused' }))).toMatchObject({ type: PermanentErrorTypes.ProviderPermissionMissing });
    await failure(client.updateStatus(wo, { primary: 'INVOICED' }));
    // A Repair check-in without the position: a request the reference's CheckInRequest (required
    // Latitude, Longitude) does not take without the XML check-in/out permission, refused as the real API does.
    const mark = exchanges.length;
    expect(await failure(client.checkIn(wo, {}))).toMatchObject({ type: PermanentErrorTypes.InvalidRequest, details: { errorCodes: [503] } });
    const positionless = exchanges.splice(mark);
    expect(positionless.map((x) => [x.routeId, x.status])).toEqual([['checkIn', 400]]);
    expect(check(positionless[0]!).join('\n')).toMatch(/^.*request body: data must have required property 'Latitude'/);

    const routes = new Set(exchanges.map((x) => x.routeId));
    // Every route FieldBridge calls was exercised.
    expect([...routes].sort()).toEqual(['addNote', 'checkIn', 'checkInActivity', 'checkOut', 'getLocation', 'getWorkOrder', 'listNotes', 'listWorkOrders', 'token', 'updateNte', 'updateScheduledDate', 'updateStatus'].sort());
    expect(new Set(exchanges.map((x) => x.status))).toEqual(new Set([200, 201, 400, 401, 404]));
    const all = exchanges.flatMap(check);
    expect(all).toEqual([]);
  });

  it('a simulator answer the real API could not give fails the contract (the check is not vacuous)', () => {
    const base: ServiceChannelExchange = { routeId: 'getWorkOrder', method: 'GET', route: '/v3/workorders/:id', url: '/v3/workorders/1', query: {}, contentType: undefined, requestBody: undefined, status: 200, responseBody: {} };
    // Today's main: flat SubscriberId/ProviderId, CurrencyAlphabeticalCode, nulls.
    expect(check({ ...base, responseBody: { Id: 1, Number: '1', SubscriberId: 2, ProviderId: 3, LocationId: 4, Status: { Primary: 'OPEN', Extended: null } } }).join('\n')).toMatch(/SubscriberId|must be string/);
    expect(check({ ...base, status: 403, responseBody: { Message: 'x', ErrorCodes: [{ Code: 504 }] } }).length).toBeGreaterThan(0);
    expect(check({ ...base, routeId: 'listNotes', route: '/v3/workorders/:id/notes', responseBody: [{ Id: 1, NoteData: 'x', CreatedByProvider: true }] }).length).toBeGreaterThan(0);
    expect(check({ ...base, routeId: 'updateStatus', method: 'PUT', route: '/v3/workorders/:id/status', requestBody: { Status: { Primary: 'OPEN', Extended: null } }, responseBody: { id: 1 } }).length).toBeGreaterThan(0);
    expect(check({ ...base, routeId: 'checkIn', method: 'POST', route: '/v3/workorders/:id/universalCheckIn', requestBody: { CheckInTime: '2026-01-01T00:00:00Z' }, responseBody: { MechanicId: 1 } }).length).toBeGreaterThan(0);
    expect(() => check({ ...base, route: '/v3/workorders/:id/checkin' })).toThrow('does not have');
    const activity = { ...base, routeId: 'checkInActivity', route: '/v3/odata/*', url: '/v3/odata/workorders(1)/Service.CheckInActivity()' };
    expect(check({ ...activity, responseBody: { value: [{ Id: 1, Date: '2026-01-01T00:00:00Z', Action: 'CheckIn' }] } })).toEqual([]);
    expect(check({ ...activity, responseBody: { value: [{ Id: 1, Date: '2026-01-01T00:00:00Z', Action: 'CheckIn', CheckInTime: 'x' }] } }).length).toBeGreaterThan(0);
  });

  it('every webhook body the simulator sends conforms to the event models (work order events: WorkOrderObject; check-in/out: CheckInAndOutObject with WorkOrderId)', async () => {
    receiver = await startWebhookReceiver();
    await start({ webhook: { url: receiver.url, key: 'contract-key-0123456789' }, webhookRetryDelaysMs: [20] });
    const wo = DEMO_WORK_ORDER_IDS.newHvac;
    const client = newClient();
    sim.state.patchWorkOrder(wo, { Nte: 450, ScheduledDate: '2026-12-10T10:00:00Z', Status: { Primary: 'ON HOLD' } });
    sim.state.addSubscriberNote(wo, { Note: 'Use the back door', CreatedBy: 'Dana' });
    await client.addNote(wo, { note: 'On our way' });
    await client.checkIn(wo, { latitude: 35.84, longitude: -78.68 });
    await client.checkOut(wo, { latitude: 35.84, longitude: -78.68, resolution: 'done' });
    sim.state.createWorkOrder({ SubscriberId: DEMO_SUBSCRIBER_IDS.northwind, LocationId: 301012, Trade: 'HVAC' });
    const got = await receiver.waitFor(8);
    await sim.webhooks.idle();
    const events = webhookReference.events as Record<string, string>;
    const seen = new Set<string>();
    for (const w of got) {
      const body: unknown = JSON.parse(w.rawBody);
      const eventType = (body as { EventType: string }).EventType;
      seen.add(eventType);
      const model = events[eventType];
      expect(model).toBeDefined();
      const validate = ajv.compile({ $id: `wh-${Math.random()}`, definitions: webhookReference.definitions, $ref: `#/definitions/${model}` });
      if (!validate(body)) throw new Error(`${eventType}: ${problems(validate)}\n${w.rawBody}`);
    }
    expect([...seen].sort()).toEqual(Object.keys(events).sort());
  });
});
