import type { Client } from '@temporalio/client';
import { visibilityString } from './search-attributes';

/**
 * The newest completed run of `workflowType` on `taskQueue`, found in Temporal's visibility among the
 * first `scan` runs it lists; null when none has completed yet. The sweeps and the reconciliation keep
 * where they stopped (their watermark) in their result, so each run starts from the last completed one.
 */
export async function newestCompletedRun(client: Client, workflowType: string, taskQueue: string, scan = 10): Promise<{ workflowId: string; runId: string } | null> {
  const query = `WorkflowType = ${visibilityString(workflowType)} AND ExecutionStatus = "Completed" AND TaskQueue = ${visibilityString(taskQueue)}`;
  let newest: { workflowId: string; runId: string; closeTime: number } | null = null;
  let seen = 0;
  for await (const info of client.workflow.list({ query, pageSize: scan })) {
    const closeTime = info.closeTime?.getTime() ?? 0;
    if (!newest || closeTime > newest.closeTime) newest = { workflowId: info.workflowId, runId: info.runId, closeTime };
    if (++seen >= scan) break;
  }
  return newest ? { workflowId: newest.workflowId, runId: newest.runId } : null;
}
