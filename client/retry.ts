/**
 * `fieldbridge retry`: re-run a failed sync from the step that failed, without redeploying.
 *
 * The failed run's history says which step failed (the activity in the failure, or the workflow
 * code itself for a mapping problem) and what the source record was when the run loaded it. The
 * sync is reset (Temporal's ResetWorkflowExecution, signals reapplied) to the workflow task that
 * scheduled the step to run again, so the steps completed before it are kept, not done again:
 *
 * - a transient failure whose retries ran out (the target was down, slow or throttling): from the
 *   failed step, with the inputs it had;
 * - a permanent failure (common/errors.ts PermanentErrorTypes, non-retryable) whose source record
 *   has changed since the run loaded it: from the step that loads that record, since every later
 *   step's input came from it (the failed step then sends the fixed record);
 * - a permanent failure whose source record has NOT changed: refused, naming the record and what to
 *   fix (client/next-steps.ts); `--force` when the fix was made elsewhere (in the target system or a
 *   setting), which resets to the failed step;
 * - a step undone by a compensation after the failure (the job flow's material lines) is re-run too.
 *
 * A waiting sync is pointed to `recheck`; a running or completed one is refused with the reason. The
 * dispatch flow's long-lived workflow marks itself failed while it keeps running: retry signals it
 * to read the work order again and send it, as `fieldbridge sync servicechannel-work-order` does.
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import Long from 'long';
import { SourceIdKey, SourceSystemKey, SyncKindKey, SyncStatusKey, TargetCodeKey, TargetSystemKey, visibilityString, WaitingOnKey } from '../common/search-attributes';
import { effectiveSyncStatus } from './operations';
import { readRun, decodeFirst, type HistoryStep, type RunFailure } from './history';
import { adviceFor, nextStepOf, sourceRecord, type NextStep, type SyncFacts } from './next-steps';
import { flowOfKind, LOAD_ACTIVITY, sourceIdentity, withFlowAdapters, type Flow, type FlowAdapters } from './source-records';
import { startWorkOrderToMobile } from '../common/starters';

/** Compensation activity -> the steps whose effects it undoes (re-run them when resetting past them). */
const UNDONE_BY: Record<string, string[]> = { compensateWorkOrder: ['convergeWorkOrderLines'] };

export interface RetryOptions {
  taskQueue: string;
  /** Retry a permanent failure although its source record has not changed (the fix was made in the target or a setting). */
  force?: boolean;
  /** Say what would be done, do nothing. */
  dryRun?: boolean;
}

export interface RetryOutcome {
  workflowId: string;
  /** The run that failed (the latest run when nothing failed). */
  runId: string;
  action: 'reset' | 'signalled' | 'refused' | 'would-reset' | 'would-signal';
  /** What was done, or why not. */
  reason: string;
  /** The new run a reset started. */
  newRunId?: string;
  /** Where the reset goes: the step run again and the workflow task completed event it resets to. */
  resetTo?: { step: string; eventId: number; from: 'failed step' | 'source load' | 'compensated step' };
  /** Completed steps kept (not done again), in order. */
  kept: string[];
  failure: RunFailure | null;
  /** Whether the source record changed since the failed run loaded it (null: not compared). */
  sourceChanged: boolean | null;
  nextStep: NextStep | null;
}

/** Sync kind and source of a workflow type, for a run started without FieldBridge's search attributes. */
const KIND_OF_TYPE: Record<string, { kind: string; sourceSystem: string }> = {
  customerUpsert: { kind: 'customer-upsert', sourceSystem: 'app4sales' },
  jobToWorkOrder: { kind: 'job-to-work-order', sourceSystem: 'servicetrade' },
  workOrderToMobile: { kind: 'work-order-to-mobile', sourceSystem: 'servicechannel' },
};

function facts(info: Omit<WorkflowExecutionInfo, 'raw'>, failure: RunFailure | null): SyncFacts {
  const sa = info.typedSearchAttributes;
  const byType = KIND_OF_TYPE[info.type];
  return {
    workflowId: info.workflowId,
    kind: sa.get(SyncKindKey) ?? byType?.kind ?? null,
    sourceSystem: sa.get(SourceSystemKey) ?? byType?.sourceSystem ?? null,
    // The workflow ids end with the source id (e.g. customer-upsert:app4sales:42).
    sourceId: sa.get(SourceIdKey) ?? (byType ? (info.workflowId.split(':').pop() ?? null) : null),
    targetSystem: sa.get(TargetSystemKey) ?? null,
    targetCode: sa.get(TargetCodeKey) ?? null,
    syncStatus: effectiveSyncStatus(sa.get(SyncStatusKey) ?? null, info.status.name),
    waitingOn: info.status.name === 'RUNNING' ? [...(sa.get(WaitingOnKey) ?? [])] : [],
    failure: failure ? { type: failure.type, message: failure.message, permanent: failure.permanent, details: failure.details } : null,
  };
}

/**
 * The step a run's failure names: the activity by its scheduled event, or a local activity by its
 * marker (client/history.ts matches a local failure to its marker), else the last failed marker of that type.
 */
function failedStepOf(steps: HistoryStep[], activity: NonNullable<RunFailure['activity']>): HistoryStep | null {
  const scheduled = steps.find((s) => s.scheduledEventId === activity.scheduledEventId);
  if (scheduled) return scheduled;
  return steps.filter((s) => s.local && s.activityType === activity.activityType && s.outcome === 'failed').pop() ?? null;
}

function refused(workflowId: string, runId: string, reason: string, extra: Partial<RetryOutcome> = {}): RetryOutcome {
  return { workflowId, runId, action: 'refused', reason, kept: [], failure: null, sourceChanged: null, nextStep: null, ...extra };
}

/** Retry one sync (its latest run). */
export async function retrySync(client: Client, workflowId: string, opts: RetryOptions): Promise<RetryOutcome> {
  const info = await client.workflow.getHandle(workflowId).describe();
  const f = facts(info, null);
  const sync = f.kind && f.sourceId ? `\`fieldbridge sync ${flowOfKind(f.kind) ?? '<flow>'} ${f.sourceId}\`` : 'a new sync';
  switch (info.status.name) {
    case 'RUNNING': {
      if (f.syncStatus === 'waiting') {
        const step = nextStepOf(f);
        return refused(workflowId, info.runId, `${workflowId} is waiting, not failed${f.waitingOn.length ? ` (on ${f.waitingOn.join(', ')})` : ''}: once that is fixed, run \`fieldbridge recheck ${workflowId}\``, { nextStep: step });
      }
      if (f.kind === 'work-order-to-mobile' && f.syncStatus === 'failed' && f.sourceId) {
        if (opts.dryRun) return { workflowId, runId: info.runId, action: 'would-signal', reason: 'would signal it to read the work order again and send it', kept: [], failure: null, sourceChanged: null, nextStep: null };
        await startWorkOrderToMobile(client, opts.taskQueue, Number(f.sourceId), { eventId: `retry:${randomUUID()}`, eventType: 'OperatorRetry', source: 'cli' });
        return {
          workflowId,
          runId: info.runId,
          action: 'signalled',
          reason: 'its workflow keeps running: signalled to read the ServiceChannel work order again and send it to ServicePower',
          kept: [],
          failure: null,
          sourceChanged: null,
          nextStep: null,
        };
      }
      return refused(workflowId, info.runId, `${workflowId} is ${f.syncStatus ?? 'running'}, not failed: nothing to retry (\`fieldbridge status ${workflowId}\` shows what it does)`);
    }
    case 'COMPLETED':
      return refused(workflowId, info.runId, `${workflowId} completed: nothing to retry; ${sync} syncs the record again`);
    case 'FAILED':
      break;
    default:
      return refused(workflowId, info.runId, `${workflowId} was ${info.status.name.toLowerCase()}, not failed: ${sync} starts it again (the known target code is reused)`);
  }

  const run = await readRun(client, workflowId, info.runId);
  const failure = run.failure;
  const withFacts = facts(info, failure);
  const nextStep = nextStepOf(withFacts);
  const flow = flowOfKind(withFacts.kind);
  const failedStep = failure?.activity ? failedStepOf(run.steps, failure.activity) : null;
  const before = failedStep?.scheduledEventId ?? Number.MAX_SAFE_INTEGER;
  const loadStep = flow ? (run.steps.filter((s) => s.activityType === LOAD_ACTIVITY[flow] && s.scheduledEventId < before && s.outcome === 'completed').pop() ?? null) : null;

  let target: HistoryStep | null = null;
  let from: NonNullable<RetryOutcome['resetTo']>['from'] = 'failed step';
  let sourceChanged: boolean | null = null;
  const permanent = failure?.permanent ?? false;
  if (permanent && flow && failedStep && failedStep.activityType === LOAD_ACTIVITY[flow]) {
    // The load itself failed for good (e.g. the record did not exist): retry only once it loads.
    const now = await withFlowAdapters(flow, { client, taskQueue: opts.taskQueue }, (adapters) => loadNow(adapters, flow, withFacts.sourceId!)).then(
      () => null,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    if (now !== null && !opts.force) {
      return refused(workflowId, info.runId, `the failure (${failure?.type ?? 'unknown'}) is permanent and ${sourceRecord(withFacts)} still cannot be loaded: ${now}`, { failure, nextStep });
    }
    sourceChanged = now === null;
    target = failedStep;
  } else if (permanent && flow && loadStep) {
    const compared = await compareSource(client, opts.taskQueue, flow, withFacts.sourceId!, loadStep);
    if ('error' in compared) {
      return refused(workflowId, info.runId, `could not load ${sourceRecord(withFacts)} to compare it with the failed run: ${compared.error}`, { failure, nextStep });
    }
    sourceChanged = compared.changed;
    if (sourceChanged) {
      target = loadStep;
      from = 'source load';
    } else if (!opts.force) {
      const advice = adviceFor(failure?.type ?? null, true);
      return refused(
        workflowId,
        info.runId,
        `the failure (${failure?.type ?? 'unknown'}) is permanent and ${sourceRecord(withFacts)} has not changed since the failed run: ` +
          `retrying would fail the same way. Fix ${nextStep?.fix ?? 'the record'} (${advice.what}), then retry` +
          (advice.then === 'retry --force' || failure?.type === 'SpectrumRejected'
            ? `; when the fix is in ${withFacts.targetSystem ?? 'the target'} or a setting, not the record: \`fieldbridge retry --force ${workflowId}\``
            : ''),
        { failure, nextStep, sourceChanged },
      );
    } else {
      target = failedStep ?? loadStep;
      from = failedStep ? 'failed step' : 'source load';
    }
  } else {
    // Transient (or a failure raised by the workflow code with nothing to compare): the failed step, else the load.
    target = failedStep ?? loadStep;
    from = failedStep ? 'failed step' : 'source load';
  }
  if (!target) {
    return refused(workflowId, info.runId, `no step to re-run was found in the history of run ${info.runId} (failure: ${failure?.type ?? 'unknown'}): ${sync} starts it again`, { failure, nextStep });
  }
  // A compensation that ran after the target undid earlier steps of this pass: re-run those too.
  for (const comp of run.steps.filter((s) => UNDONE_BY[s.activityType] && s.scheduledEventId > target!.scheduledEventId)) {
    const undone = run.steps.filter((s) => UNDONE_BY[comp.activityType].includes(s.activityType) && s.scheduledEventId < target!.scheduledEventId && s.outcome === 'completed').pop();
    const passStart = loadStep?.scheduledEventId ?? 0;
    if (undone && undone.scheduledEventId > passStart) {
      target = undone;
      from = 'compensated step';
    }
  }
  // Kept: the steps of earlier workflow tasks. The reset runs the target's workflow task again, so
  // local activities of that task (a job sync of version 2: the load and the header, in the task that
  // schedules the lines) run again too; they are idempotent (a read, a create-or-update).
  const kept = run.steps
    .filter((s) => s.workflowTaskCompletedEventId < target!.workflowTaskCompletedEventId && s.outcome === 'completed')
    .map((s) => s.activityType);
  const resetTo = { step: target.activityType, eventId: target.workflowTaskCompletedEventId, from };
  const what = `re-run from ${target.activityType} (${from === 'source load' ? `the source record changed since the failed run` : from === 'compensated step' ? 'its effects were undone by the compensation' : `the step that failed${permanent ? ', --force' : ''}`})`;
  if (opts.dryRun) return { workflowId, runId: info.runId, action: 'would-reset', reason: `would ${what}`, resetTo, kept, failure, sourceChanged, nextStep };
  const response = await client.workflowService.resetWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId, runId: info.runId },
    reason: `fieldbridge retry: ${what}`,
    workflowTaskFinishEventId: Long.fromNumber(resetTo.eventId),
    requestId: randomUUID(),
    resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL,
  });
  return { workflowId, runId: info.runId, action: 'reset', reason: what, newRunId: response.runId ?? undefined, resetTo, kept, failure, sourceChanged, nextStep };
}

/** The source record as the failed run loaded it (its load step's result) against the record now. */
async function compareSource(client: Client, taskQueue: string, flow: Flow, sourceId: string, loadStep: HistoryStep): Promise<{ changed: boolean } | { error: string }> {
  const then = await decodeFirst<unknown>(client, loadStep.result);
  try {
    const now = await withFlowAdapters(flow, { client, taskQueue }, (adapters) => loadNow(adapters, flow, sourceId));
    return { changed: sourceIdentity(flow, then) !== sourceIdentity(flow, now) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function loadNow(adapters: FlowAdapters, flow: Flow, sourceId: string): Promise<unknown> {
  if (flow === 'app4sales-customer') return adapters.customer!.load(sourceId);
  if (flow === 'servicetrade-job') return adapters.job!.load(Number(sourceId));
  return adapters.workOrder!.load(Number(sourceId));
}

export interface RetryFilter {
  kind?: string;
  /** Only syncs that failed at most this long ago (ms). */
  sinceMs?: number;
}

/** The visibility query of the failed syncs `retry --status failed` looks at. */
export function failedSyncsQuery(filter: RetryFilter, now = new Date()): string {
  const clauses = ['ExecutionStatus = "Failed"', `${SyncKindKey.name} IS NOT NULL`];
  if (filter.kind) clauses.push(`${SyncKindKey.name} = ${visibilityString(filter.kind)}`);
  if (filter.sinceMs !== undefined) clauses.push(`CloseTime > ${visibilityString(new Date(now.getTime() - filter.sinceMs).toISOString())}`);
  return clauses.join(' AND ');
}

/** Retry every sync whose latest run failed (matching the filter), one by one. */
export async function retryFailedSyncs(client: Client, filter: RetryFilter, opts: RetryOptions): Promise<RetryOutcome[]> {
  const seen = new Set<string>();
  const outcomes: RetryOutcome[] = [];
  for await (const info of client.workflow.list({ query: failedSyncsQuery(filter), pageSize: 100 })) {
    if (seen.has(info.workflowId)) continue;
    seen.add(info.workflowId);
    // An older failed run of a sync that was retried (or synced again) since: its latest run decides.
    const latest = await client.workflow.getHandle(info.workflowId).describe();
    if (latest.runId !== info.runId && latest.status.name !== 'FAILED') continue;
    outcomes.push(await retrySync(client, info.workflowId, opts));
  }
  return outcomes;
}

/** One line per sync, as `fieldbridge retry` prints it. */
export function retryLine(o: RetryOutcome): string {
  switch (o.action) {
    case 'reset':
      return `retried ${o.workflowId}: ${o.reason}; new run ${o.newRunId}; kept (not done again): ${o.kept.join(', ') || 'nothing'}`;
    case 'would-reset':
      return `${o.workflowId}: ${o.reason}; would keep: ${o.kept.join(', ') || 'nothing'}`;
    case 'signalled':
    case 'would-signal':
      return `${o.workflowId}: ${o.reason}`;
    default:
      return `refused ${o.workflowId}: ${o.reason}`;
  }
}

/** The next step `fieldbridge status` prints for a failed or waiting sync, the failure's details read from its history. */
export async function nextStepForStatus(client: Client, r: { workflowId: string; runId: string; workflowStatus: string; kind: string | null; sourceSystem: string | null; sourceId: string | null; targetSystem: string | null; targetCode: string | null; syncStatus: string | null; waitingOn: string[]; lastError: string | null; failure: { type: string | null; message: string } | null }): Promise<NextStep | null> {
  if (r.syncStatus !== 'failed' && r.syncStatus !== 'waiting') return null;
  let failure: SyncFacts['failure'] = r.failure ? { type: r.failure.type, message: r.failure.message } : r.lastError ? { type: null, message: r.lastError } : null;
  if (r.workflowStatus === 'FAILED') {
    const run = await readRun(client, r.workflowId, r.runId).catch(() => null);
    if (run?.failure) failure = { type: run.failure.type, message: run.failure.message, permanent: run.failure.permanent, details: run.failure.details };
  }
  return nextStepOf({ ...r, failure });
}
