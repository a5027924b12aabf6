/**
 * Spectrum Data Exchange (SDX) rule book for the services FieldBridge calls: every declared
 * parameter of each service in the order the envelope carries it, max lengths, required fields, the
 * value formats, and Spectrum's date and time formats. The client sends every declared parameter;
 * the simulator enforces the rest. Kept free of zod and I/O so mappings (and workflow code) can use it.
 *
 * Sources: API-NOTES section 1 (the Spectrum help pages: work-order services, data-format
 * guidelines, web-service responses). A length marked `published: false` is not on any public page:
 * it is this project's assumption, to be checked against the customer's WSDL (`/wsdls/<Service>.jws`).
 */

/** The SOAP body namespace of every SDX service. */
export const SPECTRUM_NAMESPACE = 'http://www.northgate-is.com/proiv/webservices/types';

/** How a value is checked: free text, MM/DD/CCYY date, HHMMSS time, decimal number, or one of `values`. */
export type SpectrumValueKind = 'text' | 'date' | 'time' | 'number' | 'code';

export interface SpectrumFieldRule {
  max: number;
  kind?: SpectrumValueKind;
  /** The accepted values of a `code` field (blank is always accepted as "not given"). */
  values?: readonly string[];
  /** false: the max length is assumed, not published. */
  published?: boolean;
}

const date = { max: 10, kind: 'date' } as const;
const time = { max: 6, kind: 'time' } as const;
const amount = { max: 16, kind: 'number', published: false } as const;
const yesNo = { max: 1, kind: 'code', values: ['Y', 'N'] } as const;

/** Parameters every service carries first. */
export const COMMON_FIELDS = {
  Authorization_ID: { max: 20 },
  GUID: { max: 36 },
} as const satisfies Record<string, SpectrumFieldRule>;

/** Put services carry the company after the session fields. */
export const COMPANY_FIELD = { Company_Code: { max: 3 } } as const satisfies Record<string, SpectrumFieldRule>;

/** WorkOrderHeader (WorkOrderHeader.jws): every field of the help page's list, in its order. */
export const WORK_ORDER_HEADER_FIELDS = {
  WO_Number: { max: 10 },
  WO_Reference_Code: { max: 1, kind: 'code', values: ['S', 'J'] },
  WO_Job_Number: { max: 10 },
  WO_Job_Division: { max: 5 },
  Bill_Customer_Code: { max: 10 },
  Contract_Number: { max: 10, published: false },
  Customer_PO_Number: { max: 25 },
  Customer_Job: { max: 10, published: false },
  WO_Phone1: { max: 14 },
  WO_Phone2: { max: 14 },
  Bill_Contract: { max: 10, published: false },
  Zone: { max: 5, published: false },
  Priority_Code: { max: 5, published: false },
  WO_Case_Type: { max: 5, published: false },
  Price_Type: { max: 1, kind: 'code', values: ['F', 'T'] },
  Total_Quote_Amount: amount,
  Projected_Hours: amount,
  Est_Arrival: { max: 10, published: false },
  Dispatch_Status_Code: { max: 5, published: false },
  Summary_Description: { max: 250 },
  Ordered_Date: date,
  Time_Entered: time,
  Requested_Date: date,
  Estimated_Complete_Time: time,
  Scheduled_Start_Date: date,
  Scheduled_Start_Time: time,
  Date_Assigned: date,
  Time_Assigned: time,
  Arrival_Date: date,
  Arrival_Time: time,
  Complete_Date: date,
  Complete_Time: time,
  Lead_Source: { max: 15 },
  Sales_Person: { max: 3 },
  Taken_By: { max: 3, published: false },
  AR_Terms_Code: { max: 3, published: false },
  Sales_Tax_Code: { max: 10, published: false },
  Taxable_Flag: yesNo,
  GL_Department: { max: 10, published: false },
  Cost_Center: { max: 10, published: false },
  Billto_Code: { max: 10, published: false },
  Override_ERO_Markup: { max: 1, kind: 'code', values: ['Y', 'N'], published: false },
  Material_Price_Level: { max: 1, published: false },
  Price_Level: { max: 1, published: false },
  Markup_Code: { max: 5, published: false },
} as const satisfies Record<string, SpectrumFieldRule>;

/** AddWOMaterialCost (AddWOMaterialCost.jws): the fields the help page lists ("and others" left out). */
export const WO_MATERIAL_COST_FIELDS = {
  WO_Number: { max: 10 },
  Item_Code: { max: 15 },
  Item_Description: { max: 30, published: false },
  Warehouse_Code: { max: 10, published: false },
  Quantity_Used: amount,
  Unit_Of_Measure: { max: 5, published: false },
  Work_Task: { max: 10, published: false },
  Bill_Customer: { max: 1, kind: 'code', values: ['Y', 'N'], published: false },
  Tax_Flag: { max: 1, kind: 'code', values: ['Y', 'N'], published: false },
  Unit_Cost: amount,
  Unit_Price: amount,
  Extension: amount,
  Phase_Code: { max: 20, published: false },
  Cost_Type: { max: 3, published: false },
} as const satisfies Record<string, SpectrumFieldRule>;

/**
 * DeleteWOMaterial (DeleteWOMaterial.jws) *(assumed: no public field list exists)*: deletes every
 * material line of `Item_Code` on `WO_Number`; none to delete answers `G` (idempotent).
 */
export const DELETE_WO_MATERIAL_FIELDS = {
  WO_Number: { max: 10 },
  Item_Code: { max: 15 },
} as const satisfies Record<string, SpectrumFieldRule>;

/** WOHeaderNotes (WOHeaderNotes.jws). */
export const WO_HEADER_NOTES_FIELDS = {
  WO_Number: { max: 10 },
  Notes_Topic: { max: 30, published: false },
  Notes_Text: { max: 1000 },
  Append_Note: yesNo,
} as const satisfies Record<string, SpectrumFieldRule>;

/**
 * GetCustomers (GetCustomers.jws): Get services prefix their parameters with `p`. pStatus blank:
 * Active customers only; `I`: Active and Inactive; `ALL`: every customer (Not Used too). The whole
 * table, and the returned columns, are in reference/GetCustomers.json (Get Customers page).
 */
export const GET_CUSTOMERS_FIELDS = {
  pCompany_Code: { max: 3 },
  pStatus: { max: 3, kind: 'code', values: ['I', 'ALL'] },
} as const satisfies Record<string, SpectrumFieldRule>;

/** The columns of a GetCustomers row, before Error_Code, Error_Description and Error_Column. */
export const CUSTOMER_COLUMNS = [
  'Company_Code',
  'Customer_Code',
  'Name',
  'Address_1',
  'Address_2',
  'City',
  'State',
  'Zip_Code',
  'First_Name',
  'Last_Name',
  'Phone_Number',
  'Email1',
  'Price_Level_Material',
  'Taxable_Flag',
  'Status',
] as const;

export type SpectrumServiceKind = 'put' | 'get';

export interface SpectrumServiceSpec {
  kind: SpectrumServiceKind;
  /** The service's own fields (after Authorization_ID, GUID and, on Put services, Company_Code). */
  fields: Readonly<Record<string, SpectrumFieldRule>>;
  /** Fields that must not be blank on every call (answered `M`). */
  required: readonly string[];
}

export const SPECTRUM_SERVICES = {
  WorkOrderHeader: { kind: 'put', fields: WORK_ORDER_HEADER_FIELDS, required: ['WO_Reference_Code', 'WO_Job_Number'] },
  AddWOMaterialCost: { kind: 'put', fields: WO_MATERIAL_COST_FIELDS, required: ['WO_Number', 'Item_Code', 'Quantity_Used'] },
  DeleteWOMaterial: { kind: 'put', fields: DELETE_WO_MATERIAL_FIELDS, required: ['WO_Number', 'Item_Code'] },
  WOHeaderNotes: { kind: 'put', fields: WO_HEADER_NOTES_FIELDS, required: ['WO_Number', 'Notes_Text'] },
  GetCustomers: { kind: 'get', fields: GET_CUSTOMERS_FIELDS, required: [] },
} as const satisfies Record<string, SpectrumServiceSpec>;

export type SpectrumService = keyof typeof SPECTRUM_SERVICES;
export const SPECTRUM_SERVICE_NAMES = Object.keys(SPECTRUM_SERVICES) as SpectrumService[];

/** Fields required only when WorkOrderHeader creates an order (blank on an update means "not changed"). */
export const NEW_WORK_ORDER_REQUIRED = ['Bill_Customer_Code'] as const;

/** Every declared parameter of `service`, in envelope order. */
export function declaredParameters(service: SpectrumService): string[] {
  const spec: SpectrumServiceSpec = SPECTRUM_SERVICES[service];
  return [...Object.keys(COMMON_FIELDS), ...(spec.kind === 'put' ? Object.keys(COMPANY_FIELD) : []), ...Object.keys(spec.fields)];
}

/** The rule of one declared parameter of `service`, or undefined for a name the service does not declare. */
export function fieldRule(service: SpectrumService, name: string): SpectrumFieldRule | undefined {
  const spec: SpectrumServiceSpec = SPECTRUM_SERVICES[service];
  const all: Record<string, SpectrumFieldRule> = { ...COMMON_FIELDS, ...(spec.kind === 'put' ? COMPANY_FIELD : {}), ...spec.fields };
  return Object.prototype.hasOwnProperty.call(all, name) ? all[name] : undefined;
}

/** Max length of every declared parameter, per service. */
export const MAX_LENGTHS: Readonly<Record<SpectrumService, Readonly<Record<string, number>>>> = Object.fromEntries(
  SPECTRUM_SERVICE_NAMES.map((service) => [
    service,
    Object.fromEntries(declaredParameters(service).map((name) => [name, fieldRule(service, name)!.max])),
  ]),
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

/** Whether `value` is a plain decimal (optional sign, digits, optional fraction; no exponent). */
export function isSpectrumNumber(value: string): boolean {
  const unsigned = value.startsWith('-') ? value.slice(1) : value;
  const [whole, fraction, ...rest] = unsigned.split('.');
  if (rest.length > 0) return false;
  if (fraction !== undefined && !digits(fraction)) return false;
  return digits(whole) || (whole === '' && fraction !== undefined);
}
