/**
 * A real FieldBridge stack for tests: the Temporal dev server (the provisioned CLI), both
 * simulators on random ports, and workers built exactly as in production (same factory, same
 * interceptors), with the adapters pointed at the simulators.
 */
import { randomUUID } from 'node:crypto';
import type { Duration } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { createLogger } from '../../common/logger';
import { startApp4SalesSimulator, type App4SalesSimulator } from '../../connectors/app4sales/simulator';
import { startSpecterSimulator, type SpecterSimulator } from '../../connectors/specter/simulator';
import { demoApp4SalesData } from '../../connectors/app4sales/demo-data';
import { simulatorAdapterConfig } from '../../scripts/simulator-adapter-config';
import { createActivityDeps } from '../../worker/deps';
import { bundleWorkflows, createFieldBridgeWorker, installRuntimeLogger } from '../../worker/worker';
import { devServerOptions } from './temporal-cli';

export const APP4SALES_API_KEY = 'test-app4sales-key';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';
export const SPECTER = { sbmId: 42, writeUser: { id: 'writer', key: 'write-key' }, readUser: { id: 'reader', key: 'read-key' } };
const CREDENTIALS = { app4salesApiKey: APP4SALES_API_KEY, webhookSecret: WEBHOOK_SECRET, specter: SPECTER };

export const testLogger = createLogger({ name: 'test', level: process.env.TEST_LOG_LEVEL ?? 'warn', format: 'json', destination: process.stderr });

export interface Stack {
  env: TestWorkflowEnvironment;
  app4sales: App4SalesSimulator;
  specter: SpecterSimulator;
  bundle: WorkflowBundleWithSourceMap;
  taskQueue: string;
  /** A worker on the stack's task queue, as the production worker builds it. */
  createWorker(opts?: { specterTimeoutMs?: number; shutdownGraceTime?: Duration }): Promise<{ worker: Worker; close(): Promise<void> }>;
  /** Run fn while a worker polls; the worker is shut down afterwards. */
  withWorker<T>(fn: () => Promise<T>, opts?: { specterTimeoutMs?: number }): Promise<T>;
  reset(): void;
  close(): Promise<void>;
}

export async function startStack(opts: { registerSearchAttributes?: boolean } = {}): Promise<Stack> {
  installRuntimeLogger(testLogger);
  const [env, app4sales, specter, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({ server: devServerOptions(opts.registerSearchAttributes === false ? [] : [...ALL_SEARCH_ATTRIBUTES]) }),
    startApp4SalesSimulator({ apiKey: APP4SALES_API_KEY, logger: false }),
    startSpecterSimulator({ ...SPECTER, logger: false }),
    bundleWorkflows(),
  ]);
  const taskQueue = `fieldbridge-test-${randomUUID()}`;
  let resets = 0;

  const stack: Stack = {
    env,
    app4sales,
    specter,
    bundle,
    taskQueue,
    async createWorker(opts = {}) {
      const deps = createActivityDeps(
        simulatorAdapterConfig({ app4sales, specter }, CREDENTIALS, { app4salesTimeoutMs: 5000, specterTimeoutMs: opts.specterTimeoutMs ?? 5000 }),
        { client: env.client, taskQueue },
      );
      const worker = await createFieldBridgeWorker({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        activities: createActivities(deps),
        workflowBundle: bundle,
        shutdownGraceTime: opts.shutdownGraceTime ?? '1s',
      });
      return { worker, close: () => deps.close() };
    },
    async withWorker(fn, opts) {
      const { worker, close } = await stack.createWorker(opts);
      try {
        return await worker.runUntil(fn());
      } finally {
        await close();
      }
    },
    reset() {
      app4sales.state.reset();
      app4sales.faults.clear();
      // Specter never reuses a customer id, and the syncs of earlier tests on this Temporal server
      // still hold theirs (FieldBridgeTargetCode): each reset starts at fresh ids.
      specter.state.reset(100_001 + 1000 * resets++);
      specter.faults.clear();
      app4sales.seed(demoApp4SalesData);
    },
    async close() {
      await Promise.all([app4sales.close(), specter.close()]);
      await env.teardown();
    },
  };
  stack.reset();
  return stack;
}

/** Poll until check() returns a truthy value (or fail after timeoutMs). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
