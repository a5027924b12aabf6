/**
 * The ServiceChannel simulator's data and rules: subscribers with the permissions each grants the
 * provider (seed 003), locations, work orders with their notes and check-ins, OAuth clients, users,
 * access and refresh tokens, the login limit (one password grant per user per 5 s), the per-minute
 * request limits (per client id and per company) and a log of every API request with its time, from
 * which tests read the peak rate. Changes ServiceChannel announces by webhook are reported to
 * `onEvent`, which the simulator wires to its webhook dispatcher.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  PRIMARY_STATUSES,
  PROVIDER_SETTABLE_STATUSES,
  SERVICECHANNEL_PERMISSIONS,
  SERVICECHANNEL_RATE_LIMITS,
  ServiceChannelPermissionSchema,
  permissionsForStatus,
  CHECK_OUT_PRIMARY_STATUSES,
  NOT_FOUND_ERROR_CODE,
  NOTES_DEFAULT_PAGE_SIZE,
  ODATA_DEFAULT_LOOKBACK_DAYS,
  ODATA_MAX_LOOKBACK_DAYS,
  VALIDATION_ERROR_CODE,
  WORK_TYPE_REPAIR,
  type CheckInBody,
  type CheckOutBody,
  type ServiceChannelEnvironment,
  type ServiceChannelPermission,
  type WorkOrderEventType,
} from './schemas';
import { HttpError } from '../../simulators/http';

// ---- input schemas (seed and admin) -----------------------------------------------------------

const text = z.string().nullable().optional();
const positiveId = z.number().int().positive();
const isoDateTime = z.iso.datetime({ offset: true });
const statusValue = z.string().trim().min(1).transform((s) => s.toUpperCase());

export const SubscriberInputSchema = z
  .object({
    Id: positiveId,
    Name: z.string().min(1),
    /** The permissions granted to the provider; absent = every permission of seed 003's table. */
    Permissions: z.array(ServiceChannelPermissionSchema).optional(),
  })
  .strict();

export const LocationInputSchema = z
  .object({
    Id: positiveId,
    SubscriberId: positiveId,
    StoreId: text,
    Name: z.string().min(1),
    Address1: text,
    Address2: text,
    City: text,
    State: text,
    Zip: text,
    Country: text,
    Phone: text,
    Email: text,
    Latitude: z.number().nullable().optional(),
    Longitude: z.number().nullable().optional(),
  })
  .strict();

export const StatusInputSchema = z.object({ Primary: statusValue.pipe(z.enum(PRIMARY_STATUSES)), Extended: z.string().nullable().optional() }).strict();

export const WorkOrderInputSchema = z
  .object({
    Id: positiveId.optional(),
    /** Defaults to the next free number. */
    Number: z.string().min(1).optional(),
    PurchaseNumber: text,
    SubscriberId: positiveId,
    /** Defaults to the simulator's provider. */
    ProviderId: positiveId.optional(),
    LocationId: positiveId,
    Status: StatusInputSchema.default({ Primary: 'OPEN', Extended: null }),
    CallDate: isoDateTime.optional(),
    Priority: text,
    Trade: text,
    Category: text,
    ProblemCode: text,
    ScheduledDate: isoDateTime.nullable().optional(),
    ExpirationDate: isoDateTime.nullable().optional(),
    Nte: z.number().nonnegative().nullable().optional(),
    CurrencyAlphabeticalCode: text,
    Description: text,
    Caller: text,
    CreatedBy: text,
  })
  .strict();
export type WorkOrderInput = z.input<typeof WorkOrderInputSchema>;

/** A subscriber's change (admin): any field but the ids; Status, Nte and ScheduledDate fire their events. */
export const WorkOrderPatchSchema = WorkOrderInputSchema.omit({ Id: true, SubscriberId: true, ProviderId: true, LocationId: true })
  .partial()
  .extend({ Status: StatusInputSchema.optional(), Number: z.string().min(1).optional() })
  .strict();
export type WorkOrderPatch = z.input<typeof WorkOrderPatchSchema>;

export const AdminNoteSchema = z
  .object({ Note: z.string().trim().min(1), MailedTo: z.string().nullable().optional(), CreatedBy: z.string().min(1).default('subscriber') })
  .strict();

export const ServiceChannelSeedSchema = z
  .object({
    subscribers: z.array(SubscriberInputSchema).default([]),
    locations: z.array(LocationInputSchema).default([]),
    workOrders: z.array(WorkOrderInputSchema).default([]),
  })
  .strict();
export type ServiceChannelSeed = z.input<typeof ServiceChannelSeedSchema>;

export const PermissionsInputSchema = z.array(ServiceChannelPermissionSchema);

// ---- records ----------------------------------------------------------------------------------

interface SubscriberRecord {
  Id: number;
  Name: string;
  permissions: Set<ServiceChannelPermission>;
}

type LocationRecord = z.output<typeof LocationInputSchema>;

export interface NoteRecord {
  Id: number;
  NoteData: string;
  MailedTo: string | null;
  Visibility: number;
  CreatedBy: string;
  DateCreated: string;
  /** Written through the provider API (served as `CreatedByProvider` by `GET /workorders/{id}/notes`). */
  ByProvider: boolean;
}

export interface CheckInRecord {
  Id: number;
  CheckInTime: string;
  CheckOutTime: string | null;
  /** Whether the time was given by the caller (needs `IVR Check IN/OUT`) or stamped by ServiceChannel. */
  TimeGiven: boolean;
  TechsCount: number | null;
  Resolution: string | null;
  /** The technician's position given with the check-in. */
  Latitude: number | null;
  Longitude: number | null;
  /** The check-out's PrimaryStatus, when given. */
  PrimaryStatus: string | null;
}

interface WorkOrderRecord {
  Id: number;
  Number: string;
  PurchaseNumber: string | null;
  SubscriberId: number;
  ProviderId: number;
  LocationId: number;
  Status: { Primary: string; Extended: string | null };
  CallDate: string;
  Priority: string | null;
  Trade: string | null;
  Category: string | null;
  ProblemCode: string | null;
  ScheduledDate: string | null;
  ExpirationDate: string | null;
  Nte: number | null;
  CurrencyAlphabeticalCode: string | null;
  Description: string | null;
  Caller: string | null;
  CreatedBy: string | null;
  updatedMs: number;
  notes: NoteRecord[];
  checkIns: CheckInRecord[];
}

/** A JSON object as the API answers it (null fields left out, as the reference's models declare no nullable field). */
export type ApiObject = Record<string, unknown>;

/** A work order as `GET /workorders/{id}` answers it (reference `Workorders.WorkOrder`; the fields tests read typed). */
export type ApiWorkOrder = ApiObject & {
  Id: number;
  Number: string;
  Subscriber: { Id: number; Name: string };
  Provider: { Id: number; Name: string };
  LocationId: number;
  Location?: ApiObject;
  Status: { Primary: string; Extended?: string };
  Nte?: number;
  ScheduledDate?: string;
  UpdatedDate: string;
};

/**
 * A work order as the admin endpoints show it: the API's work order (Subscriber{}, Provider{},
 * Location{} whole), the flat ids the admin input uses, and its notes and check-ins.
 */
export type AdminWorkOrder = ApiObject & {
  Id: number;
  Number: string;
  SubscriberId: number;
  ProviderId: number;
  LocationId: number;
  Status: { Primary: string; Extended: string | null };
  UpdatedDate: string;
  Nte?: number;
  ScheduledDate?: string;
  Trade?: string;
  Notes: NoteRecord[];
  CheckIns: CheckInRecord[];
};

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}
export interface User {
  username: string;
  password: string;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
}

/** One API request as counted for the limits (the token endpoint and admin routes are not API requests). */
export interface RequestRecord {
  at: number;
  route: string;
  clientId: string | null;
  /** Refused by the per-minute limits (429/503). */
  throttled: boolean;
}

/** An event to announce by webhook (`{Object, EventType}`): a WorkOrderObject, or a CheckInAndOutObject (no Id, WorkOrderId). */
export interface ServiceChannelEvent {
  EventType: WorkOrderEventType | string;
  Object: Record<string, unknown>;
}

/** A refusal by the subscriber's permissions: answered 401 with error code 504. */
export interface PermissionRefusal {
  permission: ServiceChannelPermission;
  subscriberId: number;
  providerId: number;
}

export interface ServiceChannelStateOptions {
  clients?: OAuthClient[];
  users?: User[];
  environment?: ServiceChannelEnvironment;
  /** Per-minute limits, overriding the environment's (tests use small ones). */
  limits?: { perClientPerMinute?: number; perCompanyPerMinute?: number };
  /** The length of the rate window; default 60000 (ServiceChannel's "per minute"). */
  rateWindowMs?: number;
  /** Status of a throttled request: 429 (default, the current docs) or 503 (an older page). */
  throttleStatus?: 429 | 503;
  /** Least time between two logins of one user; default 5000. */
  loginIntervalMs?: number;
  /** Status of the login-limit refusal: 429 (default) or 503. */
  loginLimitStatus?: 429 | 503;
  /** Lifetime of an access token; default 600. */
  tokenTtlSeconds?: number;
  /** Lifetime of a refresh token; default 30 days. */
  refreshTokenTtlSeconds?: number;
  /** This provider's id (the work orders' ProviderId); default 2000081234. */
  providerId?: number;
  /** Granted permissions per subscriber id, overriding the seed's. */
  permissions?: Record<number, readonly ServiceChannelPermission[]>;
  /** Announce the provider's own API changes (status, note, check-in/out, schedule, NTE) by webhook too; default true. */
  webhookOnApiChanges?: boolean;
  /**
   * How `GET /workorders/{id}` shows the location: `reference` (default, what the real API may do):
   * LocationId 0 and a Location with only its Id, StoreId and Name, the address to be read from
   * `GET /locations/{id}`; `whole`: LocationId and the whole Location.
   */
  workOrderLocation?: 'reference' | 'whole';
  clock?: () => number;
}

export interface ChangeOptions {
  /** false: apply the change without a webhook. Default true. */
  notify?: boolean;
}

export const DEFAULT_PROVIDER_ID = 2000081234;
const FIRST_WORK_ORDER_ID = 90000001;
const FIRST_WORK_ORDER_NUMBER = 1000001;

export class ServiceChannelState {
  readonly subscribers = new Map<number, SubscriberRecord>();
  readonly locations = new Map<number, LocationRecord>();
  readonly workOrders = new Map<number, WorkOrderRecord>();
  /** Every API request (not the token endpoint, not admin), in arrival order. */
  readonly requests: RequestRecord[] = [];
  /** POST to the token endpoint, granted or not. */
  tokenRequests = 0;
  /** Password grants answered with a token (logins). */
  logins = 0;
  /** Password grants refused by the login limit. */
  loginsLimited = 0;
  /** Refresh grants answered with a token. */
  refreshes = 0;
  /** Refresh grants refused. */
  refreshesRefused = 0;
  /** API requests refused with 401. */
  unauthorizedRequests = 0;
  /** Refusals by permission, in order. */
  readonly permissionRefusals: PermissionRefusal[] = [];
  /** The API base (`http://host:port/v3`); set by the simulator once it listens. */
  apiUrl = '';
  /** Receives every announced change. */
  onEvent: (event: ServiceChannelEvent) => void = () => undefined;

  readonly clients: OAuthClient[];
  readonly users: User[];
  readonly environment: ServiceChannelEnvironment;
  readonly perClientPerMinute: number;
  readonly perCompanyPerMinute: number;
  readonly rateWindowMs: number;
  readonly throttleStatus: 429 | 503;
  readonly loginIntervalMs: number;
  readonly loginLimitStatus: 429 | 503;
  readonly tokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly providerId: number;
  readonly webhookOnApiChanges: boolean;
  readonly workOrderLocation: 'reference' | 'whole';
  private readonly startPermissions: Record<number, readonly ServiceChannelPermission[]>;
  private readonly clock: () => number;
  private readonly accessTokens = new Map<string, { clientId: string; username: string; expiresAt: number }>();
  private readonly refreshTokens = new Map<string, { clientId: string; username: string; expiresAt: number }>();
  private readonly lastLoginAt = new Map<string, number>();
  /** Accepted request times in the current window, per client id and for the company. */
  private readonly windows = new Map<string, number[]>();
  private nextIds = { workOrder: FIRST_WORK_ORDER_ID, number: FIRST_WORK_ORDER_NUMBER, note: 1, checkIn: 1 };

  constructor(options: ServiceChannelStateOptions = {}) {
    this.clients = [...(options.clients ?? [])];
    this.users = [...(options.users ?? [])];
    this.environment = options.environment ?? 'production';
    const limits = SERVICECHANNEL_RATE_LIMITS[this.environment];
    this.perClientPerMinute = options.limits?.perClientPerMinute ?? limits.perClientPerMinute;
    this.perCompanyPerMinute = options.limits?.perCompanyPerMinute ?? limits.perCompanyPerMinute;
    this.rateWindowMs = options.rateWindowMs ?? 60_000;
    this.throttleStatus = options.throttleStatus ?? 429;
    this.loginIntervalMs = options.loginIntervalMs ?? 5000;
    this.loginLimitStatus = options.loginLimitStatus ?? 429;
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 600;
    this.refreshTokenTtlSeconds = options.refreshTokenTtlSeconds ?? 30 * 86_400;
    this.providerId = options.providerId ?? DEFAULT_PROVIDER_ID;
    this.webhookOnApiChanges = options.webhookOnApiChanges ?? true;
    this.workOrderLocation = options.workOrderLocation ?? 'reference';
    this.startPermissions = { ...(options.permissions ?? {}) };
    this.clock = options.clock ?? Date.now;
  }

  private now(): number {
    return this.clock();
  }

  // ---- OAuth ----------------------------------------------------------------------------------

  /** Whether the client credentials are known. */
  checkClient(clientId: string | undefined, clientSecret: string | undefined): boolean {
    return this.clients.some((c) => c.clientId === clientId && c.clientSecret === clientSecret);
  }

  /**
   * The password grant. Throws HttpError 400 invalid_grant for bad user credentials, and the login
   * limit's answer (429/503 + Error-Message + Retry-After) when the user logged in less than
   * loginIntervalMs ago.
   */
  login(clientId: string, username: string, password: string): IssuedToken {
    const user = this.users.find((u) => u.username === username);
    if (!user || user.password !== password) throw new HttpError(400, 'The user name or password is incorrect.', 'invalid_grant');
    const now = this.now();
    const last = this.lastLoginAt.get(username);
    if (last !== undefined && now - last < this.loginIntervalMs) {
      this.loginsLimited += 1;
      const retryAfter = Math.max(1, Math.ceil((last + this.loginIntervalMs - now) / 1000));
      throw new HttpError(this.loginLimitStatus, 'Rejected by security reason: Login attempts limit exceed.', 'LOGIN_LIMIT', {
        'error-message': 'Rejected by security reason: Login attempts limit exceed.',
        'retry-after': String(retryAfter),
      });
    }
    this.lastLoginAt.set(username, now);
    this.logins += 1;
    return this.issue(clientId, username);
  }

  /** The refresh_token grant; throws HttpError 400 invalid_grant for an unknown, expired or revoked one. */
  refresh(clientId: string, refreshToken: string): IssuedToken {
    const known = this.refreshTokens.get(refreshToken);
    if (!known || known.clientId !== clientId || known.expiresAt <= this.now()) {
      this.refreshesRefused += 1;
      throw new HttpError(400, 'The refresh token is invalid or expired.', 'invalid_grant');
    }
    this.refreshTokens.delete(refreshToken); // rotated
    this.refreshes += 1;
    return this.issue(clientId, known.username);
  }

  private issue(clientId: string, username: string): IssuedToken {
    const access = randomBytes(24).toString('base64url');
    const refresh = randomBytes(24).toString('base64url');
    const now = this.now();
    this.accessTokens.set(access, { clientId, username, expiresAt: now + this.tokenTtlSeconds * 1000 });
    this.refreshTokens.set(refresh, { clientId, username, expiresAt: now + this.refreshTokenTtlSeconds * 1000 });
    return { access_token: access, token_type: 'bearer', expires_in: this.tokenTtlSeconds, refresh_token: refresh };
  }

  /** The client id a bearer token belongs to, or null when it is unknown or expired. */
  tokenClient(token: string | undefined): string | null {
    if (!token) return null;
    const known = this.accessTokens.get(token);
    if (!known || known.expiresAt <= this.now()) return null;
    return known.clientId;
  }

  /** Every access token issued so far is refused from now on (refresh tokens stay good). */
  expireAccessTokens(): void {
    this.accessTokens.clear();
  }

  /** Every refresh token issued so far is refused from now on (the client must log in again). */
  revokeRefreshTokens(): void {
    this.refreshTokens.clear();
  }

  // ---- limits and counting --------------------------------------------------------------------

  /**
   * Counts an API request and decides whether the per-minute limits let it through: the answer is
   * null (go on) or the throttled answer (status, Retry-After seconds, Reason). Only requests let
   * through count toward the limits; every request is logged.
   */
  admit(route: string, clientId: string | null): { status: number; retryAfterSeconds: number; reason: string } | null {
    const at = this.now();
    const record: RequestRecord = { at, route, clientId, throttled: false };
    this.requests.push(record);
    if (clientId === null) return null; // refused as unauthenticated anyway
    const checks: Array<{ key: string; limit: number; label: string }> = [
      { key: `client:${clientId}`, limit: this.perClientPerMinute, label: 'Application' },
      { key: 'company', limit: this.perCompanyPerMinute, label: 'Company' },
    ];
    for (const check of checks) {
      const times = this.window(check.key, at);
      if (times.length >= check.limit) {
        record.throttled = true;
        const retryAfterSeconds = Math.max(1, Math.ceil((times[0]! + this.rateWindowMs - at) / 1000));
        const per = this.rateWindowMs === 60_000 ? '[1] minute' : `[${this.rateWindowMs / 1000}] seconds`;
        return { status: this.throttleStatus, retryAfterSeconds, reason: `Request has been throttled. Your current ${check.label} limit is [${check.limit}] per ${per}` };
      }
    }
    for (const check of checks) this.window(check.key, at).push(at);
    return null;
  }

  private window(key: string, at: number): number[] {
    let times = this.windows.get(key);
    if (!times) {
      times = [];
      this.windows.set(key, times);
    }
    let drop = 0;
    while (drop < times.length && times[drop]! <= at - this.rateWindowMs) drop += 1;
    if (drop > 0) times.splice(0, drop);
    return times;
  }

  /**
   * The most API requests received in any window of `windowMs` (default the rate window, 60 s):
   * every request, or only those of one client id, or only those let through.
   */
  peakRequestsPerMinute(options: { clientId?: string; acceptedOnly?: boolean; windowMs?: number } = {}): number {
    const windowMs = options.windowMs ?? this.rateWindowMs;
    const times = this.requests
      .filter((r) => (options.clientId === undefined || r.clientId === options.clientId) && (!options.acceptedOnly || !r.throttled))
      .map((r) => r.at);
    let peak = 0;
    let start = 0;
    for (let end = 0; end < times.length; end += 1) {
      while (times[end]! - times[start]! >= windowMs) start += 1;
      peak = Math.max(peak, end - start + 1);
    }
    return peak;
  }

  get throttledRequests(): number {
    return this.requests.filter((r) => r.throttled).length;
  }

  // ---- permissions ----------------------------------------------------------------------------

  permissionsOf(subscriberId: number): ServiceChannelPermission[] {
    const subscriber = this.subscribers.get(subscriberId);
    return subscriber ? SERVICECHANNEL_PERMISSIONS.filter((p) => subscriber.permissions.has(p)) : [...SERVICECHANNEL_PERMISSIONS];
  }

  /** Replaces the permissions a subscriber grants the provider. */
  setPermissions(subscriberId: number, permissions: readonly ServiceChannelPermission[]): ServiceChannelPermission[] {
    const subscriber = this.requireSubscriber(subscriberId);
    subscriber.permissions = new Set(PermissionsInputSchema.parse(permissions));
    return this.permissionsOf(subscriberId);
  }

  /** The first permission among `needed` the work order's subscriber has not granted (`Incoming XML Active` first), or null. */
  private refusal(order: WorkOrderRecord, needed: readonly ServiceChannelPermission[]): PermissionRefusal | null {
    if (needed.length === 0) return null;
    const granted = new Set(this.permissionsOf(order.SubscriberId));
    const missing = ['Incoming XML Active' as const, ...needed].find((p) => !granted.has(p));
    if (!missing) return null;
    const refusal = { permission: missing, subscriberId: order.SubscriberId, providerId: order.ProviderId };
    this.permissionRefusals.push(refusal);
    return refusal;
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** `GET /workorders/{id}` (reference `Workorders.WorkOrder`); undefined when there is no such work order. */
  workOrder(id: number): ApiWorkOrder | undefined {
    const order = this.workOrders.get(id);
    return order ? (this.view(order, this.workOrderLocation) as ApiWorkOrder) : undefined;
  }

  /** `GET /locations/{id}` (reference `Location.LocationWithTimezoneName`); undefined when unknown. */
  location(id: number): ApiObject | undefined {
    const location = this.locations.get(id);
    return location ? locationView(location) : undefined;
  }

  adminWorkOrder(id: number): AdminWorkOrder | undefined {
    const order = this.workOrders.get(id);
    if (!order) return undefined;
    return {
      ...this.view(order, 'whole'),
      SubscriberId: order.SubscriberId,
      ProviderId: order.ProviderId,
      LocationId: order.LocationId,
      Status: { ...order.Status },
      Notes: order.notes.map((n) => ({ ...n })),
      CheckIns: order.checkIns.map((c) => ({ ...c })),
    } as AdminWorkOrder;
  }

  /**
   * `GET /workorders/{id}/notes?paging=<page>:<size>` (reference `Notes.GetNotesResponse`): the notes
   * the provider may see (not Visibility 2, "not the provider"), NEWEST first, one page ("1:10" by
   * default); undefined when there is no such work order. A bad `paging` is 400 code 922.
   */
  notesFor(id: number, paging?: string): ApiObject | undefined {
    const order = this.workOrders.get(id);
    if (!order) return undefined;
    const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(paging ?? `1:${NOTES_DEFAULT_PAGE_SIZE}`);
    const page = match ? Number(match[1]) : 0;
    const size = match ? Number(match[2]) : 0;
    if (page < 1 || size < 1) throw new HttpError(400, `Invalid paging parameter "${paging}": expected "pageNumber:pageSize", pageNumber from 1`, scErrorCode(922));
    const visible = order.notes.filter((n) => n.Visibility !== 2).sort((a, b) => b.DateCreated.localeCompare(a.DateCreated) || b.Id - a.Id);
    const pageNotes = visible.slice((page - 1) * size, page * size);
    return {
      Notes: pageNotes.map((n) =>
        dropNulls({ Id: n.Id, Number: n.Id, NoteData: n.NoteData, DateCreated: n.DateCreated, ActionRequired: false, MailedTo: n.MailedTo, CreatedBy: n.CreatedBy, CompanyName: n.ByProvider ? 'FieldBridge Provider' : 'Subscriber', Visibility: String(n.Visibility), NoteType: 'UsersNote' }),
      ),
      AllNotesCount: visible.length,
      UserNotesCount: visible.length,
      SystemNotesCount: 0,
    };
  }

  /**
   * `GET /odata/workorders`: work orders with UpdatedDate at or after `since` (and of one subscriber,
   * trades, categories, statuses), by UpdatedDate then Id, limited like the real list to the work
   * orders called since `calledSinceMs` (ServiceChannel: the last 90 days unless `$filter` names a
   * CallDate bound, at most 365 days back).
   */
  changedSince(sinceMs: number, filter: { subscriberId?: number; calledSinceMs?: number; trades?: string[]; categories?: string[]; statuses?: string[] } = {}): ApiObject[] {
    const calledSince = filter.calledSinceMs ?? this.now() - ODATA_DEFAULT_LOOKBACK_DAYS * 86_400_000;
    if (calledSince < this.now() - ODATA_MAX_LOOKBACK_DAYS * 86_400_000 - 86_400_000) {
      throw new HttpError(400, `The date range between the work order CallDate and the current date cannot exceed ${ODATA_MAX_LOOKBACK_DAYS} days`, scErrorCode(VALIDATION_ERROR_CODE));
    }
    const within = (value: string | null, list?: string[]) => !list || list.length === 0 || list.some((v) => v.toUpperCase() === (value ?? '').toUpperCase());
    return [...this.workOrders.values()]
      .filter(
        (o) =>
          o.updatedMs >= sinceMs &&
          Date.parse(o.CallDate) >= calledSince &&
          (filter.subscriberId === undefined || o.SubscriberId === filter.subscriberId) &&
          within(o.Trade, filter.trades) &&
          within(o.Category, filter.categories) &&
          within(o.Status.Primary, filter.statuses),
      )
      .sort((a, b) => a.updatedMs - b.updatedMs || a.Id - b.Id)
      .map((o) => this.view(o, 'list'));
  }

  /**
   * The work order as the API shows it (reference `Workorders.WorkOrder`): `Subscriber{Id, Name}`,
   * `Provider{Id, Name}`, `Currency{AlphabeticalCode}`, and the location per `mode` (see
   * workOrderLocation; `list`: LocationId only, Location not expanded, as OData lists it).
   */
  private view(order: WorkOrderRecord, mode: 'reference' | 'whole' | 'list'): ApiObject {
    const location = this.locations.get(order.LocationId);
    const subscriber = this.subscribers.get(order.SubscriberId);
    const locationPart =
      mode === 'list'
        ? { LocationId: order.LocationId }
        : mode === 'whole'
          ? { LocationId: order.LocationId, Location: location ? locationView(location) : undefined }
          : { LocationId: 0, Location: location ? dropNulls({ Id: location.Id, SubscriberId: location.SubscriberId, StoreId: location.StoreId, Name: location.Name }) : undefined };
    return dropNulls({
      Id: order.Id,
      Number: order.Number,
      PurchaseNumber: order.PurchaseNumber,
      Subscriber: { Id: order.SubscriberId, Name: subscriber?.Name ?? `Subscriber ${order.SubscriberId}` },
      Provider: { Id: order.ProviderId, Name: 'FieldBridge Provider' },
      ...locationPart,
      Status: dropNulls({ Primary: order.Status.Primary, Extended: order.Status.Extended }),
      Caller: order.Caller,
      CreatedBy: order.CreatedBy,
      CallDate: order.CallDate,
      Priority: order.Priority,
      Trade: order.Trade,
      ScheduledDate: order.ScheduledDate,
      ExpirationDate: order.ExpirationDate,
      UpdatedDate: new Date(order.updatedMs).toISOString(),
      Description: order.Description,
      Category: order.Category,
      Nte: order.Nte,
      Currency: order.CurrencyAlphabeticalCode ? { AlphabeticalCode: order.CurrencyAlphabeticalCode } : undefined,
      ProblemCode: order.ProblemCode,
    });
  }

  /** The work order as a work order event's Object (webhook reference `WorkOrderObject`: flat ids, no Location). */
  private eventView(order: WorkOrderRecord, notes: NoteRecord[] = []): ApiObject {
    const location = this.locations.get(order.LocationId);
    return dropNulls({
      Id: order.Id,
      Number: order.Number,
      PurchaseNumber: order.PurchaseNumber,
      SubscriberId: order.SubscriberId,
      ProviderId: order.ProviderId,
      LocationId: order.LocationId,
      LocationName: location?.Name,
      LocationStoreId: location?.StoreId,
      Status: dropNulls({ Primary: order.Status.Primary, Extended: order.Status.Extended }),
      Caller: order.Caller,
      CreatedBy: order.CreatedBy,
      CallDate: order.CallDate,
      Priority: order.Priority,
      Trade: order.Trade,
      ScheduledDate: order.ScheduledDate,
      ExpirationDate: order.ExpirationDate,
      Description: order.Description,
      Category: order.Category,
      Nte: order.Nte,
      CurrencyAlphabeticalCode: order.CurrencyAlphabeticalCode,
      ProblemCode: order.ProblemCode,
      UpdatedDate: new Date(order.updatedMs).toISOString(),
      ...(notes.length > 0 ? { Notes: notes.map(noteEventView) } : {}),
    });
  }

  /** A check-in/out as its event's Object (webhook reference `CheckInAndOutObject`: the work order is `WorkOrderId`). */
  private checkInEventView(order: WorkOrderRecord, record: CheckInRecord, action: 'CheckIn' | 'CheckOut'): ApiObject {
    const date = action === 'CheckIn' ? record.CheckInTime : (record.CheckOutTime ?? record.CheckInTime);
    return dropNulls({
      SubscriberId: order.SubscriberId,
      ProviderId: order.ProviderId,
      LocationId: order.LocationId,
      CheckinAction: action === 'CheckIn' ? 1 : 2,
      WorkOrderId: order.Id,
      Date: date,
      DateDTO: date,
      Action: action,
      WorkType: 'Repair',
      WorkorderStatus: dropNulls({ Primary: order.Status.Primary, Extended: order.Status.Extended }),
      Trade: order.Trade,
      TechsCount: record.TechsCount ?? 1,
    });
  }

  // ---- provider writes (the API) --------------------------------------------------------------

  /** `PUT /workorders/{id}/status`: a refusal, or the change applied (and announced). */
  updateStatus(id: number, status: { Primary: string; Extended: string }, note?: string): PermissionRefusal | null {
    const order = this.requireWorkOrder(id);
    const primary = status.Primary.trim().toUpperCase();
    if (!(PROVIDER_SETTABLE_STATUSES as readonly string[]).includes(primary)) {
      throw new HttpError(400, `Status "${status.Primary}" cannot be set by a provider; allowed: ${PROVIDER_SETTABLE_STATUSES.join(', ')}`, scErrorCode(904));
    }
    const extended = status.Extended?.trim() ? status.Extended.trim().toUpperCase() : null;
    const refused = this.refusal(order, permissionsForStatus(primary, extended));
    if (refused) return refused;
    order.Status = { Primary: primary, Extended: extended };
    if (note?.trim()) order.notes.push(this.note(note, null, 'provider'));
    this.touch(order);
    this.announce('WorkOrderStatusChanged', order, this.webhookOnApiChanges);
    return null;
  }

  /** The id of the work order's latest check-in record (the API's MechanicId). */
  lastCheckInId(id: number): number {
    return this.workOrders.get(id)?.checkIns.at(-1)?.Id ?? 0;
  }

  /**
   * `GET /odata/workorders({id})/Service.CheckInActivity()` (reference `CheckInIActivity`): one row per
   * check-in and one per check-out, oldest first, `{Id, Date, Dto, Action: 'CheckIn' | 'CheckOut',
   * WorkType, CheckInOutType}` *(Action's values assumed)*; undefined when there is no such work order.
   */
  checkInActivity(id: number): Array<Record<string, unknown>> | undefined {
    const order = this.workOrders.get(id);
    if (!order) return undefined;
    const rows: Array<Record<string, unknown>> = [];
    for (const c of order.checkIns) {
      const type = c.TimeGiven ? 'Ivr' : 'Gps';
      rows.push({ Id: c.Id * 2 - 1, Date: c.CheckInTime, Dto: c.CheckInTime, Action: 'CheckIn', WorkType: 'Repair', CheckInOutType: type });
      if (c.CheckOutTime) rows.push({ Id: c.Id * 2, Date: c.CheckOutTime, Dto: c.CheckOutTime, Action: 'CheckOut', WorkType: 'Repair', CheckInOutType: type });
    }
    return rows.sort((a, b) => Date.parse(String(a.Date)) - Date.parse(String(b.Date)) || Number(a.Id) - Number(b.Id));
  }

  /** `POST /workorders/{id}/notes`: MailedTo needs `Allow to use MAIL_TO`. */
  addNote(id: number, body: { Note: string; MailedTo?: string | null; Visibility?: number }): { refusal: PermissionRefusal | null; note?: NoteRecord } {
    const order = this.requireWorkOrder(id);
    const needed: ServiceChannelPermission[] = ['Note Creation'];
    if (body.MailedTo?.trim()) needed.push('Allow to use MAIL_TO');
    const refused = this.refusal(order, needed);
    if (refused) return { refusal: refused };
    const note = this.note(body.Note, body.MailedTo ?? null, 'provider', body.Visibility ?? 0);
    order.notes.push(note);
    this.touch(order);
    this.announce('WorkOrderNoteAdded', order, this.webhookOnApiChanges, [note]);
    return { refusal: null, note };
  }

  /**
   * `POST /workorders/{id}/universalCheckIn` (reference `CheckInRequest`): a given CheckInTime needs the
   * XML check-in/out permission (`IVR Check IN/OUT`); a Repair check-in (WorkTypeId 1, the default)
   * without Latitude and Longitude is refused (400, code 503 "Provide your location to perform
   * check-in or check-out") unless that permission is granted.
   */
  checkIn(id: number, body: CheckInBody): PermissionRefusal | null {
    const order = this.requireWorkOrder(id);
    const refused = this.refusal(order, body.CheckInTime ? ['IVR Check IN/OUT'] : []);
    if (refused) return refused;
    this.requirePosition(order, body);
    const record: CheckInRecord = {
      Id: this.nextIds.checkIn++,
      CheckInTime: body.CheckInTime ? new Date(body.CheckInTime).toISOString() : new Date(this.now()).toISOString(),
      CheckOutTime: null,
      TimeGiven: body.CheckInTime !== undefined,
      TechsCount: body.TechsCount ?? null,
      Resolution: null,
      Latitude: body.Latitude ?? null,
      Longitude: body.Longitude ?? null,
      PrimaryStatus: null,
    };
    order.checkIns.push(record);
    this.touch(order);
    this.announceCheckIn('WorkOrderCheckIn', order, record);
    return null;
  }

  /**
   * `POST /workorders/{id}/universalCheckOut` (reference `CheckOutRequest`): closes the latest open
   * check-in (400 when none is open); the same time and position rules as the check-in, except that
   * `ActionStatus: Cancel` needs no position. PrimaryStatus Completed/InProgress/Incomplete moves the
   * work order's status.
   */
  checkOut(id: number, body: CheckOutBody): PermissionRefusal | null {
    const order = this.requireWorkOrder(id);
    const refused = this.refusal(order, body.CheckOutTime ? ['IVR Check IN/OUT'] : []);
    if (refused) return refused;
    if (body.ActionStatus !== 'Cancel') this.requirePosition(order, body);
    const open = [...order.checkIns].reverse().find((c) => c.CheckOutTime === null);
    if (!open) throw new HttpError(400, `User has not checked in (work order ${id} has no open check-in)`, scErrorCode(VALIDATION_ERROR_CODE));
    open.CheckOutTime = body.CheckOutTime ? new Date(body.CheckOutTime).toISOString() : new Date(this.now()).toISOString();
    open.Resolution = body.Resolution ?? null;
    open.PrimaryStatus = body.PrimaryStatus ?? null;
    const primary = body.PrimaryStatus && CHECK_OUT_STATUS_MOVES[body.PrimaryStatus];
    if (primary) order.Status = { Primary: primary, Extended: body.ExtendedStatus?.trim() ? body.ExtendedStatus.trim().toUpperCase() : null };
    this.touch(order);
    this.announceCheckIn('WorkOrderCheckOut', order, open);
    return null;
  }

  /** A Repair check-in/out needs the technician's position unless the XML check-in/out permission is granted. */
  private requirePosition(order: WorkOrderRecord, body: { WorkTypeId?: number; Latitude?: number; Longitude?: number }): void {
    if ((body.WorkTypeId ?? WORK_TYPE_REPAIR) !== WORK_TYPE_REPAIR) return;
    if (body.Latitude !== undefined && body.Longitude !== undefined) return;
    if (this.permissionsOf(order.SubscriberId).includes('IVR Check IN/OUT') && this.permissionsOf(order.SubscriberId).includes('Incoming XML Active')) return;
    throw new HttpError(400, 'Provide your location to perform check-in or check-out', scErrorCode(VALIDATION_ERROR_CODE));
  }

  /** `PUT /workorders/{id}/scheduledate`: needs `ScheduleDate Update`. */
  updateScheduledDate(id: number, scheduledDate: string, note?: string): PermissionRefusal | null {
    const order = this.requireWorkOrder(id);
    const refused = this.refusal(order, ['ScheduleDate Update']);
    if (refused) return refused;
    order.ScheduledDate = new Date(scheduledDate).toISOString();
    if (note?.trim()) order.notes.push(this.note(note, null, 'provider'));
    this.touch(order);
    this.announce('WorkOrderScheduledDateChanged', order, this.webhookOnApiChanges);
    return null;
  }

  /** `PUT /workorders/{id}/nte`: needs `NTE Update`. */
  updateNte(id: number, nte: number, note?: string): PermissionRefusal | null {
    const order = this.requireWorkOrder(id);
    const refused = this.refusal(order, ['NTE Update']);
    if (refused) return refused;
    order.Nte = nte;
    if (note?.trim()) order.notes.push(this.note(note, null, 'provider'));
    this.touch(order);
    this.announce('WorkOrderNteChanged', order, this.webhookOnApiChanges);
    return null;
  }

  // ---- subscriber changes (admin) -------------------------------------------------------------

  createWorkOrder(input: WorkOrderInput, options: ChangeOptions = {}): AdminWorkOrder {
    const w = WorkOrderInputSchema.parse(input);
    this.requireSubscriber(w.SubscriberId);
    const location = this.locations.get(w.LocationId);
    if (!location) throw new HttpError(400, `Location ${w.LocationId} does not exist`, 'ERROR_BAD_REQUEST');
    if (location.SubscriberId !== w.SubscriberId) throw new HttpError(400, `Location ${w.LocationId} belongs to subscriber ${location.SubscriberId}, not ${w.SubscriberId}`, 'ERROR_BAD_REQUEST');
    if (w.Id !== undefined && this.workOrders.has(w.Id)) throw new HttpError(400, `Work order ${w.Id} already exists`, 'ERROR_BAD_REQUEST');
    const id = w.Id ?? this.nextFreeId();
    this.nextIds.workOrder = Math.max(this.nextIds.workOrder, id + 1);
    const number = w.Number ?? String(this.nextIds.number++);
    const now = this.now();
    const order: WorkOrderRecord = {
      Id: id,
      Number: number,
      PurchaseNumber: w.PurchaseNumber ?? null,
      SubscriberId: w.SubscriberId,
      ProviderId: w.ProviderId ?? this.providerId,
      LocationId: w.LocationId,
      Status: { Primary: w.Status.Primary, Extended: w.Status.Extended?.trim() ? w.Status.Extended.trim().toUpperCase() : null },
      CallDate: w.CallDate ? new Date(w.CallDate).toISOString() : new Date(now).toISOString(),
      Priority: w.Priority ?? null,
      Trade: w.Trade ?? null,
      Category: w.Category ?? null,
      ProblemCode: w.ProblemCode ?? null,
      ScheduledDate: w.ScheduledDate ? new Date(w.ScheduledDate).toISOString() : null,
      ExpirationDate: w.ExpirationDate ? new Date(w.ExpirationDate).toISOString() : null,
      Nte: w.Nte ?? null,
      CurrencyAlphabeticalCode: w.CurrencyAlphabeticalCode ?? 'USD',
      Description: w.Description ?? null,
      Caller: w.Caller ?? null,
      CreatedBy: w.CreatedBy ?? null,
      updatedMs: 0,
      notes: [],
      checkIns: [],
    };
    this.workOrders.set(id, order);
    this.touch(order);
    this.announce('WorkOrderCreated', order, options.notify !== false);
    return this.adminWorkOrder(id)!;
  }

  /** A subscriber's change; one event per announced field that changed (Status, Nte, ScheduledDate). */
  patchWorkOrder(id: number, input: WorkOrderPatch, options: ChangeOptions = {}): AdminWorkOrder {
    const order = this.requireWorkOrder(id);
    const patch = WorkOrderPatchSchema.parse(input);
    const events: WorkOrderEventType[] = [];
    if (patch.Status) {
      const next = { Primary: patch.Status.Primary, Extended: patch.Status.Extended?.trim() ? patch.Status.Extended.trim().toUpperCase() : null };
      if (next.Primary !== order.Status.Primary || next.Extended !== order.Status.Extended) events.push('WorkOrderStatusChanged');
      order.Status = next;
    }
    if (patch.Nte !== undefined) {
      if ((patch.Nte ?? null) !== order.Nte) events.push('WorkOrderNteChanged');
      order.Nte = patch.Nte ?? null;
    }
    if (patch.ScheduledDate !== undefined) {
      const next = patch.ScheduledDate ? new Date(patch.ScheduledDate).toISOString() : null;
      if (next !== order.ScheduledDate) events.push('WorkOrderScheduledDateChanged');
      order.ScheduledDate = next;
    }
    const plain = ['Number', 'PurchaseNumber', 'Priority', 'Trade', 'Category', 'ProblemCode', 'CurrencyAlphabeticalCode', 'Description', 'Caller', 'CreatedBy'] as const;
    for (const key of plain) {
      if (patch[key] !== undefined) (order as unknown as Record<string, unknown>)[key] = patch[key] ?? null;
    }
    if (patch.CallDate !== undefined) order.CallDate = new Date(patch.CallDate).toISOString();
    if (patch.ExpirationDate !== undefined) order.ExpirationDate = patch.ExpirationDate ? new Date(patch.ExpirationDate).toISOString() : null;
    this.touch(order);
    for (const type of events) this.announce(type, order, options.notify !== false);
    return this.adminWorkOrder(id)!;
  }

  /** A subscriber's note (no permission involved); `WorkOrderNoteAdded`. */
  addSubscriberNote(id: number, input: z.input<typeof AdminNoteSchema>, options: ChangeOptions = {}): NoteRecord {
    const order = this.requireWorkOrder(id);
    const body = AdminNoteSchema.parse(input);
    const note = this.note(body.Note, body.MailedTo ?? null, body.CreatedBy, 0, false);
    order.notes.push(note);
    this.touch(order);
    this.announce('WorkOrderNoteAdded', order, options.notify !== false, [note]);
    return note;
  }

  /**
   * The work order is gone for this provider (deleted by the subscriber, or reassigned to another
   * provider): every API route answers 404 for it from now on. No webhook (ServiceChannel sends none
   * for it). False when there was no such work order.
   */
  removeWorkOrder(id: number): boolean {
    return this.workOrders.delete(id);
  }

  /** The work order as a webhook's Object (for an arbitrary event sent over admin). */
  eventObject(id: number): ServiceChannelEvent['Object'] {
    return this.eventView(this.requireWorkOrder(id));
  }

  // ---- seed and reset -------------------------------------------------------------------------

  /** Loads data (records by id, replacing), without webhooks; then the start permissions apply. */
  seed(input: ServiceChannelSeed): void {
    const data = ServiceChannelSeedSchema.parse(input);
    for (const s of data.subscribers) {
      this.subscribers.set(s.Id, { Id: s.Id, Name: s.Name, permissions: new Set(s.Permissions ?? SERVICECHANNEL_PERMISSIONS) });
    }
    for (const l of data.locations) {
      this.requireSubscriber(l.SubscriberId);
      this.locations.set(l.Id, l);
    }
    for (const w of data.workOrders) {
      if (w.Id !== undefined) this.workOrders.delete(w.Id);
      this.createWorkOrder(w, { notify: false });
    }
    this.applyStartPermissions();
  }

  private applyStartPermissions(): void {
    for (const [id, permissions] of Object.entries(this.startPermissions)) {
      const subscriberId = Number(id);
      const subscriber = this.subscribers.get(subscriberId) ?? { Id: subscriberId, Name: `Subscriber ${subscriberId}`, permissions: new Set() };
      subscriber.permissions = new Set(permissions);
      this.subscribers.set(subscriberId, subscriber);
    }
  }

  /** Forgets records, tokens, counters and the request log (clients, users and settings stay). */
  reset(): void {
    this.subscribers.clear();
    this.locations.clear();
    this.workOrders.clear();
    this.requests.length = 0;
    this.windows.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.lastLoginAt.clear();
    this.permissionRefusals.length = 0;
    this.tokenRequests = 0;
    this.logins = 0;
    this.loginsLimited = 0;
    this.refreshes = 0;
    this.refreshesRefused = 0;
    this.unauthorizedRequests = 0;
    this.nextIds = { workOrder: FIRST_WORK_ORDER_ID, number: FIRST_WORK_ORDER_NUMBER, note: 1, checkIn: 1 };
    this.applyStartPermissions();
  }

  /** Records and counters, for GET /__admin/state. */
  snapshot() {
    return {
      environment: this.environment,
      providerId: this.providerId,
      limits: { perClientPerMinute: this.perClientPerMinute, perCompanyPerMinute: this.perCompanyPerMinute, rateWindowMs: this.rateWindowMs, loginIntervalMs: this.loginIntervalMs },
      subscribers: [...this.subscribers.values()].map((s) => ({ Id: s.Id, Name: s.Name, Permissions: this.permissionsOf(s.Id) })),
      locations: [...this.locations.values()],
      workOrders: [...this.workOrders.keys()].sort((a, b) => a - b).map((id) => this.adminWorkOrder(id)),
      counters: this.counters(),
      permissionRefusals: [...this.permissionRefusals],
    };
  }

  counters() {
    return {
      requests: this.requests.length,
      throttledRequests: this.throttledRequests,
      peakRequestsPerMinute: this.peakRequestsPerMinute(),
      peakAcceptedRequestsPerMinute: this.peakRequestsPerMinute({ acceptedOnly: true }),
      tokenRequests: this.tokenRequests,
      logins: this.logins,
      loginsLimited: this.loginsLimited,
      refreshes: this.refreshes,
      refreshesRefused: this.refreshesRefused,
      unauthorizedRequests: this.unauthorizedRequests,
    };
  }

  // ---- helpers --------------------------------------------------------------------------------

  private requireSubscriber(id: number): SubscriberRecord {
    const subscriber = this.subscribers.get(id);
    if (!subscriber) throw new HttpError(400, `Subscriber ${id} does not exist`, 'ERROR_BAD_REQUEST');
    return subscriber;
  }

  /** The work order a write is about; the write routes answer an unknown one 400 with code 502 (reference). */
  private requireWorkOrder(id: number): WorkOrderRecord {
    const order = this.workOrders.get(id);
    if (!order) throw new HttpError(400, `Work order ${id} not found`, scErrorCode(NOT_FOUND_ERROR_CODE));
    return order;
  }

  private nextFreeId(): number {
    while (this.workOrders.has(this.nextIds.workOrder)) this.nextIds.workOrder += 1;
    return this.nextIds.workOrder;
  }

  /** Moves UpdatedDate to now, strictly later than before (so every change has its own UpdatedDate). */
  private touch(order: WorkOrderRecord): void {
    order.updatedMs = Math.max(this.now(), order.updatedMs + 1);
  }

  private note(textValue: string, mailedTo: string | null, createdBy: string, visibility = 0, byProvider = true): NoteRecord {
    return { Id: this.nextIds.note++, NoteData: textValue, MailedTo: mailedTo?.trim() ? mailedTo.trim() : null, Visibility: visibility, CreatedBy: createdBy, DateCreated: new Date(this.now()).toISOString(), ByProvider: byProvider };
  }

  private announce(type: WorkOrderEventType, order: WorkOrderRecord, notify: boolean, notes: NoteRecord[] = []): void {
    if (!notify) return;
    this.onEvent({ EventType: type, Object: this.eventView(order, notes) });
  }

  private announceCheckIn(type: 'WorkOrderCheckIn' | 'WorkOrderCheckOut', order: WorkOrderRecord, record: CheckInRecord): void {
    if (!this.webhookOnApiChanges) return;
    this.onEvent({ EventType: type, Object: this.checkInEventView(order, record, type === 'WorkOrderCheckIn' ? 'CheckIn' : 'CheckOut') });
  }
}

/** The code field of an HttpError that the simulator answers as `{ErrorCodes: [n], ErrorCode: n, ErrorMessage}`. */
export function scErrorCode(code: number): string {
  return `SC_${code}`;
}

/** The API leaves null fields out (the reference's models declare no nullable field). */
export function dropNulls<T extends Record<string, unknown>>(obj: T): ApiObject {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined));
}

/** Check-out PrimaryStatus -> the work order's primary status (NoStatusChange and the others leave it). */
const CHECK_OUT_STATUS_MOVES: Partial<Record<(typeof CHECK_OUT_PRIMARY_STATUSES)[number], string>> = {
  InProgress: 'IN PROGRESS',
  Completed: 'COMPLETED',
  Incomplete: 'IN PROGRESS',
};

/** A location as `GET /locations/{id}` answers it (reference `Location.LocationWithTimezoneName`). */
function locationView(l: LocationRecord): ApiObject {
  return dropNulls({
    Id: l.Id,
    SubscriberId: l.SubscriberId,
    StoreId: l.StoreId,
    Name: l.Name,
    Address1: l.Address1,
    Address2: l.Address2,
    City: l.City,
    State: l.State,
    Zip: l.Zip,
    Country: l.Country,
    Phone: l.Phone,
    Email: l.Email,
    Latitude: l.Latitude,
    Longitude: l.Longitude,
  });
}

/** A note in a work order event's `Notes` (webhook reference `Note`). */
function noteEventView(note: NoteRecord): ApiObject {
  return dropNulls({ Id: note.Id, Number: note.Id, NoteData: note.NoteData, DateCreated: note.DateCreated, ActionRequired: false, CreatedBy: note.CreatedBy });
}
