/** ServicePowerClient against the ServicePower simulator: every method, every status's classification, warnings, the token kept out of logs. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { PermanentError, PermanentErrorTypes, TransientError } from '../../common/errors';
import { ServicePowerClient } from '../../connectors/servicepower/client';
import { DEMO_WORK_ORDER_NUM, demoServicePowerData } from '../../connectors/servicepower/demo-data';
import { buildWorkOrderPatch } from '../../connectors/servicepower/patch';
import type { ServicePowerWorkOrderInput } from '../../connectors/servicepower/schemas';
import { type ServicePowerSimulator, startServicePowerSimulator } from '../../connectors/servicepower/simulator';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig-very-secret';

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

  const clientWith = (token: string, timeoutMs = 2000) => {
    logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString('utf8');
        done();
      },
    });
    return new ServicePowerClient({ baseUrl: sim.url, accessToken: token, timeoutMs }, pino({ level: 'debug' }, sink));
  };

  beforeEach(async () => {
    sim = await startServicePowerSimulator({ tokens: [TOKEN], seed: demoServicePowerData });
    client = clientWith(TOKEN);
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

  it('getWorkOrder answers null for a number ServicePower does not know (404)', async () => {
    expect(await client.getWorkOrder('NOPE')).toBeNull();
  });

  it('postWorkOrder updates an existing work order; SourceRecordNotFound naming the work order when there is none (404)', async () => {
    expect(await client.postWorkOrder(DEMO_WORK_ORDER_NUM, { ...dispatched(), Description: 'Updated by POST' })).toEqual({ warnings: [] });
    expect((await client.getWorkOrder(DEMO_WORK_ORDER_NUM))?.Description).toBe('Updated by POST');
    const err = await failureOf(client.postWorkOrder('SC-404', dispatched()));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ type: PermanentErrorTypes.SourceRecordNotFound, details: { status: 404, workOrderNum: 'SC-404', method: 'POST' } });
    expect(err.message).toContain('work order SC-404 does not exist in ServicePower');
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

  it('401: AuthenticationFailed; the token appears in no log line and no error', async () => {
    await client.close();
    client = clientWith('wrong-token');
    const err = await failureOf(client.getWorkOrder(DEMO_WORK_ORDER_NUM));
    expect(err).toMatchObject({ type: PermanentErrorTypes.AuthenticationFailed, details: { status: 401 } });
    expect(err.message).not.toContain('wrong-token');
    await client.close();
    client = clientWith(TOKEN);
    await client.putWorkOrder('SC-W', { ...dispatched(), OrderSubType: 'BASKET WEAVING' });
    await failureOf(client.putWorkOrder('SC-W', { ...dispatched(), Account: { AccountNum: 'HP-2000' } }));
    expect(logged).not.toBe('');
    expect(logged).not.toContain(TOKEN);
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

  it('DELETE, then DELETE again: alreadyGone; other calls on a deleted work order are TargetGone (410)', async () => {
    await client.putWorkOrder('SC-X', dispatched());
    expect(await client.deleteWorkOrder('SC-X')).toEqual({ alreadyGone: false, warnings: [] });
    expect(await client.deleteWorkOrder('SC-X')).toEqual({ alreadyGone: true, warnings: [] });
    for (const attempt of [client.getWorkOrder('SC-X'), client.putWorkOrder('SC-X', dispatched()), client.patchWorkOrder('SC-X', { Priority: '1' })]) {
      expect(await failureOf(attempt)).toMatchObject({ type: PermanentErrorTypes.TargetGone, details: { status: 410, workOrderNum: 'SC-X' } });
    }
    const missing = await failureOf(client.deleteWorkOrder('NEVER'));
    expect(missing).toMatchObject({ type: PermanentErrorTypes.SourceRecordNotFound, details: { status: 404 } });
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
    client = clientWith(TOKEN, 300);
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
    client = new ServicePowerClient({ baseUrl: url, accessToken: TOKEN, timeoutMs: 1000 });
    const err = await failureOf(client.getWorkOrder('SC-1'));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).outcome).toBe('not-processed');
    sim = await startServicePowerSimulator({ tokens: [TOKEN] });
  });

  it('reads a work order number that needs escaping in the URL', async () => {
    await client.putWorkOrder('SC 7/1', dispatched());
    expect((await client.getWorkOrder('SC 7/1'))?.OrderNum).toBe('SC 7/1');
  });
});
