/**
 * A real FieldBridge stack for tests: the Temporal dev server (the provisioned CLI), both
 * simulators on random ports, and workers built exactly as in production (same factory, same
 * interceptors), with the adapters pointed at the simulators.
 */
import { randomUUID } from 'node:crypto';
import type { Duration } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, createServiceChannelActivities } from '../../activities';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { createLogger } from '../../common/logger';
import { startApp4SalesSimulator, type App4SalesSimulator } from '../../connectors/app4sales/simulator';
import { startSpecterSimulator, type SpecterSimulator } from '../../connectors/specter/simulator';
import { demoApp4SalesData } from '../../connectors/app4sales/demo-data';
import { demoServiceTradeData } from '../../connectors/servicetrade/demo-data';
import { startServiceTradeSimulator, type ServiceTradeSimulator } from '../../connectors/servicetrade/simulator';
import { demoSpectrumAuthorization, demoSpectrumData, demoSpectrumSettings } from '../../connectors/spectrum/demo-data';
import { startSpectrumSimulator, type SpectrumSimulator } from '../../connectors/spectrum/simulator';
import type { Config } from '../../common/config';
import { DEFAULT_JOB_FLOW_CREDENTIALS, DEFAULT_MOBILE_FLOW_CREDENTIALS, simulatorAdapterConfig } from '../../scripts/simulator-adapter-config';
import { resetServiceChannelTokenCache } from '../../connectors/servicechannel/client';
import { resetServicePowerTokenCache } from '../../connectors/servicepower/client';
import { demoServiceChannelData } from '../../connectors/servicechannel/demo-data';
import { startServiceChannelSimulator, type ServiceChannelSimulator } from '../../connectors/servicechannel/simulator';
import { demoServicePowerData } from '../../connectors/servicepower/demo-data';
import { startServicePowerSimulator, type ServicePowerSimulator } from '../../connectors/servicepower/simulator';
import { createActivityDeps, serviceChannelRequestsPerMinute } from '../../worker/deps';
import { bundleWorkflows, createFieldBridgeWorker, createServiceChannelWorker, installRuntimeLogger } from '../../worker/worker';
import { devServerOptions } from './temporal-cli';

export const APP4SALES_API_KEY = 'test-app4sales-key';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';
export const SPECTER = { sbmId: 42, writeUser: { id: 'writer', key: 'write-key' }, readUser: { id: 'reader', key: 'read-key' } };
export const SERVICETRADE = DEFAULT_JOB_FLOW_CREDENTIALS.servicetrade;
export const SPECTRUM_AUTHORIZATION_ID = DEFAULT_JOB_FLOW_CREDENTIALS.spectrum.authorizationId;
export const SERVICECHANNEL = DEFAULT_MOBILE_FLOW_CREDENTIALS.servicechannel;
export const SERVICEPOWER = DEFAULT_MOBILE_FLOW_CREDENTIALS.servicepower;
const CREDENTIALS = { app4salesApiKey: APP4SALES_API_KEY, webhookSecret: WEBHOOK_SECRET, specter: SPECTER, ...DEFAULT_JOB_FLOW_CREDENTIALS, ...DEFAULT_MOBILE_FLOW_CREDENTIALS };

export interface WorkerOptions {
  specterTimeoutMs?: number;
  spectrumTimeoutMs?: number;
  shutdownGraceTime?: Duration;
  /** Job sync preferences on top of the test defaults (mapping wait, type map, …). */
  jobSync?: Partial<Config['jobSync']>;
  /**
   * Also run the ServiceChannel worker (the rate-limited task queue of the dispatch flow), with these
   * dispatch preferences and this ceiling on ServiceChannel requests per minute.
   */
  mobile?: { mobileSync?: Partial<Config['mobileSync']>; requestsPerMinute?: number };
}

export const testLogger = createLogger({ name: 'test', level: process.env.TEST_LOG_LEVEL ?? 'warn', format: 'json', destination: process.stderr });

export interface Stack {
  env: TestWorkflowEnvironment;
  app4sales: App4SalesSimulator;
  specter: SpecterSimulator;
  servicetrade: ServiceTradeSimulator;
  spectrum: SpectrumSimulator;
  servicechannel: ServiceChannelSimulator;
  servicepower: ServicePowerSimulator;
  bundle: WorkflowBundleWithSourceMap;
  taskQueue: string;
  /** A worker on the stack's task queue, as the production worker builds it. */
  createWorker(opts?: WorkerOptions): Promise<{ worker: Worker; close(): Promise<void> }>;
  /** Run fn while a worker polls; the worker is shut down afterwards. */
  withWorker<T>(fn: () => Promise<T>, opts?: WorkerOptions): Promise<T>;
  reset(): void;
  close(): Promise<void>;
}

/** dbFilename: the dev server keeps its SQLite database in this file (default: in memory). */
export async function startStack(opts: { registerSearchAttributes?: boolean; dbFilename?: string } = {}): Promise<Stack> {
  installRuntimeLogger(testLogger);
  const [env, app4sales, specter, servicetrade, spectrum, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: devServerOptions(opts.registerSearchAttributes === false ? [] : [...ALL_SEARCH_ATTRIBUTES], opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
    }),
    startApp4SalesSimulator({ apiKey: APP4SALES_API_KEY, logger: false }),
    startSpecterSimulator({ ...SPECTER, logger: false }),
    startServiceTradeSimulator({ clients: [SERVICETRADE], logger: false }),
    startSpectrumSimulator({
      authorizations: [demoSpectrumAuthorization(SPECTRUM_AUTHORIZATION_ID)],
      settings: { ...demoSpectrumSettings },
      seed: demoSpectrumData,
      logger: false,
    }),
    bundleWorkflows(),
  ]);
  const [servicechannel, servicepower] = await Promise.all([
    startServiceChannelSimulator({ clients: [{ clientId: SERVICECHANNEL.clientId, clientSecret: SERVICECHANNEL.clientSecret }], users: [{ username: SERVICECHANNEL.username, password: SERVICECHANNEL.password }], logger: false }),
    startServicePowerSimulator({ users: [{ username: SERVICEPOWER.username, password: SERVICEPOWER.password }], seed: demoServicePowerData, logger: false }),
  ]);
  const taskQueue = `fieldbridge-test-${randomUUID()}`;
  let resets = 0;

  const stack: Stack = {
    env,
    app4sales,
    specter,
    servicetrade,
    spectrum,
    servicechannel,
    servicepower,
    bundle,
    taskQueue,
    async createWorker(opts = {}) {
      const deps = createActivityDeps(
        simulatorAdapterConfig({ app4sales, specter, servicetrade, spectrum, servicechannel, servicepower }, CREDENTIALS, {
          app4salesTimeoutMs: 5000,
          specterTimeoutMs: opts.specterTimeoutMs ?? 5000,
          servicetradeTimeoutMs: 5000,
          spectrumTimeoutMs: opts.spectrumTimeoutMs ?? 5000,
          jobSync: opts.jobSync,
          mobileSync: opts.mobile?.mobileSync,
          servicechannelRequestsPerMinute: opts.mobile?.requestsPerMinute,
          servicechannelTimeoutMs: 5000,
          servicepowerTimeoutMs: 5000,
        }),
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
      if (!opts.mobile) return { worker, close: () => deps.close() };
      // The ServiceChannel worker runs beside the main one until close().
      const scWorker = await createServiceChannelWorker({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        activities: createServiceChannelActivities(deps),
        requestsPerMinute: serviceChannelRequestsPerMinute({ environment: 'production', requestsPerMinute: opts.mobile.requestsPerMinute }),
        shutdownGraceTime: '1s',
      });
      const scRun = scWorker.run();
      return {
        worker,
        async close() {
          scWorker.shutdown();
          await scRun;
          await deps.close();
        },
      };
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
      servicetrade.state.reset();
      servicetrade.faults.clear();
      servicetrade.state.seed(demoServiceTradeData);
      spectrum.state.reset();
      spectrum.faults.clear();
      servicechannel.state.reset();
      servicechannel.state.seed(demoServiceChannelData);
      servicechannel.faults.clear();
      resetServiceChannelTokenCache();
      resetServicePowerTokenCache();
      servicepower.state.reset();
      servicepower.faults.clear();
    },
    async close() {
      await Promise.all([app4sales.close(), specter.close(), servicetrade.close(), spectrum.close(), servicechannel.close(), servicepower.close()]);
      await env.teardown();
    },
  };
  stack.reset();
  return stack;
}

/**
 * Poll until check() returns a truthy value, failing only once progress() has not changed for stallMs
 * (work paced by a rate limit drains at the limit's speed, whatever the machine: what must not happen
 * is that it stops).
 */
export async function eventuallyWhileProgressing<T>(check: () => T | Promise<T>, progress: () => unknown, stallMs: number, what = 'condition'): Promise<NonNullable<T>> {
  let last = progress();
  let lastChange = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    const now = progress();
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      throw new Error(`timed out waiting for ${what}: no progress for ${stallMs} ms (progress stuck at ${String(now)})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
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

/** The environment of a production worker process (worker/main.ts) pointed at this stack. */
export function workerProcessEnv(stack: Stack, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: stack.env.address,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'debug',
    APP4SALES_BASE_URL: stack.app4sales.url,
    APP4SALES_API_KEY,
    SPECTER_BASE_URL: stack.specter.url,
    SPECTER_SBM_ID: String(SPECTER.sbmId),
    SPECTER_WRITE_USER_ID: SPECTER.writeUser.id,
    SPECTER_WRITE_USER_KEY: SPECTER.writeUser.key,
    SPECTER_READ_USER_ID: SPECTER.readUser.id,
    SPECTER_READ_USER_KEY: SPECTER.readUser.key,
    SERVICETRADE_BASE_URL: stack.servicetrade.url,
    SERVICETRADE_CLIENT_ID: SERVICETRADE.clientId,
    SERVICETRADE_CLIENT_SECRET: SERVICETRADE.clientSecret,
    SPECTRUM_WEB_SERVICES_URL: stack.spectrum.wsUrl,
    SPECTRUM_AUTHORIZATION_ID: SPECTRUM_AUTHORIZATION_ID,
    SPECTRUM_DEFAULT_WORK_ORDER_TYPE: 'SVC',
    SPECTRUM_DEFAULT_LEAD_SOURCE: 'SERVICETRADE',
    SPECTRUM_DEFAULT_WAREHOUSE: 'MAIN',
    SPECTRUM_WO_NUMBER_LEADING_CHARACTER: 'S',
    SPECTRUM_OTHER_ITEM_CODE: 'MISC',
    SERVICECHANNEL_ENVIRONMENT: 'production',
    SERVICECHANNEL_API_BASE_URL: stack.servicechannel.url,
    SERVICECHANNEL_TOKEN_URL: stack.servicechannel.tokenUrl,
    SERVICECHANNEL_CLIENT_ID: SERVICECHANNEL.clientId,
    SERVICECHANNEL_CLIENT_SECRET: SERVICECHANNEL.clientSecret,
    SERVICECHANNEL_USERNAME: SERVICECHANNEL.username,
    SERVICECHANNEL_PASSWORD: SERVICECHANNEL.password,
    SERVICEPOWER_BASE_URL: stack.servicepower.url,
    SERVICEPOWER_USERNAME: SERVICEPOWER.username,
    SERVICEPOWER_PASSWORD: SERVICEPOWER.password,
    // No metrics endpoint unless a test asks for one: worker processes of parallel tests would share 9464.
    WORKER_METRICS_PORT: '0',
    ...extra,
  };
}
