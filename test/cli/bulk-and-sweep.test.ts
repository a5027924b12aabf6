/**
 * `fieldbridge sync app4sales-customer --all` and `fieldbridge schedule sweep`, run as an operator
 * runs them (bin/fieldbridge.js in a child process) against a real dev server and worker.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { CUSTOMER_SWEEP_SCHEDULE_ID } from '../../client/schedules';
import { app4salesCustomer } from '../fixtures/customers';
import { useCustomerSyncStack } from '../helpers/customer-sync';
import { type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

const BIN = join(__dirname, '..', '..', 'bin', 'fieldbridge.js');
let stack: Stack;

function fieldbridge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, TEMPORAL_ADDRESS: stack.env.address, TEMPORAL_TASK_QUEUE: stack.taskQueue }, timeout: 90_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const frame = useCustomerSyncStack('C', { demoCustomers: false });
beforeAll(() => {
  stack = frame.stack;
});

test('sync app4sales-customer --all --without-code --wait starts the bulk sync, prints its progress and ends with every customer synced', async () => {
  const ids = ['CLI-B1', 'CLI-B2', 'CLI-B3'];
  for (const [i, id] of ids.entries()) {
    stack.app4sales.state.putCustomer(app4salesCustomer({ Id: id, CustomerName: `Customer ${id}`, Email: `office-${i}@cli.example` }));
  }
  stack.specter.state.seedCustomer({ CustomerId: '40001', Name: 'Has a code', EmailAddress: 'x@cli.example', FirstName: 'A', SurName: 'B', Revision: 1 });
  stack.app4sales.state.putCustomer(app4salesCustomer({ Id: 'CLI-B4', CustomerCode: '40001', CustomerName: 'Has a code', Email: 'x@cli.example' }));

  // One customer per page, each page read slowly: the command asks for progress while it runs.
  stack.app4sales.faults.set({ latencyMs: 1200, routes: ['listCustomers'] });
  const res = await stack.withWorker(() =>
    fieldbridge(['sync', 'app4sales-customer', '--all', '--without-code', '--id', 'cli-load', '--page-size', '1', '--wait']),
  );
  stack.app4sales.faults.clear();
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  const lines = res.stdout.trim().split('\n');
  expect(lines[0]).toBe('bulk sync running: customer-bulk-sync:app4sales:cli-load');
  // Progress from the query while it runs, then the result.
  const progress = lines.slice(1, -1);
  expect(progress.length).toBeGreaterThanOrEqual(1);
  for (const line of progress) expect(line).toMatch(/^[0-3]\/[0-3] signalled, 0 already synced, 0 failed, [0-3] pages?$/);
  expect(lines.at(-1)).toMatch(/^done: 3\/3 signalled, 0 already synced, 0 failed, 3 pages$/);

  // The syncs it signalled run on; the worker above stopped when the command returned.
  await stack.withWorker(async () => {
    for (const id of ids) await stack.env.client.workflow.getHandle(`customer-upsert:app4sales:${id}`).result();
  });
  for (const id of ids) expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toMatch(/^\d+$/);
  expect(stack.app4sales.state.customers.get('CLI-B4')?.CustomerCode).toBe('40001');

  // The same id again: that bulk sync already completed.
  const again = await fieldbridge(['sync', 'app4sales-customer', '--all', '--id', 'cli-load']);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/already completed: give another --id/);
});

test('sync app4sales-customer needs a customer id or --all', async () => {
  const neither = await fieldbridge(['sync', 'app4sales-customer']);
  expect(neither.code).toBe(1);
  expect(neither.stderr).toMatch(/give an App4Sales customer id, or --all/);
  const both = await fieldbridge(['sync', 'app4sales-customer', 'A4S-1', '--all']);
  expect(both.code).toBe(1);
  expect(both.stderr).toMatch(/either a customer id or --all/);
  const stray = await fieldbridge(['sync', 'app4sales-customer', 'A4S-1', '--without-code']);
  expect(stray.code).toBe(1);
  expect(stray.stderr).toMatch(/go with --all/);
  const badPage = await fieldbridge(['sync', 'app4sales-customer', '--all', '--page-size', '501']);
  expect(badPage.code).not.toBe(0);
  expect(badPage.stderr).toMatch(/--page-size.*1 to 500/);
});

test('schedule sweep creates the schedule with the interval asked for, updates, pauses, unpauses, shows and deletes it', async () => {
  const created = await fieldbridge(['schedule', 'sweep', '--every', '2m']);
  expect(created.code).toBe(0);
  expect(created.stdout).toContain(`Schedule:  ${CUSTOMER_SWEEP_SCHEDULE_ID} (created)`);
  expect(created.stdout).toMatch(/Every:\s+2m \(overlap policy SKIP\)/);
  expect(created.stdout).toMatch(/Paused:\s+no/);
  const description = await stack.env.client.schedule.getHandle(CUSTOMER_SWEEP_SCHEDULE_ID).describe();
  expect(description.spec.intervals?.[0]?.every).toBe(120_000);
  expect(description.action).toMatchObject({ workflowType: 'customerSweep', taskQueue: stack.taskQueue });

  const paused = await fieldbridge(['schedule', 'sweep', '--pause']);
  expect(paused.stdout).toMatch(/Paused:\s+yes/);
  const updated = await fieldbridge(['schedule', 'sweep', '--every', '90s', '--json']);
  expect(JSON.parse(updated.stdout)).toMatchObject({ action: 'updated', everyMs: 90_000, paused: true, overlapPolicy: 'SKIP' });
  const unpaused = await fieldbridge(['schedule', 'sweep', '--unpause']);
  expect(unpaused.stdout).toMatch(/Paused:\s+no/);
  const shown = await fieldbridge(['schedule', 'sweep', '--show']);
  expect(shown.stdout).toMatch(/Every:\s+1m30s/);

  const badInterval = await fieldbridge(['schedule', 'sweep', '--every', 'soon']);
  expect(badInterval.code).not.toBe(0);
  expect(badInterval.stderr).toMatch(/--every "soon" is not a duration/);

  expect((await fieldbridge(['schedule', 'sweep', '--delete'])).stdout).toContain('deleted');
  const gone = await fieldbridge(['schedule', 'sweep', '--pause']);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/no schedule fieldbridge-app4sales-customer-sweep: create it with/);
});
