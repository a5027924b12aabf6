/**
 * The ServiceTrade simulator's data and rules: companies, locations, service lines, the item
 * library, jobs with their services and items, external ids (system names checked, ids unique per
 * external system and entity type), OAuth client credentials and the access tokens issued (JWTs,
 * HS256, with `exp`). Changes that ServiceTrade announces (job created/updated, location updated,
 * company updated) are reported to `onChange`, which the simulator wires to its webhook dispatcher,
 * so in-process tests that call these methods see the same webhooks as the admin endpoints send.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  EXTERNAL_SYSTEM_NAME,
  SERVICETRADE_ENTITY_TYPES,
  type ExternalIds,
  type ServiceTradeCompany,
  type ServiceTradeEntityType,
  type ServiceTradeJob,
  type ServiceTradeJobItem,
  type ServiceTradeLibItem,
  type ServiceTradeLocation,
  type ServiceTradeService,
  type ServiceTradeServiceLine,
} from './schemas';
import type { EntityChange, WebhookDelivery } from './simulator-webhooks';
import { HttpError } from '../../simulators/http';

// ---- input schemas (seed and admin) -----------------------------------------------------------

const systemName = z.string().regex(EXTERNAL_SYSTEM_NAME, 'external system names are lowercase, start with a letter and hold only letters, digits and underscores');
/**
 * External ids in a seed or an admin change: one string per system, as ServiceTrade holds them. A
 * one-element list is read as its element (older fixtures wrote lists); more than one is refused.
 */
const externalIdValue = z.union([
  z.string().trim().min(1),
  z
    .array(z.string().trim().min(1))
    .length(1, 'ServiceTrade holds one external id per system')
    .transform((v) => v[0]),
]);
const ExternalIdsInputSchema = z.record(systemName, externalIdValue);
const text = z.string().nullable().optional();
const seconds = z.number().int().nonnegative();
const positiveId = z.number().int().positive();

export const AddressInputSchema = z
  .object({ street: text, city: text, state: text, postalCode: text })
  .strict();

export const CompanyInputSchema = z
  .object({
    id: positiveId.optional(),
    name: z.string().min(1),
    status: z.string().min(1).default('active'),
    externalIds: ExternalIdsInputSchema.default({}),
  })
  .strict();

export const LocationInputSchema = z
  .object({
    id: positiveId.optional(),
    name: z.string().min(1),
    refNumber: text,
    address: AddressInputSchema.default({}),
    phoneNumber: text,
    companyId: positiveId,
    externalIds: ExternalIdsInputSchema.default({}),
  })
  .strict();

export const ServiceLineInputSchema = z.object({ id: positiveId.optional(), name: z.string().min(1), abbr: z.string().min(1) }).strict();
export const LibItemInputSchema = z.object({ id: positiveId.optional(), code: z.string().min(1), name: z.string().min(1), type: z.string().min(1).optional() }).strict();

export const ServiceInputSchema = z
  .object({ id: positiveId.optional(), serviceLineId: positiveId, description: z.string().default('') })
  .strict();

export const JobItemInputSchema = z
  .object({
    id: positiveId.optional(),
    /** Defaults to the library item's name. */
    name: z.string().min(1).optional(),
    description: text,
    quantity: z.number().default(1),
    cost: z.number().nullable().optional(),
    price: z.number().nullable().optional(),
    uom: text,
    /** null or absent: not in the item library. */
    libItemId: positiveId.nullable().optional(),
    externalIds: ExternalIdsInputSchema.default({}),
  })
  .strict();

export const JobInputSchema = z
  .object({
    id: positiveId.optional(),
    /** Defaults to the next free number. */
    number: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    type: z.string().min(1).default('repair'),
    status: z.string().min(1).default('scheduled'),
    description: text,
    /** The job's customer (a company). Defaults to the location's company. */
    companyId: positiveId.optional(),
    locationId: positiveId,
    scheduledDate: seconds.nullable().optional(),
    dueBy: seconds.nullable().optional(),
    created: seconds.optional(),
    updated: seconds.optional(),
    refNumber: text,
    customerPo: text,
    externalIds: ExternalIdsInputSchema.default({}),
    services: z.array(ServiceInputSchema).default([]),
    items: z.array(JobItemInputSchema).default([]),
  })
  .strict();

export const ServiceTradeSeedSchema = z
  .object({
    companies: z.array(CompanyInputSchema).default([]),
    locations: z.array(LocationInputSchema).default([]),
    serviceLines: z.array(ServiceLineInputSchema).default([]),
    libItems: z.array(LibItemInputSchema).default([]),
    jobs: z.array(JobInputSchema).default([]),
  })
  .strict();
export type ServiceTradeSeed = z.input<typeof ServiceTradeSeedSchema>;
export type JobInput = z.input<typeof JobInputSchema>;
export type JobItemInput = z.input<typeof JobItemInputSchema>;

/** `externalIds` in a patch: per system, the new id (replacing that system's id); null removes the system. */
const ExternalIdsPatchSchema = z.record(systemName, externalIdValue.nullable());

export const CompanyPatchSchema = z
  .object({ name: z.string().min(1).optional(), status: z.string().min(1).optional(), externalIds: ExternalIdsPatchSchema.optional() })
  .strict();
export type CompanyPatch = z.input<typeof CompanyPatchSchema>;

export const LocationPatchSchema = z
  .object({
    name: z.string().min(1).optional(),
    refNumber: text,
    address: AddressInputSchema.optional(),
    phoneNumber: text,
    externalIds: ExternalIdsPatchSchema.optional(),
  })
  .strict();
export type LocationPatch = z.input<typeof LocationPatchSchema>;

export const JobPatchSchema = JobInputSchema.pick({
  number: true,
  name: true,
  status: true,
  description: true,
  scheduledDate: true,
  dueBy: true,
  refNumber: true,
  customerPo: true,
})
  .extend({ type: z.string().min(1).optional(), status: z.string().min(1).optional(), externalIds: ExternalIdsPatchSchema.optional() })
  .strict();
export type JobPatch = z.input<typeof JobPatchSchema>;

export const JobItemsChangeSchema = z
  .object({ add: z.array(JobItemInputSchema).default([]), remove: z.array(positiveId).default([]) })
  .strict()
  .refine((c) => c.add.length + c.remove.length > 0, 'add or remove at least one item');
export type JobItemsChange = z.input<typeof JobItemsChangeSchema>;

export interface ListQuery {
  page?: number;
  limit?: number;
}

export interface JobFilters {
  status?: string;
  updatedAfter?: number;
  createdAfter?: number;
  locationId?: number;
  customerId?: number;
}

export interface Page<T> {
  rows: T[];
  page: number;
  totalPages: number;
  total: number;
}

// ---- records ----------------------------------------------------------------------------------

interface CompanyRecord {
  id: number;
  name: string;
  status: string;
  externalIds: ExternalIds;
}

interface LocationRecord {
  id: number;
  name: string;
  refNumber: string | null;
  address: { street: string | null; city: string | null; state: string | null; postalCode: string | null };
  phoneNumber: string | null;
  companyId: number;
  externalIds: ExternalIds;
}

interface ServiceRecord {
  id: number;
  serviceLineId: number;
  description: string;
}

interface JobItemRecord {
  id: number;
  name: string;
  description: string | null;
  quantity: number;
  cost: number | null;
  price: number | null;
  uom: string | null;
  libItemId: number | null;
  externalIds: ExternalIds;
}

interface JobRecord {
  id: number;
  number: string;
  name: string;
  type: string;
  status: string;
  description: string | null;
  companyId: number;
  locationId: number;
  scheduledDate: number | null;
  dueBy: number | null;
  created: number;
  updated: number;
  refNumber: string | null;
  customerPo: string | null;
  externalIds: ExternalIds;
  services: ServiceRecord[];
  items: JobItemRecord[];
}

/** A job as the admin endpoints show it: the API's job, its services and items. */
export type AdminJob = ServiceTradeJob & { services: ServiceTradeService[]; items: ServiceTradeJobItem[] };

/** One API request as the simulator received it, and what it answered. */
export interface ApiExchange {
  method: string;
  route: string;
  params: Record<string, string>;
  query: Record<string, string>;
  contentType: string | null;
  body: unknown;
  status: number;
  /** The answer's JSON text. */
  response: string | null;
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface ServiceTradeStateOptions {
  clients?: OAuthClient[];
  /** Lifetime of an access token; default 3600. */
  tokenTtlSeconds?: number;
  /** Fire a `job updated` (location, company) webhook when an external id is written over the API; default false *(assumed)*. */
  webhookOnExternalIdWrite?: boolean;
  /** Stamps `created`/`updated` and token expiry; tests may pass their own. */
  clock?: () => number;
}

/** The user id webhooks carry for admin changes (someone editing in the ServiceTrade UI) *(assumed)*. */
export const ADMIN_USER_ID = 1;
/** The user id webhooks carry for changes made over the API with an OAuth client *(assumed)*. */
export const API_USER_ID = 2;

export interface ChangeOptions {
  /** false: apply the change without announcing it (no webhook). Default true. */
  notify?: boolean;
  userId?: number;
}

const FIRST_JOB_NUMBER = 7001;

export class ServiceTradeState {
  readonly companies = new Map<number, CompanyRecord>();
  readonly locations = new Map<number, LocationRecord>();
  readonly serviceLines = new Map<number, ServiceTradeServiceLine>();
  readonly libItems = new Map<number, ServiceTradeLibItem>();
  readonly jobs = new Map<number, JobRecord>();
  /** Every webhook message, in order (the dispatcher appends and updates them). */
  readonly webhookDeliveries: WebhookDelivery[] = [];
  /** POST /oauth2/token requests received, granted or not. */
  tokenRequests = 0;
  /** Access tokens issued. */
  tokensIssued = 0;
  /** API requests refused with 401 (no, bad or expired token). */
  unauthorizedRequests = 0;
  /** The query of every `GET /job` (the list), in order: what a sweep asked for. */
  readonly jobListQueries: Array<Record<string, string>> = [];
  /** Every API request and its answer, in order (route as registered, e.g. `/api/job/:id`). */
  readonly apiExchanges: ApiExchange[] = [];
  /** The API base (`http://host:port/api`) that entity `uri`s start with; set by the simulator once it listens. */
  apiUrl = '';
  /** Receives every announced change (the simulator sends webhooks from it). */
  onChange: (changes: EntityChange[]) => void = () => undefined;

  readonly clients: OAuthClient[];
  readonly tokenTtlSeconds: number;
  private readonly clock: () => number;
  private readonly webhookOnExternalIdWrite: boolean;
  private signingKey = randomBytes(32);
  /** Tokens of an earlier generation (their `gen` claim) are expired, whatever their `exp`. */
  private tokenGeneration = 0;
  private nextIds = { company: 1, location: 1, serviceLine: 1, libItem: 1, job: 1, service: 1, jobItem: 1 };
  private nextJobNumber = FIRST_JOB_NUMBER;

  constructor(options: ServiceTradeStateOptions = {}) {
    this.clients = [...(options.clients ?? [])];
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
    this.clock = options.clock ?? Date.now;
    this.webhookOnExternalIdWrite = options.webhookOnExternalIdWrite ?? false;
  }

  /** An entity's `uri`, as ServiceTrade puts it in answers and webhooks. */
  entityUri(type: string, id: number): string {
    return `${this.apiUrl}/${type}/${id}`;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }

  // ---- OAuth --------------------------------------------------------------------------------

  /** A new access token for valid client credentials, or null. */
  issueToken(clientId: string, clientSecret: string): IssuedToken | null {
    const client = this.clients.find((c) => c.clientId === clientId);
    if (!client || !sameText(client.clientSecret, clientSecret)) return null;
    const iat = this.nowSeconds();
    const header = base64url({ alg: 'HS256', typ: 'JWT' });
    const payload = base64url({ sub: clientId, iat, exp: iat + this.tokenTtlSeconds, jti: randomUUID(), gen: this.tokenGeneration });
    const signature = createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest('base64url');
    this.tokensIssued += 1;
    return { access_token: `${header}.${payload}.${signature}`, token_type: 'Bearer', expires_in: this.tokenTtlSeconds };
  }

  /** Why a bearer token is refused, or null when it is good. */
  checkToken(token: string | undefined): string | null {
    if (!token) return 'Authentication required: send an access token as Authorization: Bearer <token>';
    const [header, payload, signature, ...rest] = token.split('.');
    if (!header || !payload || !signature || rest.length > 0) return 'Invalid access token';
    const expected = createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest('base64url');
    if (!sameText(expected, signature)) return 'Invalid access token';
    let claims: { exp?: number; gen?: number; sub?: string };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return 'Invalid access token';
    }
    if (!this.clients.some((c) => c.clientId === claims.sub)) return 'Invalid access token';
    const now = this.clock();
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return 'Access token expired';
    if (claims.gen !== this.tokenGeneration) return 'Access token expired';
    return null;
  }

  /** Every token issued so far stops working (as if each had expired); new ones work. */
  expireTokens(): void {
    this.tokenGeneration += 1;
  }

  // ---- seed and reset -----------------------------------------------------------------------

  /** Loads data (creating or replacing records by id) without announcing anything. */
  seed(input: ServiceTradeSeed): void {
    const data = ServiceTradeSeedSchema.parse(input);
    data.companies.forEach((c) => this.putCompany(c));
    data.serviceLines.forEach((s) => this.putServiceLine(s));
    data.libItems.forEach((i) => this.putLibItem(i));
    data.locations.forEach((l) => this.putLocation(l));
    data.jobs.forEach((j) => {
      if (j.id !== undefined) this.jobs.delete(j.id); // replaced, not refused as a duplicate
      this.createJob(j, { notify: false });
    });
  }

  /** Forgets every record, token and delivery (clients and settings stay). */
  reset(): void {
    this.companies.clear();
    this.locations.clear();
    this.serviceLines.clear();
    this.libItems.clear();
    this.jobs.clear();
    this.webhookDeliveries.length = 0;
    this.tokenRequests = 0;
    this.tokensIssued = 0;
    this.unauthorizedRequests = 0;
    this.jobListQueries.length = 0;
    this.apiExchanges.length = 0;
    this.signingKey = randomBytes(32);
    this.tokenGeneration = 0;
    this.nextIds = { company: 1, location: 1, serviceLine: 1, libItem: 1, job: 1, service: 1, jobItem: 1 };
    this.nextJobNumber = FIRST_JOB_NUMBER;
  }

  putCompany(input: z.input<typeof CompanyInputSchema>): ServiceTradeCompany {
    const c = CompanyInputSchema.parse(input);
    const id = this.allocate('company', c.id);
    const record: CompanyRecord = { id, name: c.name, status: c.status, externalIds: {} };
    this.assignExternalIds('company', record, c.externalIds);
    this.companies.set(id, record);
    return this.company(id)!;
  }

  putLocation(input: z.input<typeof LocationInputSchema>): ServiceTradeLocation {
    const l = LocationInputSchema.parse(input);
    this.requireCompany(l.companyId);
    const id = this.allocate('location', l.id);
    const record: LocationRecord = {
      id,
      name: l.name,
      refNumber: l.refNumber ?? null,
      address: normalizeAddress(l.address),
      phoneNumber: l.phoneNumber ?? null,
      companyId: l.companyId,
      externalIds: {},
    };
    this.assignExternalIds('location', record, l.externalIds);
    this.locations.set(id, record);
    return this.location(id)!;
  }

  putServiceLine(input: z.input<typeof ServiceLineInputSchema>): ServiceTradeServiceLine {
    const s = ServiceLineInputSchema.parse(input);
    const line = { id: this.allocate('serviceLine', s.id), name: s.name, abbr: s.abbr };
    this.serviceLines.set(line.id, line);
    return line;
  }

  putLibItem(input: z.input<typeof LibItemInputSchema>): ServiceTradeLibItem {
    const i = LibItemInputSchema.parse(input);
    const item = { id: this.allocate('libItem', i.id), code: i.code, name: i.name, type: i.type ?? null };
    this.libItems.set(item.id, item);
    return item;
  }

  // ---- reads (API shapes) -------------------------------------------------------------------

  company(id: number): ServiceTradeCompany | undefined {
    const c = this.companies.get(id);
    return c && { id: c.id, uri: this.entityUri('company', c.id), name: c.name, status: c.status, externalIds: copyIds(c.externalIds) };
  }

  location(id: number): ServiceTradeLocation | undefined {
    const l = this.locations.get(id);
    if (!l) return undefined;
    const company = this.companies.get(l.companyId)!;
    return {
      id: l.id,
      uri: this.entityUri('location', l.id),
      name: l.name,
      refNumber: l.refNumber,
      address: { ...l.address },
      phoneNumber: l.phoneNumber,
      company: { id: company.id, name: company.name, status: company.status },
      externalIds: copyIds(l.externalIds),
    };
  }

  job(id: number): ServiceTradeJob | undefined {
    const j = this.jobs.get(id);
    if (!j) return undefined;
    const company = this.companies.get(j.companyId)!;
    const location = this.locations.get(j.locationId)!;
    return {
      id: j.id,
      uri: this.entityUri('job', j.id),
      number: j.number,
      name: j.name,
      type: j.type,
      status: j.status,
      description: j.description,
      customer: { id: company.id, name: company.name, status: company.status },
      location: { id: location.id, name: location.name, refNumber: location.refNumber, address: { ...location.address } },
      scheduledDate: j.scheduledDate,
      dueBy: j.dueBy,
      created: j.created,
      updated: j.updated,
      refNumber: j.refNumber,
      customerPo: j.customerPo,
      externalIds: copyIds(j.externalIds),
    };
  }

  /** The job with its services and items (the admin view). */
  adminJob(id: number): AdminJob | undefined {
    const job = this.job(id);
    return job && { ...job, services: this.services(id), items: this.items(id) };
  }

  services(jobId: number): ServiceTradeService[] {
    return (this.jobs.get(jobId)?.services ?? []).map((s) => ({ id: s.id, description: s.description, serviceLine: { ...this.serviceLines.get(s.serviceLineId)! } }));
  }

  items(jobId: number): ServiceTradeJobItem[] {
    return (this.jobs.get(jobId)?.items ?? []).map((i) => this.itemView(i));
  }

  listJobs(filters: JobFilters = {}): ServiceTradeJob[] {
    return [...this.jobs.values()]
      .filter((j) => filters.status === undefined || j.status === filters.status)
      .filter((j) => filters.updatedAfter === undefined || j.updated >= filters.updatedAfter)
      .filter((j) => filters.createdAfter === undefined || j.created >= filters.createdAfter)
      .filter((j) => filters.locationId === undefined || j.locationId === filters.locationId)
      .filter((j) => filters.customerId === undefined || j.companyId === filters.customerId)
      .sort((a, b) => a.id - b.id)
      .map((j) => this.job(j.id)!);
  }

  // ---- changes ------------------------------------------------------------------------------

  /** Creates a job (services and items included); announces `job created`. */
  createJob(input: JobInput, options: ChangeOptions = {}): AdminJob {
    const j = JobInputSchema.parse(input);
    const location = this.locations.get(j.locationId);
    if (!location) throw new HttpError(400, `Location ${j.locationId} does not exist`);
    const companyId = j.companyId ?? location.companyId;
    this.requireCompany(companyId);
    j.services.forEach((s) => this.requireServiceLine(s.serviceLineId));
    j.items.forEach((i) => this.requireLibItem(i.libItemId));
    if (j.id !== undefined && this.jobs.has(j.id)) throw new HttpError(400, `Job ${j.id} already exists`);
    const number = j.number ?? String(this.nextJobNumber);
    if ([...this.jobs.values()].some((other) => other.number === number)) throw new HttpError(400, `Job number ${number} is already used`);
    const now = this.nowSeconds();
    const id = this.allocate('job', j.id);
    const record: JobRecord = {
      id,
      number,
      name: j.name ?? `${capitalize(j.type)} at ${location.name}`,
      type: j.type,
      status: j.status,
      description: j.description ?? null,
      companyId,
      locationId: j.locationId,
      scheduledDate: j.scheduledDate ?? null,
      dueBy: j.dueBy ?? null,
      created: j.created ?? now,
      updated: j.updated ?? j.created ?? now,
      refNumber: j.refNumber ?? null,
      customerPo: j.customerPo ?? null,
      externalIds: {},
      services: j.services.map((s) => ({ id: this.allocate('service', s.id), serviceLineId: s.serviceLineId, description: s.description })),
      items: [],
    };
    this.assignExternalIds('job', record, j.externalIds);
    this.jobs.set(id, record);
    record.items = j.items.map((i) => this.newItem(i));
    if (/^\d+$/.test(number)) this.nextJobNumber = Math.max(this.nextJobNumber, Number(number) + 1);
    this.announce(options, { action: 'created', entityType: 'job', entityId: id });
    return this.adminJob(id)!;
  }

  /** Changes job fields; `externalIds` replaces the lists of the systems it names. Announces `job updated`. */
  patchJob(id: number, patch: JobPatch, options: ChangeOptions = {}): AdminJob {
    const p = JobPatchSchema.parse(patch);
    const job = this.requireJob(id);
    if (p.externalIds) this.assignExternalIds('job', job, p.externalIds);
    const { externalIds: _ids, ...fields } = p;
    for (const [field, value] of Object.entries(fields)) {
      if (value !== undefined) (job as unknown as Record<string, unknown>)[field] = value;
    }
    this.touch(job);
    this.announce(options, { action: 'updated', entityType: 'job', entityId: id });
    return this.adminJob(id)!;
  }

  /** Adds and removes job items; announces `job updated`. */
  changeJobItems(id: number, change: JobItemsChange, options: ChangeOptions = {}): AdminJob {
    const c = JobItemsChangeSchema.parse(change);
    const job = this.requireJob(id);
    const unknown = c.remove.filter((itemId) => !job.items.some((i) => i.id === itemId));
    if (unknown.length > 0) throw new HttpError(400, `Job ${id} has no item(s) ${unknown.join(', ')}`);
    c.add.forEach((i) => this.requireLibItem(i.libItemId));
    job.items = job.items.filter((i) => !c.remove.includes(i.id));
    job.items.push(...c.add.map((i) => this.newItem(i)));
    this.touch(job);
    this.announce(options, { action: 'updated', entityType: 'job', entityId: id });
    return this.adminJob(id)!;
  }

  /** Changes location fields (e.g. its Spectrum site code = fixing a mapping); announces `location updated`. */
  patchLocation(id: number, patch: LocationPatch, options: ChangeOptions = {}): ServiceTradeLocation {
    const p = LocationPatchSchema.parse(patch);
    const location = this.locations.get(id);
    if (!location) throw new HttpError(404, `Location ${id} not found`);
    if (p.externalIds) this.assignExternalIds('location', location, p.externalIds);
    if (p.name !== undefined) location.name = p.name;
    if (p.refNumber !== undefined) location.refNumber = p.refNumber;
    if (p.phoneNumber !== undefined) location.phoneNumber = p.phoneNumber;
    if (p.address !== undefined) location.address = { ...location.address, ...normalizeAddress(p.address, false) };
    this.announce(options, { action: 'updated', entityType: 'location', entityId: id });
    return this.location(id)!;
  }

  /** Changes company fields (e.g. its Spectrum customer code); announces `company updated`. */
  patchCompany(id: number, patch: CompanyPatch, options: ChangeOptions = {}): ServiceTradeCompany {
    const p = CompanyPatchSchema.parse(patch);
    const company = this.companies.get(id);
    if (!company) throw new HttpError(404, `Company ${id} not found`);
    if (p.externalIds) this.assignExternalIds('company', company, p.externalIds);
    if (p.name !== undefined) company.name = p.name;
    if (p.status !== undefined) company.status = p.status;
    this.announce(options, { action: 'updated', entityType: 'company', entityId: id });
    return this.company(id)!;
  }

  /**
   * The external id write of the API (`POST /externalid/{type}/{id}/{system}` `{value}`): sets the
   * entity's id of `system` to `value`, replacing the one it held. The value the entity already holds
   * changes nothing (`changed: false`). A value another entity of the same type holds under that
   * system is refused (400: external ids are unique per system).
   */
  setExternalId(
    entityType: ServiceTradeEntityType,
    entityId: number,
    system: string,
    value: string,
    options: ChangeOptions = {},
  ): { changed: boolean; externalIds: ExternalIds } {
    if (!EXTERNAL_SYSTEM_NAME.test(system)) {
      throw new HttpError(400, `Invalid external system name "${system}": use lowercase letters, digits and underscores, starting with a letter`);
    }
    const record = this.entity(entityType, entityId);
    if (!record) throw new HttpError(404, `${capitalize(entityType)} ${entityId} not found`);
    const trimmed = value.trim();
    if (record.externalIds[system] === trimmed) return { changed: false, externalIds: copyIds(record.externalIds) };
    this.assertUnclaimed(entityType, entityId, system, trimmed);
    record.externalIds[system] = trimmed;
    if (this.webhookOnExternalIdWrite) {
      const announced = entityType === 'jobitem' ? this.jobOfItem(entityId) : { type: entityType, id: entityId };
      if (announced) this.announce({ userId: API_USER_ID, ...options }, { action: 'updated', entityType: announced.type, entityId: announced.id });
    }
    return { changed: true, externalIds: copyIds(record.externalIds) };
  }

  /** Everything, as GET /__admin/state shows it. */
  snapshot() {
    return {
      companies: [...this.companies.keys()].map((id) => this.company(id)!),
      locations: [...this.locations.keys()].map((id) => this.location(id)!),
      serviceLines: [...this.serviceLines.values()],
      libItems: [...this.libItems.values()],
      jobs: [...this.jobs.keys()].sort((a, b) => a - b).map((id) => this.adminJob(id)!),
      tokenRequests: this.tokenRequests,
      tokensIssued: this.tokensIssued,
      unauthorizedRequests: this.unauthorizedRequests,
      webhookDeliveries: this.webhookDeliveries,
    };
  }

  // ---- helpers ------------------------------------------------------------------------------

  private announce(options: ChangeOptions, change: EntityChange): void {
    if (options.notify === false) return;
    this.onChange([{ ...change, userId: options.userId ?? change.userId ?? ADMIN_USER_ID }]);
  }

  private touch(job: JobRecord): void {
    job.updated = Math.max(job.updated, this.nowSeconds());
  }

  private allocate(kind: keyof ServiceTradeState['nextIds'], wanted: number | undefined): number {
    const id = wanted ?? this.nextIds[kind];
    this.nextIds[kind] = Math.max(this.nextIds[kind], id + 1);
    return id;
  }

  private newItem(input: z.input<typeof JobItemInputSchema>): JobItemRecord {
    const i = JobItemInputSchema.parse(input);
    const lib = i.libItemId ? this.libItems.get(i.libItemId) : undefined;
    const name = i.name ?? lib?.name;
    if (!name) throw new HttpError(400, 'A job item not in the item library needs a name');
    const record: JobItemRecord = {
      id: this.allocate('jobItem', i.id),
      name,
      description: i.description ?? null,
      quantity: i.quantity,
      cost: i.cost ?? null,
      price: i.price ?? null,
      uom: i.uom ?? null,
      libItemId: lib ? lib.id : null,
      externalIds: {},
    };
    this.assignExternalIds('jobitem', record, i.externalIds);
    return record;
  }

  private itemView(i: JobItemRecord): ServiceTradeJobItem {
    const lib = i.libItemId === null ? undefined : this.libItems.get(i.libItemId);
    return {
      id: i.id,
      name: i.name,
      description: i.description,
      quantity: i.quantity,
      cost: i.cost,
      price: i.price,
      uom: i.uom,
      libItem: lib ? { ...lib } : null,
      externalIds: copyIds(i.externalIds),
    };
  }

  private entity(type: ServiceTradeEntityType, id: number): { externalIds: ExternalIds } | undefined {
    switch (type) {
      case 'job':
        return this.jobs.get(id);
      case 'location':
        return this.locations.get(id);
      case 'company':
        return this.companies.get(id);
      case 'jobitem':
        for (const job of this.jobs.values()) {
          const item = job.items.find((i) => i.id === id);
          if (item) return item;
        }
        return undefined;
    }
  }

  private jobOfItem(itemId: number): { type: string; id: number } | undefined {
    const job = [...this.jobs.values()].find((j) => j.items.some((i) => i.id === itemId));
    return job && { type: 'job', id: job.id };
  }

  private entitiesOf(type: ServiceTradeEntityType): Array<{ id: number; externalIds: ExternalIds }> {
    switch (type) {
      case 'job':
        return [...this.jobs.values()];
      case 'location':
        return [...this.locations.values()];
      case 'company':
        return [...this.companies.values()];
      case 'jobitem':
        return [...this.jobs.values()].flatMap((j) => j.items);
    }
  }

  /** 400 when another entity of `type` holds `value` under `system`. */
  private assertUnclaimed(type: ServiceTradeEntityType, id: number, system: string, value: string): void {
    const holder = this.entitiesOf(type).find((e) => e.id !== id && e.externalIds[system] === value);
    if (holder) {
      throw new HttpError(400, `External id "${value}" of system "${system}" is already used by ${type} ${holder.id}; external ids are unique per external system`);
    }
  }

  /** Sets the ids of the systems named (null removes a system), every id checked for uniqueness first. */
  private assignExternalIds(type: ServiceTradeEntityType, record: { id: number; externalIds: ExternalIds }, ids: Record<string, string | null>): void {
    for (const [system, value] of Object.entries(ids)) {
      if (value !== null) this.assertUnclaimed(type, record.id, system, value.trim());
    }
    for (const [system, value] of Object.entries(ids)) {
      if (value === null) delete record.externalIds[system];
      else record.externalIds[system] = value.trim();
    }
  }

  private requireJob(id: number): JobRecord {
    const job = this.jobs.get(id);
    if (!job) throw new HttpError(404, `Job ${id} not found`);
    return job;
  }

  private requireCompany(id: number): void {
    if (!this.companies.has(id)) throw new HttpError(400, `Company ${id} does not exist`);
  }

  private requireServiceLine(id: number): void {
    if (!this.serviceLines.has(id)) throw new HttpError(400, `Service line ${id} does not exist`);
  }

  private requireLibItem(id: number | null | undefined): void {
    if (id !== null && id !== undefined && !this.libItems.has(id)) throw new HttpError(400, `Library item ${id} does not exist`);
  }
}

/** One page of rows (page is 1-based; a page past the end is empty). */
export function paginate<T>(rows: T[], { page = 1, limit = 100 }: ListQuery): Page<T> {
  const totalPages = Math.max(1, Math.ceil(rows.length / limit));
  return { rows: rows.slice((page - 1) * limit, page * limit), page, totalPages, total: rows.length };
}

export function isEntityType(value: string): value is ServiceTradeEntityType {
  return (SERVICETRADE_ENTITY_TYPES as readonly string[]).includes(value);
}

function normalizeAddress(a: z.infer<typeof AddressInputSchema>, fill = true): LocationRecord['address'] {
  const out: Partial<LocationRecord['address']> = {};
  for (const key of ['street', 'city', 'state', 'postalCode'] as const) {
    if (a[key] !== undefined || fill) out[key] = a[key] ?? null;
  }
  return out as LocationRecord['address'];
}

function copyIds(ids: ExternalIds): ExternalIds {
  return { ...ids };
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
