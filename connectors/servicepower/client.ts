/**
 * Typed client for ServicePower ServiceMobility's Work Order REST API (seed 004, API-NOTES section 5):
 * `GET|PUT|POST|PATCH|DELETE {baseUrl}/WorkOrder/{WorkOrderNum}` with `x-access-token: <JWT>`.
 *
 * Classification (replies are `{code, detail: {message, params, dataPath}}`):
 * - 400, 405: PermanentError(InvalidRequest) quoting ServicePower's message (and dataPath).
 * - 401 (and 403): PermanentError(AuthenticationFailed) (HttpClient's).
 * - 404: GET answers null; any other method PermanentError(SourceRecordNotFound) naming the work order.
 * - 409: PermanentError(TargetConflict): the write conflicts with the work order's state
 *   (details: workOrderNum, method, message, dataPath, params).
 * - 410: PermanentError(TargetGone): the work order was deleted. A DELETE answered 410 is success
 *   with `alreadyGone: true`.
 * - 408/429/5xx, timeouts, network failures: TransientError (HttpClient's).
 * - Any other status: PermanentError(InvalidResponse).
 * Warnings inside a 2xx reply are returned and logged (warn) with the work order number.
 * The access token is sent as a default header and never logged nor put in an error.
 */
import type { Logger } from 'pino';
import { PermanentError, PermanentErrorTypes } from '../../common/errors';
import { HttpClient, parseResponse, type RawHttpResponse } from '../../common/http';
import {
  ResponseBodySchema,
  WorkOrderSchema,
  type ServicePowerResponseDetail,
  type ServicePowerWorkOrder,
  type ServicePowerWorkOrderInput,
  type ServicePowerWorkOrderPatch,
} from './schemas';

export interface ServicePowerClientConfig {
  /** The transaction API base, e.g. https://<host>/seiapi/v3/trans */
  baseUrl: string;
  /** The JWT, sent as `x-access-token`. */
  accessToken: string;
  /** Deadline of one request. */
  timeoutMs: number;
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
const HANDLED = [200, 201, 204, 400, 404, 405, 409, 410] as const;

export type Method = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export class ServicePowerClient {
  private readonly http: HttpClient;
  private readonly log?: Logger;

  constructor(config: ServicePowerClientConfig, logger?: Logger) {
    this.http = new HttpClient({
      system: 'servicepower',
      baseUrl: config.baseUrl,
      timeoutMs: config.timeoutMs,
      defaultHeaders: { 'x-access-token': config.accessToken },
    });
    this.log = logger?.child({ system: 'servicepower' });
  }

  /** The work order, or null when ServicePower has none by that number (404). A deleted one (410) is TargetGone. */
  async getWorkOrder(num: string): Promise<ServicePowerWorkOrder | null> {
    const res = await this.request('GET', num);
    if (res.status === 404) return null;
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

  /** Update an existing work order with the whole object (POST); SourceRecordNotFound when there is none. */
  async postWorkOrder(num: string, wo: ServicePowerWorkOrderInput): Promise<WriteResult> {
    const res = await this.request('POST', num, wo);
    this.refuseUnlessOk(res, 'POST', num);
    return { warnings: this.warningsOf(res, 'POST', num) };
  }

  /** Update only what the PATCH document says (see ./patch). */
  async patchWorkOrder(num: string, patch: ServicePowerWorkOrderPatch): Promise<WriteResult> {
    const res = await this.request('PATCH', num, patch);
    this.refuseUnlessOk(res, 'PATCH', num);
    return { warnings: this.warningsOf(res, 'PATCH', num) };
  }

  /** Delete (takes it off the mobile worker); a work order already deleted (410) is `alreadyGone`. */
  async deleteWorkOrder(num: string): Promise<{ alreadyGone: boolean; warnings: string[] }> {
    const res = await this.request('DELETE', num);
    if (res.status === 410) {
      this.log?.info({ workOrderNum: num }, 'ServicePower work order was already deleted (410)');
      return { alreadyGone: true, warnings: [] };
    }
    this.refuseUnlessOk(res, 'DELETE', num);
    return { alreadyGone: false, warnings: this.warningsOf(res, 'DELETE', num) };
  }

  close(): Promise<void> {
    return this.http.close();
  }

  // ---- internals ------------------------------------------------------------------------------

  private async request(method: Method, num: string, body?: unknown): Promise<RawHttpResponse> {
    if (num.trim() === '') {
      throw new PermanentError('servicepower', PermanentErrorTypes.InvalidRequest, `${method} WorkOrder: the work order number is empty`);
    }
    return this.http.sendRaw({ ...this.renderRequest(method, num, body), returnStatuses: HANDLED });
  }

  /**
   * The request a work order call sends (path under the base URL, headers, JSON text), without
   * sending it: shared with request(), so `fieldbridge preview` prints exactly what a sync sends.
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
        throw new PermanentError('servicepower', PermanentErrorTypes.SourceRecordNotFound, `work order ${num} does not exist in ServicePower (${method} answered 404: ${message})`, details);
      case 409:
        throw new PermanentError('servicepower', PermanentErrorTypes.TargetConflict, `ServicePower refused ${what}: it conflicts with the work order's state (409: ${message})`, details);
      case 410:
        throw new PermanentError('servicepower', PermanentErrorTypes.TargetGone, `work order ${num} has been deleted in ServicePower (${method} answered 410: ${message})`, details);
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

/** The `detail` entries of a reply (`detail` is one object or a list). */
function detailsOf(body: unknown): ServicePowerResponseDetail[] {
  const parsed = ResponseBodySchema.safeParse(body);
  if (!parsed.success || parsed.data.detail === undefined) return [];
  return Array.isArray(parsed.data.detail) ? parsed.data.detail : [parsed.data.detail];
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
