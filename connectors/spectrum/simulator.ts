/**
 * Dexter + Chaney Spectrum Data Exchange simulator: the SOAP 1.1 services FieldBridge calls
 * (`POST /ws/<Service>`), their WSDLs (`GET /wsdls/<Service>.jws`), the enhanced-authentication
 * token endpoint (`POST /connect/token`) and secret rotation (`POST /secretRotation`, client secrets
 * that expire), and admin routes. SDX's rules live in simulator-state.ts;
 * this file adds SOAP (every declared parameter present, else a SOAP-ENV:Client fault), bearer
 * tokens, and faults: the shared ones (simulators/faults.ts) plus Spectrum's own (serverFault,
 * truncateReply, applyThenTimeout, forceReply). See simulators/README.md.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FaultConfigSchema, FaultInjector, hasSharedFault, registerFaultRoutes } from '../../simulators/faults';
import { HttpError, type ListenOptions, type SimulatorLogger, createSimulatorApp, listen, parseOr400 } from '../../simulators/http';
import { buildFaultEnvelope, buildReplyEnvelope, parseRequestEnvelope, truncateAfterLastResponse } from './envelope';
import { CUSTOMER_COLUMNS, MATERIAL_COST_COLUMNS, SPECTRUM_SERVICES, SPECTRUM_SERVICE_NAMES, declaredParameters, type SpectrumService } from './limits';
import type { SpectrumResponseRow } from './schemas';
import { buildWsdl } from './wsdl';
import {
  SpectrumSeedSchema,
  SpectrumState,
  type IssuedToken,
  type SpectrumAuthorization,
  type SpectrumRequestLogEntry,
  type SpectrumSeed,
  type SpectrumSimulatorSettings,
} from './simulator-state';

export * from './simulator-state';

/** Fault route ids: the service names, and `token` for POST /connect/token (shared faults only). */
export const SPECTRUM_ROUTE_IDS = [...SPECTRUM_SERVICE_NAMES, 'token'] as const;

const ResponseRowSchema = z.object({ error_code: z.string().max(1), desc: z.string(), column: z.string() }).strict();

/** The shared fault model plus Spectrum's own kinds, which act on the SOAP services only. */
export const SpectrumFaultConfigSchema = FaultConfigSchema.extend({
  /** HTTP 500 with the SOAP-ENV:Server fault "Error executing Web Service"; nothing applied. */
  serverFault: z.boolean().optional(),
  /** Apply the call, then cut the reply right after its last complete </response> (no closing tags). */
  truncateReply: z.boolean().optional(),
  /** Apply the call, then never answer (a lost answer). Calls that apply nothing are answered. */
  applyThenTimeout: z.boolean().optional(),
  /** Answer these rows, applying nothing. */
  forceReply: z.object({ rows: z.array(ResponseRowSchema).min(1) }).strict().optional(),
}).strict();
export type SpectrumFaultConfig = z.infer<typeof SpectrumFaultConfigSchema>;

function hasSpectrumFault(config: SpectrumFaultConfig): boolean {
  return config.serverFault === true || config.truncateReply === true || config.applyThenTimeout === true || config.forceReply !== undefined;
}

export interface SpectrumSimulatorOptions extends ListenOptions {
  logger?: SimulatorLogger;
  authorizations: SpectrumAuthorization[];
  /**
   * When set, every SOAP call needs a valid Bearer token from POST /connect/token. A client's secret
   * may expire (`secretExpiresAt`, epoch ms: the token endpoint then refuses it) and, with
   * `allowSelfRotation`, be rotated by POST /secretRotation (a new secret valid `rotationDays`,
   * default 30; the old one is refused from then on *(assumed)*).
   */
  enhancedAuth?: {
    clients: Array<{ clientId: string; clientSecret: string; authorizationId: string; secretExpiresAt?: number; allowSelfRotation?: boolean }>;
    tokenTtlSeconds?: number;
    rotationDays?: number;
  };
  settings: SpectrumSimulatorSettings;
  /** A method + Authorization_ID + GUID unused this long answers "Time out has occurred". Default 24 h. */
  guidIdleTimeoutMs?: number;
  /** Reference data loaded at start and again on reset. */
  seed?: SpectrumSeed;
  /** The simulator's clock (GUID idle time, token expiry); default Date.now. */
  now?: () => number;
}

export interface SpectrumSimulator {
  /** Base URL, e.g. http://127.0.0.1:4030 (WSDLs at `${url}/wsdls/<Service>.jws`, token at `${url}/connect/token`). */
  readonly url: string;
  /** `${url}/ws`: the Web Services URL a client is configured with. */
  readonly wsUrl: string;
  readonly state: SpectrumState;
  readonly faults: FaultInjector<SpectrumFaultConfig>;
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_TOKEN_TTL_SECONDS = 3600;
/** *(assumed)* Days a self-rotated secret is valid (Spectrum's setting is 7 to 120). */
const DEFAULT_ROTATION_DAYS = 30;
const SERVER_FAULT = 'Error executing Web Service';
const XML = 'text/xml; charset=utf-8';

/** A client's current secret (the token endpoint's view; rotation replaces it). */
interface ClientSecretState {
  secret: string;
  authorizationId: string;
  expiresAt?: number;
  allowSelfRotation: boolean;
}

interface Context {
  /** Client ID -> its current secret; rebuilt from the options on reset. */
  secrets: Map<string, ClientSecretState>;
  state: SpectrumState;
  faults: FaultInjector<SpectrumFaultConfig>;
  options: SpectrumSimulatorOptions;
  now: () => number;
  url: () => string;
}

/** Error answers of the public routes: a SOAP fault (Client for a 4xx, Server for a 5xx). */
function soapFaultBody({ statusCode, message }: { statusCode: number; message: string }): string {
  return buildFaultEnvelope(statusCode < 500 ? 'Client' : 'Server', message);
}

/**
 * The Get form of rows: data columns empty, the row in Error_Code/Error_Description/Error_Column.
 * `asGetErrors`: SDX's own answers, where a Get service reports every error (the Put services' A, I,
 * M) as `E` (Web Service Types) and warnings as `W`; forced rows keep their code.
 */
function asGetRows(service: SpectrumService, rows: SpectrumResponseRow[], asGetErrors = false): Array<Record<string, string>> {
  const columns = service === 'GetWOMaterialCost' ? MATERIAL_COST_COLUMNS : CUSTOMER_COLUMNS;
  return rows.map((r) => ({
    ...Object.fromEntries(columns.map((column) => [column, ''])),
    Error_Code: asGetErrors && ['A', 'I', 'M'].includes(r.error_code) ? 'E' : r.error_code,
    Error_Description: r.desc,
    Error_Column: r.column,
  }));
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

function registerServiceRoutes(app: FastifyInstance, { state, faults, options, now, url }: Context): void {
  const entries = new WeakMap<FastifyRequest, { entry: SpectrumRequestLogEntry; params?: Record<string, string | null>; operation?: string; token?: IssuedToken }>();

  for (const service of SPECTRUM_SERVICE_NAMES) {
    // Log and authenticate (bearer) before faults, as a gateway in front of SDX would.
    const logAndAuthenticate = async (request: FastifyRequest, reply: FastifyReply) => {
      const bearer = bearerOf(request);
      const entry: SpectrumRequestLogEntry = { receivedAt: new Date(now()).toISOString(), service, guid: '', authorizationId: '', bearer: bearer !== undefined };
      state.requests.push(entry);
      let parsed: { operation?: string; params?: Record<string, string | null> } = {};
      try {
        parsed = typeof request.body === 'string' ? parseRequestEnvelope(request.body) : {};
      } catch {
        parsed = {};
      }
      entry.guid = parsed.params?.GUID ?? '';
      entry.authorizationId = parsed.params?.Authorization_ID ?? '';
      const context: { entry: SpectrumRequestLogEntry; params?: Record<string, string | null>; operation?: string; token?: IssuedToken } = { entry, ...parsed };
      entries.set(request, context);
      if (!options.enhancedAuth) return;
      const token = bearer ? state.tokens.get(bearer) : undefined;
      if (!token || token.expiresAt <= now()) {
        entry.outcome = 'unauthorized';
        return reply
          .code(401)
          .header('www-authenticate', bearer ? 'Bearer error="invalid_token"' : 'Bearer')
          .type('text/plain; charset=utf-8')
          .send(bearer ? 'The access token is invalid or expired.' : 'An access token is required.');
      }
      context.token = token;
    };

    app.post(`/ws/${service}`, { preHandler: [logAndAuthenticate, faults.hook(service)] }, async (request, reply) => {
      const context = entries.get(request)!;
      const { entry } = context;
      const fault = faults.appliedTo(request);
      const fail = (kind: 'Client' | 'Server', message: string) => {
        entry.outcome = 'fault';
        entry.fault = `SOAP-ENV:${kind}: ${message}`;
        return reply.code(500).type(XML).send(buildFaultEnvelope(kind, message));
      };
      if (typeof request.body !== 'string' || context.params === undefined) {
        let reason = 'the request body is no SOAP envelope';
        try {
          parseRequestEnvelope(typeof request.body === 'string' ? request.body : '');
        } catch (err) {
          reason = (err as Error).message;
        }
        return fail('Client', reason);
      }
      if (context.operation !== service) return fail('Client', `the SOAP Body calls ${context.operation}, not ${service}`);
      const declared = declaredParameters(service);
      const missing = declared.filter((name) => !(name in context.params!));
      if (missing.length > 0) return fail('Client', `missing parameter(s) ${missing.join(', ')} of ${service}`);
      const unknown = Object.keys(context.params).filter((name) => !declared.includes(name));
      if (unknown.length > 0) return fail('Client', `unknown parameter(s) ${unknown.join(', ')} for ${service}`);
      const invalid = declared.filter((name) => context.params![name] === null);
      if (invalid.length > 0) return fail('Client', `parameter(s) ${invalid.join(', ')} must be a single text element`);

      if (fault?.serverFault) return fail('Server', SERVER_FAULT);
      const isGet = SPECTRUM_SERVICES[service].kind === 'get';
      let rows: Array<Record<string, string>>;
      let applied = false;
      if (fault?.forceReply) {
        rows = isGet ? asGetRows(service, fault.forceReply.rows) : fault.forceReply.rows.map((r) => ({ ...r }));
        entry.rows = fault.forceReply.rows;
      } else {
        const outcome = state.call(service, context.params as Record<string, string>, context.token);
        applied = outcome.applied;
        entry.rows = outcome.rows;
        const errorRows = isGet ? asGetRows(service, outcome.rows, true) : outcome.rows.map((r) => ({ ...r }));
        rows = outcome.data ? [...outcome.data.map((data) => ({ ...data, Error_Code: '', Error_Description: '', Error_Column: '' })), ...errorRows] : errorRows;
      }
      entry.applied = applied;
      if (fault?.applyThenTimeout && applied) {
        entry.outcome = 'hung';
        faults.hang(request, reply);
        return reply;
      }
      entry.outcome = 'rows';
      let xml = buildReplyEnvelope(service, rows);
      if (fault?.truncateReply) {
        xml = truncateAfterLastResponse(xml);
        entry.truncated = true;
      }
      return reply.code(200).type(XML).send(xml);
    });
  }

  const sendWsdl = async (request: FastifyRequest<{ Params: { file: string } }>, reply: FastifyReply) => {
    const name = request.params.file.endsWith('.jws') ? request.params.file.slice(0, -'.jws'.length) : request.params.file;
    const service = SPECTRUM_SERVICE_NAMES.find((s) => s === name);
    if (!service) throw new HttpError(404, `No WSDL ${request.params.file}`);
    return reply.type(XML).send(buildWsdl(service, `${url()}/ws/${service}`));
  };
  app.get<{ Params: { file: string } }>('/wsdls/:file', sendWsdl);
}

const TokenRequestSchema = z.object({
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  scope: z.string().optional(),
  grant_type: z.string().optional(),
});

function registerTokenRoute(app: FastifyInstance, { state, faults, options, now, secrets }: Context): void {
  const oauthError = (reply: FastifyReply, status: number, error: string, description: string) =>
    reply.code(status).type('application/json').send({ error, error_description: description });

  /** The form's client, or the OAuth error answered. */
  const authenticate = (request: FastifyRequest, reply: FastifyReply): { clientId: string; client: ClientSecretState } | FastifyReply => {
    if (!options.enhancedAuth) return oauthError(reply, 404, 'not_found', 'Enhanced authentication is not enabled on this server.');
    const form = TokenRequestSchema.safeParse(request.body);
    if (!form.success) return oauthError(reply, 400, 'invalid_request', 'The body must be a form (application/x-www-form-urlencoded).');
    const { client_id, client_secret, scope, grant_type } = form.data;
    if (grant_type !== 'client_credentials') return oauthError(reply, 400, 'unsupported_grant_type', 'grant_type must be client_credentials.');
    const client = client_id ? secrets.get(client_id) : undefined;
    if (!client || client.secret !== client_secret) return oauthError(reply, 400, 'invalid_client', 'Unknown client or wrong secret.');
    if (client.expiresAt !== undefined && client.expiresAt <= now()) return oauthError(reply, 400, 'invalid_client', 'The client secret has expired.');
    if (scope !== 'spectrumapi') return oauthError(reply, 400, 'invalid_scope', 'scope must be spectrumapi.');
    return { clientId: client_id!, client };
  };

  app.post('/connect/token', { preHandler: faults.hook('token') }, async (request, reply) => {
    state.tokenRequests += 1;
    const auth = authenticate(request, reply);
    if (!('client' in auth)) return auth;
    const ttl = options.enhancedAuth!.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    const token = randomBytes(24).toString('base64url');
    state.tokens.set(token, { clientId: auth.clientId, authorizationId: auth.client.authorizationId, expiresAt: now() + ttl * 1000 });
    return reply.type('application/json').send({ access_token: token, expires_in: ttl, token_type: 'Bearer', scope: 'spectrumapi' });
  });

  // Enhanced Authentication page: the same fields answer a new client_secret and its estimated_expiration.
  app.post('/secretRotation', { preHandler: faults.hook('token') }, async (request, reply) => {
    const auth = authenticate(request, reply);
    if (!('client' in auth)) return auth;
    if (!auth.client.allowSelfRotation) return oauthError(reply, 400, 'unauthorized_client', 'Self-rotation is not allowed for this client (Secret Status -> Allow self-rotation).');
    const expiresAt = now() + (options.enhancedAuth!.rotationDays ?? DEFAULT_ROTATION_DAYS) * DAY_MS;
    auth.client.secret = randomBytes(24).toString('base64url');
    auth.client.expiresAt = expiresAt;
    return reply.type('application/json').send({ client_secret: auth.client.secret, estimated_expiration: new Date(expiresAt).toISOString() });
  });
}

function registerAdminRoutes(app: FastifyInstance, { state, faults, secrets, options }: Context): void {
  void app.register(async (admin) => {
    // Admin answers are JSON, not SOAP faults.
    admin.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
      const status = error instanceof HttpError ? error.statusCode : error.statusCode && error.statusCode < 500 ? 400 : 500;
      return reply.code(status).send({ Message: error.message });
    });
    admin.get('/__admin/state', async () => ({
      settings: state.settings,
      authorizations: state.authorizations,
      workOrders: [...state.workOrders.values()],
      customers: [...state.customers.values()],
      sites: [...state.sites.values()],
      jobs: [...state.jobs],
      divisions: [...state.divisions],
      leadSources: [...state.leadSources],
      warehouses: [...state.warehouses.values()],
      items: [...state.items.values()],
      requests: state.requests,
      tokenRequests: state.tokenRequests,
      tokensIssued: state.tokens.size,
    }));
    admin.get('/__admin/requests', async () => state.requests);
    admin.get<{ Params: { number: string }; Querystring: { company?: string } }>('/__admin/work-orders/:number', async (request) => {
      const order = state.workOrder(request.params.number, request.query.company);
      if (!order) throw new HttpError(404, `Work order ${request.params.number} not found`);
      return order;
    });
    admin.post('/__admin/seed', async (request, reply) => {
      state.seed(parseOr400(SpectrumSeedSchema, request.body, 'seed'));
      return reply.code(204).send();
    });
    admin.post<{ Params: { guid: string } }>('/__admin/guids/:guid/expire', async (request) => ({ expired: state.expireGuid(request.params.guid) }));
    admin.post('/__admin/tokens/revoke', async () => ({ revoked: state.revokeTokens() }));
    // An administrator's Rotate Secret (Secret Status): a new secret, the old one refused from now on.
    admin.post<{ Params: { clientId: string }; Body: { expiresAt?: string } | undefined }>('/__admin/clients/:clientId/rotate', async (request) => {
      const client = secrets.get(request.params.clientId);
      if (!client) throw new HttpError(404, `No client ${request.params.clientId}`);
      client.secret = randomBytes(24).toString('base64url');
      const expiresAt = request.body?.expiresAt ? Date.parse(request.body.expiresAt) : NaN;
      client.expiresAt = Number.isNaN(expiresAt) ? undefined : expiresAt;
      return { clientId: request.params.clientId, client_secret: client.secret, estimated_expiration: client.expiresAt ? new Date(client.expiresAt).toISOString() : null };
    });
    admin.put('/__admin/settings', async (request) => {
      state.settings = parseOr400(
        z.object({ leadSourceRequired: z.boolean(), defaultDivision: z.string().min(1).max(5).optional(), maxGetRows: z.number().int().positive().optional() }).strict(),
        request.body,
        'settings',
      );
      return state.settings;
    });
    admin.post('/__admin/reset', async (_request, reply) => {
      state.reset();
      resetSecrets(secrets, options);
      faults.clear();
      return reply.code(204).send();
    });
    registerFaultRoutes(admin, faults);
  });
}

function resetSecrets(secrets: Map<string, ClientSecretState>, options: SpectrumSimulatorOptions): void {
  secrets.clear();
  for (const c of options.enhancedAuth?.clients ?? []) {
    secrets.set(c.clientId, { secret: c.clientSecret, authorizationId: c.authorizationId, expiresAt: c.secretExpiresAt, allowSelfRotation: c.allowSelfRotation ?? false });
  }
}

export async function startSpectrumSimulator(options: SpectrumSimulatorOptions): Promise<SpectrumSimulator> {
  const app = createSimulatorApp('spectrum', options.logger, soapFaultBody);
  app.addContentTypeParser(['text/xml', 'application/soap+xml'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  // The harness answers errors as the formatter's string: SOAP faults are XML.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (typeof payload === 'string' && payload.startsWith('<?xml') && String(reply.getHeader('content-type') ?? '').startsWith('text/plain')) {
      reply.type(XML);
    }
    return payload;
  });

  const now = options.now ?? Date.now;
  let baseUrl = '';
  const secrets = new Map<string, ClientSecretState>();
  resetSecrets(secrets, options);
  const context: Context = {
    secrets,
    state: new SpectrumState({
      authorizations: options.authorizations,
      settings: options.settings,
      guidIdleTimeoutMs: options.guidIdleTimeoutMs ?? DAY_MS,
      seed: options.seed,
      now,
    }),
    faults: new FaultInjector({
      schema: SpectrumFaultConfigSchema,
      routeIds: SPECTRUM_ROUTE_IDS,
      affects: (config, routeId) => hasSharedFault(config) || (routeId !== 'token' && hasSpectrumFault(config)),
    }),
    options,
    now,
    url: () => baseUrl,
  };
  registerServiceRoutes(app, context);
  registerTokenRoute(app, context);
  registerAdminRoutes(app, context);

  baseUrl = await listen(app, options);
  return {
    url: baseUrl,
    wsUrl: `${baseUrl}/ws`,
    state: context.state,
    faults: context.faults,
    close: async () => {
      context.faults.close();
      await app.close();
    },
  };
}
