/**
 * The namespace FieldBridge runs in, registered when a self-hosted cluster lacks it (`fieldbridge
 * setup`, and the PostgreSQL-backed server of `npm start -- --temporal postgres`). A namespace that
 * exists is left as it is (Temporal Cloud namespaces are created in Cloud, never here).
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
  opts: { retentionDays?: number } = {},
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
    return { registered: true };
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === ALREADY_EXISTS) return { registered: false };
    throw err;
  }
}
