/**
 * Operator repair without a redeploy (issue 9, section 3), run as an operator runs it
 * (bin/fieldbridge.js in a child process, configured by the environment like the worker) against a
 * real dev server, the production worker and the simulators:
 * - `preview <flow> <id>` on each flow prints what the sync would send, its truncations and missing
 *   fields, and writes nothing (the simulators' request logs and state stay as they were);
 * - `retry` refuses a permanent failure whose record is unchanged, re-runs from the source load once
 *   it is fixed, re-runs from the failed step after a transient failure or with --force, keeping the
 *   completed steps (the simulators' request logs and the new run's history show they were not done
 *   again); a waiting sync is pointed to `recheck`;
 * - `status` prints the next step (record to fix, then which command) for a failed and a waiting sync.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { customerUpsertSearchAttributes, startJobToWorkOrder, startWorkOrderToMobile, workOrderToMobileSearchAttributes } from '../../common/starters';
import { SyncStatusKey } from '../../common/search-attributes';
import { DEMO_SUBSCRIBER_IDS } from '../../connectors/servicechannel/demo-data';
import { DEMO_LOCATION_IDS as ST_LOCATION_IDS } from '../../connectors/servicetrade/demo-data';
import type { customerUpsert } from '../../workflows/customer-upsert';
import {
  CUSTOMER_UPSERT_WORKFLOW,
  customerUpsertWorkflowId,
  jobToWorkOrderWorkflowId,
  sourceChangedSignal,
  WORK_ORDER_TO_MOBILE_WORKFLOW,
  workOrderToMobileWorkflowId,
  type SourceChange,
} from '../../workflows/definitions';
import { app4salesCustomer } from '../fixtures/customers';
import { DEMO_MOBILE_SYNC } from '../../scripts/simulator-adapter-config';
import { failureOf } from '../helpers/customer-sync';
import { FIVE_ITEMS, testJob } from '../helpers/job-sync';
import { SPECTRUM_AUTHORIZATION_ID, eventually, startStack, workerProcessEnv, type Stack } from '../helpers/stack';
import { describeSync } from '../../client/operations';

jest.setTimeout(180_000);

const BIN = join(__dirname, '..', '..', 'bin', 'fieldbridge.js');
let stack: Stack;
let client: Client;

/** The CLI with the worker's environment; the stack's worker runs the demo dispatch preferences, so the CLI gets them too. */
function fieldbridge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = workerProcessEnv(stack, {
    LOG_LEVEL: 'warn',
    MOBILE_MANAGED_ACCOUNTS: JSON.stringify(DEMO_MOBILE_SYNC.managedAccounts),
    MOBILE_TECHNICIAN_BY_TRADE: JSON.stringify(DEMO_MOBILE_SYNC.technicianByTrade),
  });
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 90_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  stack = await startStack();
  client = stack.env.client;
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.reset();
  stack.app4sales.state.putSalesRep({ Username: 'jdoe', ResIdString: 'SR-JDOE' });
});

let n = 0;
function seedCustomer(overrides: Parameters<typeof app4salesCustomer>[0] = {}): string {
  const id = `RP${++n}-${Date.now()}`;
  stack.app4sales.state.putCustomer(app4salesCustomer({ Id: id, ...overrides }));
  return id;
}

/** A customer with no e-mail anywhere App4Sales could hold one: Specter's EmailAddress is required. */
const WITHOUT_EMAIL = {
  Email: null,
  MainContactPerson: { Id: 'CP-1', FullName: 'Anna Berg', FirstName: 'Anna', LastName: 'Berg', Email: null },
  ContactPersons: [{ Id: 'CP-1', FullName: 'Anna Berg', FirstName: 'Anna', LastName: 'Berg', Email: null }],
  VisitAddress: { AddressLine1: 'Storgatan 1', City: 'Stockholm', Country: 'SE', PostCode: '111 22' },
};

async function syncCustomer(customerId: string, input: { specterWriteMaxAttempts?: number } = {}) {
  await client.workflow.signalWithStart<typeof customerUpsert, [SourceChange]>(CUSTOMER_UPSERT_WORKFLOW, {
    workflowId: customerUpsertWorkflowId(customerId),
    taskQueue: stack.taskQueue,
    args: [{ customerId, ...input }],
    signal: sourceChangedSignal,
    signalArgs: [{ eventId: `evt-${customerId}` }],
    typedSearchAttributes: customerUpsertSearchAttributes(customerId),
  });
  return client.workflow.getHandle<typeof customerUpsert>(customerUpsertWorkflowId(customerId));
}

/** Activity types scheduled in a run, in order (ActivityTaskScheduled events). */
async function scheduled(workflowId: string, runId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name ?? '?'] : []));
}

let nextJobId = 70_000 + Math.floor(Math.random() * 1000) * 10;
function createJob(overrides: Record<string, unknown> = {}): { id: number; number: string } {
  const id = nextJobId++;
  const job = stack.servicetrade.state.createJob(testJob(id, overrides), { notify: false });
  return { id: job.id, number: job.number };
}

describe('fieldbridge preview', () => {
  test('app4sales-customer: the Specter body with the mapped values, a truncation, a missing required field; nothing written', async () => {
    const longName = `Nordic Fire & Safety AB ${'x'.repeat(120)}`;
    const id = seedCustomer({ ...WITHOUT_EMAIL, CustomerName: longName });
    const res = await fieldbridge(['preview', 'app4sales-customer', id]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('POST /api/v1/42/customers');
    expect(res.stdout).toContain('"Name": "Nordic Fire & Safety AB xxx');
    expect(res.stdout).toContain('"OrgNo": "556677-8899"');
    expect(res.stdout).toContain('"SalesRepresentativeId": "SR-JDOE"');
    expect(res.stdout).toContain('"TypeCustomer": "C"');
    expect(res.stdout).toMatch(new RegExp(`Truncated:\\s+Name cut to 100 \\(was ${longName.length}\\)`));
    expect(res.stdout).toMatch(new RegExp(`Missing:\\s+App4Sales customer ${id}: EmailAddress \\(from MainContactPerson.Email, Email or VisitAddress.Email\\)`));
    expect(res.stdout).toContain('Verdict:    cannot be synced as it is');

    const json = JSON.parse((await fieldbridge(['preview', 'app4sales-customer', id, '--json'])).stdout);
    expect(json).toMatchObject({ flow: 'app4sales-customer', sourceId: id, action: 'refuse', syncable: false });
    expect(json.truncations).toEqual([{ field: 'Name', maxLength: 100, originalLength: longName.length }]);
    expect(json.missing).toEqual([expect.objectContaining({ record: `App4Sales customer ${id}`, field: 'EmailAddress' })]);
    expect(JSON.parse(json.requests[0].body)).toMatchObject({ Name: longName.slice(0, 100), EmailAddress: '' });

    // A complete customer: a create, exit 0.
    const ok = seedCustomer();
    const good = await fieldbridge(['preview', 'app4sales-customer', ok]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('Action:     create: create a Specter customer');
    expect(good.stdout).toContain('"EmailAddress": "anna.berg@nordicfire.example"');
    expect(good.stdout).toContain('Verdict:    can be synced as it is');

    // Nothing was written anywhere: no POST reached Specter, no CustomerCode in App4Sales, no workflow started.
    expect(stack.specter.state.requests).toEqual([]);
    expect(stack.specter.state.customers.size).toBe(0);
    expect(stack.app4sales.state.customers.get(id)?.CustomerCode ?? null).toBeNull();
    await expect(client.workflow.getHandle(customerUpsertWorkflowId(ok)).describe()).rejects.toThrow();
  });

  test('servicetrade-job: the WorkOrderHeader and line envelopes (Authorization_ID masked), a truncation, the missing site code; nothing written', async () => {
    const description = `Rooftop unit not cooling. ${'Checked the compressor and the condenser fan. '.repeat(8)}`.trim();
    const job = createJob({ description, locationId: ST_LOCATION_IDS.harborPointTower });
    const res = await fieldbridge(['preview', 'servicetrade-job', String(job.id)]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('--> spectrum: SOAP WorkOrderHeader');
    expect(res.stdout).toContain(`<WO_Number>S${job.number}</WO_Number>`);
    expect(res.stdout).toContain('<Authorization_ID>****</Authorization_ID>');
    expect(res.stdout).not.toContain(`<Authorization_ID>${'FIELDBRIDGE'}</Authorization_ID>`);
    expect(res.stdout).toContain('--> spectrum: SOAP AddWOMaterialCost');
    expect(res.stdout).toContain('<Item_Code>BELT-A42</Item_Code>');
    // The lines are read with their System_Key first; a unit of measure over 2 characters is left out, and said so.
    expect(res.stdout).toContain('--> spectrum: SOAP GetWOMaterialCost');
    expect(res.stdout).toContain(`<pWO_Number>S${job.number}</pWO_Number>`);
    expect(res.stdout).not.toContain('<Unit_Of_Measure>each</Unit_Of_Measure>');
    expect(res.stdout).toMatch(/Unit_Of_Measure of job item \d+ \("each"\) is longer than Spectrum's 2 characters/);
    expect(res.stdout).toMatch(new RegExp(`Truncated:\\s+Summary_Description cut to 250 \\(was ${description.length}\\)`));
    expect(res.stdout).toMatch(new RegExp(`Mappings:\\s+ServiceTrade location ${ST_LOCATION_IDS.harborPointTower} \\(".*"\\) has no Spectrum site code`));
    expect(res.stdout).toContain('Action:     wait:');

    // Only GetCustomers (the read that verifies the customer code) reached Spectrum; no job was started or changed.
    expect(stack.spectrum.state.requests.filter((r) => r.service !== 'GetCustomers')).toEqual([]);
    expect(stack.spectrum.state.workOrders.size).toBe(0);
    await expect(client.workflow.getHandle(jobToWorkOrderWorkflowId(job.id)).describe()).rejects.toThrow();
  });

  test('servicechannel-work-order: the ServicePower PUT body, a truncated Description, a location without a street address; nothing written', async () => {
    stack.servicechannel.state.seed({ locations: [{ Id: 309901, SubscriberId: DEMO_SUBSCRIBER_IDS.northwind, StoreId: '9901', Name: 'Pop-up store', City: 'Cary', State: 'NC' }] });
    const longDescription = `Walk-in cooler alarm. ${'Temperature reading climbs above 45F overnight. '.repeat(8)}`.trim();
    stack.servicechannel.state.createWorkOrder(
      { Id: 90000901, Number: '1000901', SubscriberId: DEMO_SUBSCRIBER_IDS.northwind, LocationId: 309901, Trade: 'REFRIGERATION', Category: 'REPAIR', Nte: 800, Description: longDescription, Status: { Primary: 'OPEN' } },
      { notify: false },
    );
    const res = await fieldbridge(['preview', 'servicechannel-work-order', '90000901']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('--> servicepower: PUT WorkOrder/SC90000901');
    expect(res.stdout).toContain('"OrderSubType": "REFRIGERATION"');
    expect(res.stdout).toContain('"Amount": 800');
    expect(res.stdout).toMatch(new RegExp(`Truncated:\\s+Description cut to 255 \\(was ${longDescription.length}\\)`));
    expect(res.stdout).toMatch(/Missing:\s+ServiceChannel location 309901: Location.Address.AddrLine1 \(from Location.Address1\)/);

    // A complete one (a demo work order): a PUT, exit 0.
    const good = await fieldbridge(['preview', 'servicechannel-work-order', String(90000101), '--json']);
    expect(good.code).toBe(0);
    const json = JSON.parse(good.stdout);
    expect(json).toMatchObject({ action: 'create', syncable: true });
    expect(JSON.parse(json.requests[0].body)).toMatchObject({ OrderSubType: 'HVAC', Location: { Address: { City: expect.any(String) } } });

    expect(stack.servicepower.state.requests).toEqual([]);
    // ServiceChannel was only read (its request log counts API routes: GETs of work orders).
    expect(stack.servicechannel.state.requests.map((r) => r.route).filter((route) => !/^(get|list)/i.test(route))).toEqual([]);
  });
});

describe('fieldbridge preview and retry of a dispatched work order', () => {
  test('preview shows the PATCH of what changed since the sync last sent it (rebuilt from its history), and sends nothing', async () => {
    const { servicechannel, servicepower } = stack;
    await stack.withWorker(
      async () => {
        await startWorkOrderToMobile(client, stack.taskQueue, 90000101, { eventId: 'repair-wo-1', eventType: 'WorkOrderCreated', source: 'webhook' });
        await eventually(() => servicepower.state.workOrders.get('SC90000101'), 60_000, 'the work order dispatched to ServicePower');
        await eventually(async () => (await describeSync(client, workOrderToMobileWorkflowId(90000101))).targetCode === 'SC90000101', 60_000, 'the dispatch recorded');
      },
      { mobile: {} },
    );
    servicechannel.state.patchWorkOrder(90000101, { Nte: 750 }, { notify: false });
    const puts = servicepower.state.callsTo('PUT');
    const patches = servicepower.state.callsTo('PATCH');
    const res = await fieldbridge(['preview', 'servicechannel-work-order', '90000101', '--json']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const json = JSON.parse(res.stdout);
    expect(json).toMatchObject({ action: 'patch', syncable: true });
    expect(json.requests).toHaveLength(1);
    expect(json.requests[0].operation).toBe('PATCH WorkOrder/SC90000101');
    expect(JSON.parse(json.requests[0].body)).toEqual({ PurchaseOrder: { Amount: 750 } });
    expect([servicepower.state.callsTo('PUT'), servicepower.state.callsTo('PATCH')]).toEqual([puts, patches]);
    await client.workflow.getHandle(workOrderToMobileWorkflowId(90000101)).terminate('test over');
  });

  test('retry of a work order sync marked failed while it keeps running: signals it to read the work order again (no reset)', async () => {
    const workflowId = workOrderToMobileWorkflowId(90000103);
    // Marked failed as the workflow marks itself after a ServicePower 410/409; no worker polls this queue.
    await client.workflow.start(WORK_ORDER_TO_MOBILE_WORKFLOW, {
      workflowId,
      taskQueue: `${stack.taskQueue}-idle`,
      args: [{ workOrderId: 90000103 }],
      typedSearchAttributes: [...workOrderToMobileSearchAttributes(90000103).filter((p) => p.key.name !== SyncStatusKey.name), { key: SyncStatusKey, value: 'failed' }],
    });
    const runId = (await client.workflow.getHandle(workflowId).describe()).runId;
    const res = await fieldbridge(['retry', workflowId]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`${workflowId}: its workflow keeps running: signalled to read the ServiceChannel work order again`);
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const signals = (history.events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName] : []));
    expect(signals).toEqual(['serviceChannelEvent']);
    expect((await client.workflow.getHandle(workflowId).describe()).runId).toBe(runId);
    await client.workflow.getHandle(workflowId).terminate('test over');
  });
});

describe('fieldbridge retry and status', () => {
  test('customer, permanent: refused while the record is unchanged (status names the field), re-run from the load once fixed; completes with one Specter customer', async () => {
    const id = seedCustomer(WITHOUT_EMAIL);
    const workflowId = customerUpsertWorkflowId(id);
    await stack.withWorker(async () => {
      const failure = await failureOf((await syncCustomer(id)).result());
      expect(failure.type).toBe('MissingRequiredFields');
      const failedRun = (await client.workflow.getHandle(workflowId).describe()).runId;

      const status = await fieldbridge(['status', workflowId]);
      expect(status.stdout).toMatch(new RegExp(`Fix:\\s+App4Sales customer ${id}: EmailAddress \\(from App4Sales MainContactPerson.Email`));
      expect(status.stdout).toMatch(new RegExp(`Then:\\s+fieldbridge retry ${workflowId}`));

      const refusedRetry = await fieldbridge(['retry', workflowId]);
      expect(refusedRetry.code).toBe(1);
      expect(refusedRetry.stdout).toContain(`refused ${workflowId}: the failure (MissingRequiredFields) is permanent and App4Sales customer ${id} has not changed since the failed run`);
      expect(refusedRetry.stdout).toContain('EmailAddress');
      expect((await client.workflow.getHandle(workflowId).describe()).runId).toBe(failedRun);

      // The fix: the e-mail address in App4Sales. Retry re-runs from the load (the record changed).
      stack.app4sales.state.putCustomer(app4salesCustomer({ Id: id }));
      const retried = await fieldbridge(['retry', workflowId, '--json']);
      expect(retried.stderr).toBe('');
      expect(retried.code).toBe(0);
      const outcome = JSON.parse(retried.stdout);
      expect(outcome).toMatchObject({ action: 'reset', runId: failedRun, sourceChanged: true, resetTo: { step: 'loadApp4SalesCustomer', from: 'source load' } });
      const result = await client.workflow.getHandle<typeof customerUpsert>(workflowId, outcome.newRunId).result();
      expect(result).toMatchObject({ customerId: id, created: true });
      expect([...stack.specter.state.customers.values()].map((c) => c.EmailAddress)).toEqual(['anna.berg@nordicfire.example']);
      expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(result.specterCustomerId);
    });
  });

  test('customer, the record did not exist (the load failed for good): refused while it still cannot be loaded; once it exists, retried from the load', async () => {
    const id = `RP-missing-${Date.now()}`;
    const workflowId = customerUpsertWorkflowId(id);
    await stack.withWorker(async () => {
      expect((await failureOf((await syncCustomer(id)).result())).type).toBe('SourceRecordNotFound');
      const refusedRetry = await fieldbridge(['retry', workflowId]);
      expect(refusedRetry.code).toBe(1);
      expect(refusedRetry.stdout).toContain(`refused ${workflowId}: the failure (SourceRecordNotFound) is permanent and App4Sales customer ${id} still cannot be loaded: app4sales: customer ${id} does not exist in App4Sales`);

      stack.app4sales.state.putCustomer(app4salesCustomer({ Id: id }));
      const retried = JSON.parse((await fieldbridge(['retry', workflowId, '--json'])).stdout);
      expect(retried).toMatchObject({ action: 'reset', sourceChanged: true, resetTo: { step: 'loadApp4SalesCustomer', from: 'failed step' } });
      expect(await client.workflow.getHandle<typeof customerUpsert>(workflowId, retried.newRunId).result()).toMatchObject({ customerId: id, created: true });
    });
  });

  test('customer, transient: the Specter write ran out of attempts; retry re-runs only that step (the load is kept, not done again)', async () => {
    const id = seedCustomer();
    const workflowId = customerUpsertWorkflowId(id);
    stack.specter.faults.set({ errorRate: 1, errorStatus: 503, routes: ['postCustomer'] });
    await stack.withWorker(async () => {
      const failure = await failureOf((await syncCustomer(id, { specterWriteMaxAttempts: 2 })).result());
      expect(failure.type).toBe('TransientExternalError');
      const failedRun = (await client.workflow.getHandle(workflowId).describe()).runId;
      expect(await scheduled(workflowId, failedRun)).toEqual(['loadApp4SalesCustomer', 'upsertSpecterCustomer']);

      const dryRun = await fieldbridge(['retry', '--status', 'failed', '--kind', 'customer-upsert', '--since', '1h', '--dry-run']);
      expect(dryRun.stdout).toContain(`${workflowId}: would re-run from upsertSpecterCustomer`);
      expect((await client.workflow.getHandle(workflowId).describe()).runId).toBe(failedRun);

      stack.specter.faults.clear();
      const retried = await fieldbridge(['retry', workflowId]);
      expect(retried.code).toBe(0);
      expect(retried.stdout).toMatch(new RegExp(`retried ${workflowId}: re-run from upsertSpecterCustomer .*kept \\(not done again\\): loadApp4SalesCustomer`));
      const newRun = /new run (\S+);/.exec(retried.stdout)![1];
      const result = await client.workflow.getHandle<typeof customerUpsert>(workflowId, newRun).result();
      expect(result).toMatchObject({ created: true });
      // The new run kept the first load and ran the write once more: one load in its history, not two.
      expect(await scheduled(workflowId, newRun)).toEqual(['loadApp4SalesCustomer', 'upsertSpecterCustomer', 'recordCustomerCode']);
      expect(stack.specter.state.customers.size).toBe(1);
    });
  });

  test('job (a run started before version 2), permanent line refusal: refused while nothing changed; fixed in Spectrum, retry --force re-runs the lines only (the header is not sent again)', async () => {
    const { servicetrade, spectrum } = stack;
    servicetrade.state.putLibItem({ id: 509, code: 'GASKET-9', name: 'Door gasket' });
    const job = createJob({ items: [...FIVE_ITEMS, { libItemId: 509, quantity: 2, cost: 18, price: 39, uom: 'each' }] });
    const workflowId = jobToWorkOrderWorkflowId(job.id);
    await stack.withWorker(async () => {
      await startJobToWorkOrder(client, stack.taskQueue, job.id, { eventId: `evt-${job.id}` }, null);
      const failure = await failureOf(client.workflow.getHandle(workflowId).result());
      expect(failure.type).toBe('SpectrumRejected');
      expect(spectrum.state.workOrder(`S${job.number}`)?.materials).toEqual([]);
      const headersBefore = spectrum.state.callsTo('WorkOrderHeader').length;

      const status = await fieldbridge(['status', workflowId]);
      expect(status.stdout).toMatch(new RegExp(`Fix:\\s+ServiceTrade job ${job.id}: Spectrum column Item_Code`));

      const refusedRetry = await fieldbridge(['retry', workflowId]);
      expect(refusedRetry.code).toBe(1);
      expect(refusedRetry.stdout).toContain('is permanent and ServiceTrade job');
      expect(refusedRetry.stdout).toContain(`fieldbridge retry --force ${workflowId}`);

      spectrum.state.seed({ items: [{ Item_Code: 'GASKET-9', Description: 'Door gasket' }] });
      const retried = await fieldbridge(['retry', '--force', workflowId, '--json']);
      expect(retried.code).toBe(0);
      const outcome = JSON.parse(retried.stdout);
      expect(outcome).toMatchObject({ action: 'reset', sourceChanged: false, resetTo: { step: 'convergeWorkOrderLines', from: 'failed step' } });
      expect(outcome.kept).toEqual(['loadServiceTradeJob', 'upsertWorkOrderHeader']);
      const result = await client.workflow.getHandle(workflowId, outcome.newRunId).result();
      expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 6, numberRecorded: true });
      expect(spectrum.state.callsTo('WorkOrderHeader').length).toBe(headersBefore);
      expect(spectrum.state.workOrder(`S${job.number}`)?.materials).toHaveLength(6);
    });
  });

  test('job (version 3), permanent line refusal fixed in Spectrum: retry --force re-runs the first workflow task (the load and the header, local activities) and the lines; one work order, six lines', async () => {
    const { servicetrade, spectrum } = stack;
    servicetrade.state.putLibItem({ id: 509, code: 'GASKET-9', name: 'Door gasket' });
    const job = createJob({ items: [...FIVE_ITEMS, { libItemId: 509, quantity: 2, cost: 18, price: 39, uom: 'each' }] });
    const workflowId = jobToWorkOrderWorkflowId(job.id);
    await stack.withWorker(async () => {
      await startJobToWorkOrder(client, stack.taskQueue, job.id, { eventId: `evt-${job.id}` });
      const failure = await failureOf(client.workflow.getHandle(workflowId).result());
      expect(failure.type).toBe('SpectrumRejected');
      const headersBefore = spectrum.state.callsTo('WorkOrderHeader').length;

      const refusedRetry = await fieldbridge(['retry', workflowId]);
      expect(refusedRetry.code).toBe(1);
      expect(refusedRetry.stdout).toContain(`fieldbridge retry --force ${workflowId}`);

      spectrum.state.seed({ items: [{ Item_Code: 'GASKET-9', Description: 'Door gasket' }] });
      const retried = await fieldbridge(['retry', '--force', workflowId, '--json']);
      expect(retried.code).toBe(0);
      const outcome = JSON.parse(retried.stdout);
      expect(outcome).toMatchObject({ action: 'reset', sourceChanged: false, resetTo: { step: 'convergeWorkOrderLines', from: 'failed step' } });
      // The lines were scheduled by the workflow task that ran the load and the header: they run again with it.
      expect(outcome.kept).toEqual([]);
      const result = await client.workflow.getHandle(workflowId, outcome.newRunId).result();
      expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 6, numberRecorded: false });
      // Version 3 records the number on the job when it claims it, before the header (issue 15): the job holds it.
      expect(stack.servicetrade.state.job(job.id)?.externalIds.spectrum).toBe(`S${job.number}`);
      // The header once more (create-or-update of the same work order), one work order with the six lines.
      expect(spectrum.state.callsTo('WorkOrderHeader').length).toBe(headersBefore + 1);
      expect(spectrum.state.workOrders.size).toBe(1);
      expect(spectrum.state.workOrder(`S${job.number}`)?.materials).toHaveLength(6);
    });
  });

  test('job (version 3), the header refused for good (a local activity): --force once the permission is granted re-runs from the header, found by its marker', async () => {
    const { spectrum } = stack;
    const job = createJob();
    const workflowId = jobToWorkOrderWorkflowId(job.id);
    const all = ['WorkOrderHeader', 'AddWOMaterialCost', 'DeleteWOMaterialCost', 'GetWOMaterialCost', 'WOHeaderNotes', 'GetCustomers'];
    spectrum.state.setPermissions(SPECTRUM_AUTHORIZATION_ID, all.filter((p) => p !== 'WorkOrderHeader'));
    await stack.withWorker(async () => {
      await startJobToWorkOrder(client, stack.taskQueue, job.id, { eventId: `evt-${job.id}` });
      expect((await failureOf(client.workflow.getHandle(workflowId).result())).type).toBe('SpectrumNotAuthorized');

      spectrum.state.setPermissions(SPECTRUM_AUTHORIZATION_ID, all);
      const retried = await fieldbridge(['retry', '--force', workflowId, '--json']);
      expect(retried.code).toBe(0);
      const outcome = JSON.parse(retried.stdout);
      expect(outcome).toMatchObject({ action: 'reset', sourceChanged: false, resetTo: { step: 'upsertWorkOrderHeader', from: 'failed step' }, kept: [] });
      const result = await client.workflow.getHandle(workflowId, outcome.newRunId).result();
      expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 5, numberRecorded: false });
      // Version 3 records the number on the job when it claims it, before the header (issue 15): the job holds it.
      expect(stack.servicetrade.state.job(job.id)?.externalIds.spectrum).toBe(`S${job.number}`);
      expect(spectrum.state.workOrders.size).toBe(1);
    });
  });

  test('job, permanent line refusal fixed in ServiceTrade (the item code): retry re-runs from the job load, the fixed code is what Spectrum gets', async () => {
    const { servicetrade, spectrum } = stack;
    servicetrade.state.putLibItem({ id: 509, code: 'GASKET-9', name: 'Door gasket' });
    const job = createJob({ items: [...FIVE_ITEMS, { libItemId: 509, quantity: 2, cost: 18, price: 39, uom: 'each' }] });
    const workflowId = jobToWorkOrderWorkflowId(job.id);
    await stack.withWorker(async () => {
      await startJobToWorkOrder(client, stack.taskQueue, job.id, { eventId: `evt-${job.id}` });
      expect((await failureOf(client.workflow.getHandle(workflowId).result())).type).toBe('SpectrumRejected');
      const failedRun = (await client.workflow.getHandle(workflowId).describe()).runId;

      // The fix named by the advice: the item's code in the ServiceTrade item library.
      servicetrade.state.putLibItem({ id: 509, code: 'FILTER-20', name: 'Door gasket' });
      const retried = await fieldbridge(['retry', workflowId, '--json']);
      expect(retried.code).toBe(0);
      const outcome = JSON.parse(retried.stdout);
      expect(outcome).toMatchObject({ action: 'reset', runId: failedRun, sourceChanged: true, resetTo: { step: 'loadServiceTradeJob', from: 'source load' }, kept: [] });
      const result = await client.workflow.getHandle(workflowId, outcome.newRunId).result();
      expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 6, numberRecorded: false });
      // Version 3 records the number on the job when it claims it, before the header (issue 15): the job holds it.
      expect(stack.servicetrade.state.job(job.id)?.externalIds.spectrum).toBe(`S${job.number}`);
      const codes = (spectrum.state.workOrder(`S${job.number}`)?.materials ?? []).map((l) => l.Item_Code).sort();
      expect(codes).toEqual(['BELT-A42', 'FILTER-20', 'FILTER-20', 'LABOR', 'LABOR', 'MISC']);
    });
  });

  test('a waiting sync: status names the record to map and `recheck`; retry points to recheck', async () => {
    const job = createJob({ locationId: ST_LOCATION_IDS.harborPointTower });
    const workflowId = jobToWorkOrderWorkflowId(job.id);
    await stack.withWorker(async () => {
      await startJobToWorkOrder(client, stack.taskQueue, job.id, { eventId: `evt-${job.id}` });
      await eventually(async () => (await describeSync(client, workflowId)).syncStatus === 'waiting', 30_000, 'the job sync to wait');
      const status = await fieldbridge(['status', workflowId]);
      expect(status.stdout).toMatch(new RegExp(`Fix:\\s+ServiceTrade location ${ST_LOCATION_IDS.harborPointTower}`));
      expect(status.stdout).toMatch(new RegExp(`Then:\\s+fieldbridge recheck ${workflowId}`));
      const retried = await fieldbridge(['retry', workflowId]);
      expect(retried.code).toBe(1);
      expect(retried.stdout).toContain(`refused ${workflowId}: ${workflowId} is waiting, not failed (on servicetrade:location:${ST_LOCATION_IDS.harborPointTower})`);
      expect(retried.stdout).toContain(`fieldbridge recheck ${workflowId}`);
      await client.workflow.getHandle(workflowId).terminate('test over');
    });
  });
});
