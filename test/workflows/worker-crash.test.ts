/**
 * The production worker process (worker/main.ts, configured from the environment) killed with
 * SIGKILL after Specter created the customer and before App4Sales recorded its code. A second
 * worker process takes over once the lost activity attempt times out: still one Specter customer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startCustomerUpsert } from '../../common/starters';
import type { customerUpsert } from '../../workflows/customer-upsert';
import { customerUpsertWorkflowId } from '../../workflows/definitions';
import { app4salesCustomer } from '../fixtures/customers';
import { eventually, startStack, workerProcessEnv, type Stack } from '../helpers/stack';

jest.setTimeout(180_000);

const root = join(__dirname, '..', '..');
let stack: Stack;
const workers: ChildProcess[] = [];

function startWorkerProcess(): ChildProcess {
  // node itself, not the tsx launcher: a signal must reach the worker, not a wrapper around it.
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'worker/main.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: workerProcessEnv(stack),
  });
  workers.push(child);
  return child;
}

const output = new Map<ChildProcess, string>();

/** The worker's JSON log lines so far. */
function logLines(child: ChildProcess): Array<Record<string, unknown>> {
  return (output.get(child) ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      output.set(child, out);
      if (out.includes('"msg":"worker started"')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before starting:\n${out}`)));
  });
}

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await stack?.close();
});

test('SIGKILL between "created in Specter" and "code recorded": the next worker finishes with one customer', async () => {
  const id = 'CRASH-1';
  stack.app4sales.state.putCustomer(app4salesCustomer({ Id: id }));
  stack.app4sales.faults.set({ timeoutRate: 1, routes: ['setCustomerCode'], count: 1 });

  const first = startWorkerProcess();
  await started(first);
  await startCustomerUpsert(stack.env.client, stack.taskQueue, id, { eventId: 'evt-crash' });
  const handle = stack.env.client.workflow.getHandle<typeof customerUpsert>(customerUpsertWorkflowId(id));
  await eventually(
    // Specter holds it and the write-back's request is in (hanging): the fault has been spent.
      () => stack.specter.state.customers.size === 1 && stack.app4sales.faults.state().config === null,
    30_000,
    'Specter to hold the customer while the code is being recorded',
  );
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));

  const second = startWorkerProcess();
  await started(second);
  const result = await handle.result();

  expect(stack.specter.state.customers.size).toBe(1);
  expect(stack.specter.state.requests).toHaveLength(1);
  expect(result.specterCustomerId).toBe([...stack.specter.state.customers.keys()][0]);
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(result.specterCustomerId);

  // Every log line of the worker is pino JSON carrying the workflow, run, activity and attempt it belongs to.
  // (Runtime log forwarding batches lines for 100 ms: give them a moment.)
  const synced = await eventually(() => logLines(second).find((l) => l.msg === 'customer synced to Specter'), 5000, 'the workflow log line');
  expect(synced).toMatchObject({ workflowId: customerUpsertWorkflowId(id), runId: expect.any(String), customerId: id });
  const activityLine = await eventually(() => logLines(second).find((l) => l.activityType === 'recordCustomerCode'), 5000, 'an activity log line');
  // (the write-back is a local activity: re-run in the retried workflow task, its attempt counted anew)
  expect(activityLine).toMatchObject({ workflowId: customerUpsertWorkflowId(id), attempt: expect.any(Number) });

  second.kill('SIGTERM');
  const code = await new Promise((resolve) => second.once('exit', (c, s) => resolve(c ?? s)));
  expect(code).toBe(0);
});
