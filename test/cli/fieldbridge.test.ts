/**
 * The operator CLI, run as an operator runs it (bin/fieldbridge.js in a child process) against a
 * real dev server that starts without FieldBridge's search attributes, as a fresh cluster would.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { customerUpsertWorkflowId } from '../../workflows/definitions';
import { app4salesCustomer } from '../fixtures/customers';
import { startStack, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

const BIN = join(__dirname, '..', '..', 'bin', 'fieldbridge.js');
let stack: Stack;

function fieldbridge(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, TEMPORAL_ADDRESS: stack.env.address, TEMPORAL_TASK_QUEUE: stack.taskQueue, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  stack = await startStack({ registerSearchAttributes: false });
});
afterAll(async () => {
  await stack?.close();
});

test('setup registers the search attributes on a cluster that lacks them, and is idempotent', async () => {
  const first = await fieldbridge(['setup']);
  expect(first.code).toBe(0);
  for (const name of ['FieldBridgeSourceSystem', 'FieldBridgeSourceId', 'FieldBridgeTargetSystem', 'FieldBridgeSyncKind', 'FieldBridgeSyncStatus', 'FieldBridgeTargetCode']) {
    expect(first.stdout).toContain(name);
  }
  const second = await fieldbridge(['setup']);
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/all search attributes present/);
});

test('sync --wait, status and list show a completed sync with its returned code', async () => {
  stack.app4sales.state.putCustomer(app4salesCustomer({ Id: 'CLI-1' }));
  const { worker, close } = await stack.createWorker();
  const running: Promise<void> = (worker as Worker).run();
  try {
    const synced = await fieldbridge(['sync', 'app4sales-customer', 'CLI-1', '--wait', '--json']);
    expect(synced.code).toBe(0);
    const report = JSON.parse(synced.stdout);
    const code = stack.app4sales.state.customers.get('CLI-1')?.CustomerCode;
    expect(code).toBeTruthy();
    expect(report).toMatchObject({ workflowId: customerUpsertWorkflowId('CLI-1'), syncStatus: 'completed', step: 'done', targetCode: code });

    const status = await fieldbridge(['status', customerUpsertWorkflowId('CLI-1')]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Status:\s+completed/);
    expect(status.stdout).toMatch(new RegExp(`Returned code:\\s+${code}`));
    expect(status.stdout).toMatch(/Source:\s+app4sales CLI-1/);
  } finally {
    worker.shutdown();
    await running;
    await close();
  }

  // Visibility is eventually consistent: allow it a moment.
  let listed = '';
  for (let i = 0; i < 40 && !listed.includes('CLI-1'); i++) {
    listed = (await fieldbridge(['list', '--status', 'completed', '--system', 'app4sales'])).stdout;
    if (!listed.includes('CLI-1')) await new Promise((r) => setTimeout(r, 250));
  }
  expect(listed).toMatch(/customer-upsert:app4sales:CLI-1\s+completed\s+customer-upsert\s+app4sales:CLI-1\s+specter\s+\d+/);
  expect((await fieldbridge(['list', '--status', 'failed'])).stdout).not.toContain('CLI-1');
});

test('status of a sync that does not exist fails with a clear message', async () => {
  const res = await fieldbridge(['status', 'customer-upsert:app4sales:nope']);
  expect(res.code).not.toBe(0);
  expect(res.stderr).toMatch(/not found/i);
});

test('every command has --help', async () => {
  for (const args of [['--help'], ['sync', '--help'], ['sync', 'app4sales-customer', '--help'], ['status', '--help'], ['list', '--help'], ['setup', '--help']]) {
    const res = await fieldbridge(args);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: fieldbridge/);
  }
});

test('bad input is refused before anything is sent', async () => {
  const badStatus = await fieldbridge(['list', '--status', 'sleeping']);
  expect(badStatus.code).not.toBe(0);
  expect(badStatus.stderr).toMatch(/Allowed choices are running, waiting, completed, failed/);

  const badConfig = await fieldbridge(['list'], { TEMPORAL_TLS_CLIENT_CERT_PATH: '/tmp/cert.pem' });
  expect(badConfig.code).toBe(1);
  expect(badConfig.stderr).toMatch(/TEMPORAL_TLS_CLIENT_KEY_PATH/);
});
