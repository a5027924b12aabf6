/**
 * A Temporal server on PostgreSQL, for `npm start -- --temporal postgres`, the multi-worker test, the
 * bench and the chaos run: the production persistence, on this machine.
 *
 * ensureTemporalServer() finds or builds (Go, cached under the git-ignored .temporal/server/, one
 * build at a time across processes through .temporal/build.lock, a version stamp):
 *   - go.temporal.io/server/cmd/server@v1.29.1           -> temporal-server
 *   - go.temporal.io/server/cmd/tools/sql@v1.29.1        -> temporal-sql-tool
 *   - github.com/temporalio/ui-server/v2/cmd/server (the UI that CLI v1.5.1 embeds) -> temporal-ui-server
 *   - the module's schema/postgresql/v12/ (temporal + visibility), copied beside them
 * About 5 minutes on a cold Go cache; a warm start takes milliseconds.
 *
 * startPostgresTemporal() then creates the databases under FieldBridge's own names
 * (`<dbPrefix>` and `<dbPrefix>_visibility`) and migrates them when needed, writes the server's
 * configuration (postgres12 for persistence and SQL visibility, single node, the ports given, a
 * dynamic config with eager activities and what the dev server gives for free), starts it, registers
 * the namespace and FieldBridge's search attributes (what `fieldbridge setup` does), waits until
 * they are usable, and starts the Temporal UI pointed at it.
 *
 * Run directly: `tsx scripts/temporal-server.ts [--build-only]` builds (or finds) the binaries and,
 * without --build-only, starts a server on TEMPORAL_PORT (default 7233) until Ctrl-C.
 *
 * The server listens on `port` (gRPC) and the four ports above it (HTTP API, history, matching,
 * worker), plus four membership ports below 32768 (see MEMBERSHIP_PORT_COUNT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureNamespace } from '../client/namespace';
import { ensureSearchAttributes } from '../client/operations';
import { ALL_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { QUEUE_POLL_RPS } from './dev-server-settings';
import { portFree } from '../common/ports';
import {
  displayPath,
  errMessage,
  executableProblem,
  findGo,
  formatMs,
  PROJECT_DIR,
  runLogged,
  withBuildLock,
} from './temporal-cli';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The UI server the Temporal CLI v1.5.1 embeds (its go.mod). */
export const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';
const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';
const EXE = process.platform === 'win32' ? '.exe' : '';
const HEARTBEAT_MS = 30_000;

/** Ports a server started on `port` uses: port .. port + SERVER_PORT_SPAN - 1 (gRPC, HTTP API, history, matching, worker). */
export const SERVER_PORT_SPAN = 5;
/**
 * Plus four membership ports (frontend, history, matching, worker), which Temporal's SQL schema
 * stores as smallint: all below 32768. Default: the four after the span when they fit, else four
 * free ones found below 32768.
 */
export const MEMBERSHIP_PORT_COUNT = 4;
const MAX_MEMBERSHIP_PORT = 32_767;
const MIN_MEMBERSHIP_PORT = 20_000;

/**
 * A port P such that P .. P + SERVER_PORT_SPAN - 1 are all free right now (for tests, the bench, the
 * chaos run), taken below the OS's ephemeral range (Linux: 32768 and up) and below the membership
 * ports: a port the OS hands out as "free" may be given to an outgoing connection (the server's own
 * PostgreSQL pool opens dozens) before the server binds the ports above it ("address already in use").
 */
export async function freeServerPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * (MIN_MEMBERSHIP_PORT - 10_000 - SERVER_PORT_SPAN));
    let free = true;
    for (let p = base; p < base + SERVER_PORT_SPAN && free; p++) free = await portFree(p, host);
    if (free) return base;
  }
  throw new Error(`no ${SERVER_PORT_SPAN} consecutive free ports found between 10000 and ${MIN_MEMBERSHIP_PORT}`);
}

/** A port P below 32768 such that P .. P + MEMBERSHIP_PORT_COUNT - 1 are all free right now. */
export async function freeMembershipPorts(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = MIN_MEMBERSHIP_PORT + Math.floor(Math.random() * (MAX_MEMBERSHIP_PORT - MIN_MEMBERSHIP_PORT - MEMBERSHIP_PORT_COUNT));
    let free = true;
    for (let p = base; p < base + MEMBERSHIP_PORT_COUNT && free; p++) free = await portFree(p, host);
    if (free) return base;
  }
  throw new Error(`no ${MEMBERSHIP_PORT_COUNT} consecutive free ports found below ${MAX_MEMBERSHIP_PORT + 1}`);
}

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  ui: string;
  /** schema/postgresql/v12 of the server module: temporal/ and visibility/, each with versioned/. */
  schemaDir: string;
  source: 'cache' | 'go-build';
  ms: number;
}

interface ServerBuildStamp {
  serverVersion: string;
  uiVersion: string;
  goVersion: string;
  buildMs: number;
  builtAt: string;
}

export function serverCacheDir(projectDir: string = PROJECT_DIR): string {
  return path.join(projectDir, '.temporal', 'server');
}

function cachedBinaries(projectDir: string): Omit<TemporalServerBinaries, 'source' | 'ms'> {
  const dir = serverCacheDir(projectDir);
  return {
    server: path.join(dir, 'bin', `temporal-server${EXE}`),
    sqlTool: path.join(dir, 'bin', `temporal-sql-tool${EXE}`),
    ui: path.join(dir, 'bin', `temporal-ui-server${EXE}`),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
}

function cacheUsable(projectDir: string): boolean {
  const b = cachedBinaries(projectDir);
  if ([b.server, b.sqlTool, b.ui].some((p) => executableProblem(p))) return false;
  if (!fs.existsSync(path.join(b.schemaDir, 'temporal', 'versioned')) || !fs.existsSync(path.join(b.schemaDir, 'visibility', 'versioned'))) return false;
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(serverCacheDir(projectDir), 'build.json'), 'utf8')) as ServerBuildStamp;
    return stamp.serverVersion === TEMPORAL_SERVER_VERSION && stamp.uiVersion === TEMPORAL_UI_SERVER_VERSION;
  } catch {
    return false;
  }
}

/** Find the cached server, SQL tool, UI server and schemas, or build them with Go. */
export async function ensureTemporalServer(
  opts: { log?: (msg: string) => void; allowBuild?: boolean; projectDir?: string } = {},
): Promise<TemporalServerBinaries> {
  const started = Date.now();
  const log = opts.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  const projectDir = path.resolve(opts.projectDir ?? PROJECT_DIR);
  const done = (source: TemporalServerBinaries['source']): TemporalServerBinaries => {
    const ms = Date.now() - started;
    const b = cachedBinaries(projectDir);
    log(`temporal server: ${source === 'cache' ? 'cached build' : 'built'} ${displayPath(path.dirname(b.server), projectDir)} (server ${TEMPORAL_SERVER_VERSION}, UI ${TEMPORAL_UI_SERVER_VERSION}) in ${formatMs(ms)}`);
    return { ...b, source, ms };
  };
  if (cacheUsable(projectDir)) return done('cache');
  if (opts.allowBuild === false) {
    throw new Error(`no Temporal server build in ${displayPath(serverCacheDir(projectDir), projectDir)} and building is disabled (run \`npx tsx scripts/temporal-server.ts --build-only\`)`);
  }
  const go = await findGo();
  if (!go) throw new Error('the Temporal server is built from Go modules, but no Go toolchain was found (looked on PATH, in /usr/local/go/bin and /usr/lib/go/bin)');
  return withBuildLock(projectDir, log, async () => {
    if (cacheUsable(projectDir)) return done('cache');
    await buildServer({ go: go.path, goVersion: go.version, projectDir, log });
    return done('go-build');
  });
}

async function buildServer(p: { go: string; goVersion: string; projectDir: string; log: (msg: string) => void }): Promise<void> {
  const started = Date.now();
  const dir = serverCacheDir(p.projectDir);
  const tmp = path.join(dir, `tmp-${process.pid}`);
  const logFile = path.join(dir, 'build.log');
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'server'), { recursive: true });
  fs.mkdirSync(path.join(tmp, 'ui'), { recursive: true });
  fs.writeFileSync(logFile, '');
  p.log(
    `temporal server: building ${SERVER_MODULE} ${TEMPORAL_SERVER_VERSION} (server, SQL tool) and the UI server ${TEMPORAL_UI_SERVER_VERSION} with ${p.goVersion} ` +
      `(about 5 minutes on a cold Go cache; output in ${displayPath(logFile, p.projectDir)})`,
  );
  const tick = setInterval(() => p.log(`temporal server: still building (${formatMs(Date.now() - started)})`), HEARTBEAT_MS);
  tick.unref();
  // `go install pkg@version` refuses -mod flags; the cwd must not be inside another module.
  const goflags = (process.env.GOFLAGS ?? '')
    .split(/\s+/)
    .filter((f) => f && !f.startsWith('-mod='))
    .join(' ');
  const go = (args: string[], gobin?: string) =>
    runLogged(p.go, args, { cwd: tmp, env: { ...process.env, GOFLAGS: goflags, ...(gobin ? { GOBIN: gobin } : {}) }, logFile });
  try {
    // Both commands are named `server`: two GOBINs.
    await go(['install', '-ldflags=-s -w', `${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], path.join(tmp, 'server'));
    await go(['install', '-ldflags=-s -w', `${UI_MODULE}/cmd/server@${TEMPORAL_UI_SERVER_VERSION}`], path.join(tmp, 'ui'));
    const { stdout } = await go(['mod', 'download', '-json', `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`]);
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(`go mod download ${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}: ${info.Error ?? 'no directory reported'}`);
    const schemaSrc = path.join(info.Dir, 'schema', 'postgresql', 'v12');
    const schemaTmp = path.join(tmp, 'schema', 'postgresql', 'v12');
    fs.cpSync(schemaSrc, schemaTmp, { recursive: true });
    // The module cache is read-only: make the copy ours.
    for (const entry of fs.readdirSync(path.join(tmp, 'schema'), { recursive: true, withFileTypes: true })) {
      fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
    }
    fs.chmodSync(path.join(tmp, 'schema'), 0o755);

    const b = cachedBinaries(p.projectDir);
    fs.mkdirSync(path.dirname(b.server), { recursive: true });
    fs.renameSync(path.join(tmp, 'server', `server${EXE}`), b.server);
    fs.renameSync(path.join(tmp, 'server', `sql${EXE}`), b.sqlTool);
    fs.renameSync(path.join(tmp, 'ui', `server${EXE}`), b.ui);
    fs.rmSync(path.join(dir, 'schema'), { recursive: true, force: true });
    fs.renameSync(path.join(tmp, 'schema'), path.join(dir, 'schema'));
    const stamp: ServerBuildStamp = {
      serverVersion: TEMPORAL_SERVER_VERSION,
      uiVersion: TEMPORAL_UI_SERVER_VERSION,
      goVersion: p.goVersion,
      buildMs: Date.now() - started,
      builtAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(dir, 'build.json'), `${JSON.stringify(stamp, null, 2)}\n`);
    p.log(`temporal server: build took ${formatMs(Date.now() - started)}`);
  } finally {
    clearInterval(tick);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// running it

export interface PostgresConnectionOptions {
  /** host:port of PostgreSQL. Default 127.0.0.1:5432. */
  address?: string;
  /** Default postgres. */
  user?: string;
  password?: string;
}

export interface PostgresTemporalOptions {
  /** Frontend gRPC port; the server also uses the SERVER_PORT_SPAN - 1 ports above it. */
  port: number;
  /** First of the MEMBERSHIP_PORT_COUNT membership ports (each below 32768). Default: see MEMBERSHIP_PORT_COUNT. */
  membershipPort?: number;
  /** When given, a Temporal UI listens here. */
  uiPort?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Databases `<dbPrefix>` and `<dbPrefix>_visibility`. Default fieldbridge_temporal. */
  dbPrefix?: string;
  /** Registered if missing. Default default. */
  namespace?: string;
  postgres?: PostgresConnectionOptions;
  /** The server's configuration and logs go here. Default <FIELDBRIDGE_DATA_DIR or .data>/temporal-postgres/<dbPrefix>. */
  dataDir?: string;
  /** The UI's codec endpoint (decoded payloads in the UI). */
  codecEndpoint?: string;
  /** Fixed when the databases are created; later changes are ignored by Temporal. Default 4. */
  numHistoryShards?: number;
  /** Extra dynamic config, key -> value (overrides the defaults below). */
  dynamicConfig?: Record<string, unknown>;
  /** One line per step. Default: stderr. */
  log?: (msg: string) => void;
  /** The server or the UI exited without stop()/restart(). */
  onUnexpectedExit?: (what: 'server' | 'ui', code: number | null, signal: NodeJS.Signals | null) => void;
  projectDir?: string;
}

export interface PostgresTemporal {
  /** host:port of the frontend. */
  address: string;
  namespace: string;
  uiUrl?: string;
  databases: { temporal: string; visibility: string };
  /** The server's own output (and the UI's, in ui.log beside it). */
  logFile: string;
  /** Process id of the running server (changes with restart()), e.g. to read its CPU time from /proc. */
  readonly pid: number | undefined;
  /** Stop the UI and the server; with dropDatabases, drop both databases too (tests). */
  stop(opts?: { dropDatabases?: boolean }): Promise<void>;
  /** Stop the server (SIGTERM, or SIGKILL with hard) and start it again on the same databases and ports. */
  restart(opts?: { hard?: boolean }): Promise<void>;
}

/**
 * Dynamic config of the PostgreSQL-backed server: eager activity dispatch (the dev server has it
 * off), and what `temporal server start-dev` sets for itself.
 */
export const POSTGRES_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = {
  'system.enableActivityEagerExecution': true,
  // The history queue readers' poll cap, as on FieldBridge's dev server (scripts/dev-server-settings.ts):
  // the default 20/s makes every task wait for the next 50 ms read slot of its shard.
  'history.transferProcessorMaxPollRPS': QUEUE_POLL_RPS,
  'history.timerProcessorMaxPollRPS': QUEUE_POLL_RPS,
  'history.visibilityProcessorMaxPollRPS': QUEUE_POLL_RPS,
  'frontend.enableServerVersionCheck': false,
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
  'frontend.enableExecuteMultiOperation': true,
  // A new search attribute or namespace is usable at once instead of after the caches' refresh.
  'system.forceSearchAttributesCacheRefreshOnRead': true,
  'system.namespaceCacheRefreshInterval': '1s',
  // As start-dev: the uncached reads above need more persistence QPS; more visibility RPS; a larger mutable-state cache.
  'frontend.persistenceMaxQPS': 10000,
  'history.persistenceMaxQPS': 45000,
  'frontend.namespaceRPS.visibility': 100,
  'history.hostLevelCacheMaxSize': 8096,
};

const SQL_PLUGIN = 'postgres12';

export async function startPostgresTemporal(opts: PostgresTemporalOptions): Promise<PostgresTemporal> {
  const started = Date.now();
  const log = opts.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  const projectDir = path.resolve(opts.projectDir ?? PROJECT_DIR);
  const host = opts.host ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const dbPrefix = opts.dbPrefix ?? 'fieldbridge_temporal';
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(dbPrefix)) throw new Error(`dbPrefix ${JSON.stringify(dbPrefix)}: lower-case letters, digits and _ only, at most 41 characters`);
  const databases = { temporal: dbPrefix, visibility: `${dbPrefix}_visibility` };
  const [pgHost, pgPortText] = (opts.postgres?.address ?? '127.0.0.1:5432').split(':');
  const pg = { host: pgHost || '127.0.0.1', port: Number(pgPortText || 5432), user: opts.postgres?.user ?? 'postgres', password: opts.postgres?.password ?? '' };
  const dataDir = path.resolve(opts.dataDir ?? path.join(process.env.FIELDBRIDGE_DATA_DIR ?? path.join(projectDir, '.data'), 'temporal-postgres', dbPrefix));
  const address = `${host}:${opts.port}`;

  const membership =
    opts.membershipPort ??
    (opts.port + SERVER_PORT_SPAN + MEMBERSHIP_PORT_COUNT - 1 <= MAX_MEMBERSHIP_PORT ? opts.port + SERVER_PORT_SPAN : await freeMembershipPorts(host));
  if (membership + MEMBERSHIP_PORT_COUNT - 1 > MAX_MEMBERSHIP_PORT) throw new Error(`membershipPort ${membership}: Temporal stores membership ports as smallint, so they must be below 32768`);
  const ports = {
    grpc: opts.port,
    http: opts.port + 1,
    history: opts.port + 2,
    matching: opts.port + 3,
    worker: opts.port + 4,
    frontendMembership: membership,
    historyMembership: membership + 1,
    matchingMembership: membership + 2,
    workerMembership: membership + 3,
  };
  const busy: string[] = [];
  for (const [name, port] of Object.entries(ports)) if (!(await portFree(port, host))) busy.push(`${name} ${port}`);
  if (opts.uiPort !== undefined && !(await portFree(opts.uiPort, host))) busy.push(`UI ${opts.uiPort}`);
  if (busy.length) throw new Error(`Temporal on PostgreSQL: ports in use: ${busy.join(', ')} (the server uses ${opts.port}..${opts.port + SERVER_PORT_SPAN - 1} and ${membership}..${membership + MEMBERSHIP_PORT_COUNT - 1})`);

  const bin = await ensureTemporalServer({ log, projectDir });
  fs.mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(dataDir, 'temporal-server.log');
  const uiLogFile = path.join(dataDir, 'ui.log');

  // -- databases: created and migrated on first start, brought up to date afterwards
  const sqlEnv = { ...process.env, SQL_PASSWORD: pg.password };
  const sqlTool = async (db: string, args: string[]): Promise<string> => {
    const common = ['--plugin', SQL_PLUGIN, '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--db', db];
    const res = await runLogged(bin.sqlTool, [...common, ...args], { cwd: dataDir, env: sqlEnv, logFile: path.join(dataDir, 'schema.log') });
    return res.stdout + res.stderr;
  };
  const t0 = Date.now();
  for (const [kind, db] of [['temporal', databases.temporal], ['visibility', databases.visibility]] as const) {
    try {
      // Each step is idempotent: create-database ignores an existing database, setup-schema -v 0.0 only
      // creates the version tables when they are missing, update-schema applies only what is newer.
      await sqlTool(db, ['create-database']);
      await sqlTool(db, ['setup-schema', '-v', '0.0']);
      await sqlTool(db, ['update-schema', '-d', path.join(bin.schemaDir, kind, 'versioned')]);
    } catch (err) {
      throw new Error(`preparing database ${db} on ${pg.host}:${pg.port} as ${pg.user}: ${errMessage(err)}`);
    }
  }
  log(`temporal server: databases ${databases.temporal} and ${databases.visibility} on ${pg.host}:${pg.port} created if missing and migrated in ${formatMs(Date.now() - t0)}`);

  // -- configuration (JSON is YAML)
  const configDir = path.join(dataDir, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  const dynamicConfigFile = path.join(dataDir, 'dynamicconfig.yaml');
  const dynamic = { ...POSTGRES_DYNAMIC_CONFIG, ...opts.dynamicConfig };
  fs.writeFileSync(dynamicConfigFile, `${JSON.stringify(Object.fromEntries(Object.entries(dynamic).map(([k, v]) => [k, [{ value: v, constraints: {} }]])), null, 2)}\n`);
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: SQL_PLUGIN,
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: host === '127.0.0.1', ...(host === '127.0.0.1' ? {} : { bindOnIP: host }), ...extra },
  });
  const serverConfig = {
    log: { stdout: true, level: 'warn', format: 'json' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: opts.numHistoryShards ?? 4,
      datastores: { 'postgres-default': datastore(databases.temporal, 20), 'postgres-visibility': datastore(databases.visibility, 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: host } },
    services: {
      frontend: rpc(ports.grpc, ports.frontendMembership, { httpPort: ports.http }),
      history: rpc(ports.history, ports.historyMembership),
      matching: rpc(ports.matching, ports.matchingMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: address, httpAddress: `${host}:${ports.http}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  fs.writeFileSync(path.join(configDir, 'fieldbridge.yaml'), `${JSON.stringify(serverConfig, null, 2)}\n`);

  // -- processes
  let server: ChildProcess | undefined;
  let ui: ChildProcess | undefined;
  let expectingExit = false;
  const spawnLogged = (what: 'server' | 'ui', cmd: string, args: string[], file: string): ChildProcess => {
    const out = fs.openSync(file, 'a');
    const child = spawn(cmd, args, { cwd: dataDir, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    child.on('exit', (code, signal) => {
      if (!expectingExit) {
        log(`temporal server: the ${what} exited (${signal ?? code}); its log: ${file}`);
        opts.onUnexpectedExit?.(what, code, signal);
      }
    });
    return child;
  };
  const startServer = async (): Promise<void> => {
    const t = Date.now();
    expectingExit = false;
    server = spawnLogged('server', bin.server, ['--root', dataDir, '--config', 'config', '--env', 'fieldbridge', '--allow-no-auth', 'start'], logFile);
    const exited = new Promise<never>((_, reject) =>
      server!.once('exit', (code, signal) => reject(new Error(`the Temporal server exited (${signal ?? code}) while starting:\n${tail(logFile, 15)}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitUntilUsable(address, namespace, log), exited]);
    log(`temporal server: ${address} ready (namespace ${namespace}) in ${formatMs(Date.now() - t)}`);
  };
  const stopProcess = async (child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });
  };

  const uiUrl = opts.uiPort === undefined ? undefined : `http://${host}:${opts.uiPort}`;
  const startUi = async (): Promise<void> => {
    if (opts.uiPort === undefined || !uiUrl) return;
    const uiDir = path.join(dataDir, 'ui');
    fs.mkdirSync(uiDir, { recursive: true });
    const uiConfig = {
      temporalGrpcAddress: address,
      host,
      port: opts.uiPort,
      enableUi: true,
      defaultNamespace: namespace,
      cors: { allowOrigins: [`http://${host}:${opts.uiPort}`], cookieInsecure: true },
      hideLogs: true,
      notifyOnNewVersion: false,
      ...(opts.codecEndpoint ? { codec: { endpoint: opts.codecEndpoint, passAccessToken: false, includeCredentials: false } } : {}),
    };
    fs.writeFileSync(path.join(uiDir, 'fieldbridge.yaml'), `${JSON.stringify(uiConfig, null, 2)}\n`);
    ui = spawnLogged('ui', bin.ui, ['--root', uiDir, '--config', '.', '--env', 'fieldbridge', 'start'], uiLogFile);
    await waitForHttp(uiUrl, 30_000, ui, uiLogFile);
  };

  try {
    await startServer();
    await startUi();
    log(`temporal server: on PostgreSQL, up in ${formatMs(Date.now() - started)}${uiUrl ? `; UI ${uiUrl}` : ''}`);
    return {
      address,
      namespace,
      uiUrl,
      databases,
      logFile,
      get pid() {
        return server?.pid;
      },
      async stop(o = {}) {
        expectingExit = true;
        await stopProcess(ui, 'SIGTERM');
        await stopProcess(server, 'SIGTERM');
        if (o.dropDatabases) {
          for (const db of [databases.temporal, databases.visibility]) await sqlTool(db, ['drop-database', '-f']);
          log(`temporal server: dropped databases ${databases.temporal} and ${databases.visibility}`);
        }
      },
      async restart(o = {}) {
        expectingExit = true;
        await stopProcess(server, o.hard ? 'SIGKILL' : 'SIGTERM');
        // The UI's gRPC connection backs off for a long time after the server went away: restart it too.
        await stopProcess(ui, 'SIGTERM');
        await startServer();
        await startUi();
      },
    };
  } catch (err) {
    expectingExit = true;
    await stopProcess(ui, 'SIGKILL');
    await stopProcess(server, 'SIGKILL');
    throw err;
  }
}

/**
 * Until the frontend answers, the namespace exists (registered here when missing) and FieldBridge's
 * search attributes are registered and accepted in a visibility query.
 */
async function waitUntilUsable(address: string, namespace: string, log: (msg: string) => void): Promise<void> {
  const deadline = Date.now() + 120_000;
  let lastError = '';
  let registered = false;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.getSystemInfo({});
        if (!registered) {
          const ns = await ensureNamespace(connection, namespace);
          if (ns.registered) log(`temporal server: registered namespace ${namespace}`);
          const sa = await ensureSearchAttributes(connection, namespace);
          if (sa.added.length) log(`temporal server: added search attributes ${sa.added.join(', ')}`);
          registered = true;
        }
        // Unknown attributes are refused here until the namespace caches know them.
        const query = ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name} = "fieldbridge-readiness"`).join(' OR ');
        await connection.workflowService.countWorkflowExecutions({ namespace, query });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = errMessage(err);
    }
    if (Date.now() > deadline) throw new Error(`Temporal on ${address} not usable within 120 s: ${lastError}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function waitForHttp(url: string, timeoutMs: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the Temporal UI exited while starting:\n${tail(logFile, 15)}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`the Temporal UI did not answer on ${url} within ${formatMs(timeoutMs)}:\n${tail(logFile, 15)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--build-only')) {
    const b = await ensureTemporalServer();
    process.stdout.write(`${path.dirname(b.server)}\n`);
    return 0;
  }
  const port = Number(process.env.TEMPORAL_PORT ?? 7233);
  const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
  const t = await startPostgresTemporal({ port, uiPort });
  process.stdout.write(`Temporal on PostgreSQL: ${t.address} (namespace ${t.namespace}), UI ${t.uiUrl}. Ctrl-C stops it.\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await t.stop();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`temporal server: ${errMessage(err)}\n`);
      process.exit(1);
    },
  );
}
