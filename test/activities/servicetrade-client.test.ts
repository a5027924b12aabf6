/** ServiceTradeClient against the ServiceTrade simulator: auth, envelope, errors, paging, external ids. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { PermanentError, TransientError } from '../../common/errors';
import { ServiceTradeClient } from '../../connectors/servicetrade/client';
import { demoServiceTradeData } from '../../connectors/servicetrade/demo-data';
import { type ServiceTradeSimulator, type ServiceTradeSimulatorOptions, startServiceTradeSimulator } from '../../connectors/servicetrade/simulator';

const CLIENT = { clientId: 'fieldbridge-worker', clientSecret: 'very-secret-st-client-secret' };

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('ServiceTradeClient', () => {
  let sim: ServiceTradeSimulator;
  let client: ServiceTradeClient;
  let logged: string;

  const startWith = async (options: Partial<ServiceTradeSimulatorOptions> = {}, secret = CLIENT.clientSecret) => {
    sim = await startServiceTradeSimulator({ clients: [CLIENT], seed: demoServiceTradeData, ...options });
    logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString('utf8');
        done();
      },
    });
    client = new ServiceTradeClient({ baseUrl: sim.url, clientId: CLIENT.clientId, clientSecret: secret, timeoutMs: 2000 }, pino({ level: 'debug' }, sink));
  };

  afterEach(async () => {
    await client.close();
    await sim.close();
  });

  describe('reads', () => {
    beforeEach(() => startWith());

    it('reads the job, its customer, location, services and items in the contract shapes', async () => {
      const job = await client.getJob(4001);
      expect(job).toMatchObject({
        id: 4001,
        number: '7001',
        name: 'Rooftop unit 3 not cooling',
        type: 'repair',
        status: 'scheduled',
        customer: { id: 1001, name: 'Northwind Facilities Inc.' },
        location: { id: 2001, name: 'Northwind HQ' },
        scheduledDate: 1_767_603_600 + 2 * 86_400,
        created: 1_767_603_600,
        refNumber: 'NW-2026-014',
        customerPo: 'PO-88123',
        externalIds: {},
      });
      expect(await client.getCompany(job.customer.id)).toMatchObject({ id: 1001, status: 'active', externalIds: { spectrum: 'C1000' } });
      expect(await client.getLocation(job.location.id)).toMatchObject({
        refNumber: 'NW-HQ',
        address: { street: '100 Commerce Dr', city: 'Raleigh', state: 'NC', postalCode: '27601' },
        phoneNumber: '+1 919 555 0100',
        company: { id: 1001, name: 'Northwind Facilities Inc.' },
        externalIds: { spectrum: 'S1000' },
      });
      expect(await client.listJobServices(4001)).toEqual([{ id: 6001, description: 'Repair rooftop unit 3', serviceLine: { id: 11, name: 'HVAC', abbr: 'HVAC' } }]);
      const items = await client.listJobItems(4001);
      expect(items.map((i) => i.libItem?.code ?? null)).toEqual(['FILTER-20', 'BELT-A42', 'LABOR', 'LABOR', null]);
      expect(items[2]).toMatchObject({ quantity: 3.5, cost: 45, price: 110, uom: 'hour', description: 'Diagnosis and repair' });
      expect(items[4]).toMatchObject({ name: 'Condensate pan tablets', libItem: null });
    });

    it('reads a location with no Spectrum site code as empty external ids', async () => {
      expect((await client.getLocation(2002)).externalIds).toEqual({});
    });

    it('names the entity and id of a record ServiceTrade does not have (SourceRecordNotFound)', async () => {
      for (const [read, name] of [
        [() => client.getJob(999), 'job 999'],
        [() => client.getLocation(998), 'location 998'],
        [() => client.getCompany(997), 'company 997'],
      ] as const) {
        const err = await failureOf(read());
        expect(err).toBeInstanceOf(PermanentError);
        expect(err).toMatchObject({ type: 'SourceRecordNotFound', details: { status: 404 } });
        expect((err as Error).message).toContain(name);
      }
    });
  });

  describe('access token', () => {
    it('asks for one token for many calls, and for one only when calls start together (single flight)', async () => {
      await startWith();
      await Promise.all(Array.from({ length: 10 }, () => client.getJob(4001)));
      await client.getCompany(1001);
      await client.listJobItems(4001);
      expect(sim.state.tokenRequests).toBe(1);
    });

    it('fetches a new token before the old one expires, not after a 401', async () => {
      await startWith({ tokenTtlSeconds: 2 });
      await client.getJob(4001);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await client.getJob(4001);
      expect(sim.state.tokenRequests).toBe(2);
      expect(sim.state.unauthorizedRequests).toBe(0);
    });

    it('on a 401 fetches a new token and retries the call once', async () => {
      await startWith();
      await client.getJob(4001);
      sim.state.expireTokens();
      expect((await client.getJob(4002)).id).toBe(4002);
      expect(sim.state.tokenRequests).toBe(2);
      expect(sim.state.unauthorizedRequests).toBe(1);
    });

    it('gives up with AuthenticationFailed when the call is refused again with a fresh token', async () => {
      await startWith();
      sim.faults.set({ errorRate: 1, errorStatus: 401, routes: ['getJob'], count: 5 });
      const err = await failureOf(client.getJob(4001));
      expect(err).toMatchObject({ type: 'AuthenticationFailed', details: { status: 401 } });
      expect(sim.state.tokenRequests).toBe(2);
      expect(sim.faults.state().remaining).toBe(3); // two attempts at GET /job/4001, not more
    });

    it('reports refused client credentials as AuthenticationFailed without the secret, sending no API call', async () => {
      await startWith({}, 'wrong-secret-value');
      const err = await failureOf(client.getJob(4001));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err).toMatchObject({ type: 'AuthenticationFailed', details: { status: 401 } });
      expect((err as Error).message).toContain(CLIENT.clientId);
      expect((err as Error).message).toContain('Invalid client credentials');
      expect((err as Error).message).not.toContain('wrong-secret-value');
      expect(sim.state.unauthorizedRequests).toBe(0);
    });

    it('never logs the client secret or a token', async () => {
      await startWith({ tokenTtlSeconds: 2 });
      await client.getJob(4001);
      sim.state.expireTokens();
      await client.getJob(4001);
      await failureOf(client.setExternalId({ type: 'location', id: 2002 }, 'spectrum', 'S1000'));
      expect(logged).toContain('401'); // the refresh was logged...
      expect(logged).not.toContain(CLIENT.clientSecret); // ...without secrets
      expect(logged).not.toMatch(/eyJ[A-Za-z0-9_-]+\./); // no JWT
    });
  });

  describe('errors and paging', () => {
    it('surfaces messages.error of a 400/422 as InvalidRequest', async () => {
      await startWith();
      sim.faults.set({ errorRate: 1, errorStatus: 422, routes: ['getJob'], count: 1 });
      const err = await failureOf(client.getJob(4001));
      expect(err).toMatchObject({ type: 'InvalidRequest', details: { status: 422, messages: ['Injected fault: HTTP 422'] } });
      expect((err as Error).message).toContain('Injected fault: HTTP 422');
    });

    it('throws TransientError with retryAfterMs on a 429 with Retry-After', async () => {
      await startWith();
      sim.faults.set({ throttle: { limit: 0, windowMs: 60_000, retryAfterSeconds: 7 }, routes: ['getJob'] });
      const err = await failureOf(client.getJob(4001));
      expect(err).toBeInstanceOf(TransientError);
      expect(err).toMatchObject({ details: { status: 429, retryAfterMs: 7000 }, outcome: 'not-processed' });
    });

    it('throws TransientError on a 5xx and when ServiceTrade cannot be reached', async () => {
      await startWith();
      sim.faults.set({ errorRate: 1, errorStatus: 502, routes: ['listJobItems'], count: 1 });
      expect(await failureOf(client.listJobItems(4001))).toMatchObject({ name: 'TransientError', details: { status: 502 } });
      await sim.close();
      expect(await failureOf(client.getCompany(1001))).toBeInstanceOf(TransientError);
    });

    it('reads every page of a list', async () => {
      await startWith({ pageSize: 2 });
      // A fault that only counts (a 0 ms latency) shows how many requests the list took.
      sim.faults.set({ latencyMs: 0, routes: ['listJobItems'], count: 100 });
      const items = await client.listJobItems(4001);
      expect(items.map((i) => i.id)).toEqual([5001, 5002, 5003, 5004, 5005]);
      expect(sim.faults.state().remaining).toBe(97);
      expect((await client.listJobs()).map((j) => j.id)).toEqual([4001, 4002]);
      expect((await client.listJobs({ locationId: 2002 })).map((j) => j.id)).toEqual([4002]);
    });

    it('reads on past a page without totalPages: with total until that many rows, else until an empty page', async () => {
      await startWith({ pageSize: 2, listTotals: { totalPages: false, total: true } });
      sim.faults.set({ latencyMs: 0, routes: ['listJobItems'], count: 100 });
      expect((await client.listJobItems(4001)).map((i) => i.id)).toEqual([5001, 5002, 5003, 5004, 5005]);
      expect(sim.faults.state().remaining).toBe(97);
      sim.listTotals = { totalPages: false, total: false };
      expect((await client.listJobItems(4001)).map((i) => i.id)).toEqual([5001, 5002, 5003, 5004, 5005]);
      // Three pages of rows, then the empty fourth.
      expect(sim.faults.state().remaining).toBe(93);
      // One page holds every row: the empty second one ends the list.
      sim.pageSize = 100;
      expect((await client.listJobItems(4001)).map((i) => i.id)).toEqual([5001, 5002, 5003, 5004, 5005]);
    });
  });

  describe('setExternalId', () => {
    beforeEach(() => startWith());

    it('records the value on the entity; writing it again is fine and changes nothing', async () => {
      await client.setExternalId({ type: 'job', id: 4001 }, 'spectrum', 'S7001');
      await client.setExternalId({ type: 'job', id: 4001 }, 'spectrum', 'S7001');
      expect((await client.getJob(4001)).externalIds).toEqual({ spectrum: 'S7001' });
    });

    it("refuses a value another record of the type holds (InvalidRequest with ServiceTrade's reason)", async () => {
      await client.setExternalId({ type: 'job', id: 4001 }, 'spectrum', 'S7001');
      const err = await failureOf(client.setExternalId({ type: 'job', id: 4002 }, 'spectrum', 'S7001'));
      expect(err).toMatchObject({ type: 'InvalidRequest', details: { status: 400 } });
      expect((err as Error).message).toContain('already used by job 4001');
      expect((await client.getJob(4002)).externalIds).toEqual({});
    });

    it('names an unknown entity (SourceRecordNotFound) and refuses a bad system name before sending', async () => {
      const missing = await failureOf(client.setExternalId({ type: 'location', id: 9999 }, 'spectrum', 'S9'));
      expect(missing).toMatchObject({ type: 'SourceRecordNotFound' });
      expect((missing as Error).message).toContain('location 9999');
      sim.faults.set({ latencyMs: 0, routes: ['setExternalId'], count: 10 });
      const bad = await failureOf(client.setExternalId({ type: 'job', id: 4001 }, 'Spectrum', 'S1'));
      expect(bad).toMatchObject({ type: 'InvalidRequest' });
      expect(sim.faults.state().remaining).toBe(10);
    });
  });
});
