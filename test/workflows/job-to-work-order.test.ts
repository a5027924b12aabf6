/**
 * The ServiceTrade job -> Spectrum work order sync on the real dev server, against the ServiceTrade
 * and Spectrum simulators: the happy path, redeliveries, a changed job, and what a user checks in
 * Spectrum (one work order, the job's items) and in ServiceTrade (the number on the job).
 */
import { syncStateQuery } from '../../workflows/definitions';
import { keepJobHistory, linesOf, useJobSyncStack } from '../helpers/job-sync';

jest.setTimeout(120_000);

const t = useJobSyncStack();

test('a mapped job becomes one Spectrum work order with its five items, and its number is recorded on the job', async () => {
  const job = t.createJob({ customerPo: 'PO-77', scheduledDate: 1_767_776_400, dueBy: 1_768_035_600 });
  const result = await t.stack.withWorker(async () => (await t.sync(job.id)).result());

  expect(result).toMatchObject({ jobId: job.id, workOrderNumber: `S${job.number}`, linesAdded: 5, numberRecorded: true });
  const order = t.workOrder(job.number);
  expect(order?.header).toMatchObject({
    WO_Reference_Code: 'S',
    WO_Job_Number: 'S1000',
    Bill_Customer_Code: 'C1000',
    WO_Job_Division: 'HVAC',
    Lead_Source: 'SERVICETRADE',
    Customer_PO_Number: 'PO-77',
    Summary_Description: 'Rooftop unit not cooling',
    Ordered_Date: '01/05/2026',
    Scheduled_Start_Date: '01/07/2026',
    Requested_Date: '01/10/2026',
  });
  expect(linesOf(order)).toEqual([
    'BELT-A42 x2 V-belt A42',
    'FILTER-20 x4 Air filter 20x20x1',
    'LABOR x1 Technician labor',
    'LABOR x3.5 Technician labor',
    'MISC x1 Condensate pan tablets',
  ]);
  expect(order?.materials.every((l) => l.Warehouse_Code === 'MAIN')).toBe(true);
  expect(t.stack.servicetrade.state.job(job.id)?.externalIds.spectrum).toBe(`S${job.number}`);
  await keepJobHistory(t.stack, 'new-job', job.id);
});

test('the same webhook delivered three times, and a re-sync of the unchanged job: still one work order with five lines', async () => {
  const job = t.createJob();
  await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id, 'evt-dup');
    await Promise.all([t.sync(job.id, 'evt-dup'), t.sync(job.id, 'evt-dup')]);
    await handle.result();
    // Later: an operator pushes the job again (a new event): same work order, same lines.
    const again = await t.sync(job.id, 'evt-later');
    const result = await again.result();
    expect(result.numberRecorded).toBe(false);
  });
  expect([...t.stack.spectrum.state.workOrders.values()]).toHaveLength(1);
  expect(linesOf(t.workOrder(job.number))).toHaveLength(5);
  expect(t.stack.servicetrade.state.job(job.id)?.externalIds.spectrum).toBe(`S${job.number}`);
});

test('a changed job re-synced: the work order lines match the job (item removed, item added, quantity changed)', async () => {
  const job = t.createJob();
  await t.stack.withWorker(async () => {
    await (await t.sync(job.id, 'evt-1')).result();
    const items = t.stack.servicetrade.state.items(job.id);
    const belt = items.find((i) => i.libItem?.code === 'BELT-A42')!;
    const misc = items.find((i) => i.libItem === null)!;
    t.stack.servicetrade.state.changeJobItems(job.id, { remove: [belt.id, misc.id], add: [{ libItemId: 501, quantity: 10, uom: 'each' }] }, { notify: false });
    const result = await (await t.sync(job.id, 'evt-2')).result();
    expect(result.lineGroups).not.toHaveProperty('BELT-A42');
    expect(result.lineGroups).not.toHaveProperty('MISC');
  });
  expect(linesOf(t.workOrder(job.number))).toEqual([
    'FILTER-20 x10 Air filter 20x20x1',
    'FILTER-20 x4 Air filter 20x20x1',
    'LABOR x1 Technician labor',
    'LABOR x3.5 Technician labor',
  ]);
});

test('the sync state query shows the step, status and work order number', async () => {
  const job = t.createJob();
  await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id);
    await handle.result();
    const state = await handle.query(syncStateQuery);
    expect(state).toMatchObject({ step: 'done', status: 'completed', targetCode: `S${job.number}`, waitingOn: [] });
  });
});

test('a P.O. and a schedule emptied in ServiceTrade: Spectrum keeps them (its web services never blank a field) and the sync says so, once', async () => {
  const job = t.createJob({ customerPo: 'PO-88', scheduledDate: 1_767_776_400 });
  await t.stack.withWorker(async () => {
    const first = await (await t.sync(job.id, 'evt-set')).result();
    expect(first.keptInSpectrum).toBeUndefined();
    expect(first.headerFields).toMatchObject({ Customer_PO_Number: 'PO-88', Scheduled_Start_Date: '01/07/2026' });

    t.stack.servicetrade.state.patchJob(job.id, { customerPo: null, scheduledDate: null }, { notify: false });
    // A new run of the job's sync (the first one completed): it recalls what the first one wrote.
    const handle = await t.sync(job.id, 'evt-emptied');
    const second = await handle.result();
    expect(second.keptInSpectrum?.map((k) => [k.field, k.value])).toEqual([
      ['Customer_PO_Number', 'PO-88'],
      ['Scheduled_Start_Date', '01/07/2026'],
      ['Scheduled_Start_Time', '040000'],
    ]);
    const state = await handle.query(syncStateQuery);
    expect(state.notices).toEqual(second.keptInSpectrum?.map((k) => k.message));
    await keepJobHistory(t.stack, 'emptied-fields-kept', job.id, (await handle.describe()).runId);
    expect(state.notices?.[0]).toContain(`Spectrum work order S${job.number} keeps "PO-88"`);

    // Said once: the next sync of the unchanged job has nothing to report.
    const third = await (await t.sync(job.id, 'evt-again')).result();
    expect(third.keptInSpectrum).toBeUndefined();
  });
  // What Spectrum holds: the old values (the simulator, as SDX, leaves a blank parameter unchanged).
  expect(t.workOrder(job.number)?.header).toMatchObject({ Customer_PO_Number: 'PO-88', Scheduled_Start_Date: '01/07/2026' });
});
