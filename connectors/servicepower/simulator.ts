/**
 * ServicePower ServiceMobility simulator: the Work Order REST API (`/seiapi/v3/trans/WorkOrder/{num}`
 * with GET, PUT, POST, PATCH, DELETE and `x-access-token`), its rules (required properties, managed
 * accounts and locations, DispatchStatus, `_fields`/`_paths`/`Delete`, 409 conflicts, 410 after a
 * delete, warnings in 200 replies), a technician moving work orders through OrderStatus (admin) with
 * signed notifications, admin endpoints under /__admin and the shared fault model. Rules live in
 * ./simulator-state; see simulators/README.md (ServicePower) for what is real and what is assumed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

export interface ServicePowerSimulatorOptions extends ListenOptions {
  logger?: SimulatorLogger;
  /** Accepted `x-access-token` values. */
  tokens: string[];
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
  close(): Promise<void>;
}

interface Context {
  state: ServicePowerState;
  faults: FaultInjector<ServicePowerFaultConfig>;
  notifications: NotificationDispatcher;
  initialTarget: NotificationTarget | null;
  tokens: ReadonlySet<string>;
  apiUrl: () => string;
}

type NumParams = { Params: { num: string } };

/** `{code, detail}`: one warning as an object, several as a list *(assumed)*. */
function answer(code: number, warnings: Warning[]) {
  if (warnings.length === 0) return { code };
  const details = warnings.map((w) => ({ message: w.message, ...(w.params ? { params: w.params } : {}), ...(w.dataPath ? { dataPath: w.dataPath } : {}) }));
  return { code, detail: details.length === 1 ? details[0] : details };
}

function registerPublicRoutes(app: FastifyInstance, { state, faults, tokens, apiUrl }: Context): void {
  void app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      const num = (request.params as { num?: string } | undefined)?.num ?? '';
      const entry: RequestLogEntry = { at: new Date().toISOString(), method: request.method, workOrderNum: num };
      state.requests.push(entry);
      requestEntries.set(request, entry);
      const token = request.headers['x-access-token'];
      if (typeof token !== 'string' || !tokens.has(token)) {
        throw new HttpError(401, token ? 'Unauthorized: the x-access-token is not valid' : 'Unauthorized: the x-access-token header is missing');
      }
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

function registerAdminRoutes(app: FastifyInstance, { state, faults, notifications, initialTarget }: Context): void {
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
  // ServiceMobility's reply body: {code, detail: {message, params, dataPath}}. HttpError.code carries the dataPath.
  const app = createSimulatorApp('servicepower', opts.logger, ({ statusCode, message, code }) => ({
    code: statusCode,
    detail: { message, ...(code && !code.startsWith('ERROR_') ? { dataPath: code } : {}) },
  }));
  const initialTarget = opts.notification ? NotificationTargetSchema.parse(opts.notification) : null;
  const state = new ServicePowerState(opts.seed ?? {}, opts.now);
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
    tokens: new Set(opts.tokens),
    apiUrl: () => apiUrl,
  };
  registerPublicRoutes(app, context);
  registerAdminRoutes(app, context);
  app.addHook('onClose', async () => notifications.close());

  const rootUrl = await listen(app, opts);
  apiUrl = `${rootUrl}${API_BASE_PATH}`;
  return {
    url: apiUrl,
    rootUrl,
    state,
    faults: context.faults,
    notifications,
    close: () => app.close(),
  };
}
