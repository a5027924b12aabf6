/**
 * After the drain of a chaos run: where each record stands, checked against the simulators
 * (the systems of record), and the secrets scan.
 *
 * Per record: a valid one must be in its target exactly once with the fields of its final source
 * record (lost / duplicated / wrong otherwise); an invalid one must have ended failed, or be
 * waiting, with a named reason. A record whose sync is still running without being settled is
 * stuck. The reasons are counted (failure type, or what a waiting sync waits on).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { describeSync } from '../client/operations';
import { SourceIdKey, SyncKindKey, SyncStatusKey, WaitingOnKey } from '../common/search-attributes';
import { isMarkedNote, noteKeyOf } from '../connectors/servicechannel/schemas';
import { mapCustomerToSpecter } from '../mappings/app4sales-to-specter';
import type { Simulators } from '../scripts/simulators';
import { BENCH_PRICE_LIST, BENCH_SALES_REP } from '../bench/customers';
import { customerUpsertWorkflowId, jobToWorkOrderWorkflowId, workOrderToMobileWorkflowId } from '../workflows/definitions';
import { isBadSourceId, type ChaosRecord, type Flow } from './records';

export type Outcome = 'ok' | 'lost' | 'duplicated' | 'wrong' | 'stuck' | 'retrying' | 'failed-named' | 'waiting-named' | 'failed-unnamed';

export interface RecordCheck {
  record: ChaosRecord;
  outcome: Outcome;
  /** For failed / waiting / stuck / wrong: why, in a few words. */
  reason?: string;
}

export function workflowIdOf(r: ChaosRecord): string {
  if (r.flow === 'customer') return customerUpsertWorkflowId(r.sourceId);
  if (r.flow === 'job') return jobToWorkOrderWorkflowId(r.sourceId);
  return workOrderToMobileWorkflowId(r.sourceId);
}

/** What visibility says of a sync: Temporal's status, the recorded sync status, what it waits on. */
export interface VisibleSync {
  workflowId: string;
  runId: string;
  status: string;
  syncStatus: string | null;
  kind: string | null;
  sourceId: string | null;
  waitingOn: string[];
}

/** Every workflow on the namespace, latest run per workflow id first seen (visibility lists newest first). */
export async function listAll(client: Client): Promise<Map<string, VisibleSync>> {
  const out = new Map<string, VisibleSync>();
  for await (const info of client.workflow.list({ pageSize: 1000 })) {
    if (out.has(info.workflowId)) continue;
    const sa = info.typedSearchAttributes;
    out.set(info.workflowId, {
      workflowId: info.workflowId,
      runId: info.runId,
      status: info.status.name,
      syncStatus: sa.get(SyncStatusKey) ?? null,
      kind: sa.get(SyncKindKey) ?? null,
      sourceId: sa.get(SourceIdKey) ?? null,
      waitingOn: [...(sa.get(WaitingOnKey) ?? [])],
    });
  }
  return out;
}

/** The target's view of one record: settled (nothing more will happen by itself) and its check. */
export function targetCheck(sims: Simulators, r: ChaosRecord): { present: number; wrong?: string; settled: boolean } {
  if (r.flow === 'customer') {
    const source = sims.app4sales.state.customers.get(r.sourceId);
    if (!source) return { present: 0, wrong: 'source record gone', settled: true };
    const mapping = mapCustomerToSpecter({ customer: source, salesRepResIdString: BENCH_SALES_REP.ResIdString, priceListCurrency: BENCH_PRICE_LIST.Currency ?? null });
    const held = [...sims.specter.state.customers.values()].filter((c) => c.OrgNo === mapping.payload.OrgNo);
    if (held.length !== 1) return { present: held.length, settled: true };
    const target = held[0] as unknown as Record<string, unknown>;
    const fields = ['Name', 'EmailAddress', 'OrgNo', 'VatNo', 'PhoneNo', 'FirstName', 'SurName'] as const;
    const differing = fields.filter((f) => (mapping.payload as Record<string, unknown>)[f] !== target[f]);
    if (source.CustomerCode !== target.CustomerId) differing.push('CustomerCode' as never);
    return { present: 1, wrong: differing.length ? `differs in ${differing.join(', ')}` : undefined, settled: differing.length === 0 };
  }
  if (r.flow === 'job') {
    const source = sims.servicetrade.state.job(Number(r.sourceId));
    const order = source ? sims.spectrum.state.workOrder(`S${source.number}`) : undefined;
    if (!order) return { present: 0, settled: false };
    const items = sims.servicetrade.state.items(Number(r.sourceId)).length;
    if (order.materials.length > items) return { present: 2, wrong: `${order.materials.length} material lines for ${items} items`, settled: true };
    const header = order.header as Record<string, string>;
    const differing = [order.materials.length !== items ? `${order.materials.length}/${items} material lines` : '', header.Site_Code !== undefined && header.Site_Code !== 'S1000' ? 'Site_Code' : '']
      .filter(Boolean);
    return { present: 1, wrong: differing.length ? `differs in ${differing.join(', ')}` : undefined, settled: differing.length === 0 };
  }
  const wo = sims.servicechannel.state.adminWorkOrder(Number(r.sourceId));
  const held = wo ? sims.servicepower.state.workOrders.get(`SC${wo.Id}`) : undefined;
  if (!wo || !held) return { present: 0, settled: false };
  const mobile = held.workOrder as { PurchaseOrder?: { Amount?: number }; DispatchStatus?: number };
  // A write repeated after its answer was lost: the same FieldBridge note (key, else text) or the same check-in twice.
  const repeated = repeatedServiceChannelWrites(wo);
  if (repeated) return { present: 2, wrong: repeated, settled: true };
  // One status write (with its note) per dispatch: a second provider note is the dispatch done twice.
  const providerNotes = wo.Notes.filter((n) => (n as { ByProvider?: boolean }).ByProvider).length;
  if (providerNotes > 1) return { present: 2, wrong: `${providerNotes} dispatch notes in ServiceChannel`, settled: true };
  const differing = [mobile.PurchaseOrder?.Amount !== wo.Nte ? 'NTE' : '', mobile.DispatchStatus !== 3 ? 'DispatchStatus' : '', providerNotes === 0 ? 'dispatched status in ServiceChannel' : ''].filter(Boolean);
  return { present: 1, wrong: differing.length ? `differs in ${differing.join(', ')}` : undefined, settled: differing.length === 0 };
}

/**
 * A ServiceChannel write FieldBridge made twice: two FieldBridge notes with the same key (else the same
 * text), or two check-ins at the same time; null when none.
 */
export function repeatedServiceChannelWrites(wo: { Notes: ReadonlyArray<{ NoteData?: unknown }>; CheckIns: ReadonlyArray<{ CheckInTime: string }> }): string | null {
  const seen = new Map<string, number>();
  for (const n of wo.Notes) {
    const text = typeof n.NoteData === 'string' ? n.NoteData : '';
    if (!isMarkedNote(text)) continue;
    const id = noteKeyOf(text) ?? text.trim();
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const twice = [...seen.entries()].filter(([, count]) => count > 1);
  if (twice.length > 0) return `FieldBridge note written ${twice[0]![1]} times in ServiceChannel (${twice[0]![0].slice(0, 40)})`;
  const times = wo.CheckIns.map((c) => Date.parse(c.CheckInTime));
  const dup = times.find((t, i) => times.indexOf(t) !== i);
  if (dup !== undefined) return `check-in at ${new Date(dup).toISOString()} written ${times.filter((t) => t === dup).length} times in ServiceChannel`;
  return null;
}

/** Nothing more will happen to this record without a new change or an operator. */
export function isSettled(sims: Simulators, r: ChaosRecord, v: VisibleSync | undefined): boolean {
  if (v && v.status !== 'RUNNING') return true;
  if (v && (v.syncStatus === 'waiting' || (r.flow === 'mobile' && v.syncStatus === 'failed'))) return true;
  if (r.expect === 'valid' && r.flow === 'mobile') return targetCheck(sims, r).settled;
  return false;
}

/** Reason text for the report: the failure type, or what is awaited; digits of ids folded so reasons group. */
function named(text: string | null | undefined): string | undefined {
  if (!text) return undefined;
  return text.replace(/\d{3,}/g, '#').slice(0, 120);
}

export async function checkRecords(client: Client, sims: Simulators, records: ChaosRecord[], visible: Map<string, VisibleSync>): Promise<RecordCheck[]> {
  const checks: RecordCheck[] = [];
  let next = 0;
  const slot = async () => {
    for (;;) {
      const r = records[next++];
      if (!r) return;
      checks.push(await checkOne(client, sims, r, visible.get(workflowIdOf(r))));
    }
  };
  await Promise.all(Array.from({ length: 16 }, slot));
  return checks;
}

/**
 * The chaos run's MOBILE_MAX_HISTORY_EVENTS: low, with a re-read every second, so the open work orders
 * of a run roll their histories over many times (re-reads would otherwise grow one history without bound).
 */
export const CHAOS_MOBILE_MAX_HISTORY_EVENTS = 150;

/** An open work order whose current run's history is far past the rollover point: it would hit Temporal's history limit. */
async function unboundedHistory(client: Client, r: ChaosRecord, v: VisibleSync | undefined): Promise<string | null> {
  if (r.flow !== 'mobile' || v?.status !== 'RUNNING') return null;
  const history = await client.workflow.getHandle(v.workflowId).fetchHistory().catch(() => undefined);
  const length = history?.events?.length ?? 0;
  return length > 2 * CHAOS_MOBILE_MAX_HISTORY_EVENTS ? `history of ${length} events, never rolled over (limit ${CHAOS_MOBILE_MAX_HISTORY_EVENTS})` : null;
}

async function checkOne(client: Client, sims: Simulators, r: ChaosRecord, v: VisibleSync | undefined): Promise<RecordCheck> {
  const unbounded = await unboundedHistory(client, r, v);
  if (unbounded) return { record: r, outcome: 'stuck', reason: unbounded };
  const target = targetCheck(sims, r);
  if (r.expect === 'valid') {
    if (target.present > 1) return { record: r, outcome: 'duplicated', reason: target.wrong ?? `${target.present} target records` };
    if (target.present === 1 && !target.wrong) return { record: r, outcome: 'ok' };
  }
  if (!v) return { record: r, outcome: r.expect === 'valid' ? 'lost' : 'failed-unnamed', reason: 'no workflow was ever started' };
  const report = await describeSync(client, v.workflowId).catch(() => undefined);
  const status = report?.syncStatus ?? v.syncStatus;
  const why = named(report?.failure?.type ? `${report.failure.type}: ${report.failure.message}` : report?.lastError) ?? (v.waitingOn.length ? `waiting on ${named(v.waitingOn.join(', '))}` : undefined);
  // Still running, not settled: retrying a named failure, or stuck (running without a reason).
  const unsettled = v.status === 'RUNNING' && !isSettled(sims, r, v);
  const retrying = report?.pendingActivity?.lastFailure ? named(`${report.pendingActivity.type}: ${report.pendingActivity.lastFailure}`) : undefined;
  if (unsettled && r.expect === 'valid') return retrying ? { record: r, outcome: 'retrying', reason: retrying } : { record: r, outcome: 'stuck', reason: why ?? 'running, no error' };
  if (r.expect === 'valid') {
    if (target.present === 1) return { record: r, outcome: 'wrong', reason: target.wrong };
    return { record: r, outcome: 'lost', reason: `${status ?? v.status}${why ? `: ${why}` : ''}` };
  }
  // Invalid records: must end failed or waiting, with a reason; never in the target.
  if (target.present > 0) return { record: r, outcome: 'wrong', reason: 'an invalid record reached the target' };
  if (status === 'waiting') return { record: r, outcome: why ? 'waiting-named' : 'failed-unnamed', reason: why ?? 'waiting, nothing named' };
  if (status === 'failed') return { record: r, outcome: why ? 'failed-named' : 'failed-unnamed', reason: why ?? 'failed, no reason' };
  if (v.status === 'RUNNING') return retrying ? { record: r, outcome: 'retrying', reason: retrying } : { record: r, outcome: 'stuck', reason: why ?? 'running, no error' };
  return { record: r, outcome: 'failed-unnamed', reason: `${status ?? v.status}` };
}

export interface FlowFigures {
  records: number;
  valid: number;
  invalid: number;
  changed: number;
  ok: number;
  lost: number;
  duplicated: number;
  wrong: number;
  stuck: number;
  /** Still running at the end of the drain, retrying a named failure (not settled, not stuck). */
  retrying: number;
  failedNamed: number;
  waitingNamed: number;
  failedUnnamed: number;
  /** Reason -> count, for failed, waiting, stuck, wrong and lost records. */
  reasons: Record<string, number>;
}

export function flowFigures(flow: Flow, checks: RecordCheck[]): FlowFigures {
  const mine = checks.filter((c) => c.record.flow === flow);
  const count = (o: Outcome) => mine.filter((c) => c.outcome === o).length;
  const reasons: Record<string, number> = {};
  for (const c of mine) {
    if (c.outcome === 'ok') continue;
    const key = `${c.outcome}: ${c.reason ?? '?'}`;
    reasons[key] = (reasons[key] ?? 0) + 1;
  }
  return {
    records: mine.length,
    valid: mine.filter((c) => c.record.expect === 'valid').length,
    invalid: mine.filter((c) => c.record.expect === 'invalid').length,
    changed: mine.filter((c) => c.record.changed).length,
    ok: count('ok'),
    lost: count('lost'),
    duplicated: count('duplicated'),
    wrong: count('wrong'),
    stuck: count('stuck'),
    retrying: count('retrying'),
    failedNamed: count('failed-named'),
    waitingNamed: count('waiting-named'),
    failedUnnamed: count('failed-unnamed'),
    reasons,
  };
}

/** Workflows whose source is only named by bad webhooks, and workflows of no planned record. */
export function unexpectedWorkflows(visible: Map<string, VisibleSync>, records: ChaosRecord[]): { byBadWebhooks: number; unplanned: string[] } {
  const planned = new Set(records.map(workflowIdOf));
  let byBadWebhooks = 0;
  const unplanned: string[] = [];
  for (const v of visible.values()) {
    if (isBadSourceId(v.sourceId)) byBadWebhooks += 1;
    else if (!planned.has(v.workflowId)) unplanned.push(v.workflowId);
  }
  return { byBadWebhooks, unplanned };
}

// ---------------------------------------------------------------------------------------------
// histories and the secrets scan

/** Fetch every workflow's history (every run) as JSON files under dir; returns the proto bytes per file for the scan. */
export async function exportHistories(client: Client, dir: string): Promise<{ files: number; bytes: Map<string, Buffer> }> {
  mkdirSync(dir, { recursive: true });
  const runs: Array<{ workflowId: string; runId: string }> = [];
  for await (const info of client.workflow.list({ pageSize: 1000 })) runs.push({ workflowId: info.workflowId, runId: info.runId });
  const bytes = new Map<string, Buffer>();
  let next = 0;
  const slot = async () => {
    for (;;) {
      const run = runs[next++];
      if (!run) return;
      try {
        const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
        const file = join(dir, `${run.workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}__${run.runId}.json`);
        writeFileSync(file, historyToJSON(history));
        bytes.set(file, Buffer.from(temporal.api.history.v1.History.encode(history).finish()));
      } catch {
        /* a run deleted meanwhile: nothing to scan */
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, slot));
  return { files: bytes.size, bytes };
}

export interface ScanTarget {
  /** Where: 'logs', 'histories', 'database'. */
  place: 'logs' | 'histories' | 'database';
  name: string;
  data: Buffer;
}

export interface ScanHit {
  place: ScanTarget['place'];
  file: string;
  /** The secret's variable name, or 'customer e-mail'. Never the value. */
  what: string;
  count: number;
}

export interface ScanResult {
  scanned: { logs: number; histories: number; database: number };
  secretsSearched: number;
  emailsSearched: number;
  hits: ScanHit[];
  /** Distinct secrets found anywhere, and distinct e-mails found anywhere, by place. */
  leaked: { secrets: Record<ScanTarget['place'], number>; emails: Record<ScanTarget['place'], number> };
}

const EMAIL_PATTERN = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Search every secret value and every e-mail in every target. Values are never reported, only names and counts. */
export function scanSecrets(targets: ScanTarget[], secrets: Record<string, string>, emails: string[]): ScanResult {
  const wanted = new Set(emails.map((e) => e.toLowerCase()));
  const hits: ScanHit[] = [];
  const foundSecrets = { logs: new Set<string>(), histories: new Set<string>(), database: new Set<string>() };
  const foundEmails = { logs: new Set<string>(), histories: new Set<string>(), database: new Set<string>() };
  const histAgg = new Map<string, number>();
  for (const t of targets) {
    for (const [name, value] of Object.entries(secrets)) {
      if (!value) continue;
      let count = 0;
      for (let at = t.data.indexOf(value); at !== -1; at = t.data.indexOf(value, at + value.length)) count += 1;
      if (count === 0) continue;
      foundSecrets[t.place].add(name);
      if (t.place === 'histories') histAgg.set(name, (histAgg.get(name) ?? 0) + count);
      else hits.push({ place: t.place, file: t.name, what: name, count });
    }
    let emailCount = 0;
    for (const m of t.data.toString('latin1').matchAll(EMAIL_PATTERN)) {
      const e = m[0].toLowerCase();
      if (!wanted.has(e)) continue;
      emailCount += 1;
      foundEmails[t.place].add(e);
    }
    if (emailCount > 0) {
      if (t.place === 'histories') histAgg.set('customer e-mail', (histAgg.get('customer e-mail') ?? 0) + emailCount);
      else hits.push({ place: t.place, file: t.name, what: 'customer e-mail', count: emailCount });
    }
  }
  for (const [what, count] of histAgg) hits.push({ place: 'histories', file: '(all exported histories)', what, count });
  const size = (s: Record<ScanTarget['place'], Set<string>>) => ({ logs: s.logs.size, histories: s.histories.size, database: s.database.size });
  return {
    scanned: {
      logs: targets.filter((t) => t.place === 'logs').length,
      histories: targets.filter((t) => t.place === 'histories').length,
      database: targets.filter((t) => t.place === 'database').length,
    },
    secretsSearched: Object.values(secrets).filter(Boolean).length,
    emailsSearched: wanted.size,
    hits,
    leaked: { secrets: size(foundSecrets), emails: size(foundEmails) },
  };
}

/** Every *.log file under dir and its sub-folders (the exported histories are scanned apart). */
export function logTargets(dir: string, base = dir): ScanTarget[] {
  const out: ScanTarget[] = [];
  for (const f of readdirSync(dir)) {
    const file = join(dir, f);
    const st = statSync(file);
    if (st.isDirectory() && f !== 'histories') out.push(...logTargets(file, base));
    else if (st.isFile() && f.endsWith('.log')) out.push({ place: 'logs', name: file.slice(base.length + 1), data: readFileSync(file) });
  }
  return out;
}
