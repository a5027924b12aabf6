/**
 * FieldBridge on a Temporal server backed by PostgreSQL (the production persistence, built from Go
 * modules on first use: scripts/temporal-server.ts), with two production worker processes
 * (worker/main.ts) on one task queue. One of them is SIGKILLed while syncs are in flight: every
 * App4Sales customer still ends up in Specter exactly once, with its code recorded. Then the server
 * itself is restarted: every sync is still there, read back from PostgreSQL.
 *
 * Needs PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres (FIELDBRIDGE_POSTGRES_ADDRESS,
 * FIELDBRIDGE_POSTGRES_USER and FIELDBRIDGE_POSTGRES_PASSWORD override it). The databases have a
 * unique name per run and are dropped afterwards.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startCustomerUpsert } from '../../common/starters';
import { loadConfig } from '../../common/config';
import { startApp4SalesSimulator, type App4SalesSimulator } from '../../connectors/app4sales/simulator';
import { startSpecterSimulator, type SpecterSimulator } from '../../connectors/specter/simulator';
import { SyncKindKey, SyncStatusKey, visibilityString } from '../../common/search-attributes';
import { customerUpsertWorkflowId } from '../../workflows/definitions';
import type { customerUpsert } from '../../workflows/customer-upsert';
import { ensureTemporalServer, freeServerPort, startPostgresTemporal, type PostgresTemporal } from '../../scripts/temporal-server';
import { app4salesCustomer } from '../fixtures/customers';
import { APP4SALES_API_KEY, eventually, SERVICECHANNEL, SERVICEPOWER, SERVICETRADE, SPECTER, SPECTRUM_AUTHORIZATION_ID } from '../helpers/stack';

const root = join(__dirname, '..', '..');
const N = 24;
const stackConfig = loadConfig(['stack']).stack;
const postgres = { address: stackConfig.postgresAddress, user: stackConfig.postgresUser, password: stackConfig.postgresPassword };
const log = (msg: string) => process.stderr.write(`[postgres-workers] ${msg}\n`);

let temporal: PostgresTemporal | undefined;
let dataDir: string | undefined;
let connection: Connection | undefined;
let client: Client;
let app4sales: App4SalesSimulator;
let specter: SpecterSimulator;
const taskQueue = `fieldbridge-pg-${randomBytes(4).toString('hex')}`;
const workers: ChildProcess[] = [];
const output = new Map<ChildProcess, string>();

function reachable(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.setTimeout(3000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** worker/main.ts's environment: this server, these simulators; the other flows' systems are not called here. */
function workerEnv(): NodeJS.ProcessEnv {
  const nowhere = 'http://127.0.0.1:9';
  return {
    ...process.env,
    TEMPORAL_ADDRESS: temporal!.address,
    TEMPORAL_NAMESPACE: temporal!.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    // Two workers on one host: no fixed metrics port for either (the test scrapes none).
    WORKER_METRICS_PORT: '0',
    APP4SALES_BASE_URL: app4sales.url,
    APP4SALES_API_KEY,
    SPECTER_BASE_URL: specter.url,
    SPECTER_SBM_ID: String(SPECTER.sbmId),
    SPECTER_WRITE_USER_ID: SPECTER.writeUser.id,
    SPECTER_WRITE_USER_KEY: SPECTER.writeUser.key,
    SPECTER_READ_USER_ID: SPECTER.readUser.id,
    SPECTER_READ_USER_KEY: SPECTER.readUser.key,
    SERVICETRADE_BASE_URL: `${nowhere}/api`,
    SERVICETRADE_CLIENT_ID: SERVICETRADE.clientId,
    SERVICETRADE_CLIENT_SECRET: SERVICETRADE.clientSecret,
    SPECTRUM_WEB_SERVICES_URL: `${nowhere}/ws`,
    SPECTRUM_AUTHORIZATION_ID,
    SPECTRUM_DEFAULT_WORK_ORDER_TYPE: 'SVC',
    SPECTRUM_DEFAULT_LEAD_SOURCE: 'SERVICETRADE',
    SPECTRUM_DEFAULT_WAREHOUSE: 'MAIN',
    SPECTRUM_WO_NUMBER_LEADING_CHARACTER: 'S',
    SPECTRUM_OTHER_ITEM_CODE: 'MISC',
    SERVICECHANNEL_ENVIRONMENT: 'production',
    SERVICECHANNEL_API_BASE_URL: `${nowhere}/v3`,
    SERVICECHANNEL_TOKEN_URL: `${nowhere}/oauth/token`,
    SERVICECHANNEL_CLIENT_ID: SERVICECHANNEL.clientId,
    SERVICECHANNEL_CLIENT_SECRET: SERVICECHANNEL.clientSecret,
    SERVICECHANNEL_USERNAME: SERVICECHANNEL.username,
    SERVICECHANNEL_PASSWORD: SERVICECHANNEL.password,
    SERVICEPOWER_BASE_URL: `${nowhere}/seiapi/v3/trans`,
    SERVICEPOWER_USERNAME: SERVICEPOWER.username,
    SERVICEPOWER_PASSWORD: SERVICEPOWER.password,
  };
}

async function startWorkerProcess(): Promise<ChildProcess> {
  // node itself, not the tsx launcher: SIGKILL must hit the worker, not a wrapper around it.
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'worker/main.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: workerEnv() });
  workers.push(child);
  output.set(child, '');
  const append = (chunk: Buffer) => output.set(child, output.get(child)! + chunk.toString());
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output.get(child)!.includes('"msg":"worker started"')) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`worker exited with ${code} before starting:\n${output.get(child)}`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
  return child;
}

/** Activities a worker process ran, from its JSON log (each activity log line names its type). */
function activitiesRun(child: ChildProcess): number {
  return (output.get(child) ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .filter((l) => (JSON.parse(l) as { activityType?: string }).activityType !== undefined).length;
}

beforeAll(async () => {
  if (!(await reachable(postgres.address))) {
    throw new Error(
      `PostgreSQL is not reachable on ${postgres.address}: this test runs the Temporal server on it ` +
        '(trust auth for user postgres, or set FIELDBRIDGE_POSTGRES_ADDRESS / _USER / _PASSWORD)',
    );
  }
  // The first run on a machine builds the server with Go (about 5 minutes on a cold cache; .ci/run does it beforehand).
  await ensureTemporalServer({ log });
  dataDir = mkdtempSync(join(tmpdir(), 'fieldbridge-pg-'));
  [app4sales, specter] = await Promise.all([startApp4SalesSimulator({ apiKey: APP4SALES_API_KEY, logger: false }), startSpecterSimulator({ ...SPECTER, logger: false })]);
  app4sales.state.putSalesRep({ Username: 'jdoe', ResIdString: 'SR-JDOE' });
  temporal = await startPostgresTemporal({
    port: await freeServerPort(),
    dbPrefix: `fieldbridge_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`,
    dataDir,
    postgres,
    log,
  });
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection, namespace: temporal.namespace });
}, 15 * 60_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await connection?.close();
  await temporal?.stop({ dropDatabases: true });
  await Promise.all([app4sales?.close(), specter?.close()]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

test('two worker processes, one SIGKILLed mid-run: every customer synced to Specter exactly once, and the syncs survive a server restart', async () => {
  const ids: string[] = [];
  for (let i = 1; i <= N; i++) {
    const id = `PG-${i}`;
    // Unique name, e-mail and organisation number: a lost create is looked up by them.
    app4sales.state.putCustomer(
      app4salesCustomer({ Id: id, CustomerName: `Postgres Kund ${i} AB`, Email: `office${i}@pg-kund.example`, ChamberOfCommerceCode: `556000-${String(1000 + i)}` }),
    );
    ids.push(id);
  }
  // Slow Specter writes keep syncs in flight when the first worker dies.
  specter.faults.set({ latencyMs: 400, routes: ['postCustomer'] });

  const doomed = await startWorkerProcess();
  const survivor = await startWorkerProcess();
  for (const id of ids) await startCustomerUpsert(client, taskQueue, id, { eventId: `evt-${id}` });

  await eventually(() => specter.state.customers.size >= N / 4, 120_000, `a quarter of the ${N} customers in Specter`);
  const doneBeforeKill = specter.state.customers.size;
  doomed.kill('SIGKILL');
  await new Promise((resolve) => doomed.once('exit', resolve));
  specter.faults.clear();
  log(`killed one worker with ${doneBeforeKill}/${N} customers in Specter; it had run ${activitiesRun(doomed)} activities`);

  // Both workers took part before the kill, and syncs were still in flight.
  expect(activitiesRun(doomed)).toBeGreaterThan(0);
  expect(doneBeforeKill).toBeLessThan(N);

  const results = await Promise.all(ids.map((id) => client.workflow.getHandle<typeof customerUpsert>(customerUpsertWorkflowId(id)).result()));

  // Exactly once: N Specter customers, one per App4Sales customer, each code recorded back.
  expect(specter.state.customers.size).toBe(N);
  const codes = ids.map((id) => app4sales.state.customers.get(id)?.CustomerCode);
  expect(new Set(codes).size).toBe(N);
  for (const [i, code] of codes.entries()) {
    expect(results[i]!.specterCustomerId).toBe(code);
    expect(specter.state.customers.get(code!)).toMatchObject({ Name: `Postgres Kund ${i + 1} AB` });
  }
  expect(activitiesRun(survivor)).toBeGreaterThan(0);

  // SQL visibility answers FieldBridge's search attributes.
  const completedQuery = `${SyncKindKey.name} = ${visibilityString('customer-upsert')} AND ${SyncStatusKey.name} = ${visibilityString('completed')}`;
  await eventually(async () => (await client.workflow.count(completedQuery)).count === N, 30_000, `${N} completed syncs in visibility`);

  // The server restarted: the syncs are read back from PostgreSQL.
  await temporal!.restart();
  const described = await Promise.all(ids.map((id) => client.workflow.getHandle(customerUpsertWorkflowId(id)).describe()));
  expect(described.map((d) => d.status.name)).toEqual(ids.map(() => 'COMPLETED'));
  expect((await client.workflow.count(completedQuery)).count).toBe(N);
}, 8 * 60_000);

test('`fieldbridge setup` on this SQL-visibility server: registers a missing namespace and its search attributes, then finds them present', async () => {
  const namespace = `fieldbridge-ops-${randomBytes(3).toString('hex')}`;
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(root, 'bin', 'fieldbridge.js'), ...args],
        { env: { ...process.env, TEMPORAL_ADDRESS: temporal!.address, TEMPORAL_NAMESPACE: namespace }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const first = await run(['setup']);
  expect(first.stderr).toBe('');
  expect(first).toMatchObject({ code: 0 });
  expect(first.stdout).toContain(`registered namespace ${namespace}`);
  expect(first.stdout).toContain('FieldBridgeWaitingOn');
  // SQL visibility maps each custom attribute to a column of this namespace: a query on them is accepted.
  const query = `${SyncKindKey.name} = "customer-upsert" AND FieldBridgeWaitingOn = "servicetrade:location:1"`;
  const other = new Client({ connection: connection!, namespace });
  await eventually(async () => (await other.workflow.count(query).then(() => true, () => false)), 30_000, 'the attributes in a visibility query');
  const second = await run(['setup']);
  expect(second).toMatchObject({ code: 0 });
  expect(second.stdout).toMatch(/all search attributes present/);
  expect(second.stdout).not.toContain('registered namespace');
}, 3 * 60_000);
