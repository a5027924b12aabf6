/**
 * What operators do with syncs: inspect one, list recent ones, wake waiting ones, register the
 * search attributes. The CLI is a thin shell over these functions.
 */
import { WorkflowFailedError, type Client, type Connection, type ScheduleDescription, type WorkflowExecutionInfo } from '@temporalio/client';
import { ApplicationFailure, TemporalFailure, TimeoutFailure, TerminatedFailure, CancelledFailure } from '@temporalio/common';
import {
  ALL_SEARCH_ATTRIBUTES,
  SourceIdKey,
  SourceSystemKey,
  SyncKindKey,
  SyncStatusKey,
  TargetCodeKey,
  TargetSystemKey,
  visibilityString,
  WaitingOnKey,
} from '../common/search-attributes';
import { failureMessage } from '../common/codec';
import { SERVICECHANNEL_PERMISSIONS } from '../connectors/servicechannel/schemas';
import { recheckSignal, syncStateQuery, type SyncState } from '../workflows/definitions';
import { INDEXED_VALUE_TYPES } from './readiness';
import type { CustomerSweepScheduleState } from './schedules';

export interface SyncSummary {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, … */
  workflowStatus: string;
  /**
   * FieldBridgeSyncStatus as the workflow recorded it, corrected by Temporal's status where the
   * workflow could not record it: a terminated or timed-out run shows so, never `running`.
   */
  syncStatus: string | null;
  kind: string | null;
  sourceSystem: string | null;
  sourceId: string | null;
  targetSystem: string | null;
  targetCode: string | null;
  /** What a waiting sync waits on (FieldBridgeWaitingOn, e.g. `servicetrade:location:42`); empty otherwise. */
  waitingOn: string[];
  startTime: Date;
  closeTime: Date | null;
}

export interface SyncFailure {
  /** The failure type an operator searches for: e.g. CustomerCouldNotCreatedOrUpdated, TransientExternalError, StartToCloseTimeout. */
  type: string | null;
  message: string;
  /** True when Temporal will try again by itself; false when it needs a fix (or the run is over). */
  willRetry: boolean;
}

export interface SyncReport extends SyncSummary {
  step: SyncState['step'] | null;
  passes: number | null;
  lastError: string | null;
  /** Why the sync failed, or why its current step is being retried. */
  failure: SyncFailure | null;
  /** The activity being (re)tried right now, with its last failure. */
  pendingActivity: { type: string; attempt: number; lastFailure: string | null; nextAttemptAt: Date | null } | null;
  /** What an operator can do next. */
  nextStep: string | null;
  /** What the sync's last pass asks an operator to do by hand (e.g. clear a value Spectrum keeps). */
  notices: string[];
}

/** Temporal's status where it says more than the recorded FieldBridgeSyncStatus can. */
export function effectiveSyncStatus(recorded: string | null, workflowStatus: string): string | null {
  switch (workflowStatus) {
    case 'TERMINATED':
      return 'terminated';
    case 'TIMED_OUT':
      return 'timed-out';
    case 'CANCELLED':
      return 'cancelled';
    case 'FAILED':
      return 'failed';
    case 'COMPLETED':
      return 'completed';
    default:
      return recorded;
  }
}

function summarize(info: Omit<WorkflowExecutionInfo, 'raw'>): SyncSummary {
  const sa = info.typedSearchAttributes;
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    workflowStatus: info.status.name,
    syncStatus: effectiveSyncStatus(sa.get(SyncStatusKey) ?? null, info.status.name),
    kind: sa.get(SyncKindKey) ?? null,
    sourceSystem: sa.get(SourceSystemKey) ?? null,
    sourceId: sa.get(SourceIdKey) ?? null,
    targetSystem: sa.get(TargetSystemKey) ?? null,
    targetCode: sa.get(TargetCodeKey) ?? null,
    // A closed run may still carry the list it was waiting on when it stopped: only an open one waits.
    waitingOn: info.status.name === 'RUNNING' ? [...(sa.get(WaitingOnKey) ?? [])] : [],
    startTime: info.startTime,
    closeTime: info.closeTime ?? null,
  };
}

/** Step, status, last error and returned code of one sync. */
export async function describeSync(client: Client, workflowId: string): Promise<SyncReport> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const summary = summarize(description);
  const pending = description.raw.pendingActivities?.[0];
  const nextAttempt = pending?.nextAttemptScheduleTime?.seconds;
  // Raw failures come back encoded (with encryption on, the message is "Encoded failure"): decode them.
  const pendingFailureMessage = await failureMessage(client.options.loadedDataConverter, pending?.lastFailure);
  const report: SyncReport = {
    ...summary,
    step: null,
    passes: null,
    lastError: null,
    failure: null,
    pendingActivity: pending
      ? {
          type: pending.activityType?.name ?? '?',
          attempt: pending.attempt ?? 1,
          lastFailure: pendingFailureMessage,
          nextAttemptAt: nextAttempt ? new Date(Number(nextAttempt) * 1000) : null,
        }
      : null,
    nextStep: null,
    notices: [],
  };
  if (pending?.lastFailure) {
    const info = pending.lastFailure;
    report.failure = {
      type: info.applicationFailureInfo?.type ?? (info.timeoutFailureInfo ? 'Timeout' : null),
      message: pendingFailureMessage ?? '',
      willRetry: !info.applicationFailureInfo?.nonRetryable,
    };
  }
  // The query needs a worker; do not hang when none is polling. The call itself is cancelled, so
  // nothing is left retrying against a connection the caller is about to close.
  const state = await client.withAbortSignal(AbortSignal.timeout(3000), () => handle.query(syncStateQuery)).catch(() => undefined);
  if (state) {
    report.step = state.step;
    report.passes = state.passes;
    report.lastError = state.lastError;
    report.notices = [...(state.notices ?? [])];
    report.targetCode ??= state.targetCode;
  }
  if (['FAILED', 'TERMINATED', 'CANCELLED', 'TIMED_OUT'].includes(description.status.name)) {
    report.failure = await handle.result().then(
      () => null,
      (err: unknown) => describeFailure(err),
    );
    report.lastError = report.failure?.message ?? report.lastError;
  } else if (!report.lastError && report.pendingActivity?.lastFailure) {
    report.lastError = report.pendingActivity.lastFailure;
  } else if (!report.lastError && report.syncStatus === 'waiting' && report.waitingOn.length > 0) {
    // No worker answered the state query: the search attributes still say what it waits on.
    report.lastError = `waiting on ${report.waitingOn.join(' and ')} (no worker answered for the details)`;
  }
  report.nextStep = nextStepFor(report);
  return report;
}

/** The command that syncs this record again, by its kind. */
function syncCommand(r: SyncReport): string | null {
  if (!r.sourceId) return null;
  if (r.kind === 'customer-upsert') return `fieldbridge sync app4sales-customer ${r.sourceId}`;
  if (r.kind === 'job-to-work-order') return `fieldbridge sync servicetrade-job ${r.sourceId}`;
  if (r.kind === 'work-order-to-mobile') return `fieldbridge sync servicechannel-work-order ${r.sourceId}`;
  return null;
}

/** What the operator can do about a sync in this state. */
export function nextStepFor(r: SyncReport): string | null {
  if (r.kind === 'job-to-work-order') {
    const jobStep = nextStepForJobSync(r);
    if (jobStep !== undefined) return jobStep;
  }
  if (r.kind === 'work-order-to-mobile') {
    const mobileStep = nextStepForMobileSync(r);
    if (mobileStep !== undefined) return mobileStep;
  }
  const command = syncCommand(r);
  const sync = command ?? 'a new change at the source';
  switch (r.syncStatus) {
    case 'failed':
      if (r.failure?.type === 'MissingRequiredFields' || r.failure?.type === 'CustomerCouldNotCreatedOrUpdated' || r.failure?.type === 'InvalidRequest') {
        return `fix the ${r.sourceSystem ?? 'source'} record ${r.sourceId ?? ''} as the error says; its change webhook starts a new sync (or run \`${sync}\`)`;
      }
      if (r.failure?.type === 'AmbiguousTargetMatch') {
        return `pick the right ${r.targetSystem ?? 'target'} record, set it as the code at the source (or merge the duplicates), then run \`${sync}\``;
      }
      return `once the cause is fixed, run \`${sync}\``;
    case 'waiting':
      return `fix what the last error names; a change at the source resumes the sync, or run \`${sync}\``;
    case 'terminated':
    case 'cancelled':
    case 'timed-out':
      return `stopped before it finished: run \`${sync}\` to sync the record again (the known code is reused, nothing is created twice)`;
    case 'running':
      return r.failure?.willRetry ? `retrying by itself (attempt ${r.pendingActivity?.attempt ?? '?'}); nothing to do unless the error persists` : null;
    default:
      return null;
  }
}

/**
 * The job -> work order sync's own next steps: waiting for a mapping, and the failures an operator
 * fixes in ServiceTrade or Spectrum. Undefined: the general rule applies.
 */
function nextStepForJobSync(r: SyncReport): string | null | undefined {
  const again = `\`fieldbridge sync servicetrade-job ${r.sourceId ?? '<jobId>'}\``;
  if (r.syncStatus === 'waiting') {
    return (
      `add the missing Spectrum code in ServiceTrade, as the record's external id (the last error names the record and the code): ` +
      `the sync resumes by itself; or, once it is there, run \`fieldbridge recheck ${r.workflowId}\``
    );
  }
  if (r.syncStatus !== 'failed') return undefined;
  switch (r.failure?.type) {
    case 'MappingNotFound':
      return `add the missing Spectrum code in ServiceTrade (the record and code the error names) or fix the mapping, then run ${again}`;
    case 'InvalidSourceRecord':
      return `fix ServiceTrade job ${r.sourceId ?? ''} as the error says, then run ${again}`;
    case 'SpectrumNotAuthorized':
      return `grant the permission in Spectrum: the Authorization ID (SPECTRUM_AUTHORIZATION_ID) must be active and allowed the web service method and company the error names; then run ${again}`;
    case 'SpectrumRejected':
      return `Spectrum refused a column: the error names the column and the fix (in ServiceTrade, or in the job-sync settings); fix it, then run ${again}`;
    default:
      return undefined;
  }
}

/**
 * The ServiceChannel -> ServicePower work order sync's own next steps. Its workflow lives as long as
 * the work order and records a permanent problem instead of failing: a ServiceChannel write refused
 * for a permission the subscriber has not granted (ProviderPermissionMissing) leaves it `waiting` on
 * `servicechannel:subscriber:<id>`; a ServicePower 409 (TargetConflict) or 410 (TargetGone) marks it
 * `failed` while it keeps running. Undefined: the general rule applies.
 */
function nextStepForMobileSync(r: SyncReport): string | null | undefined {
  const again = `\`fieldbridge sync servicechannel-work-order ${r.sourceId ?? '<workOrderId>'}\``;
  const error = r.lastError ?? r.failure?.message ?? '';
  const type = r.failure?.type ?? null;
  const subscribers = r.waitingOn.filter((k) => k.startsWith('servicechannel:subscriber:')).map((k) => k.slice('servicechannel:subscriber:'.length));
  if (type === 'ProviderPermissionMissing' || (r.syncStatus === 'waiting' && (subscribers.length > 0 || /permission/i.test(error)))) {
    const permission = SERVICECHANNEL_PERMISSIONS.filter((p) => error.includes(p)).sort((a, b) => b.length - a.length)[0];
    const who = subscribers.length ? `ServiceChannel subscriber ${subscribers.join(', ')}` : 'the ServiceChannel subscriber the last error names';
    return (
      `ask ${who} to grant your provider account the permission ${permission ? `"${permission}"` : 'the last error names'} ` +
      `(the mobile work order is in ServicePower; only ServiceChannel was not updated); once granted, run \`fieldbridge recheck ${r.workflowId}\``
    );
  }
  if (r.syncStatus === 'waiting' && r.waitingOn.some((k) => k.startsWith('servicechannel:location:'))) {
    return `fix the ServiceChannel work order or its location as the last error says (or the dispatch settings: MOBILE_MANAGED_ACCOUNTS, MOBILE_TECHNICIAN_BY_TRADE), then run ${again}`;
  }
  if (r.syncStatus !== 'failed') return undefined;
  if (type === 'TargetConflict' || /\(409\b|conflicts with the work order's state/.test(error)) {
    return (
      `ServicePower refused the change as conflicting with mobile work order ${r.targetCode ?? '(see the error)'}'s state (e.g. already closed or being worked): ` +
      `look at it in ServicePower and settle it there (or in ServiceChannel), then run ${again}`
    );
  }
  if (type === 'TargetGone' || /\(410\b|has been deleted in ServicePower/.test(error)) {
    return `mobile work order ${r.targetCode ?? '(see the error)'} was deleted in ServicePower: if the work should still be done, create it again with ${again}`;
  }
  return undefined;
}

/** A Schedule's state, as `fieldbridge schedule …` prints it. */
export async function describeSchedule(client: Client, scheduleId: string): Promise<CustomerSweepScheduleState> {
  return summarizeSchedule(await client.schedule.getHandle(scheduleId).describe());
}

export async function pauseSchedule(client: Client, scheduleId: string, paused: boolean, note: string): Promise<CustomerSweepScheduleState> {
  const handle = client.schedule.getHandle(scheduleId);
  if (paused) await handle.pause(note);
  else await handle.unpause(note);
  return describeSchedule(client, scheduleId);
}

function summarizeSchedule(d: ScheduleDescription): CustomerSweepScheduleState {
  return {
    scheduleId: d.scheduleId,
    everyMs: d.spec.intervals?.[0]?.every ?? null,
    overlapPolicy: String(d.policies.overlap),
    paused: d.state.paused,
    note: d.state.note ?? null,
    nextRuns: d.info.nextActionTimes,
    recentRuns: d.info.recentActions.map((a) => ({ workflowId: a.action.workflow.workflowId, startedAt: a.takenAt })),
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
  };
}

/** One sync told to look again at what it waits on (the `recheck` signal). */
export interface RecheckedSync {
  workflowId: string;
  runId: string;
  /** What it was waiting on when signalled (FieldBridgeWaitingOn); empty when not waiting. */
  waitingOn: string[];
  syncStatus: string | null;
}

/** Signal `recheck` to one sync's running run. Fails (WorkflowNotFoundError) when the sync is not running. */
export async function recheckSync(client: Client, workflowId: string, reason: string): Promise<RecheckedSync> {
  const description = await client.workflow.getHandle(workflowId).describe();
  if (description.status.name !== 'RUNNING') {
    throw new Error(`${workflowId} is not running (${description.status.name.toLowerCase()}): there is nothing to recheck; start it again with \`fieldbridge sync …\``);
  }
  const summary = summarize(description);
  await client.workflow.getHandle(workflowId, description.runId).signal(recheckSignal, { reason });
  return { workflowId, runId: description.runId, waitingOn: summary.waitingOn, syncStatus: summary.syncStatus };
}

/** The visibility query for the running syncs that wait (on `waitKey`, when given). */
export function waitingSyncsQuery(waitKey?: string): string {
  const clauses = [`${SyncStatusKey.name} = "waiting"`, 'ExecutionStatus = "Running"'];
  if (waitKey) clauses.push(`${WaitingOnKey.name} = ${visibilityString(waitKey)}`);
  return clauses.join(' AND ');
}

/** Signal `recheck` to every running sync that waits (on `waitKey`, when given). Returns what was signalled. */
export async function recheckWaitingSyncs(client: Client, opts: { waitKey?: string; reason: string }): Promise<RecheckedSync[]> {
  const signalled: RecheckedSync[] = [];
  for await (const info of client.workflow.list({ query: waitingSyncsQuery(opts.waitKey), pageSize: 100 })) {
    const summary = summarize(info);
    await client.workflow.getHandle(info.workflowId, info.runId).signal(recheckSignal, { reason: opts.reason });
    signalled.push({ workflowId: info.workflowId, runId: info.runId, waitingOn: summary.waitingOn, syncStatus: summary.syncStatus });
  }
  return signalled;
}

export interface ListFilter {
  status?: string;
  /** Matches the source or the target system. */
  system?: string;
  kind?: string;
  limit?: number;
}

/** The visibility query `fieldbridge list` runs; the same text filters the Temporal UI. */
export function buildListQuery(filter: ListFilter): string {
  const clauses = [`${SyncKindKey.name} IS NOT NULL`];
  if (filter.status) clauses.push(statusClause(filter.status));
  if (filter.kind) clauses.push(`${SyncKindKey.name} = ${visibilityString(filter.kind)}`);
  if (filter.system) clauses.push(`(${SourceSystemKey.name} = ${visibilityString(filter.system)} OR ${TargetSystemKey.name} = ${visibilityString(filter.system)})`);
  // No ORDER BY: SQL visibility (dev server, self-hosted) rejects it; its default order is newest first.
  return clauses.join(' AND ');
}

/** Temporal's ExecutionStatus for the statuses it decides; running and waiting are the workflow's own. */
const EXECUTION_STATUS: Record<string, string> = {
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
};

function statusClause(status: string): string {
  const execution = EXECUTION_STATUS[status];
  if (execution) return `ExecutionStatus = ${visibilityString(execution)}`;
  // A run that was terminated while running still carries `running`: only open runs are running.
  return `${SyncStatusKey.name} = ${visibilityString(status)} AND ExecutionStatus = "Running"`;
}

/** Recent syncs, newest first. */
export async function listSyncs(client: Client, filter: ListFilter = {}): Promise<SyncSummary[]> {
  const limit = filter.limit ?? 50;
  const out: SyncSummary[] = [];
  for await (const info of client.workflow.list({ query: buildListQuery(filter), pageSize: Math.min(limit, 100) })) {
    out.push(summarize(info));
    if (out.length >= limit) break;
  }
  return out;
}

/** Register FieldBridge's search attributes on a namespace that lacks them. Returns what was added. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<{ added: string[]; present: string[] }> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  const missing = ALL_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]])),
    });
  }
  return { added: missing.map((k) => k.name), present: ALL_SEARCH_ATTRIBUTES.filter((k) => known.has(k.name)).map((k) => k.name) };
}

/**
 * The failure an operator acts on: the innermost cause (the activity's own error, not "Activity
 * task failed"), its type, and that a closed run does not retry.
 */
function describeFailure(err: unknown): SyncFailure {
  let current: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  let type: string | null = null;
  if (current instanceof ApplicationFailure) type = current.type ?? null;
  else if (current instanceof TimeoutFailure) type = `Timeout (${current.timeoutType})`;
  else if (current instanceof TerminatedFailure) type = 'Terminated';
  else if (current instanceof CancelledFailure) type = 'Cancelled';
  else if (current instanceof TemporalFailure) type = current.name;
  return { type, message: current instanceof Error ? current.message : String(current), willRetry: false };
}
