/**
 * What a customer sync costs in Temporal (issue 9, "half the cost per sync"), counted from its
 * history by the benchmark's own rules (bench/history.ts): Temporal Cloud actions, workflow tasks,
 * activity tasks. Structure only, never timings. Runs started before the cheaper command sequence
 * (no `version` in their input) keep the old one, and still complete.
 */
import { countActions, taskTimings, totalActions } from '../../bench/history';
import { customerUpsertSearchAttributes } from '../../common/starters';
import { TargetCodeKey, SyncStatusKey } from '../../common/search-attributes';
import type { customerUpsert } from '../../workflows/customer-upsert';
import { CUSTOMER_UPSERT_WORKFLOW, customerUpsertWorkflowId, sourceChangedSignal, type SourceChange } from '../../workflows/definitions';
import { useCustomerSyncStack } from '../helpers/customer-sync';

jest.setTimeout(120_000);

const frame = useCustomerSyncStack('C');
const { seedCustomer, sync } = frame;

test('a new customer costs 5 actions, 2 workflow tasks and 1 activity task, and ends with its code and status in the search attributes', async () => {
  const { stack } = frame;
  const id = seedCustomer();
  const handle = await sync(id);
  await stack.withWorker(() => handle.result());

  const history = await handle.fetchHistory();
  const actions = countActions(history);
  expect(totalActions(actions)).toBe(5);
  expect(actions).toMatchObject({ workflowStart: 1, localActivityTask: 2, activity: 1, searchAttributeUpsert: 1 });
  const tasks = taskTimings(history);
  expect({ workflowTasks: tasks.workflowTasks, activityTasks: tasks.activityTasks }).toEqual({ workflowTasks: 2, activityTasks: 1 });

  const code = stack.app4sales.state.customers.get(id)?.CustomerCode;
  expect(code).toBeTruthy();
  const sa = (await handle.describe()).typedSearchAttributes;
  expect(sa.get(TargetCodeKey)).toBe(code);
  expect(sa.get(SyncStatusKey)).toBe('completed');
});

test('a run started without a version (before the cheaper sequence) keeps the first one: 6 actions, 4 workflow tasks, 3 activity tasks', async () => {
  const { stack } = frame;
  const id = seedCustomer();
  await stack.env.client.workflow.signalWithStart<typeof customerUpsert, [SourceChange]>(CUSTOMER_UPSERT_WORKFLOW, {
    workflowId: customerUpsertWorkflowId(id),
    taskQueue: stack.taskQueue,
    args: [{ customerId: id }],
    signal: sourceChangedSignal,
    signalArgs: [{ eventId: `evt-${id}` }],
    typedSearchAttributes: customerUpsertSearchAttributes(id),
  });
  const handle = stack.env.client.workflow.getHandle<typeof customerUpsert>(customerUpsertWorkflowId(id));
  const result = await stack.withWorker(() => handle.result());
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(result.specterCustomerId);

  const history = await handle.fetchHistory();
  expect(totalActions(countActions(history))).toBe(6);
  const tasks = taskTimings(history);
  expect({ workflowTasks: tasks.workflowTasks, activityTasks: tasks.activityTasks }).toEqual({ workflowTasks: 4, activityTasks: 3 });
});
