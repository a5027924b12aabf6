/**
 * The operator CLI for the ServiceChannel -> ServicePower work order sync, run as an operator runs it
 * (bin/fieldbridge.js in a child process) against a real dev server with FieldBridge's search
 * attributes and the ServiceChannel and ServicePower simulators (test/helpers/stack.ts). Mostly without
 * a worker: syncs are started or signalled and read back from Temporal; the reconciliation Schedule is
 * created, shown, paused, triggered and deleted. `sync … --wait` runs with the production worker (both
 * task queues) and waits until the work order is dispatched. The next steps printed for a refused
 * ServiceChannel permission and a ServicePower conflict are covered through nextStepFor.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { nextStepFor, type SyncReport } from '../../client/operations';
import { RECONCILE_SCHEDULE_ID } from '../../client/reconcile-schedule';
import { SourceIdKey, SourceSystemKey, SyncKindKey, TargetSystemKey } from '../../common/search-attributes';
import { workOrderToMobileWorkflowId } from '../../workflows/definitions';
import { startStack, type Stack } from '../helpers/stack';
import { DEMO_LOCATION_IDS, DEMO_SUBSCRIBER_IDS } from '../../connectors/servicechannel/demo-data';

jest.setTimeout(120_000);

const BIN = join(__dirname, '..', '..', 'bin', 'fieldbridge.js');
let stack: Stack;
let client: Client;
let TASK_QUEUE: string;

function fieldbridge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, TEMPORAL_ADDRESS: stack.env.address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: TASK_QUEUE }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  stack = await startStack();
  client = stack.env.client;
  TASK_QUEUE = stack.taskQueue;
});
afterAll(async () => {
  await stack?.close();
});

async function visible(query: string, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await client.workflow.count(query)).count < count) {
    if (Date.now() > deadline) throw new Error(`visibility never showed ${count} for ${query}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('fieldbridge sync servicechannel-work-order', () => {
  test('starts the work order\'s sync with its search attributes and a `cli:` event; a second call signals the same run', async () => {
    const first = await fieldbridge(['sync', 'servicechannel-work-order', '90000101', '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const started = JSON.parse(first.stdout);
    const workflowId = workOrderToMobileWorkflowId(90000101);
    expect(started).toMatchObject({ workflowId, runId: expect.any(String), eventId: expect.stringMatching(/^cli:/) });
    const second = await fieldbridge(['sync', 'servicechannel-work-order', '90000101']);
    expect(second.stdout).toBe(`sync signalled: ${workflowId} (run ${started.runId})\n`);

    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.taskQueue).toBe(TASK_QUEUE);
    expect(description.typedSearchAttributes.get(SourceSystemKey)).toBe('servicechannel');
    expect(description.typedSearchAttributes.get(SourceIdKey)).toBe('90000101');
    expect(description.typedSearchAttributes.get(TargetSystemKey)).toBe('servicepower');
    expect(description.typedSearchAttributes.get(SyncKindKey)).toBe('work-order-to-mobile');
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const signals = (history.events ?? [])
      .map((e) => e.workflowExecutionSignaledEventAttributes)
      .filter((a): a is NonNullable<typeof a> => !!a)
      .map((a) => ({ name: a.signalName, arg: defaultPayloadConverter.fromPayload(a.input!.payloads![0]) as { eventId: string; eventType: string; source: string } }));
    expect(signals.map((s) => s.name)).toEqual(['serviceChannelEvent', 'serviceChannelEvent']);
    expect(signals.map((s) => s.arg.source)).toEqual(['cli', 'cli']);
    expect(signals.map((s) => s.arg.eventType)).toEqual(['OperatorSync', 'OperatorSync']);
    expect(new Set(signals.map((s) => s.arg.eventId)).size).toBe(2);
  });

  test('a work order id that is not a positive integer is refused before anything is started', async () => {
    const res = await fieldbridge(['sync', 'servicechannel-work-order', 'SC-1000101']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('must be a positive integer');
  });

  test('status and list show the sync as kind work-order-to-mobile, servicechannel -> servicepower', async () => {
    await fieldbridge(['sync', 'servicechannel-work-order', '90000102']);
    const workflowId = workOrderToMobileWorkflowId(90000102);
    const status = await fieldbridge(['status', workflowId]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Kind:          work-order-to-mobile');
    expect(status.stdout).toContain('Source:        servicechannel 90000102');
    expect(status.stdout).toContain('Target:        servicepower');
    await visible('FieldBridgeSyncKind = "work-order-to-mobile"', 2);
    const list = await fieldbridge(['list', '--kind', 'work-order-to-mobile', '--json']);
    const rows = JSON.parse(list.stdout) as Array<{ workflowId: string; sourceSystem: string; targetSystem: string }>;
    expect(rows.map((r) => r.workflowId).sort()).toEqual([workOrderToMobileWorkflowId(90000101), workflowId]);
    const bySystem = await fieldbridge(['list', '--system', 'servicepower']);
    expect(bySystem.stdout).toContain('servicechannel:90000102');
  });
});

describe('fieldbridge sync servicechannel-work-order --wait, with the worker', () => {
  test('waits until the work order is dispatched, then prints the sync: running, with its mobile work order number', async () => {
    const wo = stack.servicechannel.state.createWorkOrder(
      {
        Id: 90000301,
        Number: '1000301',
        SubscriberId: DEMO_SUBSCRIBER_IDS.northwind,
        LocationId: DEMO_LOCATION_IDS.northwindRaleigh,
        Trade: 'HVAC',
        Category: 'REPAIR',
        Priority: 'P2 - 24 Hours',
        ScheduledDate: '2026-12-01T14:00:00.000Z',
        Nte: 500,
        Description: 'Rooftop unit 3 not cooling',
      },
      { notify: false },
    );
    const res = await stack.withWorker(() => fieldbridge(['sync', 'servicechannel-work-order', String(wo.Id), '--wait', '--json']), { mobile: {} });
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report).toMatchObject({ workflowId: workOrderToMobileWorkflowId(wo.Id), kind: 'work-order-to-mobile', syncStatus: 'running', targetCode: `SC${wo.Id}`, lastError: null });
    // Dispatched before the CLI answered: the mobile work order exists, with the ServiceChannel status set.
    expect(stack.servicepower.state.callsTo('PUT', `SC${wo.Id}`)).toBe(1);
    expect(stack.servicechannel.state.adminWorkOrder(wo.Id)?.Status).toMatchObject({ Primary: 'IN PROGRESS', Extended: 'DISPATCHED' });
  });
});

describe('fieldbridge schedule reconcile', () => {
  test('create, show, pause, unpause, trigger, update the interval, delete', async () => {
    const created = await fieldbridge(['schedule', 'reconcile', '--every', '2m', '--json']);
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({ action: 'created', scheduleId: RECONCILE_SCHEDULE_ID, everyMs: 120_000, paused: false });
    const shown = await fieldbridge(['schedule', 'reconcile', '--show']);
    expect(shown.stdout).toContain(`Schedule:  ${RECONCILE_SCHEDULE_ID} (unchanged)`);
    expect(shown.stdout).toContain('Every:     2m');
    const paused = await fieldbridge(['schedule', 'reconcile', '--pause', '--json']);
    expect(JSON.parse(paused.stdout)).toMatchObject({ action: 'paused', paused: true, note: 'paused with fieldbridge schedule reconcile --pause' });
    // An update keeps it paused.
    const updated = await fieldbridge(['schedule', 'reconcile', '--every', '5m', '--json']);
    expect(JSON.parse(updated.stdout)).toMatchObject({ action: 'updated', everyMs: 300_000, paused: true });
    const unpaused = await fieldbridge(['schedule', 'reconcile', '--unpause', '--json']);
    expect(JSON.parse(unpaused.stdout)).toMatchObject({ action: 'unpaused', paused: false });
    const triggered = await fieldbridge(['schedule', 'reconcile', '--trigger', '--json']);
    expect(JSON.parse(triggered.stdout)).toMatchObject({ action: 'triggered' });
    const deleted = await fieldbridge(['schedule', 'reconcile', '--delete']);
    expect(deleted.stdout).toBe(`schedule ${RECONCILE_SCHEDULE_ID} deleted\n`);
    const gone = await fieldbridge(['schedule', 'reconcile', '--show']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain(`no schedule ${RECONCILE_SCHEDULE_ID}: create it with \`fieldbridge schedule reconcile [--every 5m]\``);
  });

  test('an interval that is not a duration is refused', async () => {
    const res = await fieldbridge(['schedule', 'reconcile', '--every', 'often']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('--every "often" is not a duration');
  });
});

describe('next steps of a work order sync', () => {
  const base: SyncReport = {
    workflowId: workOrderToMobileWorkflowId(90000102),
    runId: 'r',
    workflowStatus: 'RUNNING',
    syncStatus: 'running',
    kind: 'work-order-to-mobile',
    sourceSystem: 'servicechannel',
    sourceId: '90000102',
    targetSystem: 'servicepower',
    targetCode: 'SC1000102',
    waitingOn: [],
    startTime: new Date(0),
    closeTime: null,
    step: null,
    passes: 2,
    lastError: null,
    failure: null,
    pendingActivity: null,
    nextStep: null,
    notices: [],
  };

  test('ProviderPermissionMissing: ask the subscriber to grant the named permission, then recheck', () => {
    const step = nextStepFor({
      ...base,
      syncStatus: 'waiting',
      waitingOn: ['servicechannel:subscriber:2014917250'],
      lastError:
        'ServicePower holds mobile work order SC1000102 but ServiceChannel work order 90000102 was not updated (note): ServiceChannel refused to add a note: subscriber 2014917250 has not granted the provider the permission "Note Creation". Once granted, run `fieldbridge recheck` on this workflow to send it again.',
    });
    expect(step).toBe(
      'ask ServiceChannel subscriber 2014917250 to grant your provider account the permission "Note Creation" (the mobile work order is in ServicePower; only ServiceChannel was not updated); ' +
        `once granted, run \`fieldbridge recheck ${base.workflowId}\``,
    );
  });

  test('TargetConflict: settle the mobile work order in ServicePower, then sync again; TargetGone: create it again', () => {
    expect(nextStepFor({ ...base, syncStatus: 'failed', lastError: "ServicePower refused PATCH SC1000102: it conflicts with the work order's state (409: closed)" })).toBe(
      "ServicePower refused the change as conflicting with mobile work order SC1000102's state (e.g. already closed or being worked): look at it in ServicePower and settle it there (or in ServiceChannel), then run `fieldbridge sync servicechannel-work-order 90000102`",
    );
    expect(nextStepFor({ ...base, syncStatus: 'failed', failure: { type: 'TargetGone', message: 'gone', willRetry: false } })).toBe(
      'mobile work order SC1000102 was deleted in ServicePower: if the work should still be done, create it again with `fieldbridge sync servicechannel-work-order 90000102`',
    );
  });

  test('stopped: the general rule names the work order sync command', () => {
    expect(nextStepFor({ ...base, syncStatus: 'terminated', workflowStatus: 'TERMINATED' })).toContain('`fieldbridge sync servicechannel-work-order 90000102`');
  });
});
