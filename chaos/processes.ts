/**
 * FieldBridge's own processes in a chaos run (the worker, the receiver): node itself, on the sources
 * with tsx's require hook or on the build in dist/ (no launcher in between, so a SIGKILL reaches the
 * process that holds the work),
 * stdout and stderr appended to a log file of the run, restarted whenever they exit (a worker that
 * gives up while Temporal is down comes back like one that was killed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = join(__dirname, '..');

export interface SupervisedProcess {
  readonly name: string;
  /** Started, and printed its ready line. */
  ready(): Promise<void>;
  /** SIGKILL the running process (it is started again at once); resolves when the new one is ready. */
  kill(): Promise<void>;
  /** Times it was started (1 + restarts). */
  readonly starts: number;
  /** Exits that were not ours (crashes, gave up). */
  readonly unexpectedExits: number;
  /** For each kill: ms from the SIGKILL until the new process printed its ready line. */
  readonly readyAfterKillMs: readonly number[];
  /** Stop for good (SIGTERM, then SIGKILL). */
  close(): Promise<void>;
}

export interface SupervisedOptions {
  name: string;
  /** Entry file, relative to the project root (a .ts source; its build is dist/<same path>.js). */
  entry: string;
  /** Run the sources through tsx (webpack bundles the workflows at start), or the build in dist/ (`npm run build`). */
  code: 'source' | 'built';
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** A line of its output that says it is ready. */
  readyText: string;
  readyTimeoutMs?: number;
}

/** The node arguments that start an entry file from the sources or from dist/. */
export function entryArgs(entry: string, code: 'source' | 'built'): string[] {
  if (code === 'source') return ['--require', 'tsx/cjs', entry];
  const built = join('dist', entry.replace(/\.ts$/, '.js'));
  if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first (or run the chaos with --code source)`);
  return [built];
}

export function supervise(opts: SupervisedOptions): SupervisedProcess {
  const args = entryArgs(opts.entry, opts.code);
  const readyAfterKillMs: number[] = [];
  const log: WriteStream = createWriteStream(opts.logFile, { flags: 'a' });
  let child: ChildProcess | undefined;
  let readyPromise: Promise<void> = Promise.resolve();
  let closing = false;
  let killing = false;
  let starts = 0;
  let unexpectedExits = 0;

  const launch = () => {
    starts += 1;
    log.write(`--- ${opts.name} start #${starts} ${new Date().toISOString()}\n`);
    const proc = spawn(process.execPath, args, { cwd: ROOT, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    readyPromise = new Promise<void>((resolve, reject) => {
      let tail = '';
      const timer = setTimeout(() => reject(new Error(`${opts.name} not ready within ${opts.readyTimeoutMs ?? 120_000} ms`)), opts.readyTimeoutMs ?? 120_000);
      const onData = (chunk: Buffer) => {
        tail = (tail + chunk.toString('utf8')).slice(-4096);
        if (tail.includes(opts.readyText)) {
          clearTimeout(timer);
          proc.stdout!.off('data', onData);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve(); // a replacement is launched below; its readiness is awaited by the next ready()
      });
    });
    readyPromise.catch(() => undefined);
    proc.stdout!.pipe(log, { end: false });
    proc.stderr!.pipe(log, { end: false });
    proc.once('exit', (code, signal) => {
      log.write(`--- ${opts.name} exit code=${code} signal=${signal} ${new Date().toISOString()}\n`);
      if (child === proc) child = undefined;
      if (closing) return;
      if (!killing) unexpectedExits += 1;
      killing = false;
      // Started again at once, as a process manager would.
      setTimeout(launch, 200);
    });
  };
  launch();

  const self: SupervisedProcess = {
    name: opts.name,
    async ready() {
      for (;;) {
        const current = child;
        await readyPromise;
        if (current && child === current) return;
        await sleep(100);
      }
    },
    async kill() {
      const proc = child;
      if (!proc) return self.ready();
      killing = true;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      const killedAt = performance.now();
      proc.kill('SIGKILL');
      await exited;
      await sleep(300);
      await self.ready();
      readyAfterKillMs.push(Math.round(performance.now() - killedAt));
    },
    get starts() {
      return starts;
    },
    get unexpectedExits() {
      return unexpectedExits;
    },
    get readyAfterKillMs() {
      return readyAfterKillMs;
    },
    async close() {
      closing = true;
      const proc = child;
      if (proc) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
        if (!done) {
          proc.kill('SIGKILL');
          await exited;
        }
      }
      await new Promise<void>((resolve) => log.end(() => resolve()));
    },
  };
  return self;
}
