/**
 * The production worker process (worker/main.ts, configured from the environment) SIGKILLed while
 * the job sync writes the work order's material lines. The lost activity attempt times out by its
 * heartbeat timeout (20 s); a second worker process retries it from the last heartbeat, at the
 * unfinished item code with its delete: Spectrum ends with one work order holding exactly the job's
 * five lines, and the number is on the job.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { eventually, workerProcessEnv } from '../helpers/stack';
import { activityRuns, itemCodeOf, keepJobHistory, linesOf, useJobSyncStack } from '../helpers/job-sync';
import { JOB_TO_WORK_ORDER_VERSION } from '../../workflows/definitions';

jest.setTimeout(90_000);

const root = join(__dirname, '..', '..');
const t = useJobSyncStack();
const workers: ChildProcess[] = [];

/** A worker process, resolved once it logged "worker started". */
function startWorkerProcess(): Promise<ChildProcess> {
  // node itself, not the tsx launcher: the signal must reach the worker, not a wrapper around it.
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'worker/main.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A 5 s Spectrum deadline: a retried lines attempt first waits one out (a write the lost attempt had in flight lands).
    env: workerProcessEnv(t.stack, { SPECTRUM_TIMEOUT_MS: '5000' }),
  });
  workers.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"msg":"worker started"')) resolve(child);
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before starting:\n${out}`)));
  });
}

afterAll(() => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
});

test('SIGKILL while the lines are written (two of five added): the next worker process finishes with exactly five lines, one work order, the number recorded', async () => {
  const job = t.createJob();
  const spectrum = t.stack.spectrum;
  const adds = () => spectrum.state.callsTo('AddWOMaterialCost');
  spectrum.faults.set({ hold: true, routes: ['AddWOMaterialCost'] });

  const first = await startWorkerProcess();
  // The lines activity's heartbeat timeout (2 min in production) shortened to 20 s: the lost attempt is retried sooner.
  const handle = await t.sync(job.id, `evt-crash-${job.id}`, { linesHeartbeatTimeoutMs: 20_000, version: JOB_TO_WORK_ORDER_VERSION });
  // Let the first two lines (BELT-A42, FILTER-20) through one at a time; the third (LABOR) stays held.
  for (let n = 1; n <= 2; n += 1) {
    await eventually(() => adds().length === n && spectrum.faults.held === 1, 30_000, `AddWOMaterialCost ${n} held`);
    spectrum.faults.release();
  }
  await eventually(() => adds().length === 3 && spectrum.faults.held === 1, 30_000, 'the third AddWOMaterialCost held');
  expect(t.workOrder(job.number)?.materials).toHaveLength(2);

  const killedAt = Date.now();
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  // The dead worker's request goes on at Spectrum (it may add its line: a lost answer).
  spectrum.faults.clear();
  spectrum.faults.release();

  const second = await startWorkerProcess();
  const result = await handle.result();
  const tookMs = Date.now() - killedAt;

  expect(result).toMatchObject({ workOrderNumber: `S${job.number}`, linesAdded: 5, numberRecorded: true });
  expect(linesOf(t.workOrder(job.number))).toEqual([
    'BELT-A42 x2 V-belt A42',
    'FILTER-20 x4 Air filter 20x20x1',
    'LABOR x1 Technician labor',
    'LABOR x3.5 Technician labor',
    'MISC x1 Condensate pan tablets',
  ]);
  expect(spectrum.state.workOrders.size).toBe(1);
  expect(t.stack.servicetrade.state.job(job.id)?.externalIds.spectrum).toBe(`S${job.number}`);

  // The lost attempt ended by its heartbeat timeout; attempt 2 read the lines again (the dead
  // worker's LABOR line among them) and added only the two missing ones: five adds, no delete.
  const [lines] = (await activityRuns(t.stack, job.id)).filter((r) => r.activityType === 'convergeWorkOrderLines');
  expect(lines).toMatchObject({ attempt: 2, outcome: 'completed', lastFailure: { timeoutType: temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT } });
  // Three reads: the number claim's (version 3: no work order yet), attempt 1's, attempt 2's.
  expect(spectrum.state.callsTo('GetWOMaterialCost')).toHaveLength(3);
  expect(adds().filter((r) => r.applied).map(itemCodeOf)).toEqual(['BELT-A42', 'FILTER-20', 'LABOR', 'LABOR', 'MISC']);
  expect(spectrum.state.callsTo('DeleteWOMaterialCost')).toEqual([]);
  expect(tookMs).toBeLessThan(60_000);
  await keepJobHistory(t.stack, 'worker-crash', job.id);

  second.kill('SIGTERM');
  const code = await new Promise((resolve) => second.once('exit', (c, s) => resolve(c ?? s)));
  expect(code).toBe(0);
});
