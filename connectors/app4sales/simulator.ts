/**
 * App4Sales (Core Suite) simulator: the customer API FieldBridge reads and writes back to, plus the
 * signed customer webhooks App4Sales sends. In-memory state, admin endpoints under /__admin, and the
 * shared fault model. See simulators/README.md for the contract.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type Customer,
  type CustomerChangedEvent,
  type CustomerInput,
  type CustomerList,
  CustomerListQuerySchema,
  CustomerSchema,
  type CustomerSummary,
  type PriceList,
  PriceListSchema,
  type SalesRep,
  SalesRepSchema,
  SetCustomerCodeSchema,
} from './schemas';
import { WebhookDispatcher, type WebhookTarget, WebhookTargetSchema } from './simulator-webhooks';
import { FaultConfigSchema, FaultInjector, registerFaultRoutes } from '../../simulators/faults';
import { HttpError, type ListenOptions, type SimulatorLogger, createSimulatorApp, listen, parseOr400 } from '../../simulators/http';
import { registerTargetRoutes } from '../../simulators/webhooks';

export const APP4SALES_ROUTE_IDS = ['listCustomers', 'getCustomer', 'setCustomerCode', 'getSalesRep', 'getPriceList'] as const;

const CustomerPatchSchema = CustomerSchema.omit({ Id: true, Revision: true }).partial().strict();
/** Customer fields to change; a field absent from the object is left alone (null clears it). */
export type CustomerPatch = z.input<typeof CustomerPatchSchema>;

/** Fields compared for ChangedFields (everything but the identity and the revision). */
const TRACKED_FIELDS = (Object.keys(CustomerSchema.shape) as (keyof Customer)[]).filter(
  (field) => field !== 'Id' && field !== 'Revision',
);

export interface CustomerChange {
  customer: Customer;
  eventType: CustomerChangedEvent['EventType'];
  /** Fields whose value differs from before (for a new customer: from an empty customer). */
  changedFields: string[];
}

/** Sorted keys, null and undefined properties dropped: so `{a: null}` equals `{}`. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== null && item !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, canonical(item)]),
    );
  }
  return value ?? null;
}

function changedFields(before: Customer, after: Customer): string[] {
  const fingerprint = (customer: Customer, field: keyof Customer) => JSON.stringify(canonical(customer[field]));
  return TRACKED_FIELDS.filter((field) => fingerprint(before, field) !== fingerprint(after, field));
}

export interface CustomerListQuery {
  changedSince?: string;
  withoutCode?: boolean;
  customerCode?: string;
  pageSize?: number;
  cursor?: string;
}

/** Position after the last row of a page: its ChangedAt and Id (the list's sort key). */
function encodeCursor(row: CustomerSummary): string {
  return Buffer.from(JSON.stringify([row.ChangedAt, row.Id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2 && decoded.every((part) => typeof part === 'string')) return decoded as [string, string];
  } catch {
    // fall through
  }
  throw new HttpError(400, 'Invalid cursor: pass NextCursor of the previous page as given');
}

const bySortKey = (a: CustomerSummary, b: CustomerSummary) =>
  a.ChangedAt < b.ChangedAt ? -1 : a.ChangedAt > b.ChangedAt ? 1 : a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0;

/** The simulator's data. Mutations never send webhooks themselves: the HTTP layer does. */
export class App4SalesState {
  readonly customers = new Map<string, Customer>();
  /** When each customer was last stored (ChangedAt of the customer list), ISO 8601. */
  readonly changedAt = new Map<string, string>();
  readonly salesReps = new Map<string, SalesRep>();
  readonly priceLists = new Map<string, PriceList>();

  /** `clock` stamps ChangedAt; tests may pass their own. */
  constructor(private readonly clock: () => Date = () => new Date()) {}

  /** Creates or replaces a customer. Revision becomes the previous revision + 1 (input Revision is ignored). */
  putCustomer(input: CustomerInput): CustomerChange {
    const previous = this.customers.get(input.Id);
    return this.store(previous, { ...CustomerSchema.parse(input), Revision: (previous?.Revision ?? 0) + 1 });
  }

  /** Merges the fields present in `patch` and bumps Revision; undefined when the customer is unknown. */
  patchCustomer(id: string, patch: CustomerPatch): CustomerChange | undefined {
    const previous = this.customers.get(id);
    if (!previous) return undefined;
    const parsed: Record<string, unknown> = CustomerPatchSchema.parse(patch);
    // Parsing fills defaults (ContactPersons: []); only the fields actually sent may change.
    const sent = Object.fromEntries(Object.entries(parsed).filter(([field]) => field in patch));
    const customer = CustomerSchema.parse({ ...previous, ...sent, Id: id, Revision: previous.Revision + 1 });
    return this.store(previous, customer);
  }

  /** Sets CustomerCode; Revision is bumped (and changedFields non-empty) only when the code changes. */
  setCustomerCode(id: string, customerCode: string): CustomerChange | undefined {
    const previous = this.customers.get(id);
    if (!previous) return undefined;
    if (previous.CustomerCode === customerCode) {
      return { customer: previous, eventType: 'CustomerChanged', changedFields: [] };
    }
    return this.store(previous, { ...previous, CustomerCode: customerCode, Revision: previous.Revision + 1 });
  }

  putSalesRep(input: SalesRep): SalesRep {
    const salesRep = SalesRepSchema.parse(input);
    this.salesReps.set(salesRep.Username, salesRep);
    return salesRep;
  }

  putPriceList(input: PriceList): PriceList {
    const priceList = PriceListSchema.parse(input);
    this.priceLists.set(priceList.Code, priceList);
    return priceList;
  }

  /** The customer's row of the customer list. */
  summary(id: string): CustomerSummary | undefined {
    const customer = this.customers.get(id);
    if (!customer) return undefined;
    return { Id: customer.Id, CustomerCode: customer.CustomerCode ?? null, Revision: customer.Revision, ChangedAt: this.changedAt.get(id)! };
  }

  /**
   * A page of the customer list *(assumed API)*: ordered by ChangedAt then Id, every filter combined
   * with AND, keyset-paged (a customer changed while an earlier page is being read moves behind the
   * cursor and shows up on a later page).
   */
  listCustomers({ changedSince, withoutCode, customerCode, pageSize = 100, cursor }: CustomerListQuery = {}): CustomerList {
    const after = cursor ? decodeCursor(cursor) : null;
    const since = changedSince ? new Date(changedSince).toISOString() : null;
    const rows = [...this.customers.keys()]
      .map((id) => this.summary(id)!)
      .filter((row) => since === null || row.ChangedAt >= since)
      .filter((row) => !withoutCode || !row.CustomerCode?.trim())
      .filter((row) => customerCode === undefined || row.CustomerCode === customerCode)
      .filter((row) => after === null || row.ChangedAt > after[0] || (row.ChangedAt === after[0] && row.Id > after[1]))
      .sort(bySortKey);
    const page = rows.slice(0, pageSize);
    return { Customers: page, NextCursor: rows.length > pageSize ? encodeCursor(page[page.length - 1]) : null };
  }

  reset(): void {
    this.customers.clear();
    this.changedAt.clear();
    this.salesReps.clear();
    this.priceLists.clear();
  }

  private store(previous: Customer | undefined, customer: Customer): CustomerChange {
    this.customers.set(customer.Id, customer);
    this.changedAt.set(customer.Id, this.clock().toISOString());
    return {
      customer,
      eventType: previous ? 'CustomerChanged' : 'CustomerCreated',
      changedFields: changedFields(previous ?? CustomerSchema.parse({ Id: customer.Id }), customer),
    };
  }
}

export interface App4SalesSeed {
  customers?: CustomerInput[];
  salesReps?: SalesRep[];
  priceLists?: PriceList[];
}

export interface App4SalesSimulatorOptions extends ListenOptions {
  apiKey: string;
  /** Where webhooks go; none are sent until one is configured (also settable over PUT /__admin/webhook). */
  webhook?: WebhookTarget;
  logger?: SimulatorLogger;
  /** Waits between webhook attempts; default [200, 1000] (3 attempts). */
  webhookRetryDelaysMs?: readonly number[];
}

export interface App4SalesSimulator {
  /** Base URL, e.g. http://127.0.0.1:4010 */
  readonly url: string;
  readonly state: App4SalesState;
  readonly faults: FaultInjector;
  readonly webhooks: WebhookDispatcher;
  /** Loads data without sending webhooks. */
  seed(data: App4SalesSeed): void;
  close(): Promise<void>;
}

interface Context {
  state: App4SalesState;
  faults: FaultInjector;
  webhooks: WebhookDispatcher;
  initialWebhook: WebhookTarget | null;
  apiKey: string;
}

type IdParams = { Params: { id: string } };

function notify(webhooks: WebhookDispatcher, { customer, eventType, changedFields }: CustomerChange): void {
  webhooks.emit({ EventType: eventType, CustomerId: customer.Id, ChangedFields: changedFields });
}

function registerPublicRoutes(app: FastifyInstance, { state, faults, webhooks, apiKey }: Context): void {
  void app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      if (request.headers.authorization !== `Bearer ${apiKey}`) {
        throw new HttpError(401, 'Authorization has been denied for this request.', undefined, { 'www-authenticate': 'Bearer' });
      }
    });

    api.get('/api/v1/customers', { preHandler: faults.hook('listCustomers') }, async (request) => {
      const query = parseOr400(CustomerListQuerySchema, request.query, 'query');
      return state.listCustomers({ ...query, withoutCode: query.withoutCode === 'true' });
    });

    api.get<IdParams>('/api/v1/customers/:id', { preHandler: faults.hook('getCustomer') }, async (request) => {
      const customer = state.customers.get(request.params.id);
      if (!customer) throw new HttpError(404, `Customer ${request.params.id} not found`);
      return customer;
    });

    api.put<IdParams>(
      '/api/v1/customers/:id/customercode',
      { preHandler: faults.hook('setCustomerCode') },
      async (request) => {
        const { CustomerCode } = parseOr400(SetCustomerCodeSchema, request.body);
        const change = state.setCustomerCode(request.params.id, CustomerCode);
        if (!change) throw new HttpError(404, `Customer ${request.params.id} not found`);
        if (change.changedFields.length > 0) notify(webhooks, change);
        return change.customer;
      },
    );

    api.get<{ Params: { username: string } }>(
      '/api/v1/salesreps/:username',
      { preHandler: faults.hook('getSalesRep') },
      async (request) => {
        const salesRep = state.salesReps.get(request.params.username);
        if (!salesRep) throw new HttpError(404, `Sales rep ${request.params.username} not found`);
        return salesRep;
      },
    );

    api.get<{ Params: { code: string } }>(
      '/api/v1/pricelists/:code',
      { preHandler: faults.hook('getPriceList') },
      async (request) => {
        const priceList = state.priceLists.get(request.params.code);
        if (!priceList) throw new HttpError(404, `Price list ${request.params.code} not found`);
        return priceList;
      },
    );
  });
}

/** `?notify=false` applies a change without sending its webhook (for seeding). */
const NotifyQuerySchema = z.object({ notify: z.enum(['true', 'false']).default('true') });
const ResendBodySchema = z.object({ EventId: z.string().min(1).max(100).optional() }).strict();

function registerAdminRoutes(app: FastifyInstance, { state, faults, webhooks, initialWebhook }: Context): void {
  const shouldNotify = (query: unknown) => parseOr400(NotifyQuerySchema, query, 'query').notify === 'true';

  app.get('/__admin/customers', async () => [...state.customers.values()]);

  app.get<IdParams>('/__admin/customers/:id', async (request) => {
    const customer = state.customers.get(request.params.id);
    if (!customer) throw new HttpError(404, `Customer ${request.params.id} not found`);
    return customer;
  });

  app.post('/__admin/customers', async (request, reply) => {
    const change = state.putCustomer(parseOr400(CustomerSchema, request.body));
    if (shouldNotify(request.query)) notify(webhooks, change);
    return reply.code(201).send(change.customer);
  });

  app.patch<IdParams>('/__admin/customers/:id', async (request) => {
    parseOr400(CustomerPatchSchema, request.body);
    const change = state.patchCustomer(request.params.id, request.body as CustomerPatch);
    if (!change) throw new HttpError(404, `Customer ${request.params.id} not found`);
    if (shouldNotify(request.query)) notify(webhooks, change);
    return change.customer;
  });

  app.post<IdParams>('/__admin/customers/:id/resend-webhook', async (request, reply) => {
    const { EventId } = parseOr400(ResendBodySchema, request.body ?? {});
    if (!state.customers.has(request.params.id)) throw new HttpError(404, `Customer ${request.params.id} not found`);
    if (!webhooks.target) throw new HttpError(409, 'No webhook target configured');
    return reply.code(202).send(webhooks.resend(request.params.id, EventId));
  });

  app.post('/__admin/salesreps', async (request, reply) =>
    reply.code(201).send(state.putSalesRep(parseOr400(SalesRepSchema, request.body))),
  );

  app.post('/__admin/pricelists', async (request, reply) =>
    reply.code(201).send(state.putPriceList(parseOr400(PriceListSchema, request.body))),
  );

  registerTargetRoutes(app, '/__admin/webhook', webhooks, WebhookTargetSchema);

  app.get('/__admin/webhooks', async () => webhooks.deliveries);

  app.post('/__admin/reset', async (_request, reply) => {
    state.reset();
    faults.clear();
    webhooks.reset();
    webhooks.target = initialWebhook;
    return reply.code(204).send();
  });

  registerFaultRoutes(app, faults);
}

export async function startApp4SalesSimulator(opts: App4SalesSimulatorOptions): Promise<App4SalesSimulator> {
  const app = createSimulatorApp('app4sales', opts.logger, ({ message }) => ({ Message: message }));
  const initialWebhook = opts.webhook ? WebhookTargetSchema.parse(opts.webhook) : null;
  const context: Context = {
    state: new App4SalesState(),
    faults: new FaultInjector({ schema: FaultConfigSchema, routeIds: APP4SALES_ROUTE_IDS }),
    webhooks: new WebhookDispatcher(app.log, initialWebhook, opts.webhookRetryDelaysMs),
    initialWebhook,
    apiKey: opts.apiKey,
  };
  registerPublicRoutes(app, context);
  registerAdminRoutes(app, context);
  app.addHook('onClose', async () => context.webhooks.close());

  const url = await listen(app, opts);
  const { state, faults, webhooks } = context;
  return {
    url,
    state,
    faults,
    webhooks,
    seed({ customers = [], salesReps = [], priceLists = [] }) {
      salesReps.forEach((salesRep) => state.putSalesRep(salesRep));
      priceLists.forEach((priceList) => state.putPriceList(priceList));
      customers.forEach((customer) => state.putCustomer(customer));
    },
    close: () => app.close(),
  };
}
