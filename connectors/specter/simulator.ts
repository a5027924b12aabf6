/**
 * Specter ERP simulator: the customer API FieldBridge writes to (POST SpecterPostCustomer, answered
 * with an ApiResponse) and reads from. Enforces Specter's rule book (required fields, max lengths:
 * rejected, never truncated), keeps customers in memory, and injects the shared faults plus Specter's
 * own (forced error codes, lost responses, answers that are no success: a Result other than 1, no
 * Result, a body that is no ApiResponse). A path no route serves, another SBM id included, gets the
 * HTML 404 page a real web server sends, not an ApiResponse. See simulators/README.md.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ADDRESS_MAX_LENGTHS, MAX_LENGTHS, REQUIRED_FIELDS } from './limits';
import {
  type ApiResponse,
  type SpecterAddress,
  type SpecterCustomer,
  SpecterCustomerSchema,
  type SpecterPostCustomer,
  SpecterPostCustomerSchema,
} from './schemas';
import { FaultConfigSchema, FaultInjector, hasSharedFault, registerFaultRoutes } from '../../simulators/faults';
import {
  HttpError,
  type ListenOptions,
  type SimulatorLogger,
  createSimulatorApp,
  isPlainObject,
  listen,
  parseOr400,
} from '../../simulators/http';

export const SPECTER_ROUTE_IDS = ['postCustomer', 'getCustomer', 'findCustomers'] as const;

/** The shared fault model plus Specter's own fault kinds, which act on postCustomer only. */
export const SpecterFaultConfigSchema = FaultConfigSchema.extend({
  /** Answer `{Result: 0, Code, Message}` without storing anything. */
  forceErrorCode: z
    .object({ code: z.string().regex(/^ERROR/, 'must start with ERROR'), message: z.string() })
    .strict()
    .optional(),
  /** Apply the create/update, then never answer (a lost response). */
  commitThenHang: z.boolean().optional(),
  /** Answer `{Result: null, Code: null, Message: 'Internal error'}` (HTTP 200) without storing anything. */
  resultWithoutCode: z.boolean().optional(),
  /** Answer `{Result: result, Code: null, Message: message}` (HTTP 200, no ERROR code) without storing anything. */
  resultNotOne: z
    .object({ result: z.number().int().refine((n) => n !== 1, 'must not be 1 (that is success)'), message: z.string() })
    .strict()
    .optional(),
  /** Answer `{Message: message}` (HTTP 200): an ApiResponse without any Result; stores nothing. */
  bodyWithoutResult: z.object({ message: z.string() }).strict().optional(),
  /**
   * Answer this status and body verbatim, no ApiResponse (a proxy's or web server's page), storing
   * nothing. 200..499; contentType defaults to text/html.
   */
  rawAnswer: z
    .object({ status: z.number().int().min(200).max(499), body: z.string(), contentType: z.string().min(1).optional() })
    .strict()
    .optional(),
}).strict();
export type SpecterFaultConfig = z.infer<typeof SpecterFaultConfigSchema>;

function hasSpecterFault(config: SpecterFaultConfig): boolean {
  return (
    config.forceErrorCode !== undefined ||
    config.commitThenHang === true ||
    config.resultWithoutCode === true ||
    config.resultNotOne !== undefined ||
    config.bodyWithoutResult !== undefined ||
    config.rawAnswer !== undefined
  );
}

/** What IIS answers for a path nothing serves *(assumed: Specter runs on .NET behind IIS)*. */
export const NOT_FOUND_PAGE = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<title>404 - File or directory not found.</title>
</head>
<body>
<div id="header"><h1>Server Error</h1></div>
<div id="content">
 <div class="content-container"><fieldset>
  <h2>404 - File or directory not found.</h2>
  <h3>The resource you are looking for might have been removed, had its name changed, or is temporarily unavailable.</h3>
 </fieldset></div>
</div>
</body>
</html>
`;

const FIRST_CUSTOMER_ID = 10001;
const ONE_CHAR_FIELDS = ['TypeCustomer', 'CustomerOrganizationalForm'] as const;
const ADDRESS_FIELDS = ['VisitAddress', 'DeliveryAddress'] as const;
const POST_FIELDS = Object.keys(SpecterPostCustomerSchema.shape) as (keyof SpecterPostCustomer)[];
/** The fields an update copies onto the stored customer. */
const DATA_FIELDS = POST_FIELDS.filter(
  (field) => field !== 'CustomerId' && field !== 'ForceCustomerUpdate' && field !== 'IdentifyByCustomerId',
);

export interface PostOutcome {
  response: ApiResponse;
  /** True when a customer was created or updated. */
  committed: boolean;
}

/** A request no route served (unknown path, another SBM id), answered with NOT_FOUND_PAGE. */
export interface UnroutedRequestEntry {
  receivedAt: string;
  method: string;
  url: string;
}

export interface RequestLogEntry {
  receivedAt: string;
  body: unknown;
  /** The business answer, when the request got that far (not when a shared fault intercepted it). */
  response?: ApiResponse;
  /** True when commitThenHang left the request unanswered after committing. */
  hung?: boolean;
}

/** A stored customer as seeded directly: CustomerId optional (next id), Revision defaults to 1. */
export const SpecterSeedCustomerSchema = SpecterCustomerSchema.extend({
  CustomerId: z.string().min(1).optional(),
  Revision: z.number().int().positive().default(1),
});
export type SpecterSeedCustomer = z.input<typeof SpecterSeedCustomerSchema>;

export interface CustomerFilters {
  name?: string;
  email?: string;
  orgNo?: string;
}

const validation = (problems: string[]): ApiResponse => ({ Result: 0, Code: 'ERROR_VALIDATION', Message: problems.join('; ') });

/** Drops null properties (top level and inside addresses): null means "not sent", as in Specter's .NET binding. */
function withoutNulls(body: Record<string, unknown>): Record<string, unknown> {
  const entries = Object.entries(body)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => [key, isPlainObject(value) ? withoutNulls(value) : value]);
  return Object.fromEntries(entries);
}

function lengthProblems(field: string, value: unknown, max: number): string[] {
  return typeof value === 'string' && value.length > max ? [`${field} exceeds max length ${max} (got ${value.length})`] : [];
}

function isUpdateRequest(body: Record<string, unknown>): boolean {
  return (
    body.IdentifyByCustomerId === true &&
    body.ForceCustomerUpdate === true &&
    typeof body.CustomerId === 'string' &&
    body.CustomerId.trim() !== ''
  );
}

const isOneOf = (list: readonly string[], field: string) => list.includes(field);

function typeProblems(field: keyof SpecterPostCustomer, value: unknown): string[] {
  const result = SpecterPostCustomerSchema.shape[field].safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => {
    const path = [field, ...issue.path].join('.');
    if (issue.code !== 'invalid_type') return `${path}: ${issue.message}`;
    return `${path} must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  });
}

function fieldProblems(field: keyof SpecterPostCustomer, value: unknown, isNewCustomer: boolean): string[] {
  const blank = value === undefined || (typeof value === 'string' && value.trim() === '');
  if (blank && isOneOf(REQUIRED_FIELDS, field)) return [`${field} is required`];
  if (value === undefined) {
    return isNewCustomer && isOneOf(ONE_CHAR_FIELDS, field) ? [`${field} is required for a new customer`] : [];
  }

  const wrongType = typeProblems(field, value);
  if (wrongType.length > 0) return wrongType;

  if (isOneOf(ONE_CHAR_FIELDS, field)) {
    return typeof value === 'string' && value.length !== 1 ? [`${field} must be exactly 1 character (got ${value.length})`] : [];
  }
  if (isOneOf(ADDRESS_FIELDS, field) && isPlainObject(value)) {
    return Object.entries(ADDRESS_MAX_LENGTHS).flatMap(
      ([addressField, max]) => lengthProblems(`${field}.${addressField}`, value[addressField], max),
    );
  }
  const max = (MAX_LENGTHS as Partial<Record<string, number>>)[field];
  return max === undefined ? [] : lengthProblems(field, value, max);
}

/** Every problem with the body, in field order, each naming its field. */
function validatePost(body: Record<string, unknown>, isNewCustomer: boolean): string[] {
  return POST_FIELDS.flatMap((field) => fieldProblems(field, body[field], isNewCustomer));
}

/** The fields of `post` that were sent, addresses merged field by field onto `base`. */
function applySent(base: Partial<SpecterCustomer>, post: SpecterPostCustomer): Partial<SpecterCustomer> {
  const merged: Record<string, unknown> = { ...base };
  for (const field of DATA_FIELDS) {
    const value = post[field];
    if (value === undefined) continue;
    merged[field] = isPlainObject(value) ? { ...(merged[field] as SpecterAddress | undefined), ...value } : value;
  }
  return merged;
}

/** The simulator's data and Specter's business rules. */
export class SpecterState {
  readonly customers = new Map<string, SpecterCustomer>();
  /** Every POST /customers body received (after authentication), oldest first. */
  readonly requests: RequestLogEntry[] = [];
  /** Every request answered 404 because no route served it (a wrong base path or SBM id), oldest first. */
  readonly unrouted: UnroutedRequestEntry[] = [];
  private nextId = FIRST_CUSTOMER_ID;

  /** Specter's handling of a SpecterPostCustomer body: validate, then update or create. */
  postCustomer(rawBody: Record<string, unknown>): PostOutcome {
    const body = withoutNulls(rawBody);
    const isUpdate = isUpdateRequest(body);
    const problems = validatePost(body, !isUpdate);
    if (problems.length > 0) return { response: validation(problems), committed: false };
    const post = SpecterPostCustomerSchema.parse(body);
    const customerId = post.CustomerId?.trim() || undefined;

    if (isUpdate && customerId) {
      const existing = this.customers.get(customerId);
      if (!existing) {
        return { response: { Result: 0, Code: 'ERROR_CUSTOMER_NOT_FOUND', Message: `Customer ${customerId} not found` }, committed: false };
      }
      this.store({ ...applySent(existing, post), CustomerId: customerId, Revision: existing.Revision + 1 });
      return { response: { Result: 1, Code: customerId, Message: 'Customer updated' }, committed: true };
    }

    if (customerId && this.customers.has(customerId)) {
      return { response: { Result: 0, Code: 'ERROR_CUSTOMER_EXISTS', Message: `Customer ${customerId} already exists` }, committed: false };
    }
    const id = customerId ?? this.allocateId();
    this.store({ ...applySent({}, post), CustomerId: id, Revision: 1 });
    return { response: { Result: 1, Code: id, Message: 'Customer created' }, committed: true };
  }

  /** Stores a customer directly, bypassing the rules (creates or replaces). */
  seedCustomer(input: SpecterSeedCustomer): SpecterCustomer {
    const parsed = SpecterSeedCustomerSchema.parse(input);
    return this.store({ ...parsed, CustomerId: parsed.CustomerId ?? this.allocateId() });
  }

  /** Customers matching every given filter: exact, case-insensitive, trimmed. */
  findCustomers(filters: CustomerFilters): SpecterCustomer[] {
    const normalize = (text: string | undefined) => (text ?? '').trim().toLowerCase();
    const criteria = (
      [
        ['Name', filters.name],
        ['EmailAddress', filters.email],
        ['OrgNo', filters.orgNo],
      ] as const
    ).filter(([, wanted]) => normalize(wanted) !== '');
    return [...this.customers.values()].filter((customer) =>
      criteria.every(([field, wanted]) => normalize(customer[field]) === normalize(wanted)),
    );
  }

  /** Empties the simulator; ids start again at `firstCustomerId` (tests that share a Temporal server pick fresh ones, as Specter never reuses an id). */
  reset(firstCustomerId = FIRST_CUSTOMER_ID): void {
    this.customers.clear();
    this.requests.length = 0;
    this.unrouted.length = 0;
    this.nextId = firstCustomerId;
  }

  private allocateId(): string {
    while (this.customers.has(String(this.nextId))) this.nextId += 1;
    return String(this.nextId++);
  }

  private store(customer: Partial<SpecterCustomer>): SpecterCustomer {
    const stored = SpecterCustomerSchema.parse(customer);
    this.customers.set(stored.CustomerId, stored);
    return stored;
  }
}

export interface SpecterCredentials {
  id: string;
  key: string;
}

export interface SpecterSimulatorOptions extends ListenOptions {
  sbmId: number;
  writeUser: SpecterCredentials;
  readUser: SpecterCredentials;
  logger?: SimulatorLogger;
}

export interface SpecterSimulator {
  /** Base URL, e.g. http://127.0.0.1:4020 */
  readonly url: string;
  /** `${url}/api/v1/${sbmId}` */
  readonly apiUrl: string;
  readonly state: SpecterState;
  readonly faults: FaultInjector<SpecterFaultConfig>;
  close(): Promise<void>;
}

const STATUS_CODES: Record<number, string> = {
  400: 'ERROR_BAD_REQUEST',
  401: 'ERROR_UNAUTHORIZED',
  404: 'ERROR_NOT_FOUND',
  409: 'ERROR_CONFLICT',
  429: 'ERROR_THROTTLED',
  503: 'ERROR_UNAVAILABLE',
};

function errorResponse({ statusCode, message, code }: { statusCode: number; message: string; code?: string }): ApiResponse {
  return { Result: 0, Code: code ?? STATUS_CODES[statusCode] ?? 'ERROR_INTERNAL', Message: message };
}

type SbmParams = { sbmId: string };
const FindQuerySchema = z.object({ name: z.string().optional(), email: z.string().optional(), orgNo: z.string().optional() });

interface Context {
  state: SpecterState;
  faults: FaultInjector<SpecterFaultConfig>;
  options: SpecterSimulatorOptions;
}

function registerPublicRoutes(app: FastifyInstance, { state, faults, options }: Context): void {
  const { sbmId, writeUser, readUser } = options;
  const requestLog = new WeakMap<FastifyRequest, RequestLogEntry>();

  const authenticate = (allowed: SpecterCredentials[]) => async (request: FastifyRequest) => {
    const userId = request.headers['x-api-user-id'];
    const key = request.headers['x-api-key'];
    if (!allowed.some((user) => user.id === userId && user.key === key)) {
      throw new HttpError(401, 'Invalid API user or key for this operation', 'ERROR_UNAUTHORIZED');
    }
  };
  const writer = authenticate([writeUser]);
  const reader = authenticate([readUser, writeUser]);

  const logRequest = async (request: FastifyRequest) => {
    const entry: RequestLogEntry = { receivedAt: new Date().toISOString(), body: request.body };
    state.requests.push(entry);
    requestLog.set(request, entry);
  };

  // A path nothing serves gets the web server's 404 page: there is no API there to answer an ApiResponse.
  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    state.unrouted.push({ receivedAt: new Date().toISOString(), method: request.method, url: request.url });
    return reply.code(404).type('text/html; charset=iso-8859-1').send(NOT_FOUND_PAGE);
  };
  app.all('/*', async (request, reply) => notFound(request, reply));

  void app.register(async (api) => {
    // Another SBM id is another application path *(assumed)*: nothing there, before any authentication.
    api.addHook('onRequest', async (request, reply) => {
      const params = request.params as Partial<SbmParams>;
      if (params.sbmId !== String(sbmId)) return notFound(request, reply);
    });

    api.post(
      '/api/v1/:sbmId/customers',
      { onRequest: writer, preHandler: [logRequest, faults.hook('postCustomer')] },
      async (request: FastifyRequest, reply: FastifyReply) => {
        if (!isPlainObject(request.body)) {
          throw new HttpError(400, 'The request body must be a JSON object', 'ERROR_BAD_REQUEST');
        }
        const entry = requestLog.get(request);
        const fault = faults.appliedTo(request);
        const answer = (response: ApiResponse) => {
          if (entry) entry.response = response;
          return response;
        };
        if (fault?.forceErrorCode) {
          return answer({ Result: 0, Code: fault.forceErrorCode.code, Message: fault.forceErrorCode.message });
        }
        if (fault?.resultWithoutCode) return answer({ Result: null, Code: null, Message: 'Internal error' });
        if (fault?.resultNotOne) return answer({ Result: fault.resultNotOne.result, Code: null, Message: fault.resultNotOne.message });
        if (fault?.bodyWithoutResult) return answer({ Message: fault.bodyWithoutResult.message });
        if (fault?.rawAnswer) {
          const { status, body, contentType } = fault.rawAnswer;
          return reply.code(status).type(contentType ?? 'text/html; charset=utf-8').send(body);
        }

        const { response, committed } = state.postCustomer(request.body);
        if (fault?.commitThenHang && committed) {
          answer(response);
          if (entry) entry.hung = true;
          faults.hang(request, reply);
          return reply;
        }
        return answer(response);
      },
    );

    api.get<{ Params: SbmParams & { customerId: string } }>(
      '/api/v1/:sbmId/customers/:customerId',
      { onRequest: reader, preHandler: faults.hook('getCustomer') },
      async (request) => {
        const customer = state.customers.get(request.params.customerId);
        if (!customer) {
          throw new HttpError(404, `Customer ${request.params.customerId} not found`, 'ERROR_CUSTOMER_NOT_FOUND');
        }
        return customer;
      },
    );

    api.get(
      '/api/v1/:sbmId/customers',
      { onRequest: reader, preHandler: faults.hook('findCustomers') },
      async (request) => ({ Customers: state.findCustomers(parseOr400(FindQuerySchema, request.query, 'query')) }),
    );
  });
}

function registerAdminRoutes(app: FastifyInstance, { state, faults }: Context): void {
  app.get('/__admin/customers', async () => [...state.customers.values()]);

  app.get<{ Params: { id: string } }>('/__admin/customers/:id', async (request) => {
    const customer = state.customers.get(request.params.id);
    if (!customer) throw new HttpError(404, `Customer ${request.params.id} not found`, 'ERROR_CUSTOMER_NOT_FOUND');
    return customer;
  });

  app.post('/__admin/customers', async (request, reply) =>
    reply.code(201).send(state.seedCustomer(parseOr400(SpecterSeedCustomerSchema, request.body))),
  );

  app.get('/__admin/requests', async () => state.requests);
  app.get('/__admin/unrouted', async () => state.unrouted);

  app.post('/__admin/reset', async (_request, reply) => {
    state.reset();
    faults.clear();
    return reply.code(204).send();
  });

  registerFaultRoutes(app, faults);
}

export async function startSpecterSimulator(options: SpecterSimulatorOptions): Promise<SpecterSimulator> {
  const app = createSimulatorApp('specter', options.logger, errorResponse);
  const context: Context = {
    state: new SpecterState(),
    faults: new FaultInjector({
      schema: SpecterFaultConfigSchema,
      routeIds: SPECTER_ROUTE_IDS,
      affects: (config, routeId) => hasSharedFault(config) || (routeId === 'postCustomer' && hasSpecterFault(config)),
    }),
    options,
  };
  registerPublicRoutes(app, context);
  registerAdminRoutes(app, context);

  const url = await listen(app, options);
  return {
    url,
    apiUrl: `${url}/api/v1/${options.sbmId}`,
    state: context.state,
    faults: context.faults,
    close: () => app.close(),
  };
}
