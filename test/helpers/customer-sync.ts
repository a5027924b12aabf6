/**
 * The frame every customer-sync test file on the dev server shares: one stack for the file, reset
 * before each test (simulators emptied, the demo sales representative seeded), a fresh App4Sales
 * customer id per seed, and starting a sync the way the receiver does.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startCustomerUpsert } from '../../common/starters';
import type { customerUpsert } from '../../workflows/customer-upsert';
import { customerUpsertWorkflowId } from '../../workflows/definitions';
import { app4salesCustomer } from '../fixtures/customers';
import { writeHistoryOnce } from './histories';
import { startStack, type Stack } from './stack';

export interface CustomerSyncTests {
  /** The file's stack (available from beforeAll on). */
  readonly stack: Stack;
  /** Put a complete App4Sales customer with a fresh id (`<prefix><n>-<ms>`); returns the id. */
  seedCustomer(overrides?: Parameters<typeof app4salesCustomer>[0]): string;
  /** Signal-with-start the customer's sync, as the webhook receiver does; returns its handle. */
  sync(customerId: string, eventId?: string, taskQueue?: string): Promise<WorkflowHandle<typeof customerUpsert>>;
}

export function useCustomerSyncStack(prefix: string, opts: { demoCustomers?: boolean } = {}): CustomerSyncTests {
  let stack: Stack | undefined;
  let n = 0;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack!.reset();
    if (opts.demoCustomers === false) {
      // Only the test's own customers: lists, bulk loads and sweeps see nothing else.
      for (const id of [...stack!.app4sales.state.customers.keys()]) {
        stack!.app4sales.state.customers.delete(id);
        stack!.app4sales.state.changedAt.delete(id);
      }
    }
    stack!.app4sales.state.putSalesRep({ Username: 'jdoe', ResIdString: 'SR-JDOE' });
  });
  return {
    get stack() {
      if (!stack) throw new Error('the stack starts in beforeAll');
      return stack;
    },
    seedCustomer(overrides = {}) {
      const id = `${prefix}${++n}-${Date.now()}`;
      stack!.app4sales.state.putCustomer(app4salesCustomer({ Id: id, ...overrides }));
      return id;
    },
    async sync(customerId, eventId = `evt-${customerId}`, taskQueue = stack!.taskQueue) {
      await startCustomerUpsert(stack!.env.client, taskQueue, customerId, { eventId });
      return stack!.env.client.workflow.getHandle<typeof customerUpsert>(customerUpsertWorkflowId(customerId));
    },
  };
}

/** The ApplicationFailure a sync failed with (the test fails if the sync did not fail). */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => {
      throw new Error('expected the sync to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as WorkflowFailedError).cause;
  while (cause && !(cause instanceof ApplicationFailure)) cause = cause.cause as typeof cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

/** With RECORD_HISTORIES=1, keep a run's history as a replay fixture (npm run record-histories). */
export async function keepHistory(stack: Stack, name: string, customerId: string, runId?: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await stack.env.client.workflow.getHandle(customerUpsertWorkflowId(customerId), runId).fetchHistory();
  writeHistoryOnce(`customer-upsert-${name}.json`, history);
}
