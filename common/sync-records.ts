/**
 * What Temporal itself remembers of FieldBridge's syncs, read by activities that must not act
 * blindly: the code an earlier run of a sync learnt, the fingerprint of the source it last synced,
 * whether another source's sync already holds a target code, and how the previous attempt of the
 * running activity ended. Reads only (visibility, describe, a closed run's result): no actions.
 */
import type { Client } from '@temporalio/client';
import { TRANSIENT_FAILURE_TYPE, type RequestOutcome } from './errors';
import { SourceIdKey, SyncKindKey, TargetCodeKey, visibilityString, type SyncKind } from './search-attributes';

/** The latest earlier run of one source's sync that knew its target code. */
export interface EarlierSync {
  workflowId: string;
  runId: string;
  /** Temporal's status of that run: COMPLETED, FAILED, TERMINATED, … */
  status: string;
  targetCode: string;
  /** The closed run's result, when it completed. */
  result: unknown;
}

export class SyncRecords {
  constructor(private readonly client: Client) {}

  /**
   * The newest run of this source's sync, other than `exceptRunId`, that recorded a target code
   * (FieldBridgeTargetCode is set as soon as the target system answered, before the code is written
   * back, so a run that was terminated, failed or timed out afterwards still tells it).
   */
  async lastSyncWithCode(kind: SyncKind, sourceId: string, exceptRunId?: string): Promise<EarlierSync | null> {
    const query = `${SyncKindKey.name} = ${visibilityString(kind)} AND ${SourceIdKey.name} = ${visibilityString(sourceId)} AND ${TargetCodeKey.name} IS NOT NULL`;
    for await (const info of this.client.workflow.list({ query, pageSize: 10 })) {
      if (info.runId === exceptRunId) continue;
      const targetCode = info.typedSearchAttributes.get(TargetCodeKey);
      if (!targetCode) continue;
      const status = info.status.name;
      const result = status === 'COMPLETED' ? await this.closedRunResult(info.workflowId, info.runId).catch(() => undefined) : undefined;
      return { workflowId: info.workflowId, runId: info.runId, status, targetCode, result };
    }
    return null;
  }

  /** The result of one closed, completed run (that run only: continue-as-new is not followed). */
  closedRunResult<T = unknown>(workflowId: string, runId: string): Promise<T> {
    return this.client.workflow.getHandle(workflowId, runId, { followRuns: false }).result() as Promise<T>;
  }

  /** Source ids, other than `exceptSourceId`, whose syncs of this kind hold `targetCode`. */
  async sourcesHoldingCode(kind: SyncKind, targetCode: string, exceptSourceId: string): Promise<string[]> {
    const query = `${SyncKindKey.name} = ${visibilityString(kind)} AND ${TargetCodeKey.name} = ${visibilityString(targetCode)}`;
    const holders = new Set<string>();
    for await (const info of this.client.workflow.list({ query, pageSize: 50 })) {
      const sourceId = info.typedSearchAttributes.get(SourceIdKey);
      if (sourceId && sourceId !== exceptSourceId) holders.add(sourceId);
      if (holders.size >= 10) break;
    }
    return [...holders];
  }

  /**
   * How the previous attempt of a running activity ended, from the pending activity's last failure:
   * `not-processed` only when it reported that its request was refused before taking effect; a
   * timeout (the worker died mid-request), a lost answer, or anything unreadable is `unknown`.
   */
  async previousAttemptOutcome(workflowId: string, runId: string, activityId: string): Promise<RequestOutcome> {
    try {
      const description = await this.client.workflow.getHandle(workflowId, runId).describe();
      const pending = description.raw.pendingActivities?.find((a) => a.activityId === activityId);
      // Only a failure that says so is a clean refusal; ExternalOutcomeUnknown, a timeout or none is not.
      return pending?.lastFailure?.applicationFailureInfo?.type === TRANSIENT_FAILURE_TYPE ? 'not-processed' : 'unknown';
    } catch {
      return 'unknown';
    }
  }
}
