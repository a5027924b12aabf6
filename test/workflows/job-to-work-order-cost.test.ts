/**
 * What a job sync costs in Temporal (issue 9, "half the cost per sync"), counted from its history by
 * the benchmark's own rules (bench/history.ts): Temporal Cloud actions, workflow tasks, activity
 * tasks. Structure only, never timings. The lines activity's first heartbeat reaches the server and
 * is an action no history shows (the bench adds it from the server's metrics): +1 to every figure
 * below. Runs started without a `version` in their input keep the first command sequence.
 */
import { countActions, taskTimings, totalActions } from '../../bench/history';
import { SyncStatusKey, TargetCodeKey } from '../../common/search-attributes';
import { JOB_TO_WORK_ORDER_VERSION } from '../../workflows/definitions';
import { FIVE_ITEMS, activityRuns, linesOf, useJobSyncStack } from '../helpers/job-sync';

jest.setTimeout(120_000);

const t = useJobSyncStack();

test('a new job (version 3, as the starter starts it): 4 actions in the history, 2 workflow tasks, 1 activity task; one work order, its lines, the number on the job', async () => {
  expect(JOB_TO_WORK_ORDER_VERSION).toBe(3);
  const job = t.createJob();
  const handle = await t.sync(job.id);
  const result = await t.stack.withWorker(() => handle.result());
  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: FIVE_ITEMS.length, numberRecorded: true });

  const history = await handle.fetchHistory();
  const actions = countActions(history);
  expect(totalActions(actions)).toBe(4);
  expect(actions).toMatchObject({ workflowStart: 1, localActivityTask: 1, activity: 1, searchAttributeUpsert: 1, timer: 0, activityRetry: 0 });
  const tasks = taskTimings(history);
  expect({ workflowTasks: tasks.workflowTasks, activityTasks: tasks.activityTasks }).toEqual({ workflowTasks: 2, activityTasks: 1 });
  // The load, the number claim (recorded on the job) and the header are local activities of the first workflow task; the lines an activity.
  const steps = await activityRuns(t.stack, job.id);
  expect(steps.map((s) => [s.activityType, s.outcome])).toEqual([
    ['loadServiceTradeJob', 'completed'],
    ['claimWorkOrderNumber', 'completed'],
    ['upsertWorkOrderHeader', 'completed'],
    ['convergeWorkOrderLines', 'completed'],
  ]);

  expect(t.stack.spectrum.state.workOrders.size).toBe(1);
  expect(linesOf(t.workOrder(job.number))).toHaveLength(FIVE_ITEMS.length);
  expect(t.stack.servicetrade.state.job(job.id)?.externalIds.spectrum).toBe(`S${job.number}`);
  const sa = (await handle.describe()).typedSearchAttributes;
  expect(sa.get(TargetCodeKey)).toBe(`S${job.number}`);
  expect(sa.get(SyncStatusKey)).toBe('completed');
});

test('a new job (version 2, runs started before version 3): 5 actions in the history, 2 workflow tasks, 1 activity task; one work order, its lines, the number on the job', async () => {
  const job = t.createJob();
  const handle = await t.sync(job.id, undefined, { version: 2 });
  const result = await t.stack.withWorker(() => handle.result());
  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: FIVE_ITEMS.length, numberRecorded: true });

  const history = await handle.fetchHistory();
  const actions = countActions(history);
  expect(totalActions(actions)).toBe(5);
  expect(actions).toMatchObject({ workflowStart: 1, localActivityTask: 2, activity: 1, searchAttributeUpsert: 1, timer: 0, activityRetry: 0 });
  const tasks = taskTimings(history);
  expect({ workflowTasks: tasks.workflowTasks, activityTasks: tasks.activityTasks }).toEqual({ workflowTasks: 2, activityTasks: 1 });
  // The load and the header are local activities of the first workflow task; the lines an activity; the write-back local.
  const steps = await activityRuns(t.stack, job.id);
  expect(steps.map((s) => [s.activityType, s.outcome])).toEqual([
    ['loadServiceTradeJob', 'completed'],
    ['upsertWorkOrderHeader', 'completed'],
    ['convergeWorkOrderLines', 'completed'],
    ['recordWorkOrderNumber', 'completed'],
  ]);

  expect(t.stack.spectrum.state.workOrders.size).toBe(1);
  expect(linesOf(t.workOrder(job.number))).toHaveLength(FIVE_ITEMS.length);
  expect(t.stack.servicetrade.state.job(job.id)?.externalIds.spectrum).toBe(`S${job.number}`);
  const sa = (await handle.describe()).typedSearchAttributes;
  expect(sa.get(TargetCodeKey)).toBe(`S${job.number}`);
  expect(sa.get(SyncStatusKey)).toBe('completed');
});

test('a job whose number is already on it (a re-sync, version 3): 4 actions in the history, nothing claimed', async () => {
  const job = t.createJob();
  const first = await t.sync(job.id, `evt-${job.id}-1`);
  await t.stack.withWorker(() => first.result());
  const handle = await t.sync(job.id, `evt-${job.id}-2`);
  const result = await t.stack.withWorker(() => handle.result());
  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, numberRecorded: false });

  const history = await handle.fetchHistory();
  expect(countActions(history)).toMatchObject({ workflowStart: 1, localActivityTask: 1, activity: 1, searchAttributeUpsert: 1 });
  expect(totalActions(countActions(history))).toBe(4);
  expect(taskTimings(history).workflowTasks).toBe(2);
  expect(t.stack.spectrum.state.workOrders.size).toBe(1);
});

test('a run started without a version (before the cheaper sequence) keeps the first one: 6 actions in the history, 5 workflow tasks, 4 activity tasks', async () => {
  const job = t.createJob();
  // An input without `version`: what runs started before JOB_TO_WORK_ORDER_VERSION carry.
  const handle = await t.sync(job.id, undefined, { maxPassesPerRun: 25 });
  const result = await t.stack.withWorker(() => handle.result());
  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, numberRecorded: true });

  const history = await handle.fetchHistory();
  const actions = countActions(history);
  expect(totalActions(actions)).toBe(6);
  expect(actions).toMatchObject({ workflowStart: 1, activity: 4, localActivityTask: 0, searchAttributeUpsert: 1 });
  const tasks = taskTimings(history);
  expect({ workflowTasks: tasks.workflowTasks, activityTasks: tasks.activityTasks }).toEqual({ workflowTasks: 5, activityTasks: 4 });
});
