/**
 * App4Sales customer -> Specter customer (seed 002, the Spector connector's "Create Customer").
 *
 *   load the App4Sales customer -> map (required fields, truncation) -> upsert in Specter
 *   -> record the returned code as the App4Sales CustomerCode
 *
 * One workflow per customer. Changes that arrive while a pass runs (signals) are coalesced into one
 * more pass, which reloads the customer, so Specter ends with the latest data and one customer.
 *
 * One App4Sales customer, one Specter customer, whatever fails: once Specter has answered with a
 * code, the sync keeps it (in its state, across continue-as-new, and in FieldBridgeTargetCode for a
 * later run) and updates that customer from then on, even while App4Sales lacks the CustomerCode.
 * A write-back App4Sales refuses parks the sync as `waiting`, the code known and the reason shown.
 *
 * Two command sequences (input.version, chosen at start; workflows/definitions.ts):
 *   - runs started without a version (before CUSTOMER_UPSERT_VERSION existed): the load and the
 *     write-back are activities, FieldBridgeTargetCode is upserted as soon as the code is known and
 *     each status change is its own upsert: 4 workflow tasks, 3 activity tasks, 6 actions for a new
 *     customer. Kept as it was, so their histories replay (test/histories/v1-*).
 *   - version 2: the load (an idempotent read) is a local activity run inside the first workflow
 *     task, the write-back is first tried as a local activity (a few quick attempts, inside the
 *     workflow task that got Specter's answer), and FieldBridgeTargetCode rides on the next status
 *     upsert: 2 workflow tasks, 1 activity task, 5 actions. When the quick write-back fails, the code
 *     is upserted on its own first and the write-back continues as the activity with the day-long
 *     retry policy, so a sync parked on App4Sales holds its code in FieldBridgeTargetCode exactly as
 *     before, and a later run recovers it. A run terminated while its quick write-back runs (at most
 *     ~20 s, usually milliseconds) has not yet published the code; App4Sales has it if the write-back
 *     landed, else the next run creates anew (the window the first sequence had between Specter's
 *     answer and the next workflow task).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { CustomerUpsertActivities, LoadedCustomer, UpsertSpecterCustomerResult } from '../activities/customer-upsert';
import { NON_RETRYABLE_ERROR_TYPES, OUTCOME_UNKNOWN_FAILURE_TYPE, PermanentErrorTypes } from '../common/errors';
import { SyncStatusKey, TargetCodeKey, type SyncStatus } from '../common/search-attributes';
import { describeMissing, mapCustomerToSpecter } from '../mappings/app4sales-to-specter';
import type { SpecterPostCustomer } from '../connectors/specter/schemas';
import {
  sourceChangedSignal,
  syncStateQuery,
  type CustomerUpsertInput,
  type CustomerUpsertResult,
  type SyncState,
} from './definitions';
import { innermostMessage } from './failures';

/** App4Sales reads and the code write-back: cheap, idempotent, retried for as long as App4Sales is down (up to a day). */
const { loadApp4SalesCustomer, recordCustomerCode } = proxyActivities<CustomerUpsertActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

/** Version 2: the App4Sales read as a local activity, same retry policy (backoffs past 10 s become durable timers). */
const localReads = proxyLocalActivities<CustomerUpsertActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '24h',
  localRetryThreshold: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

/** Version 2: the write-back's quick tries, inside the workflow task (then the activity above takes over). */
const quickRecord = proxyLocalActivities<CustomerUpsertActivities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '20s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
}).recordCustomerCode;

/** Attempts at the Specter write before the sync fails (12 span about 10 minutes). */
const SPECTER_WRITE_ATTEMPTS = 12;

/** The Specter write. A retry after a lost answer first looks for what that attempt created. */
function specterWrite(maximumAttempts: number) {
  return proxyActivities<CustomerUpsertActivities>({
    startToCloseTimeout: '45s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
  }).upsertSpecterCustomer;
}

/** Read-only search for a create whose answer was lost, after the write gave up: retried up to a day. */
const { findLostSpecterCustomer } = proxyActivities<CustomerUpsertActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

/** Passes per run before the history is rolled over with continue-as-new. */
const MAX_PASSES_PER_RUN = 25;
/** Event ids remembered for de-duplication. */
const SEEN_EVENTS_KEPT = 200;
/** A sync parked on a refused write-back tries again after this long, or at the next change. */
const PARKED_RECHECK = '6h';

/** What this sync has written to Specter: kept across passes and continue-as-new. */
interface Synced {
  /** Specter customer id */
  code: string | null;
  /** Fingerprint of the App4Sales data Specter holds. */
  fingerprint: string | null;
}

type PassOutcome = { kind: 'synced'; result: Omit<CustomerUpsertResult, 'passes'> } | { kind: 'parked' };

export async function customerUpsert(input: CustomerUpsertInput): Promise<CustomerUpsertResult> {
  const { customerId } = input;
  const maxPasses = input.maxPassesPerRun ?? MAX_PASSES_PER_RUN;
  const synced: Synced = { code: input.specterCustomerId ?? null, fingerprint: input.sourceFingerprint ?? null };
  const upsertSpecterCustomer = specterWrite(input.specterWriteMaxAttempts ?? SPECTER_WRITE_ATTEMPTS);
  const state: SyncState = { step: 'starting', status: 'running', passes: 0, pendingChanges: 0, targetCode: synced.code, lastError: null };
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

  const v2 = (input.version ?? 1) >= 2;
  // Version 2: the FieldBridgeTargetCode not yet upserted; it goes with the next status upsert.
  let unpublishedCode: string | null = null;
  const publishCode = () => {
    if (unpublishedCode === null) return;
    upsertSearchAttributes([{ key: TargetCodeKey, value: unpublishedCode }]);
    unpublishedCode = null;
  };
  const setStatus = (status: SyncStatus) => {
    if (state.status === status) return;
    state.status = status;
    if (v2 && unpublishedCode !== null) {
      upsertSearchAttributes([
        { key: SyncStatusKey, value: status },
        { key: TargetCodeKey, value: unpublishedCode },
      ]);
      unpublishedCode = null;
      return;
    }
    upsertSearchAttributes([{ key: SyncStatusKey, value: status }]);
  };
  const steps: Steps = v2
    ? {
        load: localReads.loadApp4SalesCustomer,
        targetCode(code) {
          if (!code || state.targetCode === code) return;
          state.targetCode = code;
          unpublishedCode = code;
        },
        async record(args) {
          try {
            await quickRecord(args);
          } catch (err) {
            if (isCancellation(err)) throw err;
            log.info('quick CustomerCode write-back failed: publishing the code, then retrying as an activity', {
              customerId,
              error: innermostMessage(err),
            });
            publishCode();
            await recordCustomerCode(args);
          }
        },
      }
    : {
        load: loadApp4SalesCustomer,
        targetCode: (code) => setTargetCode(state, code),
        record: recordCustomerCode,
      };

  let result: Omit<CustomerUpsertResult, 'passes'> | undefined;
  while (dirty) {
    if (state.passes >= maxPasses) {
      if (v2) publishCode();
      await continueAsNew<typeof customerUpsert>({
        customerId,
        seenEventIds: [...seen].slice(-SEEN_EVENTS_KEPT),
        specterCustomerId: synced.code,
        sourceFingerprint: synced.fingerprint,
        maxPassesPerRun: input.maxPassesPerRun,
        specterWriteMaxAttempts: input.specterWriteMaxAttempts,
        ...(v2 ? { version: input.version } : {}),
      });
    }
    dirty = false;
    state.pendingChanges = 0;
    state.passes += 1;
    if (state.status === 'waiting') setStatus('running');
    try {
      // Signals that arrive during the pass set `dirty` again (the SDK delivers them before the
      // activity results of the same activation), so no change is left unsynced.
      const outcome = await syncOnce(customerId, state, synced, upsertSpecterCustomer, steps);
      if (outcome.kind === 'parked') {
        setStatus('waiting');
        // Until App4Sales takes the code: the next change, an operator's sync, or the recheck.
        if (!(await condition(() => dirty, PARKED_RECHECK))) dirty = true;
        continue;
      }
      result = outcome.result;
    } catch (err) {
      if (isCancellation(err)) {
        state.lastError = 'cancelled by an operator';
        setStatus('cancelled');
        throw err;
      }
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

/** How a pass loads, publishes the code and writes it back: per command sequence (input.version). */
interface Steps {
  load: CustomerUpsertActivities['loadApp4SalesCustomer'];
  targetCode(code: string | null): void;
  record: CustomerUpsertActivities['recordCustomerCode'];
}

/** Keep FieldBridgeTargetCode current; each change is one search-attribute upsert (one action). */
function setTargetCode(state: SyncState, code: string | null): void {
  if (!code || state.targetCode === code) return;
  state.targetCode = code;
  upsertSearchAttributes([{ key: TargetCodeKey, value: code }]);
}

async function syncOnce(
  customerId: string,
  state: SyncState,
  synced: Synced,
  upsertSpecterCustomer: ReturnType<typeof specterWrite>,
  steps: Steps,
): Promise<PassOutcome> {
  state.step = 'loading';
  const source = await steps.load({ customerId, recall: synced.code === null });
  if (synced.code === null && source.earlierSync) {
    synced.code = source.earlierSync.specterCustomerId;
    synced.fingerprint = source.earlierSync.sourceFingerprint;
  }
  const sourceCode = source.customer.CustomerCode?.trim() || null;
  if (sourceCode && synced.code && sourceCode !== synced.code) {
    log.warn('App4Sales names another Specter customer than this sync wrote: following App4Sales', {
      customerId,
      customerCode: sourceCode,
      specterCustomerId: synced.code,
    });
  }
  // The customer to update: App4Sales' CustomerCode, else the one this sync already knows. Only a
  // customer known to neither is created.
  const code = sourceCode ?? synced.code;
  steps.targetCode(code);

  state.step = 'mapping';
  const mapping = mapCustomerToSpecter(code && !sourceCode ? withCustomerCode(source, code) : source);
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
  for (const w of mapping.warnings) {
    log.warn('value left out of the Specter customer', { customerId, field: w.field, reason: w.reason });
  }

  state.step = 'upserting';
  let upserted: UpsertSpecterCustomerResult | null = null;
  const unchanged = code !== null && code === synced.code && source.sourceFingerprint === synced.fingerprint;
  if (unchanged) {
    log.info('Specter already holds this customer as it is in App4Sales: nothing sent', { customerId, specterCustomerId: code });
  } else {
    upserted = await upsertInSpecter(upsertSpecterCustomer, customerId, mapping.payload);
    synced.code = upserted.code;
    synced.fingerprint = source.sourceFingerprint ?? null;
  }
  const specterCustomerId = upserted?.code ?? code!;
  steps.targetCode(specterCustomerId);

  state.step = 'recording';
  if (sourceCode !== specterCustomerId) {
    try {
      await steps.record({ app4salesCustomerId: customerId, customerCode: specterCustomerId });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Specter holds the customer and this sync keeps its code: a later pass updates it, never
      // creates another. Park until App4Sales takes the code.
      state.lastError =
        `Specter customer ${specterCustomerId} is synced, but App4Sales did not take it as the CustomerCode of customer ${customerId}: ` +
        `${innermostMessage(err)}. Waiting: fix the customer in App4Sales (its change resumes the sync) or run ` +
        `\`fieldbridge sync app4sales-customer ${customerId}\`; retried every ${PARKED_RECHECK} meanwhile.`;
      log.warn('CustomerCode write-back refused: sync parked with the code known', { customerId, specterCustomerId, error: state.lastError });
      return { kind: 'parked' };
    }
  }
  state.lastError = null;
  log.info('customer synced to Specter', { customerId, specterCustomerId, created: upserted?.created ?? false, written: upserted !== null });
  return {
    kind: 'synced',
    result: {
      customerId,
      specterCustomerId,
      created: upserted?.created ?? false,
      written: upserted !== null,
      truncatedFields: mapping.truncations.map((t) => t.field),
      sourceFingerprint: synced.fingerprint,
    },
  };
}

/**
 * The Specter write. When it gives up on a create whose last answer was lost (Specter may hold the
 * customer), look for it before failing, so the next run does not create a second one.
 */
async function upsertInSpecter(
  upsertSpecterCustomer: ReturnType<typeof specterWrite>,
  customerId: string,
  payload: SpecterPostCustomer,
): Promise<UpsertSpecterCustomerResult> {
  try {
    return await upsertSpecterCustomer({ app4salesCustomerId: customerId, payload });
  } catch (err) {
    if (payload.CustomerId || !answerWasLost(err)) throw err;
    const found = await findLostSpecterCustomer({ app4salesCustomerId: customerId, payload });
    if (!found) throw err;
    return found;
  }
}

/** The activity's last attempt sent its request and got no answer (or its worker died mid-request). */
function answerWasLost(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  return cause instanceof TimeoutFailure || (cause instanceof ApplicationFailure && cause.type === OUTCOME_UNKNOWN_FAILURE_TYPE);
}

function withCustomerCode(source: LoadedCustomer, code: string): LoadedCustomer {
  return { ...source, customer: { ...source.customer, CustomerCode: code } };
}
