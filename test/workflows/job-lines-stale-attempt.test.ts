/**
 * Issue 15, point 1: the material lines activity and its heartbeat timeout on the real dev server.
 * A Spectrum slower than the heartbeat timeout per item-code group, and an attempt given up by
 * Temporal while one of its writes hangs, must never leave a line twice: the activity heartbeats
 * per Spectrum call, and an attempt that is no longer the current one stops before writing.
 */
import { eventually } from '../helpers/stack';
import { activityRuns, linesOf, useJobSyncStack } from '../helpers/job-sync';
import { JOB_TO_WORK_ORDER_VERSION, jobToWorkOrderWorkflowId } from '../../workflows/definitions';
import type { JobInput } from '../../connectors/servicetrade/simulator-state';

jest.setTimeout(120_000);

const t = useJobSyncStack();

/** Ten material lines: eight FILTER-20 (one item-code group) and two BELT-A42. */
const ITEMS: NonNullable<JobInput['items']> = [
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((quantity) => ({ libItemId: 501, quantity, cost: 6.5, price: 14, uom: 'ea' })),
  { libItemId: 502, quantity: 1, cost: 9.25, price: 22.5, uom: 'ea' },
  { libItemId: 502, quantity: 2, cost: 9.25, price: 22.5, uom: 'ea' },
];
const TEN_LINES = [
  'BELT-A42 x1 V-belt A42',
  'BELT-A42 x2 V-belt A42',
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `FILTER-20 x${n} Air filter 20x20x1`),
];

test('a Spectrum slower per item-code group than the heartbeat timeout: each line is added exactly once', async () => {
  const job = t.createJob({ items: ITEMS });
  // Each AddWOMaterialCost takes 1 s: the FILTER-20 group (8 lines) takes 8 s, past the 3 s heartbeat timeout.
  t.stack.spectrum.faults.set({ latencyMs: 1000, routes: ['AddWOMaterialCost'] });

  const result = await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id, `evt-slow-${job.id}`, { linesHeartbeatTimeoutMs: 3000, version: JOB_TO_WORK_ORDER_VERSION });
    return handle.result();
  });

  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 10 });
  const order = t.workOrder(job.number);
  expect(linesOf(order)).toEqual(TEN_LINES);
  expect(order?.materials).toHaveLength(10);
  expect(t.stack.spectrum.state.callsTo('AddWOMaterialCost').filter((c) => c.applied)).toHaveLength(10);
  // Heartbeats per call kept the one attempt alive.
  const lines = (await activityRuns(t.stack, job.id)).filter((r) => r.activityType === 'convergeWorkOrderLines');
  expect(lines.map((r) => r.attempt)).toEqual([1]);
});

test('an attempt given up while its write hangs (the next attempt started): the stale attempt stops writing, each line exactly once', async () => {
  const job = t.createJob({ items: ITEMS });
  const { spectrum } = t.stack;
  spectrum.faults.set({ hold: true, routes: ['AddWOMaterialCost'] });
  const workflowId = jobToWorkOrderWorkflowId(job.id);
  const linesAttempt = async () => {
    const { raw } = await t.stack.env.client.workflow.getHandle(workflowId).describe();
    const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'convergeWorkOrderLines');
    // PENDING_ACTIVITY_STATE_STARTED = 2
    return pending ? { attempt: pending.attempt ?? 0, started: pending.state === 2 } : null;
  };

  const result = await t.stack.withWorker(async () => {
    const handle = await t.sync(job.id, `evt-stale-${job.id}`, { linesHeartbeatTimeoutMs: 3000, version: JOB_TO_WORK_ORDER_VERSION });
    await eventually(() => spectrum.faults.held === 1, 30_000, 'the first AddWOMaterialCost held');
    // The held call outlives the heartbeat timeout: Temporal gives attempt 1 up and starts attempt 2.
    await eventually(async () => {
      const now = await linesAttempt();
      return now !== null && now.attempt >= 2 && now.started;
    }, 30_000, 'attempt 2 of the lines started');
    // Now the first attempt's write lands, and it goes on: it must not write any more.
    spectrum.faults.clear();
    spectrum.faults.release();
    return handle.result();
  }, { spectrumTimeoutMs: 5000 });

  expect(result).toMatchObject({ workOrderNumber: `S${job.number}` });
  const order = t.workOrder(job.number);
  expect(linesOf(order)).toEqual(TEN_LINES);
  expect(order?.materials).toHaveLength(10);
  expect(spectrum.state.callsTo('AddWOMaterialCost').filter((c) => c.applied)).toHaveLength(10);
});
