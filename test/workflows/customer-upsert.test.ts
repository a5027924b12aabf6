/**
 * customerUpsert on the real Temporal dev server with the real simulators: what an operator or the
 * contractor would check afterwards in Specter, in App4Sales and in Temporal.
 */
import { describeSync, listSyncs } from '../../client/operations';
import { SyncStatusKey, TargetCodeKey } from '../../common/search-attributes';
import type { customerUpsert } from '../../workflows/customer-upsert';
import { customerUpsertWorkflowId, syncStateQuery } from '../../workflows/definitions';
import { failureOf, keepHistory as keepHistoryOf, useCustomerSyncStack } from '../helpers/customer-sync';
import { eventually, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

const frame = useCustomerSyncStack('T');
const { seedCustomer, sync } = frame;
let stack: Stack;
beforeAll(() => {
  stack = frame.stack;
});
const keepHistory = (name: string, customerId: string, runId?: string) => keepHistoryOf(stack, name, customerId, runId);

test('a new App4Sales customer is created in Specter and its code is written back', async () => {
  const id = seedCustomer();
  const result = await stack.withWorker(async () => (await sync(id)).result());

  const specterCustomers = [...stack.specter.state.customers.values()];
  expect(specterCustomers).toHaveLength(1);
  const created = specterCustomers[0];
  expect(result).toMatchObject({ customerId: id, specterCustomerId: created.CustomerId, created: true, passes: 1 });
  expect(created).toMatchObject({
    Name: 'Nordic Fire & Safety AB',
    EmailAddress: 'anna.berg@nordicfire.example',
    FirstName: 'Anna',
    SurName: 'Berg',
    TypeCustomer: 'C',
    CustomerOrganizationalForm: 'C',
    Currency: 'EUR',
    SalesRepresentativeId: 'SR-JDOE',
    VisitAddress: { City: 'Stockholm', CountryCode: 'SE' },
    DeliveryAddress: { CompanyName: 'Nordic Fire & Safety AB', City: 'Solna' },
  });
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(created.CustomerId);

  const handle = stack.env.client.workflow.getHandle(customerUpsertWorkflowId(id));
  const description = await handle.describe();
  expect(description.typedSearchAttributes.get(SyncStatusKey)).toBe('completed');
  expect(description.typedSearchAttributes.get(TargetCodeKey)).toBe(created.CustomerId);
  await keepHistory('new-customer', id);
});

test('an App4Sales customer with a CustomerCode updates that Specter customer and creates none', async () => {
  stack.specter.state.seedCustomer({
    CustomerId: '20001',
    Name: 'Old name',
    EmailAddress: 'old@x.example',
    FirstName: 'Old',
    SurName: 'Name',
    TypeCustomer: 'P',
    CustomerOrganizationalForm: 'P',
    Revision: 1,
  });
  const id = seedCustomer({ CustomerCode: '20001', CustomerName: 'New name' });
  const result = await stack.withWorker(async () => (await sync(id)).result());

  expect(result).toMatchObject({ specterCustomerId: '20001', created: false });
  expect(stack.specter.state.customers.size).toBe(1);
  const updated = stack.specter.state.customers.get('20001')!;
  expect(updated).toMatchObject({ Name: 'New name', FirstName: 'Anna', Revision: 2 });
  // Not sent on updates: Specter keeps what it had.
  expect(updated.TypeCustomer).toBe('P');
  expect(updated.CustomerOrganizationalForm).toBe('P');
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe('20001');
  await keepHistory('update-customer', id);
});

test('a customer missing required fields fails at once, naming the customer and every missing field, and sends nothing', async () => {
  const id = seedCustomer({ CustomerName: '', ContactPersons: [{ Id: 'c', FirstName: 'Only' }] });
  const failure = await stack.withWorker(async () => failureOf((await sync(id)).result()));

  expect(failure.type).toBe('MissingRequiredFields');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(id);
  expect(failure.message).toContain('Name');
  expect(failure.message).toContain('SurName');
  expect(failure.message).not.toContain('EmailAddress');
  expect(stack.specter.state.requests).toHaveLength(0);

  const report = await describeSync(stack.env.client, customerUpsertWorkflowId(id));
  expect(report.syncStatus).toBe('failed');
  expect(report.lastError).toContain('SurName');
  await keepHistory('missing-required-fields', id);
});

test('a failed sync is repaired by fixing the record at its source: the next change starts a new run that completes', async () => {
  const id = seedCustomer({ MainContactPerson: null, Email: null, VisitAddress: null });
  await stack.withWorker(async () => {
    const failure = await failureOf((await sync(id, 'evt-broken')).result());
    expect(failure.message).toContain('EmailAddress');

    stack.app4sales.state.patchCustomer(id, { Email: 'fixed@nordicfire.example' });
    const result = await (await sync(id, 'evt-fixed')).result();
    expect(result.created).toBe(true);
  });
  const [only] = stack.specter.state.customers.values();
  expect(only.EmailAddress).toBe('fixed@nordicfire.example');
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(only.CustomerId);
  const report = await describeSync(stack.env.client, customerUpsertWorkflowId(id));
  expect(report).toMatchObject({ syncStatus: 'completed', targetCode: only.CustomerId, workflowStatus: 'COMPLETED' });
});

test('a fix that arrives while a pass is failing is synced instead of being lost', async () => {
  const id = seedCustomer({ MainContactPerson: null, Email: null, VisitAddress: null });
  // The simulator holds the first pass's sales-rep lookup: the customer (without e-mail) is already
  // read, and the pass cannot fail before the test releases it.
  stack.app4sales.faults.set({ hold: true, routes: ['getSalesRep'], count: 1 });
  const result = await stack.withWorker(async () => {
    const handle = await sync(id, 'evt-broken');
    await eventually(() => stack.app4sales.faults.held === 1, 10_000, 'the first pass to be held mid-load');
    stack.app4sales.state.patchCustomer(id, { Email: 'fixed@nordicfire.example' });
    await sync(id, 'evt-fixed');
    await eventually(async () => (await handle.query(syncStateQuery)).pendingChanges === 1, 10_000, 'the fix to be queued');
    stack.app4sales.faults.release();
    return handle.result();
  });
  expect(result.passes).toBe(2);
  expect([...stack.specter.state.customers.values()].map((c) => c.EmailAddress)).toEqual(['fixed@nordicfire.example']);
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(result.specterCustomerId);
});

test('an ERROR code from Specter fails without retry, carries its message, and leaves App4Sales untouched', async () => {
  const id = seedCustomer();
  stack.specter.faults.set({ forceErrorCode: { code: 'ERROR_DUPLICATE_ORGNO', message: 'OrgNo already used by customer 10007' } });
  const failure = await stack.withWorker(async () => failureOf((await sync(id)).result()));

  expect(failure.type).toBe('CustomerCouldNotCreatedOrUpdated');
  expect(failure.message).toContain('ERROR_DUPLICATE_ORGNO');
  expect(failure.message).toContain('OrgNo already used by customer 10007');
  expect(stack.specter.state.requests).toHaveLength(1);
  expect(stack.specter.state.customers.size).toBe(0);
  const customer = stack.app4sales.state.customers.get(id)!;
  expect(customer.CustomerCode ?? null).toBeNull();
  expect(customer.Revision).toBe(1);
  await keepHistory('specter-error-code', id);
});

test('transient faults (5xx from Specter, throttling from App4Sales) are retried until the sync completes', async () => {
  const id = seedCustomer();
  stack.specter.faults.set({ errorRate: 1, errorStatus: 503, routes: ['postCustomer'], count: 2 });
  stack.app4sales.faults.set({ throttle: { limit: 0, windowMs: 60_000, retryAfterSeconds: 1 }, routes: ['getCustomer'], count: 1 });
  const result = await stack.withWorker(async () => (await sync(id)).result());

  expect(result.created).toBe(true);
  expect(stack.specter.state.customers.size).toBe(1);
  // Two refused POSTs (503: nothing created, so no lookup, no update) and the create that went through.
  expect(stack.specter.state.requests.map((r) => (r.body as { CustomerId?: string }).CustomerId ?? null)).toEqual([null, null, null]);
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(result.specterCustomerId);
  const history = await stack.env.client.workflow.getHandle(customerUpsertWorkflowId(id)).fetchHistory();
  const attempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
  expect(Math.max(...attempts)).toBeGreaterThanOrEqual(3);
  await keepHistory('transient-faults', id);
});

test('the same event delivered ten times creates one Specter customer', async () => {
  const id = seedCustomer();
  const result = await stack.withWorker(async () => {
    await Promise.all(Array.from({ length: 10 }, () => sync(id, 'evt-duplicate')));
    return stack.env.client.workflow.getHandle<typeof customerUpsert>(customerUpsertWorkflowId(id)).result();
  });
  expect(result.passes).toBe(1);
  expect(stack.specter.state.customers.size).toBe(1);
  expect(stack.specter.state.requests).toHaveLength(1);
});

test('a burst of changes while the sync runs ends with the latest data in Specter and still one customer', async () => {
  const id = seedCustomer();
  stack.specter.faults.set({ latencyMs: 1500, routes: ['postCustomer'], count: 1 });
  const result = await stack.withWorker(async () => {
    const handle = await sync(id, 'evt-0');
    await eventually(async () => (await handle.query(syncStateQuery)).step === 'upserting', 10_000, 'the first pass to reach Specter');
    for (let i = 1; i <= 3; i++) {
      stack.app4sales.state.patchCustomer(id, { CustomerName: `Renamed ${i}` });
      await sync(id, `evt-${i}`);
    }
    return handle.result();
  });

  expect(stack.specter.state.customers.size).toBe(1);
  expect([...stack.specter.state.customers.values()][0].Name).toBe('Renamed 3');
  expect(result.passes).toBe(2);
  expect(result.created).toBe(false);
  await keepHistory('burst-of-changes', id);
});

test('a lost answer from Specter after it created the customer does not create a second one', async () => {
  const id = seedCustomer();
  stack.specter.faults.set({ commitThenHang: true, routes: ['postCustomer'], count: 1 });
  const result = await stack.withWorker(async () => (await sync(id)).result(), { specterTimeoutMs: 1500 });

  expect(stack.specter.state.customers.size).toBe(1);
  const [only] = stack.specter.state.customers.values();
  expect(result.specterCustomerId).toBe(only.CustomerId);
  expect(result.created).toBe(true);
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(only.CustomerId);
  // The retry found the customer and updated it.
  expect(stack.specter.state.requests.at(-1)?.body).toMatchObject({ CustomerId: only.CustomerId, IdentifyByCustomerId: true });
  await keepHistory('lost-specter-answer', id);
});

test('a worker stopped between "created in Specter" and "code recorded" is replaced and no second customer appears', async () => {
  const id = seedCustomer();
  // The write-back hangs, as if App4Sales or the network stalled while the first worker went down
  // (every try, while that worker lives: a graceful shutdown lets local activities finish).
  stack.app4sales.faults.set({ timeoutRate: 1, routes: ['setCustomerCode'], count: 1000 });
  const first = await stack.createWorker();
  const running = first.worker.run();
  try {
    await sync(id);
    await eventually(
      // Specter holds it and the write-back's first request is in (hanging).
      () => stack.specter.state.customers.size === 1 && (stack.app4sales.faults.state().remaining ?? 1000) < 1000,
      20_000,
      'Specter to hold the customer while the code is being recorded',
    );
  } finally {
    first.worker.shutdown();
    await running;
    await first.close();
  }
  const handle = stack.env.client.workflow.getHandle<typeof customerUpsert>(customerUpsertWorkflowId(id));
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode ?? null).toBeNull();
  stack.app4sales.faults.clear();

  const result = await stack.withWorker(() => handle.result());
  expect(stack.specter.state.customers.size).toBe(1);
  expect(stack.specter.state.requests).toHaveLength(1);
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(result.specterCustomerId);
  await keepHistory('worker-restart', id);
});

test('completed and failed syncs are listed with their search attributes', async () => {
  const good = seedCustomer();
  const bad = seedCustomer({ CustomerName: null });
  await stack.withWorker(async () => {
    await (await sync(good)).result();
    await (await sync(bad)).result().catch(() => undefined);
  });
  await eventually(async () => (await listSyncs(stack.env.client, { status: 'failed' })).some((s) => s.sourceId === bad), 15_000, 'visibility');
  const failed = await listSyncs(stack.env.client, { status: 'failed', system: 'app4sales' });
  expect(failed.map((s) => s.sourceId)).toContain(bad);
  expect(failed.map((s) => s.sourceId)).not.toContain(good);
  const completed = await eventually(async () => {
    const rows = await listSyncs(stack.env.client, { status: 'completed', kind: 'customer-upsert', system: 'specter' });
    return rows.find((s) => s.sourceId === good);
  }, 15_000, 'visibility of the completed sync');
  expect(completed).toMatchObject({ sourceSystem: 'app4sales', targetSystem: 'specter', kind: 'customer-upsert', syncStatus: 'completed' });
  expect(completed.targetCode).toMatch(/^\d+$/);
});
