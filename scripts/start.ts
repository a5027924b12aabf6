/**
 * `npm start`: the whole FieldBridge stack on this machine, for development and demos.
 *
 *   Temporal dev server (SQLite in .data/, UI on :8233, FieldBridge's search attributes registered)
 *   + the App4Sales, Specter, ServiceTrade, Spectrum, ServiceChannel and ServicePower simulators
 *   + the worker + the webhook receiver
 *   + the demo ServiceTrade jobs synced (one to a Spectrum work order, one waiting for its mapping)
 *   + the demo ServiceChannel work orders sent to ServicePower, and the reconciliation Schedule
 *
 * Prints where to look; Ctrl-C stops everything. A second start reuses .data/temporal.db, so
 * earlier syncs stay visible. Every port and credential can be overridden by environment variable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ensureSearchAttributes } from '../client/operations';
import { CUSTOMER_SWEEP_SCHEDULE_ID, DEFAULT_SWEEP_INTERVAL, ensureCustomerSweepSchedule, formatInterval } from '../client/schedules';
import { ensureReconcileSchedule, RECONCILE_SCHEDULE_ID } from '../client/reconcile-schedule';
import { ensureJobSweepSchedule, JOB_SWEEP_SCHEDULE_ID } from '../client/job-sweep-schedule';
import { startJobToWorkOrder, startWorkOrderToMobile } from '../common/starters';
import { DEMO_JOB_IDS, DEMO_LOCATION_IDS } from '../connectors/servicetrade/demo-data';
import { DEMO_SERVICEPOWER_USER } from '../connectors/servicepower/demo-data';
import {
  DEMO_LOCATION_IDS as DEMO_SC_LOCATION_IDS,
  DEMO_SERVICECHANNEL_CLIENT,
  DEMO_SERVICECHANNEL_USER,
  DEMO_SERVICECHANNEL_WEBHOOK_KEY,
  DEMO_SUBSCRIBER_IDS,
  DEMO_WORK_ORDER_IDS,
} from '../connectors/servicechannel/demo-data';
import { SERVICECHANNEL_PERMISSIONS } from '../connectors/servicechannel/schemas';
import { jobToWorkOrderWorkflowId, workOrderToMobileWorkflowId } from '../workflows/definitions';
import { createLogger } from '../common/logger';
import { loadConfig } from '../common/config';
import { fieldBridgeDataConverter } from '../common/temporal-connection';
import { ensureDevEncryptionKey } from '../common/dev-encryption';
import { portFree } from '../common/ports';
import { waitForTemporal } from './temporal-ready';
import { devServerDynamicConfigArgs, devServerFileArgs } from './dev-server-settings';
import { DEMO_MOBILE_SYNC } from './simulator-adapter-config';
import { ensureTemporalCli } from './temporal-cli';
import { startPostgresTemporal, type PostgresTemporal } from './temporal-server';

const root = join(__dirname, '..');
const log = createLogger({ name: 'fieldbridge-start', format: process.env.LOG_FORMAT === 'json' ? 'json' : 'pretty' });

const host = '127.0.0.1';
const ports = {
  temporal: Number(process.env.TEMPORAL_PORT ?? 7233),
  ui: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
  app4sales: Number(process.env.APP4SALES_SIM_PORT ?? 4010),
  specter: Number(process.env.SPECTER_SIM_PORT ?? 4020),
  servicetrade: Number(process.env.SERVICETRADE_SIM_PORT ?? 4030),
  spectrum: Number(process.env.SPECTRUM_SIM_PORT ?? 4040),
  servicechannel: Number(process.env.SERVICECHANNEL_SIM_PORT ?? 4050),
  servicepower: Number(process.env.SERVICEPOWER_SIM_PORT ?? 4060),
  receiver: Number(process.env.RECEIVER_PORT ?? 3000),
  codecServer: Number(process.env.CODEC_SERVER_PORT ?? 8234),
  // The worker's Prometheus endpoint (0 = off).
  workerMetrics: Number(process.env.WORKER_METRICS_PORT ?? 9464),
};

/** Development settings: the simulators' credentials. Anything already in the environment wins. */
const devEnv: Record<string, string> = {
  TEMPORAL_ADDRESS: `${host}:${ports.temporal}`,
  TEMPORAL_NAMESPACE: 'default',
  TEMPORAL_TASK_QUEUE: 'fieldbridge',
  LOG_FORMAT: 'pretty',
  APP4SALES_SIM_PORT: String(ports.app4sales),
  SPECTER_SIM_PORT: String(ports.specter),
  APP4SALES_BASE_URL: `http://${host}:${ports.app4sales}`,
  APP4SALES_API_KEY: 'dev-app4sales-key',
  APP4SALES_WEBHOOK_SECRET: 'dev-webhook-secret',
  APP4SALES_WEBHOOK_URL: `http://${host}:${ports.receiver}/webhooks/app4sales`,
  SPECTER_BASE_URL: `http://${host}:${ports.specter}`,
  SPECTER_SBM_ID: '1',
  SPECTER_WRITE_USER_ID: 'writer',
  SPECTER_WRITE_USER_KEY: 'dev-write-key',
  SPECTER_READ_USER_ID: 'reader',
  SPECTER_READ_USER_KEY: 'dev-read-key',
  SERVICETRADE_SIM_PORT: String(ports.servicetrade),
  SERVICETRADE_BASE_URL: `http://${host}:${ports.servicetrade}/api`,
  SERVICETRADE_CLIENT_ID: 'fieldbridge',
  SERVICETRADE_CLIENT_SECRET: 'dev-servicetrade-secret',
  SERVICETRADE_WEBHOOK_TOKEN: 'dev-servicetrade-hook-token-0123456789',
  SERVICETRADE_AUTO_SYNC_NEW_JOBS: 'true',
  SPECTRUM_SIM_PORT: String(ports.spectrum),
  SPECTRUM_WEB_SERVICES_URL: `http://${host}:${ports.spectrum}/ws`,
  SPECTRUM_AUTHORIZATION_ID: 'FIELDBRIDGE',
  SPECTRUM_DEFAULT_WORK_ORDER_TYPE: 'SVC',
  SPECTRUM_WORK_ORDER_TYPE_MAP: JSON.stringify([
    { jobType: 'repair', serviceLine: 'HVAC', workOrderTypeCode: 'HVAC' },
    { jobType: 'inspection', serviceLine: 'FIRE', workOrderTypeCode: 'FIRE' },
  ]),
  SPECTRUM_DEFAULT_LEAD_SOURCE: 'SERVICETRADE',
  SPECTRUM_DEFAULT_WAREHOUSE: 'MAIN',
  SPECTRUM_WO_NUMBER_LEADING_CHARACTER: 'S',
  SPECTRUM_OTHER_ITEM_CODE: 'MISC',
  // ServiceChannel -> ServicePower. The simulator has production's limits (300 requests/min per client id).
  SERVICECHANNEL_SIM_PORT: String(ports.servicechannel),
  SERVICECHANNEL_ENVIRONMENT: 'production',
  SERVICECHANNEL_API_BASE_URL: `http://${host}:${ports.servicechannel}/v3`,
  SERVICECHANNEL_TOKEN_URL: `http://${host}:${ports.servicechannel}/oauth/token`,
  SERVICECHANNEL_CLIENT_ID: DEMO_SERVICECHANNEL_CLIENT.clientId,
  SERVICECHANNEL_CLIENT_SECRET: DEMO_SERVICECHANNEL_CLIENT.clientSecret,
  SERVICECHANNEL_USERNAME: DEMO_SERVICECHANNEL_USER.username,
  SERVICECHANNEL_PASSWORD: DEMO_SERVICECHANNEL_USER.password,
  SERVICECHANNEL_WEBHOOK_KEY: DEMO_SERVICECHANNEL_WEBHOOK_KEY,
  SERVICEPOWER_SIM_PORT: String(ports.servicepower),
  SERVICEPOWER_BASE_URL: `http://${host}:${ports.servicepower}/seiapi/v3/trans`,
  SERVICEPOWER_USERNAME: DEMO_SERVICEPOWER_USER.username,
  SERVICEPOWER_PASSWORD: DEMO_SERVICEPOWER_USER.password,
  SERVICEPOWER_NOTIFICATION_SECRET: 'dev-servicepower-notification-secret',
  // Northwind is dispatched under its managed ServicePower account; Harbor Point gets ad-hoc accounts.
  MOBILE_WORK_ORDER_NUMBER_PREFIX: 'SC',
  // The same dispatch preferences as the tests and the benchmark.
  MOBILE_MANAGED_ACCOUNTS: JSON.stringify(DEMO_MOBILE_SYNC.managedAccounts),
  MOBILE_TECHNICIAN_BY_TRADE: JSON.stringify(DEMO_MOBILE_SYNC.technicianByTrade),
  MOBILE_XML_CHECKIN_SUBSCRIBERS: JSON.stringify(DEMO_MOBILE_SYNC.xmlCheckInSubscribers),
  RECEIVER_HOST: host,
  RECEIVER_PORT: String(ports.receiver),
  // The codec server the UI decodes payloads with (loopback only, so no token in development).
  CODEC_SERVER_HOST: host,
  CODEC_SERVER_PORT: String(ports.codecServer),
  CODEC_SERVER_CORS_ORIGINS: `http://${host}:${ports.ui},http://localhost:${ports.ui}`,
  WORKER_METRICS_HOST: host,
  WORKER_METRICS_PORT: String(ports.workerMetrics),
};
const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(Object.entries(devEnv).filter(([k]) => !process.env[k])) };
// The ServiceTrade simulator delivers its webhooks to the receiver's ServiceTrade route (the token is the hook URL's secret).
env.SERVICETRADE_WEBHOOK_URL ??= `http://${host}:${ports.receiver}/webhooks/servicetrade/${env.SERVICETRADE_WEBHOOK_TOKEN}`;
// ServiceChannel's signed webhooks and ServicePower's signed notifications go to the receiver, with the key and secret it checks.
env.SERVICECHANNEL_WEBHOOK_URL ??= `http://${host}:${ports.receiver}/webhooks/servicechannel`;
env.SERVICEPOWER_NOTIFICATION_URL ??= `http://${host}:${ports.receiver}/webhooks/servicepower`;

/** The payload codec of npm start's own clients (demo syncs, schedules), from the same keys as the worker. */
const dataConverter = () => fieldBridgeDataConverter(loadConfig(['temporal'], env).temporal);

const children: Array<{ name: string; proc: ChildProcess }> = [];

// Temporal itself: the dev server (SQLite), or `--temporal postgres` / FIELDBRIDGE_TEMPORAL=postgres for a
// Temporal server on PostgreSQL (scripts/temporal-server.ts), stopped last by stop().
const temporalFlag = process.argv.slice(2).find((a, i, all) => all[i - 1] === '--temporal' || a.startsWith('--temporal='))?.replace(/^--temporal=/, '');
const stackConfig = () => loadConfig(['stack'], temporalFlag ? { ...process.env, FIELDBRIDGE_TEMPORAL: temporalFlag } : process.env).stack;
let postgresTemporal: PostgresTemporal | undefined;

function run(name: string, command: string, args: string[]): ChildProcess {
  const proc = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push({ name, proc });
  proc.on('exit', (code, signal) => {
    if (!stopping) {
      log.error({ process: name, code, signal }, `${name} exited: stopping the stack`);
      void stop(1);
    }
  });
  return proc;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/**
 * The App4Sales customer sweep schedule (every APP4SALES_SWEEP_EVERY, default 5m), created or updated
 * once the worker runs. A failure is logged, not fatal: `npx fieldbridge schedule sweep` does it too.
 */
/**
 * The demo ServiceTrade jobs, synced as `fieldbridge sync servicetrade-job` does: 4001 becomes a
 * Spectrum work order; 4002's location has no Spectrum site code, so its sync waits until the
 * mapping is fixed in the ServiceTrade simulator. A failure is logged, not fatal.
 */
async function syncDemoJobs(): Promise<void> {
  try {
    const connection = await Connection.connect({ address: `${host}:${ports.temporal}` });
    try {
      const client = new Client({ connection, namespace: 'default', dataConverter: dataConverter() });
      for (const jobId of Object.values(DEMO_JOB_IDS)) {
        await startJobToWorkOrder(client, env.TEMPORAL_TASK_QUEUE ?? 'fieldbridge', jobId, { eventId: `start:demo-job-${jobId}` });
      }
      log.info({ jobs: Object.values(DEMO_JOB_IDS) }, 'demo ServiceTrade jobs synced');
    } finally {
      await connection.close();
    }
  } catch (err) {
    log.warn({ err }, `demo jobs not synced: ${(err as Error).message} (run npx fieldbridge sync servicetrade-job 4001)`);
  }
}

/**
 * The demo ServiceChannel work orders, sent to ServicePower as `fieldbridge sync servicechannel-work-order`
 * does (the simulator loads them without webhooks): 90000101 and 90000103 (Northwind) under the managed
 * account, 90000102 (Harbor Point) ad hoc; Harbor Point does not let the provider add notes, so that
 * sync waits on the permission and says so. A failure is logged, not fatal.
 */
async function syncDemoWorkOrders(): Promise<void> {
  try {
    const connection = await Connection.connect({ address: `${host}:${ports.temporal}` });
    try {
      const client = new Client({ connection, namespace: 'default', dataConverter: dataConverter() });
      for (const workOrderId of Object.values(DEMO_WORK_ORDER_IDS)) {
        await startWorkOrderToMobile(client, env.TEMPORAL_TASK_QUEUE ?? 'fieldbridge', workOrderId, {
          eventId: `start:demo-work-order-${workOrderId}`,
          eventType: 'OperatorSync',
          source: 'cli',
        });
      }
      log.info({ workOrders: Object.values(DEMO_WORK_ORDER_IDS) }, 'demo ServiceChannel work orders sent to ServicePower');
    } finally {
      await connection.close();
    }
  } catch (err) {
    log.warn({ err }, `demo work orders not sent: ${(err as Error).message} (run npx fieldbridge sync servicechannel-work-order ${DEMO_WORK_ORDER_IDS.newHvac})`);
  }
}

/** The ServiceChannel reconciliation schedule (every SERVICECHANNEL_RECONCILE_INTERVAL_MS, default 5 min). A failure is logged, not fatal. */
async function ensureReconcile(): Promise<string> {
  const everyMs = Number(env.SERVICECHANNEL_RECONCILE_INTERVAL_MS || 5 * 60_000);
  try {
    const connection = await Connection.connect({ address: `${host}:${ports.temporal}` });
    try {
      const client = new Client({ connection, namespace: 'default', dataConverter: dataConverter() });
      const { created } = await ensureReconcileSchedule(client, { taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'fieldbridge', everyMs });
      const paused = (await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe()).state.paused;
      log.info({ scheduleId: RECONCILE_SCHEDULE_ID, every: formatInterval(everyMs), paused }, created ? 'reconcile schedule created' : 'reconcile schedule updated');
      return `every ${formatInterval(everyMs)}${paused ? ' (paused)' : ''}`;
    } finally {
      await connection.close();
    }
  } catch (err) {
    log.warn({ err }, `reconcile schedule not created: ${(err as Error).message} (run npx fieldbridge schedule reconcile)`);
    return 'not scheduled (see the log)';
  }
}

async function ensureSweepSchedule(): Promise<string> {
  const every = (env.APP4SALES_SWEEP_EVERY || DEFAULT_SWEEP_INTERVAL) as Parameters<typeof ensureCustomerSweepSchedule>[1]['every'];
  try {
    const connection = await Connection.connect({ address: `${host}:${ports.temporal}` });
    try {
      const client = new Client({ connection, namespace: 'default', dataConverter: dataConverter() });
      const { created, state } = await ensureCustomerSweepSchedule(client, { taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'fieldbridge', every });
      const interval = state.everyMs === null ? String(every) : formatInterval(state.everyMs);
      log.info({ scheduleId: CUSTOMER_SWEEP_SCHEDULE_ID, every: interval, paused: state.paused }, created ? 'customer sweep schedule created' : 'customer sweep schedule updated');
      return `every ${interval}${state.paused ? ' (paused)' : ''}`;
    } finally {
      await connection.close();
    }
  } catch (err) {
    log.warn({ err }, `customer sweep schedule not created: ${(err as Error).message} (run npx fieldbridge schedule sweep)`);
    return 'not scheduled (see the log)';
  }
}

/**
 * The ServiceTrade job sweep schedule (every SERVICETRADE_JOB_SWEEP_EVERY, default 5m), only while
 * SERVICETRADE_AUTO_SYNC_NEW_JOBS is on. A failure is logged, not fatal: `npx fieldbridge schedule job-sweep` does it too.
 */
async function ensureJobSweep(): Promise<string> {
  const every = (env.SERVICETRADE_JOB_SWEEP_EVERY || DEFAULT_SWEEP_INTERVAL) as Parameters<typeof ensureJobSweepSchedule>[1]['every'];
  const autoSyncNewJobs = /^(1|true|yes|on)$/i.test(env.SERVICETRADE_AUTO_SYNC_NEW_JOBS ?? '');
  try {
    const connection = await Connection.connect({ address: `${host}:${ports.temporal}` });
    try {
      const client = new Client({ connection, namespace: 'default', dataConverter: dataConverter() });
      const outcome = await ensureJobSweepSchedule(client, { taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'fieldbridge', autoSyncNewJobs, every });
      if (outcome.state === 'off') return 'off (SERVICETRADE_AUTO_SYNC_NEW_JOBS is not on)';
      log.info({ scheduleId: JOB_SWEEP_SCHEDULE_ID, every: formatInterval(outcome.everyMs), paused: outcome.paused }, `job sweep schedule ${outcome.state}`);
      return `every ${formatInterval(outcome.everyMs)}${outcome.paused ? ' (paused)' : ''}`;
    } finally {
      await connection.close();
    }
  } catch (err) {
    log.warn({ err }, `job sweep schedule not created: ${(err as Error).message} (run npx fieldbridge schedule job-sweep)`);
    return 'not scheduled (see the log)';
  }
}

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log.info('stopping: receiver, worker, simulators, then Temporal');
    // Stop in reverse start order; Temporal last so the worker can finish its tasks.
    for (const { name, proc } of [...children].reverse()) {
      if (proc.exitCode !== null || proc.signalCode !== null) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn({ process: name }, 'did not stop in 15 s: killing');
          proc.kill('SIGKILL');
        }, 15_000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    }
    await postgresTemporal?.stop().catch((err: unknown) => log.warn({ err }, 'Temporal on PostgreSQL did not stop cleanly'));
  }
  process.exit(code);
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  const busy = [];
  for (const [name, port] of Object.entries(ports)) if (port !== 0 && !(await portFree(port, host))) busy.push(`${name} port ${port}`);
  if (busy.length) {
    throw new Error(
      `already in use: ${busy.join(', ')}. Is another stack running? Override with TEMPORAL_PORT, TEMPORAL_UI_PORT, APP4SALES_SIM_PORT, SPECTER_SIM_PORT, ` +
        'SERVICETRADE_SIM_PORT, SPECTRUM_SIM_PORT, SERVICECHANNEL_SIM_PORT, SERVICEPOWER_SIM_PORT, RECEIVER_PORT, CODEC_SERVER_PORT, WORKER_METRICS_PORT.',
    );
  }

  const stackCfg = stackConfig();
  const dataDir = process.env.FIELDBRIDGE_DATA_DIR ?? join(root, '.data');
  mkdirSync(dataDir, { recursive: true });
  const encryption = ensureDevEncryptionKey(dataDir, env);
  log.info({ keyFile: encryption.keyFile }, encryption.created ? 'development encryption key created' : 'payload encryption keys in use');
  const codecUrl = `http://${host}:${ports.codecServer}`;
  const t0 = Date.now();
  let historyIn = join(dataDir, 'temporal.db');
  if (stackCfg.temporal === 'postgres') {
    postgresTemporal = await startPostgresTemporal({
      port: ports.temporal,
      uiPort: ports.ui,
      host,
      postgres: { address: stackCfg.postgresAddress, user: stackCfg.postgresUser, password: stackCfg.postgresPassword },
      dataDir: join(dataDir, 'temporal-postgres'),
      codecEndpoint: codecUrl,
      log: (msg) => log.info(msg),
      onUnexpectedExit: () => {
        if (!stopping) void stop(1);
      },
    });
    historyIn = `PostgreSQL ${stackCfg.postgresAddress}: ${postgresTemporal.databases.temporal}, ${postgresTemporal.databases.visibility}`;
    log.info({ ms: Date.now() - t0 }, 'Temporal server on PostgreSQL ready');
  } else {
  const cli = await ensureTemporalCli({ log: (msg) => log.info(msg) });
  run('temporal', cli.path, [
    'server', 'start-dev',
    '--ip', host,
    '--port', String(ports.temporal),
    '--ui-port', String(ports.ui),
    '--namespace', 'default',
    '--db-filename', join(dataDir, 'temporal.db'),
    '--log-level', 'warn',
    '--ui-codec-endpoint', codecUrl,
    ...devServerDynamicConfigArgs(), // eager activity dispatch, fast queue reads: scripts/dev-server-settings.ts
    ...devServerFileArgs(), // SQLite write-ahead log
  ]);
  const connection = await waitForTemporal(`${host}:${ports.temporal}`, 30_000);
  const { added } = await ensureSearchAttributes(connection, 'default');
  await connection.close();
  log.info({ ms: Date.now() - t0, searchAttributesAdded: added }, 'Temporal dev server ready');
  }

  // Node itself with tsx's require hook (no launcher in between), so stop signals reach each process.
  const ts = (entry: string) => ['--require', 'tsx/cjs', entry];
  run('simulators', process.execPath, ts('scripts/simulators.ts'));
  run('codec-server', process.execPath, ts('client/codec-server.ts'));
  await Promise.all(
    [ports.app4sales, ports.specter, ports.servicetrade, ports.spectrum, ports.servicechannel, ports.servicepower].map((port) =>
      waitForHttp(`http://${host}:${port}/__admin/faults`, 20_000),
    ),
  );
  run('worker', process.execPath, ts('worker/main.ts'));
  run('receiver', process.execPath, ts('client/receiver-main.ts'));
  await waitForHttp(`http://${host}:${ports.receiver}/healthz`, 30_000);
  await waitForHttp(`${codecUrl}/healthz`, 30_000);
  const sweep = await ensureSweepSchedule();
  const reconcile = await ensureReconcile();
  const jobSweep = await ensureJobSweep();
  await syncDemoJobs();
  await syncDemoWorkOrders();

  const a4s = `http://${host}:${ports.app4sales}`;
  const st = `http://${host}:${ports.servicetrade}`;
  const sp = `http://${host}:${ports.spectrum}`;
  const sc = `http://${host}:${ports.servicechannel}`;
  const mob = `http://${host}:${ports.servicepower}`;
  const tryId = 90000201;
  process.stdout.write(`
FieldBridge is running. Ctrl-C stops all of it.

  Temporal UI            http://${host}:${ports.ui}/namespaces/default/workflows
  Temporal gRPC          ${host}:${ports.temporal}   (history in ${historyIn})
  Codec server           ${codecUrl}/decode   (the UI shows payloads decrypted through it; history holds ciphertext; keys: ${encryption.keyFile ?? 'FIELDBRIDGE_ENCRYPTION_KEYS'})
  Webhook receiver       http://${host}:${ports.receiver}/webhooks/app4sales
                         http://${host}:${ports.receiver}/webhooks/servicetrade/<token>   (SERVICETRADE_WEBHOOK_TOKEN)
                         http://${host}:${ports.receiver}/webhooks/servicechannel   (Sign-Data with SERVICECHANNEL_WEBHOOK_KEY)
                         http://${host}:${ports.receiver}/webhooks/servicepower     (signed with SERVICEPOWER_NOTIFICATION_SECRET)
  Metrics (Prometheus)   ${ports.workerMetrics === 0 ? 'worker: off (WORKER_METRICS_PORT=0)' : `http://${host}:${ports.workerMetrics}/metrics   (worker: syncs, external calls, Temporal SDK)`}
                         http://${host}:${ports.receiver}/metrics   (receiver: webhooks by source and outcome)
  App4Sales simulator    ${a4s}          (admin: ${a4s}/__admin/customers)
  Specter simulator      http://${host}:${ports.specter}          (admin: http://${host}:${ports.specter}/__admin/customers)
  ServiceTrade simulator ${st}/api      (admin: ${st}/__admin/jobs)
  Spectrum simulator     ${sp}/ws       (WSDLs: ${sp}/wsdls/WorkOrderHeader.jws; admin: ${sp}/__admin/state)
  ServiceChannel sim.    ${sc}/v3       (token: ${sc}/oauth/token; admin: ${sc}/__admin/workorders)
  ServicePower sim.      ${mob}/seiapi/v3/trans   (admin: ${mob}/__admin/state)
  Customer sweep         ${sweep}: schedule ${CUSTOMER_SWEEP_SCHEDULE_ID} (npx fieldbridge schedule sweep --show)
  Reconciliation         ${reconcile}: schedule ${RECONCILE_SCHEDULE_ID} (npx fieldbridge schedule reconcile --show)
  ServiceTrade job sweep ${jobSweep}: schedule ${JOB_SWEEP_SCHEDULE_ID} (npx fieldbridge schedule job-sweep --show)

Try it (App4Sales -> Specter):
  curl -X PATCH ${a4s}/__admin/customers/A4S-1001 -H 'content-type: application/json' -d '{"CustomerName":"Nordvik Maskin AS (renamed)"}'
  curl http://${host}:${ports.specter}/__admin/customers
  npx fieldbridge status customer-upsert:app4sales:A4S-1001
  npx fieldbridge sync app4sales-customer A4S-1002 --wait

Try it (ServiceTrade -> Spectrum): job ${DEMO_JOB_IDS.mapped} is work order S7001; job ${DEMO_JOB_IDS.unmappedLocation} waits for its location's site code
  curl ${sp}/__admin/work-orders/S7001
  npx fieldbridge list --status waiting
  npx fieldbridge status ${jobToWorkOrderWorkflowId(DEMO_JOB_IDS.unmappedLocation)}
  curl -X PATCH ${st}/__admin/locations/${DEMO_LOCATION_IDS.harborPointTower} -H 'content-type: application/json' -d '{"externalIds":{"spectrum":"S2000"}}'
  curl -X POST ${st}/__admin/jobs -H 'content-type: application/json' -d '{"locationId":${DEMO_LOCATION_IDS.northwindHq},"services":[{"serviceLineId":11}],"items":[{"libItemId":501,"quantity":2}]}'

Try it (ServiceChannel -> ServicePower and back): demo work orders ${Object.values(DEMO_WORK_ORDER_IDS).join(', ')} are SC${DEMO_WORK_ORDER_IDS.newHvac}..SC${DEMO_WORK_ORDER_IDS.newPlumbing} in ServicePower
  # a new work order in ServiceChannel: its signed webhook dispatches it to tech.alvarez (HVAC) as SC${tryId}
  curl -X POST ${sc}/__admin/workorders -H 'content-type: application/json' -d '{"Id":${tryId},"Number":"1000201","SubscriberId":${DEMO_SUBSCRIBER_IDS.northwind},"LocationId":${DEMO_SC_LOCATION_IDS.northwindRaleigh},"Trade":"HVAC","Category":"REPAIR","Priority":"P2 - 24 Hours","ScheduledDate":"2026-12-01T14:00:00Z","Nte":500,"Description":"Rooftop unit 3 not cooling"}'
  curl ${mob}/__admin/workorders/SC${tryId}
  npx fieldbridge status ${workOrderToMobileWorkflowId(tryId)}
  # the subscriber raises the NTE: a PATCH reaches ServicePower
  curl -X PATCH ${sc}/__admin/workorders/${tryId} -H 'content-type: application/json' -d '{"Nte":750}'
  # the technician is on site (ServicePower admin): ServiceChannel gets the check-in and a note
  curl -X POST ${mob}/__admin/workorders/SC${tryId}/status -H 'content-type: application/json' -d '{"OrderStatus":"7"}'
  curl ${sc}/__admin/workorders/${tryId}
  # Harbor Point does not let the provider add notes: on site, the check-in goes through, the note is refused, the sync waits naming the permission
  curl -X POST ${mob}/__admin/workorders/SC1000102/status -H 'content-type: application/json' -d '{"OrderStatus":"7"}'
  npx fieldbridge status ${workOrderToMobileWorkflowId(DEMO_WORK_ORDER_IDS.scheduledWithNte)}
  curl -X PUT ${sc}/__admin/permissions/${DEMO_SUBSCRIBER_IDS.harborPoint} -H 'content-type: application/json' -d '${JSON.stringify(SERVICECHANNEL_PERMISSIONS)}'
  npx fieldbridge recheck ${workOrderToMobileWorkflowId(DEMO_WORK_ORDER_IDS.scheduledWithNte)}

`);
}

main().catch((err) => {
  log.error({ err }, `start failed: ${(err as Error).message}`);
  void stop(1);
});
