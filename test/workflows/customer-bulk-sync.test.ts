/**
 * customerBulkSync on the real Temporal dev server with the real simulators: the first load of an
 * existing App4Sales customer base fans out one customerUpsert per customer, and each one ends in
 * Specter with its code written back.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { startCustomerBulkSync } from '../../client/customer-bulk-sync';
import { SyncKindKey, SyncStatusKey } from '../../common/search-attributes';
import { customerBulkSyncProgressQuery, customerBulkSyncWorkflowId, customerUpsertWorkflowId, type CustomerBulkSyncInput } from '../../workflows/definitions';
import { app4salesCustomer } from '../fixtures/customers';
import { useCustomerSyncStack } from '../helpers/customer-sync';
import { writeHistoryOnce } from '../helpers/histories';
import { eventually, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

let stack: Stack;
let n = 0;

const frame = useCustomerSyncStack('B', { demoCustomers: false });
beforeAll(() => {
  stack = frame.stack;
});

/** App4Sales customers with distinct names and e-mails; `codes[i]` set means Specter already holds it under that code. */
function seed(codes: Array<string | null>): string[] {
  const prefix = `B${++n}-${Date.now()}`;
  return codes.map((code, i) => {
    const id = `${prefix}-${i + 1}`;
    if (code) {
      stack.specter.state.seedCustomer({
        CustomerId: code,
        Name: `Existing ${id}`,
        EmailAddress: `existing-${i}@example.com`,
        FirstName: 'Old',
        SurName: 'Name',
        TypeCustomer: 'C',
        CustomerOrganizationalForm: 'C',
        Revision: 1,
      });
    }
    stack.app4sales.state.putCustomer(
      app4salesCustomer({ Id: id, CustomerCode: code, CustomerName: `Customer ${id}`, Email: `office-${i}@${prefix.toLowerCase()}.example` }),
    );
    return id;
  });
}

async function runBulk(input: CustomerBulkSyncInput) {
  const handle = await startCustomerBulkSync(stack.env.client, stack.taskQueue, input);
  const { firstExecutionRunId } = await stack.env.client.workflow.getHandle(handle.workflowId).describe().then((d) => ({ firstExecutionRunId: d.raw.workflowExecutionInfo?.firstRunId ?? d.runId }));
  return { handle, firstExecutionRunId, result: await handle.result() };
}

async function syncStatus(customerId: string): Promise<string | null> {
  try {
    return (await stack.env.client.workflow.getHandle(customerUpsertWorkflowId(customerId)).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

const allCompleted = async (ids: string[]) => (await Promise.all(ids.map(syncStatus))).every((s) => s === 'COMPLETED');

test('--without-code: signals exactly the customers without a code; each ends in Specter with its code written back; paged and continued-as-new', async () => {
  const codes = [null, '30001', null, null, '30002', null, '30003'];
  const ids = seed(codes);
  const withoutCode = ids.filter((_, i) => !codes[i]);
  const withCode = ids.filter((_, i) => codes[i]);
  const bulkId = `wc-${n}`;

  await stack.withWorker(async () => {
    const { handle, firstExecutionRunId, result } = await runBulk({ bulkId, withoutCode: true, pageSize: 2, pagesPerRun: 1 });
    expect(result).toEqual({ listed: 4, signalled: 4, skipped: 0, failed: 0, pages: 2, done: true, lastError: null, failedCustomerIds: [] });

    // The progress query answers the same counts (it follows the chain to its last run).
    expect(await handle.query(customerBulkSyncProgressQuery)).toMatchObject({
      listed: 4,
      signalled: 4,
      pages: 2,
      done: true,
    });
    // Two pages, one page per run: the first run continued as new.
    expect((await stack.env.client.workflow.getHandle(handle.workflowId, firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
    if (process.env.RECORD_HISTORIES === '1') writeHistoryOnce('customer-bulk-sync-without-code-continued.json', await stack.env.client.workflow.getHandle(handle.workflowId, firstExecutionRunId).fetchHistory());
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(SyncKindKey)).toBe('customer-bulk-sync');
    expect(description.typedSearchAttributes.get(SyncStatusKey)).toBe('completed');

    await eventually(() => allCompleted(withoutCode), 60_000, 'every signalled sync to complete');
  });

  for (const id of withCode) expect(await syncStatus(id)).toBeNull();
  const specterByName = new Map([...stack.specter.state.customers.values()].map((c) => [c.Name, c]));
  for (const id of withoutCode) {
    const created = specterByName.get(`Customer ${id}`);
    expect(created).toBeDefined();
    expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(created!.CustomerId);
  }
  // The 3 seeded with a code plus one new customer per signalled one: none created twice.
  expect(stack.specter.state.customers.size).toBe(codes.length);
});

test('a second bulk over everything signals only what is not synced yet: customers synced with their current data are skipped', async () => {
  const codes = [null, null, '31001'];
  const ids = seed(codes);
  await stack.withWorker(async () => {
    const first = await runBulk({ bulkId: `first-${n}`, withoutCode: true });
    expect(first.result).toMatchObject({ listed: 2, signalled: 2 });
    await eventually(() => allCompleted(ids.slice(0, 2)), 60_000, 'the first load to complete');

    // Everything: the two just synced (listed again after their write-back) are skipped; the one
    // with a code, never synced by FieldBridge, is signalled and updates its Specter customer.
    const second = await runBulk({ bulkId: `second-${n}`, pageSize: 500 });
    expect(second.result).toMatchObject({ listed: 3, signalled: 1, skipped: 2, failed: 0 });
    await eventually(() => allCompleted(ids), 60_000, 'the customer with a code to sync');
  });
  expect(stack.specter.state.customers.get('31001')).toMatchObject({ Name: `Customer ${ids[2]}`, Revision: 2 });
  expect(stack.specter.state.customers.size).toBe(3);
});

test('an App4Sales list that keeps failing fails the bulk sync with the reason in its progress', async () => {
  seed([null]);
  stack.app4sales.faults.set({ errorRate: 1, errorStatus: 400, routes: ['listCustomers'] });
  const bulkId = `broken-${n}`;
  await stack.withWorker(async () => {
    const handle = await startCustomerBulkSync(stack.env.client, stack.taskQueue, { bulkId });
    expect(handle.workflowId).toBe(customerBulkSyncWorkflowId(bulkId));
    await expect(handle.result()).rejects.toThrow();
    const progress = await handle.query(customerBulkSyncProgressQuery);
    expect(progress).toMatchObject({ done: false, signalled: 0 });
    expect(progress.lastError).toMatch(/App4Sales refused the customer list query/);
  });
});
