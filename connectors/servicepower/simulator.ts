/**
 * ServicePower ServiceMobility simulator: the Create JWT REST API (`POST /createjwt {username,
 * password}` -> `{token}`, an HS256 JWT with `iat` and `exp`), the Work Order REST API
 * (`/seiapi/v3/trans/WorkOrder/{num}` with GET, PUT, POST, PATCH, DELETE and `x-access-token`: a JWT
 * it created, not expired), its rules (required properties, managed
 * accounts and locations, DispatchStatus, `_fields`/`_paths`/`Delete`, 409 conflicts, 410 after a
 * delete, warnings in 200 replies), a technician moving work orders through OrderStatus (admin) with
 * signed notifications, admin endpoints under /__admin and the shared fault model. Rules live in
 * ./simulator-state; see simulators/README.md (ServicePower) for what is real and what is assumed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type RequestLogEntry, type ServicePowerSeed, ServicePowerSeedSchema, ServicePowerState, StatusChangeSchema, type Warning } from './simulator-state';
import { NotificationDispatcher, type NotificationTarget, NotificationTargetSchema } from './simulator-notifications';
import { FaultConfigSchema, FaultInjector, hasSharedFault, registerFaultRoutes } from '../../simulators/faults';
import { HttpError, type ListenOptions, type SimulatorLogger, createSimulatorApp, listen, parseOr400 } from '../../simulators/http';
import { registerTargetRoutes } from '../../simulators/webhooks';

export { ServicePowerState } from './simulator-state';
export type { ServicePowerSeed } from './simulator-state';

export const API_BASE_PATH = '/seiapi/v3/trans';

export const SERVICEPOWER_ROUTE_IDS = ['getWorkOrder', 'putWorkOrder', 'postWorkOrder', 'patchWorkOrder', 'deleteWorkOrder'] as const;
const WRITE_ROUTES: readonly string[] = ['putWorkOrder', 'postWorkOrder', 'patchWorkOrder', 'deleteWorkOrder'];

export const ServicePowerFaultConfigSchema = FaultConfigSchema.extend({
  /** Apply the write, then never answer (a lost answer); requests that change nothing are answered. */
  applyThenHang: z.boolean().optional(),
}).strict();
export type ServicePowerFaultConfig = z.infer<typeof ServicePowerFaultConfigSchema>;

export const SimulatorUserSchema = z.object({ username: z.string().min(1), password: z.string().min(1) }).strict();
export type ServicePowerSimulatorUser = z.infer<typeof SimulatorUserSchema>;

/**
 * The two error bodies MOB3 documents: `code-detail` ("_REST Response Codes": `{code, detail:
 * {message, params, dataPath}}`, the default) and `standard` ("Standard Response Object": `{type,
 * title, status, detail, invalidParams}`). Which one a real server sends is not documented per API.
 */
export type ServicePowerErrorShape = 'code-detail' | 'standard';

export interface ServicePowerSimulatorOptions extends ListenOptions {
  logger?: SimulatorLogger;
  /** Who may create a JWT (`POST /createjwt`). */
  users: ServicePowerSimulatorUser[];
  /** Life of a created JWT (its `exp` - `iat`); default 3600 s *(assumed: MOB3 does not say)*. */
  tokenLifetimeSeconds?: number;
  /** The error body; default `code-detail` (switch at run time: `POST /__admin/error-shape`). */
  errorShape?: ServicePowerErrorShape;
  /** Where technician moves are notified, and the HMAC secret they are signed with; none sent without one. */
  notification?: NotificationTarget;
  /** Waits before the 2nd and 3rd notification attempt; default [200, 1000]. */
  notificationRetryDelaysMs?: readonly number[];
  /** Master data and work orders loaded at start and on reset (e.g. demoServicePowerData). */
  seed?: ServicePowerSeed;
  /** Clock (tests). */
  now?: () => Date;
}

export interface ServicePowerSimulator {
  /** The API base, ending in /seiapi/v3/trans: a ServicePowerClient's baseUrl. */
  readonly url: string;
  /** The server root (admin routes are under `${rootUrl}/__admin`). */
  readonly rootUrl: string;
  readonly state: ServicePowerState;
  readonly faults: FaultInjector<ServicePowerFaultConfig>;
  readonly notifications: NotificationDispatcher;
  /** The JWT issuer: `createjwt` calls, and a way to make a token now (tests). */
  readonly jwt: JwtIssuer;
  /** Which error body the simulator sends now. */
  errorShape: ServicePowerErrorShape;
  close(): Promise<void>;
}

/** Issues and checks the simulator's JWTs (HS256, secret per simulator). */
export class JwtIssuer {
  private readonly secret = randomBytes(32);
  /** `POST /createjwt` calls answered with a token. */
  issued = 0;
  /** Token ids (jti) issued, and those revoked before their exp (admin: the server forgot them). */
  private readonly issuedIds: string[] = [];
  private readonly revoked = new Set<string>();

  constructor(
    readonly users: ServicePowerSimulatorUser[],
    public lifetimeSeconds: number,
    private readonly now: () => Date,
  ) {}

  issue(username: string): string {
    const iat = Math.floor(this.now().getTime() / 1000);
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const jti = randomBytes(8).toString('hex');
    this.issuedIds.push(jti);
    const payload = Buffer.from(JSON.stringify({ name: username, iat, exp: iat + this.lifetimeSeconds, jti })).toString('base64url');
    const signature = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest('base64url');
    this.issued += 1;
    return `${header}.${payload}.${signature}`;
  }

  /** Why the token is refused, or null when it is valid now. */
  check(token: string): string | null {
    const [header, payload, signature] = token.split('.');
    if (!header || !payload || !signature) return 'the x-access-token is not a JWT';
    const expected = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'the x-access-token signature is not valid';
    let claims: { exp: number; jti: string };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp: number; jti: string };
    } catch {
      return 'the x-access-token is not a JWT';
    }
    if (claims.exp * 1000 <= this.now().getTime()) return 'the x-access-token has expired';
    if (this.revoked.has(claims.jti)) return 'the x-access-token has been revoked';
    return null;
  }

  /** Every token issued so far is refused from now on. */
  revokeAll(): void {
    for (const id of this.issuedIds) this.revoked.add(id);
  }
}

interface Context {
  state: ServicePowerState;
  faults: FaultInjector<ServicePowerFaultConfig>;
  notifications: NotificationDispatcher;
  initialTarget: NotificationTarget | null;
  jwt: JwtIssuer;
  apiUrl: () => string;
}

type NumParams = { Params: { num: string } };

/** `{code, detail}`: one warning as an object, several as a list *(assumed)*. */
function answer(code: number, warnings: Warning[]) {
  if (warnings.length === 0) return { code };
  const details = warnings.map((w) => ({ message: w.message, ...(w.params ? { params: w.params } : {}), ...(w.dataPath ? { dataPath: w.dataPath } : {}) }));
  return { code, detail: details.length === 1 ? details[0] : details };
}

const CreateJwtBodySchema = z.object({ username: z.string(), password: z.string() });

function registerPublicRoutes(app: FastifyInstance, { state, faults, jwt, apiUrl }: Context): void {
  // MOB3 "Create JWT REST API": 200 {token}; 401 Invalid Logon.
  app.post('/createjwt', async (request) => {
    const body = CreateJwtBodySchema.safeParse(request.body);
    if (!body.success) throw new HttpError(400, 'The body must be the Authentication Object {"username": "", "password": ""}');
    const user = jwt.users.find((u) => u.username === body.data.username);
    if (!user || user.password !== body.data.password) throw new HttpError(401, 'Invalid Logon.');
    return { token: jwt.issue(user.username) };
  });

  void app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      const num = (request.params as { num?: string } | undefined)?.num ?? '';
      const entry: RequestLogEntry = { at: new Date().toISOString(), method: request.method, workOrderNum: num };
      state.requests.push(entry);
      requestEntries.set(request, entry);
      const token = request.headers['x-access-token'];
      const refused = typeof token === 'string' ? jwt.check(token) : 'the x-access-token header is missing';
      if (refused) throw new HttpError(401, `Unauthorized: ${refused}`);
    });
    api.addHook('onResponse', async (request, reply) => {
      const entry = requestEntries.get(request);
      if (entry) entry.status = reply.statusCode;
    });

    /** Answers the write, or hangs it after applying when the applyThenHang fault is on. */
    const respond = (request: FastifyRequest, reply: FastifyReply, status: number, warnings: Warning[], headers: Record<string, string> = {}) => {
      if (faults.appliedTo(request)?.applyThenHang) {
        faults.hang(request, reply);
        return reply;
      }
      return reply.code(status).headers(headers).send(answer(status, warnings));
    };

    const path = `${API_BASE_PATH}/WorkOrder/:num`;
    api.get<NumParams>(path, { preHandler: faults.hook('getWorkOrder') }, async (request) => state.get(request.params.num));

    api.put<NumParams>(path, { preHandler: faults.hook('putWorkOrder') }, async (request, reply) => {
      const num = request.params.num;
      const { created, warnings } = state.put(num, request.body);
      const location = `${apiUrl()}/WorkOrder/${encodeURIComponent(num)}`;
      return respond(request, reply, created ? 201 : 200, warnings, created ? { location } : {});
    });

    api.post<NumParams>(path, { preHandler: faults.hook('postWorkOrder') }, async (request, reply) =>
      respond(request, reply, 200, state.post(request.params.num, request.body).warnings),
    );

    api.patch<NumParams>(path, { preHandler: faults.hook('patchWorkOrder') }, async (request, reply) =>
      respond(request, reply, 200, state.patch(request.params.num, request.body).warnings),
    );

    api.delete<NumParams>(path, { preHandler: faults.hook('deleteWorkOrder') }, async (request, reply) =>
      respond(request, reply, 200, state.delete(request.params.num).warnings),
    );

    const notSupported = async (request: FastifyRequest) => {
      throw new HttpError(405, `The HTTP method ${request.method} is not supported for this resource`);
    };
    api.options(path, notSupported);
    api.all(`${API_BASE_PATH}/WorkOrder`, notSupported);
  });
}

const requestEntries = new WeakMap<FastifyRequest, RequestLogEntry>();

const NotifyQuerySchema = z.object({ notify: z.enum(['true', 'false']).default('true') });

function registerAdminRoutes(app: FastifyInstance, { state, faults, notifications, initialTarget, jwt, shape }: Context & { shape: { current: ServicePowerErrorShape } }): void {
  app.get('/__admin/state', async () => ({
    ...state.snapshot(),
    notificationTarget: notifications.target ? { url: notifications.target.url } : null,
    notifications: notifications.deliveries,
    faults: faults.state(),
  }));

  app.post('/__admin/seed', async (request, reply) => {
    state.seed(parseOr400(ServicePowerSeedSchema, request.body ?? {}, 'seed'));
    return reply.code(204).send();
  });

  app.post('/__admin/reset', async (_request, reply) => {
    state.reset();
    faults.clear();
    notifications.clear();
    notifications.target = initialTarget;
    return reply.code(204).send();
  });

  app.get<NumParams>('/__admin/workorders/:num', async (request) => state.stored(request.params.num));

  app.post<NumParams>('/__admin/workorders/:num/status', async (request) => {
    const change = parseOr400(StatusChangeSchema, request.body, 'status change');
    const notify = parseOr400(NotifyQuerySchema, request.query, 'query').notify === 'true';
    const { workOrder, notification } = state.setOrderStatus(request.params.num, change, { notify });
    return { workOrder, notification };
  });

  app.get('/__admin/requests', async () => ({ requests: state.requests, counts: state.requestCounts() }));

  app.get('/__admin/jwt', async () => ({ issued: jwt.issued, lifetimeSeconds: jwt.lifetimeSeconds }));
  app.post('/__admin/jwt', async (request, reply) => {
    const body = parseOr400(z.object({ lifetimeSeconds: z.number().int().positive().optional(), revokeAll: z.boolean().optional() }).strict(), request.body ?? {}, 'jwt settings');
    if (body.lifetimeSeconds !== undefined) jwt.lifetimeSeconds = body.lifetimeSeconds;
    if (body.revokeAll) jwt.revokeAll();
    return reply.code(204).send();
  });
  app.post('/__admin/error-shape', async (request, reply) => {
    const body = parseOr400(z.object({ errorShape: z.enum(['code-detail', 'standard']) }).strict(), request.body, 'error shape');
    shape.current = body.errorShape;
    return reply.code(204).send();
  });

  // The secret is never shown.
  registerTargetRoutes(app, '/__admin/notification', notifications, NotificationTargetSchema, {
    what: 'notification target',
    show: ({ url }) => ({ url }),
  });
  app.get('/__admin/notifications', async () => notifications.deliveries);
  app.post<{ Params: { eventId: string } }>('/__admin/notifications/:eventId/resend', async (request, reply) => {
    const delivery = notifications.resend(request.params.eventId);
    if (!delivery) throw new HttpError(404, `No notification ${request.params.eventId}`);
    return reply.code(202).send(delivery);
  });

  registerFaultRoutes(app, faults);
}

export async function startServicePowerSimulator(opts: ServicePowerSimulatorOptions): Promise<ServicePowerSimulator> {
  // ServiceMobility's reply body, in the shape chosen: HttpError.code carries the dataPath.
  const shape = { current: opts.errorShape ?? ('code-detail' as ServicePowerErrorShape) };
  const app = createSimulatorApp('servicepower', opts.logger, ({ statusCode, message, code }) => errorBody(shape.current, statusCode, message, code && !code.startsWith('ERROR_') ? code : undefined));
  const initialTarget = opts.notification ? NotificationTargetSchema.parse(opts.notification) : null;
  const state = new ServicePowerState(opts.seed ?? {}, opts.now);
  const jwt = new JwtIssuer(opts.users.map((u) => SimulatorUserSchema.parse(u)), opts.tokenLifetimeSeconds ?? 3600, opts.now ?? (() => new Date()));
  const notifications = new NotificationDispatcher(app.log, initialTarget, opts.notificationRetryDelaysMs);
  state.onStatusChange = (notification, { notify }) => void notifications.emit(notification, { drop: !notify });
  let apiUrl = '';
  const context: Context = {
    state,
    faults: new FaultInjector<ServicePowerFaultConfig>({
      schema: ServicePowerFaultConfigSchema,
      routeIds: SERVICEPOWER_ROUTE_IDS,
      affects: (config, routeId) => hasSharedFault(config) || (config.applyThenHang === true && WRITE_ROUTES.includes(routeId)),
    }),
    notifications,
    initialTarget,
    jwt,
    apiUrl: () => apiUrl,
  };
  registerPublicRoutes(app, context);
  registerAdminRoutes(app, { ...context, shape });
  app.addHook('onClose', async () => notifications.close());

  const rootUrl = await listen(app, opts);
  apiUrl = `${rootUrl}${API_BASE_PATH}`;
  return {
    url: apiUrl,
    rootUrl,
    state,
    faults: context.faults,
    notifications,
    jwt,
    get errorShape() {
      return shape.current;
    },
    set errorShape(value: ServicePowerErrorShape) {
      shape.current = value;
    },
    close: () => app.close(),
  };
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  500: 'Internal Server Error',
};

/** An error reply in either documented shape. */
export function errorBody(shape: ServicePowerErrorShape, status: number, message: string, dataPath?: string): Record<string, unknown> {
  if (shape === 'standard') {
    return {
      type: `https://httpstatuses.io/${status}`,
      title: TITLES[status] ?? 'Error',
      status,
      detail: message,
      ...(dataPath ? { invalidParams: [{ name: dataPath.split('.').pop() ?? dataPath, reason: message, path: `$.${dataPath}` }] } : {}),
    };
  }
  return { code: status, detail: { message, ...(dataPath ? { dataPath } : {}) } };
}
