/**
 * ServiceChannel wire shapes, as FieldBridge reads and writes them (https://api.servicechannel.com/v3,
 * Sandbox2 https://sb2api.servicechannel.com/v3).
 *
 * Public (API-NOTES section 3, seed 003): the OAuth 2.0 token endpoint (Basic client auth, form body,
 * password and refresh_token grants, 600 s access tokens), `GET /workorders/{id}`,
 * `PUT /workorders/{id}/status {Status: {Primary, Extended}, Note}`, the webhook body
 * `{Object: {...work order}, EventType}` signed with `Sign-Type: HMACSHA256` / `Sign-Data`, the
 * throttling answer `{"Reason": "Request has been throttled..."}` with Retry-After, and the permissions a
 * subscriber grants a provider. Everything marked *(assumed)* is this project's most plausible reading
 * where the public documentation is silent; the simulator follows the same reading
 * (simulators/README.md, ServiceChannel section).
 */
import { z } from 'zod';

/** Base URLs by environment (API-NOTES section 3). */
export const SERVICECHANNEL_ENVIRONMENTS = {
  production: { apiBaseUrl: 'https://api.servicechannel.com/v3', tokenUrl: 'https://login.servicechannel.com/oauth/token' },
  sandbox: { apiBaseUrl: 'https://sb2api.servicechannel.com/v3', tokenUrl: 'https://sb2login.servicechannel.com/oauth/token' },
} as const;
export type ServiceChannelEnvironment = keyof typeof SERVICECHANNEL_ENVIRONMENTS;

/** Per-minute request limits (API-NOTES section 3, throttling): per client id and per company. */
export const SERVICECHANNEL_RATE_LIMITS: Record<ServiceChannelEnvironment, { perClientPerMinute: number; perCompanyPerMinute: number }> = {
  production: { perClientPerMinute: 300, perCompanyPerMinute: 600 },
  sandbox: { perClientPerMinute: 40, perCompanyPerMinute: 80 },
};

/** The token endpoint allows one login per 5 s per user. */
export const SERVICECHANNEL_LOGIN_INTERVAL_MS = 5000;
/** The header ServiceChannel's token endpoint sends with its login-limit refusal, and its value. */
export const LOGIN_LIMIT_HEADER = 'error-message';
export const LOGIN_LIMIT_MESSAGE = 'Rejected by security reason: Login attempts limit exceed.';

/**
 * The permissions a subscriber grants a provider (seed 003's table, "Incoming XML" group), spelled as
 * the seed spells them. The group's own switch ("Incoming XML | Active") is named
 * `Incoming XML Active` here *(the seed's table lost its first column)*: when it is off, none of the
 * others apply.
 */
export const SERVICECHANNEL_PERMISSIONS = [
  'Incoming XML Active',
  'Note Creation',
  'ScheduleDate Update',
  'Workorder Create',
  'NTE Update',
  'Status Update',
  'Set status to COMPLETED_PENDING',
  'Set status to COMPLETED',
  'IVR Check IN/OUT',
  'Allow to use MAIL_TO',
] as const;
export type ServiceChannelPermission = (typeof SERVICECHANNEL_PERMISSIONS)[number];
export const ServiceChannelPermissionSchema = z.enum(SERVICECHANNEL_PERMISSIONS);

/**
 * Primary statuses *(assumed list: ServiceChannel's UI shows these; a provider sets the first four)*.
 * A completion is `COMPLETED`; `COMPLETED` with Extended `PENDING CONFIRMATION` is the "completed
 * pending" state that needs `Set status to COMPLETED_PENDING` instead of `Set status to COMPLETED`.
 */
export const PRIMARY_STATUSES = ['OPEN', 'IN PROGRESS', 'ON HOLD', 'COMPLETED', 'CANCELLED', 'INVOICED'] as const;
export const PROVIDER_SETTABLE_STATUSES = ['OPEN', 'IN PROGRESS', 'ON HOLD', 'COMPLETED'] as const;
export const COMPLETED_PENDING_EXTENDED = 'PENDING CONFIRMATION';

/**
 * The permissions a status change needs, in the order ServiceChannel checks them *(assumed order)*:
 * `Status Update` always, then `Set status to COMPLETED_PENDING` for COMPLETED / PENDING
 * CONFIRMATION, or `Set status to COMPLETED` for any other COMPLETED.
 */
export function permissionsForStatus(primary: string, extended?: string | null): ServiceChannelPermission[] {
  const needed: ServiceChannelPermission[] = ['Status Update'];
  if (primary.trim().toUpperCase() === 'COMPLETED') {
    needed.push((extended ?? '').trim().toUpperCase() === COMPLETED_PENDING_EXTENDED ? 'Set status to COMPLETED_PENDING' : 'Set status to COMPLETED');
  }
  return needed;
}

const id = z.coerce.number().int().positive();
const nullableText = z.string().nullish().transform((v) => v ?? null);
const nullableNumber = z.preprocess((v) => (v === '' ? null : v), z.coerce.number().nullable().optional()).transform((v) => v ?? null);
/** ServiceChannel date-times are ISO 8601 strings (the simulator sends UTC with `Z`). */
const dateTime = z.string().min(1).nullish().transform((v) => v ?? null);

export const StatusSchema = z.object({
  Primary: z.string().min(1),
  Extended: nullableText,
});
export type ServiceChannelStatus = z.infer<typeof StatusSchema>;

export const LocationSchema = z.looseObject({
  Id: id,
  StoreId: nullableText,
  Name: nullableText,
  Address1: nullableText,
  Address2: nullableText,
  City: nullableText,
  State: nullableText,
  Zip: nullableText,
  Country: nullableText,
  Phone: nullableText,
  Email: nullableText,
  Latitude: nullableNumber,
  Longitude: nullableNumber,
});
export type ServiceChannelLocation = z.infer<typeof LocationSchema>;

/** The work order as `GET /workorders/{id}` answers it (the fields FieldBridge uses; others are kept). */
export const WorkOrderSchema = z.looseObject({
  Id: id,
  Number: z.coerce.string().min(1),
  PurchaseNumber: nullableText,
  SubscriberId: id,
  ProviderId: id,
  LocationId: id,
  Location: LocationSchema.nullish().transform((v) => v ?? null),
  Status: StatusSchema,
  CallDate: dateTime,
  Priority: nullableText,
  Trade: nullableText,
  Category: nullableText,
  ProblemCode: nullableText,
  ScheduledDate: dateTime,
  ExpirationDate: dateTime,
  Nte: nullableNumber,
  CurrencyAlphabeticalCode: nullableText,
  Description: nullableText,
  Caller: nullableText,
  CreatedBy: nullableText,
  /** When ServiceChannel last stored a change to the work order; the changed-since list filters on it. */
  UpdatedDate: dateTime,
});
export type ServiceChannelWorkOrder = z.infer<typeof WorkOrderSchema>;

/** `GET /odata/workorders` *(assumed OData answer)*: `{"@odata.count"?, value: [...]}`. */
export const WorkOrderListSchema = z.object({
  '@odata.count': z.coerce.number().int().nonnegative().optional(),
  value: z.array(WorkOrderSchema),
});

/**
 * A note as `GET /workorders/{id}/notes` answers it *(assumed route and shape, like the notes POST:
 * an array of `{Id, NoteData, CreatedBy, DateCreated, MailedTo?, Visibility?, CreatedByProvider?}`;
 * `CreatedByProvider` (true for a note written through the provider API) is this project's reading,
 * the simulator sends it; without it the client falls back to comparing CreatedBy with its own user)*.
 */
export const WorkOrderNoteSchema = z.looseObject({
  Id: id,
  NoteData: z.string(),
  CreatedBy: nullableText,
  DateCreated: dateTime,
  MailedTo: nullableText,
  Visibility: z.number().int().nullish(),
  CreatedByProvider: z.boolean().nullish(),
});
export type ServiceChannelNote = z.infer<typeof WorkOrderNoteSchema>;
export const WorkOrderNoteListSchema = z.union([z.array(WorkOrderNoteSchema), z.object({ value: z.array(WorkOrderNoteSchema) }).transform((v) => v.value)]);

/** The token endpoint's answer (RFC 6749); ServiceChannel sends a refresh token with the password grant. */
export const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
  refresh_token: z.string().min(1).optional(),
});
export type ServiceChannelTokenResponse = z.infer<typeof TokenResponseSchema>;

/** The body of a throttled request (429 or 503). */
export const ThrottledBodySchema = z.object({ Reason: z.string() });

/**
 * An error body *(assumed)*: `{Message, ErrorCodes: [{Code, Message}]}`; code 504 is "API call
 * rejected by security permissions" (the code ServiceChannel's generated SDK lists), and a permission
 * refusal also names `Permission` and `SubscriberId`. Every field is optional: the client reads what
 * is there.
 */
export const ErrorBodySchema = z.looseObject({
  Message: z.string().optional(),
  ErrorCodes: z.array(z.union([z.number(), z.looseObject({ Code: z.coerce.number().optional(), Message: z.string().optional() })])).optional(),
  Permission: z.string().optional(),
  SubscriberId: z.coerce.number().optional(),
});
export type ServiceChannelErrorBody = z.infer<typeof ErrorBodySchema>;
/** The error code of a call the subscriber's permissions reject. */
export const PERMISSION_ERROR_CODE = 504;

// ---- request bodies ----------------------------------------------------------------------------

export const StatusUpdateBodySchema = z
  .object({
    Status: z.object({ Primary: z.string().trim().min(1, 'Status.Primary is required'), Extended: z.string().nullish() }),
    Note: z.string().optional(),
  })
  .strict();
export type StatusUpdateBody = z.infer<typeof StatusUpdateBodySchema>;

/**
 * `POST /workorders/{id}/notes` *(assumed: ServiceChannel's published SDK names these fields; the
 * API-NOTES did not find the endpoint)*. `MailedTo` is a comma-separated list of e-mail addresses;
 * `Visibility` 0 = everyone, 1 = not the external subscriber, 2 = not the provider, 3 = subscriber only.
 */
export const NoteBodySchema = z
  .object({
    Note: z.string().trim().min(1, 'Note is required'),
    MailedTo: z.string().nullish(),
    ActionRequired: z.boolean().optional(),
    Visibility: z.number().int().min(0).max(3).optional(),
    NotifyFollowers: z.boolean().optional(),
  })
  .strict();
export type NoteBody = z.infer<typeof NoteBodySchema>;

/** `POST /workorders/{id}/universalCheckIn` *(assumed body)*. A time needs `IVR Check IN/OUT`. */
export const CheckInBodySchema = z
  .object({ Latitude: z.number().optional(), Longitude: z.number().optional(), CheckInTime: z.iso.datetime({ offset: true }).optional(), TechsCount: z.number().int().positive().optional() })
  .strict();
/** `POST /workorders/{id}/universalCheckOut` *(assumed body)*. A time needs `IVR Check IN/OUT`. */
export const CheckOutBodySchema = z
  .object({ Latitude: z.number().optional(), Longitude: z.number().optional(), CheckOutTime: z.iso.datetime({ offset: true }).optional(), Resolution: z.string().optional() })
  .strict();

/** `PUT /workorders/{id}/scheduledate` *(assumed body)*. */
export const ScheduledDateBodySchema = z.object({ ScheduledDate: z.iso.datetime({ offset: true }), Note: z.string().optional() }).strict();
/** `PUT /workorders/{id}/nte` *(assumed body)*. */
export const NteBodySchema = z.object({ Nte: z.number().nonnegative(), Note: z.string().optional() }).strict();

// ---- webhooks ----------------------------------------------------------------------------------

/** The work order events FieldBridge acts on. */
export const WORK_ORDER_EVENT_TYPES = [
  'WorkOrderCreated',
  'WorkOrderStatusChanged',
  'WorkOrderNteChanged',
  'WorkOrderScheduledDateChanged',
  'WorkOrderNoteAdded',
  'WorkOrderCheckIn',
  'WorkOrderCheckOut',
] as const;
export type WorkOrderEventType = (typeof WORK_ORDER_EVENT_TYPES)[number];

/** Proposal and invoice events: acknowledged and logged, nothing started. */
export const ACKNOWLEDGED_EVENT_PREFIXES = ['Proposal', 'Invoice'] as const;

export function isWorkOrderEventType(type: string): type is WorkOrderEventType {
  return (WORK_ORDER_EVENT_TYPES as readonly string[]).includes(type);
}
export function isAcknowledgedEventType(type: string): boolean {
  return ACKNOWLEDGED_EVENT_PREFIXES.some((prefix) => type.startsWith(prefix) && type.length > prefix.length);
}

/** The signature headers (lowercase, as node reads them). */
export const SIGN_TYPE_HEADER = 'sign-type';
export const SIGN_DATA_HEADER = 'sign-data';
export const SIGN_TYPE_HMACSHA256 = 'HMACSHA256';

/** A note as the simulator adds it to a `WorkOrderNoteAdded` event's Object *(assumed)*. */
export const WebhookNoteSchema = z.looseObject({ Id: id, NoteData: z.string(), CreatedBy: nullableText, DateCreated: dateTime });
/** A check-in/out as the simulator adds it to `WorkOrderCheckIn`/`CheckOut` events' Object *(assumed)*. */
export const WebhookCheckInSchema = z.looseObject({
  Id: id,
  CheckInTime: dateTime,
  CheckOutTime: dateTime,
  TechsCount: nullableNumber,
  Resolution: nullableText,
});

/**
 * The webhook body: `{Object: {...}, EventType}`. For work order events Object is the work order (its
 * id, number, subscriber, status, ...); a note event also carries `Note`, a check-in/out event
 * `CheckIn` *(assumed)*. Proposal and invoice objects are not read: only their `Id` is required.
 */
export const ServiceChannelWebhookSchema = z.object({
  EventType: z.string().min(1),
  Object: z.looseObject({
    Id: id,
    Number: z.coerce.string().optional(),
    SubscriberId: id.optional(),
    ProviderId: id.optional(),
    LocationId: id.optional(),
    Status: StatusSchema.optional(),
    UpdatedDate: dateTime,
    Note: WebhookNoteSchema.optional(),
    CheckIn: WebhookCheckInSchema.optional(),
  }),
});
export type ServiceChannelWebhook = z.infer<typeof ServiceChannelWebhookSchema>;

/** A work order event's body, validated further: the Object must be a whole work order. */
export const ServiceChannelWorkOrderWebhookSchema = z.object({
  EventType: z.enum(WORK_ORDER_EVENT_TYPES),
  Object: WorkOrderSchema.extend({ Note: WebhookNoteSchema.optional(), CheckIn: WebhookCheckInSchema.optional() }),
});
export type ServiceChannelWorkOrderWebhook = z.infer<typeof ServiceChannelWorkOrderWebhookSchema>;

/**
 * The id of a webhook event *(assumed: ServiceChannel's body carries none)*:
 * `<EventType>:<Object.Id>:<Object.UpdatedDate>` plus `:<Note.Id>` or `:<CheckIn.Id>` when present.
 * It is the same for every delivery attempt of one event (the body does not change between
 * attempts) and differs between two changes of one work order (each change moves UpdatedDate; the
 * simulator stamps it with milliseconds and never twice the same for one work order). The simulator
 * also sends it as the `X-ServiceChannel-Event-Id` header *(a simulator convenience; not to be relied on
 * with the real ServiceChannel)*.
 */
export function serviceChannelEventId(body: Pick<ServiceChannelWebhook, 'EventType' | 'Object'>): string {
  const o = body.Object;
  const parts: string[] = [body.EventType, String(o.Id), o.UpdatedDate ?? ''];
  if (o.Note) parts.push(`note-${o.Note.Id}`);
  if (o.CheckIn) parts.push(`checkin-${o.CheckIn.Id}`);
  return parts.join(':');
}
export const EVENT_ID_HEADER = 'x-servicechannel-event-id';
