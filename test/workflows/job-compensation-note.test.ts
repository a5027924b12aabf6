/**
 * Issue 15, point 4 (the compensation note): the saga's note on the real dev server when the answer
 * to it is lost. Spectrum applies the note and never answers; the compensation is retried and writes
 * the note again: the work order must hold the reason once, not once per attempt.
 */
import { failureOf } from '../helpers/customer-sync';
import { FIVE_ITEMS, activityRuns, useJobSyncStack } from '../helpers/job-sync';

jest.setTimeout(120_000);

const t = useJobSyncStack();

test('the compensation note applied but its answer lost: the retried compensation leaves the reason once', async () => {
  const { servicetrade, spectrum } = t.stack;
  servicetrade.state.putLibItem({ id: 509, code: 'GASKET-9', name: 'Door gasket' });
  const job = t.createJob({ items: [...FIVE_ITEMS, { libItemId: 509, quantity: 2, cost: 18, price: 39, uom: 'ea' }] });
  spectrum.faults.set({ applyThenTimeout: true, routes: ['WOHeaderNotes'], count: 1 });

  const failure = await t.stack.withWorker(async () => failureOf((await t.sync(job.id)).result()));

  expect(failure.type).toBe('SpectrumRejected');
  const notes = spectrum.state.callsTo('WOHeaderNotes');
  expect(notes).toHaveLength(2);
  expect(notes.every((n) => n.applied)).toBe(true);
  const compensations = (await activityRuns(t.stack, job.id)).filter((r) => r.activityType === 'compensateWorkOrder');
  expect(compensations.map((r) => r.attempt)).toEqual([2]);
  const order = t.workOrder(job.number);
  expect(order?.materials).toEqual([]);
  expect(order?.notes).toHaveLength(1);
  const text = order?.notes[0].text ?? '';
  expect(text.match(/FieldBridge could not finish syncing/g)).toHaveLength(1);
  expect(text).toContain('Item GASKET-9 does not exist');
});
