/**
 * Typed client for Dexter + Chaney Spectrum Data Exchange (SDX): the work-order Put services
 * (WorkOrderHeader, AddWOMaterialCost, DeleteWOMaterialCost, WOHeaderNotes), the material-line read
 * GetWOMaterialCost and GetCustomers, over
 * SOAP 1.1 (`POST ${webServicesUrl}/${Service}`, `SOAPAction: <that URL>`), with optional enhanced
 * authentication (OAuth client credentials, `Authorization: Bearer`, beside the Authorization_ID).
 *
 * Every call sends every declared parameter (SDX faults on a missing one), Authorization_ID and the
 * caller's GUID (the SDX session id), and Company_Code on Put services (empty: Spectrum takes the
 * Authorization ID's company). Answers become values or throws, never a returned error:
 * - rows `S`/`G`/`W` (or none): success, the rows returned with their desc and column;
 * - desc "Time out has occurred": PermanentError SpectrumSessionExpired (renew the GUID);
 * - any `A` row (Put services) or `E` row on Authorization_ID (Get services): PermanentError
 *   SpectrumNotAuthorized naming column and desc and, for a refused permission, the web service to
 *   grant (details.permission, e.g. `AccountsReceivable -> GetCustomers`; permissions.ts);
 * - any `I`/`M` row, or another `E` row (Get services report errors with E): PermanentError
 *   SpectrumRejected listing every error row `column: desc`, details {rows};
 * - a GetCustomers `W` row: the list is partial (`complete: false`), never read as the whole list;
 * - SOAP fault `Server` ("Error executing Web Service", intermittent under load): TransientError, outcome unknown;
 * - SOAP fault `Client` (a bad or missing parameter): PermanentError InvalidRequest;
 * - HTTP 408/429/5xx, network errors, timeouts: TransientError with its outcome (common/http.ts);
 *   401/403: AuthenticationFailed (with enhanced authentication, a 401 first drops the token and
 *   tries once more with a fresh one);
 * - a reply cut off after its last complete `</response>` (an SDX quirk on large replies): its
 *   complete rows, read as above; cut before any complete row: TransientError, outcome unknown.
 *
 * Every service's parameters come from its table in ./reference (Trimble's help pages);
 * GetWOMaterialCost and WOHeaderNotes have no public page and are *(assumed)*: see
 * simulators/README.md.
 */
import pino, { type Logger } from 'pino';
import { PermanentError, PermanentErrorTypes, TransientError } from '../../common/errors';
import { HttpClient, classifyStatus, type RawHttpResponse } from '../../common/http';
import { setCredentialExpiry } from '../../common/metrics';
import { EnvelopeError, ReplyFormatError, buildRequestEnvelope, parseReply, type ParsedReply } from './envelope';
import { CUSTOMER_COLUMNS, MATERIAL_COST_COLUMNS, SPECTRUM_SERVICES, type SpectrumService } from './limits';
import { spectrumPermission } from './permissions';
import { loadClientSecret, secretExpiryStatus, type ClientSecret, type SecretExpiryStatus, type SecretSource } from './secret';
import {
  SESSION_EXPIRED_DESC,
  TokenResponseSchema,
  type DeleteWOMaterialCostFields,
  type SpectrumCustomer,
  type SpectrumCustomerList,
  type SpectrumMaterialLine,
  type SpectrumReply,
  type SpectrumResponseRow,
  type WOHeaderNotesFields,
  type WOMaterialCostFields,
  type WorkOrderHeaderFields,
} from './schemas';

export interface SpectrumClientConfig {
  /** The endpoint base, e.g. https://spectrum.example.com:8482/ws; services are POSTed to `${webServicesUrl}/${Service}`. */
  webServicesUrl: string;
  /** Authorization_ID, max 20. */
  authorizationId: string;
  /** Company_Code (3) on Put services and pCompany_Code on GetCustomers; blank: sent empty (Spectrum defaults it from the Authorization ID). */
  companyCode?: string;
  /**
   * Enhanced authentication. tokenUrl defaults to the origin of webServicesUrl + '/connect/token'.
   * clientSecretFile (SPECTRUM_CLIENT_SECRET_FILE): read again before each token request, so a
   * rotated secret is used without a restart; it may hold the bare secret or the answer of POST
   * /secretRotation (its estimated_expiration then is the expiry). clientSecretExpires
   * (SPECTRUM_CLIENT_SECRET_EXPIRES): the expiry Secret Status shows, when the file does not say.
   * secretWarnDays: how many days ahead the expiry is warned of (log, metric, secretStatus()); default 14.
   */
  enhancedAuth?: { clientId: string; clientSecret?: string; clientSecretFile?: string; clientSecretExpires?: string; secretWarnDays?: number; tokenUrl?: string };
  timeoutMs: number;
  /** The clock the token cache reads (tests); defaults to Date.now. */
  now?: () => number;
}

/** Seconds before expires_in the cached token is renewed: 60 s, or 10% of its lifetime when that is less. */
const TOKEN_MARGIN_SECONDS = 60;
const TOKEN_MARGIN_SHARE = 0.1;
/** Days before the client secret's expiry that it is warned of (SPECTRUM_CLIENT_SECRET_WARN_DAYS). */
export const DEFAULT_SECRET_WARN_DAYS = 14;

interface CachedToken {
  value: string;
  /** Epoch ms after which the token is fetched again. */
  renewAt: number;
}

export class SpectrumClient {
  private readonly http: HttpClient;
  private readonly tokenHttp?: HttpClient;
  private readonly tokenUrl?: URL;
  private readonly logger: Logger;
  private readonly now: () => number;
  private token?: CachedToken;
  private pendingToken?: Promise<string>;
  /** The client secret in use (enhanced authentication), as last loaded. */
  private secret?: ClientSecret;

  constructor(
    private readonly config: SpectrumClientConfig,
    logger?: Logger,
  ) {
    this.logger = (logger ?? pino({ level: 'silent' })).child({ system: 'spectrum' });
    this.now = config.now ?? Date.now;
    this.http = new HttpClient({ system: 'spectrum', baseUrl: config.webServicesUrl, timeoutMs: config.timeoutMs });
    if (config.enhancedAuth) {
      this.tokenUrl = new URL(config.enhancedAuth.tokenUrl ?? '/connect/token', new URL(config.webServicesUrl).origin);
      this.tokenHttp = new HttpClient({ system: 'spectrum', baseUrl: this.tokenUrl.origin, timeoutMs: config.timeoutMs, connections: 2 });
      this.useSecret(loadClientSecret(this.secretSource()));
    }
  }

  /** The deadline of one call: a call sent is answered, or given up by this client, within it. */
  get requestTimeoutMs(): number {
    return this.config.timeoutMs;
  }

  /**
   * Whether the enhanced-authentication client secret expires within the warning window (or has),
   * as last loaded: what `fieldbridge status` and the metric fieldbridge_credential_expiring show.
   * Undefined without enhanced authentication.
   */
  secretStatus(now: Date = new Date(this.now())): SecretExpiryStatus | undefined {
    if (!this.secret) return undefined;
    return secretExpiryStatus(this.secret, now, this.config.enhancedAuth?.secretWarnDays ?? DEFAULT_SECRET_WARN_DAYS);
  }

  private secretSource(): SecretSource {
    const auth = this.config.enhancedAuth!;
    return { value: auth.clientSecret, file: auth.clientSecretFile, expires: auth.clientSecretExpires };
  }

  /** Take a (re)loaded secret: a new value drops the cached token; the expiry goes to the metric. */
  private useSecret(secret: ClientSecret): void {
    const changed = this.secret !== undefined && this.secret.secret !== secret.secret;
    this.secret = secret;
    setCredentialExpiry('spectrum', 'client_secret', secret.expiresAt, this.config.enhancedAuth?.secretWarnDays ?? DEFAULT_SECRET_WARN_DAYS);
    if (changed) {
      this.token = undefined;
      this.logger.info({ clientId: this.config.enhancedAuth?.clientId, expiresAt: secret.expiresAt?.toISOString() }, 'Spectrum client secret reloaded from SPECTRUM_CLIENT_SECRET_FILE');
    }
    const status = this.secretStatus();
    if (status && (status.state === 'expiring' || status.state === 'expired')) this.logger.warn({ clientId: this.config.enhancedAuth?.clientId, ...status }, status.message);
  }

  /** Read the secret file again (a rotated secret is used from the next token on); an unreadable file keeps the last secret. */
  private reloadSecret(): void {
    if (!this.config.enhancedAuth?.clientSecretFile) return;
    try {
      const loaded = loadClientSecret(this.secretSource());
      if (loaded.secret !== this.secret?.secret || loaded.expiresAt?.getTime() !== this.secret?.expiresAt?.getTime()) this.useSecret(loaded);
    } catch (err) {
      this.logger.warn({ error: (err as Error).message }, 'Spectrum client secret file unreadable: keeping the secret loaded before');
    }
  }

  /** Create or update a work order (blank fields are not changed; blank WO_Number: Spectrum's next number). */
  workOrderHeader(guid: string, header: WorkOrderHeaderFields): Promise<SpectrumReply> {
    return this.put('WorkOrderHeader', guid, header, describeWorkOrder(header.WO_Number));
  }

  /** Add one material line to a work order. */
  addWOMaterialCost(guid: string, line: WOMaterialCostFields): Promise<SpectrumReply> {
    return this.put('AddWOMaterialCost', guid, line, `${describeWorkOrder(line.WO_Number)}, item ${line.Item_Code ?? '(none)'}`);
  }

  /**
   * Delete one material cost line, by the System_Key GetWOMaterialCost listed it with (with its
   * work order and item code, which Spectrum checks the key against). A key Spectrum no longer has
   * is refused (`I`): read the lines again rather than repeat a delete.
   */
  deleteWOMaterialCost(guid: string, line: DeleteWOMaterialCostFields): Promise<SpectrumReply> {
    return this.put(
      'DeleteWOMaterialCost',
      guid,
      { System_Key: line.System_Key, WO_Number: line.WO_Number, Item_Code: line.Item_Code },
      `${describeWorkOrder(line.WO_Number)}, item ${line.Item_Code}, line ${line.System_Key}`,
    );
  }

  /**
   * The material cost lines of a work order, each with its System_Key *(assumed Get service, see
   * the file header)*. Error rows (`E`) throw as Put rows do (session expired, not authorized,
   * rejected); `W` rows are logged.
   */
  async getWOMaterialCost(guid: string, workOrderNumber: string): Promise<SpectrumMaterialLine[]> {
    const rows = await this.call('GetWOMaterialCost', guid, { pCompany_Code: this.config.companyCode ?? '', pWO_Number: workOrderNumber });
    const status = rows.map((row) => getRowStatus(row));
    checkRows('GetWOMaterialCost', status, describeWorkOrder(workOrderNumber), this.config.authorizationId);
    const lines: SpectrumMaterialLine[] = [];
    rows.forEach((row, index) => {
      if (status[index].error_code === 'W') this.logger.warn({ service: 'GetWOMaterialCost', column: status[index].column, desc: status[index].desc }, 'Spectrum warning');
      if ((row.System_Key ?? '') === '') return;
      lines.push(Object.fromEntries(MATERIAL_COST_COLUMNS.map((column) => [column, (row[column] ?? '').trim()])) as unknown as SpectrumMaterialLine);
    });
    return lines;
  }

  /**
   * Whether the company holds work order `workOrderNumber`, read with GetWOMaterialCost (Spectrum
   * publishes no service that reads a header): an error row on pWO_Number (the work order does not
   * exist *(assumed wording: any error on that column)*) is false; rows or none are true.
   */
  async workOrderExists(guid: string, workOrderNumber: string): Promise<boolean> {
    try {
      await this.getWOMaterialCost(guid, workOrderNumber);
      return true;
    } catch (err) {
      const rows = err instanceof PermanentError && err.type === PermanentErrorTypes.SpectrumRejected ? ((err.details.rows as SpectrumResponseRow[] | undefined) ?? []) : [];
      if (rows.some((row) => row.column === 'pWO_Number')) return false;
      throw err;
    }
  }

  /** Write (Append_Note N or blank) or append to (Y) a header note of the work order. */
  woHeaderNotes(guid: string, note: WOHeaderNotesFields): Promise<SpectrumReply> {
    return this.put('WOHeaderNotes', guid, { ...note }, describeWorkOrder(note.WO_Number));
  }

  /**
   * The customers of the company (GetCustomers): status '' (default) Active only, 'I' Active and
   * Inactive, 'ALL' every one (Not Used too). `complete` is false when Spectrum said the list is not
   * whole: a `W` row (e.g. the count "exceeds maximum"), so a code missing from it is not known to
   * be missing. `E` rows (Get services' errors) throw like `A`/`I`/`M` rows on Put services.
   */
  async getCustomers(guid: string, params: { status?: '' | 'I' | 'ALL' } = {}): Promise<SpectrumCustomerList> {
    const rows = await this.call('GetCustomers', guid, { pCompany_Code: this.config.companyCode ?? '', pStatus: params.status ?? '' });
    const asResponseRows = rows.map(getRowStatus);
    checkRows('GetCustomers', asResponseRows, `company ${this.config.companyCode || '(default)'}`, this.config.authorizationId);
    const customers: SpectrumCustomer[] = [];
    const warnings: SpectrumResponseRow[] = [];
    rows.forEach((row, index) => {
      const status = asResponseRows[index];
      if (status.error_code === 'W') {
        warnings.push(status);
        this.logger.warn({ service: 'GetCustomers', column: status.column, desc: status.desc }, 'Spectrum warning: the customer list is partial');
      }
      if ((row.Customer_Code ?? '') === '') return;
      customers.push(Object.fromEntries(CUSTOMER_COLUMNS.map((column) => [column, row[column] ?? ''])) as unknown as SpectrumCustomer);
    });
    return { customers, complete: warnings.length === 0, warnings };
  }

  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.tokenHttp?.close()]);
  }

  /**
   * The SOAP envelope a service call sends, exactly as the call builds it (Authorization_ID, GUID
   * and the company: Company_Code on Put services, pCompany_Code on Get services), without sending
   * it: what `fieldbridge preview` prints. Throws EnvelopeError for a parameter the service does not declare.
   */
  renderPutEnvelope(service: SpectrumService, guid: string, fields: Record<string, string | undefined>): string {
    const withCompany = SPECTRUM_SERVICES[service].kind === 'get' ? { pCompany_Code: this.config.companyCode ?? '', ...fields } : this.putFields(fields);
    return buildRequestEnvelope(service, this.callParameters(guid, withCompany));
  }

  private putFields(fields: Record<string, string | undefined>): Record<string, string | undefined> {
    return { Company_Code: this.config.companyCode ?? '', ...fields };
  }

  private callParameters(guid: string, fields: Record<string, string | undefined>): Record<string, string | undefined> {
    return { Authorization_ID: this.config.authorizationId, GUID: guid, ...fields };
  }

  private async put(service: SpectrumService, guid: string, fields: Record<string, string | undefined>, what: string): Promise<SpectrumReply> {
    const rows = await this.call(service, guid, this.putFields(fields));
    const responseRows: SpectrumResponseRow[] = rows.map((row) => ({
      error_code: row.error_code ?? row.Error_Code ?? '',
      desc: row.desc ?? row.Error_Description ?? '',
      column: row.column ?? row.Error_Column ?? '',
    }));
    checkRows(service, responseRows, what, this.config.authorizationId);
    for (const row of responseRows.filter((r) => r.error_code === 'W')) {
      this.logger.warn({ service, column: row.column, desc: row.desc }, 'Spectrum warning');
    }
    return { rows: responseRows };
  }

  /** One SDX call: the envelope, the bearer token (once more after a 401), the reply's rows or its fault as an error. */
  private async call(service: SpectrumService, guid: string, fields: Record<string, string | undefined>): Promise<Record<string, string>[]> {
    let envelope: string;
    try {
      envelope = buildRequestEnvelope(service, this.callParameters(guid, fields));
    } catch (err) {
      if (err instanceof EnvelopeError) throw new PermanentError('spectrum', PermanentErrorTypes.InvalidRequest, err.message, { service });
      throw err;
    }
    const url = new URL(service, this.config.webServicesUrl.endsWith('/') ? this.config.webServicesUrl : `${this.config.webServicesUrl}/`).toString();
    let res = await this.post(service, url, envelope);
    if (res.status === 401 && this.config.enhancedAuth) {
      this.logger.info({ service }, 'Spectrum refused the bearer token: fetching a new one and trying once more');
      this.token = undefined;
      res = await this.post(service, url, envelope);
    }
    if (res.status === 401) {
      const who = this.config.enhancedAuth ? ` (Client ID ${this.config.enhancedAuth.clientId}, a freshly issued token)` : '';
      throw new PermanentError('spectrum', PermanentErrorTypes.AuthenticationFailed, `Spectrum answered 401 to ${service}: the credentials were refused${who}`, {
        status: 401,
        service,
      });
    }
    let parsed: ParsedReply;
    try {
      parsed = parseReply(res.text, service);
    } catch (err) {
      if (!(err instanceof ReplyFormatError)) throw err;
      throw this.unreadable(service, res, err);
    }
    if (parsed.kind === 'fault') throw faultError(service, parsed, res.status);
    if (res.status < 200 || res.status >= 300) {
      throw new PermanentError('spectrum', PermanentErrorTypes.InvalidResponse, `Spectrum answered HTTP ${res.status} to ${service} with response rows and no fault`, {
        status: res.status,
        service,
      });
    }
    if (parsed.truncated) {
      this.logger.warn({ service, rows: parsed.rows.length }, 'Spectrum reply was cut off after its last complete <response>; reading the complete rows');
    }
    return parsed.rows;
  }

  private async post(service: SpectrumService, url: string, envelope: string): Promise<RawHttpResponse> {
    const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', accept: 'text/xml', soapaction: url };
    if (this.config.enhancedAuth) headers.authorization = `Bearer ${await this.accessToken()}`;
    return this.http.sendRaw({ method: 'POST', path: service, headers, body: envelope, returnStatuses: [500, 401], operation: service });
  }

  /** A reply that is neither rows nor a fault. */
  private unreadable(service: SpectrumService, res: RawHttpResponse, err: ReplyFormatError): Error {
    if (res.status === 500) {
      // A 500 without a readable SOAP fault: as HttpClient classifies any 500, the call may have been applied.
      return new TransientError('spectrum', `${service} answered 500 without a SOAP fault: ${err.message}`, { status: 500, outcome: 'unknown' });
    }
    if (err.cutOff) {
      return new TransientError('spectrum', `${service}: ${err.message}; the call may have been applied`, { status: res.status, outcome: 'unknown' });
    }
    return new PermanentError('spectrum', PermanentErrorTypes.InvalidResponse, `Spectrum answered ${service} with HTTP ${res.status} and ${err.message}`, {
      status: res.status,
      service,
    });
  }

  /** The cached bearer token, or a new one; concurrent callers share one token request. */
  private async accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.renewAt) return this.token.value;
    if (!this.pendingToken) {
      this.pendingToken = this.fetchToken().finally(() => {
        this.pendingToken = undefined;
      });
    }
    return this.pendingToken;
  }

  private async fetchToken(): Promise<string> {
    const auth = this.config.enhancedAuth!;
    const tokenUrl = this.tokenUrl!;
    this.reloadSecret();
    const form = new URLSearchParams({ client_id: auth.clientId, client_secret: this.secret!.secret, scope: 'spectrumapi', grant_type: 'client_credentials' });
    const res = await this.tokenHttp!.sendRaw({
      method: 'POST',
      path: `${tokenUrl.pathname}${tokenUrl.search}`,
      operation: 'POST token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      returnStatuses: [400, 401, 403],
    });
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      const error = oauthError(res.text);
      const status = this.secretStatus();
      const expiry = status?.state === 'expired' ? `; the client secret expired at ${status.expiresAt}: rotate it (Secret Status) and write the new one to SPECTRUM_CLIENT_SECRET_FILE` : '';
      throw new PermanentError(
        'spectrum',
        PermanentErrorTypes.AuthenticationFailed,
        `the Spectrum token endpoint ${tokenUrl.origin}${tokenUrl.pathname} refused Client ID ${auth.clientId} (HTTP ${res.status}${error ? `: ${error}` : ''}); check the Client ID and Client Secret (Secret Status in Data Exchange)${expiry}`,
        { status: res.status, clientId: auth.clientId, oauthError: error ?? null },
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      body = undefined;
    }
    const parsed = TokenResponseSchema.safeParse(body);
    if (res.status < 200 || res.status >= 300 || !parsed.success) {
      throw new PermanentError(
        'spectrum',
        PermanentErrorTypes.InvalidResponse,
        `the Spectrum token endpoint ${tokenUrl.origin}${tokenUrl.pathname} answered HTTP ${res.status} without an access token for Client ID ${auth.clientId}`,
        { status: res.status, clientId: auth.clientId },
      );
    }
    const ttlSeconds = parsed.data.expires_in;
    const marginSeconds = Math.min(TOKEN_MARGIN_SECONDS, ttlSeconds * TOKEN_MARGIN_SHARE);
    this.token = { value: parsed.data.access_token, renewAt: this.now() + (ttlSeconds - marginSeconds) * 1000 };
    this.logger.info({ clientId: auth.clientId, expiresInSeconds: ttlSeconds }, 'Spectrum access token obtained');
    return parsed.data.access_token;
  }
}

function describeWorkOrder(number: string | undefined): string {
  return number ? `work order ${number}` : 'a new work order (next number)';
}

/**
 * A Get service row's Error_* columns as a Put row: `E` (the Get services' error, Web Service Types)
 * reads as `A` when it names Authorization_ID or GUID, else as `I`; blank and `W` stay.
 */
function getRowStatus(row: Record<string, string>): SpectrumResponseRow {
  const code = (row.Error_Code ?? '').trim();
  const column = (row.Error_Column ?? '').trim();
  const desc = (row.Error_Description ?? '').trim();
  if (code !== 'E') return { error_code: code, desc, column };
  return { error_code: column === 'Authorization_ID' || column === 'GUID' ? 'A' : 'I', desc, column };
}

function describeRows(rows: SpectrumResponseRow[]): string {
  return rows.map((row) => (row.column ? `${row.column}: ${row.desc}` : row.desc || `(code ${row.error_code}, no description)`)).join('; ');
}

/** Throws for a reply whose rows say the call failed (see the file header); returns for S/G/W/blank rows. */
export function checkRows(service: SpectrumService, rows: SpectrumResponseRow[], what: string, authorizationId: string): void {
  const expired = rows.find((row) => row.desc.trim().toLowerCase().startsWith(SESSION_EXPIRED_DESC.toLowerCase()));
  if (expired) {
    throw new PermanentError(
      'spectrum',
      PermanentErrorTypes.SpectrumSessionExpired,
      `Spectrum answered "${expired.desc}" to ${service} for ${what}: the GUID (session) expired; a new GUID is needed`,
      { service, rows },
    );
  }
  // Put services abort with A; Get services report every error with E (Web Service Types), a
  // refused authorization on the Authorization_ID column.
  const isRefusal = (row: SpectrumResponseRow) => row.error_code === 'A' || (row.error_code === 'E' && isAuthorizationRow(row));
  const aborted = rows.filter(isRefusal);
  if (aborted.length > 0) {
    const permissionRefused = aborted.some((row) => row.column === 'Authorization_ID' && !/not active|inactive|not setup|not set up/i.test(row.desc));
    const permission = spectrumPermission(service) ?? service;
    const said = describeRows(aborted);
    const named = permissionRefused ? `${said.replace(/\.+$/, '')}; the Authorization ID needs the web service ${permission}` : said;
    throw new PermanentError(
      'spectrum',
      PermanentErrorTypes.SpectrumNotAuthorized,
      `Spectrum refused ${service} for ${what} under Authorization ID ${authorizationId}: ${named}`,
      { service, rows, authorizationId, ...(permissionRefused ? { permission } : {}) },
    );
  }
  const errors = rows.filter((row) => row.error_code === 'I' || row.error_code === 'M' || row.error_code === 'E');
  if (errors.length > 0) {
    throw new PermanentError('spectrum', PermanentErrorTypes.SpectrumRejected, `Spectrum rejected ${service} for ${what}: ${describeRows(errors)}`, {
      service,
      rows,
    });
  }
  const unknown = rows.filter((row) => !['S', 'G', 'W', ''].includes(row.error_code));
  if (unknown.length > 0) {
    throw new PermanentError(
      'spectrum',
      PermanentErrorTypes.InvalidResponse,
      `Spectrum answered ${service} for ${what} with unknown error_code ${[...new Set(unknown.map((row) => row.error_code))].join(', ')}: ${describeRows(unknown)}`,
      { service, rows },
    );
  }
}

/** A Get service's E row about the Authorization ID ("The web service is not Authorized", column Authorization_ID). */
function isAuthorizationRow(row: SpectrumResponseRow): boolean {
  return row.column === 'Authorization_ID' || /not authori[sz]ed/i.test(row.desc);
}

function faultError(service: SpectrumService, fault: Extract<ParsedReply, { kind: 'fault' }>, status: number): Error {
  const said = `${fault.faultcode || '(no faultcode)'} "${fault.faultstring || '(no faultstring)'}"`;
  if (fault.faultKind === 'Client') {
    return new PermanentError('spectrum', PermanentErrorTypes.InvalidRequest, `Spectrum refused the ${service} request: SOAP fault ${said}`, {
      status,
      service,
      faultcode: fault.faultcode,
      faultstring: fault.faultstring,
    });
  }
  // Server faults ("Error executing Web Service", intermittent under load) and unknown ones: the call may have run.
  const transientStatus = classifyStatus(status);
  return new TransientError('spectrum', `${service} answered SOAP fault ${said} (HTTP ${status})`, {
    status,
    outcome: transientStatus === 'transient-not-processed' ? 'not-processed' : 'unknown',
  });
}

function oauthError(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    const parts = [body.error, body.error_description].filter((part): part is string => typeof part === 'string' && part !== '');
    return parts.length > 0 ? parts.join(': ') : undefined;
  } catch {
    return undefined;
  }
}
