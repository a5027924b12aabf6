/**
 * ServiceTrade job -> Dexter + Chaney Spectrum work order (seeds 000 and 001).
 *
 *   load the job -> verify mappings (wait while the customer or location lacks its Spectrum code)
 *   -> build the work order -> create or update the header -> converge the material lines
 *   -> record the work order number on the job
 *
 * One workflow per job. Changes and rechecks that arrive while a pass runs (signals) are coalesced
 * into one more pass, which reloads the job, so Spectrum ends with the job as it is now.
 *
 * Convergence is the rule: after a timeout, a crash, a duplicate webhook or a re-run, Spectrum holds
 * one work order for the job (WorkOrderHeader with the explicit number is create-or-update) with
 * exactly the job's current items (the line rule is written in activities/job-to-work-order.ts).
 * When a step after the header fails for good, the saga undoes this run's lines and appends a note
 * saying why, so a re-run starts clean.
 *
 * Two command sequences (input.version, chosen at start; workflows/definitions.ts):
 *   - runs started without a version (before JOB_TO_WORK_ORDER_VERSION existed): every step is an
 *     activity: 5 workflow tasks, 4 activity tasks, 7 actions for a new job of any size (6 in the
 *     history and the lines' first heartbeat). Kept as it was, so their histories replay
 *     (test/histories/v1-job-to-work-order-*).
 *   - version 2: the load (an idempotent read, with the mapping checks) and the header (WorkOrderHeader
 *     with the explicit number: create-or-update, safe to repeat) are local activities run inside the
 *     first workflow task, with the same day-long retry policies (a backoff past 10 s becomes a
 *     durable timer); the lines stay one activity with its heartbeats; the number write-back is first
 *     tried as a local activity (a few quick attempts, in the workflow task that got the lines) and,
 *     when those fail transiently, continues as the activity with the day-long retry policy. 2
 *     workflow tasks, 1 activity task, 6 actions for a new job. A worker that dies inside the first
 *     workflow task loses nothing that counts: the task is retried and reads and writes the header
 *     again (the same create-or-update a retried activity makes). The saga, the waits on mappings,
 *     the GUID renewal and the lines' heartbeats are the same in both.
 *   - version 3: as version 2, with the number claimed before the header, in the same
 *     first workflow task (a local activity): the number recorded on the job wins (then nothing is
 *     claimed), else the one this chain wrote, else leading character + job number, which is refused
 *     (TargetConflict, nothing written) when Spectrum already holds a work order of that number; the
 *     claim records the number on the job, so the write-back after the lines is gone.
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
  upsertSearchAttributes,
  uuid4,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { JobToWorkOrderActivities, LoadedJob, MissingMapping, WrittenWorkOrder } from '../activities/job-to-work-order';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { NON_RETRYABLE_ERROR_TYPES, PermanentErrorTypes } from '../common/errors';
import { SyncStatusKey, TargetCodeKey, WaitingOnKey, type SyncStatus } from '../common/search-attributes';
import { clearableValues, fieldsSpectrumKeeps, lineGroups, mapJobToWorkOrder } from '../mappings/job-to-work-order';
import {
  jobToWorkOrderWorkflowId,
  recheckSignal,
  sourceChangedSignal,
  syncStateQuery,
  type JobToWorkOrderInput,
  type JobToWorkOrderResult,
  type SyncState,
} from './definitions';
import { innermostMessage } from './failures';

const retry: RetryPolicy = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES };

/** ServiceTrade reads and the number write-back: idempotent, retried for as long as ServiceTrade is down (up to a day). */
const { loadServiceTradeJob, recordWorkOrderNumber } = proxyActivities<JobToWorkOrderActivities>({
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '24h',
  retry,
});

/**
 * Spectrum writes that are safe to repeat: WorkOrderHeader with an explicit number (create-or-update)
 * and the compensation (deletes and a note). Retried through Spectrum's intermittent faults for up to a day.
 */
const { upsertWorkOrderHeader, compensateWorkOrder } = proxyActivities<JobToWorkOrderActivities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '24h',
  retry,
});

/**
 * The material lines: one activity whatever the item count; progress in heartbeats, so a retry
 * resumes. Every heartbeat that reaches the server is an action and the SDK sends one per 0.8 x
 * heartbeatTimeout at most, so a long timeout keeps the cost flat for a long line list; the price is
 * that a worker that dies mid-lines is noticed after that long (tests shorten it).
 */
const LINES_HEARTBEAT_TIMEOUT_MS = 120_000;
function linesActivity(heartbeatTimeoutMs: number) {
  return proxyActivities<JobToWorkOrderActivities>({
    startToCloseTimeout: '30m',
    heartbeatTimeout: heartbeatTimeoutMs,
    scheduleToCloseTimeout: '24h',
    retry,
  }).convergeWorkOrderLines;
}

/** Version 2: the ServiceTrade read as a local activity, same retry policy (backoffs past 10 s become durable timers). */
const localReads = proxyLocalActivities<JobToWorkOrderActivities>({
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '24h',
  localRetryThreshold: '10s',
  retry,
});

/** Version 2: the header (create-or-update, safe to repeat) as a local activity, same retry policy as the activity. */
const localHeader = proxyLocalActivities<JobToWorkOrderActivities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '24h',
  localRetryThreshold: '10s',
  retry,
}).upsertWorkOrderHeader;

/**
 * Version 3: the number claim (is a Spectrum work order of that number someone else's? then record it
 * on the job) before the header, as a local activity with the header's policy.
 */
const localClaim = proxyLocalActivities<JobToWorkOrderActivities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '24h',
  localRetryThreshold: '10s',
  retry,
}).claimWorkOrderNumber;

/** Version 2: the number write-back's quick tries, inside the workflow task (then the activity takes over). */
const quickRecord = proxyLocalActivities<JobToWorkOrderActivities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '20s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
}).recordWorkOrderNumber;

/** Passes per run before the history is rolled over with continue-as-new. */
const MAX_PASSES_PER_RUN = 25;
/** Event ids remembered for de-duplication. */
const SEEN_EVENTS_KEPT = 200;

export async function jobToWorkOrder(input: JobToWorkOrderInput): Promise<JobToWorkOrderResult> {
  const { jobId } = input;
  const maxPasses = input.maxPassesPerRun ?? MAX_PASSES_PER_RUN;
  const state: SyncState = { step: 'starting', status: 'running', passes: 0, pendingChanges: 0, targetCode: null, lastError: null, waitingOn: [] };
  const seen = new Set(input.seenEventIds ?? []);
  /** One Spectrum session (GUID) for all of this sync's calls, renewed when Spectrum says it timed out. */
  const session = { guid: input.guid ?? uuid4() };
  const convergeWorkOrderLines = linesActivity(input.linesHeartbeatTimeoutMs ?? LINES_HEARTBEAT_TIMEOUT_MS);
  const v2 = (input.version ?? 1) >= 2;
  const v3 = (input.version ?? 1) >= 3;
  const steps: Steps = v2
    ? {
        load: localReads.loadServiceTradeJob,
        header: localHeader,
        claim: v3 ? localClaim : null,
        async record(args) {
          try {
            await quickRecord(args);
          } catch (err) {
            // A refusal fails as it is (the saga undoes the lines); a transient failure goes on as the day-long activity.
            if (isCancellation(err) || isPermanent(err)) throw err;
            log.info('quick write-back of the work order number failed: retrying as an activity', { jobId, error: innermostMessage(err) });
            await recordWorkOrderNumber(args);
          }
        },
      }
    : { load: loadServiceTradeJob, header: upsertWorkOrderHeader, claim: null, record: recordWorkOrderNumber };
  const sync: SyncContext = { jobId, state, session, written: input.written ?? null, wake: { dirty: true, recheck: false }, convergeWorkOrderLines, steps };

  setHandler(syncStateQuery, () => ({ ...state, waitingOn: [...(state.waitingOn ?? [])], notices: [...(state.notices ?? [])] }));
  setHandler(sourceChangedSignal, ({ eventId }) => {
    if (seen.has(eventId)) {
      log.info('duplicate change event ignored', { jobId, eventId });
      return;
    }
    seen.add(eventId);
    if (state.step !== 'starting') state.pendingChanges += 1;
    sync.wake.dirty = true;
  });
  setHandler(recheckSignal, (request) => {
    log.info('recheck requested', { jobId, reason: request?.reason });
    sync.wake.recheck = true;
  });

  let result: Omit<JobToWorkOrderResult, 'passes'> | undefined;
  while (sync.wake.dirty) {
    if (state.passes >= maxPasses) {
      await continueAsNew<typeof jobToWorkOrder>({
        jobId,
        seenEventIds: [...seen].slice(-SEEN_EVENTS_KEPT),
        written: sync.written,
        guid: session.guid,
        maxPassesPerRun: input.maxPassesPerRun,
        linesHeartbeatTimeoutMs: input.linesHeartbeatTimeoutMs,
        ...(v2 ? { version: input.version } : {}),
      });
    }
    sync.wake.dirty = false;
    state.pendingChanges = 0;
    state.passes += 1;
    try {
      // Signals that arrive during the pass set `dirty` again, so no change is left unsynced.
      result = await syncJob(sync);
    } catch (err) {
      if (isCancellation(err)) {
        state.lastError = 'cancelled by an operator';
        setStatus(state, 'cancelled');
        throw err;
      }
      state.lastError = err instanceof Error ? innermostMessage(err) : String(err);
      if (sync.wake.dirty) {
        log.warn('sync pass failed, but newer changes arrived: syncing them', { jobId, error: state.lastError });
        continue;
      }
      setStatus(state, 'failed');
      throw err;
    }
  }
  state.lastError = null;
  state.step = 'done';
  state.targetCode = result!.workOrderNumber;
  // One upsert for the outcome: status and the work order number together.
  setStatus(state, 'completed', [{ key: TargetCodeKey, value: result!.workOrderNumber }]);
  return { ...result!, passes: state.passes };
}

interface SyncContext {
  jobId: number;
  state: SyncState;
  session: { guid: string };
  /** What this chain has written to Spectrum: the work order and its line groups. */
  written: WrittenWorkOrder | null;
  wake: { dirty: boolean; recheck: boolean };
  convergeWorkOrderLines: ReturnType<typeof linesActivity>;
  steps: Steps;
}

/** How a pass loads the job, writes the header and records the number: per command sequence (input.version). */
interface Steps {
  load: JobToWorkOrderActivities['loadServiceTradeJob'];
  header: JobToWorkOrderActivities['upsertWorkOrderHeader'];
  /** Version 3: make the work order number this job's before the header is written (null before). */
  claim: JobToWorkOrderActivities['claimWorkOrderNumber'] | null;
  record: JobToWorkOrderActivities['recordWorkOrderNumber'];
}

/** A failure retrying cannot fix (non-retryable, or one of the permanent types). */
function isPermanent(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && (cause.nonRetryable === true || NON_RETRYABLE_ERROR_TYPES.includes(cause.type ?? ''));
}

/** Status and what it waits on, in one search-attribute upsert (one action) when either changes. */
function setStatus(state: SyncState, status: SyncStatus, extra: SearchAttributeUpdatePair[] = [], waitingOn: string[] = []): void {
  const waitChanged = (state.waitingOn ?? []).join(',') !== waitingOn.join(',');
  if (state.status === status && !waitChanged && extra.length === 0) return;
  state.status = status;
  state.waitingOn = waitingOn;
  upsertSearchAttributes([{ key: SyncStatusKey, value: status }, { key: WaitingOnKey, value: waitingOn }, ...extra]);
}

async function syncJob(sync: SyncContext): Promise<Omit<JobToWorkOrderResult, 'passes'>> {
  const { jobId, state, session } = sync;
  state.step = 'loading';
  let loaded = await sync.steps.load({ jobId, recall: sync.written === null, guid: session.guid });
  if (sync.written === null && loaded.earlierSync) sync.written = loaded.earlierSync;

  state.step = 'verifying';
  if (loaded.missing.length > 0) loaded = await waitForMappings(sync, loaded);
  if (state.status === 'waiting') setStatus(state, 'running');

  state.step = 'mapping';
  const mapping = mapJobToWorkOrder(loaded.source, loaded.settings);
  if (mapping.problems.length > 0) {
    throw ApplicationFailure.create({
      type: PermanentErrorTypes.InvalidSourceRecord,
      message: `ServiceTrade job ${jobId} (number ${loaded.jobNumber}) cannot become a Spectrum work order: ${mapping.problems.join('; ')}`,
      nonRetryable: true,
      details: [{ jobId, problems: mapping.problems }],
    });
  }
  for (const t of mapping.truncations) {
    log.warn('value truncated to Spectrum max length', { jobId, field: t.field, maxLength: t.maxLength, originalLength: t.originalLength });
  }
  for (const note of mapping.notes) log.warn('value left out of the work order', { jobId, note });
  for (const item of mapping.skippedItems) log.warn('job item not sent as a material line', { jobId, ...item });
  log.info('work order type chosen', { jobId, ...mapping.workOrderType });

  let workOrderNumber = mapping.workOrderNumber;
  let header = mapping.header;
  let numberRecorded = false;
  const claim = sync.steps.claim;
  if (claim) {
    // Version 3: the number already recorded on the job wins (a changed leading character or a
    // renumbered job keeps its work order), else the one this chain wrote, else the computed one;
    // a number not yet on the job is claimed first: refused when Spectrum holds a work order of
    // that number FieldBridge did not write for this job, else recorded on the job.
    const ours = loaded.recordedIds[0] ?? sync.written?.workOrderNumber;
    workOrderNumber = ours ?? mapping.workOrderNumber;
    if (workOrderNumber !== mapping.workOrderNumber) {
      log.info('work order number kept: the one recorded for this job', { jobId, workOrderNumber, computed: mapping.workOrderNumber });
      header = { ...mapping.header, WO_Number: workOrderNumber };
    }
    if (!loaded.recordedIds.includes(workOrderNumber)) {
      state.step = 'recording';
      await withSession(session, () => claim({ jobId, guid: session.guid, workOrderNumber, jobNumber: loaded.jobNumber, known: ours !== undefined }));
      numberRecorded = true;
    }
  }
  state.step = 'upserting';
  await withSession(session, () => sync.steps.header({ jobId, guid: session.guid, header }));
  // Spectrum keeps a value the job has emptied since FieldBridge wrote it: say so, once.
  const sameOrder = sync.written?.workOrderNumber === workOrderNumber;
  const keptInSpectrum = fieldsSpectrumKeeps(workOrderNumber, sameOrder ? sync.written?.headerFields : undefined, header);
  for (const kept of keptInSpectrum) log.warn('value emptied in ServiceTrade is kept by Spectrum', { jobId, workOrderNumber, field: kept.field });
  state.notices = keptInSpectrum.map((k) => k.message);
  const headerFields = clearableValues(header);

  const groups = lineGroups(mapping.lines);
  const previous = sameOrder ? sync.written!.lineGroups : {};
  // Every item code this run may write or delete: what the compensation removes.
  const touchedCodes = [...new Set([...groups.map((g) => g.itemCode), ...Object.keys(previous)])];
  let linesAdded = 0;
  try {
    state.step = 'writing-lines';
    const lines = await withSession(session, () =>
      sync.convergeWorkOrderLines({ jobId, guid: session.guid, workOrderNumber, groups, previous }),
    );
    sync.written = { workOrderNumber, lineGroups: lines.lineGroups, headerFields };
    linesAdded = lines.added;

    state.step = 'recording';
    if (!claim && !loaded.recordedIds.includes(workOrderNumber)) {
      await sync.steps.record({ jobId, workOrderNumber });
      numberRecorded = true;
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    await compensate(sync, workOrderNumber, touchedCodes, headerFields, err);
    throw err;
  }
  log.info('job synced to Spectrum', { jobId, workOrderNumber, linesAdded, numberRecorded });
  return {
    jobId,
    workOrderNumber,
    lineGroups: sync.written.lineGroups,
    linesAdded,
    numberRecorded,
    headerFields,
    ...(keptInSpectrum.length > 0 ? { keptInSpectrum } : {}),
  };
}

/**
 * The saga's compensation: remove the lines of every item code this run touched and append a note
 * with the reason. Its own failure is logged and never hides the original one; the codes are then
 * remembered as unknown, so the next pass deletes and rewrites them.
 */
async function compensate(sync: SyncContext, workOrderNumber: string, itemCodes: string[], headerFields: Record<string, string>, cause: unknown): Promise<void> {
  const { jobId, state, session } = sync;
  state.step = 'compensating';
  const reason = innermostMessage(cause);
  try {
    await withSession(session, () => compensateWorkOrder({ jobId, guid: session.guid, workOrderNumber, itemCodes, reason }));
    sync.written = { workOrderNumber, lineGroups: {}, headerFields };
  } catch (err) {
    log.error('compensation failed: the work order may keep lines of this run', { jobId, workOrderNumber, error: innermostMessage(err) });
    sync.written = { workOrderNumber, lineGroups: Object.fromEntries(itemCodes.map((code) => [code, 'unknown'])), headerFields };
  }
}

/**
 * Verify mappings: wait, as `waiting`, until the customer and location carry their Spectrum codes.
 * Woken by `recheck` (an operator, the Temporal UI, or the receiver when ServiceTrade reports the
 * record changed), by a change to the job, or by the periodic recheck; fails after the deadline.
 */
async function waitForMappings(sync: SyncContext, first: LoadedJob): Promise<LoadedJob> {
  const { jobId, state } = sync;
  const deadline = workflowNow() + first.settings.mappingWaitMs;
  let loaded = first;
  while (loaded.missing.length > 0) {
    const message = describeMissingMappings(jobId, loaded, deadline);
    state.lastError = message;
    setStatus(state, 'waiting', [], loaded.missing.map((m) => m.waitKey));
    const remaining = deadline - workflowNow();
    if (remaining <= 0) {
      throw ApplicationFailure.create({
        type: PermanentErrorTypes.MappingNotFound,
        message:
          `${missingMappingsText(jobId, loaded)} Gave up after waiting ${formatDuration(loaded.settings.mappingWaitMs)}: add the code, ` +
          `then run \`fieldbridge sync servicetrade-job ${jobId}\`.`,
        nonRetryable: true,
        details: [{ jobId, missing: loaded.missing.map(({ record, id, problem }) => ({ record, id, problem })) }],
      });
    }
    log.info('waiting for mappings', { jobId, waitingOn: state.waitingOn });
    await condition(() => sync.wake.recheck || sync.wake.dirty, Math.min(remaining, loaded.settings.mappingRecheckMs));
    // The reload below reads the job as it is now: it covers the changes that woke us.
    sync.wake.recheck = false;
    sync.wake.dirty = false;
    state.step = 'loading';
    loaded = await sync.steps.load({ jobId, guid: sync.session.guid });
    state.step = 'verifying';
  }
  state.lastError = null;
  return loaded;
}

/** Which record lacks which code (ids and names of ServiceTrade records, no customer data beyond the name). */
function missingMappingsText(jobId: number, loaded: LoadedJob): string {
  const what = loaded.missing.map((m: MissingMapping) => `${m.record} ${m.id} ("${m.name}") ${m.problem}`).join(' and ');
  return `ServiceTrade job ${jobId} (number ${loaded.jobNumber}) waits for its Spectrum mappings: ${what}.`;
}

/** What a waiting sync shows (`fieldbridge status`, the UI): what is missing, how to fix it, until when. */
function describeMissingMappings(jobId: number, loaded: LoadedJob, deadline: number): string {
  return (
    `${missingMappingsText(jobId, loaded)} Add the code as the record's external id for system "${loaded.settings.externalSystemName}" ` +
    `in ServiceTrade: the sync resumes by itself, or run \`fieldbridge recheck ${jobToWorkOrderWorkflowId(jobId)}\`. ` +
    `Gives up at ${new Date(deadline).toISOString()}.`
  );
}

/**
 * A Spectrum call; when Spectrum says the session (GUID) timed out, renew it once and call again. An
 * activity's failure is an ActivityFailure around the ApplicationFailure; a local activity's (the
 * header in version 2) is the ApplicationFailure itself.
 */
async function withSession<T>(session: { guid: string }, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (!(cause instanceof ApplicationFailure && cause.type === PermanentErrorTypes.SpectrumSessionExpired)) throw err;
    const expired = session.guid;
    session.guid = uuid4();
    log.info('Spectrum session timed out: new GUID', { expired, renewed: session.guid });
    return call();
  }
}

/** Workflow time: the SDK's deterministic clock (the time of the current workflow task). */
function workflowNow(): number {
  return new Date().getTime();
}

function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day(s)`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour(s)`;
  return `${Math.round(ms / 1000)} s`;
}
