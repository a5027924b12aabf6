/**
 * The benchmark (`npm run bench`, which package.json points at this file): how fast FieldBridge syncs
 * on this machine, what each sync costs in Temporal actions, and how much of the time is the
 * engine's own (a "null" sync of the same shape with no-op activities). Three flows:
 *
 *   customer  App4Sales customer -> Specter customer (bench/customer-flow.ts): phases real, null.
 *   job       ServiceTrade job -> Spectrum work order (bench/job-flow.ts): phases job-real, job-null;
 *             jobs of 5 items measured, then a few jobs of 25 items per phase for actions per sync.
 *   mobile    ServiceChannel work order -> ServicePower mobile work order (bench/mobile-flow.ts,
 *             bench/work-orders.ts): phases mobile-real, mobile-null; a burst of events over N work
 *             orders, each delivered several times, shuffled; the peak ServiceChannel request rate.
 *
 *   npm run bench                               # all three flows; customer N=200, job N=100, concurrency 50, 10 warm-up syncs per phase;
 *                                               # mobile: 50 work orders, 300 events x 3 deliveries at the production ceiling (270/min)
 *   npm run bench -- --flows mobile --mobile-n 100 --burst 1000   # the burst of 1,000 events: about 4 min for mobile-real
 *   npm run bench -- --n 500 --concurrency 100  # --n sets N for both flows (--job-n for the job flow alone)
 *   npm run bench -- --flows job --phases null,real
 *   BENCH_N=50 BENCH_CONCURRENCY=10 npm run bench
 *   npm run bench 2>/dev/null | grep '^BENCH_JSON ' | cut -c12- | jq .
 *
 * Self-contained: the provisioned Temporal CLI's dev server (in-memory), the four simulators
 * in-process on random ports, and one production-built worker per phase (same factory, interceptors
 * and tuning as worker/main.ts, same workflow bundle), all running in this process except the dev
 * server and the customer flow's worker, which runs in a process of its own (bench/worker-process.ts;
 * `--worker-process inline` keeps it here), so that its CPU is measured alone. Flows run one after
 * the other on the same dev server, each phase on its own task queue.
 *
 * A sync is triggered as the webhook receiver does (signal-with-start) and awaited to completion; at
 * most `concurrency` syncs are in flight. Latencies are measured from the trigger to the moment the
 * target simulator holds the record (real phases) and to workflow completion (result() returns).
 * Figures only: nothing here passes or fails. Shared machinery: bench/runner.ts.
 *
 * Output, per flow: a table on stdout, then one line `BENCH_JSON {...}` with every figure of that
 * flow (`"bench": "customer-sync"` or `"job-sync"`); log lines (pino) go to stderr.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, createServiceChannelActivities, createWorkOrderToMobileActivities } from '../activities';
import { createLogger } from '../common/logger';
import { loadConfig } from '../common/config';
import { fieldBridgeDataConverter } from '../common/temporal-connection';
import { ALL_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { startApp4SalesSimulator } from '../connectors/app4sales/simulator';
import { startServiceTradeSimulator } from '../connectors/servicetrade/simulator';
import { startSpecterSimulator } from '../connectors/specter/simulator';
import { demoSpectrumAuthorization, demoSpectrumSettings } from '../connectors/spectrum/demo-data';
import { startSpectrumSimulator } from '../connectors/spectrum/simulator';
import { demoServiceChannelData } from '../connectors/servicechannel/demo-data';
import { startServiceChannelSimulator, type ServiceChannelSimulator } from '../connectors/servicechannel/simulator';
import { demoServicePowerData } from '../connectors/servicepower/demo-data';
import { startServicePowerSimulator, type ServicePowerSimulator } from '../connectors/servicepower/simulator';
import { DEFAULT_JOB_FLOW_CREDENTIALS, DEFAULT_MOBILE_FLOW_CREDENTIALS, simulatorAdapterConfig } from '../scripts/simulator-adapter-config';
import { devServerDynamicConfigArgs, devServerFileArgs, QUEUE_POLL_RPS } from '../scripts/dev-server-settings';
import { freePort } from '../common/ports';
import { CUSTOMER_UPSERT_VERSION, JOB_TO_WORK_ORDER_VERSION } from '../workflows/definitions';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { createActivityDeps, serviceChannelRequestsPerMinute } from '../worker/deps';
import { bundleWorkflows, installRuntimeLogger } from '../worker/worker';
import { customerReport, loadBaseline, runCustomerFlow, type CustomerPhaseName } from './customer-flow';
import { jobReport, runJobFlow, type JobPhaseName } from './job-flow';
import { benchServiceTradeSeed, benchSpectrumSeed } from './jobs';
import { ceilingBoundMs, mobileReport, runMobileFlow, type MobilePhaseName } from './mobile-flow';
import { findDevServerPid, machineInfo, type BenchEngine } from './runner';
import { runOncePerServer, startPostgresEngine } from './temporal-servers';

const APP4SALES_API_KEY = 'bench-app4sales-key';
const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789';
const SPECTER = { sbmId: 7, writeUser: { id: 'bench-writer', key: 'bench-write-key' }, readUser: { id: 'bench-reader', key: 'bench-read-key' } };
const JOB_FLOW = DEFAULT_JOB_FLOW_CREDENTIALS;
const MOBILE_FLOW = DEFAULT_MOBILE_FLOW_CREDENTIALS;

// ---------------------------------------------------------------------------------------------
// options

type FlowName = 'customer' | 'job' | 'mobile';
const FLOW_NAMES: readonly FlowName[] = ['customer', 'job', 'mobile'];
type PhaseKind = 'real' | 'null';
const PHASE_KINDS: readonly PhaseKind[] = ['real', 'null'];

interface BenchOptions {
  /** Flows to run, in this order. */
  flows: FlowName[];
  /** Phase kinds to run in each flow, in this order. */
  phases: PhaseKind[];
  /** Customer syncs measured per phase. */
  n: number;
  /** Job syncs (5 items) measured per phase. */
  jobN: number;
  concurrency: number;
  warmup: number;
  syncTimeoutMs: number;
  /** Items per job of the job flow's extra measurement, and how many such jobs per phase. */
  extraItems: number;
  extraN: number;
  /** Mobile flow: work orders, distinct events, deliveries of each, our ServiceChannel ceiling per minute. */
  mobileN: number;
  burst: number;
  copies: number;
  scCeiling: number;
  /** Customer flow: syncs one at a time (the idle engine) and syncs at a steady rate, per real/null phase. */
  idleN: number;
  pacedN: number;
  rate: number;
  /** Dev server: eager activity dispatch (system.enableActivityEagerExecution), SQLite in memory or in a file. */
  eager: boolean;
  /** Dev server: history queue readers' polls per second (20: the server's default, the "before"). */
  queuePollRps: number;
  db: 'memory' | 'file' | 'file-default';
  /** The customer and job syncs' command sequence: 1 (both flows' first sequence) or CUSTOMER_UPSERT_VERSION (each flow then runs its current one: the job flow JOB_TO_WORK_ORDER_VERSION). */
  workflowVersion: number;
  /** Compare with this earlier BENCH_JSON (customer flow), printed side by side; '' for none. */
  baseline: string;
  /** The Temporal server(s): the CLI's dev server, the PostgreSQL-backed server, or each in turn, side by side. */
  temporal: TemporalKind[];
  /** Customer flow: the worker in a process of its own (its CPU alone) or in this one. */
  workerProcess: 'child' | 'inline';
  /** Customer flow, worker in its own process: write its CPU profiles (node --cpu-prof) here. */
  workerCpuProf: string;
  /** More dynamic config for the dev server (`key=value`), after FieldBridge's own: to measure a setting. */
  dynamicConfig: string[];
}

const TEMPORAL_KINDS = ['dev', 'postgres'] as const;
type TemporalKind = (typeof TEMPORAL_KINDS)[number];

const DEFAULT_N = 200;
const DEFAULT_JOB_N = 100;
const JOB_ITEMS = 5;
const DEFAULT_MOBILE_N = 50;
const DEFAULT_BURST = 300;
const DEFAULT_COPIES = 3;
/** Production: 300 requests/min per client id; our ceiling 90 % of it (worker/deps.ts). */
const DEFAULT_SC_CEILING = serviceChannelRequestsPerMinute({ environment: 'production' });
const DEFAULT_IDLE_N = 40;
const DEFAULT_PACED_N = 150;
const DEFAULT_RATE = 10;
const DEFAULT_BASELINE = 'bench/baseline/customer-sync-before.json';
const DEFAULT_BURST_S = Math.round(ceilingBoundMs(DEFAULT_BURST, DEFAULT_MOBILE_N, DEFAULT_SC_CEILING) / 1000);
const BURST_1000_S = Math.round(ceilingBoundMs(1000, 100, DEFAULT_SC_CEILING) / 1000);

const USAGE = `usage: npm run bench -- [--flows customer,job,mobile] [--phases real,null] [--n N] [--job-n N] [--concurrency C]
                        [--warmup W] [--timeout-ms MS] [--extra-items I] [--extra-n M]
                        [--mobile-n N] [--burst E] [--copies K] [--sc-ceiling R]
  --flows        flows to run, in this order         [BENCH_FLOWS, default customer,job,mobile]
                   customer: App4Sales customer -> Specter; job: ServiceTrade job (5 items) -> Spectrum work order;
                   mobile: ServiceChannel work order -> ServicePower mobile work order, a burst of events
  --phases       phases of each flow, in this order  [BENCH_PHASES, default real,null]
                   (the job flow's are reported as job-real, job-null, the mobile flow's as mobile-real, mobile-null)
  --n            syncs measured per phase            [BENCH_N, default ${DEFAULT_N}; the job flow's default is ${DEFAULT_JOB_N}]
                   sets N for both flows unless --job-n is given
  --job-n        job syncs measured per phase        [BENCH_JOB_N, default --n if given, else ${DEFAULT_JOB_N}]
                   (half the customer flow's default, so that a default run of both flows stays
                   near two minutes on a 2-core machine; a job sync makes ~3x the HTTP/SOAP calls)
  --concurrency  syncs in flight at once             [BENCH_CONCURRENCY, default 50]
  --warmup       unmeasured syncs before each phase  [BENCH_WARMUP, default 10]
  --timeout-ms   give up on one sync after MS        [BENCH_SYNC_TIMEOUT_MS, default 60000]
  --extra-items  items per job of the job flow's     [BENCH_EXTRA_ITEMS, default 25]
                   extra measurement (actions per sync whatever the item count)
  --extra-n      jobs of that size per job phase     [BENCH_EXTRA_N, default 10; 0 skips it]
  --mobile-n     work orders of the mobile burst     [BENCH_MOBILE_N, default ${DEFAULT_MOBILE_N}]
  --burst        distinct events in the burst        [BENCH_BURST, default ${DEFAULT_BURST}; the first N are WorkOrderCreated]
                   every event costs a ServiceChannel read and every work order a status write, so
                   mobile-real takes at least (burst + N) / ceiling minutes: the default ~${DEFAULT_BURST_S} s, which
                   keeps a default run of all three flows near four minutes on a 2-core machine;
                   --mobile-n 100 --burst 1000 (the issue's burst of 1,000 events) ~${BURST_1000_S} s
  --copies       deliveries of each event            [BENCH_COPIES, default ${DEFAULT_COPIES}] (all shuffled)
  --sc-ceiling   our ServiceChannel requests/min     [BENCH_SC_CEILING, default ${DEFAULT_SC_CEILING}: 90 % of production's 300;
                   the simulator runs production limits; the mobile-null phase's ceiling is lifted]
                 --concurrency is the mobile burst's deliveries in flight; --timeout-ms the time its
                 drain may take beyond what the ceiling needs
  --idle-n       customer syncs one at a time        [BENCH_IDLE_N, default ${DEFAULT_IDLE_N}; 0 skips] (latency of an idle engine)
  --paced-n      customer syncs at a steady rate     [BENCH_PACED_N, default ${DEFAULT_PACED_N}; 0 skips]
  --rate         that rate, syncs/s                  [BENCH_RATE, default ${DEFAULT_RATE}] (open loop: p99 at 10 syncs/s)
  --eager        dev server's eager activity dispatch [BENCH_EAGER, on|off, default on] (off: the "before")
  --queue-poll-rps  dev server's history queue reads/s [BENCH_QUEUE_POLL_RPS, default ${QUEUE_POLL_RPS}] (20: the server's default, the "before")
  --db           dev server's SQLite                 [BENCH_DB, memory|file|file-default, default memory]
                   (file: as npm start runs it, WAL; file-default: the SQLite defaults)
  --workflow-version  customer and job syncs' command sequence [BENCH_WORKFLOW_VERSION, 1|${CUSTOMER_UPSERT_VERSION}, default ${CUSTOMER_UPSERT_VERSION}] (1: both flows' first sequence; else the customer flow's ${CUSTOMER_UPSERT_VERSION} and the job flow's ${JOB_TO_WORK_ORDER_VERSION})
  --baseline     earlier customer BENCH_JSON file    [BENCH_BASELINE, default ${DEFAULT_BASELINE}; '' for none]
                   printed side by side with this run's figures (before / after)
  --worker-process  customer flow's worker           [BENCH_WORKER_PROCESS, child|inline, default child]
                   (child: a process of its own, so "CPU per sync, worker alone" is the worker's; the client
                    and the simulators stay in the bench process; inline: all in one process, as before)
  --worker-cpu-prof DIR  profile that worker process  [BENCH_WORKER_CPU_PROF] (node --cpu-prof; then
                   npx tsx bench/probe/cpu-profile-summary.ts DIR/*.cpuprofile)
  --dynamic-config K=V[,K=V]  more dev server dynamic config [BENCH_DYNAMIC_CONFIG] (to measure a server setting;
                   e.g. matching.numTaskqueueReadPartitions=1,matching.numTaskqueueWritePartitions=1)
  --temporal     Temporal server(s)                  [BENCH_TEMPORAL, dev|postgres|dev,postgres, default dev]
                   (postgres: scripts/temporal-server.ts on the machine's PostgreSQL, databases dropped after;
                    two: the bench runs once per server and prints the headline figures side by side)`;

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      flows: { type: 'string' },
      phases: { type: 'string' },
      n: { type: 'string' },
      'job-n': { type: 'string' },
      concurrency: { type: 'string' },
      warmup: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'extra-items': { type: 'string' },
      'extra-n': { type: 'string' },
      'mobile-n': { type: 'string' },
      burst: { type: 'string' },
      copies: { type: 'string' },
      'sc-ceiling': { type: 'string' },
      'idle-n': { type: 'string' },
      'paced-n': { type: 'string' },
      rate: { type: 'string' },
      eager: { type: 'string' },
      'queue-poll-rps': { type: 'string' },
      db: { type: 'string' },
      baseline: { type: 'string' },
      'workflow-version': { type: 'string' },
      temporal: { type: 'string' },
      'worker-process': { type: 'string' },
      'worker-cpu-prof': { type: 'string' },
      'dynamic-config': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min} (got ${JSON.stringify(raw)})\n${USAGE}`);
    return value;
  };
  const list = <T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T[] => {
    const items = (raw ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const unknown = items.filter((p) => !allowed.includes(p as T));
    if (unknown.length > 0 || new Set(items).size !== items.length) {
      throw new Error(`${name} must be distinct names out of ${allowed.join(', ')} (got ${JSON.stringify(items.join(','))})\n${USAGE}`);
    }
    return items.length > 0 ? (items as T[]) : [...allowed];
  };
  const oneOf = <T extends string>(name: string, raw: string | undefined, allowed: readonly T[], fallback: T): T => {
    if (raw === undefined || raw.trim() === '') return fallback;
    if (!allowed.includes(raw.trim() as T)) throw new Error(`${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(raw)})\n${USAGE}`);
    return raw.trim() as T;
  };
  const rawN = values.n ?? env.BENCH_N;
  const n = int('n', rawN, DEFAULT_N, 1);
  const nGiven = rawN !== undefined && rawN.trim() !== '';
  const mobileN = int('mobile-n', values['mobile-n'] ?? env.BENCH_MOBILE_N, DEFAULT_MOBILE_N, 1);
  const burst = int('burst', values.burst ?? env.BENCH_BURST, Math.max(DEFAULT_BURST, mobileN), 1);
  if (burst < mobileN) throw new Error(`burst (${burst}) must be at least mobile-n (${mobileN}): the first events create the work orders\n${USAGE}`);
  return {
    flows: list('flows', values.flows ?? env.BENCH_FLOWS, FLOW_NAMES),
    temporal: (values.temporal ?? env.BENCH_TEMPORAL) ? list('temporal', values.temporal ?? env.BENCH_TEMPORAL, TEMPORAL_KINDS) : ['dev'],
    phases: list('phases', values.phases ?? env.BENCH_PHASES, PHASE_KINDS),
    n,
    jobN: int('job-n', values['job-n'] ?? env.BENCH_JOB_N, nGiven ? n : DEFAULT_JOB_N, 1),
    concurrency: int('concurrency', values.concurrency ?? env.BENCH_CONCURRENCY, 50, 1),
    warmup: int('warmup', values.warmup ?? env.BENCH_WARMUP, 10, 0),
    syncTimeoutMs: int('timeout-ms', values['timeout-ms'] ?? env.BENCH_SYNC_TIMEOUT_MS, 60_000, 1),
    extraItems: int('extra-items', values['extra-items'] ?? env.BENCH_EXTRA_ITEMS, 25, 1),
    extraN: int('extra-n', values['extra-n'] ?? env.BENCH_EXTRA_N, 10, 0),
    mobileN,
    burst,
    copies: int('copies', values.copies ?? env.BENCH_COPIES, DEFAULT_COPIES, 1),
    scCeiling: int('sc-ceiling', values['sc-ceiling'] ?? env.BENCH_SC_CEILING, DEFAULT_SC_CEILING, 1),
    idleN: int('idle-n', values['idle-n'] ?? env.BENCH_IDLE_N, DEFAULT_IDLE_N, 0),
    pacedN: int('paced-n', values['paced-n'] ?? env.BENCH_PACED_N, DEFAULT_PACED_N, 0),
    rate: int('rate', values.rate ?? env.BENCH_RATE, DEFAULT_RATE, 1),
    eager: oneOf('eager', values.eager ?? env.BENCH_EAGER, ['on', 'off'] as const, 'on') === 'on',
    queuePollRps: int('queue-poll-rps', values['queue-poll-rps'] ?? env.BENCH_QUEUE_POLL_RPS, QUEUE_POLL_RPS, 1),
    db: oneOf('db', values.db ?? env.BENCH_DB, ['memory', 'file', 'file-default'] as const, 'memory'),
    baseline: values.baseline ?? env.BENCH_BASELINE ?? DEFAULT_BASELINE,
    workerProcess: oneOf('worker-process', values['worker-process'] ?? env.BENCH_WORKER_PROCESS, ['child', 'inline'] as const, 'child'),
    workerCpuProf: values['worker-cpu-prof'] ?? env.BENCH_WORKER_CPU_PROF ?? '',
    dynamicConfig: (values['dynamic-config'] ?? env.BENCH_DYNAMIC_CONFIG ?? '').split(',').map((kv) => kv.trim()).filter(Boolean),
    workflowVersion: Number(oneOf('workflow-version', values['workflow-version'] ?? env.BENCH_WORKFLOW_VERSION, ['1', String(CUSTOMER_UPSERT_VERSION)] as const, String(CUSTOMER_UPSERT_VERSION))),
  };
}

// ---------------------------------------------------------------------------------------------
// main

async function main(): Promise<number> {
  const began = performance.now();
  const log = createLogger({ name: 'bench', level: process.env.LOG_LEVEL ?? 'info', format: 'auto', destination: process.stderr });
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  // Several servers: the bench once per server, the figures side by side.
  if (opts.temporal.length > 1) return runOncePerServer(opts.temporal, process.argv.slice(2));
  const postgres = opts.temporal[0] === 'postgres';

  // The worker's (and the SDK's) logs: warnings and errors only, on stderr.
  installRuntimeLogger(createLogger({ name: 'worker', level: 'warn', format: 'json', destination: process.stderr }));

  const cli = await ensureTemporalCli({ log: (msg) => log.info(msg) });
  const machine = machineInfo(cli.version);
  log.info({ ...opts, cpus: machine.cpus }, 'starting the stack');

  const closers: Array<() => Promise<void>> = [];
  let envTeardown: (() => Promise<void>) | undefined;
  let postgresServer: Awaited<ReturnType<typeof startPostgresEngine>> | undefined;
  try {
    const t0 = performance.now();
    const bundleStarted = performance.now();
    // Payload encryption when keys are configured (FIELDBRIDGE_ENCRYPTION_KEYS/_KEY_FILE), as in production.
    const dataConverter = fieldBridgeDataConverter(loadConfig(['temporal']).temporal);
    log.info({ encryption: dataConverter ? 'on' : 'off' }, 'payload encryption');
    const bundlePromise = bundleWorkflows(undefined, dataConverter).then((b) => ({ b, ms: performance.now() - bundleStarted }));
    bundlePromise.catch(() => undefined); // awaited below; don't report it unhandled if the stack fails first
    // The dev server's Prometheus endpoint on a port we know: heartbeats are counted there.
    const metricsPort = await freePort();
    // allSettled: whatever started is stopped again, even when something else failed to start.
    const mobile = opts.flows.includes('mobile');
    const [envResult, app4salesResult, specterResult, servicetradeResult, spectrumResult, servicechannelResult, servicepowerResult] = await Promise.allSettled([
      postgres
        ? startPostgresEngine({ dataConverter, eager: opts.eager, queuePollRps: opts.queuePollRps, log }).then((pg) => {
            postgresServer = pg;
            return pg.env;
          })
        : TestWorkflowEnvironment.createLocal({
        client: { dataConverter },
        server: {
          executable: { type: 'existing-path', path: cli.path },
          searchAttributes: [...ALL_SEARCH_ATTRIBUTES],
          extraArgs: [
            '--metrics-port',
            String(metricsPort),
            ...devServerDynamicConfigArgs({ eager: opts.eager, queuePollRps: opts.queuePollRps }),
            ...opts.dynamicConfig.flatMap((kv) => ['--dynamic-config-value', kv]),
            ...(opts.db === 'file' ? devServerFileArgs() : []),
          ],
          ...(opts.db !== 'memory' ? { dbFilename: join(mkdtempSync(join(tmpdir(), 'fieldbridge-bench-')), 'temporal.db') } : {}),
        },
      }),
      startApp4SalesSimulator({ apiKey: APP4SALES_API_KEY, logger: false }),
      startSpecterSimulator({ ...SPECTER, logger: false }),
      startServiceTradeSimulator({ clients: [JOB_FLOW.servicetrade], seed: benchServiceTradeSeed, logger: false }),
      startSpectrumSimulator({
        authorizations: [demoSpectrumAuthorization(JOB_FLOW.spectrum.authorizationId)],
        settings: { ...demoSpectrumSettings },
        seed: benchSpectrumSeed,
        logger: false,
      }),
      // The dispatch flow's simulators, only when it runs: production limits (300/min per client id).
      mobile
        ? startServiceChannelSimulator({
            clients: [{ clientId: MOBILE_FLOW.servicechannel.clientId, clientSecret: MOBILE_FLOW.servicechannel.clientSecret }],
            users: [{ username: MOBILE_FLOW.servicechannel.username, password: MOBILE_FLOW.servicechannel.password }],
            environment: 'production',
            seed: demoServiceChannelData,
            logger: false,
          })
        : Promise.resolve(undefined),
      mobile ? startServicePowerSimulator({ users: [MOBILE_FLOW.servicepower], seed: demoServicePowerData, logger: false }) : Promise.resolve(undefined),
    ]);
    const started = [envResult, app4salesResult, specterResult, servicetradeResult, spectrumResult, servicechannelResult, servicepowerResult] as const;
    if (envResult.status === 'fulfilled') envTeardown = () => (postgresServer ? postgresServer.teardown() : envResult.value.teardown());
    for (const r of started.slice(1)) if (r.status === 'fulfilled' && r.value) closers.push(() => (r.value as { close(): Promise<void> }).close());
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const ok = <T>(r: PromiseSettledResult<T>) => (r as PromiseFulfilledResult<T>).value;
    const env = ok(envResult);
    const [app4sales, specter, servicetrade, spectrum] = [ok(app4salesResult), ok(specterResult), ok(servicetradeResult), ok(spectrumResult)];
    const servicechannel: ServiceChannelSimulator | undefined = ok(servicechannelResult);
    const servicepower: ServicePowerSimulator | undefined = ok(servicepowerResult);
    const devServerMs = performance.now() - t0;
    const { b: bundle, ms: bundleMs } = await bundlePromise;
    const engine: BenchEngine = postgresServer
      ? // The server's own CPU (PostgreSQL's processes not counted); its heartbeats are not counted.
        { env, bundle, dataConverter, devServerPid: postgresServer.server.pid, metricsUrl: undefined }
      : { env, bundle, dataConverter, devServerPid: findDevServerPid(), metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
    log.info(
      { devServerPid: engine.devServerPid ?? null, app4sales: app4sales.url, specter: specter.url, servicetrade: servicetrade.url, spectrum: spectrum.wsUrl },
      'stack up',
    );

    const adapters = simulatorAdapterConfig(
      { app4sales, specter, servicetrade, spectrum, servicechannel, servicepower },
      { app4salesApiKey: APP4SALES_API_KEY, webhookSecret: WEBHOOK_SECRET, specter: SPECTER, ...JOB_FLOW, ...MOBILE_FLOW },
      { servicechannelRequestsPerMinute: opts.scCeiling },
    );
    const deps = createActivityDeps(adapters, { client: env.client, taskQueue: 'fieldbridge-bench-real' });
    const activities = createActivities(deps);
    const startupMs = { temporalCli: cli.ms, devServerAndSimulators: Math.round(devServerMs), bundle: Math.round(bundleMs) };
    const common = { concurrency: opts.concurrency, warmup: opts.warmup, syncTimeoutMs: opts.syncTimeoutMs };
    try {
      for (const flow of opts.flows) {
        if (flow === 'customer') {
          const result = await runCustomerFlow({
            engine,
            app4sales,
            specter,
            activities,
            settings: {
              phases: opts.phases as CustomerPhaseName[],
              n: opts.n,
              ...common,
              idleN: opts.idleN,
              pacedN: opts.pacedN,
              rate: opts.rate,
              devServer: {
                eagerActivities: opts.eager,
                queuePollRps: opts.queuePollRps,
                db: opts.db,
                ...(opts.dynamicConfig.length > 0 ? { dynamicConfig: opts.dynamicConfig } : {}),
                ...(process.env.GOGC ? { gogc: process.env.GOGC } : {}),
              },
              workflowVersion: opts.workflowVersion,
              workerProcess: opts.workerProcess,
            },
            workerProcess: { adapters, depsTaskQueue: 'fieldbridge-bench-real', ...(opts.workerCpuProf ? { cpuProfDir: opts.workerCpuProf } : {}) },
            machine,
            startupMs,
            began,
            log,
          });
          process.stdout.write(customerReport(result, loadBaseline(opts.baseline, log)));
          process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
        } else if (flow === 'mobile') {
          const result = await runMobileFlow({
            engine,
            servicechannel: servicechannel!,
            servicepower: servicepower!,
            activities: createActivities(deps),
            serviceChannelActivities: createServiceChannelActivities(deps),
            loadMobileSyncSettings: createWorkOrderToMobileActivities(deps).loadMobileSyncSettings,
            settings: {
              phases: opts.phases.map((kind): MobilePhaseName => `mobile-${kind}`),
              n: opts.mobileN,
              burst: opts.burst,
              copies: opts.copies,
              concurrency: opts.concurrency,
              ceilingPerMinute: serviceChannelRequestsPerMinute(adapters.servicechannel),
              drainSlackMs: opts.syncTimeoutMs,
            },
            machine,
            startupMs,
            began,
            log,
          });
          process.stdout.write(mobileReport(result));
          process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
        } else {
          const result = await runJobFlow({
            engine,
            servicetrade,
            spectrum,
            activities,
            jobSync: adapters.jobSync,
            settings: {
              phases: opts.phases.map((kind): JobPhaseName => `job-${kind}`),
              n: opts.jobN,
              ...common,
              items: JOB_ITEMS,
              extraItems: opts.extraItems,
              extraN: opts.extraN,
              // --workflow-version 1 measures the first sequence; otherwise the job flow's current one.
              workflowVersion: opts.workflowVersion === 1 ? 1 : JOB_TO_WORK_ORDER_VERSION,
            },
            machine,
            startupMs,
            began,
            log,
          });
          process.stdout.write(jobReport(result));
          process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
        }
      }
    } finally {
      await deps.close();
    }
    return 0;
  } finally {
    log.info('stopping the stack');
    // Simulators first, the dev server last.
    if (envTeardown) closers.push(envTeardown);
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        log.warn({ err }, 'error while stopping the stack');
      }
    }
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
