/**
 * Finds or provides the Temporal CLI (`temporal`), which the tests use as their dev server.
 *
 * Lookup order:
 *   (a) $TEMPORAL_CLI               - explicit path; must exist and be executable
 *   (b) `temporal` on $PATH
 *   (c) <project>/.temporal/bin/temporal - cached build (git-ignored)
 *   (d) a Go build of github.com/temporalio/cli@$TEMPORAL_CLI_VERSION (default v1.5.1) into (c),
 *       serialised across processes by .temporal/build.lock
 *   (e) the SDK's own cached download via @temporalio/testing (needs temporal.download; opt-out
 *       with allowDownload: false)
 *
 * Run directly (`tsx scripts/temporal-cli.ts [--no-build] [--no-download]`): log lines go to
 * stderr, the path alone to stdout; exit code 1 when nothing works.
 *
 * Dependency-free apart from node built-ins (and a lazy import of @temporalio/testing for (e)).
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type TemporalCliSource = 'env' | 'path' | 'cache' | 'go-build' | 'sdk-download';

export interface EnsureTemporalCliOptions {
  /** Receives one human-readable line per step. Defaults to writing to stderr. */
  log?: (msg: string) => void;
  /** Allow step (d), building with Go. Default true. */
  allowBuild?: boolean;
  /** Allow step (e), the SDK download. Default true. */
  allowDownload?: boolean;
  /** Project root holding `.temporal/`. Defaults to the directory above scripts/. */
  projectDir?: string;
}

export interface TemporalCliInfo {
  path: string;
  source: TemporalCliSource;
  /** First line of `<path> --version`, e.g. "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)". */
  version: string;
  /** Wall time ensureTemporalCli took. */
  ms: number;
}

export const DEFAULT_TEMPORAL_CLI_VERSION = 'v1.5.1';
export const PROJECT_DIR = path.resolve(__dirname, '..');

const CLI_MODULE = 'github.com/temporalio/cli';
const CLI_PACKAGE = `${CLI_MODULE}/cmd/temporal`;
const EXE = process.platform === 'win32' ? '.exe' : '';
const LOCK_STALE_MS = 60 * 60 * 1000; // a build never takes an hour; a lock that old is abandoned
const LOCK_WAIT_MAX_MS = 60 * 60 * 1000;
const HEARTBEAT_MS = 30_000;

/** Path of the cached build for a project. */
export function cachedCliPath(projectDir: string = PROJECT_DIR): string {
  return path.join(projectDir, '.temporal', 'bin', `temporal${EXE}`);
}

/** Version to build: $TEMPORAL_CLI_VERSION or the default, with a leading "v" for bare semvers. */
export function requestedCliVersion(): string {
  const raw = (process.env.TEMPORAL_CLI_VERSION ?? '').trim() || DEFAULT_TEMPORAL_CLI_VERSION;
  return /^\d/.test(raw) ? `v${raw}` : raw;
}

export async function ensureTemporalCli(opts: EnsureTemporalCliOptions = {}): Promise<TemporalCliInfo> {
  const started = Date.now();
  const log = opts.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  const projectDir = path.resolve(opts.projectDir ?? PROJECT_DIR);
  const allowBuild = opts.allowBuild !== false;
  const allowDownload = opts.allowDownload !== false;
  const show = (p: string) => displayPath(p, projectDir);
  const done = (p: string, source: TemporalCliSource, version: string, what: string): TemporalCliInfo => {
    const ms = Date.now() - started;
    log(`temporal CLI: ${what} ${show(p)} (${version}) in ${formatMs(ms)}`);
    return { path: p, source, version, ms };
  };
  const skipped: string[] = [];

  // (a) explicit override: a broken override is an error, never silently ignored.
  const envPath = process.env.TEMPORAL_CLI;
  if (envPath !== undefined && envPath.trim() !== '') {
    const p = path.resolve(envPath);
    const problem = executableProblem(p);
    if (problem) throw new Error(`TEMPORAL_CLI=${envPath}: ${problem}; unset TEMPORAL_CLI or point it at a temporal binary`);
    let version: string;
    try {
      version = await cliVersion(p);
    } catch (err) {
      throw new Error(`TEMPORAL_CLI=${envPath}: \`${p} --version\` failed: ${errMessage(err)}`);
    }
    return done(p, 'env', version, '$TEMPORAL_CLI');
  }

  // (b) PATH
  for (const p of findAllOnPath(`temporal${EXE}`)) {
    try {
      return done(p, 'path', await cliVersion(p), 'PATH');
    } catch (err) {
      log(`temporal CLI: ignoring ${p} on PATH: ${errMessage(err)}`);
    }
  }
  skipped.push('no usable `temporal` on PATH');

  // (c) cached build
  const wanted = requestedCliVersion();
  const cached = cachedCliPath(projectDir);
  let outdatedCache: string | undefined; // cached build of another version, kept as a last resort
  const fromCache = async (quiet = false): Promise<TemporalCliInfo | undefined> => {
    if (executableProblem(cached)) return undefined;
    const stamp = readStamp(cached);
    if (stamp && stamp.version !== wanted) {
      if (allowBuild) {
        if (!quiet) log(`temporal CLI: cached build is ${stamp.version}, TEMPORAL_CLI_VERSION wants ${wanted}; rebuilding`);
        outdatedCache = stamp.version;
        return undefined;
      }
      log(`temporal CLI: cached build is ${stamp.version}, not ${wanted}, but building is disabled: using it`);
    }
    try {
      return done(cached, 'cache', await cliVersion(cached), 'cached build');
    } catch (err) {
      log(`temporal CLI: cached build ${show(cached)} is unusable: ${errMessage(err)}`);
      return undefined;
    }
  };
  const hit = await fromCache();
  if (hit) return hit;
  skipped.push(`no usable cached build at ${show(cached)}`);

  // (d) Go build
  if (!allowBuild) {
    skipped.push('Go build disabled (allowBuild: false)');
  } else {
    const go = await findGo();
    if (!go) {
      const msg = 'Go toolchain not found (looked on PATH, in /usr/local/go/bin and /usr/lib/go/bin)';
      log(`temporal CLI: ${msg}; skipping the build`);
      skipped.push(msg);
    } else {
      try {
        const built = await withBuildLock(projectDir, log, async () => {
          // Somebody else may have finished the build while we waited for the lock.
          const meanwhile = await fromCache(true);
          if (meanwhile) return meanwhile;
          await buildCli({ go: go.path, goVersion: go.version, version: wanted, projectDir, log });
          return done(cached, 'go-build', await cliVersion(cached), `built ${CLI_PACKAGE}@${wanted} with ${go.version} ->`);
        });
        return built;
      } catch (err) {
        const msg = `Go build failed: ${errMessage(err)}`;
        log(`temporal CLI: ${msg}`);
        skipped.push(msg);
        if (outdatedCache && !executableProblem(cached)) {
          try {
            const version = await cliVersion(cached);
            log(`temporal CLI: falling back to the cached ${outdatedCache} build`);
            return done(cached, 'cache', version, `cached ${outdatedCache} build (not ${wanted})`);
          } catch {
            /* fall through */
          }
        }
      }
    }
  }

  // (e) SDK download
  if (!allowDownload) {
    skipped.push('SDK download disabled (allowDownload: false)');
  } else {
    try {
      const p = await sdkDownload(log);
      return done(p, 'sdk-download', await cliVersion(p), 'SDK download');
    } catch (err) {
      const msg = `SDK download failed: ${errMessage(err)}`;
      log(`temporal CLI: ${msg}`);
      skipped.push(msg);
    }
  }

  throw new Error(
    `Temporal CLI not available:\n  - ${skipped.join('\n  - ')}\n` +
      'Install it (https://docs.temporal.io/cli), put Go on PATH so it can be built, or set TEMPORAL_CLI=/path/to/temporal.',
  );
}

// ---------------------------------------------------------------------------------------------
// candidates

/** Why `p` can't be executed, or undefined if it can. */
export function executableProblem(p: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return `${p} does not exist`;
  }
  if (!st.isFile()) return `${p} is not a file`;
  try {
    fs.accessSync(p, fs.constants.X_OK);
  } catch {
    return `${p} is not executable`;
  }
  return undefined;
}

function findAllOnPath(name: string): string[] {
  const found: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.resolve(dir, name);
    if (!found.includes(p) && !executableProblem(p)) found.push(p);
  }
  return found;
}

/** First line of `<p> --version`; rejects unless it looks like the Temporal CLI. */
async function cliVersion(p: string): Promise<string> {
  const { stdout } = await run(p, ['--version'], { timeoutMs: 60_000 });
  const line = stdout.trim().split('\n')[0]?.trim() ?? '';
  if (!/^temporal version /.test(line)) {
    throw new Error(`\`${p} --version\` printed ${JSON.stringify(line)}, not "temporal version ..."`);
  }
  return line;
}

export async function findGo(): Promise<{ path: string; version: string } | undefined> {
  const candidates = [
    ...findAllOnPath(`go${EXE}`),
    ...(process.env.GOROOT ? [path.join(process.env.GOROOT, 'bin', `go${EXE}`)] : []),
    '/usr/local/go/bin/go',
    '/usr/lib/go/bin/go',
  ];
  for (const p of candidates) {
    if (executableProblem(p)) continue;
    try {
      const { stdout } = await run(p, ['version'], { timeoutMs: 60_000 });
      const m = /\bgo(\d+\.\d+(?:\.\d+)?\S*)/.exec(stdout);
      return { path: p, version: m ? `go${m[1]}` : stdout.trim() };
    } catch {
      /* try the next one */
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// (d) Go build

interface BuildStamp {
  version: string;
  method: 'go-install' | 'tools-module';
  goVersion: string;
  buildMs: number;
  builtAt: string;
}

function stampPath(cliPath: string): string {
  return `${cliPath}.build.json`;
}

function readStamp(cliPath: string): BuildStamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(stampPath(cliPath), 'utf8')) as BuildStamp;
  } catch {
    return undefined; // no stamp (e.g. a build made by hand): trust the binary
  }
}

interface BuildParams {
  go: string;
  goVersion: string;
  version: string;
  projectDir: string;
  log: (msg: string) => void;
}

async function buildCli({ go, goVersion, version, projectDir, log }: BuildParams): Promise<void> {
  const started = Date.now();
  const temporalDir = path.join(projectDir, '.temporal');
  const binDir = path.join(temporalDir, 'bin');
  const logFile = path.join(temporalDir, 'build.log');
  // Build into a private directory, then rename: readers never see a half-written binary.
  const tmpBin = path.join(temporalDir, `bin.tmp-${process.pid}`);
  fs.rmSync(tmpBin, { recursive: true, force: true });
  fs.mkdirSync(tmpBin, { recursive: true });
  fs.mkdirSync(binDir, { recursive: true });
  fs.writeFileSync(logFile, '');

  // -s -w: ~30% smaller binary; -X: make `temporal --version` report the real version (the
  // variable moved packages between releases; -X for a symbol that doesn't exist is ignored).
  const bare = version.replace(/^v/, '');
  const ldflags = [
    '-s',
    '-w',
    `-X=${CLI_MODULE}/temporalcli.Version=${bare}`,
    `-X=${CLI_MODULE}/internal/temporalcli.Version=${bare}`,
  ].join(' ');
  const forceToolsModule = process.env.TEMPORAL_CLI_BUILD === 'tools-module';

  log(
    `temporal CLI: building ${CLI_PACKAGE}@${version} with ${goVersion} into ${displayPath(binDir, projectDir)} ` +
      `(a few minutes on a cold Go cache; output in ${displayPath(logFile, projectDir)})`,
  );
  let method: BuildStamp['method'] = 'go-install';
  const tick = heartbeat(log, started, logFile);
  try {
    let installed = false;
    if (!forceToolsModule) {
      try {
        await runLogged(go, ['install', `-ldflags=${ldflags}`, `${CLI_PACKAGE}@${version}`], {
          cwd: temporalDir,
          env: { ...process.env, GOBIN: tmpBin, GOFLAGS: stripModFlag(process.env.GOFLAGS) },
          logFile,
        });
        installed = true;
      } catch (err) {
        // `go install pkg@version` refuses modules whose go.mod has replace directives.
        if (!/replace directives|interpreted differently/.test(errMessage(err))) throw err;
        log(`temporal CLI: ${CLI_MODULE}@${version} has replace directives; building through a tools module`);
      }
    }
    if (!installed) {
      method = 'tools-module';
      await buildViaToolsModule({ go, version, ldflags, temporalDir, out: path.join(tmpBin, `temporal${EXE}`), logFile, log });
    }
    const out = path.join(tmpBin, `temporal${EXE}`);
    if (executableProblem(out)) throw new Error(`the build produced no ${out}`);
    const dest = cachedCliPath(projectDir);
    fs.renameSync(out, dest);
    const stamp: BuildStamp = { version, method, goVersion, buildMs: Date.now() - started, builtAt: new Date().toISOString() };
    fs.writeFileSync(stampPath(dest), `${JSON.stringify(stamp, null, 2)}\n`);
    log(`temporal CLI: build (${method}) took ${formatMs(Date.now() - started)}`);
  } finally {
    clearInterval(tick);
    fs.rmSync(tmpBin, { recursive: true, force: true });
  }
}

/**
 * For versions whose go.mod carries `replace` directives: a throwaway main module that requires
 * the CLI, copies its module replacements, and `go build`s the command.
 */
async function buildViaToolsModule(p: {
  go: string;
  version: string;
  ldflags: string;
  temporalDir: string;
  out: string;
  logFile: string;
  log: (msg: string) => void;
}): Promise<void> {
  const dir = path.join(p.temporalDir, 'tools-module');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, GOFLAGS: `${stripModFlag(process.env.GOFLAGS)} -mod=mod`.trim() };
  delete env.GOBIN;
  const go = (args: string[]) => runLogged(p.go, args, { cwd: dir, env, logFile: p.logFile });

  await go(['mod', 'init', 'fieldbridge.local/temporal-cli-tools']);
  const { stdout } = await go(['mod', 'download', '-json', `${CLI_MODULE}@${p.version}`]);
  const info = JSON.parse(stdout) as { GoMod?: string; Dir?: string; Error?: string };
  if (!info.GoMod) throw new Error(`go mod download ${CLI_MODULE}@${p.version}: ${info.Error ?? 'no go.mod reported'}`);
  const mod = JSON.parse((await go(['mod', 'edit', '-json', info.GoMod])).stdout) as {
    Replace?: { Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }[];
  };
  for (const r of mod.Replace ?? []) {
    const old = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
    if (r.New.Version) {
      await go(['mod', 'edit', `-replace=${old}=${r.New.Path}@${r.New.Version}`]);
      continue;
    }
    // Filesystem replace, e.g. `github.com/temporalio/cli/cliext => ./cliext` (a nested module):
    // point it at that directory inside the downloaded (read-only) module source.
    const dir = info.Dir && !path.isAbsolute(r.New.Path) ? path.resolve(info.Dir, r.New.Path) : r.New.Path;
    if (!fs.existsSync(path.join(dir, 'go.mod'))) {
      // Nested modules are not part of the parent's module zip; unless the proxy publishes them,
      // `go get` below fails and names the module.
      p.log(`temporal CLI: tools module: replace ${old} => ${r.New.Path} is not in the module download; leaving it to the proxy`);
      continue;
    }
    await go(['mod', 'edit', `-replace=${old}=${dir}`]);
  }
  await go(['get', `${CLI_PACKAGE}@${p.version}`]);
  await go(['build', `-ldflags=${p.ldflags}`, '-o', p.out, CLI_PACKAGE]);
}

/** `go install pkg@version` rejects -mod; drop one inherited from the environment. */
function stripModFlag(goflags: string | undefined): string {
  return (goflags ?? '')
    .split(/\s+/)
    .filter((f) => f && !f.startsWith('-mod='))
    .join(' ');
}

function heartbeat(log: (msg: string) => void, started: number, logFile: string): NodeJS.Timeout {
  const t = setInterval(() => {
    let downloads = 0;
    try {
      downloads = (fs.readFileSync(logFile, 'utf8').match(/^go: downloading /gm) ?? []).length;
    } catch {
      /* ignore */
    }
    log(`temporal CLI: still building (${formatMs(Date.now() - started)}, ${downloads} modules downloaded so far)`);
  }, HEARTBEAT_MS);
  t.unref();
  return t;
}

// ---------------------------------------------------------------------------------------------
// build lock: O_EXCL create of .temporal/build.lock; stale when its owner is dead or it is old

interface LockInfo {
  pid: number;
  host: string;
  token: string;
  startedAt: number;
}

export async function withBuildLock<T>(projectDir: string, log: (msg: string) => void, fn: () => Promise<T>): Promise<T> {
  const dir = path.join(projectDir, '.temporal');
  fs.mkdirSync(dir, { recursive: true });
  const lockPath = path.join(dir, 'build.lock');
  const me: LockInfo = { pid: process.pid, host: os.hostname(), token: `${process.pid}-${Date.now()}-${Math.random()}`, startedAt: Date.now() };
  const waitStart = Date.now();
  let lastNote = 0;

  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(me));
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readLock(lockPath);
    const stale = staleReason(lockPath, holder);
    if (stale) {
      log(`temporal CLI: removing stale build lock (${stale})`);
      breakLock(lockPath, holder);
      continue;
    }
    if (Date.now() - waitStart > LOCK_WAIT_MAX_MS) {
      throw new Error(`gave up waiting for ${lockPath} after ${formatMs(Date.now() - waitStart)}`);
    }
    if (Date.now() - lastNote >= HEARTBEAT_MS) {
      lastNote = Date.now();
      const who = holder ? `pid ${holder.pid} on ${holder.host}` : 'another process';
      log(`temporal CLI: waiting for the build running in ${who} (${formatMs(Date.now() - waitStart)} so far)`);
    }
    await sleep(500);
  }

  try {
    return await fn();
  } finally {
    const holder = readLock(lockPath);
    if (holder?.token === me.token) fs.rmSync(lockPath, { force: true });
  }
}

function readLock(lockPath: string): LockInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(lockPath, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function staleReason(lockPath: string, holder: LockInfo | undefined): string | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(lockPath).mtimeMs;
  } catch {
    return undefined; // gone already: just retry
  }
  const age = Date.now() - mtimeMs;
  if (!holder) {
    // Unreadable: either being written right now, or its writer died mid-write.
    return age > 10_000 ? `unreadable lock file, ${formatMs(age)} old` : undefined;
  }
  if (holder.host === os.hostname() && !pidAlive(holder.pid)) return `pid ${holder.pid} is gone`;
  if (age > LOCK_STALE_MS) return `held for ${formatMs(age)}`;
  return undefined;
}

/** Remove a stale lock without clobbering a fresh one another waiter may have just created. */
function breakLock(lockPath: string, observed: LockInfo | undefined): void {
  const aside = `${lockPath}.stale-${process.pid}-${Date.now()}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch {
    return; // someone else broke it first
  }
  const moved = readLock(aside);
  if (observed && moved?.token !== observed.token) {
    // We raced and moved a live lock: put it back (link fails if a newer lock exists, which is fine).
    try {
      fs.linkSync(aside, lockPath);
    } catch {
      /* ignore */
    }
  }
  fs.rmSync(aside, { force: true });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------
// (e) SDK download

async function sdkDownload(log: (msg: string) => void): Promise<string> {
  log('temporal CLI: trying the SDK download (TestWorkflowEnvironment.createLocal, cached-download)');
  const since = Date.now();
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'cached-download' } } });
  await env.teardown();

  // The SDK caches it as $TMPDIR/temporal-sdk-typescript-<sdk version>[.exe].
  const tmp = os.tmpdir();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdkVersion = (require('@temporalio/testing/package.json') as { version: string }).version;
  const expected = path.join(tmp, `temporal-sdk-typescript-${sdkVersion}${EXE}`);
  if (!executableProblem(expected)) return expected;
  const candidates = fs
    .readdirSync(tmp)
    .filter((n) => n.startsWith('temporal-sdk-typescript-') && (!EXE || n.endsWith(EXE)))
    .map((n) => path.join(tmp, n))
    .filter((p) => !executableProblem(p))
    .map((p) => ({ p, mtime: fs.statSync(p).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  const newest = candidates[0];
  if (!newest) throw new Error(`the dev server started, but no ${expected} (or other temporal-sdk-typescript-*) was found in ${tmp}`);
  if (newest.mtime < since - LOCK_STALE_MS) log(`temporal CLI: note: using an older SDK download ${newest.p}`);
  return newest.p;
}

// ---------------------------------------------------------------------------------------------
// process helpers

class CommandError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

function run(cmd: string, args: string[], o: { timeoutMs: number }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: o.timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const detail = (stderr || stdout || '').trim().split('\n').slice(-5).join('\n');
        reject(new CommandError(`${err.message.split('\n')[0]}${detail ? `: ${detail}` : ''}`, stdout, stderr));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/** Runs a command, appending its output to logFile; rejects with the output's tail. */
export function runLogged(
  cmd: string,
  args: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    fs.appendFileSync(o.logFile, `$ ${[cmd, ...args].join(' ')}\n`);
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      fs.appendFileSync(o.logFile, d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      fs.appendFileSync(o.logFile, d);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ stdout, stderr });
      const tail = stderr
        .split('\n')
        .filter((l) => l && !l.startsWith('go: downloading '))
        .slice(-20)
        .join('\n');
      reject(new CommandError(`\`${[path.basename(cmd), ...args].join(' ')}\` exited with ${signal ?? code}${tail ? `:\n${tail}` : ''}`, stdout, stderr));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export function displayPath(p: string, projectDir: string): string {
  const rel = path.relative(projectDir, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

// ---------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => !['--no-build', '--no-download'].includes(a));
  if (unknown.length) {
    process.stderr.write(`usage: tsx scripts/temporal-cli.ts [--no-build] [--no-download]\n`);
    return 2;
  }
  try {
    const info = await ensureTemporalCli({
      allowBuild: !argv.includes('--no-build'),
      allowDownload: !argv.includes('--no-download'),
    });
    process.stdout.write(`${info.path}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`temporal CLI: ${errMessage(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
