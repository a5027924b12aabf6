/**
 * customerSweep and its Temporal Schedule on the real dev server with the real simulators: a change
 * whose webhook never came is synced by the next sweep; a sweep with nothing new signals nothing.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  CUSTOMER_SWEEP_SCHEDULE_ID,
  deleteCustomerSweepSchedule,
  describeCustomerSweepSchedule,
  ensureCustomerSweepSchedule,
  pauseCustomerSweepSchedule,
  triggerCustomerSweep,
} from '../../client/schedules';
import { startCustomerUpsert } from '../../common/starters';
import { customerSweep } from '../../workflows/customer-sweep';
import { customerSweepProgressQuery, customerUpsertWorkflowId, type CustomerSweepInput, type CustomerSweepResult } from '../../workflows/definitions';
import { app4salesCustomer } from '../fixtures/customers';
import { useCustomerSyncStack } from '../helpers/customer-sync';
import { writeHistoryOnce } from '../helpers/histories';
import { eventually, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

let stack: Stack;
let n = 0;

const frame = useCustomerSyncStack('S', { demoCustomers: false });
beforeAll(() => {
  stack = frame.stack;
});

function seedCustomer(): string {
  const id = `S${++n}-${Date.now()}`;
  stack.app4sales.state.putCustomer(app4salesCustomer({ Id: id, CustomerName: `Customer ${id}`, Email: `office@${id.toLowerCase()}.example` }));
  return id;
}

const client = () => stack.env.client;

async function syncState(customerId: string): Promise<{ status: string; runId: string } | null> {
  try {
    const d = await client().workflow.getHandle(customerUpsertWorkflowId(customerId)).describe();
    return { status: d.status.name, runId: d.runId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

const specterName = (customerId: string) => {
  const code = stack.app4sales.state.customers.get(customerId)?.CustomerCode;
  return code ? stack.specter.state.customers.get(code)?.Name : undefined;
};

/** Run one sweep directly (as the schedule would), then wait until visibility lists it as completed. */
async function sweep(input: CustomerSweepInput = {}): Promise<CustomerSweepResult & { workflowId: string }> {
  const workflowId = `customer-sweep:test-${++n}`;
  const result = await client().workflow.execute(customerSweep, { workflowId, taskQueue: stack.taskQueue, args: [input] });
  await eventually(
    async () => {
      for await (const info of client().workflow.list({ query: `WorkflowId = "${workflowId}" AND ExecutionStatus = "Completed"` })) return info;
      return null;
    },
    10_000,
    'the sweep to show as completed in visibility',
  );
  return { ...result, workflowId };
}

test('a change without a webhook is synced by the next sweep; a sweep with nothing new signals nothing', async () => {
  await stack.withWorker(async () => {
    // Synced as a webhook would have it: its CustomerCode write-back is a change App4Sales reports.
    const synced = seedCustomer();
    await startCustomerUpsert(client(), stack.taskQueue, synced, { eventId: `webhook-${synced}` });
    await eventually(async () => (await syncState(synced))?.status === 'COMPLETED', 30_000, 'the webhook sync');
    const syncedRun = (await syncState(synced))!.runId;

    // The first sweep looks back: it sees the write-back, and knows Specter holds that very data.
    const first = await sweep({ lookback: '10m' });
    expect(first).toMatchObject({ previousSweep: null, listed: 1, signalled: 0, skipped: 1, done: true, lastError: null });
    expect((await syncState(synced))!.runId).toBe(syncedRun);

    // Changed in App4Sales, no webhook: a rename of the synced one, and a new customer.
    await new Promise((r) => setTimeout(r, 5));
    stack.app4sales.state.patchCustomer(synced, { CustomerName: 'Renamed without a webhook' });
    const added = seedCustomer();
    const second = await sweep();
    expect(second.previousSweep).toEqual({ workflowId: first.workflowId, runId: expect.any(String) });
    expect(Date.parse(second.changedSince)).toBe(Date.parse(first.watermark) - 2 * 60_000);
    expect(second).toMatchObject({ signalled: 2, skipped: 0 });
    if (process.env.RECORD_HISTORIES === '1') writeHistoryOnce('customer-sweep-signals-two-changes.json', await client().workflow.getHandle(second.workflowId).fetchHistory());
    await eventually(() => specterName(synced) === 'Renamed without a webhook' && specterName(added) === `Customer ${added}`, 30_000, 'both changes in Specter');
    await eventually(async () => (await syncState(synced))?.status === 'COMPLETED' && (await syncState(added))?.status === 'COMPLETED', 30_000, 'both syncs to complete');

    // Nothing new since: the rename is at the revision the last sweep saw, the new customer's change
    // is FieldBridge's own write-back of its code.
    const runs = [(await syncState(synced))!.runId, (await syncState(added))!.runId];
    const third = await sweep();
    expect(third.previousSweep?.workflowId).toBe(second.workflowId);
    expect(third).toMatchObject({ signalled: 0, done: true });
    expect(third.seenBefore + third.skipped).toBe(third.listed);
    expect(third.watermark >= second.watermark).toBe(true);
    expect([(await syncState(synced))!.runId, (await syncState(added))!.runId]).toEqual(runs);

    // The progress query answers on a finished sweep too.
    expect(await client().workflow.getHandle(third.workflowId).query(customerSweepProgressQuery)).toMatchObject({ signalled: 0, done: true });
  });
  expect(stack.specter.state.customers.size).toBe(2);
});

test('a sweep signals a running sync with sweep:<id>:<Revision>; the next sweep, seeing that revision again, does not', async () => {
  await stack.withWorker(async () => {
    await sweep({ lookback: '1m' }); // a starting point
    const id = seedCustomer();
    // Hold the sync on its first load, so both sweeps find it running.
    stack.app4sales.faults.set({ latencyMs: 2500, routes: ['getCustomer'], count: 1 });
    await startCustomerUpsert(client(), stack.taskQueue, id, { eventId: `webhook-${id}` });
    const [a, b] = [await sweep(), await sweep()];
    expect(a).toMatchObject({ listed: 1, signalled: 1, skipped: 0 });
    // The second sees the same revision within the first's overlap: not signalled again.
    expect(b).toMatchObject({ listed: 1, seenBefore: 1, signalled: 0 });
    const handle = client().workflow.getHandle(customerUpsertWorkflowId(id));
    const result = await handle.result();
    // The webhook's pass, plus at most one for the sweep's event.
    expect(result.passes).toBeLessThanOrEqual(2);
    const history = await handle.fetchHistory();
    const eventIds = history
      .events!.map((e) => e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data)
      .filter((data): data is Uint8Array => !!data)
      .map((data) => JSON.parse(Buffer.from(data).toString('utf8')).eventId);
    expect(eventIds).toEqual([`webhook-${id}`, `sweep:${id}:1`]);
  });
});

test('the schedule: created with the interval asked for (overlap SKIP), updated, paused and unpaused; a triggered sweep syncs a change whose webhook was lost', async () => {
  const created = await ensureCustomerSweepSchedule(client(), { taskQueue: stack.taskQueue, every: '7m', lookback: '5m' });
  expect(created.created).toBe(true);
  expect(created.state).toMatchObject({ scheduleId: CUSTOMER_SWEEP_SCHEDULE_ID, everyMs: 7 * 60_000, overlapPolicy: 'SKIP', paused: false });
  const description = await client().schedule.getHandle(CUSTOMER_SWEEP_SCHEDULE_ID).describe();
  expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'customerSweep', taskQueue: stack.taskQueue, args: [{ lookback: '5m' }] });

  const paused = await pauseCustomerSweepSchedule(client(), true);
  expect(paused.paused).toBe(true);
  const updated = await ensureCustomerSweepSchedule(client(), { taskQueue: stack.taskQueue, every: '3m' });
  expect(updated).toMatchObject({ created: false, state: { everyMs: 3 * 60_000, paused: true } });
  expect((await pauseCustomerSweepSchedule(client(), false)).paused).toBe(false);

  await stack.withWorker(async () => {
    await sweep({ lookback: '1m' }); // where the schedule's sweep starts from
    const id = seedCustomer(); // no webhook
    await triggerCustomerSweep(client());
    await eventually(() => specterName(id) === `Customer ${id}`, 30_000, 'the scheduled sweep to sync the customer');
    const state = await describeCustomerSweepSchedule(client());
    expect(state.recentRuns.at(-1)?.workflowId).toMatch(/^customer-sweep:app4sales/);
    await eventually(async () => (await syncState(id))?.status === 'COMPLETED', 30_000, 'the sync to complete');
  });
  await deleteCustomerSweepSchedule(client());
  await expect(describeCustomerSweepSchedule(client())).rejects.toThrow(/not found/i);
});
