/**
 * customerUpsert on the real Temporal dev server when Specter refuses, or answers something that is
 * no success: the sync fails after ONE POST with what Specter said, and App4Sales is left as it was.
 * (Before issue 6 these were retried up to 12 times, as if Specter were down.)
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities';
import { describeSync } from '../../client/operations';
import { simulatorAdapterConfig } from '../../scripts/simulator-adapter-config';
import type { SpecterFaultConfig } from '../../connectors/specter/simulator';
import { createActivityDeps } from '../../worker/deps';
import { createFieldBridgeWorker } from '../../worker/worker';
import type { customerUpsert } from '../../workflows/customer-upsert';
import { customerUpsertWorkflowId } from '../../workflows/definitions';
import { useCustomerSyncStack } from '../helpers/customer-sync';
import { APP4SALES_API_KEY, SPECTER, WEBHOOK_SECRET, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

/** Long enough for a first retry (1 s backoff) to show; far shorter than 12 attempts. */
const SETTLE_MS = 15_000;

const frame = useCustomerSyncStack('R');
const { seedCustomer } = frame;
const sync = (customerId: string, taskQueue?: string) => frame.sync(customerId, undefined, taskQueue);
let stack: Stack;
beforeAll(() => {
  stack = frame.stack;
});

async function failureOf(handle: WorkflowHandle<typeof customerUpsert>, posts: () => number): Promise<ApplicationFailure> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    handle.result().then(
      () => new Error('expected the sync to fail, it completed'),
      (e: unknown) => e,
    ),
    new Promise<'still running'>((resolve) => {
      timer = setTimeout(() => resolve('still running'), SETTLE_MS);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === 'still running') {
    await handle.terminate('test: still retrying a refusal');
    throw new Error(`the sync was still running after ${SETTLE_MS} ms, after ${posts()} POSTs to Specter: a refusal was retried`);
  }
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  let cause = (outcome as WorkflowFailedError).cause;
  while (cause && !(cause instanceof ApplicationFailure)) cause = cause.cause as typeof cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

function expectApp4SalesUntouched(id: string) {
  const customer = stack.app4sales.state.customers.get(id)!;
  expect(customer.CustomerCode ?? null).toBeNull();
  expect(customer.Revision).toBe(1);
}

const postsToSpecter = () => stack.specter.state.requests.length;

// [case, Specter fault, failure type, what the failure must say]
const refusals: Array<[string, SpecterFaultConfig, string, string[]]> = [
  [
    'Result 0 without an ERROR code',
    { resultNotOne: { result: 0, message: 'Customer is locked for editing' } },
    'CustomerCouldNotCreatedOrUpdated',
    ['Result 0', 'Customer is locked for editing'],
  ],
  ['Result 2 without an ERROR code', { resultNotOne: { result: 2, message: 'Queued for approval' } }, 'InvalidResponse', ['Result 2', 'Queued for approval']],
  ['Result null', { resultWithoutCode: true }, 'InvalidResponse', ['Result null', 'Internal error']],
  ['a body without any Result', { bodyWithoutResult: { message: 'Saved for later' } }, 'InvalidResponse', ['no Result', 'Saved for later']],
  [
    'an HTML 400 from something in front of Specter',
    { rawAnswer: { status: 400, body: '<html><title>Request blocked by policy</title></html>' } },
    'InvalidRequest',
    ['HTTP 400', 'Request blocked by policy'],
  ],
];

test.each(refusals)('%s: the sync fails after one POST, with Specter\'s message, App4Sales untouched', async (_case, fault, type, says) => {
  const id = seedCustomer();
  stack.specter.faults.set(fault);
  // describeSync while the worker runs: its query of the workflow's state needs one.
  const { failure, report } = await stack.withWorker(async () => {
    const failed = await failureOf(await sync(id), postsToSpecter);
    return { failure: failed, report: await describeSync(stack.env.client, customerUpsertWorkflowId(id)) };
  });

  expect(failure).toMatchObject({ type, nonRetryable: true });
  for (const text of says) expect(failure.message).toContain(text);
  expect(postsToSpecter()).toBe(1);
  expect(stack.specter.state.customers.size).toBe(0);
  expectApp4SalesUntouched(id);
  expect(report.syncStatus).toBe('failed');
  expect(report.lastError).toContain(says[says.length - 1]);
});

describe('a worker configured with a wrong Specter base path or SBM id', () => {
  /** A worker as production builds it, with Specter's settings overridden. */
  async function withMisconfiguredWorker<T>(specter: { specterUrl?: string; sbmId?: number }, fn: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `fieldbridge-misconfigured-${randomUUID()}`;
    const deps = createActivityDeps(
      simulatorAdapterConfig(
        { app4sales: stack.app4sales, specter: stack.specter },
        { app4salesApiKey: APP4SALES_API_KEY, webhookSecret: WEBHOOK_SECRET, specter: { ...SPECTER, sbmId: specter.sbmId ?? SPECTER.sbmId } },
        { app4salesTimeoutMs: 5000, specterTimeoutMs: 5000, specterUrl: specter.specterUrl },
      ),
      { client: stack.env.client, taskQueue },
    );
    const worker = await createFieldBridgeWorker({
      connection: stack.env.nativeConnection,
      namespace: stack.env.namespace ?? 'default',
      taskQueue,
      activities: createActivities(deps),
      workflowBundle: stack.bundle,
      shutdownGraceTime: '1s',
    });
    try {
      return await worker.runUntil(fn(taskQueue));
    } finally {
      await deps.close();
    }
  }

  /** POSTs that reached Specter's web server: served, or answered 404 because no route was there. */
  const postsReceived = () => postsToSpecter() + stack.specter.state.unrouted.filter((r) => r.method === 'POST').length;

  // [case, what is wrong, the path the POST went to]
  const rows: Array<[string, { basePath?: string; sbmId?: number }, string]> = [
    ['a wrong base path', { basePath: '/specter' }, `/specter/api/v1/${SPECTER.sbmId}/customers`],
    ['a wrong SBM id', { sbmId: SPECTER.sbmId + 1 }, `/api/v1/${SPECTER.sbmId + 1}/customers`],
  ];

  test.each(rows)('%s: fails after one POST, saying which settings to check; App4Sales untouched', async (_case, wrong, path) => {
    const id = seedCustomer();
    const specter = { sbmId: wrong.sbmId, specterUrl: wrong.basePath ? `${stack.specter.url}${wrong.basePath}` : undefined };
    const failure = await withMisconfiguredWorker(specter, async (taskQueue) => failureOf(await sync(id, taskQueue), postsReceived));

    expect(failure).toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    expect(failure.message).toContain(`Specter answered 404 for POST ${path}: check SPECTER_BASE_URL`);
    expect(failure.message).toContain('SPECTER_SBM_ID');
    expect(stack.specter.state.unrouted).toEqual([expect.objectContaining({ method: 'POST', url: path })]);
    expect(postsReceived()).toBe(1);
    expect(stack.specter.state.customers.size).toBe(0);
    expectApp4SalesUntouched(id);
  });
});
