/**
 * Issue 15, point 2: whose Spectrum work order is it? On the real dev server (version 3): a job
 * renumbered in ServiceTrade, or synced before under another leading character, keeps the work order
 * recorded on it (no second one); a Spectrum work order of the computed number that FieldBridge did
 * not create for the job is refused, named, and left exactly as it was.
 */
import { SpectrumClient } from '../../connectors/spectrum/client';
import { failureOf } from '../helpers/customer-sync';
import { SPECTRUM_AUTHORIZATION_ID } from '../helpers/stack';
import { linesOf, useJobSyncStack } from '../helpers/job-sync';

jest.setTimeout(120_000);

const t = useJobSyncStack();

const FIVE_LINES = [
  'BELT-A42 x2 V-belt A42',
  'FILTER-20 x4 Air filter 20x20x1',
  'LABOR x1 Technician labor',
  'LABOR x3.5 Technician labor',
  'MISC x1 Condensate pan tablets',
];
const numberOnJob = (jobId: number) => t.stack.servicetrade.state.job(jobId)?.externalIds.spectrum;

test('a job renumbered in ServiceTrade keeps its work order: updated, not a second one', async () => {
  const job = t.createJob();
  const { servicetrade, spectrum } = t.stack;

  const second = await t.stack.withWorker(async () => {
    await (await t.sync(job.id)).result();
    servicetrade.state.patchJob(job.id, { number: String(Number(job.number) + 5000), name: 'Renamed after renumbering' }, { notify: false });
    return (await t.sync(job.id, `evt-renumbered-${job.id}`)).result();
  });

  expect(second.workOrderNumber).toBe(`S${job.number}`);
  expect(spectrum.state.workOrders.size).toBe(1);
  expect(t.workOrder(job.number)?.header.Summary_Description).toBe('Rooftop unit not cooling');
  expect(linesOf(t.workOrder(job.number))).toEqual(FIVE_LINES);
  expect(numberOnJob(job.id)).toBe(`S${job.number}`);
});

test('a job synced under an earlier leading character (its number recorded) keeps that work order', async () => {
  const job = t.createJob();
  const { servicetrade, spectrum } = t.stack;
  servicetrade.state.patchJob(job.id, { externalIds: { spectrum: `W${job.number}` } }, { notify: false });

  const result = await t.stack.withWorker(async () => (await t.sync(job.id)).result());

  expect(result).toMatchObject({ workOrderNumber: `W${job.number}`, numberRecorded: false });
  expect(spectrum.state.workOrders.size).toBe(1);
  expect(spectrum.state.workOrder(`S${job.number}`)).toBeUndefined();
  expect(linesOf(spectrum.state.workOrder(`W${job.number}`))).toEqual(FIVE_LINES);
  expect(numberOnJob(job.id)).toBe(`W${job.number}`);
});

test('Spectrum already holds a work order of the computed number, not ours: the sync fails naming job, number and WO_Number, and leaves it untouched', async () => {
  const job = t.createJob();
  const { spectrum } = t.stack;
  // Someone keyed work order S<number> by hand in Spectrum, with a FILTER-20 line of their own.
  const hand = new SpectrumClient({ webServicesUrl: spectrum.wsUrl, authorizationId: SPECTRUM_AUTHORIZATION_ID, timeoutMs: 5000 });
  try {
    await hand.workOrderHeader('hand-keyed', {
      WO_Number: `S${job.number}`,
      WO_Reference_Code: 'S',
      WO_Job_Number: 'S1000',
      Bill_Customer_Code: 'C1000',
      WO_Job_Division: 'SVC',
      Summary_Description: 'Keyed by hand: boiler service',
    });
    await hand.addWOMaterialCost('hand-keyed', { WO_Number: `S${job.number}`, Item_Code: 'FILTER-20', Quantity_Used: '9', Warehouse_Code: 'MAIN' });
  } finally {
    await hand.close();
  }
  const before = JSON.stringify(t.workOrder(job.number));

  const failure = await t.stack.withWorker(async () => failureOf((await t.sync(job.id)).result()));

  expect(failure.type).toBe('TargetConflict');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(`ServiceTrade job ${job.id}`);
  expect(failure.message).toContain(`work order S${job.number} (WO_Number)`);
  expect(failure.message).toContain('left untouched');
  expect(JSON.stringify(t.workOrder(job.number))).toBe(before);
  expect(spectrum.state.workOrders.size).toBe(1);
  const writes = spectrum.state.requests.filter((r) => r.guid !== 'hand-keyed' && ['WorkOrderHeader', 'AddWOMaterialCost', 'DeleteWOMaterialCost', 'WOHeaderNotes'].includes(r.service));
  expect(writes).toEqual([]);
  expect(numberOnJob(job.id)).toBeUndefined();
});
