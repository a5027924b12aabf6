/** ServicePowerClient against the ServicePower simulator: the JWT from createjwt (cached, renewed, single-flight), every method, every status's classification (both error shapes), warnings, secrets kept out of logs. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { PermanentError, PermanentErrorTypes, TransientError } from '../../common/errors';
import { ServicePowerClient, jwtExpiry, resetServicePowerTokenCache } from '../../connectors/servicepower/client';
import { DEMO_WORK_ORDER_NUM, demoServicePowerData } from '../../connectors/servicepower/demo-data';
import { buildWorkOrderPatch } from '../../connectors/servicepower/patch';
import type { ServicePowerWorkOrderInput } from '../../connectors/servicepower/schemas';
import { type ServicePowerSimulator, startServicePowerSimulator } from '../../connectors/servicepower/simulator';

const USER = { username: 'fieldbridge', password: 'pw-very-secret-123' };

const dispatched = (): ServicePowerWorkOrderInput => ({
  Account: { AccountNum: 'NW-1000' },
  Location: { LocationNum: 'NW-HQ' },
  Description: 'Rooftop unit down',
  OrderType: '1005',
  OrderSubType: 'HVAC',
  Priority: '2',
  PurchaseOrder: { PONum: 'PO-1', Amount: 500 },
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

async function failureOf(promise: Promise<unknown>): Promise<PermanentError | TransientError> {
  try {
    await promise;
  } catch (err) {
    return err as PermanentError | TransientError;
  }
  throw new Error('expected the call to fail');
}

describe('ServicePowerClient', () => {
  let sim: ServicePowerSimulator;
  let client: ServicePowerClient;
  let logged: string;

  const clientWith = (password = USER.password, timeoutMs = 2000, baseUrl = sim.url) => {
    logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString('utf8');
        done();
      },
    });
    return new ServicePowerClient({ baseUrl, username: USER.username, password, timeoutMs }, pino({ level: 'debug' }, sink));
  };

  beforeEach(async () => {
    resetServicePowerTokenCache();
    sim = await startServicePowerSimulator({ users: [USER], seed: demoServicePowerData });
    client = clientWith();
  });
  afterEach(async () => {
    await client.close();
    await sim.close();
  });

  it('putWorkOrder inserts (created, 201 with Location) then updates; getWorkOrder reads it typed; the token goes in x-access-token', async () => {
    expect(await client.putWorkOrder('SC-1', dispatched())).toEqual({ created: true, warnings: [], location: `${sim.url}/WorkOrder/SC-1` });
    expect(await client.putWorkOrder('SC-1', { ...dispatched(), Priority: '1' })).toEqual({ created: false, warnings: [] });
    const wo = await client.getWorkOrder('SC-1');
    expect(wo).toMatchObject({ OrderNum: 'SC-1', Priority: '1', DispatchStatus: 3, OrderStatus: '1', Account: { AccountNum: 'NW-1000', Name: 'Northwind Facilities Inc.' } });
    expect(sim.state.requestCounts()).toEqual({ PUT: 2, GET: 1 });
  });

  it('getWorkOrder answers null for a number ServicePower says does not exist (410)', async () => {
    expect(await client.getWorkOrder('NOPE')).toBeNull();
    expect(sim.state.requests.filter((r) => r.method === 'GET').map((r) => r.status)).toEqual([410]);
  });

  it('postWorkOrder updates an existing work order; TargetGone saying the work order does not exist when there is none (410)', async () => {
    expect(await client.postWorkOrder(DEMO_WORK_ORDER_NUM, { ...dispatched(), Description: 'Updated by POST' })).toEqual({ warnings: [] });
    expect((await client.getWorkOrder(DEMO_WORK_ORDER_NUM))?.Description).toBe('Updated by POST');
    const err = await failureOf(client.postWorkOrder('SC-410', dispatched()));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ type: PermanentErrorTypes.TargetGone, details: { status: 410, workOrderNum: 'SC-410', method: 'POST' } });
    expect(err.message).toContain('work order SC-410 does not exist in ServicePower');
    expect(err.message).not.toContain('deleted');
  });

  it('404 means the URL is wrong (MOB3 "_REST Response Codes"): InvalidRequest naming the URL and SERVICEPOWER_BASE_URL, never "no such work order"', async () => {
    await client.close();
    client = clientWith(USER.password, 2000, `${sim.rootUrl}/seiapi/v2/trans`);
    const err = await failureOf(client.getWorkOrder(DEMO_WORK_ORDER_NUM));
    expect(err).toMatchObject({ type: PermanentErrorTypes.InvalidRequest, details: { status: 404, workOrderNum: DEMO_WORK_ORDER_NUM } });
    expect(err.message).toContain(`${sim.rootUrl}/seiapi/v2/trans/WorkOrder/${DEMO_WORK_ORDER_NUM}`);
    expect(err.message).toContain('SERVICEPOWER_BASE_URL');
  });

  describe('the JWT (POST /createjwt)', () => {
    it('is created once with the Authentication Object, sent as x-access-token, and shared by concurrent calls and clients (single-flight)', async () => {
      const other = clientWith();
      await Promise.all([client.getWorkOrder(DEMO_WORK_ORDER_NUM), client.getWorkOrder(DEMO_WORK_ORDER_NUM), other.getWorkOrder(DEMO_WORK_ORDER_NUM)]);
      await client.getWorkOrder(DEMO_WORK_ORDER_NUM);
      expect(sim.jwt.issued).toBe(1);
      expect(sim.state.requestCounts()).toEqual({ GET: 4 });
      await other.close();
    });

    it('is renewed before its exp, and a 401 (the server forgot it) gets a new one and the call goes through', async () => {
      await sim.close();
      resetServicePowerTokenCache();
      sim = await startServicePowerSimulator({ users: [USER], seed: demoServicePowerData, tokenLifetimeSeconds: 2 });
      await client.close();
      client = clientWith();
      await client.getWorkOrder(DEMO_WORK_ORDER_NUM);
      expect(sim.jwt.issued).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // past exp - life/2
      await client.getWorkOrder(DEMO_WORK_ORDER_NUM);
      expect(sim.jwt.issued).toBe(2);

      sim.jwt.revokeAll();
      expect(await client.getWorkOrder(DEMO_WORK_ORDER_NUM)).toMatchObject({ OrderNum: DEMO_WORK_ORDER_NUM });
      expect(sim.jwt.issued).toBe(3);
      expect(sim.state.requests.map((r) => r.status)).toEqual([200, 200, 401, 200]);
    });

    it('a refused login (401 Invalid Logon) is AuthenticationFailed naming the user; the password and the token appear in no log line and no error', async () => {
      await client.close();
      client = clientWith('wrong-password');
      const err = await failureOf(client.getWorkOrder(DEMO_WORK_ORDER_NUM));
      expect(err).toMatchObject({ type: PermanentErrorTypes.AuthenticationFailed, details: { status: 401 } });
      expect(err.message).toContain('user fieldbridge');
      expect(err.message).toContain('Invalid Logon');
      expect(err.message).not.toContain('wrong-password');
      expect(sim.state.requests).toEqual([]);
      await client.close();
      client = clientWith();
      await client.putWorkOrder('SC-W', { ...dispatched(), OrderSubType: 'BASKET WEAVING' });
      const token = sim.jwt.issue(USER.username);
      expect(jwtExpiry(token)).toBeGreaterThan(Date.now() / 1000);
      expect(logged).not.toBe('');
      expect(logged).not.toContain(USER.password);
      expect(logged).not.toMatch(/eyJ[\w-]+\.eyJ/);
    });
  });

  it('patchWorkOrder sends what buildWorkOrderPatch built: only those changes land, a removed note is deleted', async () => {
    const before = dispatched() as Record<string, unknown>;
    await client.putWorkOrder('SC-P', before);
    const after = { ...before, PurchaseOrder: { PONum: 'PO-1', Amount: 750 }, Notes: [{ ID: 'N2', Text: 'second' }, { ID: 'N3', Text: 'NTE raised to 750' }] };
    const patch = buildWorkOrderPatch(before, after);
    expect(patch).toEqual({ PurchaseOrder: { Amount: 750 }, Notes: [{ ID: 'N3', Text: 'NTE raised to 750' }, { ID: 'N1', Delete: true }] });
    const stored = await client.getWorkOrder('SC-P');
    expect(await client.patchWorkOrder('SC-P', patch)).toEqual({ warnings: [] });
    expect(await client.getWorkOrder('SC-P')).toEqual({ ...stored, PurchaseOrder: { PONum: 'PO-1', Amount: 750 }, Notes: [{ ID: 'N2', Text: 'second' }, { ID: 'N3', Text: 'NTE raised to 750' }] });
  });

  it('returns the warnings of a 200 and logs each with the work order number', async () => {
    const { created, warnings } = await client.putWorkOrder('SC-W', { ...dispatched(), OrderSubType: 'BASKET WEAVING' });
    expect(created).toBe(true);
    expect(warnings).toEqual(["Unknown trade 'BASKET WEAVING': stored, but no mobile worker is matched on it (at OrderSubType)"]);
    const lines = logged.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, workOrderNum: 'SC-W', method: 'PUT', warning: warnings[0] }));

    const several = await client.patchWorkOrder('SC-W', { Description: 'x'.repeat(300), DispatchStatus: 0 });
    expect(several.warnings).toHaveLength(3);
    expect(several.warnings.join('\n')).toMatch(/not dispatched[\s\S]*BASKET WEAVING[\s\S]*truncated to 255/);
  });

  it('400: InvalidRequest quoting ServicePower and the property (a missing Location; dispatch without DispatchUTC)', async () => {
    const { Location: _l, ...noLocation } = dispatched();
    const missing = await failureOf(client.putWorkOrder('SC-B', noLocation));
    expect(missing).toMatchObject({ type: PermanentErrorTypes.InvalidRequest, details: { status: 400, workOrderNum: 'SC-B', dataPath: 'Location' } });
    expect(missing.message).toContain('Location: Location is required');

    const { DispatchUTC: _d, ...noDispatchUtc } = dispatched();
    const rule = await failureOf(client.putWorkOrder('SC-B', noDispatchUtc));
    expect(rule).toMatchObject({ type: PermanentErrorTypes.InvalidRequest, details: { dataPath: 'DispatchUTC' } });
    expect(rule.message).toContain('DispatchStatus 3 (Dispatched) requires DispatchUTC');
    expect(await client.getWorkOrder('SC-B')).toBeNull();
  });

  it('reads the Standard Response Object error shape {type, title, status, detail, invalidParams} as well', async () => {
    sim.errorShape = 'standard';
    const { Location: _l, ...noLocation } = dispatched();
    const err = await failureOf(client.putWorkOrder('SC-B', noLocation));
    expect(err).toMatchObject({ type: PermanentErrorTypes.InvalidRequest, details: { status: 400, workOrderNum: 'SC-B', dataPath: '$.Location' } });
    expect(err.message).toContain('Bad Request: Location: Location is required');
    const gone = await failureOf(client.patchWorkOrder('SC-NONE', { Priority: '1' }));
    expect(gone).toMatchObject({ type: PermanentErrorTypes.TargetGone, details: { status: 410 } });
    expect(gone.message).toContain("Gone: WorkOrder 'SC-NONE' does not exist");
  });

  it('405: InvalidRequest (a ServiceOperations work order can not be deleted)', async () => {
    await client.putWorkOrder('SC-OPS', { ...dispatched(), Rules: { IsOps: true } });
    const err = await failureOf(client.deleteWorkOrder('SC-OPS'));
    expect(err).toMatchObject({ type: PermanentErrorTypes.InvalidRequest, details: { status: 405, workOrderNum: 'SC-OPS', method: 'DELETE', dataPath: 'Rules.IsOps' } });
    expect(err.message).toContain('only ServiceOperations can delete it');
  });

  it('409: TargetConflict saying what conflicts (a closed work order; another account)', async () => {
    await client.putWorkOrder('SC-C', dispatched());
    const account = await failureOf(client.putWorkOrder('SC-C', { ...dispatched(), Account: { AccountNum: 'HP-2000' } }));
    expect(account).toMatchObject({ type: PermanentErrorTypes.TargetConflict, details: { status: 409, dataPath: 'Account.AccountNum' } });
    expect(account.message).toContain("belongs to account 'NW-1000'");

    sim.state.setOrderStatus('SC-C', { OrderStatus: 4096 });
    const closed = await failureOf(client.patchWorkOrder('SC-C', { Priority: '1' }));
    expect(closed).toMatchObject({ type: PermanentErrorTypes.TargetConflict, details: { status: 409, workOrderNum: 'SC-C', method: 'PATCH', dataPath: 'OrderStatus' } });
    expect(closed.message).toContain('Closed / Complete (OrderStatus 4096)');
  });

  it('DELETE, then DELETE again: alreadyGone (410: does not exist); GET null, PATCH TargetGone; DELETE of a number never stored is alreadyGone too', async () => {
    await client.putWorkOrder('SC-X', dispatched());
    expect(await client.deleteWorkOrder('SC-X')).toEqual({ alreadyGone: false, warnings: [] });
    expect(await client.deleteWorkOrder('SC-X')).toEqual({ alreadyGone: true, warnings: [] });
    expect(await client.getWorkOrder('SC-X')).toBeNull();
    expect(await failureOf(client.patchWorkOrder('SC-X', { Priority: '1' }))).toMatchObject({ type: PermanentErrorTypes.TargetGone, details: { status: 410, workOrderNum: 'SC-X' } });
    expect(await client.deleteWorkOrder('NEVER')).toEqual({ alreadyGone: true, warnings: [] });
  });

  it.each([500, 502, 503, 504])('%i: TransientError (retried by the workflow), nothing stored', async (status) => {
    sim.faults.set({ errorRate: 1, errorStatus: status, count: 1 });
    const err = await failureOf(client.putWorkOrder('SC-T', dispatched()));
    expect(err).toBeInstanceOf(TransientError);
    expect(err).toMatchObject({ details: { status } });
    expect((err as TransientError).outcome).toBe(status === 503 ? 'not-processed' : 'unknown');
    expect(await client.putWorkOrder('SC-T', dispatched())).toMatchObject({ created: true });
  });

  it('a lost answer (timeout) is a TransientError with an unknown outcome; the write did land', async () => {
    await client.close();
    client = clientWith(USER.password, 300);
    sim.faults.set({ applyThenHang: true, count: 1 });
    const err = await failureOf(client.putWorkOrder('SC-H', dispatched()));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('timed out');
    expect((err as TransientError).outcome).toBe('unknown');
    expect(await client.getWorkOrder('SC-H')).toMatchObject({ OrderNum: 'SC-H' });
  });

  it('a refused connection is a TransientError that says nothing was done', async () => {
    const url = sim.url;
    await sim.close();
    await client.close();
    client = new ServicePowerClient({ baseUrl: url, username: USER.username, password: USER.password, timeoutMs: 1000 });
    const err = await failureOf(client.getWorkOrder('SC-1'));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).outcome).toBe('not-processed');
    sim = await startServicePowerSimulator({ users: [USER] });
  });

  it('reads a work order number that needs escaping in the URL', async () => {
    await client.putWorkOrder('SC 7/1', dispatched());
    expect((await client.getWorkOrder('SC 7/1'))?.OrderNum).toBe('SC 7/1');
  });
});
