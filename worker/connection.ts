/** The worker's own connection to Temporal (native, through the SDK's core bridge). */
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../common/config';
import { temporalConnectionOptions } from '../common/temporal-connection';

export function connectWorker(cfg: Config['temporal']): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(cfg));
}
