/**
 * One App4Sales customer, one Specter customer, whatever fails (issue 6, points 1, 2 and 4), on the
 * real dev server with the simulators: a refused or lost write-back, a terminated run, a clean
 * refusal or a lost answer beside another App4Sales customer with the same name, e-mail and org.
 * no., and a webhook redelivered after the sync finished.
 */
import { describeSync, listSyncs } from '../../client/operations';
import { customerUpsertSearchAttributes } from '../../common/starters';
import { SyncStatusKey, TargetCodeKey } from '../../common/search-attributes';
import type { customerUpsert } from '../../workflows/customer-upsert';
import {
  CUSTOMER_UPSERT_WORKFLOW,
  customerUpsertWorkflowId,
  sourceChangedSignal,
  syncStateQuery,
  type CustomerUpsertInput,
  type SourceChange,
} from '../../workflows/definitions';
import { failureOf, keepHistory, useCustomerSyncStack } from '../helpers/customer-sync';
import { eventually, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

const frame = useCustomerSyncStack('O');
const { seedCustomer, sync } = frame;
let stack: Stack;
beforeAll(() => {
  stack = frame.stack;
});

/** Signal-with-start as the receiver does, with workflow input a test tunes (fewer passes or attempts). */
async function syncWith(input: Omit<CustomerUpsertInput, 'customerId'>, customerId: string, eventId: string) {
  await stack.env.client.workflow.signalWithStart<typeof customerUpsert, [SourceChange]>(CUSTOMER_UPSERT_WORKFLOW, {
    workflowId: customerUpsertWorkflowId(customerId),
    taskQueue: stack.taskQueue,
    args: [{ customerId, ...input }],
    signal: sourceChangedSignal,
    signalArgs: [{ eventId }],
    typedSearchAttributes: customerUpsertSearchAttributes(customerId),
  });
  return stack.env.client.workflow.getHandle<typeof customerUpsert>(customerUpsertWorkflowId(customerId));
}

/** Wait until the customer's sync parks as waiting; returns its report. */
function parked(customerId: string) {
  return eventually(async () => {
    const r = await describeSync(stack.env.client, customerUpsertWorkflowId(customerId));
    return r.syncStatus === 'waiting' ? r : null;
  }, 20_000, 'the sync to park as waiting');
}

const specterCustomers = () => [...stack.specter.state.customers.values()];
const postBodies = () => stack.specter.state.requests.map((r) => r.body as Record<string, unknown>);

describe('the Specter code, once known, is never lost', () => {
  test('a write-back App4Sales refuses (4xx) parks the sync as waiting with the code known; the next change updates that customer and records it', async () => {
    const id = seedCustomer();
    stack.app4sales.faults.set({ errorRate: 1, errorStatus: 422, routes: ['setCustomerCode'] });
    await stack.withWorker(async () => {
      const handle = await sync(id, 'evt-1');
      const report = await parked(id);
      const [created] = specterCustomers();
      expect(report.targetCode).toBe(created.CustomerId);
      expect(report.lastError).toContain(`Specter customer ${created.CustomerId} is synced`);
      expect(report.lastError).toContain('422');
      expect(report.workflowStatus).toBe('RUNNING');
      expect(stack.app4sales.state.customers.get(id)?.CustomerCode ?? null).toBeNull();

      // App4Sales takes codes again; the customer changes meanwhile: the next pass updates, never creates.
      stack.app4sales.faults.clear();
      stack.app4sales.state.patchCustomer(id, { CustomerName: 'Nordic Fire & Safety AB (renamed)' });
      await sync(id, 'evt-2');
      const result = await handle.result();
      expect(result).toMatchObject({ specterCustomerId: created.CustomerId, passes: 2 });
    });
    expect(specterCustomers()).toHaveLength(1);
    expect(specterCustomers()[0]).toMatchObject({ Name: 'Nordic Fire & Safety AB (renamed)', Revision: 2 });
    expect(postBodies().map((b) => b.CustomerId ?? null)).toEqual([null, specterCustomers()[0].CustomerId]);
    expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(specterCustomers()[0].CustomerId);
    const report = await describeSync(stack.env.client, customerUpsertWorkflowId(id));
    expect(report.syncStatus).toBe('completed');
  });

  test('a run terminated before the code was written back: the next run recovers the code and updates, creating no second customer', async () => {
    const id = seedCustomer();
    // The write-back hangs (App4Sales stalls): the run is stuck at "recording" until an operator terminates it.
    stack.app4sales.faults.set({ timeoutRate: 1, routes: ['setCustomerCode'] });
    const first = await stack.withWorker(async () => {
      const handle = await sync(id, 'evt-1');
      await eventually(async () => (await handle.query(syncStateQuery)).step === 'recording', 20_000, 'the write-back');
      await eventually(async () => (await handle.describe()).typedSearchAttributes.get(TargetCodeKey), 10_000, 'FieldBridgeTargetCode');
      await handle.terminate('operator: App4Sales is being migrated');
      return handle.describe();
    });
    expect(first.status.name).toBe('TERMINATED');
    const report = await describeSync(stack.env.client, first.workflowId);
    expect(report.syncStatus).toBe('terminated');
    expect(report.failure).toMatchObject({ willRetry: false });

    stack.app4sales.faults.clear();
    const [created] = specterCustomers();
    const result = await stack.withWorker(async () => (await sync(id, 'evt-2')).result());
    expect(result).toMatchObject({ specterCustomerId: created.CustomerId, created: false });
    expect(specterCustomers()).toHaveLength(1);
    expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(created.CustomerId);
  });

  test('continue-as-new carries the code: a parked sync that rolls over still updates the same customer', async () => {
    const id = seedCustomer();
    stack.app4sales.faults.set({ errorRate: 1, errorStatus: 409, routes: ['setCustomerCode'] });
    const workflowId = customerUpsertWorkflowId(id);
    await stack.withWorker(async () => {
      await syncWith({ maxPassesPerRun: 1 }, id, 'evt-1');
      const firstRun = (await stack.env.client.workflow.getHandle(workflowId).describe()).runId;
      await parked(id);
      stack.app4sales.faults.clear();
      stack.app4sales.state.patchCustomer(id, { Phone: '+46 8 999 99 99' });
      await sync(id, 'evt-2');
      const result = await stack.env.client.workflow.getHandle<typeof customerUpsert>(workflowId).result();
      const lastRun = (await stack.env.client.workflow.getHandle(workflowId).describe()).runId;
      expect(lastRun).not.toBe(firstRun);
      expect(result.created).toBe(false);
      await keepHistory(stack, 'continue-as-new', id, firstRun);
    });
    expect(specterCustomers()).toHaveLength(1);
    expect(specterCustomers()[0].PhoneNo).toBe('+46 8 999 99 99');
    expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(specterCustomers()[0].CustomerId);
  });
});

describe('the lost-answer lookup never merges two customers', () => {
  /** App4Sales customer A, already synced: Specter customer 20001 holds it and A's CustomerCode says so. */
  function seedSyncedSibling(): string {
    stack.specter.state.seedCustomer({
      CustomerId: '20001',
      Name: 'Nordic Fire & Safety AB',
      EmailAddress: 'anna.berg@nordicfire.example',
      OrgNo: '556677-8899',
      FirstName: 'Anna',
      SurName: 'Berg',
      TypeCustomer: 'C',
      CustomerOrganizationalForm: 'C',
    });
    return seedCustomer({ CustomerCode: '20001', VisitAddress: { City: 'Göteborg', Country: 'SE' } });
  }

  test('a create refused cleanly (503) is retried as a create: the sibling site with the same name, e-mail and org. no. is left alone', async () => {
    const siblingA = seedSyncedSibling();
    const b = seedCustomer();
    stack.specter.faults.set({ errorRate: 1, errorStatus: 503, routes: ['postCustomer'], count: 1 });
    const result = await stack.withWorker(async () => (await sync(b, 'evt-b')).result());

    expect(result.specterCustomerId).not.toBe('20001');
    expect(specterCustomers()).toHaveLength(2);
    expect(stack.specter.state.customers.get('20001')?.Revision).toBe(1);
    expect(stack.app4sales.state.customers.get(b)?.CustomerCode).toBe(result.specterCustomerId);
    expect(stack.app4sales.state.customers.get(siblingA)?.CustomerCode).toBe('20001');
    // The refused POST and the retried create; no update of anybody's customer.
    expect(postBodies().map((body) => body.CustomerId ?? null)).toEqual([null, null]);
  });

  test("after a lost answer, the match that is another App4Sales customer's code is not adopted; the one the lost request created is", async () => {
    seedSyncedSibling();
    const b = seedCustomer();
    stack.specter.faults.set({ commitThenHang: true, routes: ['postCustomer'], count: 1 });
    const result = await stack.withWorker(async () => (await sync(b, 'evt-b')).result(), { specterTimeoutMs: 1500 });

    expect(specterCustomers()).toHaveLength(2);
    expect(result).toMatchObject({ created: true });
    expect(result.specterCustomerId).not.toBe('20001');
    expect(stack.specter.state.customers.get('20001')?.Revision).toBe(1);
    expect(stack.app4sales.state.customers.get(b)?.CustomerCode).toBe(result.specterCustomerId);
    expect(postBodies().at(-1)).toMatchObject({ CustomerId: result.specterCustomerId, IdentifyByCustomerId: true });
  });

  test('when the write gives up on lost answers, the workflow finds the customer the lost request created instead of failing', async () => {
    const id = seedCustomer();
    // Attempt 1: Specter creates the customer and the answer is lost. Attempt 2 (the last of 2): the
    // lookup for it hangs too. The write gives up; the workflow's own lookup then finds it.
    stack.specter.faults.set({ commitThenHang: true, routes: ['postCustomer'], count: 1 });
    const result = await stack.withWorker(async () => {
      const handle = await syncWith({ specterWriteMaxAttempts: 2 }, id, 'evt-1');
      await eventually(() => specterCustomers().length === 1, 10_000, 'the lost create');
      stack.specter.faults.set({ timeoutRate: 1, routes: ['findCustomers'], count: 1 });
      return handle.result();
    }, { specterTimeoutMs: 1500 });

    expect(specterCustomers()).toHaveLength(1);
    expect(result).toMatchObject({ specterCustomerId: specterCustomers()[0].CustomerId, created: true });
    expect(stack.specter.state.requests).toHaveLength(1);
    expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(specterCustomers()[0].CustomerId);
    const history = await stack.env.client.workflow.getHandle(customerUpsertWorkflowId(id)).fetchHistory();
    const scheduled = history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled).toEqual(['loadApp4SalesCustomer', 'upsertSpecterCustomer', 'findLostSpecterCustomer', 'recordCustomerCode']);
    await keepHistory(stack, 'lost-answer-found-after-giving-up', id);
  });

  test('after a lost answer, several unclaimed matches stop the sync with AmbiguousTargetMatch naming them, and nothing is merged', async () => {
    // A Specter customer nobody claims, with the same name, e-mail and org. no. (entered by hand in Specter).
    stack.specter.state.seedCustomer({
      CustomerId: '30001',
      Name: 'Nordic Fire & Safety AB',
      EmailAddress: 'anna.berg@nordicfire.example',
      OrgNo: '556677-8899',
      FirstName: 'Anna',
      SurName: 'Berg',
    });
    const b = seedCustomer();
    stack.specter.faults.set({ commitThenHang: true, routes: ['postCustomer'], count: 1 });
    const failure = await stack.withWorker(async () => failureOf((await sync(b, 'evt-b')).result()), { specterTimeoutMs: 1500 });

    expect(failure.type).toBe('AmbiguousTargetMatch');
    expect(failure.nonRetryable).toBe(true);
    const created = specterCustomers().find((c) => c.CustomerId !== '30001')!;
    expect(failure.message).toContain('30001');
    expect(failure.message).toContain(created.CustomerId);
    expect(specterCustomers()).toHaveLength(2);
    expect(stack.specter.state.customers.get('30001')?.Revision).toBe(1);
    expect(stack.app4sales.state.customers.get(b)?.CustomerCode ?? null).toBeNull();
    const report = await describeSync(stack.env.client, customerUpsertWorkflowId(b));
    expect(report.failure).toMatchObject({ type: 'AmbiguousTargetMatch', willRetry: false });
  });
});

describe('duplicate deliveries after the sync finished', () => {
  test('the same webhook redelivered after completion costs no Specter write', async () => {
    const id = seedCustomer();
    await stack.withWorker(async () => {
      const first = await (await sync(id, 'evt-1')).result();
      expect(first).toMatchObject({ created: true, written: true });
      // The sender did not see the first answer and delivers again: a new run of the same workflow id.
      const again = await (await sync(id, 'evt-1')).result();
      expect(again).toMatchObject({ specterCustomerId: first.specterCustomerId, written: false });
    });
    expect(stack.specter.state.requests).toHaveLength(1);
    expect(specterCustomers()).toHaveLength(1);
    const runs = await eventually(async () => {
      const rows = await listSyncs(stack.env.client, { kind: 'customer-upsert' });
      const mine = rows.filter((r) => r.sourceId === id);
      return mine.length === 2 ? mine : null;
    }, 15_000, 'both runs in visibility');
    expect(runs.map((r) => r.syncStatus)).toEqual(['completed', 'completed']);
  });

  test('a real change delivered after completion is written', async () => {
    const id = seedCustomer();
    await stack.withWorker(async () => {
      await (await sync(id, 'evt-1')).result();
      stack.app4sales.state.patchCustomer(id, { Website: 'https://new.nordicfire.example' });
      const again = await (await sync(id, 'evt-2')).result();
      expect(again).toMatchObject({ written: true, created: false });
    });
    expect(stack.specter.state.requests).toHaveLength(2);
    expect(specterCustomers()).toHaveLength(1);
    expect(specterCustomers()[0].Homepage).toBe('https://new.nordicfire.example');
  });
});

describe('status tells the truth', () => {
  test('a sync an operator cancels shows cancelled, not running or failed', async () => {
    const id = seedCustomer();
    stack.app4sales.faults.set({ errorRate: 1, errorStatus: 422, routes: ['setCustomerCode'] });
    await stack.withWorker(async () => {
      const handle = await sync(id, 'evt-1');
      await parked(id);
      await handle.cancel();
      await handle.result().catch(() => undefined);
    });
    const description = await stack.env.client.workflow.getHandle(customerUpsertWorkflowId(id)).describe();
    expect(description.status.name).toBe('CANCELLED');
    expect(description.typedSearchAttributes.get(SyncStatusKey)).toBe('cancelled');
    const report = await describeSync(stack.env.client, customerUpsertWorkflowId(id));
    expect(report.syncStatus).toBe('cancelled');
    expect(report.nextStep).toContain(`fieldbridge sync app4sales-customer ${id}`);
  });

  test('a failed sync names its failure type and that it will not be retried; list --status running leaves out terminated runs', async () => {
    const bad = seedCustomer();
    stack.specter.faults.set({ forceErrorCode: { code: 'ERROR_BLOCKED', message: 'Customer blocked' }, routes: ['postCustomer'] });
    await stack.withWorker(async () => {
      await (await sync(bad, 'evt-bad')).result().catch(() => undefined);
    });
    const report = await describeSync(stack.env.client, customerUpsertWorkflowId(bad));
    expect(report.syncStatus).toBe('failed');
    expect(report.failure).toMatchObject({ type: 'CustomerCouldNotCreatedOrUpdated', willRetry: false });
    expect(report.nextStep).toContain(bad);

    // A run terminated while no worker polls keeps `running` as its recorded status; it is not running.
    const stuck = seedCustomer();
    const handle = await sync(stuck, 'evt-stuck');
    await handle.terminate('operator');
    const rows = await eventually(async () => {
      const all = await listSyncs(stack.env.client, { kind: 'customer-upsert' });
      return all.find((r) => r.sourceId === stuck && r.syncStatus === 'terminated') ? all : null;
    }, 15_000, 'the terminated run in visibility');
    expect(rows.find((r) => r.sourceId === stuck)?.syncStatus).toBe('terminated');
    const running = await listSyncs(stack.env.client, { status: 'running' });
    expect(running.map((r) => r.sourceId)).not.toContain(stuck);
    const terminated = await listSyncs(stack.env.client, { status: 'terminated' });
    expect(terminated.map((r) => r.sourceId)).toContain(stuck);
  });
});
