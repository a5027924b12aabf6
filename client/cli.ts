/**
 * `fieldbridge`: the operator CLI. Connection settings come from the environment (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TEMPORAL_API_KEY, TEMPORAL_TLS_*), as for the worker.
 */
import { randomUUID } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../common/config';
import { SYNC_KINDS, SYNC_STATUSES } from '../common/search-attributes';
import { connectClient } from '../common/temporal-connection';
import { describeSync, ensureSearchAttributes, listSyncs, type SyncReport, type SyncSummary } from './operations';
import { startCustomerUpsert } from './starters';

const out = (text: string) => process.stdout.write(`${text}\n`);

async function withClient<T>(fn: (client: Client, cfg: Config['temporal'], connection: Connection) => Promise<T>): Promise<T> {
  const { temporal } = loadConfig(['temporal']);
  const { client, connection } = await connectClient(temporal);
  try {
    return await fn(client, temporal, connection);
  } finally {
    await connection.close();
  }
}

function table(rows: SyncSummary[]): string {
  const header = ['WORKFLOW ID', 'SYNC STATUS', 'KIND', 'SOURCE', 'TARGET', 'CODE', 'STARTED'];
  const lines = rows.map((r) => [
    r.workflowId,
    r.syncStatus ?? r.workflowStatus.toLowerCase(),
    r.kind ?? '-',
    `${r.sourceSystem ?? '?'}:${r.sourceId ?? '?'}`,
    r.targetSystem ?? '-',
    r.targetCode ?? '-',
    r.startTime.toISOString(),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

function report(r: SyncReport): string {
  const lines: Array<[string, string | number | null]> = [
    ['Workflow', `${r.workflowId} (run ${r.runId})`],
    ['Kind', r.kind],
    ['Source', `${r.sourceSystem ?? '?'} ${r.sourceId ?? '?'}`],
    ['Target', r.targetSystem],
    ['Status', `${r.syncStatus ?? '-'} (Temporal: ${r.workflowStatus})`],
    ['Step', r.step],
    ['Passes', r.passes],
    ['Returned code', r.targetCode],
    ['Retrying', r.pendingActivity ? `${r.pendingActivity.type}, attempt ${r.pendingActivity.attempt}` : null],
    ['Last error', r.lastError],
    ['Started', r.startTime.toISOString()],
    ['Closed', r.closeTime?.toISOString() ?? null],
  ];
  return lines.map(([k, v]) => `${`${k}:`.padEnd(15)}${v ?? '-'}`).join('\n');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function buildCli(): Command {
  const program = new Command('fieldbridge')
    .description('Operate FieldBridge syncs on Temporal')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const sync = program.command('sync').description('Start (or queue another pass of) a sync for one record');
  sync
    .command('app4sales-customer')
    .description('Sync an App4Sales customer to Specter')
    .argument('<customerId>', 'App4Sales customer id')
    .option('--wait', 'wait for the sync to finish and print its result')
    .option('--json', 'print JSON')
    .action(async (customerId: string, opts: { wait?: boolean; json?: boolean }) =>
      withClient(async (client, cfg) => {
        const started = await startCustomerUpsert(client, cfg.taskQueue, customerId, { eventId: `cli-${randomUUID()}` });
        if (!opts.wait) {
          out(opts.json ? JSON.stringify(started) : `sync signalled: ${started.workflowId} (run ${started.runId})`);
          return;
        }
        await client.workflow.getHandle(started.workflowId).result().catch(() => undefined);
        const r = await describeSync(client, started.workflowId);
        out(opts.json ? JSON.stringify(r, null, 2) : report(r));
        if (r.syncStatus !== 'completed') process.exitCode = 1;
      }),
    );

  program
    .command('status')
    .description('Step, status, last error and returned code of one sync')
    .argument('<workflowId>', 'e.g. customer-upsert:app4sales:42')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, opts: { json?: boolean }) =>
      withClient(async (client) => {
        const r = await describeSync(client, workflowId);
        out(opts.json ? JSON.stringify(r, null, 2) : report(r));
      }),
    );

  program
    .command('list')
    .description('Recent syncs, newest first')
    .addOption(new Option('--status <status>', 'sync status').choices([...SYNC_STATUSES]))
    .option('--system <system>', 'source or target system (app4sales, specter, …)')
    .addOption(new Option('--kind <kind>', 'sync kind').choices([...SYNC_KINDS]))
    .option('--limit <n>', 'at most this many', positiveInt, 50)
    .option('--json', 'print JSON')
    .action(async (opts: { status?: string; system?: string; kind?: string; limit: number; json?: boolean }) =>
      withClient(async (client) => {
        const rows = await listSyncs(client, opts);
        if (opts.json) out(JSON.stringify(rows, null, 2));
        else out(rows.length ? table(rows) : 'no syncs match');
      }),
    );

  program
    .command('setup')
    .description("Register FieldBridge's search attributes on the namespace (for clusters that lack them)")
    .action(async () =>
      withClient(async (_client, cfg, connection) => {
        const { added, present } = await ensureSearchAttributes(connection, cfg.namespace);
        out(added.length ? `added to ${cfg.namespace}: ${added.join(', ')}` : `all search attributes present on ${cfg.namespace}`);
        if (present.length && added.length) out(`already present: ${present.join(', ')}`);
      }),
    );
  return program;
}

if (require.main === module || process.env.FIELDBRIDGE_CLI_MAIN === '1') {
  buildCli()
    .parseAsync(process.argv)
    .catch((err) => {
      process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `fieldbridge: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
