/**
 * The one way FieldBridge calls an HTTP API: undici, a keep-alive pool per system, a deadline per
 * request, and the transient/permanent classification every client relies on.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { PermanentError, PermanentErrorTypes, TransientError, type ExternalSystem } from './errors';
import { classifyAnswer, operationLabel, recordExternalCall } from './metrics';

export interface HttpClientOptions {
  system: ExternalSystem;
  baseUrl: string;
  /** Deadline for one request, headers and body included. */
  timeoutMs: number;
  /** Upper bound on concurrent connections to this system. */
  connections?: number;
  defaultHeaders?: Record<string, string>;
  /**
   * The most bytes of an answer's body read (default DEFAULT_MAX_BODY_BYTES, 10 MB). A larger body
   * (by its Content-Length, or as it streams in) is not buffered: the connection is dropped and the
   * call fails with a PermanentError(InvalidResponse) naming the system, the URL and the limit.
   */
  maxBodyBytes?: number;
}

/** The default cap on an answer's body (HttpClientOptions.maxBodyBytes). */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

export interface RequestOptions {
  method: Dispatcher.HttpMethod;
  path: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  json?: unknown;
  /** The metrics' operation label: a route template (`GET api/v1/customers/{id}`); by default derived from the path. */
  operation?: string;
}

export interface RawRequestOptions {
  method: Dispatcher.HttpMethod;
  path: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** Sent verbatim; set its content-type in `headers`. */
  body?: string;
  /** Statuses handed back to the caller instead of classified (see sendRaw). */
  returnStatuses?: readonly number[];
  /** The metrics' operation label: a route template or a SOAP operation; by default derived from the path. */
  operation?: string;
}

export interface RawHttpResponse {
  status: number;
  /** The URL asked (without the query), to name in errors. */
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * Whether HttpClient's classification reads `status` as transient, and whether such a status says
 * the request was not acted on. For callers that receive a status through `returnStatuses` and
 * want to classify it the same way.
 */
export function classifyStatus(status: number): 'transient-not-processed' | 'transient-unknown' | 'authentication' | 'other' {
  if (TRANSIENT_STATUSES.has(status)) return NOT_PROCESSED_STATUSES.has(status) ? 'transient-not-processed' : 'transient-unknown';
  if (status === 401 || status === 403) return 'authentication';
  return 'other';
}

const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);
/**
 * Answers that say the request was not acted on: 408 (the server gave up reading it), 425, 429
 * (throttled) and 503 (unavailable). A 500, 502 or 504 may come after the work was done.
 */
const NOT_PROCESSED_STATUSES = new Set([408, 425, 429, 503]);
/** Network failures that happen before a request leaves: nothing can have been done. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Parse Retry-After (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export class HttpClient {
  private readonly dispatcher: Agent;

  constructor(private readonly opts: HttpClientOptions) {
    this.dispatcher = new Agent({
      connections: opts.connections ?? 16,
      keepAliveTimeout: 10_000,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  }

  get system(): ExternalSystem {
    return this.opts.system;
  }

  /**
   * Send a request and parse a JSON answer. Network failures, timeouts, 408/425/429/5xx throw
   * TransientError (with Retry-After when given); 401/403 throw PermanentError(AuthenticationFailed).
   * Every other status is returned for the client to interpret.
   */
  async send<T = unknown>(req: RequestOptions): Promise<HttpResponse<T>> {
    const res = await this.sendRaw({
      method: req.method,
      path: req.path,
      query: req.query,
      headers: {
        accept: 'application/json',
        ...(req.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...this.opts.defaultHeaders,
        ...req.headers,
      },
      body: req.json !== undefined ? JSON.stringify(req.json) : undefined,
      operation: req.operation,
    });
    return { status: res.status, headers: res.headers, body: parseJson(res.text) as T };
  }

  /**
   * Send a request with a text body (a SOAP envelope, a form) and return the answer as text, with
   * send's classification: network failures and timeouts throw TransientError (`not-processed` when
   * the request never left, `unknown` otherwise); 408/425/429/5xx throw TransientError; 401/403
   * throw PermanentError(AuthenticationFailed). Statuses listed in `returnStatuses` are returned
   * instead of classified, for a protocol whose errors travel in the body (SOAP 1.1 sends every
   * fault with HTTP 500) or a caller that handles a refusal itself (a 401 from a stale token).
   * defaultHeaders apply, under the request's own headers.
   */
  async sendRaw(req: RawRequestOptions): Promise<RawHttpResponse> {
    const url = new URL(req.path.replace(/^\//, ''), this.opts.baseUrl.endsWith('/') ? this.opts.baseUrl : `${this.opts.baseUrl}/`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const what = `${req.method} ${url.pathname}`;
    const operation = operationLabel(req.method, req.path, req.operation);
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: req.method,
        dispatcher: this.dispatcher,
        headers: { ...this.opts.defaultHeaders, ...req.headers },
        body: req.body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      recordExternalCall(this.opts.system, operation, isTimeout(err) ? 'timeout' : 'network', elapsed());
      throw new TransientError(this.opts.system, `${what} failed: ${describeNetworkError(err)}`, {
        cause: err,
        outcome: NOT_SENT_CODES.has(networkErrorCode(err) ?? '') ? 'not-processed' : 'unknown',
      });
    }
    let text: string;
    try {
      text = await this.readBody(res, url);
    } catch (err) {
      if (err instanceof PermanentError) {
        recordExternalCall(this.opts.system, operation, classifyAnswer(res.statusCode, { retryAfter: false, soapFault: false }), elapsed());
        throw err;
      }
      recordExternalCall(this.opts.system, operation, isTimeout(err) ? 'timeout' : 'network', elapsed());
      throw new TransientError(this.opts.system, `${what}: reading the answer failed: ${describeNetworkError(err)}`, {
        status: res.statusCode,
        cause: err,
        outcome: NOT_PROCESSED_STATUSES.has(res.statusCode) ? 'not-processed' : 'unknown',
      });
    }
    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    const outcome = classifyAnswer(res.statusCode, { retryAfter: retryAfterMs !== undefined, soapFault: res.statusCode === 500 && /<(\w+:)?Fault[\s>]/.test(text) });
    recordExternalCall(this.opts.system, operation, outcome, elapsed(), outcome === 'throttled' ? { status: res.statusCode, retryAfterMs } : undefined);
    if (req.returnStatuses?.includes(res.statusCode)) return { status: res.statusCode, url: `${url.origin}${url.pathname}`, headers: res.headers, text };
    if (TRANSIENT_STATUSES.has(res.statusCode)) {
      throw new TransientError(this.opts.system, `${what} answered ${res.statusCode}: ${summarize(text)}`, {
        status: res.statusCode,
        retryAfterMs,
        outcome: NOT_PROCESSED_STATUSES.has(res.statusCode) ? 'not-processed' : 'unknown',
      });
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new PermanentError(
        this.opts.system,
        PermanentErrorTypes.AuthenticationFailed,
        `${what} answered ${res.statusCode}: the credentials were refused (${summarize(text)})`,
        { status: res.statusCode },
      );
    }
    return { status: res.statusCode, url: `${url.origin}${url.pathname}`, headers: res.headers, text };
  }

  /**
   * The body as text, at most maxBodyBytes: a Content-Length over it, or more bytes than it as they
   * stream in, drops the connection (nothing more is read) and throws PermanentError(InvalidResponse).
   */
  private async readBody(res: Dispatcher.ResponseData, url: URL): Promise<string> {
    const limit = this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const tooLarge = (size: string) => {
      res.body.destroy();
      return new PermanentError(
        this.opts.system,
        PermanentErrorTypes.InvalidResponse,
        `${this.opts.system} answered ${res.statusCode} to ${url.origin}${url.pathname} with a body of ${size}, over the limit of ${limit} bytes: not read`,
        { status: res.statusCode, url: `${url.origin}${url.pathname}`, maxBodyBytes: limit },
      );
    };
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) throw tooLarge(`${declared} bytes (Content-Length)`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buf.length;
      if (size > limit) throw tooLarge(`more than ${limit} bytes`);
      chunks.push(buf);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Validate an answer's body; an answer that does not fit is a PermanentError(InvalidResponse) naming each field. */
export function parseResponse<S extends z.ZodType>(system: ExternalSystem, schema: S, body: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw new PermanentError(system, PermanentErrorTypes.InvalidResponse, `${system} sent an invalid ${what}: ${problems}`);
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function summarize(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine || '(empty body)';
}

function networkErrorCode(err: unknown): string | undefined {
  const e = (err ?? {}) as { code?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code;
}

/** A deadline (ours or undici's) ran out, rather than the connection failing. */
function isTimeout(err: unknown): boolean {
  const e = (err ?? {}) as { name?: string };
  return err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || e.name === 'TimeoutError' || e.name === 'AbortError';
}

function describeNetworkError(err: unknown): string {
  // Duck-typed: AbortSignal.timeout() rejects with a DOMException, which is not always an Error of this realm.
  const e = (err ?? {}) as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) return 'timed out';
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  const code = e.code ?? e.cause?.code;
  const message = e.message ?? String(err);
  return code ? `${message} (${code})` : message;
}
