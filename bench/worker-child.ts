/**
 * The bench's worker process (forked by bench/worker-process.ts): one production-built worker
 * (createFieldBridgeWorker, as worker/main.ts builds it) on the task queue it is told, until told to stop.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { fieldBridgeDataConverter } from '../common/temporal-connection';
import { createActivityDeps } from '../worker/deps';
import { createFieldBridgeWorker, installRuntimeLogger } from '../worker/worker';
import { nullCustomerActivities } from './null-activities';
import type { WorkerChildMessage, WorkerChildStart } from './worker-process';

const send = (msg: WorkerChildMessage) => process.send?.(msg);

async function run(start: WorkerChildStart): Promise<void> {
  const log = createLogger({ name: 'worker', level: 'warn', format: 'json', destination: process.stderr });
  installRuntimeLogger(log);
  const dataConverter = fieldBridgeDataConverter(loadConfig(['temporal']).temporal);
  const connection = await NativeConnection.connect({ address: start.address });
  const closers: Array<() => Promise<unknown>> = [() => connection.close()];
  let activities;
  if (start.activities === 'real') {
    if (!start.adapters) throw new Error('real activities need the adapters');
    const clientConnection = await Connection.connect({ address: start.address });
    closers.push(() => clientConnection.close());
    const client = new Client({ connection: clientConnection, namespace: start.namespace, dataConverter });
    const deps = createActivityDeps(start.adapters, { client, taskQueue: start.depsTaskQueue ?? start.taskQueue });
    closers.unshift(() => deps.close());
    activities = createActivities(deps);
  } else {
    activities = nullCustomerActivities();
  }
  const worker = await createFieldBridgeWorker({
    connection,
    namespace: start.namespace,
    taskQueue: start.taskQueue,
    activities,
    workflowBundle: { code: readFileSync(start.bundle.codePath, 'utf8'), sourceMap: readFileSync(start.bundle.sourceMapPath, 'utf8') },
    dataConverter,
    shutdownGraceTime: '1s',
  });
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type === 'stop') worker.shutdown();
  });
  process.once('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  const running = worker.run();
  send({ type: 'ready' });
  await running;
  for (const close of closers) await close().catch(() => undefined);
  send({ type: 'stopped' });
}

process.once('message', (start: WorkerChildStart) => {
  run(start).then(
    () => process.exit(0),
    (err: unknown) => {
      send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
      process.stderr.write(`bench worker process: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
});
