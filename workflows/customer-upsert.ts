/**
 * App4Sales customer -> Specter customer (seed 002, the Spector connector's "Create Customer").
 *
 *   load the App4Sales customer -> map (required fields, truncation) -> upsert in Specter
 *   -> record the returned code as the App4Sales CustomerCode
 *
 * One workflow per customer. Changes that arrive while a pass runs (signals) are coalesced into one
 * more pass, which reloads the customer, so Specter ends with the latest data and one customer.
 */
import {
  ApplicationFailure,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { CustomerUpsertActivities } from '../activities/customer-upsert';
import { PermanentErrorTypes } from '../common/errors';
import { SyncStatusKey, TargetCodeKey, type SyncStatus } from '../common/search-attributes';
import { describeMissing, mapCustomerToSpecter } from '../mappings/app4sales-to-specter';
import {
  sourceChangedSignal,
  syncStateQuery,
  type CustomerUpsertInput,
  type CustomerUpsertResult,
  type SyncState,
} from './definitions';

const NON_RETRYABLE = [
  PermanentErrorTypes.AuthenticationFailed,
  PermanentErrorTypes.SourceRecordNotFound,
  PermanentErrorTypes.InvalidRequest,
  PermanentErrorTypes.InvalidResponse,
  PermanentErrorTypes.CustomerCouldNotCreatedOrUpdated,
];

/** App4Sales reads and the code write-back: cheap, idempotent, retried for as long as App4Sales is down (up to a day). */
const { loadApp4SalesCustomer, recordCustomerCode } = proxyActivities<CustomerUpsertActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** The Specter write. A lost answer is recovered by the activity's lookup on retry. */
const { upsertSpecterCustomer } = proxyActivities<CustomerUpsertActivities>({
  startToCloseTimeout: '45s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 12, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Passes per run before the history is rolled over with continue-as-new. */
const MAX_PASSES_PER_RUN = 25;
/** Event ids remembered for de-duplication. */
const SEEN_EVENTS_KEPT = 200;

export async function customerUpsert(input: CustomerUpsertInput): Promise<CustomerUpsertResult> {
  const { customerId } = input;
  const state: SyncState = { step: 'starting', status: 'running', passes: 0, pendingChanges: 0, targetCode: null, lastError: null };
  const seen = new Set(input.seenEventIds ?? []);
  // A run always makes at least one pass: started by a change, or by an operator.
  let dirty = true;

  setHandler(syncStateQuery, () => ({ ...state }));
  setHandler(sourceChangedSignal, ({ eventId }) => {
    if (seen.has(eventId)) {
      log.info('duplicate change event ignored', { customerId, eventId });
      return;
    }
    seen.add(eventId);
    if (state.step !== 'starting') state.pendingChanges += 1;
    dirty = true;
  });

  const setStatus = (status: SyncStatus) => {
    state.status = status;
    upsertSearchAttributes([{ key: SyncStatusKey, value: status }]);
  };

  let result: Omit<CustomerUpsertResult, 'passes'> | undefined;
  while (dirty) {
    if (state.passes >= MAX_PASSES_PER_RUN) {
      await continueAsNew<typeof customerUpsert>({ customerId, seenEventIds: [...seen].slice(-SEEN_EVENTS_KEPT) });
    }
    dirty = false;
    state.pendingChanges = 0;
    state.passes += 1;
    try {
      // Signals that arrive during the pass set `dirty` again (the SDK delivers them before the
      // activity results of the same activation), so no change is left unsynced.
      result = await syncOnce(customerId, state);
    } catch (err) {
      state.lastError = err instanceof Error ? err.message : String(err);
      if (dirty) {
        // The record changed while this pass failed: the change may be the fix. Sync it.
        log.warn('sync pass failed, but newer changes arrived: syncing them', { customerId, error: state.lastError });
        continue;
      }
      setStatus('failed');
      throw err;
    }
  }
  state.lastError = null;
  state.step = 'done';
  setStatus('completed');
  return { ...result!, passes: state.passes };
}

/** Keep FieldBridgeTargetCode current; each change is one search-attribute upsert (one action). */
function setTargetCode(state: SyncState, code: string | null): void {
  if (!code || state.targetCode === code) return;
  state.targetCode = code;
  upsertSearchAttributes([{ key: TargetCodeKey, value: code }]);
}

async function syncOnce(customerId: string, state: SyncState): Promise<Omit<CustomerUpsertResult, 'passes'>> {
  state.step = 'loading';
  const source = await loadApp4SalesCustomer(customerId);
  // A customer Specter already knows: show its code at once (the upsert below then changes nothing).
  setTargetCode(state, source.customer.CustomerCode?.trim() || null);

  state.step = 'mapping';
  const mapping = mapCustomerToSpecter(source);
  if (mapping.missing.length > 0) {
    throw ApplicationFailure.create({
      type: PermanentErrorTypes.MissingRequiredFields,
      message: describeMissing(customerId, mapping.missing),
      nonRetryable: true,
      details: [{ customerId, missing: mapping.missing }],
    });
  }
  for (const t of mapping.truncations) {
    log.warn('value truncated to Specter max length', { customerId, field: t.field, maxLength: t.maxLength, originalLength: t.originalLength });
  }

  state.step = 'upserting';
  const upserted = await upsertSpecterCustomer({ app4salesCustomerId: customerId, payload: mapping.payload });
  setTargetCode(state, upserted.code);

  state.step = 'recording';
  if (source.customer.CustomerCode?.trim() !== upserted.code) {
    await recordCustomerCode({ app4salesCustomerId: customerId, customerCode: upserted.code });
  }
  log.info('customer synced to Specter', { customerId, specterCustomerId: upserted.code, created: upserted.created });
  return {
    customerId,
    specterCustomerId: upserted.code,
    created: upserted.created,
    truncatedFields: mapping.truncations.map((t) => t.field),
  };
}
