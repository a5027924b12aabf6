/**
 * Typed client for ServicePower ServiceMobility's Work Order REST API (seed 004, API-NOTES sections 5
 * and 7): `GET|PUT|POST|PATCH|DELETE {baseUrl}/WorkOrder/{WorkOrderNum}` with `x-access-token: <JWT>`.
 *
 * The JWT (MOB3 "Create JWT REST API"): `POST /createjwt {username, password}` answers `{token}`;
 * the token carries `exp` (seconds since the epoch; MOB3 "Authentication REST API Interface"). It is
 * cached per (token URL, user) for the whole process and renewed single-flight (one createjwt at a
 * time, every caller waits for it) a minute before `exp`; a WorkOrder call answered 401 drops the
 * token and is sent once more with a new one. createjwt's 401 ("Invalid Logon") is
 * PermanentError(AuthenticationFailed) naming the user; its 5xx are transient.
 *
 * Classification (MOB3 "_REST Response Codes"; replies are `{code, detail: {message, params,
 * dataPath}}` or the "Standard Response Object" `{type, title, status, detail, invalidParams:
 * [{name, reason, path, value}]}`, both read):
 * - 400, 405: PermanentError(InvalidRequest) quoting ServicePower's message (and dataPath / path).
 * - 401 (and 403) after a renewed token: PermanentError(AuthenticationFailed).
 * - 404 ("Not Found. The URL is incorrect"): PermanentError(InvalidRequest) naming the URL: the base
 *   URL is wrong, not the work order.
 * - 409: PermanentError(TargetConflict): the write conflicts with the work order's state
 *   (details: workOrderNum, method, message, dataPath, params).
 * - 410 ("The specified object does not exists"): GET answers null; DELETE is success with
 *   `alreadyGone: true`; POST / PATCH PermanentError(TargetGone) saying the work order does not exist.
 * - 408/429/5xx, timeouts, network failures: TransientError (HttpClient's).
 * - Any other status: PermanentError(InvalidResponse).
 * Warnings inside a 2xx reply are returned and logged (warn) with the work order number.
 * The password and the token are never logged nor put in an error.
 */
import type { Logger } from 'pino';
import { PermanentError, PermanentErrorTypes } from '../../common/errors';
import { HttpClient, parseResponse, type RawHttpResponse } from '../../common/http';
import {
  CreateJwtResponseSchema,
  ResponseBodySchema,
  StandardResponseSchema,
  WorkOrderSchema,
  type ServicePowerResponseDetail,
  type ServicePowerWorkOrder,
  type ServicePowerWorkOrderInput,
  type ServicePowerWorkOrderPatch,
} from './schemas';

export interface ServicePowerClientConfig {
  /** The transaction API base, e.g. https://<host>/seiapi/v3/trans */
  baseUrl: string;
  /** The Create JWT REST API; default `/createjwt` on the base URL's host. */
  tokenUrl?: string;
  /** The ServiceMobility user the JWT is created for. */
  username: string;
  password: string;
  /** Deadline of one request. */
  timeoutMs: number;
}

/** `/createjwt` on the host of the work order API (MOB3 documents the path `POST /createjwt`, no base). */
export function defaultTokenUrl(baseUrl: string): string {
  return new URL('/createjwt', baseUrl).toString();
}

interface CachedJwt {
  token: string;
  /** Epoch ms of the `exp` claim. */
  expiresAt: number;
  /** Epoch ms after which the token is renewed rather than used. */
  refreshAt: number;
}

/** The process-wide JWT of one (token URL, user). */
interface JwtSlot {
  jwt: CachedJwt | null;
  pending: Promise<CachedJwt> | null;
}

const jwtSlots = new Map<string, JwtSlot>();

/** Forget every cached ServicePower JWT of this process (tests). */
export function resetServicePowerTokenCache(): void {
  jwtSlots.clear();
}

/** Renew this long before `exp` (at most half the token's life). */
const REFRESH_MARGIN_MS = 60_000;

/** The `exp` claim of a JWT (epoch seconds), or undefined when the token carries none. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

export interface WriteResult {
  warnings: string[];
}

export interface PutResult extends WriteResult {
  /** true: 201, the work order was inserted; false: 200, it was updated. */
  created: boolean;
  /** The Location header of a 201. */
  location?: string;
}

/** Statuses the client reads itself (everything else is HttpClient's classification). */
const HANDLED = [200, 201, 204, 400, 401, 403, 404, 405, 409, 410] as const;

export type Method = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export class ServicePowerClient {
  private readonly http: HttpClient;
  private readonly tokenHttp: HttpClient;
  private readonly tokenPath: string;
  private readonly tokenUrl: string;
  private readonly slot: JwtSlot;
  private readonly log?: Logger;

  constructor(
    private readonly config: ServicePowerClientConfig,
    logger?: Logger,
  ) {
    this.http = new HttpClient({ system: 'servicepower', baseUrl: config.baseUrl, timeoutMs: config.timeoutMs });
    this.tokenUrl = config.tokenUrl ?? defaultTokenUrl(config.baseUrl);
    const url = new URL(this.tokenUrl);
    const cut = url.pathname.lastIndexOf('/') + 1;
    this.tokenHttp = new HttpClient({ system: 'servicepower', baseUrl: `${url.origin}${url.pathname.slice(0, cut)}`, timeoutMs: config.timeoutMs, connections: 2 });
    this.tokenPath = `${url.pathname.slice(cut)}${url.search}`;
    const key = `${this.tokenUrl}\n${config.username}`;
    let slot = jwtSlots.get(key);
    if (!slot) {
      slot = { jwt: null, pending: null };
      jwtSlots.set(key, slot);
    }
    this.slot = slot;
    this.log = logger?.child({ system: 'servicepower' });
  }

  /** The work order, or null when ServicePower says it does not exist (410). */
  async getWorkOrder(num: string): Promise<ServicePowerWorkOrder | null> {
    const res = await this.request('GET', num);
    if (res.status === 410) return null;
    this.refuseUnlessOk(res, 'GET', num);
    return parseResponse('servicepower', WorkOrderSchema, parseBody(res.text), `work order ${num}`);
  }

  /** Insert or update (PUT): `created` on a 201. */
  async putWorkOrder(num: string, wo: ServicePowerWorkOrderInput): Promise<PutResult> {
    const res = await this.request('PUT', num, wo);
    this.refuseUnlessOk(res, 'PUT', num);
    const location = headerValue(res.headers.location);
    return { created: res.status === 201, warnings: this.warningsOf(res, 'PUT', num), ...(location ? { location } : {}) };
  }

  /** Update an existing work order with the whole object (POST); TargetGone when it does not exist (410). */
  async postWorkOrder(num: string, wo: ServicePowerWorkOrderInput): Promise<WriteResult> {
    const res = await this.request('POST', num, wo);
    this.refuseUnlessOk(res, 'POST', num);
    return { warnings: this.warningsOf(res, 'POST', num) };
  }

  /** Update only what the PATCH document says (see ./patch); TargetGone when it does not exist (410). */
  async patchWorkOrder(num: string, patch: ServicePowerWorkOrderPatch): Promise<WriteResult> {
    const res = await this.request('PATCH', num, patch);
    this.refuseUnlessOk(res, 'PATCH', num);
    return { warnings: this.warningsOf(res, 'PATCH', num) };
  }

  /** Delete (takes it off the mobile worker); a work order that does not exist (410) is `alreadyGone`. */
  async deleteWorkOrder(num: string): Promise<{ alreadyGone: boolean; warnings: string[] }> {
    const res = await this.request('DELETE', num);
    if (res.status === 410) {
      this.log?.info({ workOrderNum: num }, 'ServicePower work order does not exist (410): nothing to delete');
      return { alreadyGone: true, warnings: [] };
    }
    this.refuseUnlessOk(res, 'DELETE', num);
    return { alreadyGone: false, warnings: this.warningsOf(res, 'DELETE', num) };
  }

  close(): Promise<void> {
    return Promise.all([this.http.close(), this.tokenHttp.close()]).then(() => undefined);
  }

  // ---- internals ------------------------------------------------------------------------------

  /** The request with the current JWT; a 401/403 drops it and sends the request once more with a new one. */
  private async request(method: Method, num: string, body?: unknown): Promise<RawHttpResponse> {
    if (num.trim() === '') {
      throw new PermanentError('servicepower', PermanentErrorTypes.InvalidRequest, `${method} WorkOrder: the work order number is empty`);
    }
    const rendered = this.renderRequest(method, num, body);
    for (let attempt = 1; ; attempt += 1) {
      const jwt = await this.accessToken();
      const res = await this.http.sendRaw({ ...rendered, headers: { ...rendered.headers, 'x-access-token': jwt.token }, returnStatuses: HANDLED });
      if (res.status !== 401 && res.status !== 403) return res;
      this.dropToken(jwt);
      if (attempt >= 2) {
        throw new PermanentError(
          'servicepower',
          PermanentErrorTypes.AuthenticationFailed,
          `ServicePower refused the JWT of user ${this.config.username} for ${method} work order ${num} (${res.status}: ${describeReply(res.text)}), also a freshly created one`,
          { status: res.status, workOrderNum: num, method },
        );
      }
      this.log?.info({ workOrderNum: num, method, status: res.status }, 'ServicePower refused the JWT; creating a new one');
    }
  }

  /**
   * The request a work order call sends (path under the base URL, headers, JSON text), without
   * sending it: shared with request(), so `fieldbridge preview` prints exactly what a sync sends
   * (the x-access-token header is added when sent).
   */
  renderRequest(method: Method, num: string, body?: unknown): { method: Method; path: string; operation: string; headers: Record<string, string>; body: string | undefined } {
    return {
      method,
      path: `WorkOrder/${encodeURIComponent(num)}`,
      operation: `${method} WorkOrder/{WorkOrderNum}`,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    };
  }

  /** The createjwt request (the Authentication Object), without sending it (the contract tests read it). */
  renderTokenRequest(): { method: 'POST'; url: string; headers: Record<string, string>; body: string } {
    return {
      method: 'POST',
      url: this.tokenUrl,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username: this.config.username, password: this.config.password }),
    };
  }

  /** The cached JWT while fresh, else the one being created (by any instance), else a new one. */
  private accessToken(): Promise<CachedJwt> {
    const slot = this.slot;
    if (slot.jwt && Date.now() < slot.jwt.refreshAt) return Promise.resolve(slot.jwt);
    if (!slot.pending) {
      slot.pending = this.createJwt().finally(() => {
        slot.pending = null;
      });
    }
    return slot.pending;
  }

  /** Forget `jwt` (it was refused), unless a newer one has replaced it. */
  private dropToken(jwt: CachedJwt): void {
    if (this.slot.jwt === jwt) this.slot.jwt = null;
  }

  /** `POST /createjwt {username, password}` -> `{token}`, its `exp` read from the token. */
  private async createJwt(): Promise<CachedJwt> {
    const rendered = this.renderTokenRequest();
    const res = await this.tokenHttp.sendRaw({ method: 'POST', path: this.tokenPath, operation: 'POST createjwt', headers: rendered.headers, body: rendered.body, returnStatuses: [400, 401, 403, 404, 405] });
    const who = `user ${this.config.username}`;
    if (res.status === 401 || res.status === 403) {
      throw new PermanentError('servicepower', PermanentErrorTypes.AuthenticationFailed, `ServicePower refused the login of ${who} (createjwt ${res.status}: ${describeReply(res.text)})`, { status: res.status });
    }
    if (res.status < 200 || res.status >= 300) {
      throw new PermanentError('servicepower', PermanentErrorTypes.InvalidRequest, `ServicePower's createjwt (${this.tokenUrl}) answered ${res.status} for ${who}: ${describeReply(res.text)}`, { status: res.status });
    }
    const { token } = parseResponse('servicepower', CreateJwtResponseSchema, parseBody(res.text), `createjwt answer for ${who}`);
    const exp = jwtExpiry(token);
    if (exp === undefined) {
      throw new PermanentError('servicepower', PermanentErrorTypes.InvalidResponse, `ServicePower's createjwt answered a token without a readable exp claim for ${who}: FieldBridge cannot tell when to renew it`);
    }
    const now = Date.now();
    const expiresAt = exp * 1000;
    const life = Math.max(0, expiresAt - now);
    const jwt: CachedJwt = { token, expiresAt, refreshAt: expiresAt - Math.min(REFRESH_MARGIN_MS, life / 2) };
    this.slot.jwt = jwt;
    this.log?.info({ username: this.config.username, expiresAt: new Date(expiresAt).toISOString() }, 'ServicePower JWT created');
    return jwt;
  }

  /** Throws the PermanentError a non-2xx answer means. */
  private refuseUnlessOk(res: RawHttpResponse, method: Method, num: string): void {
    if (res.status >= 200 && res.status < 300) return;
    const said = detailsOf(parseBody(res.text));
    const first = said[0] ?? {};
    const message = said.map(describeDetail).join('; ') || summarize(res.text);
    const details = {
      status: res.status,
      workOrderNum: num,
      method,
      message,
      ...(first.dataPath ? { dataPath: first.dataPath } : {}),
      ...(first.params !== undefined ? { params: first.params } : {}),
    };
    const what = `${method} work order ${num}`;
    switch (res.status) {
      case 400:
      case 405:
        throw new PermanentError('servicepower', PermanentErrorTypes.InvalidRequest, `ServicePower refused ${what} (${res.status}): ${message}`, details);
      case 404:
        throw new PermanentError(
          'servicepower',
          PermanentErrorTypes.InvalidRequest,
          `ServicePower answered 404 (Not Found: the URL is incorrect) for ${what} at ${this.config.baseUrl}/WorkOrder/${encodeURIComponent(num)}: check SERVICEPOWER_BASE_URL (${message})`,
          details,
        );
      case 409:
        throw new PermanentError('servicepower', PermanentErrorTypes.TargetConflict, `ServicePower refused ${what}: it conflicts with the work order's state (409: ${message})`, details);
      case 410:
        throw new PermanentError('servicepower', PermanentErrorTypes.TargetGone, `work order ${num} does not exist in ServicePower (${method} answered 410: ${message})`, details);
      default:
        throw new PermanentError('servicepower', PermanentErrorTypes.InvalidResponse, `unexpected status ${res.status} for ${what}: ${message}`, details);
    }
  }

  /** The warnings of a 2xx reply, logged with the work order number. */
  private warningsOf(res: RawHttpResponse, method: Method, num: string): string[] {
    const warnings = detailsOf(parseBody(res.text)).map(describeDetail).filter((w) => w !== '');
    for (const warning of warnings) this.log?.warn({ workOrderNum: num, method, warning }, `ServicePower accepted ${method} of work order ${num} with a warning: ${warning}`);
    return warnings;
  }
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The messages of a reply, from either documented shape: `{code, detail: {message, params,
 * dataPath}}` (`detail` one object or a list), or the Standard Response Object `{type, title,
 * status, detail: "<text>", invalidParams: [{name, reason, path, value}]}` (one entry per invalid
 * parameter, else one for title + detail).
 */
export function detailsOf(body: unknown): ServicePowerResponseDetail[] {
  const standard = StandardResponseSchema.safeParse(body);
  if (standard.success && (typeof standard.data.detail === 'string' || standard.data.title !== undefined || standard.data.invalidParams !== undefined)) {
    const { title, detail, invalidParams } = standard.data;
    const headline = [title, typeof detail === 'string' ? detail : undefined].filter((t) => t && t.trim() !== '').join(': ');
    if (invalidParams && invalidParams.length > 0) {
      return invalidParams.map((p) => ({
        message: [headline, [p.name, p.reason].filter(Boolean).join(': ')].filter(Boolean).join(': '),
        ...(p.path || p.name ? { dataPath: p.path || p.name } : {}),
        ...(p.value !== undefined ? { params: { value: p.value } } : {}),
      }));
    }
    return headline ? [{ message: headline }] : [];
  }
  const parsed = ResponseBodySchema.safeParse(body);
  if (!parsed.success || parsed.data.detail === undefined || typeof parsed.data.detail === 'string') return [];
  return Array.isArray(parsed.data.detail) ? parsed.data.detail : [parsed.data.detail];
}

/** A reply body in one line: its messages when it has any, else its text. */
function describeReply(text: string): string {
  return detailsOf(parseBody(text)).map(describeDetail).filter(Boolean).join('; ') || summarize(text);
}

function describeDetail(detail: ServicePowerResponseDetail): string {
  const message = detail.message?.trim() ?? '';
  if (!message) return '';
  return detail.dataPath ? `${message} (at ${detail.dataPath})` : message;
}

function summarize(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine || '(empty body)';
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
