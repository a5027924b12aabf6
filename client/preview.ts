/**
 * `fieldbridge preview <flow> <id>`: what a sync of this record would send, without sending it.
 *
 * The source record is loaded by the sync's own load activity (client/source-records.ts), mapped by
 * the sync's own pure mapping (mappings/), and each request is rendered by the connector function
 * the real send uses (SpecterClient.renderPost, SpectrumClient.renderPutEnvelope,
 * ServicePowerClient.renderRequest). Nothing is written anywhere: no POST/PUT/PATCH/SOAP write, no
 * workflow started or signalled. Every truncation, missing required field and missing mapping is
 * listed; a record that cannot be synced as it is makes the command exit non-zero.
 */
import type { Client } from '@temporalio/client';
import type { LoadedCustomer } from '../activities/customer-upsert';
import type { Flow, FlowAdapters } from './source-records';
import { withFlowAdapters } from './source-records';
import { readRun, decodeFirst } from './history';
import { describeMissing, mapCustomerToSpecter } from '../mappings/app4sales-to-specter';
import { lineGroups, mapJobToWorkOrder } from '../mappings/job-to-work-order';
import { DESCRIPTION_MAX, FINAL_SC_STATUSES, isCancelledInServiceChannel, mapWorkOrderToMobile, TITLE_MAX } from '../mappings/work-order-to-mobile';
import { applyWorkOrderPatch, buildWorkOrderPatch, isEmptyPatch } from '../connectors/servicepower/patch';
import type { ServicePowerWorkOrderPatch } from '../connectors/servicepower/schemas';
import { workOrderToMobileWorkflowId } from '../workflows/definitions';

/** One request the sync would send. */
export interface PreviewRequest {
  system: 'specter' | 'spectrum' | 'servicepower' | 'app4sales' | 'servicetrade';
  /** e.g. `POST /api/v1/42/customers`, `SOAP WorkOrderHeader`, `PUT WorkOrder/SC1000201`. */
  operation: string;
  /** The body as sent (JSON text or SOAP envelope), credentials masked; null when it depends on an answer. */
  body: string | null;
  /** What it is for, when the operation alone does not say. */
  note?: string;
}

export interface PreviewReport {
  flow: Flow;
  sourceId: string;
  /** `create`, `update`, `patch`, `nothing` (the target already holds it), `wait` (missing mappings), `refuse`. */
  action: 'create' | 'update' | 'patch' | 'nothing' | 'wait' | 'refuse';
  summary: string;
  requests: PreviewRequest[];
  truncations: Array<{ field: string; maxLength: number; originalLength: number }>;
  /** Required target fields the record leaves empty: record, field, where the source would hold it. */
  missing: Array<{ record: string; field: string; source?: string }>;
  /** Records lacking a code the sync maps (job flow): the sync would wait for them. */
  missingMappings: Array<{ record: string; id: number; name: string; problem: string }>;
  /** Other reasons the record cannot become a target record. */
  problems: string[];
  /** What the sync would log as a warning (values left out, settings not found). */
  notes: string[];
  /** False when the record cannot be synced as it is (the command exits non-zero). */
  syncable: boolean;
}

/** Spectrum's Authorization_ID, never printed. */
export function maskEnvelope(envelope: string): string {
  return envelope.replace(/<Authorization_ID>[^<]*<\/Authorization_ID>/g, '<Authorization_ID>****</Authorization_ID>');
}

/** Placeholder for the sync's own Spectrum session id in a previewed envelope. */
export const PREVIEW_GUID = '00000000-0000-0000-0000-000000000000';

export async function previewSync(client: Client, taskQueue: string, flow: Flow, sourceId: string): Promise<PreviewReport> {
  if (flow !== 'app4sales-customer' && !/^[1-9]\d*$/.test(sourceId)) {
    throw new Error(`${flow === 'servicetrade-job' ? 'a ServiceTrade job id' : 'a ServiceChannel work order id'} is a positive integer, not "${sourceId}"`);
  }
  return withFlowAdapters(flow, { client, taskQueue }, async (adapters) => {
    const report =
      flow === 'app4sales-customer'
        ? await previewCustomer(adapters, sourceId)
        : flow === 'servicetrade-job'
          ? await previewJob(adapters, Number(sourceId))
          : await previewWorkOrder(client, adapters, Number(sourceId));
    report.notes.push(...adapters.notes.map((n) => `${n.message}${n.meta ? ` ${JSON.stringify(n.meta)}` : ''}`));
    return report;
  });
}

function base(flow: Flow, sourceId: string): PreviewReport {
  return { flow, sourceId, action: 'refuse', summary: '', requests: [], truncations: [], missing: [], missingMappings: [], problems: [], notes: [], syncable: true };
}

async function previewCustomer(adapters: FlowAdapters, customerId: string): Promise<PreviewReport> {
  const { load, specter } = adapters.customer!;
  const report = base('app4sales-customer', customerId);
  const source = await load(customerId, { recall: true });
  // As customerUpsert's syncOnce: App4Sales' CustomerCode, else the code an earlier run knew.
  const known = source.earlierSync?.specterCustomerId ?? null;
  const sourceCode = source.customer.CustomerCode?.trim() || null;
  const code = sourceCode ?? known;
  const input: LoadedCustomer = code && !sourceCode ? { ...source, customer: { ...source.customer, CustomerCode: code } } : source;
  const mapping = mapCustomerToSpecter(input);
  report.truncations = mapping.truncations;
  report.missing = mapping.missing.map((m) => ({ record: `App4Sales customer ${customerId}`, field: m.field, source: m.source }));
  report.notes = mapping.warnings.map((w) => `${w.field} left out: ${w.reason}`);
  if (mapping.missing.length > 0) {
    report.action = 'refuse';
    report.syncable = false;
    report.problems.push(describeMissing(customerId, mapping.missing));
  } else if (code !== null && code === known && source.sourceFingerprint === source.earlierSync?.sourceFingerprint) {
    report.action = 'nothing';
  } else {
    report.action = code ? 'update' : 'create';
  }
  const rendered = specter.renderPost(mapping.payload);
  report.requests.push({ system: 'specter', operation: rendered.request, body: rendered.body });
  if (sourceCode === null || (code !== null && sourceCode !== code)) {
    report.requests.push({
      system: 'app4sales',
      operation: `PUT api/v1/customers/${encodeURIComponent(customerId)}/customercode`,
      body: code ? JSON.stringify({ CustomerCode: code }) : null,
      note: code ? 'the write-back of the Specter code' : "the write-back of the code Specter answers (Specter's Code)",
    });
  }
  report.summary =
    report.action === 'refuse'
      ? `App4Sales customer ${customerId} cannot be sent to Specter as it is`
      : report.action === 'nothing'
        ? `Specter customer ${code} already holds App4Sales customer ${customerId} as it is: the sync would send nothing`
        : report.action === 'update'
          ? `update Specter customer ${code} from App4Sales customer ${customerId}${sourceCode ? ' (its CustomerCode)' : ' (the code an earlier sync recorded)'}`
          : `create a Specter customer from App4Sales customer ${customerId} (no CustomerCode, no earlier sync)`;
  return report;
}

async function previewJob(adapters: FlowAdapters, jobId: number): Promise<PreviewReport> {
  const { load, spectrum } = adapters.job!;
  const report = base('servicetrade-job', String(jobId));
  const loaded = await load(jobId);
  report.missingMappings = loaded.missing.map(({ record, id, name, problem }) => ({ record, id, name, problem }));
  const mapping = mapJobToWorkOrder(loaded.source, loaded.settings);
  report.truncations = mapping.truncations;
  report.problems.push(...mapping.problems);
  report.notes.push(...mapping.notes, ...mapping.skippedItems.map((i) => `job item ${i.jobItemId} ("${i.name}") is not sent: ${i.reason}`));
  const soap = (service: Parameters<typeof spectrum.renderPutEnvelope>[0], fields: Record<string, string | undefined>, note?: string): PreviewRequest => ({
    system: 'spectrum',
    operation: `SOAP ${service}`,
    body: maskEnvelope(spectrum.renderPutEnvelope(service, PREVIEW_GUID, fields)),
    ...(note ? { note } : {}),
  });
  report.requests.push(soap('WorkOrderHeader', mapping.header, `work order ${mapping.workOrderNumber}, create or update (type ${mapping.workOrderType.code || '(blank)'} from ${mapping.workOrderType.from})`));
  report.requests.push(
    soap('GetWOMaterialCost', { pWO_Number: mapping.workOrderNumber }, 'reads the work order\'s lines with their System_Key; lines of these item codes that differ from the job\'s are deleted (DeleteWOMaterialCost), the job\'s missing lines added'),
  );
  for (const group of lineGroups(mapping.lines)) {
    for (const line of group.lines) report.requests.push(soap('AddWOMaterialCost', { ...line.fields, WO_Number: mapping.workOrderNumber }, `ServiceTrade job item ${line.jobItemId}`));
  }
  if (!loaded.recordedIds.includes(mapping.workOrderNumber)) {
    report.requests.push({
      system: 'servicetrade',
      operation: `POST externalid/job/${jobId}/${loaded.settings.externalSystemName}`,
      body: JSON.stringify({ value: mapping.workOrderNumber }),
      note: 'the work order number recorded on the job',
    });
  }
  if (mapping.problems.length > 0) {
    report.action = 'refuse';
    report.syncable = false;
    report.summary = `ServiceTrade job ${jobId} (number ${loaded.jobNumber}) cannot become a Spectrum work order as it is`;
  } else if (loaded.missing.length > 0) {
    report.action = 'wait';
    report.syncable = false;
    report.summary = `ServiceTrade job ${jobId} (number ${loaded.jobNumber}): the sync would wait for its Spectrum mappings, then send the work order below with the codes filled in`;
  } else {
    report.action = 'update';
    report.summary = `Spectrum work order ${mapping.workOrderNumber} (created, or updated when it exists) with ${mapping.lines.length} material line${mapping.lines.length === 1 ? '' : 's'} from ServiceTrade job ${jobId}`;
  }
  return report;
}

/** What the work order's sync last sent ServicePower (PUT, then PATCHes), rebuilt from the history of its current run. */
async function lastSentDocument(client: Client, workOrderId: number): Promise<{ lastSent: Record<string, unknown> | null; dispatchUTC: string | null; closed: boolean } | null> {
  let description;
  try {
    description = await client.workflow.getHandle(workOrderToMobileWorkflowId(workOrderId)).describe();
  } catch {
    return null;
  }
  const run = await readRun(client, description.workflowId, description.runId);
  const carried = (run.input as { carried?: { lastSent?: Record<string, unknown> | null; dispatchUTC?: string | null } } | undefined)?.carried;
  let lastSent = carried?.lastSent ?? null;
  let dispatchUTC = carried?.dispatchUTC ?? null;
  for (const step of run.steps) {
    if (step.outcome !== 'completed') continue;
    if (step.activityType === 'putMobileWorkOrder') {
      const input = await decodeFirst<{ workOrder: Record<string, unknown> }>(client, step.input);
      lastSent = input?.workOrder ?? lastSent;
      dispatchUTC ??= (lastSent?.DispatchUTC as string | undefined) ?? null;
    } else if (step.activityType === 'patchMobileWorkOrder' && lastSent) {
      const input = await decodeFirst<{ patch: ServicePowerWorkOrderPatch }>(client, step.input);
      const result = await decodeFirst<{ outcome: string }>(client, step.result);
      // A patch of the notes alone does not change what the sync compares with.
      if (!input || result?.outcome !== 'patched' || Object.keys(input.patch).every((k) => k === 'Notes')) continue;
      lastSent = applyWorkOrderPatch(lastSent, input.patch);
      dispatchUTC ??= (lastSent.DispatchUTC as string | undefined) ?? null;
    }
  }
  return { lastSent, dispatchUTC, closed: description.status.name !== 'RUNNING' };
}

async function previewWorkOrder(client: Client, adapters: FlowAdapters, workOrderId: number): Promise<PreviewReport> {
  const { load, settings, servicepower } = adapters.workOrder!;
  const report = base('servicechannel-work-order', String(workOrderId));
  const [wo, loadedSettings, earlier] = await Promise.all([load(workOrderId), settings(), lastSentDocument(client, workOrderId)]);
  // Only a running sync patches; after one has ended, a new sync starts over with a PUT.
  const sent = earlier && !earlier.closed ? earlier : null;
  if (earlier?.closed) report.notes.push('the earlier sync of this work order has ended: a new sync starts over (PUT)');
  const mapping = mapWorkOrderToMobile(wo, loadedSettings.mapping, sent?.dispatchUTC ?? new Date().toISOString(), 'id');
  // The mapping cuts Title and Description to ServicePower's lengths: each cut, with its length.
  const title = [wo.Trade?.trim(), wo.ProblemCode?.trim()].filter(Boolean).join(' - ');
  if (title.length > TITLE_MAX) report.truncations.push({ field: 'Title', maxLength: TITLE_MAX, originalLength: title.length });
  const description = wo.Description?.trim() ?? '';
  if (description.length > DESCRIPTION_MAX) report.truncations.push({ field: 'Description', maxLength: DESCRIPTION_MAX, originalLength: description.length });
  report.missing = mapping.problems
    .map((p) => /^location (\d+) has no (street address|city) \(ServicePower needs (\S+)\)/.exec(p))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ record: `ServiceChannel location ${m[1]}`, field: m[3], source: m[2] === 'city' ? 'Location.City' : 'Location.Address1' }));
  report.problems.push(...mapping.problems);
  if (!mapping.technician) report.notes.push(`no technician for trade "${wo.Trade ?? ''}" (MOBILE_TECHNICIAN_BY_TRADE): sent undispatched (DispatchStatus ${mapping.dispatchStatus})`);
  const finalStatus = FINAL_SC_STATUSES.includes(wo.Status.Primary.trim().toUpperCase());
  const refused = mapping.problems.length > 0;
  if (isCancelledInServiceChannel(wo)) {
    report.action = 'nothing';
    report.summary = `ServiceChannel work order ${workOrderId} is cancelled: the sync would delete mobile work order ${mapping.workOrderNum} (if it was sent), nothing else`;
    const del = servicepower.renderRequest('DELETE', mapping.workOrderNum);
    report.requests.push({ system: 'servicepower', operation: `${del.method} ${del.path}`, body: null });
    return report;
  }
  if (refused) {
    report.action = 'refuse';
    report.syncable = false;
    report.summary = `ServiceChannel work order ${workOrderId} (number ${wo.Number}) cannot become a ServicePower work order as it is: the sync would wait`;
  }
  if (sent?.lastSent) {
    const patch = buildWorkOrderPatch(sent.lastSent, mapping.workOrder as Record<string, unknown>);
    const rendered = servicepower.renderRequest('PATCH', mapping.workOrderNum, patch);
    if (!refused) {
      report.action = isEmptyPatch(patch) ? 'nothing' : 'patch';
      report.summary = isEmptyPatch(patch)
        ? `mobile work order ${mapping.workOrderNum} already holds ServiceChannel work order ${workOrderId} as it is: nothing would be sent`
        : `PATCH mobile work order ${mapping.workOrderNum} with what changed since the sync last sent it`;
    }
    if (!isEmptyPatch(patch)) report.requests.push({ system: 'servicepower', operation: `${rendered.method} ${rendered.path}`, body: rendered.body ?? null, note: 'only what changed since the last document sent' });
    return report;
  }
  if (!refused && finalStatus) {
    report.action = 'nothing';
    report.summary = `ServiceChannel work order ${workOrderId} is already ${wo.Status.Primary}: nothing would be dispatched`;
    return report;
  }
  const rendered = servicepower.renderRequest('PUT', mapping.workOrderNum, mapping.workOrder);
  report.requests.push({ system: 'servicepower', operation: `${rendered.method} ${rendered.path}`, body: rendered.body ?? null, note: `${mapping.accountKind} account, DispatchStatus ${mapping.dispatchStatus}${mapping.technician ? ` to ${mapping.technician}` : ''}` });
  if (!refused) {
    report.action = 'create';
    report.summary = `PUT mobile work order ${mapping.workOrderNum} for ServiceChannel work order ${workOrderId} (number ${wo.Number})`;
  }
  return report;
}

/** The text `fieldbridge preview` prints. */
export function previewText(r: PreviewReport): string {
  const lines: string[] = [`Preview of ${r.flow} ${r.sourceId} (nothing is sent)`, `Action:     ${r.action}: ${r.summary}`];
  for (const req of r.requests) {
    lines.push('', `--> ${req.system}: ${req.operation}${req.note ? `  (${req.note})` : ''}`);
    lines.push(req.body === null ? '(body depends on the answer before it)' : prettyBody(req.body));
  }
  lines.push('');
  lines.push(`Truncated:  ${r.truncations.length ? r.truncations.map((t) => `${t.field} cut to ${t.maxLength} (was ${t.originalLength})`).join('; ') : 'none'}`);
  lines.push(`Missing:    ${r.missing.length ? r.missing.map((m) => `${m.record}: ${m.field}${m.source ? ` (from ${m.source})` : ''}`).join('; ') : 'none'}`);
  if (r.flow === 'servicetrade-job') {
    lines.push(`Mappings:   ${r.missingMappings.length ? r.missingMappings.map((m) => `ServiceTrade ${m.record} ${m.id} ("${m.name}") ${m.problem}`).join('; ') : 'all present'}`);
  }
  if (r.problems.length) lines.push(`Problems:   ${r.problems.join('; ')}`);
  if (r.notes.length) lines.push(`Notes:      ${r.notes.join('; ')}`);
  lines.push(`Verdict:    ${r.syncable ? 'can be synced as it is' : 'cannot be synced as it is: fix what is listed above'}`);
  return lines.join('\n');
}

function prettyBody(body: string): string {
  if (body.startsWith('{') || body.startsWith('[')) {
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      return body;
    }
  }
  return body;
}
