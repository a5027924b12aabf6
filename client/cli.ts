/**
 * `fieldbridge`: the operator CLI. Connection settings come from the environment (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TEMPORAL_API_KEY, TEMPORAL_TLS_*), as for the worker.
 */
import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, type Client, type Connection } from '@temporalio/client';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../common/config';
import { SYNC_KINDS, SYNC_STATUSES } from '../common/search-attributes';
import { connectClient } from '../common/temporal-connection';
import {
  describeSchedule,
  describeSync,
  ensureSearchAttributes,
  pauseSchedule,
  listSyncs,
  recheckSync,
  recheckWaitingSyncs,
  type RecheckedSync,
  type SyncReport,
  type SyncSummary,
} from './operations';
import { followCustomerBulkSync, startCustomerBulkSync } from './customer-bulk-sync';
import {
  CUSTOMER_SWEEP_SCHEDULE_ID,
  DEFAULT_SWEEP_INTERVAL,
  deleteCustomerSweepSchedule,
  describeCustomerSweepSchedule,
  ensureCustomerSweepSchedule,
  formatInterval,
  parseInterval,
  pauseCustomerSweepSchedule,
  triggerCustomerSweep,
  type CustomerSweepScheduleState,
} from './schedules';
import { startCustomerUpsert, startJobToWorkOrder, startWorkOrderToMobile, type StartedSync } from '../common/starters';
import { deleteReconcileSchedule, ensureReconcileSchedule, RECONCILE_SCHEDULE_ID, triggerReconcile } from './reconcile-schedule';
import { ensureJobSweepSchedule, JOB_SWEEP_SCHEDULE_ID, triggerJobSweep } from './job-sweep-schedule';
import type { jobToWorkOrder } from '../workflows/job-to-work-order';
import { withDevKeyFile } from '../common/dev-encryption';
import { nextStepLines } from './next-steps';
import { previewSync, previewText } from './preview';
import { nextStepForStatus, retryFailedSyncs, retryLine, retrySync, type RetryOutcome } from './retry';
import { FLOWS, type Flow } from './source-records';
import { syncStateQuery, workOrderToMobileWorkflowId as workOrderToMobileId, type CustomerBulkSyncProgress, type JobToWorkOrderResult, type SyncState } from '../workflows/definitions';
import { ensureNamespace } from './namespace';
import { checkSpectrumClientSecret } from './readiness';

const out = (text: string) => process.stdout.write(`${text}\n`);

async function withClient<T>(fn: (client: Client, cfg: Config['temporal'], connection: Connection) => Promise<T>): Promise<T> {
  // On npm start's machine, its development key file when no keys are configured (common/dev-encryption.ts).
  const { temporal } = loadConfig(['temporal'], withDevKeyFile(process.env));
  const { client, connection } = await connectClient(temporal);
  try {
    return await fn(client, temporal, connection);
  } finally {
    await connection.close();
  }
}

function table(rows: SyncSummary[]): string {
  // What a waiting sync waits on, as a last column when any listed sync waits on something.
  const waiting = rows.some((r) => r.waitingOn.length > 0);
  const header = ['WORKFLOW ID', 'SYNC STATUS', 'KIND', 'SOURCE', 'TARGET', 'CODE', 'STARTED', ...(waiting ? ['WAITING ON'] : [])];
  const lines = rows.map((r) => [
    r.workflowId,
    r.syncStatus ?? r.workflowStatus.toLowerCase(),
    r.kind ?? '-',
    `${r.sourceSystem ?? '?'}:${r.sourceId ?? '?'}`,
    r.targetSystem ?? '-',
    r.targetCode ?? '-',
    r.startTime.toISOString(),
    ...(waiting ? [r.waitingOn.join(', ') || '-'] : []),
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
    ['Waiting on', r.waitingOn.length ? r.waitingOn.join(', ') : null],
    ['Step', r.step],
    ['Passes', r.passes],
    ['Returned code', r.targetCode],
    ['Retrying', r.pendingActivity ? `${r.pendingActivity.type}, attempt ${r.pendingActivity.attempt}${r.pendingActivity.nextAttemptAt ? `, next at ${r.pendingActivity.nextAttemptAt.toISOString()}` : ''}` : null],
    ['Last error', r.lastError],
    ['To do by hand', r.notices.length ? r.notices.join('; ') : null],
    ['Failure type', r.failure ? `${r.failure.type ?? 'unknown'} (${r.failure.willRetry ? 'will be retried' : 'not retried: needs a fix'})` : null],
    ['Next step', r.nextStep],
    ['Started', r.startTime.toISOString()],
    ['Closed', r.closeTime?.toISOString() ?? null],
  ];
  return lines.map(([k, v]) => `${`${k}:`.padEnd(15)}${v ?? '-'}`).join('\n');
}

/** The result of a finished job -> work order sync, as `sync servicetrade-job --wait` prints it. */
export function jobSyncResultReport(started: StartedSync, result: JobToWorkOrderResult): string {
  const codes = Object.keys(result.lineGroups);
  const lines: Array<[string, string]> = [
    ['Workflow', `${started.workflowId} (run ${started.runId})`],
    ['Status', 'completed'],
    ['Work order', result.workOrderNumber],
    [
      'Lines',
      `${codes.length} item code${codes.length === 1 ? '' : 's'}${codes.length ? ` (${codes.join(', ')})` : ''}; ` +
        `${result.linesAdded} line${result.linesAdded === 1 ? '' : 's'} added by this sync`,
    ],
    ['Number recorded', result.numberRecorded ? `yes: written on ServiceTrade job ${result.jobId}` : `no: ServiceTrade job ${result.jobId} already carried it`],
    ['Passes', String(result.passes)],
    ...(result.keptInSpectrum ?? []).map((k): [string, string] => ['To do by hand', k.message]),
  ];
  return lines.map(([k, v]) => `${`${k}:`.padEnd(17)}${v}`).join('\n');
}

/** What `recheck` prints for each sync it signalled. */
export function recheckLine(r: RecheckedSync): string {
  if (r.waitingOn.length > 0) return `${r.workflowId}  waiting on ${r.waitingOn.join(', ')}`;
  return `${r.workflowId}  (${r.syncStatus ?? 'status unknown'}: not waiting, the recheck is harmless)`;
}

/** A wait key as FieldBridgeWaitingOn holds it: `<system>:<record>:<id>`, e.g. servicetrade:location:42. */
export function waitKey(value: string): string {
  if (!/^[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*:[^\s:]+$/.test(value)) {
    throw new InvalidArgumentError('must be <system>:<record>:<id>, e.g. servicetrade:location:42');
  }
  return value;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function bulkProgressLine(p: CustomerBulkSyncProgress): string {
  return `${p.signalled}/${p.listed} signalled, ${p.skipped} already synced, ${p.failed} failed, ${p.pages} page${p.pages === 1 ? '' : 's'}`;
}

function sweepScheduleReport(action: string, s: CustomerSweepScheduleState): string {
  const lines: Array<[string, string]> = [
    ['Schedule', `${s.scheduleId} (${action})`],
    ['Every', s.everyMs === null ? '-' : `${formatInterval(s.everyMs)} (overlap policy ${s.overlapPolicy})`],
    ['Paused', s.paused ? `yes${s.note ? `: ${s.note}` : ''}` : 'no'],
    ['Next run', s.paused ? '-' : (s.nextRuns[0]?.toISOString() ?? '-')],
    ['Running', s.running.join(', ') || '-'],
    ['Last run', s.recentRuns.length ? `${s.recentRuns[s.recentRuns.length - 1].workflowId} at ${s.recentRuns[s.recentRuns.length - 1].startedAt.toISOString()}` : '-'],
  ];
  return lines.map(([k, v]) => `${`${k}:`.padEnd(11)}${v}`).join('\n');
}

function pageSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError('must be an integer from 1 to 500');
  return n;
}

function duration(what: string): (value: string) => string {
  return (value) => {
    try {
      parseInterval(value as Parameters<typeof parseInterval>[0], what);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    return value;
  };
}

/**
 * Wait for a job sync to finish (following continue-as-new), saying on stderr when it starts
 * waiting for a mapping and what for. No result: it failed or was stopped.
 */
async function followJobSync(client: Client, started: StartedSync): Promise<{ result?: JobToWorkOrderResult }> {
  const handle = client.workflow.getHandle<typeof jobToWorkOrder>(started.workflowId, started.runId);
  const finished = handle.result().then(
    (result) => ({ result }),
    () => ({}),
  );
  let said = '';
  for (;;) {
    const outcome = await Promise.race([finished, new Promise<undefined>((r) => setTimeout(r, 2000, undefined))]);
    if (outcome) return outcome;
    const r = await describeSync(client, started.workflowId).catch(() => undefined);
    const now = r?.syncStatus === 'waiting' ? `waiting: ${r.lastError ?? r.waitingOn.join(', ')}` : '';
    if (now && now !== said) process.stderr.write(`${now}\n`);
    said = now;
  }
}

/**
 * Wait until a work order's sync has applied what was queued when we signalled it: its state query
 * shows more events applied than before, none queued and no activity in flight; or it waits, fails
 * or ends. The workflow itself lives as long as the work order, so this does not wait for it to end.
 */
async function followWorkOrderSync(client: Client, started: StartedSync, appliedBefore: number): Promise<void> {
  const handle = client.workflow.getHandle(started.workflowId);
  let warned = false;
  const t0 = Date.now();
  for (;;) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return;
    const state: SyncState | undefined = await client.withAbortSignal(AbortSignal.timeout(3000), () => handle.query(syncStateQuery)).catch(() => undefined);
    if (state) {
      if (state.status === 'waiting' || state.status === 'failed') return;
      if (state.passes > appliedBefore && state.pendingChanges === 0 && (description.raw.pendingActivities?.length ?? 0) === 0) return;
    } else if (!warned && Date.now() - t0 > 10_000) {
      process.stderr.write('no worker has answered yet: is `npm run worker` running on this task queue?\n');
      warned = true;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `preview` and `retry` (client/preview.ts, client/retry.ts): repairing a sync without a redeploy. */
function registerRepairCommands(program: Command): void {
  program
    .command('preview')
    .description('Print exactly what a sync of this record would send (JSON body or SOAP envelope), every truncation and missing field; sends nothing, starts nothing')
    .addArgument(new Argument('<flow>', 'the flow, as `sync` names it').choices([...FLOWS]))
    .argument('<id>', 'the source record id (App4Sales customer id, ServiceTrade job id, ServiceChannel work order id)')
    .option('--json', 'print JSON')
    .action(async (flow: Flow, id: string, opts: { json?: boolean }) =>
      withClient(async (client, cfg) => {
        const r = await previewSync(client, cfg.taskQueue, flow, id);
        out(opts.json ? JSON.stringify(r, null, 2) : previewText(r));
        if (!r.syncable) process.exitCode = 1;
      }),
    );

  program
    .command('retry')
    .description(
      'Re-run a failed sync from the step that failed (a reset; completed steps are kept, signals reapplied); refused when the failure is permanent and the source record has not changed',
    )
    .argument('[workflowId]', 'e.g. customer-upsert:app4sales:42')
    .addOption(new Option('--status <status>', 'every sync whose latest run has this status').choices(['failed']))
    .addOption(new Option('--kind <kind>', 'with --status: only this sync kind').choices([...SYNC_KINDS]))
    .option('--since <duration>', 'with --status: only those that failed within this long, e.g. 1h, 30m', duration('--since'))
    .option('--force', 'retry a permanent failure although the source record has not changed (the fix was made in the target system or a setting)')
    .option('--dry-run', 'list what would be retried, change nothing')
    .option('--json', 'print JSON')
    .action(async (workflowId: string | undefined, opts: { status?: string; kind?: string; since?: string; force?: boolean; dryRun?: boolean; json?: boolean }, command: Command) => {
      if (workflowId && (opts.status || opts.kind || opts.since)) command.error('error: give either a workflow id or --status failed [--kind K] [--since 1h], not both');
      if (!workflowId && !opts.status) command.error('error: give a workflow id, or --status failed [--kind K] [--since 1h]');
      await withClient(async (client, cfg) => {
        const retryOpts = { taskQueue: cfg.taskQueue, force: opts.force, dryRun: opts.dryRun };
        const outcomes: RetryOutcome[] = workflowId
          ? [await retrySync(client, workflowId, retryOpts)]
          : await retryFailedSyncs(client, { kind: opts.kind, sinceMs: opts.since ? parseInterval(opts.since as Parameters<typeof parseInterval>[0], '--since') : undefined }, retryOpts);
        if (opts.json) out(JSON.stringify(workflowId ? outcomes[0] : outcomes, null, 2));
        else if (outcomes.length === 0) out('no failed sync matches');
        else out(outcomes.flatMap((o) => [retryLine(o), ...(o.action === 'refused' ? nextStepLines(o.nextStep) : [])]).join('\n'));
        if (outcomes.some((o) => o.action === 'refused')) process.exitCode = 1;
      });
    });
}

export function buildCli(): Command {
  const program = new Command('fieldbridge')
    .description('Operate FieldBridge syncs on Temporal')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // bin/fieldbridge.js starts these before the CLI is loaded.
    .addHelpText(
      'after',
      [
        '',
        'Processes (configured by the environment, stopped by SIGTERM; see docs/install.md):',
        '  fieldbridge worker        the Temporal worker: runs the syncs',
        '  fieldbridge receiver      the webhook receiver: starts and signals syncs',
        '  fieldbridge codec-server  decrypts payloads for the Temporal UI',
      ].join('\n'),
    );

  const sync = program.command('sync').description('Start (or queue another pass of) a sync for one record');
  sync
    .command('app4sales-customer')
    .description('Sync an App4Sales customer to Specter, or (--all) every App4Sales customer: the first load of a customer base')
    .argument('[customerId]', 'App4Sales customer id')
    .option('--all', 'every App4Sales customer, by a durable bulk sync (customerBulkSync) that signals each one\'s sync')
    .option('--without-code', 'with --all: only customers without a CustomerCode (not yet in Specter)')
    .option('--id <bulkId>', 'with --all: the bulk sync\'s id (default: the start time); a running one with this id is followed')
    .option('--page-size <n>', 'with --all: customers per App4Sales page, each page one batch of signals (1..500, default 100)', pageSize)
    .option('--wait', 'wait for the sync to finish and print its result (with --all: its progress, "x/y signalled")')
    .option('--json', 'print JSON')
    .action(async (customerId: string | undefined, opts: { all?: boolean; withoutCode?: boolean; id?: string; pageSize?: number; wait?: boolean; json?: boolean }, command: Command) => {
      if (opts.all && customerId) command.error('error: give either a customer id or --all, not both');
      if (!opts.all && !customerId) command.error('error: give an App4Sales customer id, or --all [--without-code] for every customer');
      if (!opts.all && (opts.withoutCode || opts.id || opts.pageSize)) command.error('error: --without-code, --id and --page-size go with --all');
      if (opts.all) {
        await withClient(async (client, cfg) => {
          const handle = await startCustomerBulkSync(client, cfg.taskQueue, { bulkId: opts.id, withoutCode: !!opts.withoutCode, pageSize: opts.pageSize });
          if (!opts.wait) {
            out(opts.json ? JSON.stringify({ workflowId: handle.workflowId }) : `bulk sync started: ${handle.workflowId}`);
            return;
          }
          if (!opts.json) out(`bulk sync running: ${handle.workflowId}`);
          let last = '';
          const result = await followCustomerBulkSync(handle, (progress) => {
            const line = bulkProgressLine(progress);
            if (!opts.json && line !== last) out(line);
            last = line;
          });
          out(opts.json ? JSON.stringify({ workflowId: handle.workflowId, ...result }, null, 2) : `done: ${bulkProgressLine(result)}`);
          if (!opts.json && result.failed > 0) out(`not signalled: ${result.failedCustomerIds.join(', ')}${result.failed > result.failedCustomerIds.length ? ', …' : ''} (${result.lastError ?? ''})`);
          if (result.failed > 0) process.exitCode = 1;
        });
        return;
      }
      await withClient(async (client, cfg) => {
        const started = await startCustomerUpsert(client, cfg.taskQueue, customerId!, { eventId: `cli-${randomUUID()}` });
        if (!opts.wait) {
          out(opts.json ? JSON.stringify(started) : `sync signalled: ${started.workflowId} (run ${started.runId})`);
          return;
        }
        await client.workflow.getHandle(started.workflowId).result().catch(() => undefined);
        const r = await describeSync(client, started.workflowId);
        out(opts.json ? JSON.stringify(r, null, 2) : report(r));
        if (r.syncStatus !== 'completed') process.exitCode = 1;
      });
    });

  sync
    .command('servicetrade-job')
    .description(
      'Sync a ServiceTrade job to its Spectrum work order (jobToWorkOrder), or queue one more pass of its running sync: ' +
        'how changes after the job was created reach Spectrum',
    )
    .argument('<jobId>', 'ServiceTrade job id', positiveInt)
    .option('--wait', 'wait for the sync to finish and print the work order number, its lines and whether the number was recorded on the job')
    .option('--json', 'print JSON')
    .action(async (jobId: number, opts: { wait?: boolean; json?: boolean }) =>
      withClient(async (client, cfg) => {
        const started = await startJobToWorkOrder(client, cfg.taskQueue, jobId, { eventId: `cli:${new Date().toISOString()}:${randomUUID().slice(0, 8)}`, changedFields: [] });
        if (!opts.wait) {
          out(opts.json ? JSON.stringify(started) : `sync signalled: ${started.workflowId} (run ${started.runId})`);
          return;
        }
        if (!opts.json) out(`sync signalled: ${started.workflowId}; waiting for it to finish (Ctrl-C stops waiting, not the sync)`);
        const outcome = await followJobSync(client, started);
        if (outcome.result) {
          out(opts.json ? JSON.stringify({ ...started, syncStatus: 'completed', ...outcome.result }, null, 2) : jobSyncResultReport(started, outcome.result));
          return;
        }
        const r = await describeSync(client, started.workflowId);
        out(opts.json ? JSON.stringify(r, null, 2) : report(r));
        process.exitCode = 1;
      }),
    );

  sync
    .command('servicechannel-work-order')
    .description(
      'Send a ServiceChannel work order to ServicePower (workOrderToMobile), or have its running sync read it again and send what changed: ' +
        'what a missed webhook would have done',
    )
    .argument('<workOrderId>', 'ServiceChannel work order id (not its number)', positiveInt)
    .option('--wait', 'wait until the sync has applied it (dispatched or patched, or waiting/failed with the reason) and print its status')
    .option('--json', 'print JSON')
    .action(async (workOrderId: number, opts: { wait?: boolean; json?: boolean }) =>
      withClient(async (client, cfg) => {
        let appliedBefore = 0;
        if (opts.wait) {
          const before = await client.withAbortSignal(AbortSignal.timeout(3000), () => client.workflow.getHandle(workOrderToMobileId(workOrderId)).query(syncStateQuery)).catch(() => undefined);
          appliedBefore = before?.passes ?? 0;
        }
        const eventId = `cli:${new Date().toISOString()}:${randomUUID().slice(0, 8)}`;
        const started = await startWorkOrderToMobile(client, cfg.taskQueue, workOrderId, { eventId, eventType: 'OperatorSync', source: 'cli' });
        if (!opts.wait) {
          out(opts.json ? JSON.stringify({ ...started, eventId }) : `sync signalled: ${started.workflowId} (run ${started.runId})`);
          return;
        }
        if (!opts.json) out(`sync signalled: ${started.workflowId}; waiting for it to apply the work order (Ctrl-C stops waiting, not the sync)`);
        await followWorkOrderSync(client, started, appliedBefore);
        const r = await describeSync(client, started.workflowId);
        out(opts.json ? JSON.stringify(r, null, 2) : report(r));
        if (r.syncStatus !== 'running' && r.syncStatus !== 'completed') process.exitCode = 1;
      }),
    );

  program
    .command('recheck')
    .description(
      'Tell a waiting sync to look again at what it waits on (signal `recheck`), e.g. once the missing Spectrum code is in ServiceTrade; ' +
        'harmless to a sync that is not waiting',
    )
    .argument('[workflowId]', 'e.g. job-to-work-order:servicetrade:42')
    .option('--waiting', 'every running sync whose status is waiting')
    .option('--on <waitKey>', 'with --waiting: only those waiting on this record, e.g. servicetrade:location:42', waitKey)
    .option('--json', 'print JSON')
    .action(async (workflowId: string | undefined, opts: { waiting?: boolean; on?: string; json?: boolean }, command: Command) => {
      if (workflowId && (opts.waiting || opts.on)) command.error('error: give either a workflow id or --waiting [--on <waitKey>], not both');
      if (!workflowId && !opts.waiting && !opts.on) command.error('error: give a workflow id, or --waiting [--on <waitKey>] for every waiting sync');
      await withClient(async (client) => {
        if (workflowId) {
          const r = await recheckSync(client, workflowId, 'operator');
          out(opts.json ? JSON.stringify(r, null, 2) : `recheck signalled: ${recheckLine(r)}`);
          return;
        }
        const signalled = await recheckWaitingSyncs(client, { waitKey: opts.on, reason: 'operator' });
        if (opts.json) out(JSON.stringify(signalled, null, 2));
        else if (signalled.length === 0) out(`no running sync waits${opts.on ? ` on ${opts.on}` : ''}`);
        else out([`recheck signalled to ${signalled.length} waiting sync${signalled.length === 1 ? '' : 's'}:`, ...signalled.map(recheckLine)].join('\n'));
      });
    });

  const schedule = program.command('schedule').description("FieldBridge's Temporal Schedules");
  schedule
    .command('sweep')
    .description(
      `The App4Sales customer sweep (${CUSTOMER_SWEEP_SCHEDULE_ID}): every interval, sync the customers changed since the last sweep, ` +
        'so a lost webhook is caught. Without an action option: create it, or update its interval',
    )
    .option('--every <interval>', `how often a sweep starts, e.g. 30s, 5m, 1h (default ${DEFAULT_SWEEP_INTERVAL})`, duration('--every'))
    .option('--lookback <duration>', 'how far back the very first sweep looks (default 1h)', duration('--lookback'))
    .addOption(new Option('--show', 'print the schedule, change nothing').conflicts(['pause', 'unpause', 'delete', 'trigger', 'every', 'lookback']))
    .addOption(new Option('--pause', 'pause it (no sweeps until --unpause)').conflicts(['unpause', 'delete', 'trigger']))
    .addOption(new Option('--unpause', 'unpause it').conflicts(['delete', 'trigger']))
    .addOption(new Option('--trigger', 'start one sweep now').conflicts(['delete']))
    .addOption(new Option('--delete', 'delete it (sweeps already started finish)'))
    .option('--json', 'print JSON')
    .action(async (opts: { every?: string; lookback?: string; show?: boolean; pause?: boolean; unpause?: boolean; trigger?: boolean; delete?: boolean; json?: boolean }) =>
      withClient(async (client, cfg) => {
        const print = (action: string, state: CustomerSweepScheduleState) =>
          out(opts.json ? JSON.stringify({ action, ...state }, null, 2) : sweepScheduleReport(action, state));
        try {
          if (opts.delete) {
            await deleteCustomerSweepSchedule(client);
            out(opts.json ? JSON.stringify({ action: 'deleted', scheduleId: CUSTOMER_SWEEP_SCHEDULE_ID }) : `schedule ${CUSTOMER_SWEEP_SCHEDULE_ID} deleted`);
          } else if (opts.show) {
            print('unchanged', await describeCustomerSweepSchedule(client));
          } else if (opts.pause || opts.unpause) {
            print(opts.pause ? 'paused' : 'unpaused', await pauseCustomerSweepSchedule(client, !!opts.pause));
          } else if (opts.trigger) {
            await triggerCustomerSweep(client);
            print('triggered', await describeCustomerSweepSchedule(client));
          } else {
            const { created, state } = await ensureCustomerSweepSchedule(client, {
              taskQueue: cfg.taskQueue,
              every: (opts.every ?? DEFAULT_SWEEP_INTERVAL) as Parameters<typeof parseInterval>[0],
              lookback: opts.lookback as Parameters<typeof parseInterval>[0] | undefined,
            });
            print(created ? 'created' : 'updated', state);
          }
        } catch (err) {
          if (err instanceof ScheduleNotFoundError) throw new Error(`no schedule ${CUSTOMER_SWEEP_SCHEDULE_ID}: create it with \`fieldbridge schedule sweep [--every 5m]\``);
          throw err;
        }
      }),
    );

  schedule
    .command('reconcile')
    .description(
      `The ServiceChannel reconciliation (${RECONCILE_SCHEDULE_ID}): every interval, list the work orders changed since the last run and signal ` +
        "each one's sync, so a webhook ServiceChannel dropped is caught. Without an action option: create it, or update its interval",
    )
    .option('--every <interval>', 'how often it runs, e.g. 1m, 5m (default SERVICECHANNEL_RECONCILE_INTERVAL_MS, 5m)', duration('--every'))
    .addOption(new Option('--show', 'print the schedule, change nothing').conflicts(['pause', 'unpause', 'delete', 'trigger', 'every']))
    .addOption(new Option('--pause', 'pause it (no reconciliation until --unpause)').conflicts(['unpause', 'delete', 'trigger']))
    .addOption(new Option('--unpause', 'unpause it').conflicts(['delete', 'trigger']))
    .addOption(new Option('--trigger', 'start one reconciliation now').conflicts(['delete']))
    .addOption(new Option('--delete', 'delete it (a run already started finishes)'))
    .option('--json', 'print JSON')
    .action(async (opts: { every?: string; show?: boolean; pause?: boolean; unpause?: boolean; trigger?: boolean; delete?: boolean; json?: boolean }) =>
      withClient(async (client, cfg) => {
        const print = (action: string, state: CustomerSweepScheduleState) =>
          out(opts.json ? JSON.stringify({ action, ...state }, null, 2) : sweepScheduleReport(action, state));
        try {
          if (opts.delete) {
            await deleteReconcileSchedule(client);
            out(opts.json ? JSON.stringify({ action: 'deleted', scheduleId: RECONCILE_SCHEDULE_ID }) : `schedule ${RECONCILE_SCHEDULE_ID} deleted`);
          } else if (opts.show) {
            print('unchanged', await describeSchedule(client, RECONCILE_SCHEDULE_ID));
          } else if (opts.pause || opts.unpause) {
            const note = `${opts.pause ? 'paused' : 'unpaused'} with fieldbridge schedule reconcile --${opts.pause ? 'pause' : 'unpause'}`;
            print(opts.pause ? 'paused' : 'unpaused', await pauseSchedule(client, RECONCILE_SCHEDULE_ID, !!opts.pause, note));
          } else if (opts.trigger) {
            await triggerReconcile(client);
            print('triggered', await describeSchedule(client, RECONCILE_SCHEDULE_ID));
          } else {
            const everyMs = opts.every ? parseInterval(opts.every as Parameters<typeof parseInterval>[0], '--every') : loadConfig(['mobileSync']).mobileSync.reconcileIntervalMs;
            const { created } = await ensureReconcileSchedule(client, { taskQueue: cfg.taskQueue, everyMs });
            print(created ? 'created' : 'updated', await describeSchedule(client, RECONCILE_SCHEDULE_ID));
          }
        } catch (err) {
          if (err instanceof ScheduleNotFoundError) throw new Error(`no schedule ${RECONCILE_SCHEDULE_ID}: create it with \`fieldbridge schedule reconcile [--every 5m]\``);
          throw err;
        }
      }),
    );

  schedule
    .command('job-sweep')
    .description(
      `The ServiceTrade job sweep (${JOB_SWEEP_SCHEDULE_ID}): every interval, list the jobs updated since the last sweep and start the sync of ` +
        'each one that has none, so a lost job-created webhook is caught. Exists only while SERVICETRADE_AUTO_SYNC_NEW_JOBS is on. ' +
        'Without an action option: create it, update its interval, or remove it when automatic sync is off',
    )
    .option('--every <interval>', `how often a sweep starts, e.g. 1m, 5m (default ${DEFAULT_SWEEP_INTERVAL})`, duration('--every'))
    .addOption(new Option('--show', 'print the schedule, change nothing').conflicts(['pause', 'unpause', 'trigger', 'every']))
    .addOption(new Option('--pause', 'pause it (no sweeps until --unpause)').conflicts(['unpause', 'trigger']))
    .addOption(new Option('--unpause', 'unpause it').conflicts(['trigger']))
    .addOption(new Option('--trigger', 'start one sweep now'))
    .option('--json', 'print JSON')
    .action(async (opts: { every?: string; show?: boolean; pause?: boolean; unpause?: boolean; trigger?: boolean; json?: boolean }) =>
      withClient(async (client, cfg) => {
        const print = (action: string, state: CustomerSweepScheduleState) =>
          out(opts.json ? JSON.stringify({ action, ...state }, null, 2) : sweepScheduleReport(action, state));
        try {
          if (opts.show) {
            print('unchanged', await describeSchedule(client, JOB_SWEEP_SCHEDULE_ID));
          } else if (opts.pause || opts.unpause) {
            const note = `${opts.pause ? 'paused' : 'unpaused'} with fieldbridge schedule job-sweep --${opts.pause ? 'pause' : 'unpause'}`;
            print(opts.pause ? 'paused' : 'unpaused', await pauseSchedule(client, JOB_SWEEP_SCHEDULE_ID, !!opts.pause, note));
          } else if (opts.trigger) {
            await triggerJobSweep(client);
            print('triggered', await describeSchedule(client, JOB_SWEEP_SCHEDULE_ID));
          } else {
            const { autoSyncNewJobs } = loadConfig(['servicetradeWebhook']).servicetradeWebhook;
            const outcome = await ensureJobSweepSchedule(client, {
              taskQueue: cfg.taskQueue,
              autoSyncNewJobs,
              every: (opts.every ?? DEFAULT_SWEEP_INTERVAL) as Parameters<typeof parseInterval>[0],
            });
            if (outcome.state === 'off') {
              const said = `automatic sync of new jobs is off (SERVICETRADE_AUTO_SYNC_NEW_JOBS): schedule ${JOB_SWEEP_SCHEDULE_ID} ${outcome.removed ? 'removed' : 'not created'}`;
              out(opts.json ? JSON.stringify({ action: outcome.removed ? 'deleted' : 'off', scheduleId: JOB_SWEEP_SCHEDULE_ID }) : said);
            } else {
              print(outcome.state, await describeSchedule(client, JOB_SWEEP_SCHEDULE_ID));
            }
          }
        } catch (err) {
          if (err instanceof ScheduleNotFoundError) throw new Error(`no schedule ${JOB_SWEEP_SCHEDULE_ID}: create it with \`fieldbridge schedule job-sweep [--every 5m]\``);
          throw err;
        }
      }),
    );

  program
    .command('status')
    .description('Step, status, last error and returned code of one sync; without one, whether the Spectrum client secret is about to expire (exit 1 if so)')
    .argument('[workflowId]', 'e.g. customer-upsert:app4sales:42, job-to-work-order:servicetrade:42, work-order-to-mobile:servicechannel:90000101')
    .option('--json', 'print JSON')
    .action(async (workflowId: string | undefined, opts: { json?: boolean }) => {
      if (!workflowId) {
        // Read as the worker reads it (the SPECTRUM_* settings); no Temporal needed.
        const check = checkSpectrumClientSecret(loadConfig(['spectrum']).spectrum);
        out(opts.json ? JSON.stringify(check, null, 2) : check.message);
        if (!check.ok) process.exitCode = 1;
        return;
      }
      return withClient(async (client) => {
        const r = await describeSync(client, workflowId);
        const next = await nextStepForStatus(client, r);
        out(opts.json ? JSON.stringify({ ...r, repair: next }, null, 2) : [report(r), ...nextStepLines(next)].join('\n'));
      });
    });

  registerRepairCommands(program);

  program
    .command('list')
    .description('Recent syncs, newest first (a waiting sync shows what it waits on)')
    .addOption(new Option('--status <status>', 'sync status').choices([...SYNC_STATUSES]))
    .option('--system <system>', 'source or target system (app4sales, specter, servicetrade, spectrum, servicechannel, servicepower)')
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
    .description("Register the namespace (when a self-hosted cluster lacks it) and FieldBridge's search attributes on it")
    .action(async () =>
      withClient(async (_client, cfg, connection) => {
        if ((await ensureNamespace(connection, cfg.namespace)).registered) out(`registered namespace ${cfg.namespace}`);
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
