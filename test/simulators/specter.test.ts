import { request, type Dispatcher } from 'undici';
import { SpecterCustomerSchema } from '../../connectors/specter/schemas';
import { NOT_FOUND_PAGE, type SpecterSimulator, startSpecterSimulator } from '../../connectors/specter/simulator';
import { call } from './helpers';

/** An answer read as text: for the pages that are no JSON. */
async function callText(url: string, options: { method?: Dispatcher.HttpMethod; headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await request(url, {
    method: options.method ?? 'GET',
    headers: options.body === undefined ? options.headers : { 'content-type': 'application/json', ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: res.statusCode, contentType: String(res.headers['content-type']), text: await res.body.text() };
}

const SBM_ID = 7;
const WRITER = { 'x-api-user-id': 'writer', 'x-api-key': 'write-key' };
const READER = { 'x-api-user-id': 'reader', 'x-api-key': 'read-key' };

/** A valid SpecterPostCustomer for a new customer, as the connector sends it. */
const newCustomer = {
  Name: 'Acme AS',
  EmailAddress: 'post@acme.example',
  FirstName: 'Kari',
  SurName: 'Nordmann',
  OrgNo: '923456789',
  Currency: 'NOK',
  TypeCustomer: 'C',
  CustomerOrganizationalForm: 'C',
  VisitAddress: { AddressLine1: 'Gate 1', City: 'Oslo', CountryCode: 'NO', PostCode: '0150' },
};

describe('Specter simulator', () => {
  let sim: SpecterSimulator;

  beforeEach(async () => {
    sim = await startSpecterSimulator({
      port: 0,
      sbmId: SBM_ID,
      writeUser: { id: 'writer', key: 'write-key' },
      readUser: { id: 'reader', key: 'read-key' },
    });
  });

  afterEach(async () => {
    await sim.close();
  });

  const api = (path: string) => `${sim.apiUrl}${path}`;
  const admin = (path: string) => `${sim.url}/__admin${path}`;
  const post = (body: unknown, options: { headersTimeout?: number } = {}) =>
    call(api('/customers'), { method: 'POST', headers: WRITER, body, ...options });
  const setFaults = (body: unknown) => call(admin('/faults'), { method: 'PUT', body });

  it('exposes the API under /api/v1/:sbmId', () => {
    expect(sim.apiUrl).toBe(`${sim.url}/api/v1/${SBM_ID}`);
  });

  describe('authentication and routing', () => {
    it('rejects missing or wrong credentials with 401 ERROR_UNAUTHORIZED', async () => {
      const attempts: Record<string, string>[] = [
        {},
        { 'x-api-user-id': 'writer', 'x-api-key': 'nope' },
        { 'x-api-user-id': 'x', 'x-api-key': 'write-key' },
      ];
      for (const headers of attempts) {
        const res = await call(api('/customers'), { method: 'POST', headers, body: newCustomer });
        expect(res.status).toBe(401);
        expect(res.json).toEqual({ Result: 0, Code: 'ERROR_UNAUTHORIZED', Message: expect.any(String) });
      }
      expect(sim.state.customers.size).toBe(0);
    });

    it('needs the write user to write; reads accept either user', async () => {
      expect((await call(api('/customers'), { method: 'POST', headers: READER, body: newCustomer })).status).toBe(401);
      expect((await post(newCustomer)).json.Result).toBe(1);
      expect((await call(api('/customers/10001'), { headers: READER })).status).toBe(200);
      expect((await call(api('/customers/10001'), { headers: WRITER })).status).toBe(200);
      expect((await call(api('/customers'), { headers: READER })).status).toBe(200);
      expect((await call(api('/customers/10001'))).status).toBe(401);
    });

    it('answers another SBM id as a web server does: its HTML 404 page, no ApiResponse, even without credentials', async () => {
      for (const [method, path, headers] of [
        ['POST', '/customers', WRITER],
        ['POST', '/customers', {}],
        ['GET', '/customers/10001', READER],
        ['GET', '/customers', READER],
      ] as const) {
        const res = await callText(`${sim.url}/api/v1/8${path}`, { method, headers, body: method === 'POST' ? newCustomer : undefined });
        expect(res).toEqual({ status: 404, contentType: expect.stringContaining('text/html'), text: NOT_FOUND_PAGE });
      }
      expect(sim.state.requests).toEqual([]);
      expect(sim.state.customers.size).toBe(0);
      expect(sim.state.unrouted).toEqual([
        { receivedAt: expect.any(String), method: 'POST', url: '/api/v1/8/customers' },
        { receivedAt: expect.any(String), method: 'POST', url: '/api/v1/8/customers' },
        { receivedAt: expect.any(String), method: 'GET', url: '/api/v1/8/customers/10001' },
        { receivedAt: expect.any(String), method: 'GET', url: '/api/v1/8/customers' },
      ]);
    });

    it('answers unknown paths (a wrong base path) with the HTML 404 page, and lists them on /__admin/unrouted', async () => {
      for (const path of ['/api/v2/nothing', `/specter/api/v1/${SBM_ID}/customers`, '/']) {
        const res = await callText(`${sim.url}${path}`, { method: 'POST', headers: WRITER, body: newCustomer });
        expect(res).toMatchObject({ status: 404, contentType: expect.stringContaining('text/html') });
        expect(res.text).toContain('<title>404 - File or directory not found.</title>');
      }
      expect(sim.state.requests).toEqual([]);
      expect((await call(admin('/unrouted'))).json.map((r: { url: string }) => r.url)).toEqual([
        '/api/v2/nothing',
        `/specter/api/v1/${SBM_ID}/customers`,
        '/',
      ]);
    });
  });

  describe('POST customers: create', () => {
    it('creates customers with numeric ids from 10001 and stores SpecterCustomer records', async () => {
      expect(await post(newCustomer)).toEqual({
        status: 200,
        headers: expect.anything(),
        json: { Result: 1, Code: '10001', Message: 'Customer created' },
      });
      expect((await post({ ...newCustomer, Name: 'Beta AS' })).json.Code).toBe('10002');

      const stored = await call(api('/customers/10001'), { headers: READER });
      expect(stored.status).toBe(200);
      expect(SpecterCustomerSchema.parse(stored.json)).toEqual(stored.json);
      expect(stored.json).toEqual({ ...newCustomer, CustomerId: '10001', Revision: 1 });
    });

    it('skips ids taken by seeded customers', async () => {
      const seeded = await call(admin('/customers'), {
        method: 'POST',
        body: { CustomerId: '10001', Name: 'Seeded', EmailAddress: 's@x', FirstName: 'S', SurName: 'S' },
      });
      expect(seeded).toMatchObject({ status: 201, json: { CustomerId: '10001', Revision: 1 } });
      expect((await post(newCustomer)).json.Code).toBe('10002');
    });

    it('creates with a given new CustomerId, and refuses an existing one with ERROR_CUSTOMER_EXISTS', async () => {
      expect((await post({ ...newCustomer, CustomerId: 'K-77' })).json).toEqual({ Result: 1, Code: 'K-77', Message: 'Customer created' });
      const again = await post({ ...newCustomer, CustomerId: 'K-77', Name: 'Other' });
      expect(again).toMatchObject({ status: 200, json: { Result: 0, Code: 'ERROR_CUSTOMER_EXISTS' } });
      expect(sim.state.customers.get('K-77')?.Name).toBe('Acme AS');
    });

    it('treats null fields as not sent', async () => {
      const res = await post({ ...newCustomer, OrgNo: null, VisitAddress: { City: 'Oslo', PostCode: null } });
      expect(res.json.Result).toBe(1);
      const stored = sim.state.customers.get(res.json.Code);
      expect(stored).not.toHaveProperty('OrgNo');
      expect(stored?.VisitAddress).toEqual({ City: 'Oslo' });
    });
  });

  describe('POST customers: validation', () => {
    it('names every problem: required fields and max lengths (rejecting, never truncating)', async () => {
      const res = await post({
        ...newCustomer,
        Name: '',
        FirstName: undefined,
        OrgNo: '1'.repeat(25),
        Homepage: 'h'.repeat(51),
        VisitAddress: { City: 'c'.repeat(51), CountryCode: 'NOR' },
        DeliveryAddress: { PostCode: '12345678901' },
      });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({
        Result: 0,
        Code: 'ERROR_VALIDATION',
        Message:
          'Name is required; OrgNo exceeds max length 20 (got 25); Homepage exceeds max length 50 (got 51); ' +
          'FirstName is required; VisitAddress.City exceeds max length 50 (got 51); ' +
          'VisitAddress.CountryCode exceeds max length 2 (got 3); DeliveryAddress.PostCode exceeds max length 10 (got 11)',
      });
      expect(sim.state.customers.size).toBe(0);
    });

    it('accepts values exactly at the limits', async () => {
      const res = await post({ ...newCustomer, Name: 'n'.repeat(100), OrgNo: '1'.repeat(20), VisitAddress: { CountryCode: 'NO', PostCode: '1'.repeat(10) } });
      expect(res.json.Result).toBe(1);
      expect(sim.state.customers.get('10001')?.Name).toHaveLength(100);
    });

    it('treats whitespace-only required fields as missing', async () => {
      const res = await post({ ...newCustomer, EmailAddress: '   ', SurName: undefined });
      expect(res.json).toMatchObject({ Code: 'ERROR_VALIDATION', Message: 'EmailAddress is required; SurName is required' });
    });

    it('requires TypeCustomer and CustomerOrganizationalForm for a new customer, one character each', async () => {
      const missing = await post({ ...newCustomer, TypeCustomer: undefined, CustomerOrganizationalForm: undefined });
      expect(missing.json).toMatchObject({
        Result: 0,
        Code: 'ERROR_VALIDATION',
        Message: 'TypeCustomer is required for a new customer; CustomerOrganizationalForm is required for a new customer',
      });
      const tooLong = await post({ ...newCustomer, TypeCustomer: 'CO', CustomerOrganizationalForm: '' });
      expect(tooLong.json.Message).toBe(
        'TypeCustomer must be exactly 1 character (got 2); CustomerOrganizationalForm must be exactly 1 character (got 0)',
      );
      expect(sim.state.customers.size).toBe(0);
    });

    it('names fields of the wrong type', async () => {
      const res = await post({ ...newCustomer, Name: 42, ForceCustomerUpdate: 'yes', VisitAddress: { City: 3 } });
      expect(res.json).toMatchObject({
        Code: 'ERROR_VALIDATION',
        Message: 'ForceCustomerUpdate must be a boolean; Name must be a string; VisitAddress.City must be a string',
      });
    });

    it('answers HTTP 400 ERROR_BAD_REQUEST to a body that is not a JSON object', async () => {
      for (const rawBody of ['{not json', '[1,2]', '"text"', 'null']) {
        const res = await call(api('/customers'), { method: 'POST', headers: WRITER, rawBody });
        expect(res).toMatchObject({ status: 400, json: { Result: 0, Code: 'ERROR_BAD_REQUEST' } });
      }
      const noBody = await call(api('/customers'), { method: 'POST', headers: WRITER });
      expect(noBody).toMatchObject({ status: 400, json: { Code: 'ERROR_BAD_REQUEST' } });
      const notJson = await call(api('/customers'), { method: 'POST', headers: { ...WRITER, 'content-type': 'text/plain' }, rawBody: 'x' });
      expect(notJson).toMatchObject({ status: 400, json: { Code: 'ERROR_BAD_REQUEST' } });
    });
  });

  describe('POST customers: update', () => {
    const update = { IdentifyByCustomerId: true, ForceCustomerUpdate: true, CustomerId: '10001' };

    it('changes only the fields sent and keeps TypeCustomer / CustomerOrganizationalForm', async () => {
      await post({ ...newCustomer, TypeCustomer: 'P', CustomerOrganizationalForm: 'A', PhoneNo: '+47 1' });
      const res = await post({
        ...update,
        Name: 'Acme Norge AS',
        EmailAddress: 'ny@acme.example',
        FirstName: 'Kari',
        SurName: 'Nordmann',
        VisitAddress: { City: 'Bergen' },
      });
      expect(res.json).toEqual({ Result: 1, Code: '10001', Message: 'Customer updated' });
      expect(sim.state.customers.get('10001')).toEqual({
        ...newCustomer,
        CustomerId: '10001',
        Name: 'Acme Norge AS',
        EmailAddress: 'ny@acme.example',
        TypeCustomer: 'P',
        CustomerOrganizationalForm: 'A',
        PhoneNo: '+47 1',
        VisitAddress: { ...newCustomer.VisitAddress, City: 'Bergen' },
        Revision: 2,
      });
      expect(sim.state.customers.size).toBe(1);
    });

    it('answers ERROR_CUSTOMER_NOT_FOUND for an unknown id', async () => {
      const res = await post({ ...newCustomer, ...update, CustomerId: '99999' });
      expect(res).toMatchObject({ status: 200, json: { Result: 0, Code: 'ERROR_CUSTOMER_NOT_FOUND' } });
      expect(sim.state.customers.size).toBe(0);
    });

    it('still validates required fields and lengths', async () => {
      await post(newCustomer);
      const res = await post({ ...update, Name: 'x'.repeat(101), EmailAddress: 'e@x', FirstName: 'F', SurName: 'S' });
      expect(res.json).toEqual({ Result: 0, Code: 'ERROR_VALIDATION', Message: 'Name exceeds max length 100 (got 101)' });
      expect(sim.state.customers.get('10001')?.Revision).toBe(1);
    });

    it('needs both flags: CustomerId alone means "create with this id"', async () => {
      await post(newCustomer);
      const res = await post({ ...newCustomer, CustomerId: '10001', ForceCustomerUpdate: true });
      expect(res.json.Code).toBe('ERROR_CUSTOMER_EXISTS');
    });
  });

  describe('GET customers', () => {
    it('answers 404 ERROR_CUSTOMER_NOT_FOUND for an unknown id', async () => {
      const res = await call(api('/customers/424242'), { headers: READER });
      expect(res).toMatchObject({ status: 404, json: { Result: 0, Code: 'ERROR_CUSTOMER_NOT_FOUND' } });
    });

    it('finds by exact, case-insensitive, trimmed name / email / orgNo, all filters applying', async () => {
      await post(newCustomer);
      await post({ ...newCustomer, Name: 'Acme AS', EmailAddress: 'other@acme.example', OrgNo: '111' });
      await post({ ...newCustomer, Name: 'Acme ASA' });
      const find = async (query: string) =>
        (await call(api(`/customers?${query}`), { headers: READER })).json.Customers.map((c: { CustomerId: string }) => c.CustomerId);

      expect(await find('name=%20acme%20as%20')).toEqual(['10001', '10002']);
      expect(await find('name=ACME%20AS&email=POST@acme.example')).toEqual(['10001']);
      expect(await find('orgNo=111')).toEqual(['10002']);
      expect(await find('name=Acme')).toEqual([]);
      expect(await find('')).toEqual(['10001', '10002', '10003']);
    });
  });

  describe('admin', () => {
    it('lists and gets stored customers, and logs every POST body', async () => {
      await post(newCustomer);
      await post({ ...newCustomer, Name: '' });
      expect((await call(admin('/customers'))).json).toHaveLength(1);
      expect((await call(admin('/customers/10001'))).json.Name).toBe('Acme AS');
      expect((await call(admin('/customers/10002'))).status).toBe(404);

      const log = (await call(admin('/requests'))).json;
      expect(log).toEqual([
        { receivedAt: expect.any(String), body: newCustomer, response: { Result: 1, Code: '10001', Message: 'Customer created' } },
        { receivedAt: expect.any(String), body: { ...newCustomer, Name: '' }, response: expect.objectContaining({ Code: 'ERROR_VALIDATION' }) },
      ]);
      expect(Date.parse(log[0].receivedAt)).not.toBeNaN();
    });

    it('rejects an invalid seed naming the field', async () => {
      const res = await call(admin('/customers'), { method: 'POST', body: { Name: 'x' } });
      expect(res.status).toBe(400);
      expect(res.json.Message).toContain('EmailAddress');
    });

    it('reset clears customers, the request log, faults and the id counter', async () => {
      await post(newCustomer);
      await callText(`${sim.url}/api/v1/8/customers`);
      expect(sim.state.unrouted).toHaveLength(1);
      await setFaults({ latencyMs: 1 });
      expect((await call(admin('/reset'), { method: 'POST' })).status).toBe(204);
      expect((await call(admin('/customers'))).json).toEqual([]);
      expect((await call(admin('/requests'))).json).toEqual([]);
      expect((await call(admin('/unrouted'))).json).toEqual([]);
      expect((await call(admin('/faults'))).json.config).toBeNull();
      expect((await post(newCustomer)).json.Code).toBe('10001');
    });
  });

  describe('faults', () => {
    it('forceErrorCode answers the code without storing, and clears after count', async () => {
      await setFaults({ forceErrorCode: { code: 'ERROR_DUPLICATE_ORGNO', message: 'Org no in use' }, count: 1 });
      // Reads are not affected by postCustomer-only faults and do not use up the count.
      expect((await call(api('/customers'), { headers: READER })).status).toBe(200);
      expect((await post(newCustomer)).json).toEqual({ Result: 0, Code: 'ERROR_DUPLICATE_ORGNO', Message: 'Org no in use' });
      expect(sim.state.customers.size).toBe(0);
      expect((await post(newCustomer)).json).toEqual({ Result: 1, Code: '10001', Message: 'Customer created' });
    });

    it('forceErrorCode must start with ERROR', async () => {
      const res = await setFaults({ forceErrorCode: { code: 'OOPS', message: 'x' } });
      expect(res).toMatchObject({ status: 400, json: { Code: 'ERROR_BAD_REQUEST' } });
      expect(res.json.Message).toContain('forceErrorCode.code');
    });

    it('resultWithoutCode answers Result and Code null with HTTP 200, storing nothing', async () => {
      await setFaults({ resultWithoutCode: true });
      expect(await post(newCustomer)).toMatchObject({ status: 200, json: { Result: null, Code: null, Message: 'Internal error' } });
      expect(sim.state.customers.size).toBe(0);
    });

    it.each([
      [0, 'Customer is locked for editing'],
      [2, 'Queued'],
    ])('resultNotOne answers Result %i without an ERROR code (HTTP 200), storing nothing', async (result, message) => {
      await setFaults({ resultNotOne: { result, message }, count: 1 });
      expect(await post(newCustomer)).toMatchObject({ status: 200, json: { Result: result, Code: null, Message: message } });
      expect(sim.state.customers.size).toBe(0);
      expect(sim.state.requests).toEqual([expect.objectContaining({ response: { Result: result, Code: null, Message: message } })]);
      expect((await post(newCustomer)).json.Result).toBe(1);
    });

    it('resultNotOne refuses Result 1', async () => {
      const res = await setFaults({ resultNotOne: { result: 1, message: 'x' } });
      expect(res).toMatchObject({ status: 400, json: { Code: 'ERROR_BAD_REQUEST' } });
      expect(res.json.Message).toContain('resultNotOne.result');
    });

    it('bodyWithoutResult answers an object with no Result key (HTTP 200), storing nothing', async () => {
      await setFaults({ bodyWithoutResult: { message: 'Saved for later' } });
      const res = await post(newCustomer);
      expect(res).toMatchObject({ status: 200, json: { Message: 'Saved for later' } });
      expect(res.json).not.toHaveProperty('Result');
      expect(sim.state.customers.size).toBe(0);
    });

    it('rawAnswer answers its status and body verbatim, storing nothing', async () => {
      await setFaults({ rawAnswer: { status: 400, body: '<html><title>Request blocked</title></html>' } });
      expect(await callText(api('/customers'), { method: 'POST', headers: WRITER, body: newCustomer })).toEqual({
        status: 400,
        contentType: expect.stringContaining('text/html'),
        text: '<html><title>Request blocked</title></html>',
      });
      await setFaults({ rawAnswer: { status: 200, body: 'OK', contentType: 'text/plain' } });
      expect(await callText(api('/customers'), { method: 'POST', headers: WRITER, body: newCustomer })).toMatchObject({ status: 200, text: 'OK' });
      expect(sim.state.customers.size).toBe(0);
      expect(sim.state.requests).toHaveLength(2);
    });

    it('commitThenHang stores the customer, then never answers', async () => {
      await setFaults({ commitThenHang: true, count: 1 });
      await expect(post(newCustomer, { headersTimeout: 300 })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });

      expect(sim.state.customers.get('10001')).toMatchObject({ Name: 'Acme AS', Revision: 1 });
      expect(sim.state.requests).toEqual([
        expect.objectContaining({ response: { Result: 1, Code: '10001', Message: 'Customer created' }, hung: true }),
      ]);
      // The retry of a lost create: the count is used up, so it is answered (and creates a duplicate).
      expect((await post(newCustomer)).json.Code).toBe('10002');
    });

    it('commitThenHang applies updates too', async () => {
      await post(newCustomer);
      await setFaults({ commitThenHang: true });
      const update = { ...newCustomer, IdentifyByCustomerId: true, ForceCustomerUpdate: true, CustomerId: '10001', Name: 'Renamed' };
      await expect(post(update, { headersTimeout: 300 })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
      expect(sim.state.customers.get('10001')).toMatchObject({ Name: 'Renamed', Revision: 2 });
    });

    it('throttle answers 429 with Retry-After and an ApiResponse', async () => {
      await setFaults({ throttle: { limit: 1, windowMs: 60_000, retryAfterSeconds: 30 }, routes: ['postCustomer'] });
      expect((await post(newCustomer)).status).toBe(200);
      const throttled = await post(newCustomer);
      expect(throttled).toMatchObject({ status: 429, json: { Result: 0, Code: 'ERROR_THROTTLED' } });
      expect(throttled.headers['retry-after']).toBe('30');
      expect(sim.state.customers.size).toBe(1);
      expect(sim.state.requests).toHaveLength(2);
      expect((await call(api('/customers/10001'), { headers: READER })).status).toBe(200);
    });

    it('errorRate answers 5xx ApiResponses on every route it names', async () => {
      await setFaults({ errorRate: 1, errorStatus: 503, routes: ['getCustomer', 'findCustomers'] });
      expect(await call(api('/customers/1'), { headers: READER })).toMatchObject({ status: 503, json: { Result: 0, Code: 'ERROR_UNAVAILABLE' } });
      expect((await call(api('/customers'), { headers: READER })).status).toBe(503);
      expect((await post(newCustomer)).status).toBe(200);
      expect((await call(admin('/customers'))).status).toBe(200);
    });

    it('close() releases a hung request', async () => {
      await setFaults({ commitThenHang: true });
      const pending = post(newCustomer, { headersTimeout: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const closing = Date.now();
      await sim.close();
      await expect(pending).rejects.toThrow();
      expect(Date.now() - closing).toBeLessThan(2000);
    });
  });
});
