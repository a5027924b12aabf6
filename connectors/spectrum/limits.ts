/**
 * Spectrum Data Exchange (SDX) rule book for the services FieldBridge calls, derived from the
 * reference tables in ./reference (one JSON file per service, transcribed from Trimble's help
 * pages): every declared parameter of each service in envelope order, max lengths, decimals,
 * required fields, accepted values, and Spectrum's date and time formats. The client sends every
 * declared parameter; the simulator enforces the rest; test/contract/spectrum.test.ts checks both
 * against the same tables. Kept free of zod and I/O so mappings (and workflow code) can use it.
 */
import { SPECTRUM_REFERENCE, type SpectrumParameter, type SpectrumServiceReference } from './reference';

/** The SOAP body namespace of every SDX service. */
export const SPECTRUM_NAMESPACE = 'http://www.northgate-is.com/proiv/webservices/types';

/** How a value is checked: free text, MM/DD/CCYY date, HHMMSS time, decimal number, or one of `values`. */
export type SpectrumValueKind = 'text' | 'date' | 'time' | 'number' | 'code';

export interface SpectrumFieldRule {
  max: number;
  kind?: SpectrumValueKind;
  /** Digits after the decimal point a number may carry. */
  decimals?: number;
  /** The accepted values of a `code` field (blank is always accepted as "not given"). */
  values?: readonly string[];
  /** false: not on a public page (the project's assumption). */
  published?: boolean;
}

function ruleOf(parameter: SpectrumParameter, serviceAssumed: boolean): SpectrumFieldRule {
  const rule: SpectrumFieldRule = { max: parameter.maxLength };
  if (parameter.values) {
    rule.kind = 'code';
    rule.values = parameter.values;
  } else if (parameter.type === 'number') rule.kind = 'number';
  else if (parameter.type === 'date') rule.kind = 'date';
  else if (parameter.type === 'time') rule.kind = 'time';
  if (parameter.decimals !== undefined) rule.decimals = parameter.decimals;
  if (parameter.assumed || serviceAssumed) rule.published = false;
  return rule;
}

/** The session fields every service carries first. */
const SESSION_FIELDS = ['Authorization_ID', 'GUID'];
/** Fields defaulted by Spectrum when blank, though some pages mark them required. */
const DEFAULTED_FIELDS = ['Company_Code', 'pCompany_Code'];

function fieldsOf(table: SpectrumServiceReference): Record<string, SpectrumFieldRule> {
  return Object.fromEntries(
    table.parameters.filter((p) => !SESSION_FIELDS.includes(p.name) && !DEFAULTED_FIELDS.includes(p.name)).map((p) => [p.name, ruleOf(p, table.assumed === true)]),
  );
}

function requiredOf(table: SpectrumServiceReference): string[] {
  return table.parameters.filter((p) => p.required && !SESSION_FIELDS.includes(p.name) && !DEFAULTED_FIELDS.includes(p.name)).map((p) => p.name);
}

/** WorkOrderHeader (WorkOrderHeader.jws). */
export const WORK_ORDER_HEADER_FIELDS = fieldsOf(SPECTRUM_REFERENCE.WorkOrderHeader);
/** AddWOMaterialCost (AddWOMaterialCost.jws): all of the page's fields. */
export const WO_MATERIAL_COST_FIELDS = fieldsOf(SPECTRUM_REFERENCE.AddWOMaterialCost);
/** DeleteWOMaterialCost (DeleteWOMaterialCost.jws): one line, by its System_Key. */
export const DELETE_WO_MATERIAL_COST_FIELDS = fieldsOf(SPECTRUM_REFERENCE.DeleteWOMaterialCost);
/** GetWOMaterialCost *(assumed: no public page)*: the material cost lines of a work order. */
export const GET_WO_MATERIAL_COST_FIELDS = fieldsOf(SPECTRUM_REFERENCE.GetWOMaterialCost);
/** WOHeaderNotes (WOHeaderNotes.jws) *(assumed: shaped after WOSiteNotes)*. */
export const WO_HEADER_NOTES_FIELDS = fieldsOf(SPECTRUM_REFERENCE.WOHeaderNotes);
/** GetCustomers (GetCustomers.jws): Get services prefix their parameters with `p`. */
export const GET_CUSTOMERS_FIELDS = fieldsOf(SPECTRUM_REFERENCE.GetCustomers);

const GET_ERROR_COLUMNS = ['Error_Code', 'Error_Description', 'Error_Column'];
function dataColumnsOf(table: SpectrumServiceReference): string[] {
  return (table.returns ?? []).map((column) => column.name).filter((name) => !GET_ERROR_COLUMNS.includes(name));
}

/** The columns of a GetCustomers row, before Error_Code, Error_Description and Error_Column. */
export const CUSTOMER_COLUMNS = dataColumnsOf(SPECTRUM_REFERENCE.GetCustomers) as readonly SpectrumCustomerColumn[];
export type SpectrumCustomerColumn =
  | 'Company_Code'
  | 'Customer_Code'
  | 'Name'
  | 'Address_1'
  | 'Address_2'
  | 'City'
  | 'State'
  | 'Zip_Code'
  | 'First_Name'
  | 'Last_Name'
  | 'Phone_Number'
  | 'Email1'
  | 'Price_Level_Material'
  | 'Taxable_Flag'
  | 'Status';

/** The columns of a GetWOMaterialCost row, before the Error_* columns. */
export const MATERIAL_COST_COLUMNS = dataColumnsOf(SPECTRUM_REFERENCE.GetWOMaterialCost);

export type SpectrumServiceKind = 'put' | 'get';

export interface SpectrumServiceSpec {
  kind: SpectrumServiceKind;
  /** The service's own fields (after Authorization_ID, GUID and the company). */
  fields: Readonly<Record<string, SpectrumFieldRule>>;
  /** Fields that must not be blank on every call (answered `M`). */
  required: readonly string[];
}

function specOf(table: SpectrumServiceReference): SpectrumServiceSpec {
  return { kind: table.returns ? 'get' : 'put', fields: fieldsOf(table), required: requiredOf(table) };
}

export const SPECTRUM_SERVICES = {
  WorkOrderHeader: specOf(SPECTRUM_REFERENCE.WorkOrderHeader),
  AddWOMaterialCost: specOf(SPECTRUM_REFERENCE.AddWOMaterialCost),
  DeleteWOMaterialCost: specOf(SPECTRUM_REFERENCE.DeleteWOMaterialCost),
  GetWOMaterialCost: specOf(SPECTRUM_REFERENCE.GetWOMaterialCost),
  WOHeaderNotes: specOf(SPECTRUM_REFERENCE.WOHeaderNotes),
  GetCustomers: specOf(SPECTRUM_REFERENCE.GetCustomers),
} as const satisfies Record<keyof typeof SPECTRUM_REFERENCE, SpectrumServiceSpec>;

export type SpectrumService = keyof typeof SPECTRUM_SERVICES;
export const SPECTRUM_SERVICE_NAMES = Object.keys(SPECTRUM_SERVICES) as SpectrumService[];

/** Fields required only when WorkOrderHeader creates an order (blank on an update means "not changed"). */
export const NEW_WORK_ORDER_REQUIRED = ['Bill_Customer_Code'] as const;

/** Every declared parameter of `service`, in envelope order. */
export function declaredParameters(service: SpectrumService): string[] {
  return SPECTRUM_REFERENCE[service].parameters.map((p) => p.name);
}

/** The rule of one declared parameter of `service`, or undefined for a name the service does not declare. */
export function fieldRule(service: SpectrumService, name: string): SpectrumFieldRule | undefined {
  const table: SpectrumServiceReference = SPECTRUM_REFERENCE[service];
  const parameter = table.parameters.find((p) => p.name === name);
  return parameter ? ruleOf(parameter, table.assumed === true) : undefined;
}

/** Max length of every declared parameter, per service. */
export const MAX_LENGTHS: Readonly<Record<SpectrumService, Readonly<Record<string, number>>>> = Object.fromEntries(
  SPECTRUM_SERVICE_NAMES.map((service) => [service, Object.fromEntries(declaredParameters(service).map((name) => [name, fieldRule(service, name)!.max]))]),
) as unknown as Record<SpectrumService, Record<string, number>>;

/** Required fields (never blank), per service. */
export const REQUIRED_FIELDS: Readonly<Record<SpectrumService, readonly string[]>> = Object.fromEntries(
  SPECTRUM_SERVICE_NAMES.map((service) => [service, ['Authorization_ID', 'GUID', ...SPECTRUM_SERVICES[service].required]]),
) as unknown as Record<SpectrumService, readonly string[]>;

export interface SpectrumDateTimeOptions {
  /**
   * IANA time zone the instant is written in (e.g. `America/Chicago`, the Spectrum server's
   * zone). Default `UTC`. A date-only string (`2025-03-07`) is a calendar date and is written as is.
   */
  timeZone?: string;
}

function zonedParts(d: Date | string, timeZone: string): Record<string, string> {
  const instant = typeof d === 'string' ? new Date(d) : d;
  if (Number.isNaN(instant.getTime())) throw new RangeError(`not a date: ${String(d)}`);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(instant);
  return Object.fromEntries(parts.map((part) => [part.type, part.value]));
}

/** `YYYY-MM-DD` with nothing after it: a calendar date, with no time zone to convert from. */
function calendarDate(d: Date | string): { year: string; month: string; day: string } | undefined {
  if (typeof d !== 'string' || d.length !== 10 || d[4] !== '-' || d[7] !== '-') return undefined;
  const [year, month, day] = d.split('-');
  if (![year, month, day].every((part) => part !== '' && [...part].every((c) => c >= '0' && c <= '9'))) return undefined;
  return { year, month, day };
}

/**
 * Spectrum's date, `MM/DD/CCYY`, of an instant (Date or ISO string) in `options.timeZone` (default
 * UTC). A date-only `YYYY-MM-DD` string is written as that date. Throws RangeError for an invalid date.
 */
export function spectrumDate(d: Date | string, options: SpectrumDateTimeOptions = {}): string {
  const calendar = calendarDate(d);
  if (calendar) {
    if (!isValidDate(Number(calendar.month), Number(calendar.day), Number(calendar.year))) throw new RangeError(`not a date: ${String(d)}`);
    return `${calendar.month}/${calendar.day}/${calendar.year}`;
  }
  const p = zonedParts(d, options.timeZone ?? 'UTC');
  return `${p.month}/${p.day}/${p.year}`;
}

/** Spectrum's time, `HHMMSS` (24 h), of an instant (Date or ISO string) in `options.timeZone` (default UTC). */
export function spectrumTime(d: Date | string, options: SpectrumDateTimeOptions = {}): string {
  const p = zonedParts(d, options.timeZone ?? 'UTC');
  return `${p.hour}${p.minute}${p.second}`;
}

function isValidDate(month: number, day: number, year: number): boolean {
  if (!(month >= 1 && month <= 12 && day >= 1 && year >= 1000)) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

function digits(text: string): boolean {
  return text.length > 0 && [...text].every((c) => c >= '0' && c <= '9');
}

/** Whether `value` is a Spectrum date: `MM/DD/CCYY` or `MM-DD-CCYY`, a real calendar day. */
export function isSpectrumDate(value: string): boolean {
  if (value.length !== 10) return false;
  const separator = value[2];
  if ((separator !== '/' && separator !== '-') || value[5] !== separator) return false;
  const [month, day, year] = value.split(separator);
  if (![month, day, year].every(digits)) return false;
  return isValidDate(Number(month), Number(day), Number(year));
}

/** Whether `value` is a Spectrum time: `HHMMSS`, 24 h. */
export function isSpectrumTime(value: string): boolean {
  if (value.length !== 6 || !digits(value)) return false;
  const [h, m, s] = [value.slice(0, 2), value.slice(2, 4), value.slice(4, 6)].map(Number);
  return h <= 23 && m <= 59 && s <= 59;
}

/** Digits after the decimal point of a plain decimal (`-12.50`: 2). */
export function decimalsOf(value: string): number {
  const dot = value.indexOf('.');
  return dot < 0 ? 0 : value.length - dot - 1;
}

/** Whether `value` is a plain decimal (optional sign, digits, optional fraction; no exponent). */
export function isSpectrumNumber(value: string): boolean {
  const unsigned = value.startsWith('-') ? value.slice(1) : value;
  const [whole, fraction, ...rest] = unsigned.split('.');
  if (rest.length > 0) return false;
  if (fraction !== undefined && !digits(fraction)) return false;
  return digits(whole) || (whole === '' && fraction !== undefined);
}
