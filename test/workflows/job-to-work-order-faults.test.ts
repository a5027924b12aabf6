/**
 * The ServiceTrade job -> Spectrum work order sync on the real dev server when things go wrong:
 * a missing Spectrum permission, an expired GUID, transient faults on both systems, a lost answer
 * while the lines are written, refusals after the header (the saga's compensation), and a job whose
 * number cannot be a Spectrum work order number. Each test checks what a user checks in Spectrum
 * (one work order, exactly the job's lines, the notes) and in ServiceTrade (the number on the job),
 * Temporal's outcome (result, failure type and message, attempts), and that the fault really hit
 * (the simulators' request logs).
 */
import { SPECTRUM_AUTHORIZATION_ID, eventually } from '../helpers/stack';
import { failureOf } from '../helpers/customer-sync';
import { FIVE_ITEMS, activityRuns, itemCodeOf, keepJobHistory, linesOf, useJobSyncStack, spectrumWrites } from '../helpers/job-sync';

jest.setTimeout(120_000);

const t = useJobSyncStack();

const FIVE_LINES = [
  'BELT-A42 x2 V-belt A42',
  'FILTER-20 x4 Air filter 20x20x1',
  'LABOR x1 Technician labor',
  'LABOR x3.5 Technician labor',
  'MISC x1 Condensate pan tablets',
];

/** The attempt each activity type's executions ended on, in order: `{ loadServiceTradeJob: [3], … }`. */
async function attemptsOf(jobId: number, runId?: string): Promise<Record<string, number[]>> {
  const attempts: Record<string, number[]> = {};
  for (const run of await activityRuns(t.stack, jobId, runId)) (attempts[run.activityType] ??= []).push(run.attempt);
  return attempts;
}

const workOrderCount = () => t.stack.spectrum.state.workOrders.size;
/** The job's Spectrum external id as a list (none, or the one ServiceTrade holds). */
const numberOnJob = (jobId: number) => {
  const held = t.stack.servicetrade.state.job(jobId)?.externalIds.spectrum;
  return held ? [held] : [];
};
/** Wait for a step of a sync in flight (polls every 50 ms: a held request is released well before the client gives up). */
const soon = <T>(check: () => T, what: string) => eventually(check, 30_000, what);

test('an Authorization ID without WorkOrderHeader: fails SpectrumNotAuthorized after ONE call, saying what to grant', async () => {
  const job = t.createJob();
  t.stack.spectrum.state.setPermissions(SPECTRUM_AUTHORIZATION_ID, ['AddWOMaterialCost', 'DeleteWOMaterialCost', 'GetWOMaterialCost', 'WOHeaderNotes', 'GetCustomers']);

  const failure = await t.stack.withWorker(async () => failureOf((await t.sync(job.id)).result()));

  expect(failure.type).toBe('SpectrumNotAuthorized');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(`Authorization ID ${SPECTRUM_AUTHORIZATION_ID}`);
  expect(failure.message).toContain('Authorization_ID: The Web Service is not authorized');
  // The permission to grant is named as Spectrum's Data Exchange Build screen lists it.
  expect(failure.message).toContain('has no permission for WorkOrderHeader; the Authorization ID needs the web service WorkOrder -> WorkOrderHeader. To fix: ');
  expect(failure.message).toMatch(
    new RegExp(
      `To fix: grant Authorization ID ${SPECTRUM_AUTHORIZATION_ID} the web service WorkOrder -> WorkOrderHeader, active and set up for the company \\(Spectrum: System Administration -> Installation -> Data Exchange -> Build\\)$`,
    ),
  );
  // One WorkOrderHeader, refused with an A row, after the claim's read (no work order of that
  // number); nothing else was sent, nothing was retried.
  const calls = t.stack.spectrum.state.callsTo('WorkOrderHeader');
  expect(calls).toHaveLength(1);
  expect(calls[0].rows).toEqual([expect.objectContaining({ error_code: 'A', column: 'Authorization_ID' })]);
  expect(spectrumWrites(t.stack).map((r) => r.service)).toEqual(['GetWOMaterialCost', 'WorkOrderHeader']);
  expect(await attemptsOf(job.id)).toEqual({ loadServiceTradeJob: [1], claimWorkOrderNumber: [1], upsertWorkOrderHeader: [1] });
  // Nothing in Spectrum; the job carries the number claimed for it (version 3), which a re-sync keeps.
  expect(workOrderCount()).toBe(0);
  expect(numberOnJob(job.id)).toEqual([`S${job.number}`]);
  await keepJobHistory(t.stack, 'not-authorized', job.id);
});

test('the GUID expires while the lines are written: the sync renews it and completes with a new GUID, five lines, one work order', async () => {
  const job = t.createJob();
  const spectrum = t.stack.spectrum;
  spectrum.faults.set({ hold: true, routes: ['AddWOMaterialCost'], count: 1 });

  const result = await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id);
    await soon(() => spectrum.faults.held === 1, 'the first AddWOMaterialCost to be held');
    const { guid } = spectrum.state.callsTo('AddWOMaterialCost')[0];
    // "24 hours later": Spectrum has expired the session the sync uses.
    expect(spectrum.state.expireGuid(guid)).toBeGreaterThan(0);
    spectrum.faults.release();
    return handle.result();
  });

  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 5, numberRecorded: true });
  const guids = [...new Set(spectrum.state.requests.map((r) => r.guid))];
  expect(guids).toHaveLength(2);
  const [expired, renewed] = guids;
  // The held call was answered "Time out has occurred"; every call after it used the new GUID.
  const refused = spectrum.state.callsTo('AddWOMaterialCost')[0];
  expect(refused).toMatchObject({ guid: expired, applied: false });
  expect(refused.rows?.[0].desc).toMatch(/^Time out has occurred/);
  const after = spectrum.state.requests.slice(spectrum.state.requests.indexOf(refused) + 1);
  expect(after.length).toBeGreaterThan(0);
  expect(after.every((r) => r.guid === renewed)).toBe(true);
  expect(linesOf(t.workOrder(job.number))).toEqual(FIVE_LINES);
  expect(workOrderCount()).toBe(1);
  expect(numberOnJob(job.id)).toEqual([`S${job.number}`]);
  // Two executions of the lines activity (the second with the new GUID), no retry of either.
  expect((await attemptsOf(job.id)).convergeWorkOrderLines).toEqual([1, 1]);
  await keepJobHistory(t.stack, 'guid-renewed', job.id);
});

test('the GUID expires while the header is written (a local activity in version 2): the sync renews it and completes, one work order', async () => {
  const job = t.createJob();
  const spectrum = t.stack.spectrum;
  spectrum.faults.set({ hold: true, routes: ['WorkOrderHeader'], count: 1 });

  const result = await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id);
    await soon(() => spectrum.faults.held === 1, 'the WorkOrderHeader to be held');
    const { guid } = spectrum.state.callsTo('WorkOrderHeader')[0];
    expect(spectrum.state.expireGuid(guid)).toBeGreaterThan(0);
    spectrum.faults.release();
    return handle.result();
  });

  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 5, numberRecorded: true });
  const headers = spectrum.state.callsTo('WorkOrderHeader');
  expect(headers).toHaveLength(2);
  expect(headers[0].rows?.[0].desc).toMatch(/^Time out has occurred/);
  expect(headers[1].guid).not.toBe(headers[0].guid);
  expect(linesOf(t.workOrder(job.number))).toEqual(FIVE_LINES);
  expect(workOrderCount()).toBe(1);
  expect((await attemptsOf(job.id)).upsertWorkOrderHeader).toEqual([1, 1]);
  await keepJobHistory(t.stack, 'header-guid-renewed', job.id);
});

test('transient faults (ServiceTrade 503 twice, Spectrum "Error executing Web Service" twice, a truncated reply) are retried: one work order, five lines', async () => {
  const job = t.createJob();
  const { servicetrade, spectrum } = t.stack;
  servicetrade.faults.set({ errorRate: 1, errorStatus: 503, routes: ['getJob'], count: 2 });
  spectrum.faults.set({ serverFault: true, routes: ['WorkOrderHeader'], count: 2 });

  const result = await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id);
    // Spectrum keeps one fault config at a time: once both server faults are spent (the header's
    // third attempt is 4 s away), the next AddWOMaterialCost answer is cut off.
    await soon(() => spectrum.state.callsTo('WorkOrderHeader').length === 2 && spectrum.faults.state().config === null, 'both server faults');
    spectrum.faults.set({ truncateReply: true, routes: ['AddWOMaterialCost'], count: 1 });
    return handle.result();
  });

  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 5, numberRecorded: true });
  // The faults hit: both 503s spent on getJob, two SOAP server faults, one truncated reply.
  expect(servicetrade.faults.state().config).toBeNull();
  const headers = spectrum.state.callsTo('WorkOrderHeader');
  expect(headers.map((h) => h.outcome)).toEqual(['fault', 'fault', 'rows']);
  expect(headers[0].fault).toBe('SOAP-ENV:Server: Error executing Web Service');
  expect(spectrum.state.requests.filter((r) => r.truncated)).toHaveLength(1);
  expect(await attemptsOf(job.id)).toEqual({
    loadServiceTradeJob: [3],
    claimWorkOrderNumber: [1],
    upsertWorkOrderHeader: [3],
    convergeWorkOrderLines: [1],
  });
  expect(linesOf(t.workOrder(job.number))).toEqual(FIVE_LINES);
  expect(workOrderCount()).toBe(1);
  expect(t.workOrder(job.number)?.revision).toBe(1);
  expect(numberOnJob(job.id)).toEqual([`S${job.number}`]);
  await keepJobHistory(t.stack, 'transient-faults', job.id);
});

test('an AddWOMaterialCost applied whose answer is lost: the retry reads the lines again (GetWOMaterialCost), keeps the lost line, adds only the rest; nothing deleted', async () => {
  const job = t.createJob();
  const spectrum = t.stack.spectrum;
  const adds = () => spectrum.state.callsTo('AddWOMaterialCost');
  // Let BELT-A42 and FILTER-20 through one at a time, then lose the answer of the first LABOR line.
  spectrum.faults.set({ hold: true, routes: ['AddWOMaterialCost'] });

  const result = await t.stack.withWorker(
    async () => {
      const handle = await t.sync(job.id);
      await soon(() => adds().length === 1 && spectrum.faults.held === 1, 'the BELT-A42 line held');
      spectrum.faults.release();
      await soon(() => adds().length === 2 && spectrum.faults.held === 1, 'the FILTER-20 line held');
      spectrum.faults.set({ applyThenTimeout: true, routes: ['AddWOMaterialCost'], count: 1 });
      spectrum.faults.release();
      return handle.result();
    },
    // Short, so the lost answer costs little; long enough that a held line is released before it times out.
    { spectrumTimeoutMs: 2500 },
  );

  // Five lines added by the sync, the lost one counted once.
  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 5, numberRecorded: true });
  const lost = adds()[2];
  expect(lost).toMatchObject({ outcome: 'hung', applied: true });
  expect(itemCodeOf(lost)).toBe('LABOR');
  // After the lost answer: the work order's lines read again, the lost line found and kept.
  const log = spectrum.state.requests;
  const afterLost = log.slice(log.indexOf(lost) + 1);
  expect(afterLost.find((r) => r.service !== 'GetCustomers')?.service).toBe('GetWOMaterialCost');
  // Three reads: the claim's (no work order yet), the lines' first attempt's, the retry's.
  expect(spectrum.state.callsTo('GetWOMaterialCost')).toHaveLength(3);
  // Exactly five adds applied (never the lost line twice), no delete at all.
  expect(adds().filter((r) => r.applied)).toHaveLength(5);
  expect(adds().filter((r) => r.applied).map(itemCodeOf)).toEqual(['BELT-A42', 'FILTER-20', 'LABOR', 'LABOR', 'MISC']);
  expect(spectrum.state.callsTo('DeleteWOMaterialCost')).toEqual([]);
  const runs = (await activityRuns(t.stack, job.id)).filter((r) => r.activityType === 'convergeWorkOrderLines');
  expect(runs).toEqual([expect.objectContaining({ attempt: 2, outcome: 'completed', lastFailure: expect.objectContaining({ type: 'ExternalOutcomeUnknown' }) })]);
  expect(linesOf(t.workOrder(job.number))).toEqual(FIVE_LINES);
  expect(workOrderCount()).toBe(1);
  expect(numberOnJob(job.id)).toEqual([`S${job.number}`]);
  await keepJobHistory(t.stack, 'apply-then-timeout', job.id);
});

test('a line edited in Spectrum and one added there by hand with a job item code: a re-sync deletes them by System_Key and adds the job line back; lines of other codes stay', async () => {
  const job = t.createJob();
  const spectrum = t.stack.spectrum;
  await t.stack.withWorker(async () => (await t.sync(job.id)).result());
  const order = t.workOrder(job.number)!;
  // In Spectrum: the FILTER-20 line's quantity changed, a second BELT-A42 line and a line of another item added by hand.
  order.materials.find((l) => l.Item_Code === 'FILTER-20')!.Quantity_Used = '9';
  const extra = { ...order.materials.find((l) => l.Item_Code === 'BELT-A42')!, Sequence: 90, System_Key: 'HAND-1' };
  const other = { ...extra, Sequence: 91, System_Key: 'HAND-2', Item_Code: 'NOT-FROM-JOB', Item_Description: 'entered in Spectrum' };
  order.materials.push(extra, other);

  const result = await t.stack.withWorker(async () => (await t.sync(job.id, 'evt-resync')).result());

  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 1 });
  const deletes = spectrum.state.callsTo('DeleteWOMaterialCost');
  expect(deletes.map(itemCodeOf).sort()).toEqual(['BELT-A42', 'FILTER-20']);
  expect(deletes.every((r) => r.applied)).toBe(true);
  expect(linesOf(t.workOrder(job.number))).toEqual([...FIVE_LINES, 'NOT-FROM-JOB x2 entered in Spectrum'].sort());
});

test('ServiceTrade refuses the number write-back for good: the sync fails with that error before anything is written to Spectrum (version 3 claims the number first)', async () => {
  const job = t.createJob();
  t.stack.servicetrade.faults.set({ errorRate: 1, errorStatus: 422, routes: ['setExternalId'] });

  const failure = await t.stack.withWorker(async () => failureOf((await t.sync(job.id)).result()));

  expect(failure.type).toBe('InvalidRequest');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(`ServiceTrade refused the request for external id of job ${job.id} (422)`);
  // The failure says which system refused (ServiceTrade), and which external system the id was for.
  expect(failure.details).toEqual([expect.objectContaining({ system: 'servicetrade', status: 422, externalSystem: 'spectrum', value: `S${job.number}` })]);
  expect(await attemptsOf(job.id)).toEqual({ loadServiceTradeJob: [1], claimWorkOrderNumber: [1] });
  // Spectrum was only read (no work order of that number): nothing to compensate, no number on the job.
  expect(spectrumWrites(t.stack).map((r) => r.service)).toEqual(['GetWOMaterialCost']);
  expect(workOrderCount()).toBe(0);
  expect(numberOnJob(job.id)).toEqual([]);
  await keepJobHistory(t.stack, 'write-back-refused-before-header', job.id);
});

test('a line Spectrum refuses (an item code it does not know): fails SpectrumRejected naming Item_Code, the lines are removed with a note; fixed and re-synced: exactly the job items', async () => {
  const { servicetrade, spectrum } = t.stack;
  servicetrade.state.putLibItem({ id: 509, code: 'GASKET-9', name: 'Door gasket' });
  const job = t.createJob({ items: [...FIVE_ITEMS, { libItemId: 509, quantity: 2, cost: 18, price: 39, uom: 'each' }] });

  const failed = await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id);
    const failure = await failureOf(handle.result());
    return { failure, runId: (await handle.describe()).runId };
  });

  expect(failed.failure.type).toBe('SpectrumRejected');
  expect(failed.failure.message).toContain('Item_Code: Item GASKET-9 does not exist. To fix: ');
  expect(failed.failure.message).toContain("To fix: fix the item's code in the ServiceTrade item library, or SPECTRUM_OTHER_ITEM_CODE");
  const refused = spectrum.state.callsTo('AddWOMaterialCost').find((r) => !r.applied);
  expect(refused?.rows).toEqual([expect.objectContaining({ error_code: 'I', column: 'Item_Code' })]);
  expect((await attemptsOf(job.id, failed.runId)).convergeWorkOrderLines).toEqual([1]);
  // BELT-A42 and FILTER-20 had been added before the refusal; the compensation removed them.
  expect(spectrum.state.callsTo('AddWOMaterialCost').filter((r) => r.applied).map(itemCodeOf)).toEqual(['BELT-A42', 'FILTER-20']);
  let order = t.workOrder(job.number);
  expect(workOrderCount()).toBe(1);
  expect(order?.materials).toEqual([]);
  expect(order?.notes).toHaveLength(1);
  expect(order?.notes[0]).toMatchObject({ topic: 'FieldBridge' });
  expect(order?.notes[0].text).toContain('its material lines were removed. Reason: ');
  expect(order?.notes[0].text).toContain('Item GASKET-9 does not exist');
  // Version 3 claimed the number before the header: the job carries it, and the re-sync keeps it.
  expect(numberOnJob(job.id)).toEqual([`S${job.number}`]);
  await keepJobHistory(t.stack, 'compensated-line-refused', job.id, failed.runId);

  // The fix: the item is set up in Spectrum. A new sync writes exactly the job's items.
  spectrum.state.seed({ items: [{ Item_Code: 'GASKET-9', Description: 'Door gasket' }] });
  const result = await t.stack.withWorker(async () => (await t.sync(job.id, 'evt-after-fix')).result());

  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 6, numberRecorded: false });
  order = t.workOrder(job.number);
  expect(linesOf(order)).toEqual([...FIVE_LINES.slice(0, 2), 'GASKET-9 x2 Door gasket', ...FIVE_LINES.slice(2)]);
  expect(workOrderCount()).toBe(1);
  expect(order?.notes).toHaveLength(1);
  expect(numberOnJob(job.id)).toEqual([`S${job.number}`]);
  await keepJobHistory(t.stack, 'resynced-after-line-refused', job.id);
});

test('a job number that is too long with the leading character: fails InvalidSourceRecord naming it, nothing sent to Spectrum', async () => {
  const job = t.createJob({ number: '1234567890' });

  const failure = await t.stack.withWorker(async () => failureOf((await t.sync(job.id)).result()));

  expect(failure.type).toBe('InvalidSourceRecord');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(`ServiceTrade job ${job.id} (number 1234567890) cannot become a Spectrum work order`);
  expect(failure.message).toContain('work order number "S1234567890"');
  expect(failure.message).toContain("11 characters; Spectrum's WO_Number holds 10");
  expect(failure.message).toContain('clear SPECTRUM_WO_NUMBER_LEADING_CHARACTER or renumber the job');
  expect(await attemptsOf(job.id)).toEqual({ loadServiceTradeJob: [1] });
  expect(spectrumWrites(t.stack)).toEqual([]);
  expect(workOrderCount()).toBe(0);
  expect(numberOnJob(job.id)).toEqual([]);
  await keepJobHistory(t.stack, 'number-too-long', job.id);
});

test('Spectrum requires a lead source and none is configured: fails SpectrumRejected naming Lead_Source and the setting to fill', async () => {
  t.stack.spectrum.state.settings = { ...t.stack.spectrum.state.settings, leadSourceRequired: true };
  const job = t.createJob();
  const failure = await t.stack.withWorker(async () => failureOf((await t.sync(job.id)).result()), { jobSync: { defaultLeadSourceCode: undefined } });
  expect(failure.type).toBe('SpectrumRejected');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain('Lead_Source');
  expect(failure.message).toContain('To fix: set SPECTRUM_DEFAULT_LEAD_SOURCE to a lead source that exists in Spectrum');
  expect(t.stack.spectrum.state.callsTo('WorkOrderHeader')).toHaveLength(1);
  expect(t.stack.spectrum.state.workOrders.size).toBe(0);
});

test('no work order type for the job and no default: blank, which Spectrum fills from its default division for site work orders', async () => {
  // INSP is no type FieldBridge could have chosen: only Spectrum's default division puts it there.
  t.stack.spectrum.state.settings = { ...t.stack.spectrum.state.settings, defaultDivision: 'INSP' };
  const job = t.createJob({ type: 'maintenance', services: [{ serviceLineId: 12 }] });
  await t.stack.withWorker(async () => (await t.sync(job.id)).result(), { jobSync: { defaultWorkOrderTypeCode: undefined } });
  expect(t.workOrder(job.number)?.header.WO_Job_Division).toBe('INSP');
});

test('no work order type and no default division in Spectrum: fails SpectrumRejected naming WO_Job_Division and how to map it', async () => {
  const job = t.createJob({ type: 'maintenance', services: [{ serviceLineId: 12 }] });
  const failure = await t.stack.withWorker(async () => failureOf((await t.sync(job.id)).result()), { jobSync: { defaultWorkOrderTypeCode: undefined } });
  expect(failure.type).toBe('SpectrumRejected');
  expect(failure.message).toContain('WO_Job_Division');
  expect(failure.message).toContain('SPECTRUM_WORK_ORDER_TYPE_MAP');
  expect(t.stack.spectrum.state.workOrders.size).toBe(0);
});
