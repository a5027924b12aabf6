import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceTradeWebhookSchema } from '../../connectors/servicetrade/schemas';
import { type ServiceTradeSimulator, startServiceTradeSimulator } from '../../connectors/servicetrade/simulator';
import { demoServiceTradeData, demoSpectrumReferences } from '../../connectors/servicetrade/demo-data';
import type { WebhookDelivery } from '../../connectors/servicetrade/simulator-webhooks';
import { call, startWebhookReceiver, type WebhookReceiver } from './helpers';

const CLIENT = { clientId: 'fieldbridge', clientSecret: 'st-test-secret' };

async function tokenFor(sim: ServiceTradeSimulator): Promise<Record<string, string>> {
  const res = await call(`${sim.url}/oauth2/token`, { method: 'POST', body: { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret } });
  expect(res.status).toBe(200);
  return { authorization: `Bearer ${res.json.access_token}` };
}

async function until<T>(read: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once the delivery has settled (delivered or failed). */
const settled = (sim: ServiceTradeSimulator, index: number) =>
  until<WebhookDelivery>(() => {
    const d = sim.state.webhookDeliveries[index];
    return d && d.status !== 'pending' ? d : undefined;
  }, `delivery ${index} to settle`, 10_000);

describe('ServiceTrade simulator: API', () => {
  let sim: ServiceTradeSimulator;

  beforeEach(async () => {
    sim = await startServiceTradeSimulator({ clients: [CLIENT], seed: demoServiceTradeData, pageSize: 2 });
  });
  afterEach(() => sim.close());

  it('url is the API base ending in /api; the token answer is a JWT whose exp is expires_in away', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
    const res = await call(`${sim.url}/oauth2/token`, { method: 'POST', body: { grant_type: 'client_credentials', ...{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret } } });
    expect(res.json).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    const claims = JSON.parse(Buffer.from(res.json.access_token.split('.')[1], 'base64url').toString('utf8'));
    expect(claims.exp - Math.floor(Date.now() / 1000)).toBeGreaterThan(3590);
    expect(sim.state.tokenRequests).toBe(1);
  });

  it('takes the client credentials as a form too, and refuses a wrong secret (401) or grant type (400), counting every request', async () => {
    const form = await call(`${sim.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }).toString(),
    });
    expect(form.status).toBe(200);
    const wrong = await call(`${sim.url}/oauth2/token`, { method: 'POST', body: { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: 'nope' } });
    expect(wrong).toMatchObject({ status: 401, json: { messages: { error: ['Invalid client credentials'] }, error: 'invalid_client' } });
    const grant = await call(`${sim.url}/oauth2/token`, { method: 'POST', body: { grant_type: 'password' } });
    expect(grant.status).toBe(400);
    expect(sim.state.tokenRequests).toBe(3);
    expect(sim.state.tokensIssued).toBe(1);
  });

  it('refuses API calls without a token, with a forged one, or once tokens are expired (401, envelope)', async () => {
    const auth = await tokenFor(sim);
    expect((await call(`${sim.url}/job/4001`)).status).toBe(401);
    const forged = auth.authorization.slice(0, -3) + 'abc';
    expect((await call(`${sim.url}/job/4001`, { headers: { authorization: forged } })).status).toBe(401);
    expect((await call(`${sim.url}/job/4001`, { headers: auth })).status).toBe(200);
    expect((await call(`${sim.rootUrl}/__admin/tokens/expire`, { method: 'POST' })).status).toBe(204);
    const expired = await call(`${sim.url}/job/4001`, { headers: auth });
    expect(expired).toMatchObject({ status: 401, json: { messages: { error: ['Access token expired'] }, data: null } });
    expect((await call(`${sim.url}/job/4001`, { headers: await tokenFor(sim) })).status).toBe(200);
  });

  it('expires a token after tokenTtlSeconds', async () => {
    await sim.close();
    sim = await startServiceTradeSimulator({ clients: [CLIENT], seed: demoServiceTradeData, tokenTtlSeconds: 1 });
    const auth = await tokenFor(sim);
    expect((await call(`${sim.url}/company/1001`, { headers: auth })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await call(`${sim.url}/company/1001`, { headers: auth })).status).toBe(401);
  });

  it('answers a job in the envelope with ServiceTrade field names and Unix seconds', async () => {
    const res = await call(`${sim.url}/job/4001`, { headers: await tokenFor(sim) });
    expect(res.json.messages).toEqual({ success: [], error: [], warning: [] });
    expect(res.json.data).toMatchObject({
      id: 4001,
      uri: `${sim.url}/job/4001`,
      number: '7001',
      type: 'repair',
      customer: { id: 1001, name: 'Northwind Facilities Inc.', status: 'active' },
      location: { id: 2001, name: 'Northwind HQ', refNumber: 'NW-HQ', address: { city: 'Raleigh', postalCode: '27601' } },
      created: 1_767_603_600,
      customerPo: 'PO-88123',
    });
  });

  it('answers 404 in the envelope for an unknown job, location or company', async () => {
    const auth = await tokenFor(sim);
    for (const path of ['/job/999', '/location/999', '/company/999']) {
      const res = await call(`${sim.url}${path}`, { headers: auth });
      expect(res.status).toBe(404);
      expect(res.json.messages.error[0]).toMatch(/999 not found/);
    }
  });

  it('pages job items with page and totalPages', async () => {
    const auth = await tokenFor(sim);
    const pages = await Promise.all([1, 2, 3, 4].map((page) => call(`${sim.url}/jobitem?jobId=4001&page=${page}`, { headers: auth })));
    expect(pages.map((p) => p.json.data.jobItems.map((i: { id: number }) => i.id))).toEqual([[5001, 5002], [5003, 5004], [5005], []]);
    expect(pages[0].json.data).toMatchObject({ page: 1, totalPages: 3, total: 5 });
    expect(pages[2].json.data.jobItems[0]).toMatchObject({ name: 'Condensate pan tablets', libItem: null });
    expect(pages[0].json.data.jobItems[0].libItem).toEqual({ id: 501, code: 'FILTER-20', name: 'Air filter 20x20x1', type: null });
    const services = await call(`${sim.url}/servicerequest?jobId=4002`, { headers: auth });
    expect(services.json.data.serviceRequests).toEqual([{ id: 6002, description: 'Annual sprinkler inspection', serviceLine: { id: 13, name: 'Fire Protection', abbr: 'FIRE' } }]);
    expect((await call(`${sim.url}/jobitem`, { headers: auth })).status).toBe(400);
  });

  it('filters the job list', async () => {
    const auth = await tokenFor(sim);
    const res = await call(`${sim.url}/job?locationId=2002&limit=10`, { headers: auth });
    expect(res.json.data.jobs.map((j: { id: number }) => j.id)).toEqual([4002]);
    const bad = await call(`${sim.url}/job?colour=red`, { headers: auth });
    expect(bad.status).toBe(400);
  });

  describe('external ids', () => {
    /** `POST /externalid/{entityType}/{entityId}/{system}` with `{value}`: one id per entity and system. */
    const write = (auth: Record<string, string>, { entityType, entityId, system, value }: { entityType: string; entityId: number; system: string; value: string }) =>
      call(`${sim.url}/externalid/${entityType}/${entityId}/${encodeURIComponent(system)}`, { method: 'POST', headers: auth, body: { value } });

    it('replaces the id of the system (one string per system), and accepts the same write again unchanged', async () => {
      const auth = await tokenFor(sim);
      expect((await write(auth, { entityType: 'job', entityId: 4001, system: 'spectrum', value: 'S1' })).status).toBe(200);
      expect((await write(auth, { entityType: 'job', entityId: 4001, system: 'spectrum', value: 'S2' })).status).toBe(200);
      expect((await call(`${sim.url}/job/4001`, { headers: auth })).json.data.externalIds).toEqual({ spectrum: 'S2' });
      // The old body shape (entity and system in the body) is not the API's.
      const old = await call(`${sim.url}/externalid`, { method: 'POST', headers: auth, body: { entityType: 'job', entityId: 4001, system: 'spectrum', value: 'S3' } });
      expect(old.status).toBe(404);
    });

    it('adds an id, reads it back on the entity, and accepts the same write again unchanged', async () => {
      const auth = await tokenFor(sim);
      const first = await write(auth, { entityType: 'job', entityId: 4001, system: 'spectrum', value: 'S7001' });
      expect(first).toMatchObject({ status: 200, json: { data: { externalIds: { spectrum: 'S7001' } } } });
      const again = await write(auth, { entityType: 'job', entityId: 4001, system: 'spectrum', value: 'S7001' });
      expect(again.status).toBe(200);
      expect(again.json.messages.success[0]).toMatch(/already set/);
      expect((await call(`${sim.url}/job/4001`, { headers: auth })).json.data.externalIds).toEqual({ spectrum: 'S7001' });
    });

    it('refuses an id another entity of the same type holds under that system (400 with the reason), not one of another type', async () => {
      const auth = await tokenFor(sim);
      const taken = await write(auth, { entityType: 'location', entityId: 2002, system: 'spectrum', value: 'S1000' });
      expect(taken.status).toBe(400);
      expect(taken.json.messages.error[0]).toBe('External id "S1000" of system "spectrum" is already used by location 2001; external ids are unique per external system');
      expect(sim.state.location(2002)?.externalIds).toEqual({});
      const otherSystem = await write(auth, { entityType: 'location', entityId: 2002, system: 'quickbooks', value: 'S1000' });
      expect(otherSystem.status).toBe(200);
      const otherType = await write(auth, { entityType: 'job', entityId: 4002, system: 'spectrum', value: 'S1000' });
      expect(otherType.status).toBe(200);
    });

    it('validates the system name and the entity', async () => {
      const auth = await tokenFor(sim);
      for (const system of ['Spectrum', '1spectrum', 'spec-trum']) {
        const res = await write(auth, { entityType: 'job', entityId: 4001, system, value: 'X' });
        expect(res.status).toBe(400);
        expect(res.json.messages.error[0]).toMatch(/system/);
      }
      expect((await write(auth, { entityType: 'job', entityId: 9999, system: 'spectrum', value: 'X' })).status).toBe(404);
      expect((await write(auth, { entityType: 'asset', entityId: 1, system: 'spectrum', value: 'X' })).status).toBe(400);
    });
  });

  it('answers injected faults in the envelope, admin routes never faulted', async () => {
    const auth = await tokenFor(sim);
    const put = await call(`${sim.rootUrl}/__admin/faults`, { method: 'PUT', body: { errorRate: 1, errorStatus: 503, routes: ['getJob'], count: 1 } });
    expect(put.status).toBe(200);
    const res = await call(`${sim.url}/job/4001`, { headers: auth });
    expect(res).toMatchObject({ status: 503, json: { messages: { error: ['Injected fault: HTTP 503'] }, data: null } });
    expect((await call(`${sim.url}/job/4001`, { headers: auth })).status).toBe(200);
    expect((await call(`${sim.rootUrl}/__admin/faults`, { method: 'PUT', body: { routes: ['nope'], errorRate: 1 } })).status).toBe(400);
  });

  it('admin: state, seed and reset', async () => {
    const state = await call(`${sim.rootUrl}/__admin/state`);
    expect(state.json.jobs.map((j: { id: number }) => j.id)).toEqual([4001, 4002]);
    expect(state.json.jobs[0].items).toHaveLength(5);
    expect((await call(`${sim.rootUrl}/__admin/reset`, { method: 'POST' })).status).toBe(204);
    expect((await call(`${sim.rootUrl}/__admin/state`)).json.jobs).toEqual([]);
    expect((await call(`${sim.rootUrl}/__admin/seed`, { method: 'POST', body: { companies: [{ id: 1, name: 'X', externalIds: { 'Bad Name': ['1'] } }] } })).status).toBe(400);
    expect((await call(`${sim.rootUrl}/__admin/seed`, { method: 'POST', body: demoServiceTradeData })).status).toBe(204);
    expect((await call(`${sim.rootUrl}/__admin/jobs/4002`)).json).toMatchObject({ id: 4002, location: { id: 2002 }, externalIds: {} });
    expect((await call(`${sim.rootUrl}/__admin/seed`, { method: 'POST', body: { jobs: [{ id: 4002, number: '7002', locationId: 2001, type: 'repair' }] } })).status).toBe(204);
    expect((await call(`${sim.rootUrl}/__admin/jobs/4002`)).json).toMatchObject({ id: 4002, location: { id: 2001 }, type: 'repair' });
    expect(sim.state.webhookDeliveries).toEqual([]);
  });
});

describe('ServiceTrade demo data', () => {
  it('maps job 4001 fully to the Spectrum references and leaves job 4002\'s location without a site code', async () => {
    const sim = await startServiceTradeSimulator({ clients: [CLIENT], seed: demoServiceTradeData });
    try {
      const system = demoSpectrumReferences.externalSystemName;
      const customerCodes = demoSpectrumReferences.customers.map((c) => c.code);
      const siteByCode = new Map(demoSpectrumReferences.sites.map((s) => [s.code, s]));
      const job = sim.state.job(4001)!;
      const company = sim.state.company(job.customer.id)!;
      const location = sim.state.location(job.location.id)!;
      expect(customerCodes).toContain(company.externalIds[system]);
      expect(siteByCode.get(location.externalIds[system])?.customerCode).toBe(company.externalIds[system]);
      const items = sim.state.items(4001);
      expect(items).toHaveLength(5);
      expect(items.filter((i) => i.libItem === null)).toHaveLength(1);
      for (const item of items) if (item.libItem) expect(demoSpectrumReferences.itemCodes).toContain(item.libItem.code);
      expect(sim.state.services(4001)).toHaveLength(1);

      const unmapped = sim.state.job(4002)!;
      expect(sim.state.location(unmapped.location.id)!.externalIds[system]).toBeUndefined();
      expect(customerCodes).toContain(sim.state.company(unmapped.customer.id)!.externalIds[system]);
      // S2000 belongs to that customer in Spectrum and is still free in ServiceTrade: the fix is possible.
      expect(siteByCode.get('S2000')?.customerCode).toBe(sim.state.company(unmapped.customer.id)!.externalIds[system]);
      expect(() => sim.state.patchLocation(unmapped.location.id, { externalIds: { [system]: 'S2000' } }, { notify: false })).not.toThrow();
    } finally {
      await sim.close();
    }
  });
});

describe('ServiceTrade simulator: webhooks', () => {
  let sim: ServiceTradeSimulator | undefined;
  let receiver: WebhookReceiver | undefined;

  afterEach(async () => {
    await sim?.close();
    await receiver?.close();
    sim = undefined;
    receiver = undefined;
  });

  const start = async (statuses: number[] = [], extra: Partial<Parameters<typeof startServiceTradeSimulator>[0]> = {}) => {
    receiver = await startWebhookReceiver(statuses);
    const hookUrl = receiver.url.replace('/webhooks/app4sales', '/webhooks/servicetrade/secret-token-in-the-path');
    sim = await startServiceTradeSimulator({ clients: [CLIENT], seed: demoServiceTradeData, webhook: { hookUrl }, webhookRetryDelaysMs: [10, 10], ...extra });
    return sim;
  };

  it('admin: fixing a location mapping sends `location updated` with ids only and no signature, to the hook URL', async () => {
    const s = await start();
    const res = await call(`${s.rootUrl}/__admin/locations/2002`, { method: 'PATCH', body: { externalIds: { spectrum: 'S2000' } } });
    expect(res).toMatchObject({ status: 200, json: { id: 2002, externalIds: { spectrum: 'S2000' } } });
    const [hook] = await receiver!.waitFor(1);
    const body = JSON.parse(hook.rawBody);
    expect(body).toEqual({
      messageId: expect.any(String),
      timestamp: expect.stringMatching(/^\d+$/),
      data: [{ action: 'updated', timestamp: expect.any(Number), userId: 1, entity: { type: 'location', id: 2002, uri: `${s.url}/location/2002` } }],
    });
    expect(hook.rawBody).not.toContain('Harbor');
    expect(Object.keys(hook.headers).filter((h) => /signature|x-servicetrade/i.test(h))).toEqual([]);
    const parsed = ServiceTradeWebhookSchema.parse(body);
    expect(parsed.timestamp).toBe(Number(body.timestamp));
    expect((await settled(s, 0))).toMatchObject({ status: 'delivered', attempts: 1, responseStatus: 200 });
  });

  it('admin: a new job sends `job created`; items added or removed send `job updated`; notify=false sends nothing', async () => {
    const s = await start();
    const created = await call(`${s.rootUrl}/__admin/jobs`, {
      method: 'POST',
      body: { locationId: 2001, type: 'repair', services: [{ serviceLineId: 11 }], items: [{ libItemId: 501, quantity: 2 }] },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ number: '7003', customer: { id: 1001 }, items: [{ libItem: { code: 'FILTER-20' }, quantity: 2 }] });
    const jobId: number = created.json.id;
    const changed = await call(`${s.rootUrl}/__admin/jobs/${jobId}/items`, { method: 'POST', body: { add: [{ name: 'Ladder rental', quantity: 1 }], remove: [created.json.items[0].id] } });
    expect(changed.json.items).toMatchObject([{ name: 'Ladder rental', libItem: null }]);
    await call(`${s.rootUrl}/__admin/companies/1001?notify=false`, { method: 'PATCH', body: { name: 'Northwind Facilities' } });
    await call(`${s.rootUrl}/__admin/companies/1002`, { method: 'PATCH', body: { externalIds: { spectrum: 'C2001' } } });
    const hooks = await receiver!.waitFor(3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hooks).toHaveLength(3);
    const events = hooks.map((h) => JSON.parse(h.rawBody).data[0]);
    expect(events.map((e) => [e.action, e.entity.type, e.entity.id])).toEqual([
      ['created', 'job', jobId],
      ['updated', 'job', jobId],
      ['updated', 'company', 1002],
    ]);
  });

  it('refuses a mapping fix that takes another record\'s code (400), sending nothing', async () => {
    const s = await start();
    const res = await call(`${s.rootUrl}/__admin/locations/2002`, { method: 'PATCH', body: { externalIds: { spectrum: 'S1000' } } });
    expect(res.status).toBe(400);
    expect(res.json.messages.error[0]).toMatch(/already used by location 2001/);
    expect(s.state.webhookDeliveries).toEqual([]);
  });

  it('state methods send the same webhooks in process', async () => {
    const s = await start();
    s.state.patchLocation(2002, { externalIds: { spectrum: 'S2000' } });
    const [hook] = await receiver!.waitFor(1);
    expect(JSON.parse(hook.rawBody).data[0].entity).toMatchObject({ type: 'location', id: 2002 });
  });

  it('counts any 4xx as delivered (no retry)', async () => {
    const s = await start([404]);
    s.state.patchCompany(1001, { status: 'inactive' });
    expect(await settled(s, 0)).toMatchObject({ status: 'delivered', attempts: 1, responseStatus: 404 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver!.received).toHaveLength(1);
  });

  it('retries a 5xx, at most 3 attempts in all', async () => {
    const s = await start([500, 502, 503, 500]);
    s.state.patchCompany(1001, { status: 'inactive' });
    expect(await settled(s, 0)).toMatchObject({ status: 'failed', attempts: 3, responseStatus: 503, error: 'HTTP 503' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver!.received).toHaveLength(3);
    const ids = new Set(receiver!.received.map((r) => JSON.parse(r.rawBody).messageId));
    expect(ids.size).toBe(1);
  });

  it('delivers on a later attempt after a 5xx', async () => {
    const s = await start([500]);
    s.state.patchCompany(1001, { status: 'inactive' });
    expect(await settled(s, 0)).toMatchObject({ status: 'delivered', attempts: 2, responseStatus: 200 });
  });

  describe('timeout', () => {
    let hanging: { url: string; hits: number; answerFrom: number; close(): Promise<void> };

    beforeEach(async () => {
      const pending: ServerResponse[] = [];
      const state = { hits: 0, answerFrom: Infinity };
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        state.hits += 1;
        req.resume();
        if (state.hits >= state.answerFrom) res.end();
        else pending.push(res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      hanging = {
        url: `http://127.0.0.1:${port}/webhooks/servicetrade/token`,
        get hits() {
          return state.hits;
        },
        set answerFrom(n: number) {
          state.answerFrom = n;
        },
        get answerFrom() {
          return state.answerFrom;
        },
        close: () =>
          new Promise<void>((resolve) => {
            pending.forEach((r) => r.destroy());
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    });
    afterEach(() => hanging.close());

    it('gives up an attempt after webhookTimeoutMs and stops after 3 attempts', async () => {
      sim = await startServiceTradeSimulator({ clients: [CLIENT], seed: demoServiceTradeData, webhook: { hookUrl: hanging.url }, webhookTimeoutMs: 300, webhookRetryDelaysMs: [10, 10] });
      sim.state.patchLocation(2001, { name: 'Northwind HQ (main)' });
      const delivery = await settled(sim, 0);
      expect(delivery).toMatchObject({ status: 'failed', attempts: 3, error: 'no answer within 300 ms' });
      for (const attempt of delivery.attemptLog) {
        expect(attempt.durationMs).toBeGreaterThanOrEqual(250);
        expect(attempt.durationMs).toBeLessThan(2000);
      }
      expect(hanging.hits).toBe(3);
    });

    it('delivers on the attempt after one that timed out', async () => {
      hanging.answerFrom = 2;
      sim = await startServiceTradeSimulator({ clients: [CLIENT], seed: demoServiceTradeData, webhook: { hookUrl: hanging.url }, webhookTimeoutMs: 300, webhookRetryDelaysMs: [10, 10] });
      sim.state.patchLocation(2001, { name: 'Northwind HQ (main)' });
      expect(await settled(sim, 0)).toMatchObject({ status: 'delivered', attempts: 2, responseStatus: 200 });
    });

    it('waits 5 s per attempt by default', async () => {
      sim = await startServiceTradeSimulator({ clients: [CLIENT], seed: demoServiceTradeData, webhook: { hookUrl: hanging.url }, webhookRetryDelaysMs: [10, 10] });
      sim.state.patchLocation(2001, { name: 'Northwind HQ (main)' });
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(sim.state.webhookDeliveries[0]).toMatchObject({ status: 'pending', attempts: 1 });
      const delivery = await until(() => (sim!.state.webhookDeliveries[0].attempts === 2 ? sim!.state.webhookDeliveries[0] : undefined), 'second attempt', 3000);
      expect(delivery.attemptLog[0]).toMatchObject({ error: 'no answer within 5000 ms' });
    }, 15_000);
  });

  it('logs changes as skipped when no hook URL is set', async () => {
    sim = await startServiceTradeSimulator({ clients: [CLIENT], seed: demoServiceTradeData });
    sim.state.patchCompany(1001, { status: 'inactive' });
    expect(sim.state.webhookDeliveries).toMatchObject([{ status: 'skipped', attempts: 0 }]);
  });
});
