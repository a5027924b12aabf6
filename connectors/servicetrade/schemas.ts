/**
 * ServiceTrade wire shapes, as FieldBridge reads and writes them (https://api.servicetrade.com/api).
 *
 * What is public (API-NOTES section 2): the `{messages: {success, error}, data}` envelope on every
 * answer, lists under `data.<resource plural>` with paging, the OAuth 2.0 token endpoint, the job
 * fields (number, type, status, customer{id,name,status}, location{id,name,refNumber,address},
 * scheduledDate, dueBy, created, updated: Unix seconds), external ids (per external system, system
 * names lowercase) and the webhook delivery body. Everything marked *(assumed)* below is this
 * project's most plausible reading where the public documentation is silent; the simulator follows
 * the same reading (simulators/README.md, ServiceTrade section). Ids and timestamps are numbers;
 * ServiceTrade sends some of them as strings, so they are coerced.
 */
import { z } from 'zod';

/** The entity types FieldBridge reads or writes external ids on. */
export const SERVICETRADE_ENTITY_TYPES = ['job', 'location', 'company', 'jobitem'] as const;
export type ServiceTradeEntityType = (typeof SERVICETRADE_ENTITY_TYPES)[number];

/**
 * ServiceTrade's rule for an external system name: lowercase, starts with a letter, letters, digits
 * and underscores only (support article 4405558744083).
 */
export const EXTERNAL_SYSTEM_NAME = /^[a-z][a-z0-9_]*$/;

const id = z.coerce.number().int().positive();
/** Unix seconds; ServiceTrade sends numbers, sometimes numeric strings. */
const unixSeconds = z.coerce.number().int().nonnegative();
const nullableSeconds = z.preprocess((v) => (v === '' || v === 0 || v === '0' ? null : v), unixSeconds.nullable().optional()).transform((v) => v ?? null);
const nullableText = z.string().nullish().transform((v) => v ?? null);
const nullableNumber = z.preprocess((v) => (v === '' ? null : v), z.coerce.number().nullable().optional()).transform((v) => v ?? null);

/**
 * External ids: one string per external system, `{"spectrum": "S1-123"}` (API-NOTES section 7; see
 * reference/external-ids.schema.json for the source). An absent or null field is `{}`; a system whose
 * value is null or empty is left out. Ids are strings (a number is read as its text).
 */
export const ExternalIdsSchema = z
  .record(z.string(), z.union([z.string(), z.number()]).nullish())
  .nullish()
  .transform((v) =>
    Object.fromEntries(
      Object.entries(v ?? {})
        .map(([system, value]) => [system, value === null || value === undefined ? '' : String(value).trim()] as const)
        .filter(([, value]) => value !== ''),
    ),
  );
export type ExternalIds = Record<string, string>;

export const AddressSchema = z.object({
  street: nullableText,
  city: nullableText,
  state: nullableText,
  postalCode: nullableText,
});
export type ServiceTradeAddress = z.infer<typeof AddressSchema>;

/**
 * The envelope of every answer. `messages` is usually `{success: [], error: [], ...}`; the official
 * SDK shows a 400 body as `{messages: ['Location is required']}`, so a plain list is read as errors.
 */
export const MessagesSchema = z
  .union([
    z.array(z.coerce.string()).transform((error) => ({ success: [] as string[], error, warning: [] as string[] })),
    z
      .looseObject({
        success: z.array(z.coerce.string()).nullish(),
        error: z.array(z.coerce.string()).nullish(),
        warning: z.array(z.coerce.string()).nullish(),
      })
      .transform((m) => ({ success: m.success ?? [], error: m.error ?? [], warning: m.warning ?? [] })),
  ])
  .nullish()
  .transform((m) => m ?? { success: [], error: [], warning: [] });

export function envelope<S extends z.ZodType>(data: S) {
  return z.object({ messages: MessagesSchema, data });
}

/** Paging fields of a list answer (`page` is 1-based). A list without `totalPages` is one page. */
export const PagingSchema = z.object({
  page: z.coerce.number().int().positive().optional(),
  totalPages: z.coerce.number().int().nonnegative().optional(),
  total: z.coerce.number().int().nonnegative().optional(),
});

/**
 * `POST /oauth2/token` answer (RFC 6749 section 5.1; the SDK reads `access_token`, a JWT with an
 * `exp` claim). Whether ServiceTrade wraps it in the envelope is not documented *(assumed: it does
 * not)*; the client accepts both.
 */
export const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().default('Bearer'),
  expires_in: z.coerce.number().positive().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

const CompanyRefSchema = z.object({ id, name: z.string(), status: z.string().optional() });

export const JobSchema = z.object({
  id,
  uri: z.string().optional(),
  number: z.coerce.string(),
  name: z.string(),
  type: z.string(),
  status: z.string(),
  description: nullableText,
  customer: CompanyRefSchema,
  location: z.object({ id, name: z.string(), refNumber: nullableText, address: AddressSchema.optional() }),
  scheduledDate: nullableSeconds,
  dueBy: nullableSeconds,
  created: unixSeconds,
  updated: unixSeconds,
  refNumber: nullableText,
  /** *(assumed field name)*: the customer's purchase order number; ServiceTrade's docs do not name it. */
  customerPo: nullableText,
  externalIds: ExternalIdsSchema,
});
export type ServiceTradeJob = z.infer<typeof JobSchema>;

export const LocationSchema = z.object({
  id,
  uri: z.string().optional(),
  name: z.string(),
  refNumber: nullableText,
  address: AddressSchema,
  phoneNumber: nullableText,
  company: CompanyRefSchema,
  externalIds: ExternalIdsSchema,
});
export type ServiceTradeLocation = z.infer<typeof LocationSchema>;

export const CompanySchema = z.object({
  id,
  uri: z.string().optional(),
  name: z.string(),
  status: z.string(),
  externalIds: ExternalIdsSchema,
});
export type ServiceTradeCompany = z.infer<typeof CompanySchema>;

/** A service line *(assumed shape: id, name, abbr, as ServiceTrade shows them in its UI)*. */
export const ServiceLineSchema = z.object({ id, name: z.string(), abbr: z.string() });
export type ServiceTradeServiceLine = z.infer<typeof ServiceLineSchema>;

/** A service (ServiceTrade's ServiceRequest resource) on a job, with its service line *(assumed shape)*. */
export const ServiceSchema = z.object({
  id,
  description: z.string().nullish().transform((v) => v ?? ''),
  serviceLine: ServiceLineSchema,
});
export type ServiceTradeService = z.infer<typeof ServiceSchema>;

/**
 * An item of the ServiceTrade item library *(assumed shape; `code` is what maps to a Spectrum item
 * code; `type`, e.g. material, labor, travel, decides whether it becomes a Spectrum material line)*.
 */
export const LibItemSchema = z.object({ id, code: z.coerce.string(), name: z.string(), type: z.string().nullish().transform((v) => v ?? null) });
export type ServiceTradeLibItem = z.infer<typeof LibItemSchema>;

/** A job item *(assumed shape)*. `libItem` null: the item is not in the ServiceTrade item library. */
export const JobItemSchema = z.object({
  id,
  name: z.string(),
  description: nullableText,
  quantity: z.coerce.number(),
  cost: nullableNumber,
  price: nullableNumber,
  uom: nullableText,
  libItem: LibItemSchema.nullish().transform((v) => v ?? null),
  externalIds: ExternalIdsSchema,
});
export type ServiceTradeJobItem = z.infer<typeof JobItemSchema>;

export const JobListSchema = PagingSchema.extend({ jobs: z.array(JobSchema) });
export const ServiceListSchema = PagingSchema.extend({ serviceRequests: z.array(ServiceSchema) });
export const JobItemListSchema = PagingSchema.extend({ jobItems: z.array(JobItemSchema) });

/**
 * Body of an external id write, `POST /externalid/{entityType}/{entityId}/{system}`: the value only;
 * the entity and the system are in the path (reference/external-id-write.schema.json). The value
 * replaces the entity's id of that system.
 */
export const SetExternalIdSchema = z.object({ value: z.string().trim().min(1).max(255) }).strict();
export type SetExternalId = z.infer<typeof SetExternalIdSchema>;

/** The path of an external id write; the system name follows ServiceTrade's rule. */
export const SetExternalIdPathSchema = z.object({
  entityType: z.enum(SERVICETRADE_ENTITY_TYPES),
  entityId: id,
  system: z.string().regex(EXTERNAL_SYSTEM_NAME, 'must be lowercase, start with a letter and hold only letters, digits and underscores'),
});

/** What the write answers in `data` is not documented *(assumed: the entity's external ids)*; the client reads only the envelope. */
export const ExternalIdResultSchema = z.unknown();

export const WEBHOOK_ACTIONS = ['created', 'updated', 'deleted'] as const;

/**
 * A webhook delivery (the body ServiceTrade POSTs to the hook URL): ids only, the receiver re-fetches
 * the entity. `timestamp` comes as a string of Unix seconds; it is coerced to a number. ServiceTrade
 * signs nothing: the hook URL's secret path segment is the only authentication.
 */
export const ServiceTradeWebhookSchema = z.object({
  messageId: z.coerce.string().min(1),
  timestamp: unixSeconds,
  data: z
    .array(
      z.object({
        action: z.enum(WEBHOOK_ACTIONS),
        timestamp: unixSeconds,
        userId: z.coerce.number().int().nullish().transform((v) => v ?? null),
        entity: z.object({ type: z.string().min(1), id, uri: z.string().optional() }),
        changeset: z.unknown().optional(),
      }),
    )
    .min(1),
});
export type ServiceTradeWebhook = z.infer<typeof ServiceTradeWebhookSchema>;
export type ServiceTradeWebhookEvent = ServiceTradeWebhook['data'][number];
