/**
 * The sync counts of the worker's metrics (workflows/metrics-interceptor.ts through a Sink) count
 * each sync once, on the real dev server: a sync finished by a second worker, which replays its
 * history from scratch, is not started twice; a sync that continues as new is one sync.
 */
import { customerUpsertSearchAttributes } from '../../common/starters';
import { describeSync } from '../../client/operations';
import { metricsRegistry } from '../../common/metrics';
import type { customerUpsert } from '../../workflows/customer-upsert';
import { CUSTOMER_UPSERT_WORKFLOW, customerUpsertWorkflowId, sourceChangedSignal, type SourceChange } from '../../workflows/definitions';
import { useCustomerSyncStack } from '../helpers/customer-sync';
import { sampleValue } from '../helpers/prometheus';
import { eventually, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

const frame = useCustomerSyncStack('M');
const { seedCustomer, sync } = frame;
let stack: Stack;
beforeAll(() => {
  stack = frame.stack;
});

async function counts() {
  const text = await metricsRegistry.metrics();
  return {
    started: sampleValue(text, 'fieldbridge_syncs_started_total', { flow: 'customerUpsert' }),
    completed: sampleValue(text, 'fieldbridge_syncs_completed_total', { flow: 'customerUpsert' }),
    failed: sampleValue(text, 'fieldbridge_syncs_failed_total', { flow: 'customerUpsert' }),
  };
}

function parked(customerId: string) {
  return eventually(async () => (await describeSync(stack.env.client, customerUpsertWorkflowId(customerId))).syncStatus === 'waiting', 20_000, 'the sync to park as waiting');
}

test('a sync parked under one worker and finished by the next (a full replay, no cache): one start, one completion', async () => {
  const before = await counts();
  const id = seedCustomer();
  stack.app4sales.faults.set({ errorRate: 1, errorStatus: 422, routes: ['setCustomerCode'] });
  const handle = await stack.withWorker(async () => {
    const h = await sync(id, 'evt-1');
    await parked(id);
    return h;
  });
  expect(await counts()).toEqual({ ...before, started: before.started + 1 });

  stack.app4sales.faults.clear();
  stack.app4sales.state.patchCustomer(id, { CustomerName: 'Nordic Fire & Safety AB (renamed)' });
  await sync(id, 'evt-2');
  await stack.withWorker(() => handle.result());
  expect(await counts()).toEqual({ ...before, started: before.started + 1, completed: before.completed + 1 });
});

test('a sync that continues as new is one sync: one start, one completion', async () => {
  const before = await counts();
  const id = seedCustomer();
  const workflowId = customerUpsertWorkflowId(id);
  // The write-back refused: the first run parks (still open), so the second change is its second pass.
  stack.app4sales.faults.set({ errorRate: 1, errorStatus: 409, routes: ['setCustomerCode'] });
  await stack.withWorker(async () => {
    // One pass per run: the second change rolls the sync over to a new run.
    await stack.env.client.workflow.signalWithStart<typeof customerUpsert, [SourceChange]>(CUSTOMER_UPSERT_WORKFLOW, {
      workflowId,
      taskQueue: stack.taskQueue,
      args: [{ customerId: id, maxPassesPerRun: 1 }],
      signal: sourceChangedSignal,
      signalArgs: [{ eventId: 'evt-1' }],
      typedSearchAttributes: customerUpsertSearchAttributes(id),
    });
    const firstRun = (await stack.env.client.workflow.getHandle(workflowId).describe()).runId;
    await parked(id);
    stack.app4sales.faults.clear();
    stack.app4sales.state.patchCustomer(id, { Phone: '+46 8 999 99 99' });
    await sync(id, 'evt-2');
    await stack.env.client.workflow.getHandle<typeof customerUpsert>(workflowId).result();
    expect((await stack.env.client.workflow.getHandle(workflowId).describe()).runId).not.toBe(firstRun);
  });
  expect(await counts()).toEqual({ ...before, started: before.started + 1, completed: before.completed + 1 });
});
