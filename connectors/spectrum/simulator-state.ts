/**
 * The Spectrum simulator's data and SDX's business rules, free of HTTP: authorizations and
 * permissions, GUID sessions, field checks (lengths, formats, required), references (customers,
 * sites, jobs, divisions, lead sources, warehouses, items), and the work orders with their material
 * lines and notes. simulator.ts puts SOAP and faults around it. See simulators/README.md.
 */
import { z } from 'zod';
import {
  CUSTOMER_COLUMNS,
  MATERIAL_COST_COLUMNS,
  SPECTRUM_SERVICES,
  decimalsOf,
  declaredParameters,
  fieldRule,
  isSpectrumDate,
  isSpectrumNumber,
  isSpectrumTime,
  type SpectrumService,
  type SpectrumServiceSpec,
} from './limits';
import { SESSION_EXPIRED_DESC, type SpectrumResponseRow, type WOMaterialCostField, type WorkOrderHeaderField } from './schemas';

export interface SpectrumAuthorization {
  id: string;
  /** Companies it may use; the first is its default company. */
  companies: string[];
  /** Method names it may call, e.g. 'WorkOrderHeader'. */
  permissions: string[];
  /** Default true. */
  active?: boolean;
}

export interface SpectrumSimulatorSettings {
  /** System Administration -> Installation -> Work Order -> Properties: lead source required. */
  leadSourceRequired: boolean;
  /** The default division of site-specific work orders; unset: WO_Job_Division is required for a new order. */
  defaultDivision?: string;
  /**
   * *(assumed)* The most rows a Get service answers; past it the list is cut and a trailing `W` row
   * says the count "exceeds maximum" (the warning public SDX code reads as a partial list; one such
   * client saw lists stop near 500). Default 500.
   */
  maxGetRows?: number;
}

/** *(assumed)* Rows a Get service answers at most when the settings name no maxGetRows. */
export const DEFAULT_MAX_GET_ROWS = 500;
/** *(assumed wording)* The desc of the `W` row a cut Get list ends with. */
export const EXCEEDS_MAXIMUM_DESC = 'The number of records exceeds maximum; not all records were returned.';

const optionalText = z.string().optional();
export const SpectrumSeedCustomerSchema = z
  .object({
    Customer_Code: z.string().min(1).max(10),
    Name: z.string(),
    /** As GetCustomers answers it (Get Customers page): Active (default), Inactive, Not Used. */
    Status: z.enum(['Active', 'Inactive', 'Not Used']).default('Active'),
    /** Empty (default): the customer belongs to every company. */
    Company_Code: z.string().max(3).default(''),
    Address_1: optionalText,
    Address_2: optionalText,
    City: optionalText,
    State: optionalText,
    Zip_Code: optionalText,
    First_Name: optionalText,
    Last_Name: optionalText,
    Phone_Number: optionalText,
    Email1: optionalText,
    /** 1-5 or blank (Get Customers page). */
    Price_Level_Material: z.enum(['1', '2', '3', '4', '5']).optional(),
    /** Taxable, Non-Taxable or No Default (Get Customers page). */
    Taxable_Flag: z.enum(['Taxable', 'Non-Taxable', 'No Default']).optional(),
  })
  .strict();
export type SpectrumSeedCustomer = z.output<typeof SpectrumSeedCustomerSchema>;

export const SpectrumSeedSchema = z
  .object({
    customers: z.array(SpectrumSeedCustomerSchema),
    /** Work-order sites: site code -> its customer. */
    sites: z.array(z.object({ Site_Code: z.string().min(1).max(10), Customer_Code: z.string().min(1), Name: z.string().optional() }).strict()),
    /** Job numbers (for WO_Reference_Code J). */
    jobs: z.array(z.string().min(1).max(10)),
    /** Work order types (WO_Job_Division). */
    divisions: z.array(z.string().min(1).max(5)),
    leadSources: z.array(z.string().min(1).max(15)),
    /** Warehouses; the one marked default (else the first) is used for a blank Warehouse_Code. */
    warehouses: z.array(z.object({ Warehouse_Code: z.string().min(1).max(10), Description: z.string().optional(), default: z.boolean().optional() }).strict()),
    items: z.array(z.object({ Item_Code: z.string().min(1).max(15), Description: z.string().optional(), Unit_Of_Measure: z.string().optional() }).strict()),
  })
  .partial()
  .strict();
export type SpectrumSeed = z.input<typeof SpectrumSeedSchema>;

/** A material cost line: its order on the work order, the System_Key Spectrum gave it, and its fields. */
export type StoredMaterialLine = { Sequence: number; System_Key: string } & Record<WOMaterialCostField, string>;

export interface StoredWorkOrder {
  Company_Code: string;
  WO_Number: string;
  header: Record<WorkOrderHeaderField, string>;
  materials: StoredMaterialLine[];
  /** Header notes by topic ('' is the untitled note). */
  notes: Array<{ topic: string; text: string }>;
  /** Number of WorkOrderHeader calls applied (1 = created). */
  revision: number;
}

/** Outcome of one SDX call against the state. */
export interface CallOutcome {
  rows: SpectrumResponseRow[];
  /** True when the call changed the state (or, for GetCustomers, answered data). */
  applied: boolean;
  /** GetCustomers data rows (customer columns), when applied. */
  data?: Array<Record<string, string>>;
}

export interface SpectrumRequestLogEntry {
  receivedAt: string;
  service: string;
  guid: string;
  authorizationId: string;
  /** An Authorization: Bearer header came with it. */
  bearer: boolean;
  /** What was answered: rows, a SOAP fault, a 401, or nothing (hung). */
  outcome?: 'rows' | 'fault' | 'unauthorized' | 'hung';
  rows?: SpectrumResponseRow[];
  fault?: string;
  applied?: boolean;
  truncated?: boolean;
}

export interface IssuedToken {
  clientId: string;
  authorizationId: string;
  expiresAt: number;
}

const DEFAULT_FIRST_WO_NUMBER = 100001;
const NOT_AUTHORIZED = 'The Web Service is not authorized.';

const row = (error_code: string, desc: string, column: string): SpectrumResponseRow => ({ error_code, desc, column });

interface Session {
  authorizationId: string;
  lastUsedAt: number;
  expired: boolean;
}

export interface SpectrumStateOptions {
  authorizations: SpectrumAuthorization[];
  settings: SpectrumSimulatorSettings;
  guidIdleTimeoutMs: number;
  seed?: SpectrumSeed;
  now: () => number;
}

export class SpectrumState {
  readonly workOrders = new Map<string, StoredWorkOrder>();
  readonly customers = new Map<string, SpectrumSeedCustomer>();
  readonly sites = new Map<string, { Site_Code: string; Customer_Code: string; Name?: string }>();
  readonly jobs = new Set<string>();
  readonly divisions = new Set<string>();
  readonly leadSources = new Set<string>();
  readonly warehouses = new Map<string, { Warehouse_Code: string; Description?: string; default?: boolean }>();
  readonly items = new Map<string, { Item_Code: string; Description?: string; Unit_Of_Measure?: string }>();
  /** Every SOAP request received, oldest first. */
  readonly requests: SpectrumRequestLogEntry[] = [];
  /** Issued bearer tokens. */
  readonly tokens = new Map<string, IssuedToken>();
  /** Requests to POST /connect/token, refused ones included. */
  tokenRequests = 0;
  readonly authorizations: SpectrumAuthorization[];
  settings: SpectrumSimulatorSettings;
  private readonly sessions = new Map<string, Session>();
  private readonly expiredGuids = new Set<string>();
  private nextNumber = DEFAULT_FIRST_WO_NUMBER;
  /** The next material line's System_Key (unique across work orders, never reused). */
  private nextLineKey = 1;

  constructor(private readonly options: SpectrumStateOptions) {
    this.authorizations = options.authorizations.map((auth) => ({ ...auth, companies: [...auth.companies], permissions: [...auth.permissions] }));
    this.settings = { ...options.settings };
    if (options.seed) this.seed(options.seed);
  }

  /** Adds (or replaces, by code) reference data; validated by SpectrumSeedSchema. */
  seed(input: SpectrumSeed): void {
    const data = SpectrumSeedSchema.parse(input);
    for (const customer of data.customers ?? []) this.customers.set(customer.Customer_Code, customer);
    for (const site of data.sites ?? []) this.sites.set(site.Site_Code, site);
    for (const job of data.jobs ?? []) this.jobs.add(job);
    for (const division of data.divisions ?? []) this.divisions.add(division);
    for (const source of data.leadSources ?? []) this.leadSources.add(source);
    for (const warehouse of data.warehouses ?? []) this.warehouses.set(warehouse.Warehouse_Code, warehouse);
    for (const item of data.items ?? []) this.items.set(item.Item_Code, item);
  }

  /**
   * Replaces the methods an Authorization ID may call (Data Exchange's permissions, changed by an
   * administrator while the server runs, e.g. a test's "WorkOrderHeader not granted"); reset()
   * restores the authorizations given at start. Throws for an unknown Authorization ID.
   */
  setPermissions(authorizationId: string, permissions: string[]): void {
    const auth = this.authorizations.find((a) => a.id === authorizationId);
    if (!auth) throw new Error(`Authorization ID ${authorizationId} is not set up`);
    auth.permissions = [...permissions];
  }

  /** Empties work orders, sessions, tokens and logs, restores the authorizations and reloads the seed given at start. */
  reset(): void {
    this.authorizations.splice(
      0,
      this.authorizations.length,
      ...this.options.authorizations.map((auth) => ({ ...auth, companies: [...auth.companies], permissions: [...auth.permissions] })),
    );
    for (const collection of [this.workOrders, this.customers, this.sites, this.warehouses, this.items, this.tokens, this.sessions]) collection.clear();
    for (const set of [this.jobs, this.divisions, this.leadSources, this.expiredGuids]) set.clear();
    this.requests.length = 0;
    this.tokenRequests = 0;
    this.nextNumber = DEFAULT_FIRST_WO_NUMBER;
    this.nextLineKey = 1;
    this.settings = { ...this.options.settings };
    if (this.options.seed) this.seed(this.options.seed);
  }

  /** The work order `number` of `company` (default: the first company holding that number). */
  workOrder(number: string, company?: string): StoredWorkOrder | undefined {
    if (company !== undefined) return this.workOrders.get(workOrderKey(company, number));
    return [...this.workOrders.values()].find((order) => order.WO_Number === number);
  }

  /** SOAP requests received for `service`. */
  callsTo(service: string): SpectrumRequestLogEntry[] {
    return this.requests.filter((entry) => entry.service === service);
  }

  /**
   * Expires this GUID now, for every method and Authorization ID, those it was not used with yet
   * included (a test's "24 h have passed"); returns how many sessions it had.
   */
  expireGuid(guid: string): number {
    this.expiredGuids.add(guid);
    let expired = 0;
    for (const [key, session] of this.sessions) {
      if (key.endsWith(`\u0000${guid}`)) {
        session.expired = true;
        expired += 1;
      }
    }
    return expired;
  }

  /** Makes every issued bearer token invalid (as after a secret rotation or a server restart). */
  revokeTokens(): number {
    const revoked = this.tokens.size;
    this.tokens.clear();
    return revoked;
  }

  /**
   * One SDX call whose every declared parameter is present (the caller faults otherwise). `token`:
   * the bearer token's holder when enhanced authentication is on.
   */
  call(service: SpectrumService, params: Record<string, string>, token?: IssuedToken): CallOutcome {
    const refused = this.authorize(service, params, token);
    if (refused) return { rows: refused, applied: false };
    const sessionProblem = this.useSession(service, params.Authorization_ID, params.GUID);
    if (sessionProblem) return { rows: sessionProblem, applied: false };

    const spec: SpectrumServiceSpec = SPECTRUM_SERVICES[service];
    const auth = this.authorizations.find((a) => a.id === params.Authorization_ID)!;
    const companyParam = spec.kind === 'put' ? 'Company_Code' : 'pCompany_Code';
    const company = params[companyParam] || auth.companies[0] || '';
    if (!auth.companies.includes(company)) {
      return { rows: [row('A', `${NOT_AUTHORIZED} Authorization ID ${auth.id} is not set up for Company ${company}.`, companyParam)], applied: false };
    }

    const problems = fieldProblems(service, params);
    const flagged = new Set(problems.map((p) => p.column));
    const value = (name: string) => (flagged.has(name) ? '' : (params[name] ?? ''));
    switch (service) {
      case 'WorkOrderHeader':
        return this.workOrderHeader(company, params, value, problems);
      case 'AddWOMaterialCost':
        return this.addMaterial(company, params, value, problems);
      case 'DeleteWOMaterialCost':
        return this.deleteMaterial(company, value, problems);
      case 'GetWOMaterialCost':
        return this.getMaterial(company, value, problems);
      case 'WOHeaderNotes':
        return this.headerNotes(company, value, problems);
      case 'GetCustomers':
        return this.getCustomers(company, value, problems);
    }
  }

  /** `A` rows when the Authorization ID is unknown, inactive, lacks the method, or the token is another's. */
  private authorize(service: SpectrumService, params: Record<string, string>, token?: IssuedToken): SpectrumResponseRow[] | undefined {
    const auth = this.authorizations.find((a) => a.id === params.Authorization_ID);
    if (!auth) return [row('A', `${NOT_AUTHORIZED} Authorization ID is not setup in the system.`, 'Authorization_ID')];
    if (auth.active === false) return [row('A', `${NOT_AUTHORIZED} Authorization ID ${auth.id} is not active.`, 'Authorization_ID')];
    if (!auth.permissions.includes(service)) {
      return [row('A', `${NOT_AUTHORIZED} Authorization ID ${auth.id} has no permission for ${service}.`, 'Authorization_ID')];
    }
    if (token && token.authorizationId !== auth.id) {
      return [row('A', `${NOT_AUTHORIZED} The access token was not issued for Authorization ID ${auth.id}.`, 'Authorization_ID')];
    }
    return undefined;
  }

  /** The GUID rules: required, 36 max, one Authorization ID per method + GUID, expired after the idle time. */
  private useSession(service: SpectrumService, authorizationId: string, guid: string): SpectrumResponseRow[] | undefined {
    if (guid === '') return [row('M', 'GUID is required.', 'GUID')];
    if (guid.length > 36) return [row('I', `GUID exceeds the maximum length of 36 (got ${guid.length}).`, 'GUID')];
    const key = `${service}\u0000${guid}`;
    const now = this.options.now();
    const session = this.sessions.get(key);
    if (session && session.authorizationId !== authorizationId) {
      return [row('A', `${NOT_AUTHORIZED} GUID ${guid} is in use for ${service} by another Authorization ID.`, 'GUID')];
    }
    if (this.expiredGuids.has(guid) || (session && (session.expired || now - session.lastUsedAt > this.options.guidIdleTimeoutMs))) {
      if (!session) this.sessions.set(key, { authorizationId, lastUsedAt: now, expired: true });
      if (session) session.expired = true;
      return [row('A', SESSION_EXPIRED_DESC, 'GUID')];
    }
    this.sessions.set(key, { authorizationId, lastUsedAt: now, expired: false });
    return undefined;
  }

  private workOrderHeader(company: string, params: Record<string, string>, value: (name: string) => string, problems: SpectrumResponseRow[]): CallOutcome {
    const requested = value('WO_Number');
    const existing = requested ? this.workOrders.get(workOrderKey(company, requested)) : undefined;
    const isNew = !existing;
    const info: SpectrumResponseRow[] = [];

    const reference = value('WO_Reference_Code');
    const jobNumber = value('WO_Job_Number');
    if (reference === 'S' && jobNumber && !this.sites.has(jobNumber)) problems.push(row('I', `Site ${jobNumber} does not exist.`, 'WO_Job_Number'));
    if (reference === 'J' && jobNumber && !this.jobs.has(jobNumber)) problems.push(row('I', `Job ${jobNumber} does not exist.`, 'WO_Job_Number'));

    const customer = value('Bill_Customer_Code');
    if (customer) {
      const found = this.customers.get(customer);
      if (!found || (found.Company_Code !== '' && found.Company_Code !== company)) {
        problems.push(row('I', `Customer ${customer} does not exist.`, 'Bill_Customer_Code'));
      }
    } else if (isNew && !flaggedIn(problems, 'Bill_Customer_Code')) {
      problems.push(row('M', 'Bill_Customer_Code is required for a new work order.', 'Bill_Customer_Code'));
    }

    let division = value('WO_Job_Division');
    if (division && !this.divisions.has(division)) problems.push(row('I', `Work order type (division) ${division} does not exist.`, 'WO_Job_Division'));
    if (!division && isNew && !flaggedIn(problems, 'WO_Job_Division')) {
      if (reference === 'S' && this.settings.defaultDivision) {
        division = this.settings.defaultDivision;
        info.push(row('G', `Default division ${division} used for the site work order.`, 'WO_Job_Division'));
      } else {
        problems.push(row('M', 'WO_Job_Division is required: no default division is set up for site work orders.', 'WO_Job_Division'));
      }
    }

    const leadSource = value('Lead_Source');
    if (leadSource && !this.leadSources.has(leadSource)) problems.push(row('I', `Lead source ${leadSource} does not exist.`, 'Lead_Source'));
    if (!leadSource && isNew && this.settings.leadSourceRequired && !flaggedIn(problems, 'Lead_Source')) {
      problems.push(row('M', 'Lead_Source is required for work orders.', 'Lead_Source'));
    }

    if (problems.length > 0) return { rows: problems, applied: false };

    const number = requested || this.allocateNumber(company);
    const header = { ...(existing?.header ?? emptyRecord('WorkOrderHeader')) } as Record<WorkOrderHeaderField, string>;
    for (const name of Object.keys(header) as WorkOrderHeaderField[]) {
      const given = params[name] ?? '';
      if (given !== '') header[name] = given;
    }
    header.WO_Number = number;
    if (isNew && !header.WO_Job_Division) header.WO_Job_Division = division;
    const order: StoredWorkOrder = existing ?? { Company_Code: company, WO_Number: number, header, materials: [], notes: [], revision: 0 };
    order.header = header;
    order.revision += 1;
    this.workOrders.set(workOrderKey(company, number), order);
    return { rows: [row('G', `Work order ${number} ${isNew ? 'added' : 'updated'}.`, 'WO_Number'), ...info], applied: true };
  }

  private addMaterial(company: string, params: Record<string, string>, value: (name: string) => string, problems: SpectrumResponseRow[]): CallOutcome {
    const order = this.existingOrder(company, value('WO_Number'), problems);
    const info: SpectrumResponseRow[] = [];
    const code = value('Item_Code');
    const nonStock = code.startsWith('!');
    const item = this.items.get(code);
    if (code && nonStock && code.length < 2) problems.push(row('I', 'A non-stock Item_Code needs a code after the !.', 'Item_Code'));
    if (code && !nonStock && !item) problems.push(row('I', `Item ${code} does not exist.`, 'Item_Code'));

    let warehouse = value('Warehouse_Code');
    if (warehouse && !this.warehouses.has(warehouse)) problems.push(row('I', `Warehouse ${warehouse} does not exist.`, 'Warehouse_Code'));
    if (!warehouse && !nonStock && !flaggedIn(problems, 'Warehouse_Code')) {
      const fallback = [...this.warehouses.values()].find((w) => w.default) ?? [...this.warehouses.values()][0];
      if (fallback) {
        warehouse = fallback.Warehouse_Code;
        info.push(row('G', `Default warehouse ${warehouse} used.`, 'Warehouse_Code'));
      } else {
        problems.push(row('M', 'Warehouse_Code is required: no default warehouse is set up.', 'Warehouse_Code'));
      }
    }
    if (problems.length > 0 || !order) return { rows: problems, applied: false };

    const line = { ...emptyRecord('AddWOMaterialCost') } as Record<WOMaterialCostField, string>;
    for (const name of Object.keys(line) as WOMaterialCostField[]) line[name] = params[name] ?? '';
    line.Warehouse_Code = nonStock ? '' : warehouse;
    if (!line.Item_Description && item?.Description) line.Item_Description = item.Description;
    if (!line.Unit_Of_Measure && item?.Unit_Of_Measure) line.Unit_Of_Measure = item.Unit_Of_Measure;
    // "If the Extension field is defined, then the Unit_Price value will be recalculated" (the page).
    const quantity = Number(line.Quantity_Used || '0');
    if (line.Extension && quantity !== 0) line.Unit_Price = (Number(line.Extension) / quantity).toFixed(2);
    else if (!line.Extension && line.Unit_Price) line.Extension = (Number(line.Unit_Price) * quantity).toFixed(2);
    const sequence = order.materials.reduce((max, l) => Math.max(max, l.Sequence), 0) + 1;
    const systemKey = String(this.nextLineKey++).padStart(12, '0');
    order.materials.push({ Sequence: sequence, System_Key: systemKey, ...line });
    return { rows: [row('G', `Material line ${sequence} (item ${code}) added to work order ${order.WO_Number}.`, 'WO_Number'), ...info], applied: true };
  }

  /** DeleteWOMaterialCost: the line whose System_Key is valid for the work order and item code, else `I`. */
  private deleteMaterial(company: string, value: (name: string) => string, problems: SpectrumResponseRow[]): CallOutcome {
    const order = this.existingOrder(company, value('WO_Number'), problems);
    if (problems.length > 0 || !order) return { rows: problems, applied: false };
    const key = value('System_Key');
    const code = value('Item_Code');
    const line = order.materials.find((l) => l.System_Key === key && l.Item_Code === code);
    if (!line) {
      return { rows: [row('I', `System_Key ${key} is not a material cost line of item ${code} on work order ${order.WO_Number}.`, 'System_Key')], applied: false };
    }
    order.materials = order.materials.filter((l) => l !== line);
    return { rows: [row('G', `Material line ${line.Sequence} (item ${code}) deleted from work order ${order.WO_Number}.`, 'System_Key')], applied: true };
  }

  /** GetWOMaterialCost *(assumed service)*: the work order's material cost lines, in line order. */
  private getMaterial(company: string, value: (name: string) => string, problems: SpectrumResponseRow[]): CallOutcome {
    const order = this.existingOrder(company, value('pWO_Number'), problems, 'pWO_Number');
    if (problems.length > 0 || !order) return { rows: problems, applied: false };
    const data = [...order.materials]
      .sort((a, b) => a.Sequence - b.Sequence)
      .map((line) => {
        const columns: Record<string, string> = {};
        for (const column of MATERIAL_COST_COLUMNS) {
          columns[column] = column === 'Company_Code' ? company : column === 'WO_Number' ? order.WO_Number : String((line as Record<string, unknown>)[column] ?? '');
        }
        return columns;
      });
    return { rows: [], applied: true, data };
  }

  private headerNotes(company: string, value: (name: string) => string, problems: SpectrumResponseRow[]): CallOutcome {
    const order = this.existingOrder(company, value('WO_Number'), problems);
    if (problems.length > 0 || !order) return { rows: problems, applied: false };
    const topic = value('Notes_Topic');
    const text = value('Notes_Text');
    const note = order.notes.find((n) => n.topic === topic);
    const append = value('Append_Note') === 'Y';
    if (note && append) note.text = `${note.text}\n${text}`;
    else if (note) note.text = text;
    else order.notes.push({ topic, text });
    return { rows: [row('G', `Note ${note && append ? 'appended to' : 'written on'} work order ${order.WO_Number}.`, 'Notes_Text')], applied: true };
  }

  /**
   * GetCustomers: pStatus blank -> Active only, `I` -> Active and Inactive, `ALL` -> every customer
   * (Get Customers page), by Customer_Code; past maxGetRows the list is cut and ends with a `W` row.
   */
  private getCustomers(company: string, value: (name: string) => string, problems: SpectrumResponseRow[]): CallOutcome {
    if (problems.length > 0) return { rows: problems, applied: false };
    const status = value('pStatus');
    const statuses = status === 'ALL' ? ['Active', 'Inactive', 'Not Used'] : status === 'I' ? ['Active', 'Inactive'] : ['Active'];
    const all = [...this.customers.values()]
      .filter((customer) => (customer.Company_Code === '' || customer.Company_Code === company) && statuses.includes(customer.Status))
      .sort((a, b) => (a.Customer_Code < b.Customer_Code ? -1 : a.Customer_Code > b.Customer_Code ? 1 : 0))
      .map((customer) => {
        const columns: Record<string, string> = {};
        for (const column of CUSTOMER_COLUMNS) columns[column] = column === 'Company_Code' ? company : (customer[column] ?? '');
        return columns;
      });
    const max = this.settings.maxGetRows ?? DEFAULT_MAX_GET_ROWS;
    const rows = all.length > max ? [row('W', EXCEEDS_MAXIMUM_DESC, '')] : [];
    return { rows, applied: true, data: all.slice(0, max) };
  }

  private existingOrder(company: string, number: string, problems: SpectrumResponseRow[], column = 'WO_Number'): StoredWorkOrder | undefined {
    if (!number) return undefined;
    const order = this.workOrders.get(workOrderKey(company, number));
    if (!order) problems.push(row('I', `Work order ${number} does not exist.`, column));
    return order;
  }

  private allocateNumber(company: string): string {
    while (this.workOrders.has(workOrderKey(company, String(this.nextNumber)))) this.nextNumber += 1;
    return String(this.nextNumber++);
  }
}

function workOrderKey(company: string, number: string): string {
  return `${company}\u0000${number}`;
}

function flaggedIn(rows: SpectrumResponseRow[], column: string): boolean {
  return rows.some((r) => r.column === column);
}

function emptyRecord(service: SpectrumService): Record<string, string> {
  return Object.fromEntries(Object.keys(SPECTRUM_SERVICES[service].fields).map((name) => [name, '']));
}

/**
 * The checks every field gets, each problem a row naming its column: `I` over the max length (never
 * truncated), `I` not a date (MM/DD/CCYY or MM-DD-CCYY), time (HHMMSS), number or one of the codes;
 * `M` a required field blank, `I` a number with more decimals than its format (`-7.2`: 2).
 * Authorization_ID and GUID are checked before (authorization, session).
 */
export function fieldProblems(service: SpectrumService, params: Record<string, string>): SpectrumResponseRow[] {
  const problems: SpectrumResponseRow[] = [];
  const spec: SpectrumServiceSpec = SPECTRUM_SERVICES[service];
  for (const name of declaredParameters(service)) {
    if (name === 'Authorization_ID' || name === 'GUID') continue;
    const rule = fieldRule(service, name)!;
    const value = params[name] ?? '';
    if (value === '') {
      if (spec.required.includes(name)) problems.push(row('M', `${name} is required.`, name));
      continue;
    }
    if (value.length > rule.max) {
      problems.push(row('I', `${name} exceeds the maximum length of ${rule.max} (got ${value.length}).`, name));
      continue;
    }
    if (rule.kind === 'date' && !isSpectrumDate(value)) problems.push(row('I', `${name} must be a date MM/DD/CCYY (got ${value}).`, name));
    if (rule.kind === 'time' && !isSpectrumTime(value)) problems.push(row('I', `${name} must be a time HHMMSS (got ${value}).`, name));
    if (rule.kind === 'number' && !isSpectrumNumber(value)) problems.push(row('I', `${name} must be a number (got ${value}).`, name));
    else if (rule.kind === 'number' && rule.decimals !== undefined && decimalsOf(value) > rule.decimals) {
      problems.push(row('I', `${name} takes at most ${rule.decimals} decimals (got ${value}).`, name));
    }
    if (rule.kind === 'code' && !(rule.values ?? []).includes(value)) {
      problems.push(row('I', `${name} must be one of ${(rule.values ?? []).join(', ')} (got ${value}).`, name));
    }
  }
  return problems;
}
