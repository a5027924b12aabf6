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
  ErrorBodySchema,
  LOGIN_LIMIT_HEADER,
  PERMISSION_ERROR_CODE,
  SERVICECHANNEL_LOGIN_INTERVAL_MS,
  SERVICECHANNEL_PERMISSIONS,
  ThrottledBodySchema,
  TokenResponseSchema,
  WorkOrderListSchema,
  WorkOrderNoteListSchema,
  WorkOrderSchema,
  permissionsForStatus,
  type ServiceChannelErrorBody,
  type ServiceChannelNote,
  type ServiceChannelPermission,
  type ServiceChannelWorkOrder,
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
}

export interface NoteInput {
  note: string;
  /** E-mail recipients (sent as ServiceChannel's comma-separated MailedTo; needs `Allow to use MAIL_TO`). */
  mailedTo?: string[];
  /** Default true (Visibility 0, everyone); false sends Visibility 1 (see addNote). */
  visibleToSubscriber?: boolean;
}

export interface CheckInInput { latitude?: number; longitude?: number; time?: string /* ISO 8601, the visit's real start */; techsCount?: number }

export interface CheckOutInput { latitude?: number; longitude?: number; time?: string /* the visit's real end */; resolution?: string }

/** `Latitude`/`Longitude` of a check-in/out body, when given. */
function position(input: { latitude?: number; longitude?: number }): Record<string, number> {
  return { ...(input.latitude !== undefined ? { Latitude: input.latitude } : {}), ...(input.longitude !== undefined ? { Longitude: input.longitude } : {}) };
}

export interface ChangedSinceOptions {
  /** Only this subscriber's work orders. */
  subscriberId?: number;
  /** Rows per request; default 100. */
  pageSize?: number;
}

/** Where the next page of the changed-since list starts (keyset paging: a lower bound and rows to skip at it). */
export interface ChangedSinceCursor {
  from: string;
  skip: number;
}

export interface ChangedSincePage {
  /** This page's rows, oldest change first. */
  workOrders: ServiceChannelWorkOrder[];
  /** The next page's cursor; null when this page was the last. */
  next: ChangedSinceCursor | null;
}

/** A note of a work order; `fromProvider`: written through the provider API (our own notes), not by the subscriber. */
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

/** Forget every cached token of this process (tests). */
export function resetServiceChannelTokenCache(): void {
  tokenSlots.clear();
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

  /** The work order; PermanentError(SourceRecordNotFound) naming `work order <id>` when ServiceChannel has none. */
  async getWorkOrder(id: number): Promise<ServiceChannelWorkOrder> {
    return this.guard(() => this.getWorkOrderAs(id, { what: `work order ${id}`, workOrderId: id }));
  }

  /** `PUT /workorders/{id}/status {Status: {Primary, Extended}, Note}`. */
  async updateStatus(id: number, update: StatusUpdate): Promise<void> {
    const status = update.extended ? `${update.primary} / ${update.extended}` : update.primary;
    await this.write(
      { method: 'PUT', path: `workorders/${id}/status`, json: { Status: { Primary: update.primary, Extended: update.extended ?? null }, ...(update.note !== undefined ? { Note: update.note } : {}) } },
      { what: `status update of work order ${id} to ${status}`, workOrderId: id, permissions: permissionsForStatus(update.primary, update.extended) },
    );
  }

  /**
   * `POST /workorders/{id}/notes {Note, MailedTo?, Visibility}` *(assumed route and body; see
   * schemas.NoteBodySchema)*. Needs `Note Creation`, and `Allow to use MAIL_TO` when mailedTo is given.
   * ServiceChannel has no provider-only visibility: visibleToSubscriber false sends Visibility 1 (not
   * visible to an external subscriber); otherwise 0 (everyone).
   */
  async addNote(id: number, input: NoteInput): Promise<void> {
    const mailedTo = input.mailedTo?.filter((a) => a.trim() !== '') ?? [];
    const permissions: ServiceChannelPermission[] = ['Note Creation'];
    if (mailedTo.length > 0) permissions.push('Allow to use MAIL_TO');
    await this.write(
      {
        method: 'POST',
        path: `workorders/${id}/notes`,
        json: { Note: input.note, ...(mailedTo.length > 0 ? { MailedTo: mailedTo.join(',') } : {}), Visibility: input.visibleToSubscriber === false ? 1 : 0 },
      },
      { what: `note on work order ${id}`, workOrderId: id, permissions },
    );
  }

  /** `POST /workorders/{id}/universalCheckIn {CheckInTime?, TechsCount?}` *(assumed route and body)*. */
  async checkIn(id: number, input: CheckInInput = {}): Promise<void> {
    await this.write(
      { method: 'POST', path: `workorders/${id}/universalCheckIn`, json: { ...position(input), ...(input.time ? { CheckInTime: input.time } : {}), ...(input.techsCount ? { TechsCount: input.techsCount } : {}) } },
      { what: `check-in on work order ${id}${input.time ? ` at ${input.time}` : ''}`, workOrderId: id, permissions: input.time ? ['IVR Check IN/OUT'] : [] },
    );
  }

  /** `POST /workorders/{id}/universalCheckOut {CheckOutTime?, Resolution?}` *(assumed route and body)*. */
  async checkOut(id: number, input: CheckOutInput = {}): Promise<void> {
    await this.write(
      { method: 'POST', path: `workorders/${id}/universalCheckOut`, json: { ...position(input), ...(input.time ? { CheckOutTime: input.time } : {}), ...(input.resolution ? { Resolution: input.resolution } : {}) } },
      { what: `check-out on work order ${id}${input.time ? ` at ${input.time}` : ''}`, workOrderId: id, permissions: input.time ? ['IVR Check IN/OUT'] : [] },
    );
  }

  /** `PUT /workorders/{id}/scheduledate {ScheduledDate, Note?}` *(assumed body)*; needs `ScheduleDate Update`. */
  async updateScheduledDate(id: number, input: { scheduledDate: string; note?: string }): Promise<void> {
    await this.write(
      { method: 'PUT', path: `workorders/${id}/scheduledate`, json: { ScheduledDate: input.scheduledDate, ...(input.note !== undefined ? { Note: input.note } : {}) } },
      { what: `schedule date update of work order ${id}`, workOrderId: id, permissions: ['ScheduleDate Update'] },
    );
  }

  /** `PUT /workorders/{id}/nte {Nte, Note?}` *(assumed body)*; needs `NTE Update`. */
  async updateNte(id: number, input: { nte: number; note?: string }): Promise<void> {
    await this.write(
      { method: 'PUT', path: `workorders/${id}/nte`, json: { Nte: input.nte, ...(input.note !== undefined ? { Note: input.note } : {}) } },
      { what: `NTE update of work order ${id}`, workOrderId: id, permissions: ['NTE Update'] },
    );
  }

  /**
   * `GET /workorders/{id}/notes` *(assumed route and answer, like the notes POST: see
   * schemas.WorkOrderNoteSchema)*, oldest first. A note is `fromProvider` when ServiceChannel says it
   * was written through the provider API (`CreatedByProvider`), or, without that flag, when its
   * CreatedBy is this client's user. 404 -> SourceRecordNotFound naming the work order.
   */
  async listNotes(id: number): Promise<ServiceChannelWorkOrderNote[]> {
    const op: Operation = { what: `notes of work order ${id}`, workOrderId: id };
    const notes = await this.guard(async () => this.parse(await this.call({ method: 'GET', path: `workorders/${id}/notes` }, op), WorkOrderNoteListSchema, op.what, op));
    const me = this.config.username.trim().toLowerCase();
    return notes
      .map((n) => ({ ...n, fromProvider: n.CreatedByProvider ?? (n.CreatedBy?.trim().toLowerCase() === me) }))
      .sort((a, b) => Date.parse(a.DateCreated ?? '') - Date.parse(b.DateCreated ?? '') || a.Id - b.Id);
  }

  /**
   * ONE request of the changed-since list: the work orders whose UpdatedDate is at or after
   * `cursor.from` (first page: `since`, skip 0), oldest change first. Reads `GET
   * /odata/workorders?$filter=UpdatedDate ge <from>&$orderby=UpdatedDate asc,Id asc&$top=&$skip=`
   * *(assumed OData query)*. A full page gives the next cursor, moving the lower bound to the last
   * UpdatedDate read (keyset paging), so work orders that change while the list is read are not
   * skipped; a work order may then appear on two pages (its newer version later).
   */
  async listWorkOrdersChangedSincePage(since: Date, options: ChangedSinceOptions & { cursor?: ChangedSinceCursor | null } = {}): Promise<ChangedSincePage> {
    const pageSize = options.pageSize ?? 100;
    const from = options.cursor?.from ?? since.toISOString();
    const skip = options.cursor?.skip ?? 0;
    const what = `work orders changed since ${since.toISOString()}`;
    const filter = `UpdatedDate ge ${from}${options.subscriberId !== undefined ? ` and SubscriberId eq ${options.subscriberId}` : ''}`;
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
  async listWorkOrdersChangedSince(since: Date, options: ChangedSinceOptions = {}): Promise<ServiceChannelWorkOrder[]> {
    const seen = new Map<number, ServiceChannelWorkOrder>();
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
    if (isPermissionRefusal(res) || (res.status === 403 && (op.permissions?.length ?? 0) > 0)) {
      return this.permissionFailure(res, body, op);
    }
    if (res.status === 401 || res.status === 403) {
      return new PermanentError('servicechannel', PermanentErrorTypes.AuthenticationFailed, `${op.what}: ServiceChannel refused client ${this.config.clientId} / user ${this.config.username} (${res.status}: ${said})`, details);
    }
    if (res.status === 404) {
      const subject = op.workOrderId !== undefined ? `work order ${op.workOrderId}` : op.what;
      return new PermanentError('servicechannel', PermanentErrorTypes.SourceRecordNotFound, `${subject} does not exist in ServiceChannel, or this provider cannot see it (404: ${said})`, details);
    }
    if (res.status >= 400 && res.status < 500) {
      return new PermanentError('servicechannel', PermanentErrorTypes.InvalidRequest, `ServiceChannel refused the ${op.what} (${res.status}): ${said}`, details);
    }
    return new PermanentError('servicechannel', PermanentErrorTypes.InvalidResponse, `unexpected status ${res.status} for ${op.what}: ${said}`, details);
  }

  /** A permission refusal, to be completed with the subscriber by guard(). */
  private permissionFailure(res: RawHttpResponse, body: ServiceChannelErrorBody | null, op: Operation): Error {
    const named = body?.Permission && (SERVICECHANNEL_PERMISSIONS as readonly string[]).includes(body.Permission) ? body.Permission : undefined;
    const needed = op.permissions ?? [];
    const permission = named ?? (needed.length === 1 ? needed[0] : needed.length > 1 ? `one of ${needed.map((p) => `"${p}"`).join(', ')}` : undefined);
    return new PendingPermissionError(res, body, op, permission);
  }

  /** Completes a permission refusal with the subscriber (from the answer, else from the work order). */
  private async completePermissionError(err: PendingPermissionError): Promise<PermanentError> {
    const { res, body, op, permission } = err;
    let subscriberId = body?.SubscriberId;
    if (subscriberId === undefined && op.workOrderId !== undefined && op.lookUpSubscriber !== false) {
      try {
        subscriberId = (await this.getWorkOrderAs(op.workOrderId, { what: `work order ${op.workOrderId}`, workOrderId: op.workOrderId, lookUpSubscriber: false })).SubscriberId;
      } catch {
        subscriberId = undefined;
      }
    }
    const what = permission ? (permission.startsWith('one of') ? permission : `"${permission}"`) : 'a permission';
    const subscriber = subscriberId !== undefined ? `subscriber ${subscriberId}` : 'the subscriber';
    return new PermanentError(
      'servicechannel',
      PermanentErrorTypes.ProviderPermissionMissing,
      `ServiceChannel refused the ${op.what}: ${subscriber} has not granted this provider ${what}. Ask the subscriber to grant it (Provider Automation > Integration > Permissions) (${res.status}: ${describeBody(res.text)})`,
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

function errorCodesOf(body: ServiceChannelErrorBody | null): number[] {
  return (body?.ErrorCodes ?? []).map((c) => (typeof c === 'number' ? c : c.Code)).filter((c): c is number => typeof c === 'number');
}

/** A 401 or 403 whose body carries error code 504 (API call rejected by security permissions). */
function isPermissionRefusal(res: RawHttpResponse): boolean {
  if (res.status !== 401 && res.status !== 403) return false;
  const body = errorBodyOf(res.text);
  return errorCodesOf(body).includes(PERMISSION_ERROR_CODE) || body?.Permission !== undefined;
}

/** ServiceChannel's message (Message, the error codes' messages, Reason), else the body, shortened. */
function describeBody(text: string): string {
  const body = parseJson(text);
  if (body && typeof body === 'object') {
    const b = body as { Message?: unknown; Reason?: unknown; ErrorCodes?: unknown };
    const parts: string[] = [];
    if (typeof b.Message === 'string') parts.push(b.Message);
    if (typeof b.Reason === 'string') parts.push(b.Reason);
    if (Array.isArray(b.ErrorCodes)) {
      for (const c of b.ErrorCodes) {
        if (c && typeof c === 'object' && typeof (c as { Message?: unknown }).Message === 'string') parts.push((c as { Message: string }).Message);
      }
    }
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
