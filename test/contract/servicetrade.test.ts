/**
 * ServiceTrade contract: every request the client builds and every answer and webhook the simulator
 * produces, for every ServiceTrade route FieldBridge calls, validated with ajv against the reference
 * facts kept as data in connectors/servicetrade/reference/ (each schema names its source). A drift of
 * the client or of the simulator from the reference fails here, whichever of the two moved.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ServiceTradeClient } from '../../connectors/servicetrade/client';
import { demoServiceTradeData } from '../../connectors/servicetrade/demo-data';
import { SERVICETRADE_ROUTE_IDS, startServiceTradeSimulator, type ServiceTradeSimulator } from '../../connectors/servicetrade/simulator';
import type { ApiExchange } from '../../connectors/servicetrade/simulator-state';
import { testJob } from '../helpers/job-sync';

const CLIENT = { clientId: 'fieldbridge-worker', clientSecret: 'very-secret-st-client-secret' };
const dir = join(__dirname, '..', '..', 'connectors', 'servicetrade', 'reference');

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
addFormats(ajv);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) ajv.addSchema(JSON.parse(readFileSync(join(dir, file), 'utf8')));
const schema = (name: string): ValidateFunction => ajv.getSchema(`servicetrade/${name}.schema.json`)!;

/** Per route FieldBridge calls (as the simulator registers it): the reference for the request and for the answer's `data`. */
const CONTRACT: Record<string, { routeId: (typeof SERVICETRADE_ROUTE_IDS)[number]; query?: string; body?: string; params?: string; data?: string; bare?: string }> = {
  'POST /api/oauth2/token': { routeId: 'token', body: 'token-request', bare: 'token-response' },
  'GET /api/job/:id': { routeId: 'getJob', data: 'job' },
  'GET /api/job': { routeId: 'listJobs', query: 'job-list-query', data: 'job-list' },
  'GET /api/location/:id': { routeId: 'getLocation', data: 'location' },
  'GET /api/company/:id': { routeId: 'getCompany', data: 'company' },
  'GET /api/servicerequest': { routeId: 'listServiceRequests', query: 'job-children-query', data: 'servicerequest-list' },
  'GET /api/jobitem': { routeId: 'listJobItems', query: 'job-children-query', data: 'jobitem-list' },
  'POST /api/externalid/:entityType/:entityId/:system': { routeId: 'setExternalId', params: 'external-id-write' },
};

function expectValid(validate: ValidateFunction, value: unknown, what: string): void {
  const ok = validate(value);
  if (!ok) throw new Error(`${what} does not follow ${validate.schema && (validate.schema as { $id?: string }).$id}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}

function checkExchange(x: ApiExchange): void {
  const key = `${x.method} ${x.route}`;
  const contract = CONTRACT[key];
  if (!contract) throw new Error(`${key} has no contract in this test: add its reference schema`);
  const what = `${key} (${x.status})`;
  if (contract.query) expectValid(schema(contract.query), x.query, `${what} query`);
  if (contract.body) {
    expect(x.contentType).toMatch(/^application\/json/);
    expectValid(schema(contract.body), x.body, `${what} body`);
  }
  if (contract.params) expectValid(schema(contract.params), { params: x.params, body: x.body }, `${what} path and body`);
  const answer: unknown = JSON.parse(x.response ?? 'null');
  if (contract.bare && x.status === 200) {
    expectValid(schema(contract.bare), answer, `${what} answer`);
    return;
  }
  expectValid(schema('envelope'), answer, `${what} envelope`);
  if (contract.data && x.status === 200) expectValid(schema(contract.data), (answer as { data: unknown }).data, `${what} data`);
  if (x.status >= 400) expect((answer as { messages: { error: string[] } }).messages.error.length).toBeGreaterThan(0);
}

describe('ServiceTrade contract (client requests, simulator answers and webhooks vs connectors/servicetrade/reference)', () => {
  let sim: ServiceTradeSimulator;
  let client: ServiceTradeClient;

  beforeAll(async () => {
    sim = await startServiceTradeSimulator({ clients: [CLIENT], seed: demoServiceTradeData, pageSize: 1 });
    client = new ServiceTradeClient({ baseUrl: sim.url, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, timeoutMs: 5000 });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  it('every route FieldBridge calls, on success and on refusal, follows the reference both ways', async () => {
    const job = await client.getJob(4001);
    await client.getCompany(job.customer.id);
    await client.getLocation(job.location.id);
    await client.listJobServices(4001);
    await client.listJobItems(4001);
    await client.listJobs({ updatedAfter: 0 });
    await client.listJobsPage({ updatedAfter: 0, status: 'scheduled' }, 1);
    await client.setExternalId({ type: 'job', id: 4001 }, 'spectrum', 'S7001');
    await client.setExternalId({ type: 'job', id: 4001 }, 'spectrum', 'S7001');
    await client.setExternalId({ type: 'location', id: 2002 }, 'spectrum', 'S2000');
    // Refusals: the answer is still the envelope, with the reason in messages.error.
    await expect(client.setExternalId({ type: 'company', id: 1002 }, 'spectrum', 'C1000')).rejects.toThrow(/already used/);
    await expect(client.getJob(999_999)).rejects.toThrow(/does not exist/);
    await client.getJob(4001); // job reads back with its external id (one string per system)

    const exchanges = sim.state.apiExchanges;
    for (const x of exchanges) checkExchange(x);
    // Every ServiceTrade route the simulator serves to FieldBridge was exercised and checked.
    const routeIds = new Set(exchanges.map((x) => CONTRACT[`${x.method} ${x.route}`].routeId));
    expect([...routeIds].sort()).toEqual([...SERVICETRADE_ROUTE_IDS].sort());
    expect(exchanges.some((x) => x.route === '/api/job' && x.query.page === '2')).toBe(true);
  });

  it('every webhook the simulator sends follows the reference', async () => {
    const before = sim.state.webhookDeliveries.length;
    const created = sim.state.createJob(testJob(90_001));
    sim.state.patchJob(created.id, { status: 'scheduled' });
    sim.state.patchLocation(2002, { name: 'Harbor Point Tower (east)' });
    sim.state.patchCompany(1002, { name: 'Harbor Point Properties' });
    const messages = sim.state.webhookDeliveries.slice(before).map((d) => d.message);
    expect(messages.length).toBeGreaterThanOrEqual(4);
    for (const m of messages) expectValid(schema('webhook'), m, `webhook ${m.messageId}`);
  });

  it('the reference refuses the shapes FieldBridge used before (lists of ids per system, the entity in the write body)', () => {
    expect(schema('external-ids')({ spectrum: ['S1'] })).toBe(false);
    expect(schema('external-ids')({ Spectrum: 'S1' })).toBe(false);
    expect(schema('external-id-write')({ params: {}, body: { entityType: 'job', entityId: 1, system: 'spectrum', value: 'S1' } })).toBe(false);
    expect(schema('job-list-query')({ updatedAfter: '0' })).toBe(false);
    expect(schema('token-request')({ grant_type: 'client_credentials' })).toBe(false);
  });
});
