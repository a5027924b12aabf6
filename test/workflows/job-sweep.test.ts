/**
 * The ServiceTrade job sweep on the real dev server, against the ServiceTrade and Spectrum simulators:
 * a job whose job-created webhook was lost gets its work order after a sweep; a job already synced is
 * left alone; the job list is read page by page (`updatedAfter`, `page`, `totalPages`); and the
 * schedule exists only while automatic sync of new jobs is on.
 */
import { ensureJobSweepSchedule, JOB_SWEEP_SCHEDULE_ID } from '../../client/job-sweep-schedule';
import { jobToWorkOrderWorkflowId } from '../../workflows/definitions';
import { serviceTradeJobSweep, type JobSweepInput } from '../../workflows/job-sweep';
import type { jobToWorkOrder } from '../../workflows/job-to-work-order';
import { writeHistoryOnce } from '../helpers/histories';
import { useJobSyncStack } from '../helpers/job-sync';

jest.setTimeout(120_000);

const t = useJobSyncStack();
const nowSeconds = () => Math.floor(Date.now() / 1000);
let sweeps = 0;

/** Run one sweep to its end (as the schedule would start it) and return its workflow id and result. */
async function sweep(input: JobSweepInput = { lookbackSeconds: 600 }) {
  const workflowId = `job-sweep-test-${Date.now()}-${sweeps++}`;
  const result = await t.stack.env.client.workflow.execute(serviceTradeJobSweep, { taskQueue: t.stack.taskQueue, workflowId, args: [input] });
  return { workflowId, result };
}

/** A job created in ServiceTrade now, whose job-created webhook never reached FieldBridge. */
function jobWithLostWebhook(overrides: Parameters<typeof t.createJob>[0] = {}) {
  const now = nowSeconds();
  return t.createJob({ created: now, updated: now, ...overrides });
}

test('a job created while its webhook was lost gets its work order after the sweep, its number recorded on the job', async () => {
  const job = jobWithLostWebhook();
  expect(t.workOrder(job.number)).toBeUndefined();

  await t.stack.withWorker(async () => {
    const { workflowId, result } = await sweep();
    expect(result.started).toContain(job.id);
    const sync = t.stack.env.client.workflow.getHandle<typeof jobToWorkOrder>(jobToWorkOrderWorkflowId(job.id));
    expect(await sync.result()).toMatchObject({ jobId: job.id, workOrderNumber: `S${job.number}`, numberRecorded: true });
    if (process.env.RECORD_HISTORIES === '1') {
      const history = await t.stack.env.client.workflow.getHandle(workflowId).fetchHistory();
      writeHistoryOnce('job-sweep-lost-webhook.json', history);
    }
  });

  expect(t.workOrder(job.number)?.materials).toHaveLength(5);
  expect(t.stack.servicetrade.state.job(job.id)?.externalIds.spectrum).toBe(`S${job.number}`);
});

test('a job already synced (webhook delivered) is not sent again; a job whose sync is still waiting is not disturbed', async () => {
  const synced = jobWithLostWebhook();
  // At the location without a Spectrum site code: its sync waits for the mapping.
  const waiting = jobWithLostWebhook({ locationId: 2002 });

  await t.stack.withWorker(async () => {
    const first = await (await t.sync(synced.id)).result();
    expect(first.numberRecorded).toBe(true);
    const waitingHandle = await t.sync(waiting.id);
    const before = await t.stack.env.client.workflow.getHandle(jobToWorkOrderWorkflowId(synced.id)).describe();
    const headersBefore = t.stack.spectrum.state.callsTo('WorkOrderHeader').length;
    const waitingRun = (await waitingHandle.describe()).runId;

    const { result } = await sweep();

    expect(result.started).not.toContain(synced.id);
    expect(result.started).not.toContain(waiting.id);
    expect(result.recorded).toBeGreaterThanOrEqual(1);
    expect(result.known).toBeGreaterThanOrEqual(1);
    // No new run of the synced job, no second WorkOrderHeader, the waiting run untouched.
    const after = await t.stack.env.client.workflow.getHandle(jobToWorkOrderWorkflowId(synced.id)).describe();
    expect(after.runId).toBe(before.runId);
    expect(t.stack.spectrum.state.callsTo('WorkOrderHeader').length).toBe(headersBefore);
    expect((await waitingHandle.describe()).runId).toBe(waitingRun);
    await waitingHandle.terminate('test over');
  });
});

test('the sweep reads the job list page by page (updatedAfter, page, totalPages) and skips jobs not updated since', async () => {
  const old = t.createJob({ created: nowSeconds() - 86_400, updated: nowSeconds() - 86_400 });
  const lost = [1, 2, 3, 4, 5].map(() => jobWithLostWebhook());
  t.stack.servicetrade.pageSize = 2;
  try {
    await t.stack.withWorker(async () => {
      const since = nowSeconds() - 600;
      const { result } = await sweep({ lookbackSeconds: 600 });
      expect(result.pages).toBe(3);
      expect(result.started).toEqual(lost.map((j) => j.id));
      expect(result.started).not.toContain(old.id);
      expect(result.updatedAfter).toBeGreaterThanOrEqual(since);
      expect(result.watermark).toBeGreaterThanOrEqual(result.updatedAfter);
      const queries = t.stack.servicetrade.state.jobListQueries;
      expect(queries.map((q) => q.page)).toEqual(['1', '2', '3']);
      expect(queries.every((q) => q.updatedAfter === String(result.updatedAfter))).toBe(true);
      for (const job of lost) await t.stack.env.client.workflow.getHandle(jobToWorkOrderWorkflowId(job.id)).result();
    });
  } finally {
    t.stack.servicetrade.pageSize = 100;
  }
  expect(lost.map((j) => t.stack.servicetrade.state.job(j.id)?.externalIds.spectrum)).toEqual(lost.map((j) => `S${j.number}`));
});

test('the schedule runs a sweep every interval only while automatic sync of new jobs is on (seed 000)', async () => {
  const client = t.stack.env.client;
  expect(await ensureJobSweepSchedule(client, { taskQueue: t.stack.taskQueue, autoSyncNewJobs: false })).toEqual({ state: 'off', removed: false });
  expect(await ensureJobSweepSchedule(client, { taskQueue: t.stack.taskQueue, autoSyncNewJobs: true, every: '2m' })).toEqual({ state: 'created', everyMs: 120_000, paused: false });
  const described = await client.schedule.getHandle(JOB_SWEEP_SCHEDULE_ID).describe();
  expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'serviceTradeJobSweep', taskQueue: t.stack.taskQueue });
  expect(String(described.policies.overlap)).toMatch(/SKIP/);
  expect(await ensureJobSweepSchedule(client, { taskQueue: t.stack.taskQueue, autoSyncNewJobs: true, every: '5m' })).toEqual({ state: 'updated', everyMs: 300_000, paused: false });
  expect(await ensureJobSweepSchedule(client, { taskQueue: t.stack.taskQueue, autoSyncNewJobs: false })).toEqual({ state: 'off', removed: true });
  await expect(client.schedule.getHandle(JOB_SWEEP_SCHEDULE_ID).describe()).rejects.toThrow();
});
