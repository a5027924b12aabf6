/**
 * What operators do with syncs: inspect one, list recent ones, register the search attributes.
 * The CLI is a thin shell over these functions.
 */
import { WorkflowFailedError, type Client, type Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  ALL_SEARCH_ATTRIBUTES,
  SourceIdKey,
  SourceSystemKey,
  SyncKindKey,
  SyncStatusKey,
  TargetCodeKey,
  TargetSystemKey,
} from '../common/search-attributes';
import { syncStateQuery, type SyncState } from '../workflows/definitions';

export interface SyncSummary {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, … */
  workflowStatus: string;
  syncStatus: string | null;
  kind: string | null;
  sourceSystem: string | null;
  sourceId: string | null;
  targetSystem: string | null;
  targetCode: string | null;
  startTime: Date;
  closeTime: Date | null;
}

export interface SyncReport extends SyncSummary {
  step: SyncState['step'] | null;
  passes: number | null;
  lastError: string | null;
  /** The activity being (re)tried right now, with its last failure. */
  pendingActivity: { type: string; attempt: number; lastFailure: string | null } | null;
}

function summarize(info: Omit<WorkflowExecutionInfo, 'raw'>): SyncSummary {
  const sa = info.typedSearchAttributes;
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    workflowStatus: info.status.name,
    syncStatus: sa.get(SyncStatusKey) ?? null,
    kind: sa.get(SyncKindKey) ?? null,
    sourceSystem: sa.get(SourceSystemKey) ?? null,
    sourceId: sa.get(SourceIdKey) ?? null,
    targetSystem: sa.get(TargetSystemKey) ?? null,
    targetCode: sa.get(TargetCodeKey) ?? null,
    startTime: info.startTime,
    closeTime: info.closeTime ?? null,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);
}

/** Step, status, last error and returned code of one sync. */
export async function describeSync(client: Client, workflowId: string): Promise<SyncReport> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const summary = summarize(description);
  const pending = description.raw.pendingActivities?.[0];
  const report: SyncReport = {
    ...summary,
    step: null,
    passes: null,
    lastError: null,
    pendingActivity: pending
      ? { type: pending.activityType?.name ?? '?', attempt: pending.attempt ?? 1, lastFailure: pending.lastFailure?.message ?? null }
      : null,
  };
  // The query needs a worker; do not hang when none is polling.
  const state = await withTimeout(handle.query(syncStateQuery).catch(() => undefined), 3000);
  if (state) {
    report.step = state.step;
    report.passes = state.passes;
    report.lastError = state.lastError;
    report.targetCode ??= state.targetCode;
  }
  if (description.status.name === 'FAILED') {
    report.lastError = await handle.result().then(
      () => null,
      (err: unknown) => failureMessage(err),
    );
  } else if (!report.lastError && report.pendingActivity?.lastFailure) {
    report.lastError = report.pendingActivity.lastFailure;
  }
  return report;
}

export interface ListFilter {
  status?: string;
  /** Matches the source or the target system. */
  system?: string;
  kind?: string;
  limit?: number;
}

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The visibility query `fieldbridge list` runs; the same text filters the Temporal UI. */
export function buildListQuery(filter: ListFilter): string {
  const clauses = [`${SyncKindKey.name} IS NOT NULL`];
  if (filter.status) clauses.push(`${SyncStatusKey.name} = ${quote(filter.status)}`);
  if (filter.kind) clauses.push(`${SyncKindKey.name} = ${quote(filter.kind)}`);
  if (filter.system) clauses.push(`(${SourceSystemKey.name} = ${quote(filter.system)} OR ${TargetSystemKey.name} = ${quote(filter.system)})`);
  // No ORDER BY: SQL visibility (dev server, self-hosted) rejects it; its default order is newest first.
  return clauses.join(' AND ');
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

const INDEXED_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
};

/** Register FieldBridge's search attributes on a namespace that lacks them. Returns what was added. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<{ added: string[]; present: string[] }> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  const missing = ALL_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_TYPES[key.type]])),
    });
  }
  return { added: missing.map((k) => k.name), present: ALL_SEARCH_ATTRIBUTES.filter((k) => known.has(k.name)).map((k) => k.name) };
}

/** The innermost message of a workflow failure (the activity's own error, not "Activity task failed"). */
function failureMessage(err: unknown): string {
  let current: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
