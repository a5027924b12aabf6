/**
 * ServiceTrade job -> Spectrum work order (seed 000, "Dexter + Chaney Spectrum Settings and
 * Mappings"; fields and lengths from API-NOTES section 1). Pure and deterministic: it runs inside the
 * jobToWorkOrder workflow, so every rule here is replayed exactly.
 *
 * - WO_Number: the leading character (setting) + the job number; it must fit Spectrum's 10
 *   characters, else the job cannot become a work order (a permanent problem naming both).
 * - A site-specific work order: WO_Reference_Code `S`, WO_Job_Number = the location's Spectrum site
 *   code, Bill_Customer_Code = the customer's Spectrum customer code.
 * - WO_Job_Division (the work order type): the type code map's row for (job type, service line);
 *   with several service lines on the job, the first line by ServiceTrade id that has a row (seed 000
 *   says "arbitrarily selected"; we pick deterministically so a re-sync never flips the type); else
 *   the default type code; else blank, which Spectrum fills from its default division for site
 *   work orders (seed 001) or refuses with its own message.
 * - Lead_Source: the default lead source; when Spectrum requires one and none is configured, the
 *   configuration is refused at start (see common/config.ts), and Spectrum's own `M` answer names it.
 * - Summary_Description: the job's description, else its name, cut to 250 (each cut reported).
 * - Dates in Spectrum's MM/DD/CCYY and times HHMMSS, in the configured time zone.
 * - Lines: every material job item becomes a material cost line (AddWOMaterialCost): its library
 *   item code, or the "other item" code for an item not in the ServiceTrade item library; the
 *   default warehouse (blank: Spectrum's), which seed 000 gives to material items only. Quantities
 *   and amounts are rounded to Spectrum's 2 decimals; a unit of measure longer than Spectrum's 2
 *   characters is left blank (Spectrum takes the item's own unit) and reported in `notes`.
 * - Labor and travel items (a library item of type `labor` or `travel`) are not material: they are
 *   not written as material cost lines (Spectrum books labor against an employee, AddWOLaborCost,
 *   which a ServiceTrade item does not name). They are listed in `skippedItems` and left to be
 *   entered in Spectrum.
 */
import { MAX_LENGTHS, spectrumDate, spectrumTime } from '../connectors/spectrum/limits';

/** What the mapping reads of the ServiceTrade job (loaded by the workflow's first step). */
export interface JobSource {
  job: {
    id: number;
    number: string;
    name: string;
    type: string;
    description: string | null;
    customerPo: string | null;
    /** Unix seconds, as ServiceTrade sends them. */
    created: number;
    scheduledDate: number | null;
    dueBy: number | null;
  };
  /** The services on the job, with their service lines. */
  serviceLines: Array<{ id: number; name: string; abbr: string }>;
  items: JobItemSource[];
  /** The Spectrum customer code mapped on the job's customer (company). */
  customerCode: string;
  /** The Spectrum site code mapped on the job's location. */
  siteCode: string;
}

export interface JobItemSource {
  id: number;
  name: string;
  description: string | null;
  quantity: number;
  cost: number | null;
  price: number | null;
  uom: string | null;
  /** null: not in the ServiceTrade item library (the "other item" code is used). `type`: the library item's type. */
  libItem: { code: string; type?: string | null } | null;
}

/** Seed 000's integration preferences that shape the work order. */
export interface WorkOrderSettings {
  defaultWorkOrderTypeCode?: string;
  workOrderTypeMap: ReadonlyArray<{ jobType: string; serviceLine: string; workOrderTypeCode: string }>;
  defaultLeadSourceCode?: string;
  defaultWarehouseCode?: string;
  workOrderNumberLeadingCharacter?: string;
  otherItemCode?: string;
  /** IANA zone the dates and times are written in. */
  timeZone: string;
}

/** Max lengths of the fields FieldBridge fills: Spectrum's own table (connectors/spectrum/limits.ts, API-NOTES section 1). */
const header = MAX_LENGTHS.WorkOrderHeader;
const material = MAX_LENGTHS.AddWOMaterialCost;
export const WORK_ORDER_LIMITS = {
  WO_Number: header.WO_Number,
  WO_Job_Number: header.WO_Job_Number,
  WO_Job_Division: header.WO_Job_Division,
  Bill_Customer_Code: header.Bill_Customer_Code,
  Customer_PO_Number: header.Customer_PO_Number,
  Summary_Description: header.Summary_Description,
  Lead_Source: header.Lead_Source,
  Item_Code: material.Item_Code,
  Item_Description: material.Item_Description,
  Unit_Of_Measure: material.Unit_Of_Measure,
  Warehouse_Code: material.Warehouse_Code,
} as const;

export type WorkOrderHeader = Record<string, string>;

/** One material line; `Item_Code` groups lines for the convergence rule (see the workflow). */
export interface MaterialLine {
  /** The ServiceTrade job item it comes from. */
  jobItemId: number;
  fields: Record<string, string> & { Item_Code: string };
}

export interface Truncation {
  field: string;
  maxLength: number;
  originalLength: number;
}

export interface WorkOrderMapping {
  workOrderNumber: string;
  header: WorkOrderHeader;
  lines: MaterialLine[];
  /** How the work order type was chosen, for the log and the operator. */
  workOrderType: { code: string; from: 'map' | 'default' | 'spectrum-default-division'; serviceLine: string | null };
  truncations: Truncation[];
  /** Values left out, and why (a unit of measure Spectrum cannot hold). */
  notes: string[];
  /** Job items not written as material lines (labor and travel), with the reason. */
  skippedItems: Array<{ jobItemId: number; name: string; reason: string }>;
  /** Reasons the job cannot become a work order; nothing may be sent while any is present. */
  problems: string[];
}

/** `leading character + job number`, or the reason it cannot be a Spectrum work order number. */
export function workOrderNumber(jobNumber: string, leadingCharacter?: string): { value: string; problem: string | null } {
  const value = `${leadingCharacter ?? ''}${jobNumber.trim()}`;
  if (jobNumber.trim() === '') return { value, problem: 'the job has no number' };
  if (value.length > WORK_ORDER_LIMITS.WO_Number) {
    return {
      value,
      problem:
        `work order number "${value}" (leading character "${leadingCharacter ?? ''}" + job number "${jobNumber}") is ` +
        `${value.length} characters; Spectrum's WO_Number holds ${WORK_ORDER_LIMITS.WO_Number}` +
        (leadingCharacter ? ': clear SPECTRUM_WO_NUMBER_LEADING_CHARACTER or renumber the job' : ''),
    };
  }
  return { value, problem: null };
}

/**
 * The work order type for a job type and its service lines: the first service line, by ServiceTrade
 * id, with a row in the map; else the default; else blank (Spectrum's default division).
 */
export function workOrderTypeCode(
  jobType: string,
  serviceLines: JobSource['serviceLines'],
  settings: Pick<WorkOrderSettings, 'workOrderTypeMap' | 'defaultWorkOrderTypeCode'>,
): WorkOrderMapping['workOrderType'] {
  const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
  const lines = [...new Map(serviceLines.map((l) => [l.id, l])).values()].sort((a, b) => a.id - b.id);
  for (const line of lines) {
    const row = settings.workOrderTypeMap.find((r) => same(r.jobType, jobType) && (same(r.serviceLine, line.name) || same(r.serviceLine, line.abbr)));
    if (row) return { code: row.workOrderTypeCode, from: 'map', serviceLine: line.name };
  }
  if (settings.defaultWorkOrderTypeCode) return { code: settings.defaultWorkOrderTypeCode, from: 'default', serviceLine: null };
  return { code: '', from: 'spectrum-default-division', serviceLine: null };
}

/** Spectrum's date (MM/DD/CCYY) and time (HHMMSS) of a Unix-seconds instant in a time zone. */
export function spectrumDateTime(unixSeconds: number, timeZone: string): { date: string; time: string } {
  const instant = new Date(unixSeconds * 1000);
  return { date: spectrumDate(instant, { timeZone }), time: spectrumTime(instant, { timeZone }) };
}

/** Spectrum's decimals for quantities and amounts (AddWOMaterialCost: `Format = -7.2`, `-8.2`, `-9.2`). */
const SPECTRUM_DECIMALS = 2;

/** A decimal for Spectrum: no exponent, rounded to 2 decimals (half away from zero), no trailing zeros. */
export function spectrumDecimal(n: number): string {
  const factor = 10 ** SPECTRUM_DECIMALS;
  const rounded = Math.sign(n) * Math.round(Math.abs(n) * factor + 1e-9) / factor;
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

/** ServiceTrade library item types that are not material (seed 000 gives the warehouse to material items only). */
export const NON_MATERIAL_ITEM_TYPES: ReadonlySet<string> = new Set(['labor', 'travel']);

export function mapJobToWorkOrder(source: JobSource, settings: WorkOrderSettings): WorkOrderMapping {
  const problems: string[] = [];
  const truncations: Truncation[] = [];
  const notes: string[] = [];
  const skippedItems: WorkOrderMapping['skippedItems'] = [];
  const fit = (field: keyof typeof WORK_ORDER_LIMITS, value: string, label: string = field): string => {
    const max = WORK_ORDER_LIMITS[field];
    if (value.length <= max) return value;
    truncations.push({ field: label, maxLength: max, originalLength: value.length });
    return value.slice(0, max);
  };
  const mustFit = (field: keyof typeof WORK_ORDER_LIMITS, value: string, what: string): string => {
    if (value.length > WORK_ORDER_LIMITS[field]) problems.push(`${what} "${value}" is longer than Spectrum's ${field} (${WORK_ORDER_LIMITS[field]})`);
    return value;
  };
  const { job } = source;

  const number = workOrderNumber(job.number, settings.workOrderNumberLeadingCharacter);
  if (number.problem) problems.push(number.problem);
  const type = workOrderTypeCode(job.type, source.serviceLines, settings);
  const ordered = spectrumDateTime(job.created, settings.timeZone);

  const header: WorkOrderHeader = {
    WO_Number: number.value,
    WO_Reference_Code: 'S',
    WO_Job_Number: mustFit('WO_Job_Number', source.siteCode, 'the location\'s Spectrum site code'),
    Bill_Customer_Code: mustFit('Bill_Customer_Code', source.customerCode, 'the customer\'s Spectrum customer code'),
    WO_Job_Division: type.code,
    Lead_Source: settings.defaultLeadSourceCode ?? '',
    Summary_Description: fit('Summary_Description', (job.description?.trim() || job.name).replace(/\s+/g, ' ').trim()),
    Customer_PO_Number: fit('Customer_PO_Number', job.customerPo?.trim() ?? ''),
    Ordered_Date: ordered.date,
    Time_Entered: ordered.time,
  };
  if (job.dueBy) header.Requested_Date = spectrumDateTime(job.dueBy, settings.timeZone).date;
  if (job.scheduledDate) {
    const start = spectrumDateTime(job.scheduledDate, settings.timeZone);
    header.Scheduled_Start_Date = start.date;
    header.Scheduled_Start_Time = start.time;
  }

  const lines: MaterialLine[] = [];
  for (const item of [...source.items].sort((a, b) => a.id - b.id)) {
    const itemType = item.libItem?.type?.trim().toLowerCase() ?? '';
    if (NON_MATERIAL_ITEM_TYPES.has(itemType)) {
      skippedItems.push({ jobItemId: item.id, name: item.name, reason: `a ${itemType} item, not a material line (Spectrum books labor and travel outside AddWOMaterialCost)` });
      continue;
    }
    const code = item.libItem?.code?.trim() || settings.otherItemCode;
    if (!code) {
      problems.push(`job item ${item.id} ("${item.name}") is not in the ServiceTrade item library and no other item code is configured (SPECTRUM_OTHER_ITEM_CODE)`);
      continue;
    }
    mustFit('Item_Code', code, `item code of job item ${item.id}`);
    const fields: MaterialLine['fields'] = {
      Item_Code: code,
      Item_Description: fit('Item_Description', item.name.trim(), `Item_Description (job item ${item.id})`),
      Warehouse_Code: settings.defaultWarehouseCode ?? '',
      Quantity_Used: spectrumDecimal(item.quantity),
    };
    const uom = item.uom?.trim() ?? '';
    if (uom.length > WORK_ORDER_LIMITS.Unit_Of_Measure) {
      notes.push(`Unit_Of_Measure of job item ${item.id} ("${uom}") is longer than Spectrum's ${WORK_ORDER_LIMITS.Unit_Of_Measure} characters: left blank, Spectrum takes item ${code}'s own unit`);
    } else if (uom) fields.Unit_Of_Measure = uom;
    if (item.cost !== null) fields.Unit_Cost = spectrumDecimal(item.cost);
    if (item.price !== null) {
      fields.Unit_Price = spectrumDecimal(item.price);
      fields.Extension = spectrumDecimal(item.price * item.quantity);
    }
    lines.push({ jobItemId: item.id, fields });
  }
  return { workOrderNumber: number.value, header, lines, workOrderType: type, truncations, notes, skippedItems, problems };
}

/**
 * Header fields a job can empty after FieldBridge wrote them (the customer P.O., the due date, the
 * schedule). Spectrum's Put services never blank a field: "Any field that is left blank will not be
 * updated in Spectrum. The service does not delete values that exist in Spectrum" (Trimble's Data
 * Exchange pages), and WorkOrderHeader has no parameter that clears one. A value emptied in
 * ServiceTrade therefore stays in Spectrum, and the sync says so (`fieldsSpectrumKeeps`).
 */
export const CLEARABLE_HEADER_FIELDS = ['Customer_PO_Number', 'Requested_Date', 'Scheduled_Start_Date', 'Scheduled_Start_Time'] as const;

/** The clearable fields this header writes with a value: what Spectrum holds after it (kept by the sync). */
export function clearableValues(header: WorkOrderHeader): Record<string, string> {
  return Object.fromEntries(CLEARABLE_HEADER_FIELDS.filter((f) => (header[f] ?? '') !== '').map((f) => [f, header[f]]));
}

/** A field the job emptied whose earlier value Spectrum keeps, with what the operator should do. */
export interface KeptField {
  field: string;
  value: string;
  message: string;
}

/**
 * The clearable fields FieldBridge wrote with a value before (`previous`, from `clearableValues`) that
 * this header leaves blank: Spectrum keeps their old values, so they must be cleared in Spectrum by hand.
 */
export function fieldsSpectrumKeeps(workOrderNumber: string, previous: Record<string, string> | undefined, header: WorkOrderHeader): KeptField[] {
  if (!previous) return [];
  return CLEARABLE_HEADER_FIELDS.filter((f) => (previous[f] ?? '') !== '' && (header[f] ?? '') === '').map((field) => ({
    field,
    value: previous[field],
    message:
      `${field} was emptied in ServiceTrade, but Spectrum work order ${workOrderNumber} keeps "${previous[field]}": ` +
      `Spectrum's web services never blank a field; clear it in Spectrum`,
  }));
}

/**
 * The lines grouped by item code (codes sorted; each group's lines by job item id), each group with
 * a fingerprint of its lines: the unit of the convergence rule (delete every line of the code, then
 * add the job's lines of that code). The order the lines come in changes neither.
 */
export function lineGroups(lines: MaterialLine[]): Array<{ itemCode: string; fingerprint: string; lines: MaterialLine[] }> {
  const byCode = new Map<string, MaterialLine[]>();
  for (const line of [...lines].sort((a, b) => a.jobItemId - b.jobItemId)) {
    byCode.set(line.fields.Item_Code, [...(byCode.get(line.fields.Item_Code) ?? []), line]);
  }
  return [...byCode.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([itemCode, group]) => ({ itemCode, fingerprint: fingerprintOf(group), lines: group }));
}

/**
 * A stable digest of what a group writes to Spectrum (two FNV-1a passes over canonical JSON, plus its
 * length): each line's fields in key order, the lines sorted, so only their content counts, not the
 * order or ids of the job items. Deterministic and workflow-safe (no node:crypto in workflow code).
 */
function fingerprintOf(group: MaterialLine[]): string {
  const canonical = JSON.stringify(group.map((l) => JSON.stringify(Object.entries(l.fields).sort(([a], [b]) => (a < b ? -1 : 1)))).sort());
  const fnv = (offset: number) => {
    let hash = offset;
    for (let i = 0; i < canonical.length; i += 1) {
      hash ^= canonical.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash.toString(16).padStart(8, '0');
  };
  return `${fnv(0x811c9dc5)}${fnv(0x050c5d1f)}:${canonical.length}`;
}
