import { App4SalesClient } from '../../connectors/app4sales/client';
import { CustomerChangedEventSchema, CustomerListSchema, CustomerSchema, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../connectors/app4sales/schemas';
import { PermanentError } from '../../common/errors';
import { signWebhook, verifyWebhookSignature } from '../../connectors/app4sales/signature';
import { type App4SalesSimulator, startApp4SalesSimulator } from '../../connectors/app4sales/simulator';
import { demoApp4SalesData } from '../../connectors/app4sales/demo-data';
import { call, startWebhookReceiver, type WebhookReceiver } from './helpers';

const API_KEY = 'test-api-key';
const SECRET = 'test-webhook-secret';
const AUTH = { authorization: `Bearer ${API_KEY}` };

const acme = {
  Id: 'C-1',
  CustomerName: 'Acme AS',
  Email: 'post@acme.example',
  ContactPersons: [{ Id: 'P-1', FirstName: 'Kari', LastName: 'Nordmann' }],
  VisitAddress: { AddressLine1: 'Gate 1', City: 'Oslo', Country: 'NO' },
  Username: 'anna',
  UsesPriceField: 'PL-NOK',
};

describe('webhook signature helpers', () => {
  const body = '{"EventId":"e1"}';
  const now = 1_700_000_000;
  const timestamp = String(now);
  const header = signWebhook(SECRET, timestamp, body);

  it('signs sha256=<hex> and verifies the same bytes, as string or Buffer', () => {
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, timestamp, body, header, 300, now)).toBe(true);
    expect(verifyWebhookSignature(SECRET, timestamp, Buffer.from(body), header.toUpperCase().replace('SHA256=', 'sha256='), 300, now)).toBe(true);
  });

  it('rejects timestamps outside the tolerance, either way', () => {
    expect(verifyWebhookSignature(SECRET, timestamp, body, header, 300, now + 300)).toBe(true);
    expect(verifyWebhookSignature(SECRET, timestamp, body, header, 300, now + 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, header, 300, now - 301)).toBe(false);
  });

  it('rejects a tampered timestamp, missing or malformed headers', () => {
    expect(verifyWebhookSignature(SECRET, String(now + 1), body, header, 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, undefined, body, header, 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, '12.5', body, header, 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, undefined, 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, [header, header], 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, header.slice(7), 300, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, header.slice(0, -2), 300, now)).toBe(false);
  });
});

describe('App4Sales simulator', () => {
  let sim: App4SalesSimulator;
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    sim = await startApp4SalesSimulator({
      port: 0,
      apiKey: API_KEY,
      webhook: { url: receiver.url, secret: SECRET },
      webhookRetryDelaysMs: [20, 50],
    });
  });

  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  const api = (path: string) => `${sim.url}/api/v1${path}`;
  const admin = (path: string) => `${sim.url}/__admin${path}`;
  const seedAcme = () => call(admin('/customers?notify=false'), { method: 'POST', body: acme });

  describe('authentication', () => {
    it('rejects a missing or wrong bearer key with 401 and a Message', async () => {
      await seedAcme();
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: API_KEY }];
      for (const headers of attempts) {
        const res = await call(api('/customers/C-1'), { headers });
        expect(res.status).toBe(401);
        expect(res.json).toEqual({ Message: expect.stringContaining('denied') });
      }
    });

    it('needs no key on admin routes', async () => {
      expect((await seedAcme()).status).toBe(201);
      expect((await call(admin('/customers/C-1'))).status).toBe(200);
    });
  });

  describe('GET /api/v1/customers/:id', () => {
    it('returns the customer in CustomerSchema shape', async () => {
      await seedAcme();
      const res = await call(api('/customers/C-1'), { headers: AUTH });
      expect(res.status).toBe(200);
      expect(CustomerSchema.parse(res.json)).toEqual(res.json);
      expect(res.json).toMatchObject({ Id: 'C-1', CustomerName: 'Acme AS', Revision: 1, UnknownElements: {} });
    });

    it('answers 404 with a Message for an unknown customer', async () => {
      const res = await call(api('/customers/nope'), { headers: AUTH });
      expect(res).toMatchObject({ status: 404, json: { Message: 'Customer nope not found' } });
    });
  });

  describe('PUT /api/v1/customers/:id/customercode', () => {
    const setCode = (id: string, body: unknown) =>
      call(api(`/customers/${id}/customercode`), { method: 'PUT', headers: AUTH, body });

    it('sets the code, bumps Revision and sends a CustomerCode webhook', async () => {
      await seedAcme();
      const res = await setCode('C-1', { CustomerCode: '10001' });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ Id: 'C-1', CustomerCode: '10001', Revision: 2 });
      expect(sim.state.customers.get('C-1')?.CustomerCode).toBe('10001');

      const [webhook] = await receiver.waitFor(1);
      expect(JSON.parse(webhook.rawBody)).toMatchObject({
        EventType: 'CustomerChanged',
        CustomerId: 'C-1',
        ChangedFields: ['CustomerCode'],
      });
    });

    it('leaves Revision alone and sends nothing when the code is unchanged', async () => {
      await seedAcme();
      await setCode('C-1', { CustomerCode: '10001' });
      const again = await setCode('C-1', { CustomerCode: '10001' });
      expect(again.json.Revision).toBe(2);
      await sim.webhooks.idle();
      expect(sim.webhooks.deliveries).toHaveLength(1);
    });

    it('answers 400 naming the field for a bad body', async () => {
      await seedAcme();
      for (const body of [{ CustomerCode: '' }, {}, { CustomerCode: 'x'.repeat(51) }]) {
        const res = await setCode('C-1', body);
        expect(res.status).toBe(400);
        expect(res.json.Message).toContain('CustomerCode');
      }
      const malformed = await call(api('/customers/C-1/customercode'), { method: 'PUT', headers: AUTH, rawBody: '{nope' });
      expect(malformed.status).toBe(400);
      expect(malformed.json).toEqual({ Message: expect.stringContaining('JSON') });
      expect(sim.state.customers.get('C-1')?.Revision).toBe(1);
    });

    it('answers 404 for an unknown customer', async () => {
      const res = await setCode('nope', { CustomerCode: '1' });
      expect(res).toMatchObject({ status: 404, json: { Message: 'Customer nope not found' } });
    });
  });

  describe('GET /api/v1/customers (the customer list, assumed API)', () => {
    const list = (query = '') => call(api(`/customers${query}`), { headers: AUTH });
    const put = (Id: string, CustomerCode: string | null = null) => sim.state.putCustomer({ Id, CustomerCode });
    const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

    it('lists every customer as {Id, CustomerCode, Revision, ChangedAt}, ordered by ChangedAt then Id', async () => {
      put('B');
      put('A', '10001');
      await tick();
      put('C');
      const res = await list();
      expect(res.status).toBe(200);
      expect(CustomerListSchema.parse(res.json)).toEqual(res.json);
      expect(res.json.NextCursor).toBeNull();
      const rows = res.json.Customers;
      expect(rows.map((r: { Id: string }) => r.Id)).toEqual(
        [...rows].sort((a, b) => (a.ChangedAt === b.ChangedAt ? a.Id.localeCompare(b.Id) : a.ChangedAt.localeCompare(b.ChangedAt))).map((r) => r.Id),
      );
      expect(rows[rows.length - 1]).toMatchObject({ Id: 'C', CustomerCode: null, Revision: 1 });
      expect(rows.find((r: { Id: string }) => r.Id === 'A')).toEqual({ Id: 'A', CustomerCode: '10001', Revision: 1, ChangedAt: sim.state.changedAt.get('A') });
      // ChangedAt is not part of the customer the sync reads.
      expect((await call(api('/customers/A'), { headers: AUTH })).json).not.toHaveProperty('ChangedAt');
    });

    it('filters by changedSince (inclusive), withoutCode and customerCode, combined with AND', async () => {
      put('OLD-1');
      put('OLD-2', '10001');
      await tick();
      const since = new Date().toISOString();
      await tick();
      put('NEW-1');
      put('NEW-2', '10002');
      put('NEW-3', '10001');
      const ids = async (query: string) => (await list(query)).json.Customers.map((r: { Id: string }) => r.Id).sort();

      expect(await ids(`?changedSince=${encodeURIComponent(since)}`)).toEqual(['NEW-1', 'NEW-2', 'NEW-3']);
      expect(await ids('?withoutCode=true')).toEqual(['NEW-1', 'OLD-1']);
      expect(await ids('?withoutCode=false')).toEqual(['NEW-1', 'NEW-2', 'NEW-3', 'OLD-1', 'OLD-2']);
      expect(await ids('?customerCode=10001')).toEqual(['NEW-3', 'OLD-2']);
      expect(await ids(`?changedSince=${encodeURIComponent(since)}&withoutCode=true`)).toEqual(['NEW-1']);
      expect(await ids(`?changedSince=${encodeURIComponent(since)}&customerCode=10001`)).toEqual(['NEW-3']);
      const exact = sim.state.changedAt.get('NEW-1')!;
      expect(await ids(`?changedSince=${encodeURIComponent(exact)}&withoutCode=true`)).toEqual(['NEW-1']);
      // An offset other than Z names the same instant.
      const inOslo = new Date(Date.parse(exact) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
      expect(await ids(`?changedSince=${encodeURIComponent(inOslo)}&withoutCode=true`)).toEqual(['NEW-1']);
    });

    it('ChangedAt moves on every stored change, the CustomerCode write-back included, and not on a no-op write-back', async () => {
      put('C-1');
      const first = sim.state.changedAt.get('C-1')!;
      await tick();
      sim.state.patchCustomer('C-1', { CustomerName: 'Renamed' });
      const patched = sim.state.changedAt.get('C-1')!;
      expect(patched > first).toBe(true);
      await tick();
      await call(api('/customers/C-1/customercode'), { method: 'PUT', headers: AUTH, body: { CustomerCode: '10001' } });
      const coded = sim.state.changedAt.get('C-1')!;
      expect(coded > patched).toBe(true);
      await tick();
      await call(api('/customers/C-1/customercode'), { method: 'PUT', headers: AUTH, body: { CustomerCode: '10001' } });
      expect(sim.state.changedAt.get('C-1')).toBe(coded);
      expect((await list(`?changedSince=${encodeURIComponent(coded)}`)).json.Customers).toEqual([
        { Id: 'C-1', CustomerCode: '10001', Revision: 3, ChangedAt: coded },
      ]);
    });

    it('pages with pageSize and an opaque cursor until NextCursor is null; a customer changed meanwhile moves to a later page', async () => {
      for (let i = 1; i <= 7; i += 1) put(`P-${i}`);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await list(`?pageSize=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.status).toBe(200);
        pages += 1;
        seen.push(...res.json.Customers.map((r: { Id: string }) => r.Id));
        if (pages === 1) {
          await tick();
          sim.state.patchCustomer('P-1', { CustomerName: 'changed while paging' });
        }
        cursor = res.json.NextCursor;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toHaveLength(8);
      expect(seen[seen.length - 1]).toBe('P-1');
      expect(new Set(seen).size).toBe(7);
    });

    it('answers 400 naming the parameter for a bad filter, page size or cursor', async () => {
      for (const [query, name] of [
        ['?pageSize=0', 'pageSize'],
        ['?pageSize=501', 'pageSize'],
        ['?pageSize=ten', 'pageSize'],
        ['?changedSince=yesterday', 'changedSince'],
        ['?withoutCode=yes', 'withoutCode'],
        ['?cursor=not-a-cursor', 'cursor'],
        ['?colour=red', 'colour'],
      ]) {
        const res = await list(query);
        expect(res.status).toBe(400);
        expect(res.json.Message).toMatch(new RegExp(name, 'i'));
      }
    });

    it('takes faults on its own route id', async () => {
      sim.faults.set({ errorRate: 1, errorStatus: 503, routes: ['listCustomers'], count: 1 });
      expect((await list()).status).toBe(503);
      expect((await list()).status).toBe(200);
    });
  });

  describe('App4SalesClient.listCustomers', () => {
    let client: App4SalesClient;
    beforeEach(() => {
      client = new App4SalesClient({ baseUrl: sim.url, apiKey: API_KEY, timeoutMs: 2000 });
    });
    afterEach(async () => {
      await client.close();
    });

    it('reads every page with the filters and returns validated summaries', async () => {
      for (let i = 1; i <= 5; i += 1) sim.state.putCustomer({ Id: `L-${i}`, CustomerCode: i % 2 ? null : `2000${i}` });
      const rows = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await client.listCustomers({ withoutCode: true, pageSize: 2, cursor });
        rows.push(...page.customers);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(rows.map((r) => r.Id).sort()).toEqual(['L-1', 'L-3', 'L-5']);
      expect(rows[0]).toEqual({ Id: rows[0].Id, CustomerCode: null, Revision: 1, ChangedAt: expect.any(String) });

      expect((await client.listCustomers({ customerCode: '20002' })).customers.map((r) => r.Id)).toEqual(['L-2']);
      expect((await client.listCustomers({ changedSince: new Date(Date.now() + 60_000).toISOString() })).customers).toEqual([]);
      expect((await client.listCustomers()).customers).toHaveLength(5);
    });

    it('turns a refused query into a PermanentError(InvalidRequest) and a 5xx into a TransientError', async () => {
      await expect(client.listCustomers({ cursor: 'garbage' })).rejects.toMatchObject({ name: 'PermanentError', type: 'InvalidRequest' });
      await expect(client.listCustomers({ cursor: 'garbage' })).rejects.toBeInstanceOf(PermanentError);
      sim.faults.set({ errorRate: 1, routes: ['listCustomers'], count: 1 });
      await expect(client.listCustomers()).rejects.toMatchObject({ name: 'TransientError' });
    });
  });

  describe('sales reps and price lists', () => {
    it('serves what the admin API stored, and 404 otherwise', async () => {
      expect((await call(admin('/salesreps'), { method: 'POST', body: { Username: 'anna', ResIdString: 'SR-7' } })).status).toBe(201);
      expect((await call(admin('/pricelists'), { method: 'POST', body: { Code: 'PL-NOK', Name: 'NOK', Currency: 'NOK' } })).status).toBe(201);

      expect(await call(api('/salesreps/anna'), { headers: AUTH })).toMatchObject({
        status: 200,
        json: { Username: 'anna', ResIdString: 'SR-7' },
      });
      expect(await call(api('/pricelists/PL-NOK'), { headers: AUTH })).toMatchObject({
        status: 200,
        json: { Code: 'PL-NOK', Name: 'NOK', Currency: 'NOK' },
      });
      expect(await call(api('/salesreps/bob'), { headers: AUTH })).toMatchObject({ status: 404, json: { Message: 'Sales rep bob not found' } });
      expect(await call(api('/pricelists/PL-X'), { headers: AUTH })).toMatchObject({ status: 404, json: { Message: 'Price list PL-X not found' } });
    });

    it('rejects an invalid sales rep naming the field', async () => {
      const res = await call(admin('/salesreps'), { method: 'POST', body: { Username: 'anna' } });
      expect(res.status).toBe(400);
      expect(res.json.Message).toContain('ResIdString');
    });
  });

  describe('admin customers', () => {
    it('creates (CustomerCreated) then replaces (CustomerChanged with the differing fields)', async () => {
      const created = await call(admin('/customers'), { method: 'POST', body: acme });
      expect(created).toMatchObject({ status: 201, json: { Id: 'C-1', Revision: 1 } });

      const replaced = await call(admin('/customers'), {
        method: 'POST',
        body: { ...acme, CustomerName: 'Acme Norge AS', Phone: '+47 1', Revision: 99 },
      });
      expect(replaced.json.Revision).toBe(2);

      const [first, second] = (await receiver.waitFor(2)).map((hook) => CustomerChangedEventSchema.parse(JSON.parse(hook.rawBody)));
      expect(first).toMatchObject({ EventType: 'CustomerCreated', CustomerId: 'C-1' });
      expect(first.ChangedFields).toEqual(
        expect.arrayContaining(['CustomerName', 'Email', 'ContactPersons', 'VisitAddress', 'Username', 'UsesPriceField']),
      );
      expect(first.ChangedFields).not.toContain('Revision');
      expect(second).toMatchObject({ EventType: 'CustomerChanged', ChangedFields: ['CustomerName', 'Phone'] });
      expect(second.EventId).not.toBe(first.EventId);
    });

    it('patches only the fields sent, bumps Revision and reports them', async () => {
      await seedAcme();
      const res = await call(admin('/customers/C-1'), { method: 'PATCH', body: { Website: 'https://acme.example', Email: null } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ Website: 'https://acme.example', Email: null, CustomerName: 'Acme AS', Revision: 2 });
      expect(res.json.ContactPersons).toEqual(acme.ContactPersons);

      const [hook] = await receiver.waitFor(1);
      expect(JSON.parse(hook.rawBody)).toMatchObject({ EventType: 'CustomerChanged', ChangedFields: ['Website', 'Email'] });
    });

    it('rejects bad input with 400 naming the field, and unknown ids with 404', async () => {
      const noId = await call(admin('/customers'), { method: 'POST', body: { CustomerName: 'x' } });
      expect(noId.status).toBe(400);
      expect(noId.json.Message).toContain('Id');

      await seedAcme();
      const badPatch = await call(admin('/customers/C-1'), { method: 'PATCH', body: { Revision: 5 } });
      expect(badPatch.status).toBe(400);
      expect(badPatch.json.Message).toContain('Revision');

      expect((await call(admin('/customers/nope'), { method: 'PATCH', body: { Phone: '1' } })).status).toBe(404);
      expect((await call(admin('/customers/nope'))).status).toBe(404);
    });

    it('lists customers; ?notify=false sends no webhook', async () => {
      await seedAcme();
      await call(admin('/customers?notify=false'), { method: 'POST', body: { Id: 'C-2', CustomerName: 'Beta' } });
      const list = await call(admin('/customers'));
      expect(list.json.map((customer: { Id: string }) => customer.Id)).toEqual(['C-1', 'C-2']);
      await sim.webhooks.idle();
      expect(sim.webhooks.deliveries).toEqual([]);
      expect(receiver.received).toEqual([]);
    });

    it('seed() loads data without webhooks', async () => {
      sim.seed(demoApp4SalesData);
      expect(sim.state.customers.size).toBe(2);
      expect(sim.state.salesReps.size).toBe(2);
      expect([...sim.state.priceLists.values()].map((list) => list.Currency).sort()).toEqual(['EUR', 'NOK']);
      expect(sim.webhooks.deliveries).toEqual([]);
    });
  });

  describe('webhooks', () => {
    it('are signed over "<timestamp>.<raw body>" with the shared secret', async () => {
      await call(admin('/customers'), { method: 'POST', body: acme });
      const [hook] = await receiver.waitFor(1);

      expect(hook.headers['content-type']).toBe('application/json');
      const timestamp = hook.headers[TIMESTAMP_HEADER] as string;
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(10);
      expect(hook.headers[SIGNATURE_HEADER]).toBe(signWebhook(SECRET, timestamp, hook.rawBody));
      expect(verifyWebhookSignature(SECRET, timestamp, hook.rawBody, hook.headers[SIGNATURE_HEADER])).toBe(true);
      expect(verifyWebhookSignature('other-secret', timestamp, hook.rawBody, hook.headers[SIGNATURE_HEADER])).toBe(false);
      expect(verifyWebhookSignature(SECRET, timestamp, `${hook.rawBody} `, hook.headers[SIGNATURE_HEADER])).toBe(false);

      const event = CustomerChangedEventSchema.parse(JSON.parse(hook.rawBody));
      expect(event.EventId).toMatch(/^[0-9a-f-]{36}$/);
      await sim.webhooks.idle();
      expect((await call(admin('/webhooks'))).json).toEqual([
        expect.objectContaining({ EventId: event.EventId, CustomerId: 'C-1', status: 'delivered', attempts: 1, responseStatus: 200 }),
      ]);
    });

    it('are retried on 5xx, up to 3 attempts', async () => {
      await receiver.close();
      receiver = await startWebhookReceiver([503, 500, 200]);
      await call(admin('/webhook'), { method: 'PUT', body: { url: receiver.url, secret: SECRET } });
      await seedAcme();
      await call(admin('/customers/C-1'), { method: 'PATCH', body: { Phone: '1' } });

      await sim.webhooks.idle();
      expect(receiver.received).toHaveLength(3);
      expect(new Set(receiver.received.map((hook) => hook.rawBody)).size).toBe(1);
      expect(sim.webhooks.deliveries).toEqual([expect.objectContaining({ status: 'delivered', attempts: 3, responseStatus: 200 })]);
    });

    it('count a 4xx answer as delivered', async () => {
      await receiver.close();
      receiver = await startWebhookReceiver([401]);
      await call(admin('/webhook'), { method: 'PUT', body: { url: receiver.url, secret: SECRET } });
      await call(admin('/customers'), { method: 'POST', body: acme });
      await sim.webhooks.idle();
      expect(sim.webhooks.deliveries).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1, responseStatus: 401 })]);
    });

    it('fail after 3 attempts when the receiver is unreachable', async () => {
      const unreachable = receiver.url;
      await receiver.close();
      receiver = await startWebhookReceiver();
      await call(admin('/webhook'), { method: 'PUT', body: { url: unreachable, secret: SECRET } });
      await call(admin('/customers'), { method: 'POST', body: acme });
      await sim.webhooks.idle();
      expect(sim.webhooks.deliveries).toEqual([
        expect.objectContaining({ status: 'failed', attempts: 3, error: expect.any(String) }),
      ]);
    });

    it('are skipped when disabled and go to the new target after PUT /__admin/webhook', async () => {
      expect((await call(admin('/webhook'), { method: 'DELETE' })).status).toBe(204);
      await call(admin('/customers'), { method: 'POST', body: acme });
      expect(sim.webhooks.deliveries).toEqual([expect.objectContaining({ status: 'skipped', attempts: 0 })]);

      const other = await startWebhookReceiver();
      try {
        const put = await call(admin('/webhook'), { method: 'PUT', body: { url: other.url, secret: 'new-secret' } });
        expect(put.json).toEqual({ target: { url: other.url, secret: 'new-secret' } });
        await call(admin('/customers/C-1'), { method: 'PATCH', body: { Phone: '2' } });
        const [hook] = await other.waitFor(1);
        expect(verifyWebhookSignature('new-secret', hook.headers[TIMESTAMP_HEADER], hook.rawBody, hook.headers[SIGNATURE_HEADER])).toBe(true);
        expect(receiver.received).toEqual([]);
      } finally {
        await other.close();
      }

      const invalid = await call(admin('/webhook'), { method: 'PUT', body: { url: 'not a url', secret: '' } });
      expect(invalid.status).toBe(400);
      expect(invalid.json.Message).toEqual(expect.stringContaining('url'));
      expect(invalid.json.Message).toEqual(expect.stringContaining('secret'));
    });

    it('resend with the same EventId delivers the identical event again', async () => {
      await seedAcme();
      await call(api('/customers/C-1/customercode'), { method: 'PUT', headers: AUTH, body: { CustomerCode: '10001' } });
      const [original] = await receiver.waitFor(1);
      const { EventId } = JSON.parse(original.rawBody);

      const resend = await call(admin('/customers/C-1/resend-webhook'), { method: 'POST', body: { EventId } });
      expect(resend.status).toBe(202);
      expect(resend.json.EventId).toBe(EventId);

      const [, duplicate] = await receiver.waitFor(2);
      expect(duplicate.rawBody).toBe(original.rawBody);
      expect(verifyWebhookSignature(SECRET, duplicate.headers[TIMESTAMP_HEADER], duplicate.rawBody, duplicate.headers[SIGNATURE_HEADER])).toBe(true);
      await sim.webhooks.idle();
      expect((await call(admin('/webhooks'))).json.map((entry: { EventId: string }) => entry.EventId)).toEqual([EventId, EventId]);
    });

    it('resend without an EventId sends a new CustomerChanged event; errors for unknown customers or no target', async () => {
      await seedAcme();
      const fresh = await call(admin('/customers/C-1/resend-webhook'), { method: 'POST' });
      expect(fresh.status).toBe(202);
      expect(fresh.json).toMatchObject({ EventType: 'CustomerChanged', CustomerId: 'C-1', ChangedFields: [] });
      const [hook] = await receiver.waitFor(1);
      expect(JSON.parse(hook.rawBody).EventId).toBe(fresh.json.EventId);

      const chosen = await call(admin('/customers/C-1/resend-webhook'), { method: 'POST', body: { EventId: 'evt-fixed' } });
      expect(chosen.json.EventId).toBe('evt-fixed');

      expect((await call(admin('/customers/nope/resend-webhook'), { method: 'POST', body: {} })).status).toBe(404);
      await call(admin('/webhook'), { method: 'DELETE' });
      expect((await call(admin('/customers/C-1/resend-webhook'), { method: 'POST', body: {} })).status).toBe(409);
    });
  });

  describe('faults', () => {
    beforeEach(async () => {
      await seedAcme();
    });
    const getAcme = (options: { headersTimeout?: number } = {}) => call(api('/customers/C-1'), { headers: AUTH, ...options });
    const setFaults = (body: unknown) => call(admin('/faults'), { method: 'PUT', body });

    it('errorRate with count fails the next N requests, then clears itself', async () => {
      expect((await setFaults({ errorRate: 1, errorStatus: 503, count: 2 })).json).toEqual({
        config: { errorRate: 1, errorStatus: 503, count: 2 },
        remaining: 2,
      });
      expect((await call(admin('/customers/C-1'))).status).toBe(200); // admin routes are never faulted
      const first = await getAcme();
      expect(first).toMatchObject({ status: 503, json: { Message: expect.stringContaining('503') } });
      expect((await call(admin('/faults'))).json.remaining).toBe(1);
      expect((await getAcme()).status).toBe(503);
      expect((await getAcme()).status).toBe(200);
      expect((await call(admin('/faults'))).json).toMatchObject({ config: null, remaining: null });
    });

    it('errorStatus 4xx refuses the CustomerCode write-back on every request while set, with a Message, and leaves the customer alone', async () => {
      const setCode = () => call(api('/customers/C-1/customercode'), { method: 'PUT', headers: AUTH, body: { CustomerCode: '10001' } });
      expect((await setFaults({ errorRate: 1, errorStatus: 422, routes: ['setCustomerCode'] })).status).toBe(200);
      for (let i = 0; i < 3; i += 1) {
        expect(await setCode()).toMatchObject({ status: 422, json: { Message: expect.stringContaining('422') } });
      }
      expect((await call(admin('/faults'))).json).toMatchObject({ config: { errorStatus: 422 }, remaining: null });
      expect((await getAcme()).status).toBe(200); // other routes are not touched
      expect(sim.state.customers.get('C-1')).toMatchObject({ Revision: 1 });
      expect(sim.state.customers.get('C-1')?.CustomerCode ?? null).toBeNull();
      await sim.webhooks.idle();
      expect(sim.webhooks.deliveries).toHaveLength(0);
    });

    it('errorStatus 4xx with count refuses the next N write-backs, then App4Sales takes the code', async () => {
      const setCode = () => call(api('/customers/C-1/customercode'), { method: 'PUT', headers: AUTH, body: { CustomerCode: '10001' } });
      sim.faults.set({ errorRate: 1, errorStatus: 400, routes: ['setCustomerCode'], count: 1 });
      expect(await setCode()).toMatchObject({ status: 400, json: { Message: 'Injected fault: HTTP 400' } });
      expect(await setCode()).toMatchObject({ status: 200, json: { CustomerCode: '10001', Revision: 2 } });
    });

    it('errorStatus outside 400..599 is refused', async () => {
      for (const errorStatus of [399, 600, 200]) {
        const res = await setFaults({ errorRate: 1, errorStatus });
        expect(res.status).toBe(400);
        expect(res.json.Message).toContain('errorStatus');
      }
    });

    it('throttle answers 429 with Retry-After over the limit', async () => {
      await setFaults({ throttle: { limit: 2, windowMs: 60_000, retryAfterSeconds: 7 } });
      expect((await getAcme()).status).toBe(200);
      expect((await getAcme()).status).toBe(200);
      const throttled = await getAcme();
      expect(throttled.status).toBe(429);
      expect(throttled.headers['retry-after']).toBe('7');
    });

    it('throttle windows reset', async () => {
      await setFaults({ throttle: { limit: 1, windowMs: 100, retryAfterSeconds: 1 } });
      expect((await getAcme()).status).toBe(200);
      expect((await getAcme()).status).toBe(429);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await getAcme()).status).toBe(200);
    });

    it('routes limits the fault to the named routes (and only those consume count)', async () => {
      await call(admin('/salesreps'), { method: 'POST', body: { Username: 'anna', ResIdString: 'SR-1' } });
      await setFaults({ errorRate: 1, routes: ['getSalesRep'], count: 1 });
      expect((await getAcme()).status).toBe(200);
      expect((await call(api('/salesreps/anna'), { headers: AUTH })).status).toBe(500);
      expect((await call(api('/salesreps/anna'), { headers: AUTH })).status).toBe(200);
    });

    it('latencyMs delays the answer', async () => {
      await setFaults({ latencyMs: 150 });
      const started = Date.now();
      expect((await getAcme()).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('timeoutRate leaves the request unanswered; close() releases it', async () => {
      await setFaults({ timeoutRate: 1, count: 1 });
      await expect(getAcme({ headersTimeout: 200 })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
      expect((await getAcme()).status).toBe(200);

      await setFaults({ timeoutRate: 1 });
      const pending = getAcme({ headersTimeout: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const closing = Date.now();
      await sim.close();
      await expect(pending).rejects.toThrow();
      expect(Date.now() - closing).toBeLessThan(2000);
    });

    it('close() cuts a pending latency short', async () => {
      await setFaults({ latencyMs: 60_000 });
      const pending = getAcme();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const closing = Date.now();
      await sim.close();
      await expect(pending).rejects.toThrow();
      expect(Date.now() - closing).toBeLessThan(2000);
    });

    it('a seed makes rate decisions reproducible', async () => {
      const run = async () => {
        await setFaults({ errorRate: 0.5, seed: 42 });
        const statuses: number[] = [];
        for (let i = 0; i < 12; i += 1) statuses.push((await getAcme()).status);
        return statuses;
      };
      const first = await run();
      expect(await run()).toEqual(first);
      expect(first).toEqual(expect.arrayContaining([200, 500]));
    });

    it('rejects invalid configs naming the field, and unknown route ids', async () => {
      const bad = await setFaults({ errorRate: 2 });
      expect(bad.status).toBe(400);
      expect(bad.json.Message).toContain('errorRate');
      const unknownRoute = await setFaults({ errorRate: 1, routes: ['getCustomers'] });
      expect(unknownRoute.status).toBe(400);
      expect(unknownRoute.json.Message).toContain('getCustomers');
      expect((await call(admin('/faults'))).json.config).toBeNull();
    });

    it('DELETE /__admin/faults clears the fault', async () => {
      await setFaults({ errorRate: 1 });
      expect((await getAcme()).status).toBe(500);
      expect((await call(admin('/faults'), { method: 'DELETE' })).status).toBe(204);
      expect((await getAcme()).status).toBe(200);
    });
  });

  it('POST /__admin/reset clears data, faults and the delivery log, and restores the webhook target', async () => {
    await call(admin('/customers'), { method: 'POST', body: acme });
    await call(admin('/salesreps'), { method: 'POST', body: { Username: 'anna', ResIdString: 'SR-1' } });
    await call(admin('/faults'), { method: 'PUT', body: { errorRate: 1 } });
    await call(admin('/webhook'), { method: 'DELETE' });
    await sim.webhooks.idle();

    expect((await call(admin('/reset'), { method: 'POST' })).status).toBe(204);
    expect((await call(admin('/customers'))).json).toEqual([]);
    expect(sim.state.salesReps.size).toBe(0);
    expect((await call(admin('/faults'))).json.config).toBeNull();
    expect((await call(admin('/webhooks'))).json).toEqual([]);
    expect((await call(admin('/webhook'))).json.target).toEqual({ url: receiver.url, secret: SECRET });
  });
});
