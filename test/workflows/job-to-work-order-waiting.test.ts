/**
 * Verify mappings: a job whose location has no Spectrum site code waits (FieldBridgeSyncStatus
 * "waiting", FieldBridgeWaitingOn naming the location), says which record lacks which code, and
 * completes once the mapping is fixed in ServiceTrade: woken by an operator's recheck, or by
 * ServiceTrade's location-updated webhook through the receiver. Past its deadline it fails with the
 * same message. Also the whole path from ServiceTrade's job-created webhook to the work order.
 */
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildReceiver } from '../../client/receiver';
import { listSyncs } from '../../client/operations';
import { loadConfig } from '../../common/config';
import { PermanentErrorTypes } from '../../common/errors';
import { SyncStatusKey, WaitingOnKey } from '../../common/search-attributes';
import { DEMO_LOCATION_IDS } from '../../connectors/servicetrade/demo-data';
import { jobToWorkOrderWorkflowId, recheckSignal, syncStateQuery } from '../../workflows/definitions';
import { failureOf } from '../helpers/customer-sync';
import { activityRuns, keepJobHistory, linesOf, useJobSyncStack, spectrumWrites } from '../helpers/job-sync';
import { eventually, testLogger } from '../helpers/stack';

jest.setTimeout(120_000);

const t = useJobSyncStack();
const TOKEN = 'servicetrade-hook-token-0123456789abcdef';
const UNMAPPED = DEMO_LOCATION_IDS.harborPointTower;
const WAIT_KEY = `servicetrade:location:${UNMAPPED}`;
let receiver: FastifyInstance;
let hookBase: string;

beforeAll(async () => {
  receiver = buildReceiver({
    client: t.stack.env.client,
    taskQueue: t.stack.taskQueue,
    logger: testLogger,
    app4salesWebhookSecret: 'unused-app4sales-secret-0123456789',
    servicetradeWebhook: { token: TOKEN, autoSyncNewJobs: true },
    ...loadConfig(['receiver'], {}).receiver,
  });
  hookBase = `${await receiver.listen({ host: '127.0.0.1', port: 0 })}/webhooks/servicetrade`;
});
afterAll(async () => {
  await receiver?.close();
});
beforeEach(() => {
  t.stack.servicetrade.webhooks.target = null;
});

/** Wait until the job's sync is parked as waiting, and return what it shows. */
async function untilWaiting(jobId: number) {
  const handle = t.stack.env.client.workflow.getHandle(jobToWorkOrderWorkflowId(jobId));
  return eventually(
    async () => {
      const description = await handle.describe();
      return description.typedSearchAttributes.get(SyncStatusKey) === 'waiting' ? description : null;
    },
    20_000,
    'the sync to wait',
  );
}

/** How many times the sync has loaded the job (activities scheduled, or local-activity markers), from its history. */
async function loadsOf(workflowId: string): Promise<number> {
  const jobId = Number(workflowId.split(':').pop());
  return (await activityRuns(t.stack, jobId)).filter((r) => r.activityType === 'loadServiceTradeJob').length;
}

test('an unmapped location: the sync waits, names the record, and completes after the fix and an operator recheck', async () => {
  const job = t.createJob({ locationId: UNMAPPED, services: [{ serviceLineId: 13 }], type: 'inspection' });
  await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id);
    const description = await untilWaiting(job.id);
    expect(description.typedSearchAttributes.get(WaitingOnKey)).toEqual([WAIT_KEY]);
    const state = await handle.query(syncStateQuery);
    expect(state.status).toBe('waiting');
    expect(state.lastError).toContain(`location ${UNMAPPED} ("Harbor Point Tower") has no Spectrum site code`);
    expect(state.lastError).toContain(`fieldbridge recheck ${jobToWorkOrderWorkflowId(job.id)}`);
    // What `fieldbridge list --status waiting` shows.
    const waiting = await eventually(async () => (await listSyncs(t.stack.env.client, { status: 'waiting' })).find((s) => s.workflowId === handle.workflowId));
    expect(waiting.waitingOn).toEqual([WAIT_KEY]);
    expect(spectrumWrites(t.stack)).toEqual([]);

    // A recheck before the fix: it looks again and keeps waiting.
    await handle.signal(recheckSignal, { reason: 'operator' });
    await eventually(async () => (await loadsOf(handle.workflowId)) === 2, 20_000, 'the recheck to load the job again');
    await untilWaiting(job.id);
    expect((await handle.query(syncStateQuery)).status).toBe('waiting');

    t.stack.servicetrade.state.patchLocation(UNMAPPED, { externalIds: { spectrum: 'S2000' } }, { notify: false });
    await handle.signal(recheckSignal, { reason: 'operator' });
    const result = await handle.result();
    expect(result.workOrderNumber).toBe(`S${job.number}`);
  });
  const order = t.workOrder(job.number);
  expect(order?.header).toMatchObject({ WO_Job_Number: 'S2000', Bill_Customer_Code: 'C2000', WO_Job_Division: 'FIRE' });
  expect(linesOf(order)).toHaveLength(5);
  const final = await t.stack.env.client.workflow.getHandle(jobToWorkOrderWorkflowId(job.id)).describe();
  expect(final.typedSearchAttributes.get(SyncStatusKey)).toBe('completed');
  // Nothing to wait on any more: the attribute is removed.
  expect(final.typedSearchAttributes.get(WaitingOnKey)).toBeUndefined();
  await keepJobHistory(t.stack, 'waited-for-mapping', job.id);
});

test('fixing the mapping in ServiceTrade is enough: its location-updated webhook wakes the waiting sync', async () => {
  t.stack.servicetrade.webhooks.target = { hookUrl: `${hookBase}/${TOKEN}` };
  const job = t.createJob({ locationId: UNMAPPED });
  await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id);
    await untilWaiting(job.id);
    t.stack.servicetrade.state.patchLocation(UNMAPPED, { externalIds: { spectrum: 'S2000' } });
    const result = await handle.result();
    expect(result.workOrderNumber).toBe(`S${job.number}`);
  });
  const delivery = t.stack.servicetrade.state.webhookDeliveries.find((d) => JSON.stringify(d).includes('"location"'));
  expect(delivery).toBeDefined();
  expect(linesOf(t.workOrder(job.number))).toHaveLength(5);
});

test('a customer code Spectrum does not know: the sync waits on the company and completes once Spectrum has the customer', async () => {
  t.stack.servicetrade.state.patchCompany(1001, { externalIds: { spectrum: 'C9999' } }, { notify: false });
  const job = t.createJob();
  await t.stack.withWorker(
    async () => {
      const handle = await t.sync(job.id);
      const description = await untilWaiting(job.id);
      expect(description.typedSearchAttributes.get(WaitingOnKey)).toEqual(['servicetrade:company:1001']);
      expect((await handle.query(syncStateQuery)).lastError).toContain('company 1001 ("Northwind Facilities Inc.") has Spectrum customer code "C9999", which Spectrum does not know');
      expect(t.stack.spectrum.state.callsTo('WorkOrderHeader')).toHaveLength(0);
      // The customer is created in Spectrum: an operator's recheck finds it.
      t.stack.spectrum.state.seed({ customers: [{ Customer_Code: 'C9999', Name: 'Northwind (new account)' }] });
      await handle.signal(recheckSignal, { reason: 'operator' });
      await handle.result();
    },
    { jobSync: { customerListRefreshMs: 1 } },
  );
  expect(t.workOrder(job.number)?.header.Bill_Customer_Code).toBe('C9999');
});

test('past its deadline a waiting sync fails with MappingNotFound and the same message', async () => {
  const job = t.createJob({ locationId: UNMAPPED });
  const failure = await t.stack.withWorker(async () => failureOf((await t.sync(job.id)).result()), { jobSync: { mappingWaitMs: 2000, mappingRecheckMs: 1000 } });
  expect(failure.type).toBe(PermanentErrorTypes.MappingNotFound);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(`location ${UNMAPPED} ("Harbor Point Tower") has no Spectrum site code`);
  expect(failure.message).toContain(`Gave up after waiting 2 s: add the code, then run \`fieldbridge sync servicetrade-job ${job.id}\``);
  const description = await t.stack.env.client.workflow.getHandle(jobToWorkOrderWorkflowId(job.id)).describe();
  expect(description.typedSearchAttributes.get(SyncStatusKey)).toBe('failed');
  expect(spectrumWrites(t.stack)).toEqual([]);
  await keepJobHistory(t.stack, 'mapping-deadline', job.id);
});

test("ServiceTrade's job-created webhook (automatic sync on) becomes exactly one work order, even delivered again", async () => {
  t.stack.servicetrade.webhooks.target = { hookUrl: `${hookBase}/${TOKEN}` };
  await t.stack.withWorker(async () => {
    const created = t.stack.servicetrade.state.createJob({ id: 900_000 + Math.floor(Math.random() * 99_999), locationId: DEMO_LOCATION_IDS.northwindHq, services: [{ serviceLineId: 11 }], items: [{ libItemId: 501, quantity: 2 }] });
    const handle = t.stack.env.client.workflow.getHandle(jobToWorkOrderWorkflowId(created.id));
    await eventually(async () => (await handle.describe().catch(() => null))?.status.name === 'COMPLETED', 30_000, 'the job sync to complete');
    // ServiceTrade delivers the same event again (a retry after a lost 2xx): recognised, no second work order.
    await t.stack.servicetrade.webhooks.idle();
    const delivery = t.stack.servicetrade.state.webhookDeliveries.find((d) => d.message.data.some((e) => e.entity.type === 'job' && e.entity.id === created.id));
    expect(delivery?.status).toBe('delivered');
    const again = await request(`${hookBase}/${TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(delivery!.message) });
    expect(again.statusCode).toBe(202);
    await again.body.dump();
    await eventually(async () => (await handle.describe()).status.name === 'COMPLETED');
    expect(t.stack.servicetrade.state.job(created.id)?.externalIds.spectrum).toBe(`S${created.number}`);
    expect(linesOf(t.workOrder(created.number))).toEqual(['FILTER-20 x2 Air filter 20x20x1']);
  });
  expect(t.stack.spectrum.state.workOrders.size).toBe(1);
});

test('a customer list Spectrum cut at its maximum (W "exceeds maximum") is never read as whole: a valid customer past the cut is not a missing mapping', async () => {
  // Spectrum answers at most 2 customers a call; 3 customer codes sort before the demo customer's C1000.
  t.stack.spectrum.state.seed({ customers: ['A0001', 'A0002', 'A0003'].map((code) => ({ Customer_Code: code, Name: `Earlier customer ${code}` })) });
  t.stack.spectrum.state.settings = { ...t.stack.spectrum.state.settings, maxGetRows: 2 };
  const job = t.createJob();
  // Read as whole, the list would leave C1000 "unknown" and the sync waiting until its (here 3 s) deadline.
  await t.stack.withWorker(async () => (await t.sync(job.id)).result(), { jobSync: { mappingWaitMs: 3000, mappingRecheckMs: 1000 } });
  expect(t.workOrder(job.number)?.header.Bill_Customer_Code).toBe('C1000');
  // Both lists were partial: every customer (ALL), then the Active ones (blank pStatus), each answered with a W row.
  const reads = t.stack.spectrum.state.callsTo('GetCustomers');
  expect(reads.map((r) => r.rows)).toEqual([
    [expect.objectContaining({ error_code: 'W', desc: expect.stringContaining('exceeds maximum') })],
    [expect.objectContaining({ error_code: 'W', desc: expect.stringContaining('exceeds maximum') })],
  ]);
});

test('a customer marked Not Used in Spectrum (GetCustomers Status "Not Used") is not a usable mapping: the sync waits on the company', async () => {
  t.stack.spectrum.state.seed({ customers: [{ Customer_Code: 'C1000', Name: 'Northwind Facilities Inc.', Status: 'Not Used' }] });
  const job = t.createJob();
  await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id);
    const description = await untilWaiting(job.id);
    expect(description.typedSearchAttributes.get(WaitingOnKey)).toEqual(['servicetrade:company:1001']);
    expect((await handle.query(syncStateQuery)).lastError).toContain('has Spectrum customer code "C1000", which is marked Not Used in Spectrum');
    await handle.terminate('test done');
  });
  expect(t.stack.spectrum.state.callsTo('WorkOrderHeader')).toHaveLength(0);
});
