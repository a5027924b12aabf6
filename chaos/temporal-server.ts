/**
 * The Temporal server a chaos run stops and restarts, behind one small interface so that another
 * kind of server (a Temporal server on PostgreSQL) can stand in for the file-backed dev server:
 *
 *   start() / stop() / restart()  the same address and the same persistent store every time
 *   address                       host:port of the frontend (gRPC)
 *   filesToScan()                 the files that hold the server's persistent data (the secrets scan
 *                                 searches them: the SQLite file with its -wal and -shm)
 *
 * `--temporal dev` is the Temporal CLI's dev server on a SQLite file in the run folder. `--temporal
 * postgres` is scripts/temporal-server.ts's startPostgresTemporal (a Temporal server on the machine's
 * PostgreSQL).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureSearchAttributes } from '../client/operations';
import { devServerDynamicConfigArgs, devServerFileArgs } from '../scripts/dev-server-settings';
import { freePort } from '../common/ports';
import { waitForTemporal } from '../scripts/temporal-ready';

export type TemporalKind = 'dev' | 'postgres';
export const TEMPORAL_KINDS: readonly TemporalKind[] = ['dev', 'postgres'];

export interface ChaosTemporalServer {
  readonly kind: TemporalKind;
  /** host:port of the frontend; the same across restarts. */
  readonly address: string;
  readonly namespace: string;
  /** Start (first time, or again after stop) and wait until the frontend answers. */
  start(): Promise<void>;
  /** Stop the server process (its store stays). */
  stop(): Promise<void>;
  restart(downtimeMs?: number): Promise<void>;
  /** Files holding the server's persistent data, for the secrets scan (those that exist). */
  filesToScan(): string[];
  /** Stop for good. */
  close(): Promise<void>;
}

export interface DevServerSettings {
  /** Path of the Temporal CLI binary. */
  cli: string;
  /** Folder of the SQLite file and the server's log. */
  dir: string;
  /** Fixed port (a restart must come back on it); default: a free one. */
  port?: number;
  namespace?: string;
}

const HOST = '127.0.0.1';

/** Wait until the frontend answers, then register FieldBridge's search attributes (as `npm start` does). */
export async function waitForFrontend(address: string, namespace: string, timeoutMs = 60_000): Promise<void> {
  const connection = await waitForTemporal(address, timeoutMs);
  try {
    await ensureSearchAttributes(connection, namespace);
  } finally {
    await connection.close();
  }
}

/** The Temporal CLI's dev server on a SQLite file: `temporal server start-dev --db-filename <dir>/temporal.db --headless`. */
export async function devTemporalServer(settings: DevServerSettings): Promise<ChaosTemporalServer> {
  mkdirSync(settings.dir, { recursive: true });
  const port = settings.port ?? (await freePort(HOST));
  const namespace = settings.namespace ?? 'default';
  const dbFile = join(settings.dir, 'temporal.db');
  const log: WriteStream = createWriteStream(join(settings.dir, 'temporal-server.log'), { flags: 'a' });
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const server: ChaosTemporalServer = {
    kind: 'dev',
    address: `${HOST}:${port}`,
    namespace,
    async start() {
      if (proc) return;
      log.write(`--- start ${new Date().toISOString()}\n`);
      const child = spawn(
        settings.cli,
        ['server', 'start-dev', '--ip', HOST, '--port', String(port), '--headless', '--namespace', namespace, '--db-filename', dbFile, '--log-level', 'warn', ...devServerDynamicConfigArgs(), ...devServerFileArgs()],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.pipe(log, { end: false });
      child.stderr!.pipe(log, { end: false });
      exited = new Promise((resolve) => child.once('exit', () => resolve()));
      proc = child;
      void exited.then(() => {
        if (proc === child) proc = undefined;
      });
      await waitForFrontend(server.address, namespace);
    },
    async stop() {
      const child = proc;
      if (!child) return;
      log.write(`--- stop ${new Date().toISOString()}\n`);
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
      proc = undefined;
    },
    async restart(downtimeMs = 2000) {
      await server.stop();
      await sleep(downtimeMs);
      await server.start();
    },
    filesToScan() {
      return [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`].filter((f) => existsSync(f));
    },
    async close() {
      await server.stop();
      await new Promise<void>((resolve) => log.end(() => resolve()));
    },
  };
  return server;
}

/**
 * The PostgreSQL-backed Temporal server of scripts/temporal-server.ts (startPostgresTemporal),
 * loaded at run time. Its databases get a
 * name of their own per run (dropped at close). The "database files" for the secrets scan are a
 * pg_dump of both databases, plus every bytea value in them hex-decoded (pg_dump writes bytea as
 * hex, in which no e-mail would ever be found; history blobs are bytea).
 */
export async function postgresTemporalServer(settings: { dir: string; log?: (msg: string) => void }): Promise<ChaosTemporalServer> {
  const modulePath = join(__dirname, '..', 'scripts', 'temporal-server');
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modulePath)) as Record<string, unknown>;
  } catch {
    throw new Error('--temporal postgres needs scripts/temporal-server.ts (startPostgresTemporal), which is not on this branch; run with --temporal dev');
  }
  type PostgresTemporal = { address: string; namespace: string; databases: { temporal: string; visibility: string }; logFile: string; stop(o?: { dropDatabases?: boolean }): Promise<void>; restart(o?: { hard?: boolean }): Promise<void> };
  const startPostgres = mod.startPostgresTemporal as ((opts: Record<string, unknown>) => Promise<PostgresTemporal>) | undefined;
  const freeServerPort = mod.freeServerPort as ((host?: string) => Promise<number>) | undefined;
  if (typeof startPostgres !== 'function' || typeof freeServerPort !== 'function') throw new Error('scripts/temporal-server.ts exports no startPostgresTemporal / freeServerPort; run with --temporal dev');
  const dbPrefix = `fieldbridge_chaos_${Date.now().toString(36)}`;
  const opts = { port: await freeServerPort(HOST), host: HOST, dbPrefix, dataDir: join(settings.dir, 'temporal-postgres'), log: settings.log };
  let handle: PostgresTemporal | undefined;
  let stopped = true;
  const server: ChaosTemporalServer = {
    kind: 'postgres',
    get address() {
      return handle?.address ?? `${HOST}:${opts.port}`;
    },
    get namespace() {
      return handle?.namespace ?? 'default';
    },
    async start() {
      if (!stopped) return;
      handle = await startPostgres(opts);
      stopped = false;
      await waitForFrontend(handle.address, handle.namespace, 300_000);
    },
    async stop() {
      if (stopped || !handle) return;
      await handle.stop();
      stopped = true;
    },
    async restart() {
      // Its own restart: SIGTERM, then the same databases and ports.
      if (stopped || !handle) return server.start();
      await handle.restart();
      await waitForFrontend(handle.address, handle.namespace, 300_000);
    },
    filesToScan() {
      if (!handle) return [];
      const files: string[] = [];
      for (const db of [handle.databases.temporal, handle.databases.visibility]) {
        const dump = join(settings.dir, `postgres-${db}.sql`);
        execFileSync('pg_dump', ['--data-only', '-h', HOST, '-U', 'postgres', '-f', dump, db], { stdio: ['ignore', 'ignore', 'pipe'] });
        const decoded = join(settings.dir, `postgres-${db}.bytea.bin`);
        const text = readFileSync(dump, 'latin1');
        const chunks = [...text.matchAll(/\\{1,2}x([0-9a-fA-F]{2,})/g)].map((m) => Buffer.from(m[1]!, 'hex'));
        writeFileSync(decoded, Buffer.concat(chunks));
        files.push(dump, decoded);
      }
      return files;
    },
    async close() {
      if (!handle) return;
      if (!stopped) await handle.stop({ dropDatabases: true });
      else for (const db of [handle.databases.temporal, handle.databases.visibility]) execFileSync('dropdb', ['--if-exists', '-h', HOST, '-U', 'postgres', db], { stdio: 'ignore' });
      stopped = true;
    },
  };
  await server.start();
  return server;
}
