/**
 * Typed client for the ServiceChannel API v3 (provider side): work orders, their status, notes,
 * check-in/out, schedule date and NTE, the notes list, and the list of work orders changed since a
 * time (one page per call, or all pages).
 *
 * - Auth: OAuth 2.0 at the token endpoint (`Authorization: Basic base64(client_id:client_secret)`, form
 *   body): the password grant, then the refresh_token grant; access tokens last 600 s and are renewed
 *   a tenth of their lifetime (at most 60 s) before they expire. A refused refresh falls back to the
 *   password grant.
 * - Token requests are single-flight PER PROCESS: one module-level cache, keyed by (token URL,
 *   client id, username), is shared by every client instance, so any number of concurrent calls in a
 *   worker make one login. Logins for one key are spaced by at least ServiceChannel's one-per-5-s
 *   limit; if the limit answers anyway (429 or 503 with `Error-Message: Rejected by security reason:
 *   Login attempts limit exceed.`), the next login waits its Retry-After (or 5 s); callers waiting
 *   meanwhile share that one wait, so there is no login storm.
 * - 429 and 503 -> TransientError with `retryAfterMs` from Retry-After (the activity's
 *   nextRetryDelay), ServiceChannel's `Reason` in the message. 401 -> a new token (refresh, else
 *   login) and the call once more; a second 401 -> AuthenticationFailed. A refusal by the subscriber's
 *   permissions (403, or an answer with error code 504 "API call rejected by security permissions"
 *   *(assumed signal)*) -> ProviderPermissionMissing naming the permission (seed 003's name) and the
 *   subscriber. 404 -> SourceRecordNotFound naming the work order; 400 and other 4xx -> InvalidRequest
 *   with ServiceChannel's message. Network errors, timeouts, 5xx -> HttpClient's TransientErrors.
 *
 * Secrets, passwords and tokens are never logged, nor put in error messages.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { PermanentError, PermanentErrorTypes, TransientError } from '../../common/errors';
import { HttpClient, parseResponse, parseRetryAfter, type RawHttpResponse, type RawRequestOptions } from '../../common/http';
import {
  CheckInActivityListSchema,
  ErrorBodySchema,
  LOCATION_NOT_FOUND_ERROR_CODE,
  LOGIN_LIMIT_HEADER,
  LocationSchema,
  NOT_FOUND_ERROR_CODE,
  NOTES_PAGE_SIZE,
  ODATA_MAX_LOOKBACK_DAYS,
  ODATA_PAGE_SIZE,
  PERMISSION_ERROR_CODE,
  SERVICECHANNEL_LOGIN_INTERVAL_MS,
  ThrottledBodySchema,
  TokenResponseSchema,
  WORK_TYPE_REPAIR,
  WorkOrderListSchema,
  WorkOrderNoteListSchema,
  WorkOrderSchema,
  isMarkedNote,
  isServiceChannelErrorBody,
  locationHasAddress,
  markNote,
  permissionsForStatus,
  type CheckOutPrimaryStatus,
  type ServiceChannelCheckInActivity,
  type ServiceChannelErrorBody,
  type ServiceChannelLocation,
  type ServiceChannelNote,
  type ServiceChannelPermission,
  type ServiceChannelWorkOrder,
  type ServiceChannelWorkOrderListRow,
} from './schemas';

export interface ServiceChannelClientConfig {
  /** e.g. https://sb2api.servicechannel.com/v3 (sandbox) or https://api.servicechannel.com/v3 */
  apiBaseUrl: string;
  /** e.g. https://sb2login.servicechannel.com/oauth/token */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  /** Deadline of one request. */
  timeoutMs: number;
  /** Least time between two logins (password grants) of one user; default 5000, ServiceChannel's limit. */
  loginIntervalMs?: number;
  /** Longest a call waits in-process for the login limit before failing transiently instead; default 15000. */
  maxLoginWaitMs?: number;
}

export interface StatusUpdate {
  primary: string;
  extended?: string | null;
  note?: string;
  /** The note's key (markNote): the note ends with `[FieldBridge <key>]`, so it is found again by it. */
  noteKey?: string;
}

export interface NoteInput {
  note: string;
  /** E-mail recipients (sent as ServiceChannel's comma-separated MailedTo; needs `Allow to use MAIL_TO`). */
  mailedTo?: string[];
  /** Default true (Visibility 0, everyone); false sends Visibility 1 (see addNote). */
  visibleToSubscriber?: boolean;
  /** The note's key (markNote): the note ends with `[FieldBridge <key>]`, so it is found again by it. */
  key?: string;
}

/**
 * A check-in (reference `CheckInRequest`). ServiceChannel requires the technician's position
 * (Latitude/Longitude) for a Repair check-in unless the subscriber granted the XML check-in/out
 * permission (`IVR Check IN/OUT`), which is also what lets the caller give the time.
 */
export interface CheckInInput {
  latitude?: number;
  longitude?: number;
  /** ISO 8601, the visit's real start (sent as CheckInTime; needs `IVR Check IN/OUT`). */
  time?: string;
  techsCount?: number;
  /** WorkTypeId: 1 Repair (default), 2 Travel. */
  workTypeId?: number;
}

/** A check-out (reference `CheckOutRequest`); same position and time rules as the check-in. */
export interface CheckOutInput {
  latitude?: number;
  longitude?: number;
  /** ISO 8601, the visit's real end (sent as CheckOutTime; needs `IVR Check IN/OUT`). */
  time?: string;
  /** What was done (Resolution). */
  resolution?: string;
  /** PrimaryStatus set on the work order at check-out (ServiceChannel's default: NoStatusChange). */
  primaryStatus?: CheckOutPrimaryStatus;
  /** ExtendedStatus with the primary status. */
  extendedStatus?: string;
  techsCount?: number;
  /** WorkTypeId: 1 Repair (default), 2 Travel. */
  workTypeId?: number;
}

/**
 * The webhook subscription's filters (seed 003: a subscription may be limited to trades, categories
 * and statuses): the reconciliation lists only what the subscription would have announced. Empty or
 * absent: no filter on that field.
 */
export interface SubscriptionFilter {
  trades?: readonly string[];
  categories?: readonly string[];
  statuses?: readonly string[];
}

export interface ChangedSinceOptions {
  /** Only this subscriber's work orders. */
  subscriberId?: number;
  /** Rows per request; at most ODATA_PAGE_SIZE (50, ServiceChannel's page), the default. */
  pageSize?: number;
  /** The webhook subscription's filters. */
  subscription?: SubscriptionFilter;
  /** "Now", for the CallDate bound (default the clock). */
  now?: Date;
}

/** Where the next page of the changed-since list starts (keyset paging: a lower bound and rows to skip at it). */
export interface ChangedSinceCursor {
  from: string;
  skip: number;
}

export interface ChangedSincePage {
  /** This page's rows, oldest change first. */
  workOrders: ServiceChannelWorkOrderListRow[];
  /** The next page's cursor; null when this page was the last. */
  next: ChangedSinceCursor | null;
}

/** A note of a work order; `fromProvider`: written by FieldBridge (marked, or by its API user), not by the subscriber. */
export type ServiceChannelWorkOrderNote = ServiceChannelNote & { fromProvider: boolean };

interface CachedToken {
  access: string;
  refresh: string | null;
  /** Epoch ms after which the token is renewed rather than used. */
  refreshAt: number;
}

/** The process-wide token state of one (token URL, client id, username). */
interface TokenSlot {
  token: CachedToken | null;
  pending: Promise<CachedToken> | null;
  /** When the last login (password grant) was answered with a token (epoch ms). */
  lastLoginAt: number;
  /** No login before this (set by the login limit's answer). */
  loginBlockedUntil: number;
}

const tokenSlots = new Map<string, TokenSlot>();

/**
 * Locations read with `GET /locations/{id}`, per API base URL and location id, kept for
 * LOCATION_CACHE_MS: a burst of work orders at a few stores makes one location request per store,
 * so a work order read stays (nearly always) one request, as the rate-limited task queue counts it.
 */
const locationCache = new Map<string, { location: Promise<ServiceChannelLocation>; at: number }>();
const LOCATION_CACHE_MS = 3_600_000;

/** Forget every cached token (and location) of this process (tests). */
export function resetServiceChannelTokenCache(): void {
  tokenSlots.clear();
  locationCache.clear();
}

const DEFAULT_TOKEN_LIFETIME_MS = 600_000;
const MAX_REFRESH_MARGIN_MS = 60_000;
const DEFAULT_LOGIN_LIMIT_WAIT_MS = SERVICECHANNEL_LOGIN_INTERVAL_MS;
const MAX_LOGIN_ATTEMPTS = 3;
const MAX_PAGES = 1000;

/** What a call is, for its errors: what it did, on which work order, which permissions it needs. */
interface Operation {
  what: string;
  workOrderId?: number;
  /** The permissions this call needs (seed 003's names), in the order ServiceChannel checks them. */
  permissions?: ServiceChannelPermission[];
  /** Look the subscriber up (GET the work order) when a permission refusal does not name it; default true. */
  lookUpSubscriber?: boolean;
  /** What does not exist when ServiceChannel answers "not found" (default: the work order). */
  notFound?: string;
}

class RefreshRefused extends Error {}

export class ServiceChannelClient {
  private readonly api: HttpClient;
  private readonly tokenHttp: HttpClient;
  private readonly tokenPath: string;
  private readonly slot: TokenSlot;
  private readonly log?: Logger;
  private readonly loginIntervalMs: number;
  private readonly maxLoginWaitMs: number;

  constructor(
    private readonly config: ServiceChannelClientConfig,
    logger?: Logger,
  ) {
    this.api = new HttpClient({ system: 'servicechannel', baseUrl: config.apiBaseUrl, timeoutMs: config.timeoutMs, connections: 32 });
    const tokenUrl = new URL(config.tokenUrl);
    const cut = tokenUrl.pathname.lastIndexOf('/') + 1;
    this.tokenHttp = new HttpClient({ system: 'servicechannel', baseUrl: `${tokenUrl.origin}${tokenUrl.pathname.slice(0, cut)}`, timeoutMs: config.timeoutMs, connections: 2 });
    this.tokenPath = `${tokenUrl.pathname.slice(cut)}${tokenUrl.search}`;
    const key = `${config.tokenUrl}\n${config.clientId}\n${config.username}`;
    let slot = tokenSlots.get(key);
    if (!slot) {
      slot = { token: null, pending: null, lastLoginAt: 0, loginBlockedUntil: 0 };
      tokenSlots.set(key, slot);
    }
    this.slot = slot;
    this.loginIntervalMs = config.loginIntervalMs ?? SERVICECHANNEL_LOGIN_INTERVAL_MS;
    this.maxLoginWaitMs = config.maxLoginWaitMs ?? 15_000;
    this.log = logger?.child({ system: 'servicechannel' });
  }

  /**
   * The work order (`GET /workorders/{id}`), with its location's address: when the work order's
   * `Location` carries none (ServiceChannel may send only the location's id and name, and LocationId
   * 0), the location is read with `GET /locations/{locationId}` and put in `Location`.
   * PermanentError(SourceRecordNotFound) naming `work order <id>` when ServiceChannel has none.
   */
  async getWorkOrder(id: number): Promise<ServiceChannelWorkOrder> {
    const wo = await this.guard(() => this.getWorkOrderAs(id, { what: `work order ${id}`, workOrderId: id }));
    if (locationHasAddress(wo.Location) || wo.LocationId <= 0) return wo;
    const key = `${this.config.apiBaseUrl}\n${wo.LocationId}`;
    let cached = locationCache.get(key);
    if (!cached || Date.now() - cached.at >= LOCATION_CACHE_MS) {
      // One request for every concurrent read of the same location; a failure is not kept.
      const pending = this.getLocation(wo.LocationId, id);
      cached = { location: pending, at: Date.now() };
      locationCache.set(key, cached);
      pending.catch(() => {
        if (locationCache.get(key)?.location === pending) locationCache.delete(key);
      });
    }
    const location = await cached.location;
    return { ...wo, Location: { ...(wo.Location ?? {}), ...location } };
  }

  /** `GET /locations/{locationId}`; SourceRecordNotFound naming the location (and the work order) when ServiceChannel has none. */
  async getLocation(locationId: number, workOrderId?: number): Promise<ServiceChannelLocation> {
    const what = `location ${locationId}${workOrderId !== undefined ? ` of work order ${workOrderId}` : ''}`;
    const op: Operation = { what, lookUpSubscriber: false, notFound: what };
    return this.guard(async () => this.parse(await this.call({ method: 'GET', path: `locations/${locationId}` }, op), LocationSchema, what, op));
  }

  /**
   * `PUT /workorders/{id}/status {Status: {Primary, Extended}, Note}`: Extended is required by
   * ServiceChannel and sent as an empty string when there is none. The note gets FieldBridge's mark.
   */
  async updateStatus(id: number, update: StatusUpdate): Promise<void> {
    const status = update.extended ? `${update.primary} / ${update.extended}` : update.primary;
    await this.write(
      { method: 'PUT', path: `workorders/${id}/status`, json: { Status: { Primary: update.primary, Extended: update.extended ?? '' }, ...(update.note !== undefined ? { Note: markNote(update.note, update.noteKey) } : {}) } },
      { what: `status update of work order ${id} to ${status}`, workOrderId: id, permissions: permissionsForStatus(update.primary, update.extended) },
    );
  }

  /**
   * `POST /workorders/{id}/notes {Note, MailedTo?, Visibility}`. Needs `Note Creation`, and `Allow to
   * use MAIL_TO` when mailedTo is given. ServiceChannel has no provider-only visibility:
   * visibleToSubscriber false sends Visibility 1 (not visible to an external subscriber); otherwise 0
   * (everyone). The note gets FieldBridge's mark (FIELDBRIDGE_NOTE_MARK), by which listNotes knows it.
   */
  async addNote(id: number, input: NoteInput): Promise<void> {
    const mailedTo = input.mailedTo?.filter((a) => a.trim() !== '') ?? [];
    const permissions: ServiceChannelPermission[] = ['Note Creation'];
    if (mailedTo.length > 0) permissions.push('Allow to use MAIL_TO');
    await this.write(
      {
        method: 'POST',
        path: `workorders/${id}/notes`,
        json: { Note: markNote(input.note, input.key), ...(mailedTo.length > 0 ? { MailedTo: mailedTo.join(',') } : {}), Visibility: input.visibleToSubscriber === false ? 1 : 0 },
      },
      { what: `note on work order ${id}`, workOrderId: id, permissions },
    );
  }

  /**
   * `POST /workorders/{id}/universalCheckIn` (reference `CheckInRequest`: WorkTypeId, TechsCount,
   * Latitude, Longitude, CheckInTime). Without a position, ServiceChannel refuses a Repair check-in
   * (400, code 503) unless the subscriber granted `IVR Check IN/OUT`; giving the time needs it too.
   */
  async checkIn(id: number, input: CheckInInput = {}): Promise<void> {
    const json = compact({
      WorkTypeId: input.workTypeId ?? WORK_TYPE_REPAIR,
      TechsCount: input.techsCount,
      Latitude: input.latitude,
      Longitude: input.longitude,
      CheckInTime: input.time,
    });
    await this.write(
      { method: 'POST', path: `workorders/${id}/universalCheckIn`, json },
      { what: `check-in on work order ${id}${input.time ? ` at ${input.time}` : ''}${positionText(input)}`, workOrderId: id, permissions: checkInOutPermissions(input) },
    );
  }

  /**
   * `POST /workorders/{id}/universalCheckOut` (reference `CheckOutRequest`: WorkTypeId, PrimaryStatus,
   * ExtendedStatus, Resolution, TechsCount, Latitude, Longitude, CheckOutTime); same position and time
   * rules as checkIn.
   */
  async checkOut(id: number, input: CheckOutInput = {}): Promise<void> {
    const json = compact({
      WorkTypeId: input.workTypeId ?? WORK_TYPE_REPAIR,
      PrimaryStatus: input.primaryStatus,
      ExtendedStatus: input.extendedStatus,
      Resolution: input.resolution,
      TechsCount: input.techsCount,
      Latitude: input.latitude,
      Longitude: input.longitude,
      CheckOutTime: input.time,
    });
    await this.write(
      { method: 'POST', path: `workorders/${id}/universalCheckOut`, json },
      { what: `check-out on work order ${id}${input.time ? ` at ${input.time}` : ''}${positionText(input)}`, workOrderId: id, permissions: checkInOutPermissions(input) },
    );
  }

  /** `PUT /workorders/{id}/scheduledate {Value}` (reference `ChangeWoFieldsRequest`); needs `ScheduleDate Update`. */
  async updateScheduledDate(id: number, input: { scheduledDate: string }): Promise<void> {
    await this.write(
      { method: 'PUT', path: `workorders/${id}/scheduledate`, json: { Value: input.scheduledDate } },
      { what: `schedule date update of work order ${id}`, workOrderId: id, permissions: ['ScheduleDate Update'] },
    );
  }

  /** `PUT /workorders/{id}/nte {Value}` (reference `ChangeWoNteRequest`, the amount as a string); needs `NTE Update`. */
  async updateNte(id: number, input: { nte: number }): Promise<void> {
    await this.write(
      { method: 'PUT', path: `workorders/${id}/nte`, json: { Value: String(input.nte) } },
      { what: `NTE update of work order ${id}`, workOrderId: id, permissions: ['NTE Update'] },
    );
  }

  /**
   * The work order's check-in and check-out records: `GET /odata/workorders({id})/Service.CheckInActivity()`
   * (reference `CheckInIActivity[]`: Date, Action, ...), oldest first. SourceRecordNotFound naming the
   * work order when ServiceChannel says there is none.
   */
  async getCheckInActivity(id: number): Promise<ServiceChannelCheckInActivity[]> {
    const op: Operation = { what: `check-in activity of work order ${id}`, workOrderId: id };
    const rows = await this.guard(async () =>
      this.parse(await this.call({ method: 'GET', path: `odata/workorders(${id})/Service.CheckInActivity()`, operation: 'GET odata/workorders({id})/Service.CheckInActivity()' }, op), CheckInActivityListSchema, op.what, op),
    );
    return [...rows].sort((a, b) => Date.parse(a.Date ?? '') - Date.parse(b.Date ?? '') || (a.Id ?? 0) - (b.Id ?? 0));
  }

  /**
   * Every note of the work order, oldest first: `GET /workorders/{id}/notes?paging=<page>:<size>`
   * (reference: `{Notes: [...]}`, newest first, "1:10" unless `paging` says otherwise), page after page
   * until a short page or AllNotesCount. The list has no "written by the provider" flag: a note is
   * `fromProvider` when it carries FieldBridge's mark (every note FieldBridge writes does), or when its
   * CreatedBy is this client's user. SourceRecordNotFound naming the work order when there is none.
   */
  async listNotes(id: number): Promise<ServiceChannelWorkOrderNote[]> {
    const op: Operation = { what: `notes of work order ${id}`, workOrderId: id };
    const byId = new Map<number, ServiceChannelNote>();
    for (let page = 1; page <= MAX_PAGES; page += 1) {
      const answer = await this.guard(async () =>
        this.parse(await this.call({ method: 'GET', path: `workorders/${id}/notes`, query: { paging: `${page}:${NOTES_PAGE_SIZE}` } }, op), WorkOrderNoteListSchema, `${op.what} (page ${page})`, op),
      );
      for (const note of answer.Notes) byId.set(note.Id, note);
      const total = answer.AllNotesCount ?? null;
      if (answer.Notes.length < NOTES_PAGE_SIZE || (total !== null && byId.size >= total)) break;
    }
    const me = this.config.username.trim().toLowerCase();
    return [...byId.values()]
      .map((n) => ({ ...n, fromProvider: isMarkedNote(n.NoteData) || n.CreatedBy?.trim().toLowerCase() === me }))
      .sort((a, b) => Date.parse(a.DateCreated ?? '') - Date.parse(b.DateCreated ?? '') || a.Id - b.Id);
  }

  /**
   * ONE request of the changed-since list: the work orders whose UpdatedDate is at or after
   * `cursor.from` (first page: `since`, skip 0), oldest change first. Reads `GET /odata/workorders`
   * with `$filter=UpdatedDate ge <from> and CallDate ge <now - 365 days> [and the subscription's
   * trades, categories, statuses]`, `$orderby=UpdatedDate asc,Id asc`, `$top` (at most 50, the
   * server's page) and `$skip`. The CallDate bound is needed: without it ServiceChannel lists only
   * the work orders called in the last 90 days, so an open work order older than that would never be
   * reconciled (365 days is the most it allows). A full page gives the next cursor, moving the lower
   * bound to the last UpdatedDate read (keyset paging), so work orders that change while the list is
   * read are not skipped; a work order may then appear on two pages (its newer version later).
   */
  async listWorkOrdersChangedSincePage(since: Date, options: ChangedSinceOptions & { cursor?: ChangedSinceCursor | null } = {}): Promise<ChangedSincePage> {
    const pageSize = Math.max(1, Math.min(options.pageSize ?? ODATA_PAGE_SIZE, ODATA_PAGE_SIZE));
    const from = options.cursor?.from ?? since.toISOString();
    const skip = options.cursor?.skip ?? 0;
    const what = `work orders changed since ${since.toISOString()}`;
    const calledSince = new Date((options.now ?? new Date()).getTime() - ODATA_MAX_LOOKBACK_DAYS * 86_400_000 + 60_000).toISOString();
    const filter = [
      `UpdatedDate ge ${from}`,
      `CallDate ge ${calledSince}`,
      ...(options.subscriberId !== undefined ? [`SubscriberId eq ${options.subscriberId}`] : []),
      ...subscriptionClauses(options.subscription),
    ].join(' and ');
    const res = await this.guard(() => this.call(
      { method: 'GET', path: 'odata/workorders', query: { $filter: filter, $orderby: 'UpdatedDate asc,Id asc', $top: String(pageSize), $skip: String(skip) } },
      { what },
    ));
    const rows = await this.guard(async () => this.parse(res, WorkOrderListSchema, `${what} (from ${from}, skip ${skip})`, { what }).value);
    if (rows.length < pageSize) return { workOrders: rows, next: null };
    const last = rows[rows.length - 1]!.UpdatedDate;
    if (!last || Number.isNaN(Date.parse(last))) {
      throw new PermanentError('servicechannel', PermanentErrorTypes.InvalidResponse, `${what}: work order ${rows[rows.length - 1]!.Id} has no readable UpdatedDate (${String(last)})`);
    }
    const atLast = rows.filter((r) => r.UpdatedDate !== null && Date.parse(r.UpdatedDate) === Date.parse(last)).length;
    // The whole page shares the bound: go on past it; else move the bound to the last UpdatedDate read.
    const next = Date.parse(last) === Date.parse(from) ? { from, skip: skip + rows.length } : { from: last, skip: atLast };
    return { workOrders: rows, next };
  }

  /**
   * Every work order whose UpdatedDate is at or after `since`, oldest change first, each once (its
   * latest version): `listWorkOrdersChangedSincePage` page after page, in this one call (for callers
   * outside a workflow; the reconciliation pages one activity per request).
   */
  async listWorkOrdersChangedSince(since: Date, options: ChangedSinceOptions = {}): Promise<ServiceChannelWorkOrderListRow[]> {
    const seen = new Map<number, ServiceChannelWorkOrderListRow>();
    let cursor: ChangedSinceCursor | null = null;
    for (let page = 1; ; page += 1) {
      const result: ChangedSincePage = await this.listWorkOrdersChangedSincePage(since, { ...options, cursor });
      for (const row of result.workOrders) seen.set(row.Id, row);
      if (!result.next) break;
      cursor = result.next;
      if (page >= MAX_PAGES) {
        throw new PermanentError('servicechannel', PermanentErrorTypes.InvalidResponse, `work orders changed since ${since.toISOString()}: more than ${MAX_PAGES} pages`);
      }
    }
    return [...seen.values()].sort((a, b) => Date.parse(a.UpdatedDate ?? '') - Date.parse(b.UpdatedDate ?? '') || a.Id - b.Id);
  }

  async close(): Promise<void> {
    await Promise.all([this.api.close(), this.tokenHttp.close()]);
  }

  // ---- requests -------------------------------------------------------------------------------

  private async getWorkOrderAs(id: number, op: Operation): Promise<ServiceChannelWorkOrder> {
    const res = await this.call({ method: 'GET', path: `workorders/${id}` }, op);
    return this.parse(res, WorkOrderSchema, `work order ${id}`, op);
  }

  private async write(req: { method: 'PUT' | 'POST'; path: string; json: unknown }, op: Operation): Promise<void> {
    await this.guard(async () => {
      const res = await this.call({ method: req.method, path: req.path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(req.json) }, op);
      this.parse(res, null, op.what, op);
    });
  }

  /** Runs a call; a permission refusal gets its subscriber (from the answer, else looked up) before it is thrown. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PendingPermissionError) throw await this.completePermissionError(err);
      throw err;
    }
  }

  /**
   * Send an API request with the bearer token. 401 (not a permission refusal): a new token and the
   * request once more; a second 401 is AuthenticationFailed. Every other answer is returned.
   */
  private async call(req: Omit<RawRequestOptions, 'returnStatuses'>, op: Operation): Promise<RawHttpResponse> {
    const send = (token: CachedToken) =>
      this.api.sendRaw({
        ...req,
        headers: { accept: 'application/json', ...req.headers, authorization: `Bearer ${token.access}` },
        returnStatuses: [401, 403, 429, 503],
      });
    const token = await this.accessToken();
    const first = await send(token);
    if (first.status !== 401 || isPermissionRefusal(first)) return first;
    this.dropToken(token);
    this.log?.info({ request: `${req.method} ${req.path}` }, 'ServiceChannel refused the access token (401); renewing it and retrying once');
    const fresh = await this.accessToken();
    const second = await send(fresh);
    if (second.status !== 401 || isPermissionRefusal(second)) return second;
    this.dropToken(fresh);
    throw new PermanentError(
      'servicechannel',
      PermanentErrorTypes.AuthenticationFailed,
      `${op.what}: ServiceChannel answered 401 with a freshly issued access token too: it refuses client ${this.config.clientId} / user ${this.config.username} (${describeBody(second.text)})`,
      { status: 401, workOrderId: op.workOrderId },
    );
  }

  /** A 2xx answer's body, validated (null schema: nothing to read); any other answer becomes its error. */
  private parse<S extends z.ZodType>(res: RawHttpResponse, schema: S | null, what: string, op: Operation): z.infer<S> {
    if (res.status >= 200 && res.status < 300) {
      if (schema === null) return undefined as z.infer<S>;
      return parseResponse('servicechannel', schema, parseJson(res.text), what);
    }
    throw this.failure(res, op);
  }

  /** The error for a refused call (the permission lookup aside, synchronous). */
  private failure(res: RawHttpResponse, op: Operation): Error {
    const body = errorBodyOf(res.text);
    const said = describeBody(res.text);
    const details = { status: res.status, workOrderId: op.workOrderId, errorCodes: errorCodesOf(body) };
    if (res.status === 429 || res.status === 503) {
      const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      const reason = ThrottledBodySchema.safeParse(parseJson(res.text));
      const text = reason.success ? reason.data.Reason : said;
      return new TransientError(
        'servicechannel',
        `${op.what}: ServiceChannel answered ${res.status}: ${text}${retryAfterMs !== undefined ? ` (retry after ${retryAfterMs / 1000} s)` : ''}`,
        { status: res.status, retryAfterMs, outcome: 'not-processed' },
      );
    }
    if (isPermissionRefusal(res)) {
      return this.permissionFailure(res, body, op);
    }
    if (res.status === 401 || res.status === 403) {
      return new PermanentError('servicechannel', PermanentErrorTypes.AuthenticationFailed, `${op.what}: ServiceChannel refused client ${this.config.clientId} / user ${this.config.username} (${res.status}: ${said})`, details);
    }
    const codes = errorCodesOf(body);
    if (res.status === 404 && !isServiceChannelErrorBody(body)) {
      // Not ServiceChannel's word that the record is gone: a wrong base URL, a gateway, a proxy's page.
      const url = res.url ?? `${this.config.apiBaseUrl}/...`;
      this.log?.warn({ url, status: 404, workOrderId: op.workOrderId, body: said }, 'ServiceChannel: a 404 without ServiceChannel\'s error body; not taken as "not found", retried');
      return new TransientError(
        'servicechannel',
        `${op.what}: ${url} answered 404 without ServiceChannel's error body (ErrorCodes/ErrorCode/ErrorMessage): not ServiceChannel's answer (a wrong base URL, a gateway or a proxy?), so not taken as "does not exist" (${said})`,
        { status: 404, outcome: 'unknown' },
      );
    }
    if (res.status === 404 || (res.status === 400 && (codes.includes(NOT_FOUND_ERROR_CODE) || codes.includes(LOCATION_NOT_FOUND_ERROR_CODE)))) {
      const subject = op.notFound ?? (op.workOrderId !== undefined ? `work order ${op.workOrderId}` : op.what);
      return new PermanentError('servicechannel', PermanentErrorTypes.SourceRecordNotFound, `${subject} does not exist in ServiceChannel, or this provider cannot see it (${res.status}: ${said})`, details);
    }
    if (res.status >= 400 && res.status < 500) {
      return new PermanentError('servicechannel', PermanentErrorTypes.InvalidRequest, `ServiceChannel refused the ${op.what} (${res.status}): ${said}`, details);
    }
    return new PermanentError('servicechannel', PermanentErrorTypes.InvalidResponse, `unexpected status ${res.status} for ${op.what}: ${said}`, details);
  }

  /** A permission refusal, to be completed with the subscriber by guard(). */
  private permissionFailure(res: RawHttpResponse, body: ServiceChannelErrorBody | null, op: Operation): Error {
    // ServiceChannel's refusal names no permission: the call's own (seed 003's names) do.
    const needed = op.permissions ?? [];
    const permission = needed.length === 1 ? needed[0] : needed.length > 1 ? `one of ${needed.map((p) => `"${p}"`).join(', ')}` : undefined;
    return new PendingPermissionError(res, body, op, permission);
  }

  /** Completes a permission refusal with the subscriber (from the answer, else from the work order). */
  private async completePermissionError(err: PendingPermissionError): Promise<PermanentError> {
    const { res, body, op, permission } = err;
    let subscriberId: number | undefined;
    if (op.workOrderId !== undefined && op.lookUpSubscriber !== false) {
      try {
        subscriberId = (await this.getWorkOrderAs(op.workOrderId, { what: `work order ${op.workOrderId}`, workOrderId: op.workOrderId, lookUpSubscriber: false })).SubscriberId;
      } catch {
        subscriberId = undefined;
      }
    }
    const what = permission ? (permission.startsWith('one of') ? permission : `"${permission}"`) : 'the permission this call needs';
    const subscriber = subscriberId !== undefined ? `subscriber ${subscriberId}` : 'the subscriber';
    return new PermanentError(
      'servicechannel',
      PermanentErrorTypes.ProviderPermissionMissing,
      `ServiceChannel refused the ${op.what}: ${subscriber} has not granted this provider ${what}${permission ? ' (or "Incoming XML Active", the switch of all provider permissions)' : ''}. Ask the subscriber to grant it (Provider Automation > Integration > Permissions) (${res.status}: ${describeBody(res.text)})`,
      { status: res.status, permission: permission ?? null, subscriberId: subscriberId ?? null, workOrderId: op.workOrderId, errorCodes: errorCodesOf(body) },
    );
  }

  // ---- token ----------------------------------------------------------------------------------

  /** The cached token while fresh, else the one being obtained (by any instance), else a new one. */
  private accessToken(): Promise<CachedToken> {
    const slot = this.slot;
    if (slot.token && Date.now() < slot.token.refreshAt) return Promise.resolve(slot.token);
    if (!slot.pending) {
      slot.pending = this.obtainToken().finally(() => {
        slot.pending = null;
      });
    }
    return slot.pending;
  }

  /** Forget `token` (it was refused), unless a newer one has replaced it; its refresh token stays usable. */
  private dropToken(token: CachedToken): void {
    if (this.slot.token === token) this.slot.token = { ...token, refreshAt: 0 };
  }

  /** Renew with the refresh token when there is one; a refused refresh falls back to the password grant. */
  private async obtainToken(): Promise<CachedToken> {
    const refresh = this.slot.token?.refresh;
    if (refresh) {
      try {
        return this.keep(await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refresh }, 'refresh'));
      } catch (err) {
        if (!(err instanceof RefreshRefused)) throw err;
        this.slot.token = null;
        this.log?.info({ clientId: this.config.clientId, username: this.config.username }, 'ServiceChannel refused the refresh token; logging in again (password grant)');
      }
    }
    return this.keep(await this.login());
  }

  private keep(token: CachedToken): CachedToken {
    this.slot.token = token;
    return token;
  }

  /** The password grant, spaced by the login interval; the login limit's answer makes it wait and try again. */
  private async login(): Promise<CachedToken> {
    const slot = this.slot;
    for (let attempt = 1; ; attempt += 1) {
      const wait = Math.max(slot.lastLoginAt + this.loginIntervalMs, slot.loginBlockedUntil) - Date.now();
      if (wait > this.maxLoginWaitMs) {
        throw new TransientError('servicechannel', `login of user ${this.config.username} must wait ${Math.ceil(wait / 1000)} s for ServiceChannel's login limit`, {
          retryAfterMs: wait,
          outcome: 'not-processed',
        });
      }
      if (wait > 0) await sleep(wait);
      try {
        const token = await this.tokenRequest({ grant_type: 'password', username: this.config.username, password: this.config.password }, 'login');
        // ServiceChannel counts the login when it arrives, somewhere before its answer: space the next from the answer.
        slot.lastLoginAt = Date.now();
        return token;
      } catch (err) {
        if (!(err instanceof LoginLimited)) throw err;
        slot.loginBlockedUntil = Date.now() + (err.retryAfterMs ?? DEFAULT_LOGIN_LIMIT_WAIT_MS);
        this.log?.warn({ username: this.config.username, attempt, waitMs: slot.loginBlockedUntil - Date.now() }, 'ServiceChannel login limit hit; waiting before the next login');
        if (attempt >= MAX_LOGIN_ATTEMPTS) {
          throw new TransientError('servicechannel', `login of user ${this.config.username}: ${err.message}`, {
            status: err.status,
            retryAfterMs: slot.loginBlockedUntil - Date.now(),
            outcome: 'not-processed',
          });
        }
      }
    }
  }

  private async tokenRequest(form: Record<string, string>, kind: 'login' | 'refresh'): Promise<CachedToken> {
    const requestedAt = Date.now();
    const basic = Buffer.from(`${this.config.clientId}:${this.config.clientSecret}`, 'utf8').toString('base64');
    const res = await this.tokenHttp.sendRaw({
      method: 'POST',
      path: this.tokenPath,
      operation: 'POST oauth/token',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      returnStatuses: [400, 401, 403, 429, 503],
    });
    const who = `client ${this.config.clientId} / user ${this.config.username}`;
    if (res.status === 429 || res.status === 503) {
      const limit = res.headers[LOGIN_LIMIT_HEADER];
      const message = (Array.isArray(limit) ? limit[0] : limit) ?? describeBody(res.text);
      const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      if (kind === 'login') throw new LoginLimited(`token endpoint answered ${res.status}: ${message}`, res.status, retryAfterMs);
      throw new TransientError('servicechannel', `token refresh for ${who}: token endpoint answered ${res.status}: ${message}`, { status: res.status, retryAfterMs, outcome: 'not-processed' });
    }
    if (res.status < 200 || res.status >= 300) {
      if (kind === 'refresh' && res.status >= 400 && res.status < 500) throw new RefreshRefused(`refresh refused (${res.status})`);
      throw new PermanentError(
        'servicechannel',
        res.status >= 400 && res.status < 500 ? PermanentErrorTypes.AuthenticationFailed : PermanentErrorTypes.InvalidResponse,
        `ServiceChannel refused a token for ${who} (${res.status}): ${describeOAuthError(res.text)}`,
        { status: res.status },
      );
    }
    const answer = parseResponse('servicechannel', TokenResponseSchema, parseJson(res.text), 'token answer');
    const lifetimeMs = answer.expires_in !== undefined ? answer.expires_in * 1000 : DEFAULT_TOKEN_LIFETIME_MS;
    this.log?.debug({ grant: kind === 'login' ? 'password' : 'refresh_token', lifetimeSeconds: Math.round(lifetimeMs / 1000) }, 'ServiceChannel access token obtained');
    return {
      access: answer.access_token,
      refresh: answer.refresh_token ?? (kind === 'refresh' ? (this.slot.token?.refresh ?? null) : null),
      refreshAt: requestedAt + lifetimeMs - Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 10),
    };
  }
}

class LoginLimited extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

/** A permission refusal whose subscriber may still have to be looked up (guard() completes it). */
class PendingPermissionError extends Error {
  constructor(
    readonly res: RawHttpResponse,
    readonly body: ServiceChannelErrorBody | null,
    readonly op: Operation,
    readonly permission: string | undefined,
  ) {
    super('permission refused');
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorBodyOf(text: string): ServiceChannelErrorBody | null {
  const parsed = ErrorBodySchema.safeParse(parseJson(text));
  return parsed.success ? parsed.data : null;
}

/** The in-body error codes (`ErrorCodes` and `ErrorCode`), as numbers (a numeric string counts). */
function errorCodesOf(body: ServiceChannelErrorBody | null): number[] {
  const all = [...(body?.ErrorCodes ?? []), ...(body?.ErrorCode !== undefined && body?.ErrorCode !== null ? [body.ErrorCode] : [])];
  return [...new Set(all.map((c) => (typeof c === 'number' ? c : /^\d+$/.test(c.trim()) ? Number(c) : Number.NaN)).filter((c) => !Number.isNaN(c)))];
}

/**
 * A refusal by the subscriber's permissions: HTTP 401 with error code 504 ("API call rejected by
 * security permissions"), not a bad token (which is a 401 without it). A 403 is read the same way.
 */
function isPermissionRefusal(res: RawHttpResponse): boolean {
  if (res.status !== 401 && res.status !== 403) return false;
  return errorCodesOf(errorBodyOf(res.text)).includes(PERMISSION_ERROR_CODE);
}

/** ServiceChannel's message (Message, the error codes' messages, Reason), else the body, shortened. */
function describeBody(text: string): string {
  const body = parseJson(text);
  if (body && typeof body === 'object') {
    const b = body as { Message?: unknown; Reason?: unknown; ErrorCodes?: unknown; ErrorCode?: unknown; ErrorMessage?: unknown };
    const parts: string[] = [];
    if (typeof b.ErrorMessage === 'string') parts.push(`${b.ErrorMessage}${b.ErrorCode !== undefined && b.ErrorCode !== null ? ` (code ${String(b.ErrorCode)})` : ''}`);
    if (typeof b.Message === 'string') parts.push(b.Message);
    if (typeof b.Reason === 'string') parts.push(b.Reason);
    if (parts.length > 0) return shorten(parts.join('; '));
  }
  return shorten(typeof body === 'string' ? body : JSON.stringify(body ?? ''));
}

function describeOAuthError(text: string): string {
  const body = parseJson(text) as { error?: unknown; error_description?: unknown } | string | undefined;
  if (body && typeof body === 'object' && typeof body.error === 'string') {
    return typeof body.error_description === 'string' ? `${body.error}: ${body.error_description}` : body.error;
  }
  return describeBody(text);
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine || '(empty body)';
}

/** Drop undefined properties of a request body. */
function compact<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The permission a check-in/out may need: `IVR Check IN/OUT` (the XML check-in/out permission) when
 * it gives the time, or when a Repair one comes without the technician's position.
 */
function checkInOutPermissions(input: { latitude?: number; longitude?: number; time?: string; workTypeId?: number }): ServiceChannelPermission[] {
  const positionMissing = (input.workTypeId ?? WORK_TYPE_REPAIR) === WORK_TYPE_REPAIR && (input.latitude === undefined || input.longitude === undefined);
  return input.time || positionMissing ? ['IVR Check IN/OUT'] : [];
}

function positionText(input: { latitude?: number; longitude?: number }): string {
  return input.latitude !== undefined && input.longitude !== undefined ? ` (position ${input.latitude},${input.longitude})` : ' (no position)';
}

/** An OData string literal (single quotes doubled). */
function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The subscription's filters as `$filter` clauses: `(Trade eq 'A' or Trade eq 'B')`, and the same for Category and Status/Primary. */
function subscriptionClauses(subscription: SubscriptionFilter | undefined): string[] {
  const clauses: string[] = [];
  const any = (field: string, values: readonly string[] | undefined) => {
    const list = (values ?? []).map((v) => v.trim()).filter((v) => v !== '');
    if (list.length > 0) clauses.push(`(${list.map((v) => `${field} eq ${odataString(v)}`).join(' or ')})`);
  };
  any('Trade', subscription?.trades);
  any('Category', subscription?.categories);
  any('Status/Primary', subscription?.statuses);
  return clauses;
}
