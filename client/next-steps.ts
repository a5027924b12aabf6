/**
 * What an operator does about a failed or waiting sync: which record to fix (system, record id,
 * field when the failure names it) and the command that follows (`fieldbridge retry`, `recheck`,
 * `sync`). One table of failure type -> advice, read by `fieldbridge status` (its "Next step"
 * block) and by `fieldbridge retry` when it refuses.
 */
import { OUTCOME_UNKNOWN_FAILURE_TYPE, PermanentErrorTypes, TRANSIENT_FAILURE_TYPE } from '../common/errors';

/** What follows the fix. `retry --force`: the fix is not in the source record (a setting, the target), so retry cannot see it changed. */
export type FollowUp = 'retry' | 'retry --force' | 'recheck' | 'sync' | 'none';

export interface Advice {
  /** Where the fix is made. */
  where: 'source record' | 'target system' | 'configuration' | 'nothing to fix';
  what: string;
  then: FollowUp;
}

/** Failure type -> advice. Types not listed fall back to TRANSIENT_ADVICE (not permanent) or UNKNOWN_ADVICE. */
export const FAILURE_ADVICE: Readonly<Record<string, Advice>> = {
  [PermanentErrorTypes.MissingRequiredFields]: { where: 'source record', what: 'fill in the required fields it lacks', then: 'retry' },
  [PermanentErrorTypes.InvalidSourceRecord]: { where: 'source record', what: 'fix it as the error says', then: 'retry' },
  [PermanentErrorTypes.SourceRecordNotFound]: { where: 'source record', what: 'it no longer exists: restore it, or leave the sync failed', then: 'retry' },
  [PermanentErrorTypes.CustomerCouldNotCreatedOrUpdated]: { where: 'source record', what: "fix it as Specter's message says", then: 'retry' },
  [PermanentErrorTypes.AmbiguousTargetMatch]: {
    where: 'source record',
    what: 'set the right Specter customer (one the error names) as its CustomerCode, or merge the duplicates in Specter',
    then: 'retry',
  },
  [PermanentErrorTypes.MappingNotFound]: { where: 'source record', what: 'map it: add the missing Spectrum code as its external id in ServiceTrade', then: 'retry' },
  [PermanentErrorTypes.SpectrumRejected]: {
    where: 'source record',
    what: 'fix the column Spectrum names (in ServiceTrade; when the fix is in Spectrum or in the job-sync settings, retry with --force)',
    then: 'retry',
  },
  [PermanentErrorTypes.InvalidRequest]: { where: 'configuration', what: 'fix what the error names (a setting such as a base URL or id, or the source record)', then: 'retry --force' },
  [PermanentErrorTypes.InvalidResponse]: { where: 'target system', what: 'the target answered something FieldBridge cannot read: check it (and its URL setting)', then: 'retry --force' },
  [PermanentErrorTypes.AuthenticationFailed]: { where: 'configuration', what: "fix the target system's credentials in the worker's environment and restart it", then: 'retry --force' },
  [PermanentErrorTypes.SpectrumNotAuthorized]: {
    where: 'target system',
    what: 'grant the Authorization ID (SPECTRUM_AUTHORIZATION_ID) the method and company the error names in Spectrum',
    then: 'retry --force',
  },
  [PermanentErrorTypes.SpectrumSessionExpired]: { where: 'nothing to fix', what: 'the retry starts a new Spectrum session', then: 'retry' },
  [PermanentErrorTypes.ProviderPermissionMissing]: { where: 'target system', what: 'ask the ServiceChannel subscriber to grant your provider account the permission the error names', then: 'recheck' },
  [PermanentErrorTypes.TargetConflict]: { where: 'target system', what: "settle the mobile work order's state in ServicePower (or ServiceChannel)", then: 'sync' },
  [PermanentErrorTypes.TargetGone]: { where: 'target system', what: 'the mobile work order was deleted in ServicePower: if the work is still to be done, sync it again', then: 'sync' },
};

/** Retries exhausted on a system that was down, slow or throttling: nothing in the data to fix. */
export const TRANSIENT_ADVICE: Advice = { where: 'nothing to fix', what: 'the target system failed every attempt (down, slow or throttling): once it answers again', then: 'retry' };
const UNKNOWN_ADVICE: Advice = { where: 'nothing to fix', what: 'read the error; once its cause is fixed', then: 'retry --force' };

export function adviceFor(type: string | null, permanent: boolean): Advice {
  if (type && FAILURE_ADVICE[type]) return FAILURE_ADVICE[type];
  if (!permanent || type === TRANSIENT_FAILURE_TYPE || type === OUTCOME_UNKNOWN_FAILURE_TYPE || type?.startsWith('Timeout')) return TRANSIENT_ADVICE;
  return UNKNOWN_ADVICE;
}

const SYSTEM_NAMES: Record<string, string> = {
  app4sales: 'App4Sales',
  specter: 'Specter',
  servicetrade: 'ServiceTrade',
  spectrum: 'Spectrum',
  servicechannel: 'ServiceChannel',
  servicepower: 'ServicePower',
};
const SOURCE_RECORD: Record<string, string> = { 'customer-upsert': 'customer', 'job-to-work-order': 'job', 'work-order-to-mobile': 'work order' };
const SYNC_COMMAND: Record<string, string> = {
  'customer-upsert': 'fieldbridge sync app4sales-customer',
  'job-to-work-order': 'fieldbridge sync servicetrade-job',
  'work-order-to-mobile': 'fieldbridge sync servicechannel-work-order',
};

export function systemName(system: string | null): string {
  return system ? (SYSTEM_NAMES[system] ?? system) : '?';
}

/** What status/retry know of a sync when advising. */
export interface SyncFacts {
  workflowId: string;
  kind: string | null;
  sourceSystem: string | null;
  sourceId: string | null;
  targetSystem: string | null;
  targetCode?: string | null;
  syncStatus: string | null;
  waitingOn: string[];
  failure: { type: string | null; message: string; permanent?: boolean; details?: unknown[] } | null;
}

export interface NextStep {
  /** The record to fix, e.g. `App4Sales customer 42: EmailAddress (from App4Sales MainContactPerson.Email, …)`; null: nothing to fix. */
  fix: string | null;
  /** What to do there. */
  what: string;
  /** The command to run once fixed. */
  command: string | null;
}

/** "servicetrade:location:42" -> "ServiceTrade location 42". */
export function waitKeyRecord(key: string): string {
  const [system, record, id] = key.split(':');
  return `${systemName(system)} ${record} ${id}`;
}

/** "App4Sales customer 42", "ServiceTrade job 7", "ServiceChannel work order 90000101". */
export function sourceRecord(f: Pick<SyncFacts, 'kind' | 'sourceSystem' | 'sourceId'>): string {
  return `${systemName(f.sourceSystem)} ${SOURCE_RECORD[f.kind ?? ''] ?? 'record'} ${f.sourceId ?? '?'}`;
}

/** The fields or records a failure's details name, when they name any. */
export function namedInFailure(f: SyncFacts): string[] {
  const names: string[] = [];
  for (const detail of f.failure?.details ?? []) {
    if (!detail || typeof detail !== 'object') continue;
    const d = detail as { missing?: unknown; rows?: unknown; problems?: unknown };
    if (Array.isArray(d.missing)) {
      for (const m of d.missing as Array<{ field?: string; source?: string; record?: string; id?: number; problem?: string }>) {
        if (m.field) names.push(`${m.field}${m.source ? ` (from ${systemName(f.sourceSystem)} ${m.source})` : ''}`);
        else if (m.record) names.push(`ServiceTrade ${m.record} ${m.id ?? '?'} ${m.problem ?? ''}`.trim());
      }
    }
    if (Array.isArray(d.rows)) {
      for (const row of d.rows as Array<{ column?: string; desc?: string; error_code?: string }>) {
        if (row.column && (row.error_code === undefined || ['I', 'M', 'A'].includes(row.error_code))) names.push(`${systemName(f.targetSystem)} column ${row.column}${row.desc ? `: ${row.desc}` : ''}`);
      }
    }
    if (Array.isArray(d.problems)) names.push(...(d.problems as string[]));
  }
  return [...new Set(names)];
}

function command(then: FollowUp, f: SyncFacts): string | null {
  switch (then) {
    case 'retry':
      return `fieldbridge retry ${f.workflowId}`;
    case 'retry --force':
      return `fieldbridge retry --force ${f.workflowId}`;
    case 'recheck':
      return `fieldbridge recheck ${f.workflowId}`;
    case 'sync':
      return f.kind && f.sourceId && SYNC_COMMAND[f.kind] ? `${SYNC_COMMAND[f.kind]} ${f.sourceId}` : null;
    default:
      return null;
  }
}

/** The next step for a failed or waiting sync; null for any other. */
export function nextStepOf(f: SyncFacts): NextStep | null {
  if (f.syncStatus === 'waiting') {
    const records = f.waitingOn.map(waitKeyRecord);
    const permission = f.waitingOn.some((k) => k.startsWith('servicechannel:subscriber:')) || f.failure?.type === PermanentErrorTypes.ProviderPermissionMissing;
    if (permission) {
      const advice = FAILURE_ADVICE[PermanentErrorTypes.ProviderPermissionMissing];
      return { fix: records.join(', ') || sourceRecord(f), what: advice.what, command: command('recheck', f) };
    }
    if (f.kind === 'job-to-work-order') {
      return { fix: records.join(', ') || sourceRecord(f), what: 'map it: add the missing Spectrum code as its external id in ServiceTrade (the sync also resumes by itself when ServiceTrade reports the change)', command: command('recheck', f) };
    }
    if (f.kind === 'customer-upsert') {
      return { fix: sourceRecord(f), what: 'App4Sales refused the CustomerCode write-back: fix what the last error says (a change to the customer resumes the sync)', command: command('recheck', f) };
    }
    return { fix: records.join(', ') || sourceRecord(f), what: 'fix what the last error names', command: command('recheck', f) };
  }
  if (f.syncStatus !== 'failed' || !f.failure) return null;
  const advice = adviceFor(f.failure.type, f.failure.permanent ?? FAILURE_ADVICE[f.failure.type ?? ''] !== undefined);
  const named = namedInFailure(f);
  let fix: string | null;
  if (advice.where === 'source record') fix = `${sourceRecord(f)}${named.length ? `: ${named.join('; ')}` : ''}`;
  else if (advice.where === 'target system') fix = `${systemName(f.targetSystem)}${f.targetCode ? ` ${f.targetCode}` : ''}${named.length ? `: ${named.join('; ')}` : ''}`;
  else if (advice.where === 'configuration') fix = `the worker's configuration${named.length ? `: ${named.join('; ')}` : ''}`;
  else fix = null;
  return { fix, what: advice.what, command: command(advice.then, f) };
}

/** The "Next step" block `fieldbridge status` prints under the report. */
export function nextStepLines(step: NextStep | null): string[] {
  if (!step) return [];
  return [`${'  Fix:'.padEnd(15)}${step.fix ?? '-'}`, `${'  What:'.padEnd(15)}${step.what}`, `${'  Then:'.padEnd(15)}${step.command ?? '-'}`];
}
