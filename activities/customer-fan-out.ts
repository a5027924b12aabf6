/**
 * Activities of the App4Sales customer bulk load and sweep: list customers page by page, find where
 * the last sweep stopped, and fan out one customerUpsert signal-with-start per customer with bounded
 * concurrency. The syncs themselves stay one workflow per customer (common/starters.ts).
 *
 * Signalling is idempotent: every signal carries an event id the caller derives from the run and the
 * customer (`bulk:<bulkId>:<customerId>`, `sweep:<customerId>:<Revision>`), which a running sync
 * ignores when it has seen it; and a customer whose last sync completed with exactly the data App4Sales
 * holds now (same source fingerprint, CustomerCode in place) is skipped, so neither a retried batch
 * nor FieldBridge's own CustomerCode write-back (which App4Sales reports as a change) starts a
 * needless run.
 */
import { log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ListCustomersQuery } from '../connectors/app4sales/client';
import type { CustomerSummary } from '../connectors/app4sales/schemas';
import { startCustomerUpsert } from '../common/starters';
import { newestCompletedRun } from '../common/newest-completed-run';
import { SyncRecords } from '../common/sync-records';
import { CUSTOMER_SWEEP_WORKFLOW, customerUpsertWorkflowId, type CustomerSweepResult, type CustomerUpsertResult } from '../workflows/definitions';
import { createCustomerUpsertActivities, type CustomerUpsertDeps } from './customer-upsert';

export interface CustomerFanOutDeps extends CustomerUpsertDeps {
  temporal: { client: Client; taskQueue: string };
}

export interface ListedCustomers {
  customers: CustomerSummary[];
  nextCursor: string | null;
}

export interface CustomerSignal {
  customerId: string;
  /** Deterministic per run and customer, so a retried batch adds no pass to a running sync. */
  eventId: string;
}

export interface SignalCustomerSyncsInput {
  signals: CustomerSignal[];
  /** Signal-with-starts in flight at once (default 20). */
  concurrency?: number;
}

export interface SignalCustomerSyncsResult {
  /** Syncs started or given one more change. */
  signalled: number;
  /** Customers whose last sync completed with the data App4Sales holds now: nothing to do. */
  skipped: number;
}

export interface LastCustomerSweep {
  /** The newest completed sweep on this task queue, or null before the first one. */
  previous: (CustomerSweepResult & { workflowId: string; runId: string }) | null;
  /** This worker's clock, for the first sweep's look-back. */
  now: string;
}

/** Failure type of a batch in which some signals could not be delivered (retried by the policy). */
export const SIGNALS_FAILED_TYPE = 'CustomerSignalsFailed';

/** Run `fn` over `items`, at most `limit` at a time; returns every outcome. */
async function mapPooled<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await fn(items[index]) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export function createCustomerFanOutActivities(deps: CustomerFanOutDeps) {
  const { app4sales, temporal } = deps;
  const { loadApp4SalesCustomer } = createCustomerUpsertActivities(deps);
  const records = new SyncRecords(temporal.client);

  /**
   * True when the customer's sync last completed with exactly the data App4Sales holds now and
   * App4Sales has its code: a signal would only start a run that sends nothing. Any doubt (no sync,
   * one running or failed, an unreadable result, App4Sales not answering) is false: signal.
   */
  async function alreadySynced(customerId: string): Promise<boolean> {
    const workflowId = customerUpsertWorkflowId(customerId);
    try {
      const description = await temporal.client.workflow.getHandle(workflowId).describe();
      if (description.status.name !== 'COMPLETED') return false;
      const result = await records.closedRunResult<Partial<CustomerUpsertResult> | undefined>(workflowId, description.runId);
      if (!result?.sourceFingerprint || !result.specterCustomerId) return false;
      const current = await loadApp4SalesCustomer({ customerId });
      return current.sourceFingerprint === result.sourceFingerprint && current.customer.CustomerCode?.trim() === result.specterCustomerId;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) {
        log.info('could not tell whether the customer is already synced: signalling it', { customerId, error: (err as Error).message });
      }
      return false;
    }
  }

  return {
    /** One page of App4Sales customers (ids, codes, revisions, ChangedAt), as the filters ask. */
    async listApp4SalesCustomers(query: ListCustomersQuery): Promise<ListedCustomers> {
      return app4sales.listCustomers(query);
    },

    /**
     * Signal-with-start each customer's sync (at most `concurrency` at once), skipping customers
     * already synced with their current data. Every customer is tried; when some signals fail, the
     * batch fails retryably, naming them, and the retry goes over the whole batch again: a sync
     * signalled before is either running (the same event id is ignored) or completed (skipped).
     */
    async signalCustomerSyncs({ signals, concurrency = 20 }: SignalCustomerSyncsInput): Promise<SignalCustomerSyncsResult> {
      let signalled = 0;
      let skipped = 0;
      const outcomes = await mapPooled(signals, concurrency, async ({ customerId, eventId }) => {
        if (await alreadySynced(customerId)) {
          skipped += 1;
          return;
        }
        await startCustomerUpsert(temporal.client, temporal.taskQueue, customerId, { eventId });
        signalled += 1;
      });
      const failed = signals
        .map((signal, i) => ({ customerId: signal.customerId, outcome: outcomes[i] }))
        .filter((f): f is { customerId: string; outcome: PromiseRejectedResult } => f.outcome.status === 'rejected');
      if (failed.length > 0) {
        const first = failed[0].outcome.reason;
        throw ApplicationFailure.create({
          type: SIGNALS_FAILED_TYPE,
          message: `${failed.length} of ${signals.length} customer syncs could not be signalled (first: ${failed[0].customerId}: ${first instanceof Error ? first.message : String(first)})`,
          nonRetryable: false,
          details: [{ failedCustomerIds: failed.map((f) => f.customerId), signalled, skipped }],
        });
      }
      log.info('customer syncs signalled', { signalled, skipped, batch: signals.length });
      return { signalled, skipped };
    },

    /**
     * The newest completed customerSweep on this task queue and its result (where it stopped), found
     * in Temporal's visibility; null before the first sweep.
     */
    async findLastCustomerSweep(): Promise<LastCustomerSweep> {
      const newest = await newestCompletedRun(temporal.client, CUSTOMER_SWEEP_WORKFLOW, temporal.taskQueue);
      const now = new Date().toISOString();
      if (!newest) return { previous: null, now };
      const result = await records.closedRunResult<CustomerSweepResult>(newest.workflowId, newest.runId);
      return { previous: { ...result, workflowId: newest.workflowId, runId: newest.runId }, now };
    },
  };
}

export type CustomerFanOutActivities = ReturnType<typeof createCustomerFanOutActivities>;
