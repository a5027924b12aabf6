/**
 * Issue 15, point 3: ServiceTrade list answers without `totalPages` on the real dev server. The
 * job's items come two to a page and the answers carry neither `totalPages` nor `total`: the sync
 * must still read every item (a dropped item would have its Spectrum line deleted).
 */
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

afterEach(() => {
  t.stack.servicetrade.pageSize = 100;
  t.stack.servicetrade.listTotals = { totalPages: true, total: true };
});

test('lists paged two to a page without totalPages or total: every item is read, no line is deleted, the new item is added', async () => {
  const job = t.createJob();
  const { servicetrade } = t.stack;

  await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id);
    await handle.result();
    expect(linesOf(t.workOrder(job.number))).toEqual(FIVE_LINES);

    // From now on ServiceTrade pages the items two at a time and says nothing of how many pages there are.
    servicetrade.pageSize = 2;
    servicetrade.listTotals = { totalPages: false, total: false };
    servicetrade.state.changeJobItems(job.id, { add: [{ libItemId: 502, quantity: 5, cost: 9.25, price: 22.5, uom: 'ea' }] }, { notify: false });
    return (await t.sync(job.id, `evt-paging-${job.id}`)).result();
  });

  expect(linesOf(t.workOrder(job.number))).toEqual(['BELT-A42 x2 V-belt A42', 'BELT-A42 x5 V-belt A42', ...FIVE_LINES.slice(1)]);
  // The second pass read the items page after page (three of two rows, then an empty one), none with totalPages.
  const itemPages = servicetrade.state.apiExchanges.filter((e) => e.route === '/api/jobitem' && e.query.jobId === String(job.id) && !(e.response ?? '').includes('totalPages'));
  expect(itemPages.map((e) => e.query.page)).toEqual(['1', '2', '3', '4']);
});
