/**
 * The namespace FieldBridge runs in, registered when a self-hosted cluster lacks it (`fieldbridge
 * setup`, and the PostgreSQL-backed server of `npm start -- --temporal postgres`). A namespace that
 * exists is left as it is (Temporal Cloud namespaces are created in Cloud, never here). Resolves once
 * the cluster serves a namespace it registered.
 */
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';

/** gRPC NOT_FOUND. */
const NOT_FOUND = 5;
/** gRPC ALREADY_EXISTS: another process registered it between our describe and register. */
const ALREADY_EXISTS = 6;

export const DEFAULT_RETENTION_DAYS = 7;

export async function ensureNamespace(
  connection: Connection,
  namespace: string,
  opts: { retentionDays?: number; waitMs?: number } = {},
): Promise<{ registered: boolean }> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return { registered: false };
  } catch (err) {
    if (!(isGrpcServiceError(err) && err.code === NOT_FOUND)) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      description: 'FieldBridge syncs',
      workflowExecutionRetentionPeriod: msToTs(`${opts.retentionDays ?? DEFAULT_RETENTION_DAYS} days`),
    });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === ALREADY_EXISTS) return { registered: false };
    throw err;
  }
  await untilServed(connection, namespace, opts.waitMs ?? 60_000);
  return { registered: true };
}

/**
 * A namespace just registered is in the database at once but served only after the frontend's
 * namespace cache refreshes (system.namespaceCacheRefreshInterval, 10 s by default): until then
 * every call naming it, adding search attributes included, is NOT_FOUND.
 */
async function untilServed(connection: Connection, namespace: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace });
      return;
    } catch (err) {
      if (!(isGrpcServiceError(err) && err.code === NOT_FOUND) || Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
