/**
 * ServiceTrade simulator: the REST API FieldBridge reads jobs from and writes external ids to
 * (OAuth 2.0 client credentials, Bearer JWTs, the `{messages, data}` envelope on every answer, paged
 * lists), the webhooks ServiceTrade sends (ids only, unsigned, 5 s, 3 attempts, 200..499 delivered),
 * admin endpoints under /__admin and the shared fault model. In-memory state lives in
 * ./simulator-state. See simulators/README.md (ServiceTrade) for what is real and what is assumed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SetExternalIdPathSchema, SetExternalIdSchema } from './schemas';
import {
  CompanyPatchSchema,
  JobInputSchema,
  JobItemsChangeSchema,
  JobPatchSchema,
  LocationPatchSchema,
  type OAuthClient,
  type Page,
  ServiceTradeSeedSchema,
  type ServiceTradeSeed,
  ServiceTradeState,
  paginate,
} from './simulator-state';
import { WebhookDispatcher, type WebhookTarget, WebhookTargetSchema } from './simulator-webhooks';
import { FaultConfigSchema, FaultInjector, registerFaultRoutes } from '../../simulators/faults';
import { HttpError, type ListenOptions, type SimulatorLogger, createSimulatorApp, listen, parseOr400 } from '../../simulators/http';
import { registerTargetRoutes } from '../../simulators/webhooks';

export { ServiceTradeState } from './simulator-state';
export type { ServiceTradeSeed } from './simulator-state';

export const SERVICETRADE_ROUTE_IDS = [
  'token',
  'getJob',
  'listJobs',
  'getLocation',
  'getCompany',
  'listServiceRequests',
  'listJobItems',
  'setExternalId',
] as const;

export interface ServiceTradeSimulatorOptions extends ListenOptions {
  logger?: SimulatorLogger;
  /** OAuth clients allowed to get tokens. */
  clients: OAuthClient[];
  /** Lifetime of an access token; default 3600. */
  tokenTtlSeconds?: number;
  /** Where webhooks go (the receiver's URL, with its secret token in the path); none are sent without one. */
  webhook?: WebhookTarget;
  /** Deadline of one webhook attempt; default 5000 (ServiceTrade's). */
  webhookTimeoutMs?: number;
  /** Waits before the 2nd and 3rd webhook attempt; default [1000, 5000]. */
  webhookRetryDelaysMs?: readonly number[];
  /** Also announce external id writes made over the API (`job updated`, ...); default false *(assumed)*. */
  webhookOnExternalIdWrite?: boolean;
  /** Rows per page of a list when the request gives no `limit`; default 100. */
  pageSize?: number;
  /**
   * The paging fields list answers carry besides `page` (default both). ServiceTrade's SDKs read a
   * list without `totalPages` as one page; nothing in the reference promises every list carries it
   * *(assumed)*: a test turns them off to see that the client then reads on (ServiceTradeClient.readAll).
   */
  listTotals?: ListTotals;
  /** Data loaded at start, without webhooks (e.g. demoServiceTradeData). */
  seed?: ServiceTradeSeed;
}

export interface ServiceTradeSimulator {
  /** The API base, ending in /api (e.g. http://127.0.0.1:4030/api): a ServiceTradeClient's baseUrl. */
  readonly url: string;
  /** The server root (admin routes are under `${rootUrl}/__admin`). */
  readonly rootUrl: string;
  readonly state: ServiceTradeState;
  readonly faults: FaultInjector;
  readonly webhooks: WebhookDispatcher;
  /** Rows per page of a list when the request gives no `limit` (tests shorten it to see paging). */
  pageSize: number;
  /** Which of `totalPages` and `total` list answers carry (tests turn them off). */
  listTotals: ListTotals;
  close(): Promise<void>;
}

interface Context {
  state: ServiceTradeState;
  faults: FaultInjector;
  webhooks: WebhookDispatcher;
  initialWebhook: WebhookTarget | null;
  pageSize: number;
  listTotals: ListTotals;
}

/** The paging fields a list answer carries besides `page` and its rows. */
export interface ListTotals {
  totalPages: boolean;
  total: boolean;
}

/** The envelope of every answer. */
function ok<T>(data: T, success: string[] = []) {
  return { messages: { success, error: [] as string[], warning: [] as string[] }, data };
}

const IdParamsSchema = z.object({ id: z.coerce.number().int().positive() });
type IdParams = { Params: { id: string } };
const idOf = (request: FastifyRequest<IdParams>) => parseOr400(IdParamsSchema, request.params, 'id').id;

const PageQuery = {
  page: z.coerce.number().int().positive().default(1),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
};
const JobListQuerySchema = z
  .object({
    ...PageQuery,
    status: z.string().min(1).optional(),
    updatedAfter: z.coerce.number().int().nonnegative().optional(),
    createdAfter: z.coerce.number().int().nonnegative().optional(),
    locationId: z.coerce.number().int().positive().optional(),
    customerId: z.coerce.number().int().positive().optional(),
  })
  .strict();
const JobChildrenQuerySchema = z.object({ ...PageQuery, jobId: z.coerce.number().int().positive() }).strict();

const TokenRequestSchema = z.object({
  grant_type: z.string().min(1, 'grant_type is required'),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
});

function listAnswer<T>(key: string, page: Page<T>, totals: ListTotals) {
  return ok({
    [key]: page.rows,
    page: page.page,
    ...(totals.totalPages ? { totalPages: page.totalPages } : {}),
    ...(totals.total ? { total: page.total } : {}),
  });
}

/** client_id/client_secret from the body, or from HTTP Basic auth (RFC 6749 section 2.3.1). */
function clientCredentials(request: FastifyRequest, body: z.infer<typeof TokenRequestSchema>): { id?: string; secret?: string } {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  return { id: body.client_id, secret: body.client_secret };
}

function registerPublicRoutes(app: FastifyInstance, context: Context): void {
  const { state, faults } = context;
  void app.register(async (api) => {
    api.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    api.addHook('onRequest', async (request) => {
      if (request.routeOptions.url === '/api/oauth2/token') {
        state.tokenRequests += 1;
        return;
      }
      const header = request.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      const problem = state.checkToken(token);
      if (problem) {
        state.unauthorizedRequests += 1;
        throw new HttpError(401, problem, 'ERROR_UNAUTHORIZED', { 'www-authenticate': 'Bearer' });
      }
    });

    // Every API exchange as it went over the wire (the contract tests check each against the reference).
    api.addHook('onSend', async (request, reply, payload) => {
      state.apiExchanges.push({
        method: request.method,
        route: request.routeOptions.url ?? request.url,
        params: { ...(request.params as Record<string, string>) },
        query: { ...(request.query as Record<string, string>) },
        contentType: request.headers['content-type'] ?? null,
        body: request.body ?? null,
        status: reply.statusCode,
        response: typeof payload === 'string' ? payload : null,
      });
      return payload;
    });

    api.post('/api/oauth2/token', { preHandler: faults.hook('token') }, async (request) => {
      const body = parseOr400(TokenRequestSchema, request.body ?? {});
      if (body.grant_type !== 'client_credentials') {
        throw new HttpError(400, `Unsupported grant_type "${body.grant_type}": this simulator issues client_credentials tokens only`, 'unsupported_grant_type');
      }
      const { id, secret } = clientCredentials(request, body);
      const token = id && secret ? state.issueToken(id, secret) : null;
      if (!token) throw new HttpError(401, 'Invalid client credentials', 'invalid_client');
      return token;
    });

    api.get<IdParams>('/api/job/:id', { preHandler: faults.hook('getJob') }, async (request) => {
      const id = idOf(request);
      const job = state.job(id);
      if (!job) throw new HttpError(404, `Job ${id} not found`);
      return ok(job);
    });

    api.get('/api/job', { preHandler: faults.hook('listJobs') }, async (request) => {
      const { page, limit = context.pageSize, ...filters } = parseOr400(JobListQuerySchema, request.query, 'query');
      state.jobListQueries.push({ ...(request.query as Record<string, string>) });
      return listAnswer('jobs', paginate(state.listJobs(filters), { page, limit }), context.listTotals);
    });

    api.get<IdParams>('/api/location/:id', { preHandler: faults.hook('getLocation') }, async (request) => {
      const id = idOf(request);
      const location = state.location(id);
      if (!location) throw new HttpError(404, `Location ${id} not found`);
      return ok(location);
    });

    api.get<IdParams>('/api/company/:id', { preHandler: faults.hook('getCompany') }, async (request) => {
      const id = idOf(request);
      const company = state.company(id);
      if (!company) throw new HttpError(404, `Company ${id} not found`);
      return ok(company);
    });

    api.get('/api/servicerequest', { preHandler: faults.hook('listServiceRequests') }, async (request) => {
      const { jobId, page, limit = context.pageSize } = parseOr400(JobChildrenQuerySchema, request.query, 'query');
      return listAnswer('serviceRequests', paginate(state.services(jobId), { page, limit }), context.listTotals);
    });

    api.get('/api/jobitem', { preHandler: faults.hook('listJobItems') }, async (request) => {
      const { jobId, page, limit = context.pageSize } = parseOr400(JobChildrenQuerySchema, request.query, 'query');
      return listAnswer('jobItems', paginate(state.items(jobId), { page, limit }), context.listTotals);
    });

    api.post<{ Params: { entityType: string; entityId: string; system: string } }>(
      '/api/externalid/:entityType/:entityId/:system',
      { preHandler: faults.hook('setExternalId') },
      async (request) => {
        const { entityType, entityId, system } = parseOr400(SetExternalIdPathSchema, request.params, 'path');
        const { value } = parseOr400(SetExternalIdSchema, request.body);
        const { changed, externalIds } = state.setExternalId(entityType, entityId, system, value);
        return ok({ entityType, entityId, externalIds }, [changed ? `External id ${system}=${value} set on ${entityType} ${entityId}` : `External id ${system}=${value} already set on ${entityType} ${entityId}`]);
      },
    );
  });
}

/** `?notify=false` applies a change without its webhook. */
const NotifyQuerySchema = z.object({ notify: z.enum(['true', 'false']).default('true') });

function registerAdminRoutes(app: FastifyInstance, { state, faults, webhooks, initialWebhook }: Context): void {
  const options = (query: unknown) => ({ notify: parseOr400(NotifyQuerySchema, query, 'query').notify === 'true' });

  app.get('/__admin/state', async () => ({ ...state.snapshot(), webhookTarget: webhooks.target, faults: faults.state() }));

  app.post('/__admin/seed', async (request, reply) => {
    state.seed(parseOr400(ServiceTradeSeedSchema, request.body ?? {}, 'seed'));
    return reply.code(204).send();
  });

  app.post('/__admin/reset', async (_request, reply) => {
    state.reset();
    faults.clear();
    webhooks.target = initialWebhook;
    return reply.code(204).send();
  });

  app.get('/__admin/jobs', async () => [...state.jobs.keys()].sort((a, b) => a - b).map((id) => state.adminJob(id)));

  app.get<IdParams>('/__admin/jobs/:id', async (request) => {
    const id = idOf(request);
    const job = state.adminJob(id);
    if (!job) throw new HttpError(404, `Job ${id} not found`);
    return job;
  });

  app.post('/__admin/jobs', async (request, reply) => {
    const input = parseOr400(JobInputSchema, request.body);
    return reply.code(201).send(state.createJob(input, options(request.query)));
  });

  app.patch<IdParams>('/__admin/jobs/:id', async (request) =>
    state.patchJob(idOf(request), parseOr400(JobPatchSchema, request.body), options(request.query)),
  );

  app.post<IdParams>('/__admin/jobs/:id/items', async (request) =>
    state.changeJobItems(idOf(request), parseOr400(JobItemsChangeSchema, request.body), options(request.query)),
  );

  app.get<IdParams>('/__admin/locations/:id', async (request) => {
    const id = idOf(request);
    const location = state.location(id);
    if (!location) throw new HttpError(404, `Location ${id} not found`);
    return location;
  });

  app.patch<IdParams>('/__admin/locations/:id', async (request) =>
    state.patchLocation(idOf(request), parseOr400(LocationPatchSchema, request.body), options(request.query)),
  );

  app.get<IdParams>('/__admin/companies/:id', async (request) => {
    const id = idOf(request);
    const company = state.company(id);
    if (!company) throw new HttpError(404, `Company ${id} not found`);
    return company;
  });

  app.patch<IdParams>('/__admin/companies/:id', async (request) =>
    state.patchCompany(idOf(request), parseOr400(CompanyPatchSchema, request.body), options(request.query)),
  );

  app.post('/__admin/tokens/expire', async (_request, reply) => {
    state.expireTokens();
    return reply.code(204).send();
  });

  registerTargetRoutes(app, '/__admin/webhook', webhooks, WebhookTargetSchema);
  app.get('/__admin/webhooks', async () => state.webhookDeliveries);

  registerFaultRoutes(app, faults);
}

export async function startServiceTradeSimulator(opts: ServiceTradeSimulatorOptions): Promise<ServiceTradeSimulator> {
  const app = createSimulatorApp('servicetrade', opts.logger, ({ message, code }) => ({
    messages: { success: [], error: [message], warning: [] },
    data: null,
    // OAuth errors also carry RFC 6749's `error` code (invalid_client, unsupported_grant_type).
    ...(code && /^[a-z_]+$/.test(code) ? { error: code, error_description: message } : {}),
  }));
  const initialWebhook = opts.webhook ? WebhookTargetSchema.parse(opts.webhook) : null;
  const state = new ServiceTradeState({
    clients: opts.clients,
    tokenTtlSeconds: opts.tokenTtlSeconds,
    webhookOnExternalIdWrite: opts.webhookOnExternalIdWrite,
  });
  const webhooks = new WebhookDispatcher(app.log, initialWebhook, state.webhookDeliveries, (type, id) => state.entityUri(type, id), {
    timeoutMs: opts.webhookTimeoutMs,
    retryDelaysMs: opts.webhookRetryDelaysMs,
  });
  state.onChange = (changes) => void webhooks.emit(changes);
  const context: Context = {
    state,
    faults: new FaultInjector({ schema: FaultConfigSchema, routeIds: SERVICETRADE_ROUTE_IDS }),
    webhooks,
    initialWebhook,
    pageSize: opts.pageSize ?? 100,
    listTotals: { totalPages: true, total: true, ...opts.listTotals },
  };
  registerPublicRoutes(app, context);
  registerAdminRoutes(app, context);
  app.addHook('onClose', async () => webhooks.close());

  if (opts.seed) state.seed(opts.seed);
  const rootUrl = await listen(app, opts);
  state.apiUrl = `${rootUrl}/api`;
  return {
    url: state.apiUrl,
    rootUrl,
    state,
    faults: context.faults,
    webhooks,
    get pageSize() {
      return context.pageSize;
    },
    set pageSize(rows: number) {
      context.pageSize = rows;
    },
    get listTotals() {
      return context.listTotals;
    },
    set listTotals(totals: ListTotals) {
      context.listTotals = { ...totals };
    },
    close: () => app.close(),
  };
}
