/**
 * Typed client for Specter's customer API, with the connector's response handling: Result 1 -> Code
 * is the Specter customer id; everything else that Specter (or whatever answers at the configured
 * address) says is a refusal, never retried: the same POST would get the same answer, and retrying
 * it 12 times as if Specter were down only hides the reason. See postCustomer for the types.
 * Outages (network errors, timeouts, 408/425/429/5xx) are HttpClient's TransientErrors, retried.
 *
 * Specter's API is unpublished. Paths and headers follow the connector's settings (API SBM ID,
 * write user, read user) and are documented in simulators/README.md.
 */
import { PermanentError, PermanentErrorTypes } from '../../common/errors';
import { HttpClient, parseResponse } from '../../common/http';
import { ApiResponseSchema, SpecterCustomerSchema, type ApiResponse, type SpecterCustomer, type SpecterPostCustomer } from './schemas';
import { z } from 'zod';

const CustomerListSchema = z.object({ Customers: z.array(SpecterCustomerSchema) });

export interface SpecterClientOptions {
  baseUrl: string;
  sbmId: number;
  writeUserId: string;
  writeUserKey: string;
  readUserId: string;
  readUserKey: string;
  timeoutMs: number;
}

export interface SpecterUpsertResult {
  /** Specter customer id (ApiResponse.Code). */
  code: string;
  message: string;
}

export interface CustomerLookup {
  name?: string;
  email?: string;
  orgNo?: string;
}

export class SpecterClient {
  private readonly http: HttpClient;
  private readonly base: string;
  /** "POST /api/v1/42/customers", as the server sees it (the base URL's own path included). */
  private readonly postRequest: string;

  constructor(private readonly opts: SpecterClientOptions) {
    this.http = new HttpClient({ system: 'specter', baseUrl: opts.baseUrl, timeoutMs: opts.timeoutMs });
    this.base = `api/v1/${opts.sbmId}/customers`;
    this.postRequest = `POST ${requestPath(opts.baseUrl, this.base)}`;
  }

  /**
   * POST a SpecterPostCustomer (create, or update when IdentifyByCustomerId is set).
   *
   * Every answer HttpClient hands back (it has already thrown for outages and refused credentials)
   * is final. The failure types, all non-retryable:
   * - 2xx: read as an ApiResponse by interpretApiResponse (CustomerCouldNotCreatedOrUpdated when
   *   Specter refused the customer, InvalidResponse when the answer is neither success nor refusal);
   *   a 2xx body that is no ApiResponse at all (an HTML page, text) is InvalidResponse.
   * - 404 (unless an ApiResponse with an ERROR code): InvalidRequest. The path is fixed, so a 404 means
   *   the base URL or the SBM id is wrong (a real server answers an HTML or text page): said so.
   * - any other status (3xx, 4xx) with an ApiResponse whose Code starts with ERROR:
   *   CustomerCouldNotCreatedOrUpdated, Specter's own refusal as on a 2xx; otherwise InvalidRequest
   *   (Specter, or something in front of it, refused the request itself), with what it said.
   */
  async postCustomer(customer: SpecterPostCustomer): Promise<SpecterUpsertResult> {
    const res = await this.http.send({ method: 'POST', path: this.base, headers: this.writeAuth(), json: customer, operation: 'POST api/v1/{sbmId}/customers' });
    if (res.status >= 200 && res.status < 300) {
      const parsed = ApiResponseSchema.safeParse(res.body);
      if (!parsed.success) {
        throw new PermanentError(
          'specter',
          PermanentErrorTypes.InvalidResponse,
          `Specter answered ${res.status} for ${this.postRequest} with no ApiResponse for ${describeSent(customer)}: ${describeBody(res.body)}`,
          { status: res.status },
        );
      }
      return interpretApiResponse(parsed.data, customer);
    }
    throw this.refusal(res.status, res.headers, res.body, customer);
  }

  /**
   * What postCustomer sends (method and path as the server sees them, the JSON body), without
   * sending it: `fieldbridge preview` prints it. postCustomer sends this body as JSON.
   */
  renderPost(customer: SpecterPostCustomer): { request: string; body: string } {
    return { request: this.postRequest, body: JSON.stringify(customer) };
  }

  async getCustomer(customerId: string): Promise<SpecterCustomer | null> {
    const res = await this.http.send({ method: 'GET', path: `${this.base}/${encodeURIComponent(customerId)}`, headers: this.readAuth(), operation: 'GET api/v1/{sbmId}/customers/{id}' });
    if (res.status === 404) return null;
    return parseResponse('specter', SpecterCustomerSchema, res.body, `customer ${customerId}`);
  }

  async findCustomers(lookup: CustomerLookup): Promise<SpecterCustomer[]> {
    const res = await this.http.send({
      method: 'GET',
      path: this.base,
      headers: this.readAuth(),
      operation: 'GET api/v1/{sbmId}/customers',
      query: { name: lookup.name, email: lookup.email, orgNo: lookup.orgNo },
    });
    return parseResponse('specter', CustomerListSchema, res.body, 'customer lookup').Customers;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** The PermanentError for a POST answered with a status other than 2xx that HttpClient returned. */
  private refusal(status: number, headers: Record<string, string | string[] | undefined>, body: unknown, sent: SpecterPostCustomer): PermanentError {
    const api = asApiResponse(body);
    const code = api?.Code ?? '';
    if (isErrorCode(code)) return customerRefused(api!, sent, status);
    const said = api ? describeApiResponse(api) : describeBody(body);
    const details = { status, specterResult: api?.Result, specterCode: api?.Code ?? null, specterMessage: api?.Message ?? null };
    if (status === 404) {
      return new PermanentError(
        'specter',
        PermanentErrorTypes.InvalidRequest,
        `Specter answered 404 for ${this.postRequest}: check SPECTER_BASE_URL (${withoutCredentials(this.opts.baseUrl)}) and SPECTER_SBM_ID (${this.opts.sbmId}). Specter's answer: ${said}`,
        details,
      );
    }
    const location = status >= 300 && status < 400 ? headerValue(headers.location) : undefined;
    const hint = location ? ` (redirected to ${location}: check SPECTER_BASE_URL)` : '';
    return new PermanentError(
      'specter',
      PermanentErrorTypes.InvalidRequest,
      `Specter refused ${this.postRequest} for ${describeSent(sent)} with HTTP ${status}${hint}: ${said}`,
      details,
    );
  }

  private writeAuth(): Record<string, string> {
    return { 'x-api-user-id': this.opts.writeUserId, 'x-api-key': this.opts.writeUserKey };
  }

  private readAuth(): Record<string, string> {
    return { 'x-api-user-id': this.opts.readUserId, 'x-api-key': this.opts.readUserKey };
  }
}

/**
 * The connector's reading of a 2xx ApiResponse. Exported for tests. Nothing here is retried (the
 * same POST would get the same answer):
 * - Code starting with "ERROR" -> CustomerCouldNotCreatedOrUpdated (the connector's exception;
 *   App4Sales is left untouched), whatever the Result;
 * - Result 1 with a Code -> success, the Code is the Specter customer id; Result 1 without a Code ->
 *   InvalidResponse (there is no id to record);
 * - Result 0 without an ERROR code -> CustomerCouldNotCreatedOrUpdated as well: 0 is Specter saying it
 *   did not process the customer, the same refusal with its message;
 * - any other Result (2, -1, …), Result null, or no Result at all -> InvalidResponse: neither a
 *   success nor a refusal the connector knows, and (Result ≠ 1) nothing to write back. Specter's
 *   Message is carried in every case.
 */
export function interpretApiResponse(response: ApiResponse, sent: Pick<SpecterPostCustomer, 'CustomerId' | 'Name'>): SpecterUpsertResult {
  const code = response.Code ?? '';
  const message = response.Message ?? '';
  const who = describeSent(sent);
  if (isErrorCode(code)) throw customerRefused(response, sent);
  if (response.Result === 1) {
    if (!code) {
      throw new PermanentError('specter', PermanentErrorTypes.InvalidResponse, `Specter answered Result 1 without a customer code for ${who}`, {
        specterMessage: message || null,
      });
    }
    return { code, message };
  }
  const details = { specterResult: response.Result, specterCode: response.Code ?? null, specterMessage: response.Message ?? null };
  if (response.Result === 0) {
    throw new PermanentError(
      'specter',
      PermanentErrorTypes.CustomerCouldNotCreatedOrUpdated,
      `Specter did not create or update ${who}: Result 0${code ? ` ${code}` : ''}: ${message || '(no message)'}`,
      details,
    );
  }
  const result = response.Result === undefined ? 'no Result' : `Result ${response.Result}`;
  throw new PermanentError(
    'specter',
    PermanentErrorTypes.InvalidResponse,
    `Specter answered ${result} for ${who}, neither a success (1) nor a refusal: ${message || '(no message)'}${code ? ` (Code ${code})` : ''}`,
    details,
  );
}

function isErrorCode(code: string): boolean {
  return code.toUpperCase().startsWith('ERROR');
}

function describeSent(sent: Pick<SpecterPostCustomer, 'CustomerId' | 'Name'>): string {
  return sent.CustomerId ? `customer ${sent.CustomerId} (${sent.Name})` : `new customer "${sent.Name}"`;
}

/** Specter's refusal of the customer: an ApiResponse whose Code starts with ERROR. */
function customerRefused(response: ApiResponse, sent: Pick<SpecterPostCustomer, 'CustomerId' | 'Name'>, status?: number): PermanentError {
  const code = response.Code ?? '';
  const message = response.Message ?? '';
  const http = status === undefined ? '' : ` (HTTP ${status})`;
  return new PermanentError(
    'specter',
    PermanentErrorTypes.CustomerCouldNotCreatedOrUpdated,
    `Specter could not create or update ${describeSent(sent)}: ${code}${message ? `: ${message}` : ''}${http}`,
    { specterCode: code, specterMessage: message, result: response.Result ?? null, ...(status === undefined ? {} : { status }) },
  );
}

/** The body as an ApiResponse, when it is a JSON object carrying at least one of its fields. */
function asApiResponse(body: unknown): ApiResponse | undefined {
  if (!isPlainObject(body) || !['Result', 'Code', 'Message'].some((key) => key in body)) return undefined;
  const parsed = ApiResponseSchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

function describeApiResponse(response: ApiResponse): string {
  const parts = [response.Code, response.Message].filter((part): part is string => !!part);
  return parts.length > 0 ? parts.join(': ') : `Result ${response.Result ?? 'null'}, no message`;
}

const MAX_DESCRIBED = 200;

/** A short, one-line account of a body that is not an ApiResponse: an HTML page's title, else its text. */
function describeBody(body: unknown): string {
  if (body === undefined || body === '') return '(empty body)';
  let text: string;
  if (typeof body === 'string') {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1];
    text = title?.trim() || body.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' ');
  } else {
    text = JSON.stringify(body);
  }
  text = text.replace(/\s+/g, ' ').trim();
  if (!text) return '(empty body)';
  return text.length > MAX_DESCRIBED ? `${text.slice(0, MAX_DESCRIBED)}…` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The URL to show in a failure message (which Temporal keeps in history): any user:password@ removed. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

/** The path a request for `path` reaches under `baseUrl`, as HttpClient builds it. */
function requestPath(baseUrl: string, path: string): string {
  try {
    return new URL(path, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).pathname;
  } catch {
    return `/${path}`;
  }
}
