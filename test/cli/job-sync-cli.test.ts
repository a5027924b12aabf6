/**
 * The operator CLI for the ServiceTrade job -> Spectrum work order sync, run as an operator runs it
 * (bin/fieldbridge.js in a child process) against a real dev server with FieldBridge's search
 * attributes. No worker (the job flow's worker is wired elsewhere): syncs are started or signalled
 * and read back from Temporal. Waiting syncs are set up as the workflow parks itself: status
 * `waiting` and FieldBridgeWaitingOn, here set at start.
 *
 * What needs a worker to finish (`sync servicetrade-job --wait`'s result, failed runs' failure
 * types) is covered by the pure functions the CLI prints with.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { jobSyncResultReport, recheckLine, waitKey } from '../../client/cli';
import { nextStepFor, type SyncReport } from '../../client/operations';
import { jobToWorkOrderSearchAttributes } from '../../common/starters';
import { ALL_SEARCH_ATTRIBUTES, SyncStatusKey, WaitingOnKey } from '../../common/search-attributes';
import { JOB_TO_WORK_ORDER_WORKFLOW, jobToWorkOrderWorkflowId } from '../../workflows/definitions';
import { devServerOptions } from '../helpers/temporal-cli';

jest.setTimeout(120_000);

const BIN = join(__dirname, '..', '..', 'bin', 'fieldbridge.js');
const TASK_QUEUE = 'fieldbridge-job-sync-cli-test';
let env: TestWorkflowEnvironment;
let client: Client;

function fieldbridge(args: string[], address = env.address): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: TASK_QUEUE }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({ server: devServerOptions([...ALL_SEARCH_ATTRIBUTES]) });
  client = env.client;
});
afterAll(async () => {
  await env?.teardown();
});

async function signals(workflowId: string): Promise<Array<{ name: string; arg: unknown }>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a): a is NonNullable<typeof a> => !!a)
    .map((a) => ({ name: a.signalName ?? '', arg: a.input?.payloads?.[0] ? defaultPayloadConverter.fromPayload(a.input.payloads[0]) : undefined }));
}

/** A job sync parked as the workflow parks it (status waiting, FieldBridgeWaitingOn), started without a worker. */
async function startWaitingJobSync(jobId: number, waitingOn: string[]): Promise<string> {
  const workflowId = jobToWorkOrderWorkflowId(jobId);
  await client.workflow.start(JOB_TO_WORK_ORDER_WORKFLOW, {
    workflowId,
    taskQueue: TASK_QUEUE,
    args: [{ jobId }],
    typedSearchAttributes: [
      ...jobToWorkOrderSearchAttributes(jobId).filter((p) => p.key.name !== SyncStatusKey.name),
      { key: SyncStatusKey, value: 'waiting' },
      { key: WaitingOnKey, value: waitingOn },
    ],
  });
  return workflowId;
}

async function visible(query: string, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await client.workflow.count(query)).count < count) {
    if (Date.now() > deadline) throw new Error(`visibility never showed ${count} for ${query}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('sync servicetrade-job', () => {
  test('starts the job\'s sync with its search attributes and a cli: event id; a second call signals the same run', async () => {
    const first = await fieldbridge(['sync', 'servicetrade-job', '601', '--json']);
    expect(first.code).toBe(0);
    const started = JSON.parse(first.stdout);
    expect(started).toEqual({ workflowId: 'job-to-work-order:servicetrade:601', runId: expect.any(String) });

    const description = await client.workflow.getHandle(started.workflowId).describe();
    expect(description.type).toBe('jobToWorkOrder');
    expect(description.taskQueue).toBe(TASK_QUEUE);
    for (const { key, value } of jobToWorkOrderSearchAttributes(601)) expect(description.typedSearchAttributes.get(key)).toEqual(value);

    const second = await fieldbridge(['sync', 'servicetrade-job', '601']);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`sync signalled: job-to-work-order:servicetrade:601 (run ${started.runId})\n`);

    const received = await signals(started.workflowId);
    expect(received).toHaveLength(2);
    for (const s of received) expect(s).toEqual({ name: 'sourceChanged', arg: { eventId: expect.stringMatching(/^cli:\d{4}-\d\d-\d\dT[\d:.]+Z:[0-9a-f]{8}$/), changedFields: [] } });
    // Each operator request is its own event: the workflow makes one more pass for it.
    expect(new Set(received.map((s) => (s.arg as { eventId: string }).eventId)).size).toBe(2);
  });

  test('a job id that is not a positive integer is refused before anything is sent', async () => {
    for (const bad of ['abc', '0', '-3', '1.5']) {
      const res = await fieldbridge(['sync', 'servicetrade-job', bad]);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/must be a positive integer/);
    }
    const missing = await fieldbridge(['sync', 'servicetrade-job']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/missing required argument 'jobId'/);
  });

  test('--help says what --wait prints', async () => {
    const res = await fieldbridge(['sync', 'servicetrade-job', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: fieldbridge sync servicetrade-job \[options\] <jobId>/);
    expect(res.stdout).toMatch(/work order number/);
  });
});

describe('waiting syncs: list, status, recheck', () => {
  let onLocation: string;
  let onBoth: string;
  let onCompany: string;
  beforeAll(async () => {
    onLocation = await startWaitingJobSync(701, ['servicetrade:location:7001']);
    onBoth = await startWaitingJobSync(702, ['servicetrade:location:7001', 'servicetrade:company:7002']);
    onCompany = await startWaitingJobSync(703, ['servicetrade:company:7003']);
    await visible(`${SyncStatusKey.name} = "waiting" AND ExecutionStatus = "Running"`, 3);
  });

  test('list --status waiting shows what each waits on (table and --json)', async () => {
    const table = await fieldbridge(['list', '--status', 'waiting', '--kind', 'job-to-work-order']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^WORKFLOW ID\s+SYNC STATUS\s+KIND\s+SOURCE\s+TARGET\s+CODE\s+STARTED\s+WAITING ON$/);
    expect(table.stdout).toMatch(/job-to-work-order:servicetrade:701\s+waiting\s+job-to-work-order\s+servicetrade:701\s+spectrum\s+-\s+\S+\s+servicetrade:location:7001\n/);
    expect(table.stdout).toMatch(/job-to-work-order:servicetrade:702\s+waiting\s+.*servicetrade:location:7001, servicetrade:company:7002\n/);

    const json = JSON.parse((await fieldbridge(['list', '--status', 'waiting', '--json'])).stdout) as Array<{ workflowId: string; waitingOn: string[] }>;
    expect(json.find((r) => r.workflowId === onCompany)?.waitingOn).toEqual(['servicetrade:company:7003']);
  });

  test('list --system servicetrade | spectrum and --kind job-to-work-order find job syncs', async () => {
    for (const system of ['servicetrade', 'spectrum']) {
      const res = await fieldbridge(['list', '--system', system, '--kind', 'job-to-work-order', '--json']);
      expect(res.code).toBe(0);
      const ids = (JSON.parse(res.stdout) as Array<{ workflowId: string }>).map((r) => r.workflowId);
      expect(ids).toEqual(expect.arrayContaining([onLocation, onBoth, onCompany]));
    }
    const app4sales = JSON.parse((await fieldbridge(['list', '--system', 'app4sales', '--json'])).stdout) as unknown[];
    expect(app4sales).toEqual([]);
  });

  test('status of a waiting job sync: what it waits on and the next step (add the code in ServiceTrade, or recheck)', async () => {
    const res = await fieldbridge(['status', onBoth]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Status:\s+waiting \(Temporal: RUNNING\)/);
    expect(res.stdout).toMatch(/Waiting on:\s+servicetrade:location:7001, servicetrade:company:7002/);
    // No worker answers the state query here: the last error falls back to the search attributes.
    expect(res.stdout).toMatch(/Last error:\s+waiting on servicetrade:location:7001 and servicetrade:company:7002/);
    expect(res.stdout).toMatch(/Next step:\s+add the missing Spectrum code in ServiceTrade.*the sync resumes by itself; or, once it is there, run `fieldbridge recheck job-to-work-order:servicetrade:702`/);
  });

  test('recheck --waiting --on <key>: only the syncs waiting on that record; recheck --waiting: every waiting sync', async () => {
    const on = await fieldbridge(['recheck', '--waiting', '--on', 'servicetrade:location:7001']);
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^recheck signalled to 2 waiting syncs:\n/);
    expect(on.stdout).toContain(`${onLocation}  waiting on servicetrade:location:7001\n`);
    expect(on.stdout).toContain(`${onBoth}  waiting on servicetrade:location:7001, servicetrade:company:7002\n`);
    expect(on.stdout).not.toContain(onCompany);
    expect(await signals(onLocation)).toEqual([{ name: 'recheck', arg: { reason: 'operator' } }]);
    expect(await signals(onCompany)).toEqual([]);

    const none = await fieldbridge(['recheck', '--waiting', '--on', 'servicetrade:location:9999']);
    expect(none.stdout).toBe('no running sync waits on servicetrade:location:9999\n');

    const all = JSON.parse((await fieldbridge(['recheck', '--waiting', '--json'])).stdout) as Array<{ workflowId: string; waitingOn: string[] }>;
    expect(all.map((r) => r.workflowId).sort()).toEqual([onLocation, onBoth, onCompany].sort());
    expect((await signals(onCompany)).map((s) => s.name)).toEqual(['recheck']);
  });

  test('recheck <workflowId>: that sync, reason operator; a sync that is not running is refused', async () => {
    const res = await fieldbridge(['recheck', onCompany]);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`recheck signalled: ${onCompany}  waiting on servicetrade:company:7003\n`);
    expect((await signals(onCompany)).at(-1)).toEqual({ name: 'recheck', arg: { reason: 'operator' } });

    const done = await startWaitingJobSync(704, ['servicetrade:location:7004']);
    await client.workflow.getHandle(done).terminate('test');
    const closed = await fieldbridge(['recheck', done]);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/is not running \(terminated\)/);

    const unknown = await fieldbridge(['recheck', 'job-to-work-order:servicetrade:999999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not found/i);
  });

  test('status of a terminated job sync: run `fieldbridge sync servicetrade-job <id>` again', async () => {
    const res = await fieldbridge(['status', jobToWorkOrderWorkflowId(704), '--json']);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report).toMatchObject({ syncStatus: 'terminated', waitingOn: [] });
    expect(report.nextStep).toMatch(/run `fieldbridge sync servicetrade-job 704`/);
  });

  test('recheck argument errors: neither or both of an id and --waiting, a malformed wait key', async () => {
    const neither = await fieldbridge(['recheck']);
    expect(neither.code).not.toBe(0);
    expect(neither.stderr).toMatch(/give a workflow id, or --waiting/);
    const both = await fieldbridge(['recheck', onLocation, '--waiting']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/not both/);
    const badKey = await fieldbridge(['recheck', '--waiting', '--on', 'location-7001']);
    expect(badKey.code).not.toBe(0);
    expect(badKey.stderr).toMatch(/must be <system>:<record>:<id>/);
    // Nothing was signalled by the refused commands.
    expect((await signals(onLocation)).length).toBe(2);
  });
});

test('setup registers every search attribute with its type, FieldBridgeWaitingOn as a keyword list', async () => {
  const bare = await TestWorkflowEnvironment.createLocal({ server: devServerOptions([]) });
  try {
    const res = await fieldbridge(['setup'], bare.address);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('FieldBridgeWaitingOn');
    const { customAttributes } = await bare.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    const Indexed = temporal.api.enums.v1.IndexedValueType;
    expect(customAttributes?.FieldBridgeWaitingOn).toBe(Indexed.INDEXED_VALUE_TYPE_KEYWORD_LIST);
    expect(customAttributes?.FieldBridgeSyncStatus).toBe(Indexed.INDEXED_VALUE_TYPE_KEYWORD);
    expect((await fieldbridge(['setup'], bare.address)).stdout).toMatch(/all search attributes present/);
  } finally {
    await bare.teardown();
  }
});

describe('what the CLI prints (pure)', () => {
  test('the result of a finished job sync: work order number, lines, whether the number was recorded', () => {
    const text = jobSyncResultReport(
      { workflowId: 'job-to-work-order:servicetrade:42', runId: 'r1' },
      { jobId: 42, workOrderNumber: 'J000042', lineGroups: { PIPE: 'a', VALVE: 'b' }, linesAdded: 3, numberRecorded: true, passes: 1 },
    );
    expect(text.split('\n')).toEqual([
      'Workflow:        job-to-work-order:servicetrade:42 (run r1)',
      'Status:          completed',
      'Work order:      J000042',
      'Lines:           2 item codes (PIPE, VALVE); 3 lines added by this sync',
      'Number recorded: yes: written on ServiceTrade job 42',
      'Passes:          1',
    ]);
    const unchanged = jobSyncResultReport(
      { workflowId: 'job-to-work-order:servicetrade:43', runId: 'r2' },
      { jobId: 43, workOrderNumber: 'J000043', lineGroups: {}, linesAdded: 0, numberRecorded: false, passes: 2 },
    );
    expect(unchanged).toContain('Lines:           0 item codes; 0 lines added by this sync');
    expect(unchanged).toContain('Number recorded: no: ServiceTrade job 43 already carried it');
    const kept = jobSyncResultReport(
      { workflowId: 'job-to-work-order:servicetrade:44', runId: 'r3' },
      {
        jobId: 44,
        workOrderNumber: 'J000044',
        lineGroups: {},
        linesAdded: 0,
        numberRecorded: false,
        passes: 1,
        keptInSpectrum: [{ field: 'Customer_PO_Number', value: 'PO-1', message: 'Customer_PO_Number was emptied in ServiceTrade, but …' }],
      },
    );
    expect(kept.split('\n').at(-1)).toBe('To do by hand:   Customer_PO_Number was emptied in ServiceTrade, but …');
  });

  test('recheck lines and wait keys', () => {
    expect(recheckLine({ workflowId: 'w', runId: 'r', waitingOn: [], syncStatus: 'running' })).toBe('w  (running: not waiting, the recheck is harmless)');
    expect(waitKey('servicetrade:company:12')).toBe('servicetrade:company:12');
    expect(() => waitKey('servicetrade:12')).toThrow(/<system>:<record>:<id>/);
  });

  const failedJobSync = (type: string): SyncReport => ({
    workflowId: 'job-to-work-order:servicetrade:42',
    runId: 'r',
    workflowStatus: 'FAILED',
    syncStatus: 'failed',
    kind: 'job-to-work-order',
    sourceSystem: 'servicetrade',
    sourceId: '42',
    targetSystem: 'spectrum',
    targetCode: null,
    waitingOn: [],
    startTime: new Date(0),
    closeTime: new Date(1),
    step: null,
    passes: null,
    lastError: 'x',
    failure: { type, message: 'x', willRetry: false },
    pendingActivity: null,
    nextStep: null,
    notices: [],
  });

  test.each([
    ['MappingNotFound', /add the missing Spectrum code in ServiceTrade .* or fix the mapping, then run `fieldbridge sync servicetrade-job 42`/],
    ['InvalidSourceRecord', /^fix ServiceTrade job 42 as the error says, then run `fieldbridge sync servicetrade-job 42`/],
    ['SpectrumNotAuthorized', /^grant the permission in Spectrum: the Authorization ID \(SPECTRUM_AUTHORIZATION_ID\)/],
    ['SpectrumRejected', /the error names the column and the fix/],
    ['TransientExternalError', /^once the cause is fixed, run `fieldbridge sync servicetrade-job 42`/],
  ])('a failed job sync (%s): its next step', (type, expected) => {
    expect(nextStepFor(failedJobSync(type))).toMatch(expected);
  });

  test('a customer sync\'s next steps are unchanged', () => {
    const r = { ...failedJobSync('MissingRequiredFields'), kind: 'customer-upsert', sourceSystem: 'app4sales', sourceId: 'C1', workflowId: 'customer-upsert:app4sales:C1' };
    expect(nextStepFor(r)).toBe('fix the app4sales record C1 as the error says; its change webhook starts a new sync (or run `fieldbridge sync app4sales-customer C1`)');
    expect(nextStepFor({ ...r, syncStatus: 'waiting', failure: null })).toBe('fix what the last error names; a change at the source resumes the sync, or run `fieldbridge sync app4sales-customer C1`');
  });
});
