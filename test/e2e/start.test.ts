/**
 * The README's first command: `npm start` brings the whole stack up, a change made in App4Sales
 * reaches Specter, the demo ServiceTrade job becomes a Spectrum work order while the unmapped one
 * waits until its location is mapped in the ServiceTrade simulator, the ServiceChannel and ServicePower
 * simulators and the receiver's routes for them answer, a demo ServiceChannel work order is in
 * ServicePower and the reconciliation Schedule exists, Ctrl-C (SIGINT) stops every process, and a
 * second start keeps the history.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { RECONCILE_SCHEDULE_ID } from '../../client/reconcile-schedule';
import { JOB_SWEEP_SCHEDULE_ID } from '../../client/job-sweep-schedule';
import { DEMO_WORK_ORDER_IDS } from '../../connectors/servicechannel/demo-data';
import { workOrderToMobileWorkflowId } from '../../workflows/definitions';
import { freePort, portFree } from '../../common/ports';
import { hasMetric, sampleValue } from '../helpers/prometheus';
import { eventually } from '../helpers/stack';

jest.setTimeout(240_000);

const root = join(__dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'fieldbridge-start-'));
let ports: Record<
  | 'TEMPORAL_PORT'
  | 'TEMPORAL_UI_PORT'
  | 'APP4SALES_SIM_PORT'
  | 'SPECTER_SIM_PORT'
  | 'SERVICETRADE_SIM_PORT'
  | 'SPECTRUM_SIM_PORT'
  | 'SERVICECHANNEL_SIM_PORT'
  | 'SERVICEPOWER_SIM_PORT'
  | 'RECEIVER_PORT'
  | 'CODEC_SERVER_PORT'
  | 'WORKER_METRICS_PORT',
  number
>;
let stack: ChildProcess | undefined;

async function start(): Promise<{ proc: ChildProcess; output: () => string }> {
  const env = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), FIELDBRIDGE_DATA_DIR: dataDir, LOG_FORMAT: 'json' };
  const proc = spawn(process.execPath, ['--require', 'tsx/cjs', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  stack = proc;
  await eventually(() => out.includes('FieldBridge is running') || proc.exitCode !== null, 120_000, 'the stack to start');
  if (proc.exitCode !== null) throw new Error(`npm start exited with ${proc.exitCode}:\n${out}`);
  return { proc, output: () => out };
}

async function stopWithCtrlC(proc: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.kill('SIGINT');
  return exited;
}

function fieldbridge(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [join(root, 'bin', 'fieldbridge.js'), ...args], { env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${ports.TEMPORAL_PORT}`, FIELDBRIDGE_ENCRYPTION_KEY_FILE: join(dataDir, 'encryption-keys') } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

async function getJson(url: string, init: { method?: 'GET' | 'PATCH'; body?: unknown } = {}): Promise<unknown> {
  const res = await request(url, {
    method: init.method ?? 'GET',
    headers: init.body ? { 'content-type': 'application/json' } : {},
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  return res.body.json() as Promise<unknown>;
}

beforeAll(async () => {
  ports = {
    TEMPORAL_PORT: await freePort(),
    TEMPORAL_UI_PORT: await freePort(),
    APP4SALES_SIM_PORT: await freePort(),
    SPECTER_SIM_PORT: await freePort(),
    SERVICETRADE_SIM_PORT: await freePort(),
    SPECTRUM_SIM_PORT: await freePort(),
    SERVICECHANNEL_SIM_PORT: await freePort(),
    SERVICEPOWER_SIM_PORT: await freePort(),
    RECEIVER_PORT: await freePort(),
    CODEC_SERVER_PORT: await freePort(),
    WORKER_METRICS_PORT: await freePort(),
  };
});

afterAll(async () => {
  // After a failed test the stack is still up: Ctrl-C, as a user would, so that start.ts stops every
  // process it started (a SIGKILL of start.ts alone would leave them running for the rest of the suite);
  // SIGKILL only when it does not stop in time.
  const proc = stack;
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGINT');
    await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 20_000))]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

test('start, sync a changed customer, stop with Ctrl-C, start again with the same history', async () => {
  const first = await start();
  // Encryption at rest: a dev key made on first start (owner-only), and the codec server the UI is pointed at.
  const keyFile = join(dataDir, 'encryption-keys');
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  const devKey = readFileSync(keyFile, 'utf8');
  expect(first.output()).toContain(`http://127.0.0.1:${ports.CODEC_SERVER_PORT}/decode`);
  const preflight = await request(`http://127.0.0.1:${ports.CODEC_SERVER_PORT}/decode`, {
    method: 'OPTIONS',
    headers: { origin: `http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
  });
  expect(preflight.statusCode).toBe(204);
  expect(preflight.headers['access-control-allow-origin']).toBe(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`);
  await preflight.body.dump();
  // The UI is pointed at it (the dev server's --ui-codec-endpoint), so an operator sees payloads decoded.
  const uiSettings = (await getJson(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/api/v1/settings`)) as { Codec?: { Endpoint?: string } };
  expect(uiSettings.Codec?.Endpoint).toBe(`http://127.0.0.1:${ports.CODEC_SERVER_PORT}`);
  for (const url of [`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`, `127.0.0.1:${ports.TEMPORAL_PORT}`, `http://127.0.0.1:${ports.RECEIVER_PORT}/webhooks/app4sales`, `http://127.0.0.1:${ports.APP4SALES_SIM_PORT}`, `http://127.0.0.1:${ports.SPECTER_SIM_PORT}`]) {
    expect(first.output()).toContain(url);
  }

  await getJson(`http://127.0.0.1:${ports.APP4SALES_SIM_PORT}/__admin/customers/A4S-1001`, { method: 'PATCH', body: { CustomerName: 'Nordvik Maskin AS (renamed)' } });
  const specterCustomer = await eventually(async () => {
    const customers = (await getJson(`http://127.0.0.1:${ports.SPECTER_SIM_PORT}/__admin/customers`)) as Array<{ CustomerId: string; Name: string }>;
    return customers.find((c) => c.Name === 'Nordvik Maskin AS (renamed)');
  }, 30_000, 'Specter to hold the renamed customer');
  const listed = await eventually(async () => {
    const out = await fieldbridge(['list', '--status', 'completed']);
    return out.includes('A4S-1001') ? out : undefined;
  }, 30_000, 'the completed sync in fieldbridge list');
  expect(listed).toMatch(new RegExp(`customer-upsert:app4sales:A4S-1001\\s+completed\\s+customer-upsert\\s+app4sales:A4S-1001\\s+specter\\s+${specterCustomer.CustomerId}`));

  // ServiceTrade -> Spectrum: demo job 4001 is work order S7001 with its five items and its number on the job.
  const spectrum = `http://127.0.0.1:${ports.SPECTRUM_SIM_PORT}`;
  const servicetrade = `http://127.0.0.1:${ports.SERVICETRADE_SIM_PORT}`;
  const order = await eventually(async () => {
    const res = await request(`${spectrum}/__admin/work-orders/S7001`);
    return res.statusCode === 200 ? ((await res.body.json()) as { materials: unknown[] }) : (await res.body.dump(), undefined);
  }, 30_000, 'work order S7001 in Spectrum');
  expect(order.materials).toHaveLength(5);
  // Job 4002's location has no Spectrum site code: its sync waits, and says so.
  const waiting = await eventually(async () => {
    const out = await fieldbridge(['list', '--status', 'waiting']);
    return out.includes('job-to-work-order:servicetrade:4002') ? out : undefined;
  }, 30_000, 'the unmapped job to wait');
  expect(waiting).toContain('servicetrade:location:2002');
  // Mapping the location in ServiceTrade is enough: its webhook wakes the sync.
  await getJson(`${servicetrade}/__admin/locations/2002`, { method: 'PATCH', body: { externalIds: { spectrum: 'S2000' } } });
  await eventually(async () => {
    const res = await request(`${spectrum}/__admin/work-orders/S7002`);
    await res.body.dump();
    return res.statusCode === 200;
  }, 30_000, 'work order S7002 once the location is mapped');

  // ServiceChannel -> ServicePower: both simulators and the receiver's two routes answer (unsigned: 401,
  // nothing started), the demo work order 90000101 (number 1000101) is mobile work order SC90000101 (prefix + Id), and
  // the reconciliation schedule runs.
  const sc = `http://127.0.0.1:${ports.SERVICECHANNEL_SIM_PORT}`;
  const mobile = `http://127.0.0.1:${ports.SERVICEPOWER_SIM_PORT}`;
  const receiver = `http://127.0.0.1:${ports.RECEIVER_PORT}`;
  for (const url of [`${receiver}/webhooks/servicechannel`, `${receiver}/webhooks/servicepower`, `${sc}/v3`, `${mobile}/seiapi/v3/trans`]) expect(first.output()).toContain(url);
  const scWorkOrders = (await getJson(`${sc}/__admin/workorders`)) as Array<{ Id: number }>;
  expect(scWorkOrders.map((w) => w.Id)).toEqual(expect.arrayContaining(Object.values(DEMO_WORK_ORDER_IDS)));
  for (const path of ['/webhooks/servicechannel', '/webhooks/servicepower']) {
    const res = await request(`${receiver}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
  }
  const dispatched = await eventually(async () => {
    const res = await request(`${mobile}/__admin/workorders/SC90000101`);
    return res.statusCode === 200 ? ((await res.body.json()) as { workOrder: { OrderNum?: string } }) : (await res.body.dump(), undefined);
  }, 60_000, 'demo work order 90000101 in ServicePower as SC90000101');
  expect(dispatched.workOrder.OrderNum).toBe('SC90000101');
  expect(await fieldbridge(['status', workOrderToMobileWorkflowId(DEMO_WORK_ORDER_IDS.newHvac)])).toContain('Kind:          work-order-to-mobile');
  expect(await fieldbridge(['schedule', 'reconcile', '--show'])).toContain(`Schedule:  ${RECONCILE_SCHEDULE_ID} (unchanged)`);
  // Automatic sync of new jobs is on in the demo: the ServiceTrade job sweep is scheduled.
  expect(first.output()).toContain(`schedule ${JOB_SWEEP_SCHEDULE_ID}`);
  expect(await fieldbridge(['schedule', 'job-sweep', '--show'])).toContain(`Schedule:  ${JOB_SWEEP_SCHEDULE_ID} (unchanged)`);
  // The round trip through the receiver, as the printed "Try it" does it: a work order created in
  // ServiceChannel arrives by its signed webhook; the technician on site in ServicePower comes back by
  // its signed notification as a check-in.
  const created = await request(`${sc}/__admin/workorders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Id: 90000201, Number: '1000201', SubscriberId: 2014917243, LocationId: 301012, Trade: 'HVAC', Category: 'REPAIR', ScheduledDate: '2026-12-01T14:00:00Z', Nte: 500 }),
  });
  expect(created.statusCode).toBe(201);
  await created.body.dump();
  const viaWebhook = await eventually(async () => {
    const res = await request(`${mobile}/__admin/workorders/SC90000201`);
    return res.statusCode === 200 ? ((await res.body.json()) as { workOrder: { DispatchStatus: number } }) : (await res.body.dump(), undefined);
  }, 30_000, 'the new work order in ServicePower by its webhook');
  expect(viaWebhook.workOrder.DispatchStatus).toBe(3);
  const onSite = await request(`${mobile}/__admin/workorders/SC90000201/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"OrderStatus":"7"}' });
  expect(onSite.statusCode).toBe(200);
  await onSite.body.dump();
  await eventually(async () => {
    const wo = (await getJson(`${sc}/__admin/workorders/90000201`)) as { CheckIns?: unknown[] };
    return (wo.CheckIns?.length ?? 0) > 0;
  }, 30_000, 'the check-in in ServiceChannel by the notification');

  // Both Prometheus endpoints are printed and scraped: the worker's counts the syncs (and carries the
  // Temporal SDK's metrics), the receiver's the two unsigned webhooks above.
  const workerMetrics = `http://127.0.0.1:${ports.WORKER_METRICS_PORT}/metrics`;
  expect(first.output()).toContain(workerMetrics);
  expect(first.output()).toContain(`${receiver}/metrics`);
  const scraped = await eventually(async () => {
    const res = await request(workerMetrics);
    const text = await res.body.text();
    return sampleValue(text, 'fieldbridge_syncs_completed_total', { flow: 'customerUpsert' }) >= 1 ? text : undefined;
  }, 30_000, 'the worker metrics to count the customer sync');
  expect(hasMetric(scraped, 'temporal_workflow_completed')).toBe(true);
  const hooks = await (await request(`${receiver}/metrics`)).body.text();
  expect(sampleValue(hooks, 'fieldbridge_webhooks_total', { source: 'servicechannel', outcome: 'unsigned' })).toBe(1);
  expect(sampleValue(hooks, 'fieldbridge_webhooks_total', { source: 'servicepower', outcome: 'unsigned' })).toBe(1);

  expect(await stopWithCtrlC(first.proc)).toBe(0);
  for (const port of Object.values(ports)) expect(await portFree(port)).toBe(true);

  const second = await start();
  expect(await fieldbridge(['list'])).toContain('customer-upsert:app4sales:A4S-1001');
  // The same key on the second start: the first start's encrypted histories still read.
  expect(readFileSync(keyFile, 'utf8')).toBe(devKey);
  expect(await fieldbridge(['status', 'customer-upsert:app4sales:A4S-1001'])).toContain(specterCustomer.CustomerId);
  expect(await stopWithCtrlC(second.proc)).toBe(0);
});
