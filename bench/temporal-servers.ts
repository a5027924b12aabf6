/**
 * The benchmark's `--temporal` switch: the Temporal server the figures are measured on.
 *
 *   dev       the Temporal CLI's dev server (SQLite), started by @temporalio/testing (bench/customer-sync.ts)
 *   postgres  Temporal's own server on the machine's PostgreSQL (scripts/temporal-server.ts), in databases
 *             of the run's own name, dropped afterwards
 *   dev,postgres  the bench once per server (child processes, one at a time), then the headline figures
 *             of each flow side by side
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { freeServerPort, startPostgresTemporal, type PostgresTemporal } from '../scripts/temporal-server';
import { table } from './runner';

export interface PostgresEngine {
  env: TestWorkflowEnvironment;
  server: PostgresTemporal;
  /** Tear the environment down, stop the server and drop its databases. */
  teardown(): Promise<void>;
}

/** A PostgreSQL-backed Temporal server with the same dynamic config as the bench's dev server. */
export async function startPostgresEngine(opts: {
  dataConverter: DataConverter | undefined;
  eager: boolean;
  queuePollRps: number;
  log: Logger;
}): Promise<PostgresEngine> {
  const stack = loadConfig(['stack']).stack;
  const server = await startPostgresTemporal({
    port: await freeServerPort(),
    dbPrefix: `fieldbridge_bench_${Date.now().toString(36)}`,
    dataDir: mkdtempSync(join(tmpdir(), 'fieldbridge-bench-pg-')),
    postgres: { address: stack.postgresAddress, user: stack.postgresUser, password: stack.postgresPassword },
    dynamicConfig: {
      'system.enableActivityEagerExecution': opts.eager,
      'history.transferProcessorMaxPollRPS': opts.queuePollRps,
      'history.timerProcessorMaxPollRPS': opts.queuePollRps,
      'history.visibilityProcessorMaxPollRPS': opts.queuePollRps,
    },
    log: (msg) => opts.log.info(msg),
  });
  try {
    const env = await TestWorkflowEnvironment.createFromExistingServer({
      address: server.address,
      namespace: server.namespace,
      client: { dataConverter: opts.dataConverter },
    });
    return {
      env,
      server,
      async teardown() {
        await env.teardown().catch(() => undefined);
        await server.stop({ dropDatabases: true });
      },
    };
  } catch (err) {
    await server.stop({ dropDatabases: true });
    throw err;
  }
}

/** The headline figures compared across servers: latencies, throughput, CPU and actions. */
const HEADLINE = /(p50|p99|perSec|PerSec|throughput|ceiling|cpu|Cpu|actions|Actions|drain|peak)/;

function leaves(value: unknown, path = ''): Array<[string, number]> {
  if (typeof value === 'number' && Number.isFinite(value)) return [[path, value]];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k));
}

/** One table per flow: each headline figure of one server's BENCH_JSON beside the other's. */
export function sideBySide(results: Map<string, Array<Record<string, unknown>>>): string {
  const kinds = [...results.keys()];
  const byFlow = new Map<string, Map<string, Map<string, number>>>();
  for (const [kind, jsons] of results) {
    for (const json of jsons) {
      const flow = String(json.bench ?? 'flow');
      const figures = new Map(leaves(json).filter(([path]) => HEADLINE.test(path) && !/machine|startup|settings/i.test(path)));
      if (!byFlow.has(flow)) byFlow.set(flow, new Map());
      byFlow.get(flow)!.set(kind, figures);
    }
  }
  const out: string[] = [];
  for (const [flow, perKind] of byFlow) {
    const paths = [...new Set([...perKind.values()].flatMap((m) => [...m.keys()]))];
    const rows = paths.map((path) => [path, ...kinds.map((k) => {
      const v = perKind.get(k)?.get(path);
      return v === undefined ? '-' : String(Math.round(v * 10) / 10);
    })]);
    out.push(`\n${flow}: the same figures on each server\n${table(rows, ['figure', ...kinds])}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Run this bench once per server, one after the other (they would share the two cores), passing every
 * other option through; stream each run's output, then print the side-by-side tables and one
 * `BENCH_COMPARE_JSON` line. Resolves to the worst exit code.
 */
export async function runOncePerServer(kinds: readonly string[], argv: string[]): Promise<number> {
  const passThrough: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--temporal') i++;
    else if (!argv[i]!.startsWith('--temporal=')) passThrough.push(argv[i]!);
  }
  const results = new Map<string, Array<Record<string, unknown>>>();
  let worst = 0;
  for (const kind of kinds) {
    process.stdout.write(`\n===== Temporal server: ${kind} =====\n`);
    const jsons: Array<Record<string, unknown>> = [];
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...passThrough, '--temporal', kind], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, BENCH_TEMPORAL: kind },
      });
      let pending = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        process.stdout.write(chunk);
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('BENCH_JSON ')) jsons.push(JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, unknown>);
      });
      child.once('error', reject);
      child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    worst = Math.max(worst, code);
    results.set(kind, jsons);
  }
  process.stdout.write(sideBySide(results));
  process.stdout.write(`BENCH_COMPARE_JSON ${JSON.stringify(Object.fromEntries(results))}\n`);
  return worst;
}
