/**
 * `npm run chaos`: a figure-producing run over every flow, not a timed test.
 *
 *   N syncs per flow (--n, default 300), started by webhooks through the real receiver process
 *   (client/receiver-main.ts), every event delivered --deliveries (10) times in shuffled order,
 *   shuffled together with --bad-webhooks (1000) malformed, invalid, unsigned, wrongly signed,
 *   wrong-token, oversized and replayed (stale timestamp) ones across the receiver's four routes;
 *   the real worker process (worker/main.ts) SIGKILLed every --kill-every seconds and restarted;
 *   the Temporal server (--temporal dev: the CLI's dev server on a SQLite file) stopped and started
 *   again once mid-run on the same port and file; the simulators at --fault-rate (30 %) transient
 *   faults (5xx, unanswered requests) with latency spikes, and ServiceChannel in 40 % of the fault
 *   windows applying each write, then losing its answer (connection dropped or a 504); --invalid-share (10 %) permanently
 *   invalid records per flow, --changed-share (20 %) of the customers and work orders changed once
 *   more mid-run.
 *
 * After the drain it checks every record against the simulators and prints, per flow: lost,
 * duplicated, wrong, stuck, failed / waiting with a named reason (and the reasons); webhooks refused
 * vs workflows started by bad webhooks; the secrets scan (every configured secret and every customer
 * e-mail searched in all logs, every exported history and the server's database files). A table, then
 * one `CHAOS_JSON {...}` line. Exit code 1 when anything is lost, duplicated, wrong, stuck or leaked,
 * or a bad webhook started a workflow.
 *
 * `--temporal dev,postgres` runs it once per server and prints the figures side by side.
 * Everything a run writes (logs, histories, the database) stays in .data/chaos/<time>-<server>/.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../common/config';
import { connectClient } from '../common/temporal-connection';
import pino from 'pino';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { freePort } from '../common/ports';
import { DEMO_MOBILE_SYNC } from '../scripts/simulator-adapter-config';
import { startSimulators, type Simulators } from '../scripts/simulators';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { prng } from '../bench/work-orders';
import { supervise } from './processes';
import { FLOWS, planBadWebhooks, planCustomers, planJobs, planWorkOrders, type ChaosRecord, type ChaosSecrets, type Delivery, type Flow } from './records';
import { devTemporalServer, postgresTemporalServer, TEMPORAL_KINDS, type ChaosTemporalServer, type TemporalKind } from './temporal-server';
import {
  checkRecords,
  exportHistories,
  CHAOS_MOBILE_MAX_HISTORY_EVENTS,
  flowFigures,
  isSettled,
  listAll,
  logTargets,
  scanSecrets,
  unexpectedWorkflows,
  workflowIdOf,
  type FlowFigures,
  type ScanResult,
  type ScanTarget,
} from './verify';

const ROOT = join(__dirname, '..');
const HOST = '127.0.0.1';

export const ChaosOptionsSchema = z.object({
  n: z.number().int().min(1).default(300),
  deliveries: z.number().int().min(1).default(10),
  /** Seconds between worker kills (from the moment the previous worker is ready). */
  killEverySeconds: z.number().positive().default(5),
  /** Kill the worker at least this often, even when the deliveries are done sooner. */
  minKills: z.number().int().min(0).default(2),
  faultRate: z.number().min(0).max(1).default(0.3),
  /** Keep the faults on during the drain (default: the storm passes when the last webhook is in and the worker is no longer killed). */
  faultsDuringDrain: z.boolean().default(false),
  badWebhooks: z.number().int().min(0).default(1000),
  invalidShare: z.number().min(0).max(1).default(0.1),
  changedShare: z.number().min(0).max(1).default(0.2),
  /** Restart the Temporal server once mid-run. */
  restartServer: z.boolean().default(true),
  temporal: z.enum(['dev', 'postgres']).default('dev'),
  /** Webhook deliveries in flight at once. */
  concurrency: z.number().int().min(1).default(16),
  drainTimeoutSeconds: z.number().positive().default(900),
  seed: z.number().int().default(20261201),
  flows: z.array(z.enum(['customer', 'job', 'mobile'])).min(1).default([...FLOWS]),
  /** Folder for the run's files; default .data/chaos/<time>-<server>. */
  dir: z.string().optional(),
  /** Temporal CLI binary; default: found or built by scripts/temporal-cli.ts. */
  cli: z.string().optional(),
  workerLogLevel: z.enum(['debug', 'info', 'warn']).default('info'),
  /** The worker and receiver from the sources (tsx; workflows bundled at each worker start) or from the build in dist/ (`npm run build`). */
  code: z.enum(['source', 'built']).default('source'),
});
export type ChaosOptions = z.input<typeof ChaosOptionsSchema>;
type Settings = z.output<typeof ChaosOptionsSchema>;

export interface DeliveryFigures {
  /** Good events' deliveries: sent, answered 2xx, answered 4xx (should be 0), given up. */
  good: { sent: number; accepted: number; refused: number; gaveUp: number; retries: number; statuses: Record<string, number> };
  /** Bad webhooks by route and kind: sent, refused (4xx), accepted (2xx: should be 0). */
  bad: { sent: number; refused: number; accepted: number; other: number; byKind: Record<string, { sent: number; refused: number; statuses: Record<string, number> }> };
}

export interface ChaosResult {
  temporal: TemporalKind;
  dir: string;
  settings: Omit<Settings, 'dir' | 'cli'>;
  flows: Partial<Record<Flow, FlowFigures>>;
  webhooks: DeliveryFigures;
  /** Workflows whose source id only a bad webhook names (must be 0); workflows of no planned record. */
  workflowsStartedByBadWebhooks: number;
  unplannedWorkflows: number;
  /** The machine: cores and its load average (1 min) at the start and the end of the run. */
  machine: { cpus: number; loadAverageStart: number; loadAverageEnd: number };
  chaos: {
    workerKills: number;
    workerStarts: number;
    workerUnexpectedExits: number;
    receiverUnexpectedExits: number;
    serverRestarts: number;
    serverDowntimeMs: number | null;
    /** For each worker kill: ms from the SIGKILL until the new worker was started (its "worker started" line). */
    workerReadyAfterKillMs: number[];
  };
  timingsMs: { setup: number; deliveries: number; drain: number; drained: boolean; verify: number; total: number };
  histories: number;
  secrets: ScanResult;
  totals: { lost: number; duplicated: number; wrong: number; stuck: number; retrying: number; leaked: number };
  ok: boolean;
}

type Log = (msg: string) => void;

function randomSecrets(): ChaosSecrets {
  const s = (name: string) => `chaos-${name}-${randomBytes(12).toString('hex')}`;
  return {
    APP4SALES_API_KEY: s('a4s-key'),
    APP4SALES_WEBHOOK_SECRET: s('a4s-hook'),
    SPECTER_WRITE_USER_KEY: s('specter-write'),
    SPECTER_READ_USER_KEY: s('specter-read'),
    SERVICETRADE_CLIENT_SECRET: s('st-secret'),
    SERVICETRADE_WEBHOOK_TOKEN: s('st-hook-token'),
    SERVICECHANNEL_CLIENT_SECRET: s('sc-secret'),
    SERVICECHANNEL_PASSWORD: s('sc-password'),
    SERVICECHANNEL_WEBHOOK_KEY: s('sc-hook'),
    SERVICEPOWER_USERNAME: s('sp-user'),
    SERVICEPOWER_PASSWORD: s('sp-password'),
    SERVICEPOWER_NOTIFICATION_SECRET: s('sp-notify'),
    // keyId:base64 of 32 bytes; the scan looks for the key material.
    FIELDBRIDGE_ENCRYPTION_KEYS: `chaos:${randomBytes(32).toString('base64')}`,
  };
}

/** What the scan looks for: each secret's value (the encryption key without its id). */
function secretValues(secrets: ChaosSecrets): Record<string, string> {
  return { ...secrets, FIELDBRIDGE_ENCRYPTION_KEYS: secrets.FIELDBRIDGE_ENCRYPTION_KEYS.split(':')[1]! };
}

function simulatorEnv(secrets: ChaosSecrets): NodeJS.ProcessEnv {
  return {
    APP4SALES_SIM_PORT: '0',
    SPECTER_SIM_PORT: '0',
    SERVICETRADE_SIM_PORT: '0',
    SPECTRUM_SIM_PORT: '0',
    SERVICECHANNEL_SIM_PORT: '0',
    SERVICEPOWER_SIM_PORT: '0',
    SIMULATORS_HOST: HOST,
    APP4SALES_API_KEY: secrets.APP4SALES_API_KEY,
    // The run delivers every webhook itself.
    APP4SALES_WEBHOOK_URL: '',
    SERVICETRADE_WEBHOOK_URL: '',
    SERVICECHANNEL_WEBHOOK_URL: '',
    SERVICEPOWER_NOTIFICATION_URL: '',
    SPECTER_SBM_ID: '7',
    SPECTER_WRITE_USER_ID: 'chaos-writer',
    SPECTER_WRITE_USER_KEY: secrets.SPECTER_WRITE_USER_KEY,
    SPECTER_READ_USER_ID: 'chaos-reader',
    SPECTER_READ_USER_KEY: secrets.SPECTER_READ_USER_KEY,
    SERVICETRADE_CLIENT_ID: 'fieldbridge-chaos',
    SERVICETRADE_CLIENT_SECRET: secrets.SERVICETRADE_CLIENT_SECRET,
    SPECTRUM_AUTHORIZATION_ID: 'FIELDBRIDGE',
    SERVICECHANNEL_ENVIRONMENT: 'production',
    SERVICECHANNEL_CLIENT_ID: 'fieldbridge-chaos',
    SERVICECHANNEL_CLIENT_SECRET: secrets.SERVICECHANNEL_CLIENT_SECRET,
    SERVICECHANNEL_USERNAME: 'fieldbridge.chaos',
    SERVICECHANNEL_PASSWORD: secrets.SERVICECHANNEL_PASSWORD,
    SERVICEPOWER_USERNAME: secrets.SERVICEPOWER_USERNAME,
    SERVICEPOWER_PASSWORD: secrets.SERVICEPOWER_PASSWORD,
  };
}

/** The worker's environment: as test/helpers/stack.ts workerProcessEnv, pointed at this run's simulators and secrets. */
function workerEnv(sims: Simulators, server: ChaosTemporalServer, taskQueue: string, secrets: ChaosSecrets, logLevel: string): NodeJS.ProcessEnv {
  const sim = simulatorEnv(secrets);
  return {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_FORMAT: 'json',
    LOG_LEVEL: logLevel,
    FIELDBRIDGE_ENCRYPTION_KEYS: secrets.FIELDBRIDGE_ENCRYPTION_KEYS,
    // No Prometheus endpoint (the worker's metrics): its fixed default port would clash with a running `npm start`.
    WORKER_METRICS_PORT: '0',
    APP4SALES_BASE_URL: sims.app4sales.url,
    APP4SALES_API_KEY: secrets.APP4SALES_API_KEY,
    APP4SALES_TIMEOUT_MS: '5000',
    SPECTER_BASE_URL: sims.specter.url,
    SPECTER_SBM_ID: sim.SPECTER_SBM_ID,
    SPECTER_WRITE_USER_ID: sim.SPECTER_WRITE_USER_ID,
    SPECTER_WRITE_USER_KEY: secrets.SPECTER_WRITE_USER_KEY,
    SPECTER_READ_USER_ID: sim.SPECTER_READ_USER_ID,
    SPECTER_READ_USER_KEY: secrets.SPECTER_READ_USER_KEY,
    SPECTER_TIMEOUT_MS: '5000',
    SERVICETRADE_BASE_URL: sims.servicetrade.url,
    SERVICETRADE_CLIENT_ID: sim.SERVICETRADE_CLIENT_ID,
    SERVICETRADE_CLIENT_SECRET: secrets.SERVICETRADE_CLIENT_SECRET,
    SERVICETRADE_TIMEOUT_MS: '5000',
    SPECTRUM_WEB_SERVICES_URL: sims.spectrum.wsUrl,
    SPECTRUM_AUTHORIZATION_ID: sim.SPECTRUM_AUTHORIZATION_ID,
    SPECTRUM_DEFAULT_WORK_ORDER_TYPE: 'SVC',
    SPECTRUM_DEFAULT_LEAD_SOURCE: 'SERVICETRADE',
    SPECTRUM_DEFAULT_WAREHOUSE: 'MAIN',
    SPECTRUM_WO_NUMBER_LEADING_CHARACTER: 'S',
    SPECTRUM_OTHER_ITEM_CODE: 'MISC',
    SPECTRUM_TIMEOUT_MS: '5000',
    SERVICECHANNEL_ENVIRONMENT: 'production',
    SERVICECHANNEL_API_BASE_URL: sims.servicechannel.url,
    SERVICECHANNEL_TOKEN_URL: sims.servicechannel.tokenUrl,
    SERVICECHANNEL_CLIENT_ID: sim.SERVICECHANNEL_CLIENT_ID,
    SERVICECHANNEL_CLIENT_SECRET: secrets.SERVICECHANNEL_CLIENT_SECRET,
    SERVICECHANNEL_USERNAME: sim.SERVICECHANNEL_USERNAME,
    SERVICECHANNEL_PASSWORD: secrets.SERVICECHANNEL_PASSWORD,
    SERVICECHANNEL_TIMEOUT_MS: '5000',
    SERVICEPOWER_BASE_URL: sims.servicepower.url,
    SERVICEPOWER_USERNAME: secrets.SERVICEPOWER_USERNAME,
    SERVICEPOWER_PASSWORD: secrets.SERVICEPOWER_PASSWORD,
    SERVICEPOWER_TIMEOUT_MS: '5000',
    MOBILE_WORK_ORDER_NUMBER_PREFIX: 'SC',
    MOBILE_MANAGED_ACCOUNTS: JSON.stringify(DEMO_MOBILE_SYNC.managedAccounts),
    MOBILE_TECHNICIAN_BY_TRADE: JSON.stringify(DEMO_MOBILE_SYNC.technicianByTrade),
    // Open work orders re-read every second and roll over at a low history size (chaos/verify.ts checks it).
    MOBILE_REREAD_INTERVAL_MS: '1000',
    MOBILE_MAX_HISTORY_EVENTS: String(CHAOS_MOBILE_MAX_HISTORY_EVENTS),
  MOBILE_XML_CHECKIN_SUBSCRIBERS: JSON.stringify(DEMO_MOBILE_SYNC.xmlCheckInSubscribers),
  };
}

function receiverEnv(server: ChaosTemporalServer, taskQueue: string, port: number, secrets: ChaosSecrets): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    FIELDBRIDGE_ENCRYPTION_KEYS: secrets.FIELDBRIDGE_ENCRYPTION_KEYS,
    RECEIVER_HOST: HOST,
    RECEIVER_PORT: String(port),
    APP4SALES_WEBHOOK_SECRET: secrets.APP4SALES_WEBHOOK_SECRET,
    SERVICETRADE_WEBHOOK_TOKEN: secrets.SERVICETRADE_WEBHOOK_TOKEN,
    SERVICETRADE_AUTO_SYNC_NEW_JOBS: 'true',
    SERVICECHANNEL_WEBHOOK_KEY: secrets.SERVICECHANNEL_WEBHOOK_KEY,
    SERVICEPOWER_NOTIFICATION_SECRET: secrets.SERVICEPOWER_NOTIFICATION_SECRET,
  };
}

const RECEIVER_BODY_LIMIT_BYTES = 64 * 1024;
const GOOD_DELIVERY_GIVE_UP_MS = 300_000;

/** 30 % transient faults by default: 5xx answers and unanswered requests, and now and then a latency spike. */
function applyFaults(sims: Simulators, rate: number, random: () => number): void {
  if (rate <= 0) return;
  const statuses = [500, 502, 503];
  for (const sim of [sims.app4sales, sims.specter, sims.servicetrade, sims.spectrum, sims.servicechannel, sims.servicepower]) {
    const spike = random() < 0.25 ? 300 + Math.floor(random() * 1200) : undefined;
    // ServiceChannel: in some windows its writes are applied, then their answer is lost (the connection
    // dropped, or a gateway's 504): a retried write must find what landed, not write it twice.
    const loseAnswer = sim === sims.servicechannel && random() < LOSE_ANSWER_SHARE ? (random() < 0.5 ? 'drop' : '504') : undefined;
    (sim.faults as { set(input: unknown): unknown }).set({
      errorRate: rate * 0.85,
      timeoutRate: rate * 0.15,
      errorStatus: statuses[Math.floor(random() * statuses.length)],
      ...(spike ? { latencyMs: spike } : {}),
      ...(loseAnswer ? { applyThenLoseAnswer: loseAnswer } : {}),
    });
  }
}

/** Share of the 2 s fault windows in which ServiceChannel applies every write, then loses its answer. */
const LOSE_ANSWER_SHARE = 0.4;

function clearFaults(sims: Simulators): void {
  for (const sim of [sims.app4sales, sims.specter, sims.servicetrade, sims.spectrum, sims.servicechannel, sims.servicepower]) sim.faults.clear();
}

interface Sent {
  status: number | 'error';
  retryAfterMs?: number;
}

async function send(d: Delivery, receiverUrl: string, dispatcher: Agent): Promise<Sent> {
  const { url, headers, body } = d.build(receiverUrl);
  try {
    const res = await request(url, { method: 'POST', headers, body, headersTimeout: 15_000, bodyTimeout: 15_000, dispatcher });
    await res.body.dump();
    const retryAfter = Number(res.headers['retry-after']);
    return { status: res.statusCode, ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}) };
  } catch {
    return { status: 'error' };
  }
}

/** Deliver the queue, `concurrency` at a time. A good event is sent again on 5xx or no answer, as its sender would; a bad one once. */
async function deliverAll(queue: Delivery[], receiverUrl: string, concurrency: number, onProgress: (done: number) => void): Promise<DeliveryFigures> {
  const figures: DeliveryFigures = {
    good: { sent: 0, accepted: 0, refused: 0, gaveUp: 0, retries: 0, statuses: {} },
    bad: { sent: 0, refused: 0, accepted: 0, other: 0, byKind: {} },
  };
  // Its own connection pool, closed at the end (no keep-alive socket outlives the run).
  const dispatcher = new Agent({ connections: concurrency });
  const beforeDone = new Set<Delivery>();
  let next = 0;
  let done = 0;
  const slot = async () => {
    for (;;) {
      const d = queue[next++];
      if (!d) return;
      if (d.before && !beforeDone.has(d)) {
        beforeDone.add(d);
        d.before();
      }
      if (d.bad) {
        const r = await send(d, receiverUrl, dispatcher);
        const key = `${d.route} ${d.bad}`;
        const k = (figures.bad.byKind[key] ??= { sent: 0, refused: 0, statuses: {} });
        k.sent += 1;
        k.statuses[String(r.status)] = (k.statuses[String(r.status)] ?? 0) + 1;
        figures.bad.sent += 1;
        if (typeof r.status === 'number' && r.status >= 400 && r.status < 500) [figures.bad.refused, k.refused] = [figures.bad.refused + 1, k.refused + 1];
        else if (typeof r.status === 'number' && r.status < 300) figures.bad.accepted += 1;
        else figures.bad.other += 1;
      } else {
        figures.good.sent += 1;
        const deadline = Date.now() + GOOD_DELIVERY_GIVE_UP_MS;
        for (let attempt = 0; ; attempt += 1) {
          const r = await send(d, receiverUrl, dispatcher);
          figures.good.statuses[String(r.status)] = (figures.good.statuses[String(r.status)] ?? 0) + 1;
          if (typeof r.status === 'number' && r.status < 300) {
            figures.good.accepted += 1;
            break;
          }
          if (typeof r.status === 'number' && r.status < 500) {
            figures.good.refused += 1;
            break;
          }
          if (Date.now() > deadline) {
            figures.good.gaveUp += 1;
            break;
          }
          figures.good.retries += 1;
          await sleep(Math.min(r.retryAfterMs ?? 1000, 2000) * (0.5 + Math.random()));
        }
      }
      onProgress(++done);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, slot));
  } finally {
    await dispatcher.close();
  }
  return figures;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function startServer(kind: TemporalKind, dir: string, cli: string | undefined, log: Log): Promise<ChaosTemporalServer> {
  if (kind === 'postgres') return postgresTemporalServer({ dir, log });
  const path = cli ?? (await ensureTemporalCli({ log })).path;
  const server = await devTemporalServer({ cli: path, dir });
  await server.start();
  return server;
}

/** One chaos run against one Temporal server. */
export async function runChaos(options: ChaosOptions, log: Log = (msg) => process.stderr.write(`[chaos] ${msg}\n`)): Promise<ChaosResult> {
  const settings = ChaosOptionsSchema.parse(options);
  const t0 = performance.now();
  const loadAverageStart = Math.round(os.loadavg()[0]! * 10) / 10;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = settings.dir ?? join(ROOT, '.data', 'chaos', `${stamp}-${settings.temporal}`);
  mkdirSync(dir, { recursive: true });
  log(`run folder ${dir}`);
  const secrets = randomSecrets();
  const random = prng(settings.seed);
  const taskQueue = `fieldbridge-chaos`;

  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  let stopLoops = () => {};
  try {
    log(`starting the Temporal server (${settings.temporal})`);
    const server = await startServer(settings.temporal, dir, settings.cli, log);
    cleanups.push(() => server.close());
    const simLog = pino.destination({ dest: join(dir, 'simulators.log'), sync: false });
    const simLogger = pino({ name: 'simulators', level: 'info' }, simLog);
    let simLogClosed = false;
    const closeSimLog = () =>
      new Promise<void>((resolve) => {
        if (simLogClosed) return resolve();
        simLogClosed = true;
        simLog.once('close', () => resolve());
        simLog.end();
      });
    const sims = await startSimulators(simulatorEnv(secrets), { logger: simLogger, seed: true });
    cleanups.push(async () => {
      await sims.close();
      await closeSimLog();
    });

    const planOpts = { n: settings.n, invalidShare: settings.invalidShare, changedShare: settings.changedShare, seed: settings.seed };
    const records: ChaosRecord[] = [];
    const events: Delivery[] = [];
    const emails: string[] = [];
    if (settings.flows.includes('customer')) {
      const plan = planCustomers(sims, secrets, planOpts);
      records.push(...plan.records);
      events.push(...plan.events);
      emails.push(...plan.emails);
    }
    if (settings.flows.includes('job')) {
      const plan = planJobs(sims, secrets, planOpts);
      records.push(...plan.records);
      events.push(...plan.events);
    }
    if (settings.flows.includes('mobile')) {
      const plan = planWorkOrders(sims, secrets, planOpts);
      records.push(...plan.records);
      events.push(...plan.events);
    }

    const receiverPort = await freePort(HOST);
    const receiverUrl = `http://${HOST}:${receiverPort}`;
    const receiver = supervise({ name: 'receiver', entry: 'client/receiver-main.ts', code: settings.code, env: receiverEnv(server, taskQueue, receiverPort, secrets), logFile: join(dir, 'receiver.log'), readyText: 'webhook receiver listening' });
    cleanups.push(() => receiver.close());
    const worker = supervise({ name: 'worker', entry: 'worker/main.ts', code: settings.code, env: workerEnv(sims, server, taskQueue, secrets, settings.workerLogLevel), logFile: join(dir, 'worker.log'), readyText: '"msg":"worker started"' });
    cleanups.push(() => worker.close());
    await Promise.all([receiver.ready(), worker.ready()]);
    const setupMs = performance.now() - t0;
    log(`stack ready in ${(setupMs / 1000).toFixed(1)} s: ${records.length} records, ${events.length} distinct events x ${settings.deliveries} + ${settings.badWebhooks} bad webhooks`);

    // The chaos: faults re-drawn every 2 s, the worker killed every few seconds, the server restarted once.
    applyFaults(sims, settings.faultRate, random);
    const faultTimer = setInterval(() => applyFaults(sims, settings.faultRate, random), 2000);
    let killsWanted = true;
    stopLoops = () => {
      clearInterval(faultTimer);
      killsWanted = false;
    };
    let kills = 0;
    const killLoop = (async () => {
      while (killsWanted) {
        await sleep(settings.killEverySeconds * 1000);
        if (!killsWanted) break;
        kills += 1;
        log(`SIGKILL worker #${kills}`);
        await worker.kill();
      }
    })();

    const queue: Delivery[] = [];
    for (const e of events) for (let k = 0; k < settings.deliveries; k += 1) queue.push(e);
    queue.push(...planBadWebhooks(settings.badWebhooks, secrets, RECEIVER_BODY_LIMIT_BYTES));
    shuffle(queue, random);
    const restartAt = Math.floor(queue.length / 2);
    let restart: Promise<void> | undefined;
    let serverRestarts = 0;
    let serverDowntimeMs: number | null = null;
    const tDeliver = performance.now();
    let lastReport = 0;
    const webhooks = await deliverAll(queue, receiverUrl, settings.concurrency, (done) => {
      if (settings.restartServer && !restart && done >= restartAt) {
        restart = (async () => {
          log(`stopping the Temporal server mid-run (${done}/${queue.length} deliveries)`);
          const t = performance.now();
          await server.restart(2000);
          serverDowntimeMs = Math.round(performance.now() - t);
          serverRestarts += 1;
          log(`Temporal server back after ${serverDowntimeMs} ms`);
        })();
      }
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        log(`${done}/${queue.length} deliveries`);
      }
    });
    await restart;
    const deliveriesMs = performance.now() - tDeliver;
    log(`deliveries done in ${(deliveriesMs / 1000).toFixed(1)} s: ${webhooks.good.accepted} accepted, ${webhooks.good.retries} retries, ${webhooks.bad.refused}/${webhooks.bad.sent} bad refused`);
    while (kills < settings.minKills) await sleep(200);
    killsWanted = false;
    await killLoop;
    await worker.ready();
    if (!settings.faultsDuringDrain) {
      clearInterval(faultTimer);
      clearFaults(sims);
    }

    // The drain: until every record is settled (closed, waiting, or held right by its target).
    // The operator's client, configured as the CLI is (with the run's encryption keys, where the codec reads them).
    const { client, connection } = await connectClient(
      loadConfig(['temporal'], { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, TEMPORAL_TASK_QUEUE: taskQueue, FIELDBRIDGE_ENCRYPTION_KEYS: secrets.FIELDBRIDGE_ENCRYPTION_KEYS }).temporal,
    );
    cleanups.push(() => connection.close());
    const tDrain = performance.now();
    let drained = false;
    let lastLeft = -1;
    while (performance.now() - tDrain < settings.drainTimeoutSeconds * 1000) {
      const visible = await listAll(client).catch(() => undefined);
      if (visible) {
        const left = records.filter((r) => !isSettled(sims, r, visible.get(workflowIdOf(r))));
        if (left.length === 0) {
          drained = true;
          break;
        }
        if (left.length !== lastLeft) log(`drain: ${left.length} records not settled (${left.slice(0, 3).map(workflowIdOf).join(', ')}${left.length > 3 ? ', ...' : ''})`);
        lastLeft = left.length;
      }
      await sleep(2000);
    }
    const drainMs = performance.now() - tDrain;
    stopLoops();
    clearFaults(sims);

    const tVerify = performance.now();
    const visible = await listAll(client);
    const checks = await checkRecords(client, sims, records, visible);
    const flows: Partial<Record<Flow, FlowFigures>> = {};
    for (const flow of settings.flows) flows[flow] = flowFigures(flow, checks);
    const unexpected = unexpectedWorkflows(visible, records);
    const exported = await exportHistories(client, join(dir, 'histories'));
    const workerStarts = worker.starts;
    const workerReadyAfterKillMs = [...worker.readyAfterKillMs];
    const workerUnexpected = worker.unexpectedExits;
    const receiverUnexpected = receiver.unexpectedExits;
    // Stop everything, so every log is flushed and the database files are complete, then scan.
    await connection.close();
    await worker.close();
    await receiver.close();
    await sims.close();
    await closeSimLog();
    await server.stop();
    const targets: ScanTarget[] = [
      ...logTargets(dir),
      ...[...exported.bytes].map(([file, data]) => ({ place: 'histories' as const, name: file, data })),
    ];
    for (const f of server.filesToScan()) targets.push({ place: 'database', name: f.slice(dir.length + 1) || f, data: readFileSync(f) });
    const secretsScan = scanSecrets(targets, secretValues(secrets), emails);
    const verifyMs = performance.now() - tVerify;

    const sum = (pick: (f: FlowFigures) => number) => Object.values(flows).reduce((acc, f) => acc + pick(f!), 0);
    const leaked = secretsScan.hits.reduce((acc, h) => acc + h.count, 0);
    const totals = { lost: sum((f) => f.lost), duplicated: sum((f) => f.duplicated), wrong: sum((f) => f.wrong), stuck: sum((f) => f.stuck), retrying: sum((f) => f.retrying), leaked };
    const { dir: _dir, cli: _cli, ...shownSettings } = settings;
    void _dir;
    void _cli;
    const result: ChaosResult = {
      temporal: settings.temporal,
      dir,
      settings: shownSettings,
      flows,
      webhooks,
      workflowsStartedByBadWebhooks: unexpected.byBadWebhooks,
      unplannedWorkflows: unexpected.unplanned.length,
      machine: { cpus: os.cpus().length, loadAverageStart, loadAverageEnd: Math.round(os.loadavg()[0]! * 10) / 10 },
      chaos: { workerKills: kills, workerStarts, workerUnexpectedExits: workerUnexpected, receiverUnexpectedExits: receiverUnexpected, serverRestarts, serverDowntimeMs, workerReadyAfterKillMs },
      timingsMs: { setup: Math.round(setupMs), deliveries: Math.round(deliveriesMs), drain: Math.round(drainMs), drained, verify: Math.round(verifyMs), total: Math.round(performance.now() - t0) },
      histories: exported.files,
      secrets: secretsScan,
      totals,
      ok:
        totals.lost === 0 &&
        totals.duplicated === 0 &&
        totals.wrong === 0 &&
        totals.stuck === 0 &&
        totals.retrying === 0 &&
        totals.leaked === 0 &&
        unexpected.byBadWebhooks === 0 &&
        webhooks.bad.accepted === 0,
    };
    return result;
  } finally {
    stopLoops();
    await cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// report

function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`;
  return [line(header), `  ${'-'.repeat(widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1))}`, ...rows.map(line)].join('\n');
}

const FLOW_TITLES: Record<Flow, string> = { customer: 'customer (App4Sales -> Specter)', job: 'job (ServiceTrade -> Spectrum)', mobile: 'mobile (ServiceChannel -> ServicePower)' };

export function formatReport(r: ChaosResult): string {
  const out: string[] = [];
  const s = r.settings;
  out.push('', `Chaos run on the ${r.temporal === 'dev' ? 'Temporal dev server (SQLite file)' : 'Temporal server on PostgreSQL'}`);
  out.push(`  settings  n=${s.n} per flow, ${s.deliveries} deliveries per event, ${s.badWebhooks} bad webhooks, worker SIGKILL every ${s.killEverySeconds} s, ${Math.round(s.faultRate * 100)} % faults (ServiceChannel writes applied then unanswered in ${Math.round(LOSE_ANSWER_SHARE * 100)} % of the windows), ${Math.round(s.invalidShare * 100)} % invalid, ${Math.round(s.changedShare * 100)} % changed`);
  out.push(`  machine   ${r.machine.cpus} cores, load average ${r.machine.loadAverageStart} at the start, ${r.machine.loadAverageEnd} at the end`);
  out.push(`  chaos     worker killed ${r.chaos.workerKills}x (${r.chaos.workerStarts} starts, ${r.chaos.workerUnexpectedExits} exits on its own), server restarted ${r.chaos.serverRestarts}x (${r.chaos.serverDowntimeMs ?? '-'} ms down)`);
  out.push(`  code      ${r.settings.code === 'built' ? 'built (node dist/, prebuilt workflow bundle)' : 'source (tsx, workflows bundled at each worker start)'}; worker ready after a kill ${spread(r.chaos.workerReadyAfterKillMs)}`);
  out.push(`  time      setup ${(r.timingsMs.setup / 1000).toFixed(1)} s, deliveries ${(r.timingsMs.deliveries / 1000).toFixed(1)} s, drain ${(r.timingsMs.drain / 1000).toFixed(1)} s${r.timingsMs.drained ? '' : ' (NOT drained)'}, verify ${(r.timingsMs.verify / 1000).toFixed(1)} s`);
  out.push(`  files     ${r.dir}`, '');
  const flows = Object.keys(r.flows) as Flow[];
  const rows: Array<[string, (f: FlowFigures) => number | string]> = [
    ['records (valid + invalid)', (f) => `${f.valid} + ${f.invalid}`],
    ['changed once more mid-run', (f) => f.changed],
    ['synced right (valid)', (f) => f.ok],
    ['lost', (f) => f.lost],
    ['duplicated', (f) => f.duplicated],
    ['wrong', (f) => f.wrong],
    ['stuck (running, no reason)', (f) => f.stuck],
    ['still retrying at drain end', (f) => f.retrying],
    ['failed, reason named', (f) => f.failedNamed],
    ['waiting, reason named', (f) => f.waitingNamed],
    ['failed / waiting, no reason', (f) => f.failedUnnamed],
  ];
  out.push(table(rows.map(([label, pick]) => [label, ...flows.map((fl) => String(pick(r.flows[fl]!)))]), ['', ...flows.map((fl) => FLOW_TITLES[fl])]));
  out.push('', '  reasons (failed, waiting, and anything not right):');
  for (const fl of flows) for (const [reason, count] of Object.entries(r.flows[fl]!.reasons).sort((a, b) => b[1] - a[1])) out.push(`    ${fl.padEnd(8)} ${String(count).padStart(5)}  ${reason}`);
  const w = r.webhooks;
  out.push('', '  webhooks');
  out.push(`    good deliveries   ${w.good.sent} sent, ${w.good.accepted} accepted, ${w.good.retries} re-sent after 5xx / no answer, ${w.good.refused} refused (4xx), ${w.good.gaveUp} given up; answers ${JSON.stringify(w.good.statuses)}`);
  out.push(`    bad webhooks      ${w.bad.sent} sent, ${w.bad.refused} refused (4xx), ${w.bad.accepted} accepted (2xx), ${w.bad.other} other`);
  out.push(`    workflows started by bad webhooks: ${r.workflowsStartedByBadWebhooks}; workflows of no planned record: ${r.unplannedWorkflows}`);
  out.push(table(Object.entries(w.bad.byKind).map(([k, v]) => [k, String(v.sent), String(v.refused), Object.entries(v.statuses).map(([st, c]) => `${st}:${c}`).join(' ')]), ['bad webhook', 'sent', 'refused', 'answers']));
  const sc = r.secrets;
  out.push('', `  secrets scan: ${sc.secretsSearched} secrets and ${sc.emailsSearched} customer e-mails searched in ${sc.scanned.logs} log files, ${sc.scanned.histories} exported histories, ${sc.scanned.database} database files`);
  out.push(table((['logs', 'histories', 'database'] as const).map((p) => [p, String(sc.leaked.secrets[p]), String(sc.leaked.emails[p])]), ['', 'secrets found', 'e-mails found']));
  for (const h of sc.hits) out.push(`    LEAK ${h.place}: ${h.what} x${h.count} in ${h.file}`);
  out.push('', `  totals: lost ${r.totals.lost}, duplicated ${r.totals.duplicated}, wrong ${r.totals.wrong}, stuck ${r.totals.stuck}, still retrying ${r.totals.retrying}, leaked ${r.totals.leaked}, started by bad webhooks ${r.workflowsStartedByBadWebhooks}: ${r.ok ? 'OK' : 'NOT OK'}`);
  return out.join('\n');
}

/** Two or more runs, one column per server. */
export function formatSideBySide(results: ChaosResult[]): string {
  const rows: string[][] = [];
  const flows = [...new Set(results.flatMap((r) => Object.keys(r.flows) as Flow[]))];
  for (const fl of flows) {
    for (const [label, key] of [['lost', 'lost'], ['duplicated', 'duplicated'], ['wrong', 'wrong'], ['stuck', 'stuck'], ['retrying', 'retrying'], ['failed named', 'failedNamed'], ['waiting named', 'waitingNamed']] as const) {
      rows.push([`${fl} ${label}`, ...results.map((r) => String(r.flows[fl]?.[key] ?? '-'))]);
    }
  }
  rows.push(['bad webhooks refused / sent', ...results.map((r) => `${r.webhooks.bad.refused}/${r.webhooks.bad.sent}`)]);
  rows.push(['workflows started by bad webhooks', ...results.map((r) => String(r.workflowsStartedByBadWebhooks))]);
  rows.push(['leaks (hits)', ...results.map((r) => String(r.totals.leaked))]);
  rows.push(['worker kills / server restarts', ...results.map((r) => `${r.chaos.workerKills} / ${r.chaos.serverRestarts}`)]);
  rows.push(['worker ready after a kill', ...results.map((r) => spread(r.chaos.workerReadyAfterKillMs))]);
  rows.push(['deliveries (s)', ...results.map((r) => (r.timingsMs.deliveries / 1000).toFixed(1))]);
  rows.push(['drain (s)', ...results.map((r) => (r.timingsMs.drain / 1000).toFixed(1))]);
  return `\nSide by side\n${table(rows, ['', ...results.map((r) => r.temporal)])}`;
}

// ---------------------------------------------------------------------------------------------
// command line

const ArgsSchema = z.object({
  n: z.coerce.number().int().min(1).optional(),
  deliveries: z.coerce.number().int().min(1).optional(),
  'kill-every': z.coerce.number().positive().optional(),
  'min-kills': z.coerce.number().int().min(0).optional(),
  'fault-rate': z.coerce.number().min(0).max(1).optional(),
  'faults-during-drain': z.literal(true).optional(),
  'bad-webhooks': z.coerce.number().int().min(0).optional(),
  'invalid-share': z.coerce.number().min(0).max(1).optional(),
  'changed-share': z.coerce.number().min(0).max(1).optional(),
  'no-server-restart': z.literal(true).optional(),
  temporal: z
    .string()
    .default('dev')
    .transform((s) => s.split(',').map((k) => k.trim()))
    .pipe(z.array(z.enum(TEMPORAL_KINDS as [TemporalKind, ...TemporalKind[]])).min(1)),
  flows: z
    .string()
    .transform((s) => s.split(',').map((k) => k.trim()))
    .pipe(z.array(z.enum(['customer', 'job', 'mobile'])).min(1))
    .optional(),
  concurrency: z.coerce.number().int().min(1).optional(),
  'drain-timeout': z.coerce.number().positive().optional(),
  seed: z.coerce.number().int().optional(),
  dir: z.string().optional(),
  'worker-log-level': z.enum(['debug', 'info', 'warn']).optional(),
  code: z.enum(['source', 'built']).optional(),
});

/** min / median / max of some durations, in seconds ("-" when there are none). */
function spread(ms: readonly number[]): string {
  if (ms.length === 0) return '-';
  const sorted = [...ms].sort((a, b) => a - b);
  const s = (v: number) => (v / 1000).toFixed(1);
  return `${s(sorted[0]!)} / ${s(sorted[Math.floor((sorted.length - 1) / 2)]!)} / ${s(sorted[sorted.length - 1]!)} s (min / median / max of ${sorted.length})`;
}

const USAGE = `usage: npm run chaos -- [--n 300] [--deliveries 10] [--kill-every 5] [--min-kills 2] [--fault-rate 0.3] [--faults-during-drain]
  [--bad-webhooks 1000] [--invalid-share 0.1] [--changed-share 0.2] [--no-server-restart] [--temporal dev|postgres|dev,postgres]
  [--flows customer,job,mobile] [--concurrency 16] [--drain-timeout 900] [--seed N] [--dir PATH] [--worker-log-level info]
  [--code source|built]   the worker and receiver from the sources (tsx) or from dist/ (npm run build first)`;

export function parseArgs(argv: string[]): z.output<typeof ArgsSchema> {
  const raw: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (inline !== undefined) raw[name] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) raw[name] = argv[++i]!;
    else raw[name] = true;
  }
  const parsed = ArgsSchema.strict().safeParse(raw);
  if (!parsed.success) throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n${USAGE}`);
  return parsed.data;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const results: ChaosResult[] = [];
  const failures: Array<{ temporal: TemporalKind; error: string }> = [];
  for (const temporal of args.temporal) {
    try {
      const result = await runChaos({
        temporal,
        n: args.n,
        deliveries: args.deliveries,
        killEverySeconds: args['kill-every'],
        minKills: args['min-kills'],
        faultRate: args['fault-rate'],
        faultsDuringDrain: args['faults-during-drain'],
        badWebhooks: args['bad-webhooks'],
        invalidShare: args['invalid-share'],
        changedShare: args['changed-share'],
        restartServer: args['no-server-restart'] ? false : undefined,
        flows: args.flows,
        concurrency: args.concurrency,
        drainTimeoutSeconds: args['drain-timeout'],
        seed: args.seed,
        dir: args.dir && args.temporal.length > 1 ? join(args.dir, temporal) : args.dir,
        workerLogLevel: args['worker-log-level'],
        code: args.code,
      });
      process.stdout.write(`${formatReport(result)}\n`);
      results.push(result);
    } catch (err) {
      // One server failing to run does not lose the other's figures.
      const error = err instanceof Error ? err.message : String(err);
      process.stdout.write(`\nChaos run on ${temporal}: could not run: ${error}\n`);
      failures.push({ temporal, error });
    }
  }
  if (results.length > 1) process.stdout.write(`${formatSideBySide(results)}\n`);
  const ok = failures.length === 0 && results.every((r) => r.ok);
  process.stdout.write(`CHAOS_JSON ${JSON.stringify({ ok, runs: results, failures })}\n`);
  process.exitCode = ok ? 0 : 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
