/**
 * The small version of `npm run chaos` (chaos/run.ts), over every flow: 5 records per flow (one
 * permanently invalid), every event delivered 3 times in shuffled order among 40 bad webhooks,
 * through the real receiver process; the real worker process SIGKILLed at least twice; the
 * file-backed dev server stopped and started again once mid-run; the simulators at 30 % transient
 * faults. What a user checks afterwards: nothing lost, nothing duplicated, nothing wrong, every
 * valid record in its target, every invalid one failed or waiting with a named reason, no workflow
 * started by a bad webhook, no configured secret in any log.
 *
 * Figures (times, retries) are printed by the run itself, never asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatReport, runChaos, type ChaosResult } from '../../chaos/run';
import { temporalCliPath } from '../helpers/temporal-cli';

jest.setTimeout(600_000);

let result: ChaosResult;
const dir = mkdtempSync(join(tmpdir(), 'fieldbridge-chaos-'));

beforeAll(async () => {
  result = await runChaos(
    {
      n: 5,
      deliveries: 3,
      badWebhooks: 40,
      killEverySeconds: 4,
      minKills: 2,
      faultRate: 0.3,
      invalidShare: 0.2,
      changedShare: 0.2,
      restartServer: true,
      concurrency: 8,
      drainTimeoutSeconds: 360,
      dir,
      cli: temporalCliPath(),
    },
    (msg) => {
      if (process.env.CHAOS_TEST_VERBOSE) process.stderr.write(`[chaos] ${msg}\n`);
    },
  );
  process.stderr.write(`${formatReport(result)}\n`);
});

afterAll(() => {
  // Kept for a look when something failed.
  if (result?.totals.lost === 0 && result.totals.duplicated === 0) rmSync(dir, { recursive: true, force: true });
});

test('the chaos happened: worker killed at least twice, the server restarted once, bad webhooks sent', () => {
  expect(result.chaos.workerKills).toBeGreaterThanOrEqual(2);
  expect(result.chaos.serverRestarts).toBe(1);
  expect(result.webhooks.bad.sent).toBe(40);
  expect(result.webhooks.good.sent).toBeGreaterThan(0);
});

test('0 lost, 0 duplicated, 0 wrong: every valid record is in its target once, with its final data', () => {
  for (const flow of ['customer', 'job', 'mobile'] as const) {
    const f = result.flows[flow]!;
    expect({ flow, lost: f.lost, duplicated: f.duplicated, wrong: f.wrong }).toEqual({ flow, lost: 0, duplicated: 0, wrong: 0 });
    expect({ flow, synced: f.ok }).toEqual({ flow, synced: f.valid });
  }
});

test('every invalid record ended failed or waiting with a named reason; nothing stuck', () => {
  for (const flow of ['customer', 'job', 'mobile'] as const) {
    const f = result.flows[flow]!;
    expect(f.invalid).toBeGreaterThan(0);
    expect({ flow, named: f.failedNamed + f.waitingNamed, unnamed: f.failedUnnamed, stuck: f.stuck }).toEqual({ flow, named: f.invalid, unnamed: 0, stuck: 0 });
  }
});

test('bad webhooks: all refused with a 4xx, none started a workflow', () => {
  expect(result.webhooks.bad.refused).toBe(40);
  expect(result.webhooks.bad.accepted).toBe(0);
  expect(result.workflowsStartedByBadWebhooks).toBe(0);
  expect(result.unplannedWorkflows).toBe(0);
});

test('no configured secret and no customer e-mail in any log, history or database file', () => {
  expect(result.secrets.scanned.logs).toBeGreaterThanOrEqual(4);
  expect(result.secrets.scanned.database).toBeGreaterThanOrEqual(1);
  expect(result.secrets.leaked.secrets).toEqual({ logs: 0, histories: 0, database: 0 });
  // The worker and receiver run with FIELDBRIDGE_ENCRYPTION_KEYS: payloads are ciphertext at rest.
  expect(result.secrets.leaked.emails).toEqual({ logs: 0, histories: 0, database: 0 });
});
