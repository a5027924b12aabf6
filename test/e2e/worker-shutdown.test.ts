/**
 * Graceful shutdown of the worker process (worker/main.ts, configured from the environment): SIGTERM
 * while an activity is running (the Specter write, held by the simulator) stops polling, lets that
 * activity finish within WORKER_SHUTDOWN_GRACE, and exits 0; the sync then completes on the next
 * worker. The process logs the start and the end of its shutdown, with how long it took.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually, workerProcessEnv } from '../helpers/stack';
import { useCustomerSyncStack } from '../helpers/customer-sync';

jest.setTimeout(180_000);

const root = join(__dirname, '..', '..');
const GRACE_MS = 10_000;
const t = useCustomerSyncStack('SHUTDOWN');
let child: ChildProcess | undefined;
let output = '';

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function logLines(): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('SIGTERM during an activity: the activity completes, the process exits 0 within WORKER_SHUTDOWN_GRACE', async () => {
  const { stack } = t;
  // node itself, not the tsx launcher: the signal must reach the worker, not a wrapper around it.
  child = spawn(process.execPath, ['--require', 'tsx/cjs', 'worker/main.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: workerProcessEnv(stack, { LOG_LEVEL: 'info', WORKER_SHUTDOWN_GRACE: `${GRACE_MS / 1000}s` }),
  });
  const worker = child;
  worker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    worker.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  await eventually(() => logLines().some((l) => l.msg === 'Worker state changed' && l.state === 'RUNNING'), 90_000, `the worker to poll:\n${output}`);

  const id = t.seedCustomer();
  stack.specter.faults.set({ hold: true, routes: ['postCustomer'], count: 1 });
  const handle = await t.sync(id);
  // The Specter write is in flight: the simulator holds its request.
  await eventually(() => stack.specter.faults.held === 1, 30_000, 'the Specter write to be held');

  const signalled = Date.now();
  worker.kill('SIGTERM');
  await eventually(() => logLines().some((l) => l.signal === 'SIGTERM'), 5000, 'the shutdown to start');
  // Still inside the grace time: the activity's answer comes, and the activity completes.
  await new Promise((r) => setTimeout(r, 1500));
  expect(worker.exitCode).toBeNull();
  stack.specter.faults.release();
  const { code, signal, at } = await exited;

  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(at - signalled).toBeLessThan(GRACE_MS);
  expect(stack.specter.state.customers.size).toBe(1);
  const history = await handle.fetchHistory();
  // The write's one attempt completed: no failure, time-out or cancellation recorded for it.
  const specterWrite = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'upsertSpecterCustomer');
  expect(specterWrite).toBeDefined();
  const closedWith = (e: NonNullable<typeof history.events>[number]) =>
    (['activityTaskCompletedEventAttributes', 'activityTaskFailedEventAttributes', 'activityTaskTimedOutEventAttributes', 'activityTaskCanceledEventAttributes'] as const).find(
      (k) => e[k] && Number(e[k]!.scheduledEventId) === Number(specterWrite!.eventId),
    );
  expect(history.events!.map(closedWith).filter(Boolean)).toEqual(['activityTaskCompletedEventAttributes']);

  const lines = logLines();
  const start = lines.find((l) => l.signal === 'SIGTERM');
  const end = lines.find((l) => typeof l.shutdownMs === 'number');
  expect(start).toMatchObject({ shutdownGraceMs: GRACE_MS, msg: expect.stringMatching(/^SIGTERM: shutting down/) });
  expect(end).toMatchObject({ msg: expect.stringMatching(/^worker stopped: shutdown took \d+ ms$/) });
  expect(end!.shutdownMs as number).toBeGreaterThanOrEqual(1500);
  expect(end!.shutdownMs as number).toBeLessThan(GRACE_MS);
  process.stderr.write(`shutdown test: activity released 1.5 s after SIGTERM; the worker logged "shutdown took ${end!.shutdownMs} ms", exited ${at - signalled} ms after SIGTERM\n`);

  // The next worker finishes the sync: the code is written back to App4Sales.
  const result = await stack.withWorker(() => handle.result());
  expect(stack.app4sales.state.customers.get(id)?.CustomerCode).toBe(result.specterCustomerId);
});
