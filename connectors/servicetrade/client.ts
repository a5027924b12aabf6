/**
 * Typed client for the ServiceTrade API (https://api.servicetrade.com/api): jobs, their locations,
 * companies, services and items, and writing external ids back.
 *
 * - Auth: OAuth 2.0 client credentials at `POST {baseUrl}/oauth2/token`; the access token (a JWT with
 *   an `exp` claim) is cached per client instance until shortly before it expires, fetched once for
 *   any number of concurrent calls (single flight), and sent as `Authorization: Bearer`. A 401 from an
 *   API call drops the token, fetches a new one and retries that call once, as ServiceTrade's SDK
 *   does; a second 401 is PermanentError(AuthenticationFailed).
 * - Every answer is `{messages: {success, error, ...}, data}`: `data` is unwrapped and validated,
 *   `messages.error` is quoted in errors. 404 -> SourceRecordNotFound naming the entity and id;
 *   400/422 -> InvalidRequest; network errors, timeouts, 429 (with Retry-After) and 5xx are
 *   HttpClient's TransientErrors.
 * - Lists are paged (`page`, `totalPages`): every page is read; a list without `totalPages` is read
 *   on until it is whole (`total`, an empty page, or a page of rows already seen): see readAll.
 *
 * Secrets and tokens are never logged, nor put in error messages.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import { PermanentError, PermanentErrorTypes } from '../../common/errors';
import { HttpClient, parseResponse, type HttpResponse, type RequestOptions } from '../../common/http';
import {
  CompanySchema,
  EXTERNAL_SYSTEM_NAME,
  ExternalIdResultSchema,
  JobItemListSchema,
  JobListSchema,
  JobSchema,
  LocationSchema,
  MessagesSchema,
  ServiceListSchema,
  TokenResponseSchema,
  envelope,
  type ServiceTradeCompany,
  type ServiceTradeEntityType,
  type ServiceTradeJob,
  type ServiceTradeJobItem,
  type ServiceTradeLocation,
  type ServiceTradeService,
  type TokenResponse,
} from './schemas';

export interface ServiceTradeClientConfig {
  /** e.g. https://api.servicetrade.com/api */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Deadline of one request. */
  timeoutMs: number;
}

/** Filters of the job list (`GET /job`), combined with AND; all optional. */
export interface ListJobsQuery {
  /** Jobs updated at or after this Unix second. */
  updatedAfter?: number;
  createdAfter?: number;
  status?: string;
  locationId?: number;
  customerId?: number;
}

interface CachedToken {
  value: string;
  /** Epoch ms after which the token is no longer used (shortly before it expires). */
  refreshAt: number;
}

/** Used when ServiceTrade gives neither `expires_in` nor a readable `exp` claim. */
const DEFAULT_TOKEN_LIFETIME_MS = 3600_000;
/** Refresh this long before expiry, at most; a tenth of the lifetime for short-lived tokens. */
const MAX_REFRESH_MARGIN_MS = 60_000;
/** A list longer than this many pages is taken for a paging bug, not read forever. */
const MAX_PAGES = 1000;

const TokenAnswerSchema = TokenResponseSchema.or(envelope(TokenResponseSchema).transform((e) => e.data));

export class ServiceTradeClient {
  private readonly http: HttpClient;
  private readonly log?: Logger;
  private token: CachedToken | null = null;
  private pendingToken: Promise<CachedToken> | null = null;

  constructor(
    private readonly config: ServiceTradeClientConfig,
    logger?: Logger,
  ) {
    this.http = new HttpClient({ system: 'servicetrade', baseUrl: config.baseUrl, timeoutMs: config.timeoutMs });
    this.log = logger?.child({ system: 'servicetrade' });
  }

  /** The job; PermanentError(SourceRecordNotFound) naming `job <id>` when ServiceTrade has none. */
  async getJob(id: number): Promise<ServiceTradeJob> {
    return this.getOne(`job/${id}`, JobSchema, 'job', id);
  }

  async getLocation(id: number): Promise<ServiceTradeLocation> {
    return this.getOne(`location/${id}`, LocationSchema, 'location', id);
  }

  async getCompany(id: number): Promise<ServiceTradeCompany> {
    return this.getOne(`company/${id}`, CompanySchema, 'company', id);
  }

  /** The services (ServiceTrade's service requests) on the job, each with its service line; every page. */
  async listJobServices(jobId: number): Promise<ServiceTradeService[]> {
    return this.readAll('servicerequest', { jobId: String(jobId) }, ServiceListSchema, (d) => d.serviceRequests, `services of job ${jobId}`);
  }

  /** The job's items; every page. */
  async listJobItems(jobId: number): Promise<ServiceTradeJobItem[]> {
    return this.readAll('jobitem', { jobId: String(jobId) }, JobItemListSchema, (d) => d.jobItems, `items of job ${jobId}`);
  }

  /** Jobs matching the filters; every page. */
  async listJobs(query: ListJobsQuery = {}): Promise<ServiceTradeJob[]> {
    const params = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    return this.readAll('job', params, JobListSchema, (d) => d.jobs, 'job list');
  }

  /**
   * One page of the job list (`GET /job?...&page=<n>`, 1-based; `totalPages` says how many there are,
   * as the official SDKs' Paginator reads it). The job sweep reads one page per activity.
   */
  async listJobsPage(query: ListJobsQuery, page: number): Promise<{ jobs: ServiceTradeJob[]; page: number; totalPages: number }> {
    const params = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    const res = await this.call({ method: 'GET', path: 'job', query: { ...params, page: String(page) } });
    const data = this.unwrap(res, JobListSchema, `job list (page ${page})`);
    // Without totalPages, a page with rows says "maybe more": the caller reads the next one, and an empty page ends the list.
    const totalPages = data.totalPages ?? (data.jobs.length > 0 ? page + 1 : page);
    return { jobs: data.jobs, page, totalPages: Math.max(1, totalPages) };
  }

  /**
   * Set the entity's external id of `system` to `value`: `POST /externalid/{type}/{id}/{system}` with
   * `{value}` (one id per entity and system; a new value replaces the old one). Idempotent: writing the
   * value the entity already holds changes nothing. ServiceTrade refuses (400, InvalidRequest with its
   * message) a value another entity of the same type already holds under that system.
   */
  async setExternalId(entity: { type: ServiceTradeEntityType; id: number }, system: string, value: string): Promise<void> {
    const what = `${entity.type} ${entity.id}`;
    if (!EXTERNAL_SYSTEM_NAME.test(system)) {
      throw new PermanentError(
        'servicetrade',
        PermanentErrorTypes.InvalidRequest,
        `external system name "${system}" is not one ServiceTrade takes: lowercase, starting with a letter, letters, digits and underscores only`,
        { entityType: entity.type, entityId: entity.id, externalSystem: system },
      );
    }
    const res = await this.call({
      method: 'POST',
      path: `externalid/${entity.type}/${entity.id}/${system}`,
      json: { value },
    });
    this.unwrap(res, ExternalIdResultSchema, `external id of ${what}`, {
      entity: entity.type,
      id: entity.id,
      // Not `system`: a failure's details carry `system` for the system that failed (ServiceTrade here).
      externalSystem: system,
      value,
    });
  }

  close(): Promise<void> {
    return this.http.close();
  }

  // ---- requests -------------------------------------------------------------------------------

  private async getOne<S extends z.ZodType>(path: string, schema: S, entity: string, id: number): Promise<z.infer<S>> {
    const res = await this.call({ method: 'GET', path });
    return this.unwrap(res, schema, `${entity} ${id}`, { entity, id });
  }

  /**
   * Every row of a paged list. `page` is 1-based; with `totalPages` the pages up to it are read (as
   * ServiceTrade's SDKs do). Without it (the SDKs would stop after page 1, and a row dropped here is
   * a material line deleted), the next page is read until: `total` rows are in hand, or a page is
   * empty, or a page brings no row not seen before (an endpoint that does not page answers the same
   * rows again). Rows are kept once by id.
   */
  private async readAll<S extends z.ZodType, T extends { id: number }>(
    path: string,
    query: Record<string, string>,
    schema: S,
    rows: (data: z.infer<S>) => T[],
    what: string,
  ): Promise<T[]> {
    const all: T[] = [];
    const seen = new Set<number>();
    for (let page = 1; ; page += 1) {
      const res = await this.call({ method: 'GET', path, query: { ...query, page: String(page) } });
      const data = this.unwrap(res, schema, `${what} (page ${page})`) as z.infer<S> & { totalPages?: number; total?: number };
      const got = rows(data);
      const fresh = got.filter((row) => !seen.has(row.id));
      for (const row of fresh) seen.add(row.id);
      all.push(...fresh);
      if (data.totalPages !== undefined) {
        if (page >= data.totalPages) return all;
      } else {
        if (got.length === 0 || fresh.length === 0) return all;
        if (data.total !== undefined && all.length >= data.total) return all;
        if (page === 1) this.log?.debug({ list: what }, 'ServiceTrade list answered without totalPages: reading on until an empty page');
      }
      if (page >= MAX_PAGES) {
        throw new PermanentError('servicetrade', PermanentErrorTypes.InvalidResponse, `${what}: more than ${MAX_PAGES} pages (totalPages ${data.totalPages ?? 'absent'})`);
      }
    }
  }

  /**
   * Send an API request with the bearer token; on a 401 fetch a new token and send it once more.
   * HttpClient has already thrown for outages (TransientError) and for 401/403 (AuthenticationFailed).
   */
  private async call(req: RequestOptions): Promise<HttpResponse> {
    const token = await this.accessToken();
    try {
      return await this.http.send({ ...req, headers: { ...req.headers, authorization: `Bearer ${token.value}` } });
    } catch (err) {
      if (!isUnauthorized(err)) throw err;
      this.dropToken(token);
      this.log?.info({ request: `${req.method} ${req.path}` }, 'ServiceTrade refused the access token (401); fetching a new one and retrying once');
    }
    const fresh = await this.accessToken();
    try {
      return await this.http.send({ ...req, headers: { ...req.headers, authorization: `Bearer ${fresh.value}` } });
    } catch (err) {
      if (!isUnauthorized(err)) throw err;
      this.dropToken(fresh);
      throw new PermanentError(
        'servicetrade',
        PermanentErrorTypes.AuthenticationFailed,
        `${req.method} ${req.path} answered 401 with a freshly issued access token too: ServiceTrade refuses client ${this.config.clientId} (${(err as Error).message.replace(/^servicetrade: /, '')})`,
        { status: 401 },
      );
    }
  }

  /** The envelope's `data`, validated; an answer other than 2xx becomes the matching PermanentError. */
  private unwrap<S extends z.ZodType>(res: HttpResponse, schema: S, what: string, subject?: Record<string, unknown>): z.infer<S> {
    if (res.status >= 200 && res.status < 300) {
      const answer = parseResponse('servicetrade', envelope(schema), res.body, what) as { data: z.infer<S> };
      return answer.data;
    }
    const said = errorMessagesOf(res.body);
    const details = { status: res.status, messages: said.list, ...subject };
    if (res.status === 404) {
      throw new PermanentError('servicetrade', PermanentErrorTypes.SourceRecordNotFound, `${what} does not exist in ServiceTrade (404: ${said.text})`, details);
    }
    if (res.status >= 400 && res.status < 500) {
      // 400 and 422 are ServiceTrade's refusals of a request's content; other 4xx (405, 409, ...) refuse it too.
      throw new PermanentError('servicetrade', PermanentErrorTypes.InvalidRequest, `ServiceTrade refused the request for ${what} (${res.status}): ${said.text}`, details);
    }
    throw new PermanentError('servicetrade', PermanentErrorTypes.InvalidResponse, `unexpected status ${res.status} for ${what}: ${said.text}`, details);
  }

  // ---- token ----------------------------------------------------------------------------------

  /** The cached token while it is fresh, else the one being fetched, else a new fetch. */
  private accessToken(): Promise<CachedToken> {
    if (this.token && Date.now() < this.token.refreshAt) return Promise.resolve(this.token);
    if (!this.pendingToken) {
      this.pendingToken = this.fetchToken().finally(() => {
        this.pendingToken = null;
      });
    }
    return this.pendingToken;
  }

  /** Forget `token`, unless a newer one has replaced it meanwhile. */
  private dropToken(token: CachedToken): void {
    if (this.token === token) this.token = null;
  }

  private async fetchToken(): Promise<CachedToken> {
    const requestedAt = Date.now();
    let res: HttpResponse;
    try {
      res = await this.http.send({
        method: 'POST',
        path: 'oauth2/token',
        json: { grant_type: 'client_credentials', client_id: this.config.clientId, client_secret: this.config.clientSecret },
      });
    } catch (err) {
      if (err instanceof PermanentError && err.type === PermanentErrorTypes.AuthenticationFailed) {
        throw new PermanentError(
          'servicetrade',
          PermanentErrorTypes.AuthenticationFailed,
          `ServiceTrade refused the client credentials of client ${this.config.clientId} (${err.message.replace(/^servicetrade: /, '')})`,
          { ...err.details },
        );
      }
      throw err;
    }
    if (res.status < 200 || res.status >= 300) {
      const said = errorMessagesOf(res.body);
      throw new PermanentError(
        'servicetrade',
        res.status >= 400 && res.status < 500 ? PermanentErrorTypes.AuthenticationFailed : PermanentErrorTypes.InvalidResponse,
        `ServiceTrade refused a token for client ${this.config.clientId} (${res.status}): ${said.text}`,
        { status: res.status, messages: said.list },
      );
    }
    const answer: TokenResponse = parseResponse('servicetrade', TokenAnswerSchema, res.body, 'token answer');
    const lifetimeMs = tokenLifetimeMs(answer, requestedAt);
    const token = { value: answer.access_token, refreshAt: requestedAt + lifetimeMs - Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 10) };
    this.token = token;
    this.log?.debug({ lifetimeSeconds: Math.round(lifetimeMs / 1000) }, 'ServiceTrade access token obtained');
    return token;
  }
}

function isUnauthorized(err: unknown): boolean {
  return err instanceof PermanentError && err.type === PermanentErrorTypes.AuthenticationFailed && err.details.status === 401;
}

/** The shorter of `expires_in` and the JWT's `exp` (counted from when the token was asked for). */
function tokenLifetimeMs(answer: TokenResponse, requestedAt: number): number {
  const candidates: number[] = [];
  if (answer.expires_in !== undefined) candidates.push(answer.expires_in * 1000);
  const exp = jwtExpiry(answer.access_token);
  if (exp !== undefined) candidates.push(exp * 1000 - requestedAt);
  const lifetime = candidates.length > 0 ? Math.min(...candidates) : DEFAULT_TOKEN_LIFETIME_MS;
  return Math.max(0, lifetime);
}

/** The `exp` claim of a JWT, when the token is one (its signature is ServiceTrade's business, not ours). */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** `messages.error` of an envelope (or a plain `messages` list), else the body itself, shortened. */
function errorMessagesOf(body: unknown): { list: string[]; text: string } {
  const messages = MessagesSchema.safeParse((body as { messages?: unknown } | null)?.messages);
  const list = messages.success ? messages.data.error : [];
  if (list.length > 0) return { list, text: list.join('; ') };
  const raw = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  const text = raw.replace(/\s+/g, ' ').trim();
  return { list, text: text.length > 300 ? `${text.slice(0, 300)}…` : text || '(empty body)' };
}
