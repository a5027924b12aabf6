/**
 * ServiceChannel simulator: the provider-side API FieldBridge uses (OAuth 2.0 token endpoint with the
 * one-login-per-5-s limit; work orders, status, notes, check-in/out, schedule date, NTE, the
 * changed-since list), the per-minute limits per client id and per company with 429 (or 503) +
 * Retry-After + `{"Reason": ...}`, a log of every API request (peak rate per minute), the
 * permissions each subscriber grants the provider (seed 003) and signed webhooks with ServiceChannel's
 * delivery rules. Admin endpoints under /__admin and the shared fault model. Rules live in
 * ./simulator-state, webhooks in ./simulator-webhooks. See simulators/README.md (ServiceChannel) for
 * what is real and what is assumed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  CheckInBodySchema,
  CheckOutBodySchema,
  LOCATION_NOT_FOUND_ERROR_CODE,
  NOT_FOUND_ERROR_CODE,
  NoteBodySchema,
  NteBodySchema,
  ODATA_PAGE_SIZE,
  PERMISSION_ERROR_CODE,
  ScheduledDateBodySchema,
  StatusUpdateBodySchema,
  VALIDATION_ERROR_CODE,
  type ServiceChannelEnvironment,
  type ServiceChannelPermission,
} from './schemas';
import {
  AdminNoteSchema,
  type OAuthClient,
  type PermissionRefusal,
  PermissionsInputSchema,
  ServiceChannelSeedSchema,
  type ServiceChannelSeed,
  ServiceChannelState,
  scErrorCode,
  type User,
  WorkOrderInputSchema,
  WorkOrderPatchSchema,
} from './simulator-state';
import { WebhookDispatcher, type WebhookTarget, WebhookTargetSchema } from './simulator-webhooks';
import { FaultConfigSchema, FaultInjector, hasSharedFault, registerFaultRoutes } from '../../simulators/faults';
import { HttpError, type ListenOptions, type SimulatorLogger, createSimulatorApp, listen, parseOr400 } from '../../simulators/http';
import { registerTargetRoutes } from '../../simulators/webhooks';

export { ServiceChannelState } from './simulator-state';
export type { ServiceChannelSeed } from './simulator-state';

export const SERVICECHANNEL_ROUTE_IDS = [
  'token',
  'getWorkOrder',
  'updateStatus',
  'addNote',
  'listNotes',
  'checkIn',
  'checkOut',
  'updateScheduledDate',
  'updateNte',
  'listWorkOrders',
  'getLocation',
  'checkInActivity',
] as const;
type RouteId = (typeof SERVICECHANNEL_ROUTE_IDS)[number];

/** The write routes: the ones an "apply, then lose the answer" fault acts on. */
export const SERVICECHANNEL_WRITE_ROUTE_IDS: readonly RouteId[] = ['updateStatus', 'addNote', 'checkIn', 'checkOut', 'updateScheduledDate', 'updateNte'];

/**
 * The shared fault model plus ServiceChannel's own kinds (set with `PUT /__admin/faults`, limited to
 * `routes` and `count` like every fault):
 * - `applyThenLoseAnswer`: a write (the routes of SERVICECHANNEL_WRITE_ROUTE_IDS) is applied (stored,
 *   announced), then its answer is lost: `drop` destroys the connection without an answer, `504`
 *   answers a gateway's 504 page without the result. A write refused (permission, 400) is answered
 *   as usual (it still counts against `count`).
 * - `gateway404`: the request never reaches ServiceChannel: a gateway answers 404 with an HTML page
 *   (no ServiceChannel error body), nothing applied.
 */
export const ServiceChannelFaultConfigSchema = FaultConfigSchema.extend({
  applyThenLoseAnswer: z.enum(['drop', '504']).optional(),
  gateway404: z.boolean().optional(),
});
export type ServiceChannelFaultConfig = z.infer<typeof ServiceChannelFaultConfigSchema>;

function faultAffects(config: ServiceChannelFaultConfig, routeId: string): boolean {
  if (hasSharedFault(config) || config.gateway404 === true) return routeId !== 'token' || hasSharedFault(config);
  if (config.applyThenLoseAnswer !== undefined) return (SERVICECHANNEL_WRITE_ROUTE_IDS as readonly string[]).includes(routeId);
  return false;
}

/** What a gateway in front of ServiceChannel answers for a path it does not route (no ServiceChannel error body). */
export const GATEWAY_404_PAGE = '<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>';
const GATEWAY_504_PAGE = '<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>';

export interface ServiceChannelSimulatorOptions extends ListenOptions {
  logger?: SimulatorLogger;
  /** OAuth clients (Basic client authentication at the token endpoint). */
  clients: OAuthClient[];
  /** Users for the password grant. */
  users: User[];
  /** production (default): 300 requests/min per client id, 600 per company; sandbox: 40 and 80. */
  environment?: ServiceChannelEnvironment;
  /** Override the environment's per-minute limits (tests use small ones, or large ones to count logins under load). */
  limits?: { perClientPerMinute?: number; perCompanyPerMinute?: number };
  /** Length of the rate window; default 60000. */
  rateWindowMs?: number;
  /** 429 (default) or 503 for a throttled request. */
  throttleStatus?: 429 | 503;
  /** Least time between two logins of one user; default 5000. */
  loginIntervalMs?: number;
  /** 429 (default) or 503 for the login-limit refusal. */
  loginLimitStatus?: 429 | 503;
  /** Access token lifetime; default 600. */
  tokenTtlSeconds?: number;
  /** The provider's id on the work orders; default 2000081234. */
  providerId?: number;
  /** Permissions granted to the provider per subscriber id (seed 003's names), overriding the seed's. */
  permissions?: Record<number, readonly ServiceChannelPermission[]>;
  /** Where webhooks go and the signing key; none are sent without it. */
  webhook?: WebhookTarget;
  /** Deadline of one webhook attempt; default 5000. */
  webhookTimeoutMs?: number;
  /** The waits before each webhook retry (their number = retries); default 3 x 300000. */
  webhookRetryDelaysMs?: readonly number[];
  /** Consecutive failed attempts that disable the webhook; default 1000. */
  webhookDisableAfterFailures?: number;
  /** Announce the provider's own API changes by webhook too; default true. */
  webhookOnApiChanges?: boolean;
  /** Most rows one page of `/odata/workorders` holds (a larger `$top` gets this many); default 50, ServiceChannel's. */
  maxPageSize?: number;
  /** How `GET /workorders/{id}` shows the location: `reference` (default: LocationId 0, Location without address) or `whole`. */
  workOrderLocation?: 'reference' | 'whole';
  /** Called with every API exchange (request and answer), for contract tests. */
  onExchange?: (exchange: ServiceChannelExchange) => void;
  /** Data loaded at start, without webhooks (e.g. demoServiceChannelData). */
  seed?: ServiceChannelSeed;
}

/** One request to the simulator's API (not admin) and its answer, as a contract test checks them. */
export interface ServiceChannelExchange {
  routeId: string | undefined;
  method: string;
  /** The route's path pattern (e.g. `/v3/workorders/:id`). */
  route: string | undefined;
  url: string;
  query: Record<string, unknown>;
  contentType: string | undefined;
  requestBody: unknown;
  status: number;
  responseBody: unknown;
}

export interface ServiceChannelSimulator {
  /** The API base, ending in /v3: a ServiceChannelClient's apiBaseUrl. */
  readonly url: string;
  /** The token endpoint: a ServiceChannelClient's tokenUrl. */
  readonly tokenUrl: string;
  /** The server root (admin routes under `${rootUrl}/__admin`). */
  readonly rootUrl: string;
  readonly state: ServiceChannelState;
  readonly faults: FaultInjector<ServiceChannelFaultConfig>;
  readonly webhooks: WebhookDispatcher;
  close(): Promise<void>;
}

interface Context {
  state: ServiceChannelState;
  faults: FaultInjector<ServiceChannelFaultConfig>;
  webhooks: WebhookDispatcher;
  initialWebhook: WebhookTarget | null;
  maxPageSize: number;
  onExchange?: (exchange: ServiceChannelExchange) => void;
}

const IdParamsSchema = z.object({ id: z.coerce.number().int().positive() });
type IdParams = { Params: { id: string } };
const idOf = (request: FastifyRequest<IdParams>) => parseOr400(IdParamsSchema, request.params, 'work order id').id;

const TokenRequestSchema = z.object({
  grant_type: z.string().min(1, 'grant_type is required'),
  username: z.string().optional(),
  password: z.string().optional(),
  refresh_token: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
});

/**
 * The `$filter` clauses this simulator reads *(an OData subset)*, joined by `and`: `UpdatedDate ge <t>`
 * (required), `CallDate ge <t>`, `SubscriberId eq <n>`, and `(<Field> eq '<v>' or ...)` for Trade,
 * Category and Status/Primary.
 */
function parseFilter(filter: string): { since: number; calledSince?: number; subscriberId?: number; trades?: string[]; categories?: string[]; statuses?: string[] } | string {
  const clauses = filter.split(/\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)/i).map((c) => c.trim());
  const out: ReturnType<typeof parseFilter> & object = { since: Number.NaN };
  for (const clause of clauses) {
    let m = /^UpdatedDate\s+ge\s+(\S+)$/i.exec(clause);
    if (m) { out.since = Date.parse(m[1]!); continue; }
    m = /^CallDate\s+ge\s+(\S+)$/i.exec(clause);
    if (m) { out.calledSince = Date.parse(m[1]!); if (Number.isNaN(out.calledSince)) return `bad CallDate in "${clause}"`; continue; }
    m = /^SubscriberId\s+eq\s+(\d+)$/i.exec(clause);
    if (m) { out.subscriberId = Number(m[1]); continue; }
    m = /^\(?\s*(Trade|Category|Status\/Primary)\s+eq\s+'/i.exec(clause);
    if (m) {
      const field = m[1]!.toLowerCase();
      const values = [...clause.matchAll(/(Trade|Category|Status\/Primary)\s+eq\s+'((?:[^']|'')*)'/gi)].map((v) => v[2]!.replace(/''/g, "'"));
      if (field === 'trade') out.trades = values;
      else if (field === 'category') out.categories = values;
      else out.statuses = values;
      continue;
    }
    return `unsupported clause "${clause}"`;
  }
  return Number.isNaN(out.since) ? 'UpdatedDate ge <ISO date-time> is required' : out;
}
const NotesQuerySchema = z.object({ paging: z.string().optional() }).strict();
const LocationParamsSchema = z.object({ id: z.coerce.number().int().positive() });
const ListQuerySchema = z
  .object({
    $filter: z.string().min(1, '$filter is required (UpdatedDate ge <ISO date-time>)'),
    $orderby: z.string().optional(),
    $top: z.coerce.number().int().positive().optional(),
    $skip: z.coerce.number().int().nonnegative().default(0),
    $count: z.enum(['true', 'false']).optional(),
  })
  .strict();

/** client_id/client_secret from HTTP Basic (ServiceChannel's way), else from the form. */
function clientCredentials(request: FastifyRequest, body: z.infer<typeof TokenRequestSchema>): { id?: string; secret?: string } {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  return { id: body.client_id, secret: body.client_secret };
}

/**
 * The answer to a call the subscriber's permissions refuse (reference: 401, error code 504 "API call
 * rejected by security permissions"). It does not name the permission nor the subscriber.
 */
function refusePermission(reply: FastifyReply, _refusal: PermissionRefusal) {
  return reply.code(401).send(errorBody(PERMISSION_ERROR_CODE, 'API call rejected by security permissions'));
}

/** The reference's ErrorResponse `{ErrorCodes, ErrorCode, ErrorMessage}` (numeric codes, as the operations list them). */
function errorBody(code: number, message: string) {
  return { ErrorCodes: [code], ErrorCode: code, ErrorMessage: message };
}

function registerPublicRoutes(app: FastifyInstance, { state, faults, maxPageSize, onExchange }: Context): void {
  const gateway = async (request: FastifyRequest, reply: FastifyReply) => {
    if (faults.appliedTo(request)?.gateway404 && !reply.sent) {
      request.log.info({ url: request.url }, 'fault: a gateway answers 404 (HTML), ServiceChannel never sees the request');
      return reply.code(404).type('text/html; charset=utf-8').send(GATEWAY_404_PAGE);
    }
    return undefined;
  };
  const route = (id: RouteId) => ({ preHandler: [faults.hook(id), gateway], config: { routeId: id } });
  /** A write's answer, unless an "apply, then lose the answer" fault takes it (the write is applied by then). */
  const answer = (request: FastifyRequest, reply: FastifyReply, code: number, body: unknown) => {
    const lose = faults.appliedTo(request)?.applyThenLoseAnswer;
    if (lose === 'drop') {
      request.log.info({ url: request.url }, 'fault: write applied, connection dropped without its answer');
      reply.hijack();
      reply.raw.destroy();
      return reply;
    }
    if (lose === '504') {
      request.log.info({ url: request.url }, 'fault: write applied, answered 504 without its result');
      return reply.code(504).type('text/html; charset=utf-8').send(GATEWAY_504_PAGE);
    }
    return reply.code(code).send(body);
  };

  void app.register(async (api) => {
    api.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    if (onExchange) {
      api.addHook('onSend', async (request, reply, payload) => {
        if (!request.url.startsWith('/v3/') && !request.url.startsWith('/oauth/')) return payload;
        let responseBody: unknown = payload;
        if (typeof payload === 'string') {
          try {
            responseBody = payload === '' ? undefined : JSON.parse(payload);
          } catch {
            responseBody = payload;
          }
        }
        onExchange({
          routeId: (request.routeOptions.config as { routeId?: string } | undefined)?.routeId,
          method: request.method,
          route: request.routeOptions.url,
          url: request.url,
          query: { ...(request.query as Record<string, unknown>) },
          contentType: request.headers['content-type'],
          requestBody: request.body,
          status: reply.statusCode,
          responseBody,
        });
        return payload;
      });
    }

    api.addHook('onRequest', async (request, reply) => {
      const routeId = (request.routeOptions.config as { routeId?: RouteId } | undefined)?.routeId;
      if (routeId === 'token') {
        state.tokenRequests += 1;
        return;
      }
      if (!request.url.startsWith('/v3/')) return;
      const header = request.headers.authorization;
      const clientId = state.tokenClient(header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined);
      const throttled = state.admit(routeId ?? request.url, clientId);
      if (!clientId) {
        state.unauthorizedRequests += 1;
        return reply.code(401).header('www-authenticate', 'Bearer').send({ Message: 'Authorization has been denied for this request.' });
      }
      if (throttled) {
        return reply.code(throttled.status).header('retry-after', String(throttled.retryAfterSeconds)).send({ Reason: throttled.reason });
      }
      return undefined;
    });

    api.post('/oauth/token', route('token'), async (request, reply) => {
      const body = parseOr400(TokenRequestSchema, request.body ?? {});
      const { id, secret } = clientCredentials(request, body);
      if (!id || !state.checkClient(id, secret)) throw new HttpError(401, 'Client authentication failed', 'invalid_client');
      if (body.grant_type === 'password') {
        if (!body.username || !body.password) throw new HttpError(400, 'username and password are required', 'invalid_request');
        return reply.send(state.login(id, body.username, body.password));
      }
      if (body.grant_type === 'refresh_token') {
        if (!body.refresh_token) throw new HttpError(400, 'refresh_token is required', 'invalid_request');
        return reply.send(state.refresh(id, body.refresh_token));
      }
      throw new HttpError(400, `Unsupported grant_type "${body.grant_type}"`, 'unsupported_grant_type');
    });

    api.get<IdParams>('/v3/workorders/:id', route('getWorkOrder'), async (request) => {
      const id = idOf(request);
      const order = state.workOrder(id);
      if (!order) throw new HttpError(404, `Work order ${id} not found`, scErrorCode(NOT_FOUND_ERROR_CODE));
      return order;
    });

    // Reference: 400 with code 601 "Location is not found" for an unknown location.
    api.get<IdParams>('/v3/locations/:id', route('getLocation'), async (request) => {
      const id = parseOr400(LocationParamsSchema, request.params, 'location id').id;
      const location = state.location(id);
      if (!location) throw new HttpError(400, `Location ${id} is not found`, scErrorCode(LOCATION_NOT_FOUND_ERROR_CODE));
      return location;
    });

    api.put<IdParams>('/v3/workorders/:id/status', route('updateStatus'), async (request, reply) => {
      const id = idOf(request);
      const body = parseOr400(StatusUpdateBodySchema, request.body);
      const refusal = state.updateStatus(id, body.Status, body.Note);
      if (refusal) return refusePermission(reply, refusal);
      return answer(request, reply, 200, { result: body.Note ?? 'Status has been changed', id });
    });

    // Reference: `{Notes: [...]}` newest first, one page per `paging=<page>:<size>` ("1:10" by default).
    api.get<IdParams>('/v3/workorders/:id/notes', route('listNotes'), async (request) => {
      const id = idOf(request);
      const { paging } = parseOr400(NotesQuerySchema, request.query, 'query');
      const notes = state.notesFor(id, paging);
      if (!notes) throw new HttpError(400, `Work order ${id} not found`, scErrorCode(NOT_FOUND_ERROR_CODE));
      return notes;
    });

    // Reference: 201 Created, "Returns Note Id".
    api.post<IdParams>('/v3/workorders/:id/notes', route('addNote'), async (request, reply) => {
      const id = idOf(request);
      const { refusal, note } = state.addNote(id, parseOr400(NoteBodySchema, request.body));
      if (refusal) return refusePermission(reply, refusal);
      return answer(request, reply, 201, note!.Id);
    });

    // Reference: 200 `{MechanicId}`.
    api.post<IdParams>('/v3/workorders/:id/universalCheckIn', route('checkIn'), async (request, reply) => {
      const id = idOf(request);
      const refusal = state.checkIn(id, parseOr400(CheckInBodySchema, request.body ?? {}));
      if (refusal) return refusePermission(reply, refusal);
      return answer(request, reply, 200, { MechanicId: state.lastCheckInId(id) });
    });

    api.post<IdParams>('/v3/workorders/:id/universalCheckOut', route('checkOut'), async (request, reply) => {
      const id = idOf(request);
      const refusal = state.checkOut(id, parseOr400(CheckOutBodySchema, request.body ?? {}));
      if (refusal) return refusePermission(reply, refusal);
      return answer(request, reply, 200, { MechanicId: state.lastCheckInId(id) });
    });

    // Reference: ChangeWoFieldsRequest `{Value}`, answer `{id}`.
    api.put<IdParams>('/v3/workorders/:id/scheduledate', route('updateScheduledDate'), async (request, reply) => {
      const id = idOf(request);
      const body = parseOr400(ScheduledDateBodySchema, request.body);
      const refusal = state.updateScheduledDate(id, body.Value);
      if (refusal) return refusePermission(reply, refusal);
      return answer(request, reply, 200, { id });
    });

    // Reference: ChangeWoNteRequest `{Value}` (a string), answer `{id}`.
    api.put<IdParams>('/v3/workorders/:id/nte', route('updateNte'), async (request, reply) => {
      const id = idOf(request);
      const body = parseOr400(NteBodySchema, request.body);
      const refusal = state.updateNte(id, Number(body.Value));
      if (refusal) return refusePermission(reply, refusal);
      return answer(request, reply, 200, { id });
    });

    // Reference: `GET /odata/workorders({workorderId})/Service.CheckInActivity()`, 200 an array of
    // CheckInIActivity (Date, Action, ...), served OData-style as `{value: [...]}`.
    api.get<{ Params: { '*': string } }>('/v3/odata/*', route('checkInActivity'), async (request) => {
      const m = /^workorders\((\d+)\)\/Service\.CheckInActivity\(\)$/.exec(decodeURIComponent(request.params['*']));
      if (!m) throw new HttpError(404, `No OData resource ${request.params['*']}`);
      const id = Number(m[1]);
      const rows = state.checkInActivity(id);
      if (!rows) throw new HttpError(404, `Work order ${id} not found`, scErrorCode(NOT_FOUND_ERROR_CODE));
      return { '@odata.context': `${state.apiUrl}/odata/$metadata#Collection(ServiceChannel.Services.Messaging.Workorders.CheckInIActivity)`, value: rows };
    });

    // Reference: the last 90 days of CallDate unless $filter bounds CallDate (at most 365 days back), 50 rows a page.
    api.get('/v3/odata/workorders', route('listWorkOrders'), async (request) => {
      const query = parseOr400(ListQuerySchema, request.query, 'query');
      const filter = parseFilter(query.$filter);
      if (typeof filter === 'string') {
        throw new HttpError(400, `The query specified in the URI is not valid: $filter "${query.$filter}": ${filter}`, scErrorCode(VALIDATION_ERROR_CODE));
      }
      if (query.$orderby !== undefined && query.$orderby.replace(/\s+/g, ' ').trim().toLowerCase() !== 'updateddate asc,id asc') {
        throw new HttpError(400, `Unsupported $orderby "${query.$orderby}": this simulator orders by "UpdatedDate asc,Id asc" only`, scErrorCode(VALIDATION_ERROR_CODE));
      }
      const top = Math.min(query.$top ?? maxPageSize, maxPageSize);
      const all = state.changedSince(filter.since, { ...filter, calledSinceMs: filter.calledSince });
      return {
        '@odata.context': `${state.apiUrl}/odata/$metadata#workorders`,
        ...(query.$count === 'true' ? { '@odata.count': all.length } : {}),
        value: all.slice(query.$skip, query.$skip + top),
      };
    });
  });
}

/** `?notify=false` applies a change without its webhook. */
const NotifyQuerySchema = z.object({ notify: z.enum(['true', 'false']).default('true') });
const DropNextSchema = z.object({ count: z.number().int().positive().default(1) }).strict();
const SendEventSchema = z
  .object({
    EventType: z.string().min(1),
    /** The work order whose current state is the Object; or give Object yourself. */
    workOrderId: z.number().int().positive().optional(),
    Object: z.looseObject({ Id: z.number().int().positive() }).optional(),
  })
  .strict()
  .refine((e) => e.workOrderId !== undefined || e.Object !== undefined, 'give workOrderId or Object');
type SubscriberParams = { Params: { subscriberId: string } };
const SubscriberParamsSchema = z.object({ subscriberId: z.coerce.number().int().positive() });

function registerAdminRoutes(app: FastifyInstance, { state, faults, webhooks, initialWebhook }: Context): void {
  const options = (query: unknown) => ({ notify: parseOr400(NotifyQuerySchema, query, 'query').notify === 'true' });
  const subscriberOf = (request: FastifyRequest<SubscriberParams>) => parseOr400(SubscriberParamsSchema, request.params, 'subscriber id').subscriberId;

  app.get('/__admin/state', async () => ({
    ...state.snapshot(),
    webhookTarget: webhooks.target ? { url: webhooks.target.url } : null,
    webhook: webhooks.disabled,
    webhookDeliveries: webhooks.deliveries,
    faults: faults.state(),
  }));

  app.post('/__admin/seed', async (request, reply) => {
    state.seed(parseOr400(ServiceChannelSeedSchema, request.body ?? {}, 'seed'));
    return reply.code(204).send();
  });

  app.post('/__admin/reset', async (_request, reply) => {
    state.reset();
    faults.clear();
    webhooks.deliveries.length = 0;
    webhooks.target = initialWebhook;
    webhooks.enable();
    return reply.code(204).send();
  });

  app.get('/__admin/requests', async () => ({ ...state.counters(), recent: state.requests.slice(-100) }));

  app.get('/__admin/workorders', async () => [...state.workOrders.keys()].sort((a, b) => a - b).map((id) => state.adminWorkOrder(id)));

  app.get<IdParams>('/__admin/workorders/:id', async (request) => {
    const id = idOf(request);
    const order = state.adminWorkOrder(id);
    if (!order) throw new HttpError(404, `Work order ${id} not found`, 'ERROR_NOT_FOUND');
    return order;
  });

  app.post('/__admin/workorders', async (request, reply) =>
    reply.code(201).send(state.createWorkOrder(parseOr400(WorkOrderInputSchema, request.body), options(request.query))),
  );

  app.patch<IdParams>('/__admin/workorders/:id', async (request) =>
    state.patchWorkOrder(idOf(request), parseOr400(WorkOrderPatchSchema, request.body), options(request.query)),
  );

  // The work order gone for this provider (deleted, or reassigned): the API answers 404 for it.
  app.delete<IdParams>('/__admin/workorders/:id', async (request, reply) => {
    const id = idOf(request);
    if (!state.removeWorkOrder(id)) throw new HttpError(404, `Work order ${id} not found`, 'ERROR_NOT_FOUND');
    return reply.code(204).send();
  });

  app.post<IdParams>('/__admin/workorders/:id/notes', async (request, reply) =>
    reply.code(201).send(state.addSubscriberNote(idOf(request), parseOr400(AdminNoteSchema, request.body), options(request.query))),
  );

  app.get('/__admin/permissions', async () =>
    Object.fromEntries([...state.subscribers.keys()].map((id) => [id, state.permissionsOf(id)])),
  );

  app.put<SubscriberParams>('/__admin/permissions/:subscriberId', async (request) => ({
    subscriberId: subscriberOf(request),
    permissions: state.setPermissions(subscriberOf(request), parseOr400(PermissionsInputSchema, request.body, 'permissions')),
  }));

  app.post('/__admin/tokens/expire', async (_request, reply) => {
    state.expireAccessTokens();
    return reply.code(204).send();
  });

  app.post('/__admin/tokens/revoke-refresh', async (_request, reply) => {
    state.revokeRefreshTokens();
    return reply.code(204).send();
  });

  // The signing key is never shown; setting a target re-enables a disabled webhook.
  registerTargetRoutes(app, '/__admin/webhook', webhooks, WebhookTargetSchema, {
    show: ({ url }) => ({ url }),
    status: () => webhooks.disabled,
    onPut: () => webhooks.enable(),
  });
  app.get('/__admin/webhooks', async () => webhooks.deliveries);
  app.post('/__admin/webhooks/drop-next', async (request) => ({ dropNext: webhooks.dropNext(parseOr400(DropNextSchema, request.body ?? {}).count) }));
  app.post('/__admin/webhooks/send', async (request, reply) => {
    const event = parseOr400(SendEventSchema, request.body);
    const object = event.Object ?? state.eventObject(event.workOrderId!);
    return reply.code(202).send(webhooks.emit({ EventType: event.EventType, Object: object }));
  });
  app.post<{ Params: { eventId: string } }>('/__admin/webhooks/:eventId/redeliver', async (request, reply) =>
    reply.code(202).send(webhooks.redeliver(decodeURIComponent(request.params.eventId))),
  );

  registerFaultRoutes(app, faults);
}

export async function startServiceChannelSimulator(opts: ServiceChannelSimulatorOptions): Promise<ServiceChannelSimulator> {
  const app = createSimulatorApp('servicechannel', opts.logger, ({ statusCode, message, code }) => {
    if (code === 'ERROR_THROTTLED') return { Reason: message };
    if (code && /^[a-z_]+$/.test(code)) return { error: code, error_description: message };
    const numbered = code ? /^SC_(\d+)$/.exec(code) : null;
    if (numbered) return errorBody(Number(numbered[1]), message);
    if (code === 'ERROR_NOT_FOUND') return errorBody(NOT_FOUND_ERROR_CODE, message);
    if (statusCode === 400) return errorBody(VALIDATION_ERROR_CODE, message);
    return { Message: message };
  });
  const initialWebhook = opts.webhook ? WebhookTargetSchema.parse(opts.webhook) : null;
  const state = new ServiceChannelState({
    clients: opts.clients,
    users: opts.users,
    environment: opts.environment,
    limits: opts.limits,
    rateWindowMs: opts.rateWindowMs,
    throttleStatus: opts.throttleStatus,
    loginIntervalMs: opts.loginIntervalMs,
    loginLimitStatus: opts.loginLimitStatus,
    tokenTtlSeconds: opts.tokenTtlSeconds,
    providerId: opts.providerId,
    permissions: opts.permissions,
    webhookOnApiChanges: opts.webhookOnApiChanges,
    workOrderLocation: opts.workOrderLocation,
  });
  const webhooks = new WebhookDispatcher(app.log, initialWebhook, {
    timeoutMs: opts.webhookTimeoutMs,
    retryDelaysMs: opts.webhookRetryDelaysMs,
    disableAfterFailures: opts.webhookDisableAfterFailures,
  });
  state.onEvent = (event) => void webhooks.emit(event);
  const context: Context = {
    state,
    faults: new FaultInjector<ServiceChannelFaultConfig>({ schema: ServiceChannelFaultConfigSchema, routeIds: SERVICECHANNEL_ROUTE_IDS, affects: faultAffects }),
    webhooks,
    initialWebhook,
    maxPageSize: opts.maxPageSize ?? ODATA_PAGE_SIZE,
    onExchange: opts.onExchange,
  };
  registerPublicRoutes(app, context);
  registerAdminRoutes(app, context);
  app.addHook('onClose', async () => webhooks.close());

  state.seed(opts.seed ?? {});
  const rootUrl = await listen(app, opts);
  state.apiUrl = `${rootUrl}/v3`;
  return {
    url: state.apiUrl,
    tokenUrl: `${rootUrl}/oauth/token`,
    rootUrl,
    state,
    faults: context.faults,
    webhooks,
    close: () => app.close(),
  };
}
