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
import { createHash } from 'node:crypto';
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

/**
 * A location (reference: `Location.Location`, and `LocationWithTimezoneName` from `GET
 * /locations/{locationId}`). Inside a work order it may carry only its id and name, without the
 * address: every field is optional.
 */
export const LocationSchema = z.looseObject({
  Id: z.coerce.number().int().nonnegative().nullish().transform((v) => v ?? null),
  SubscriberId: z.coerce.number().int().nullish().transform((v) => v ?? null),
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

/** Whether a location carries an address FieldBridge can send to the field (a street line or a city). */
export function locationHasAddress(location: Pick<ServiceChannelLocation, 'Address1' | 'Address2' | 'City'> | null | undefined): boolean {
  return Boolean(location && (location.Address1?.trim() || location.Address2?.trim() || location.City?.trim()));
}

/** A party of the work order (reference: `Subscribers.Subscriber`, `Providers.Provider`): its Id is what FieldBridge reads. */
const PartySchema = z.looseObject({ Id: id, Name: nullableText });

/**
 * The work order as `GET /workorders/{workorderId}` answers it (reference: `Workorders.WorkOrder`):
 * the subscriber and the provider are objects (`Subscriber{Id,...}`, `Provider{Id,...}`), `LocationId`
 * may be 0 (it is meant for OData calls) with the location in `Location`, which may carry no address,
 * and the currency is `Currency{AlphabeticalCode}`. The parse adds FieldBridge's flat ids:
 * `SubscriberId` (Subscriber.Id), `ProviderId` (Provider.Id) and `LocationId` (LocationId when
 * positive, else Location.Id; 0 when neither names it).
 */
export const WorkOrderSchema = z
  .looseObject({
    Id: id,
    Number: z.coerce.string().min(1),
    PurchaseNumber: nullableText,
    Subscriber: PartySchema,
    Provider: PartySchema.nullish().transform((v) => v ?? null),
    LocationId: z.coerce.number().int().nonnegative().nullish().transform((v) => v ?? 0),
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
    Currency: z.looseObject({ AlphabeticalCode: nullableText }).nullish().transform((v) => v ?? null),
    Description: nullableText,
    Caller: nullableText,
    CreatedBy: nullableText,
    /** When ServiceChannel last stored a change to the work order; the changed-since list filters on it. */
    UpdatedDate: dateTime,
  })
  .transform((wo) => ({
    ...wo,
    SubscriberId: wo.Subscriber.Id,
    ProviderId: wo.Provider?.Id ?? null,
    LocationId: wo.LocationId > 0 ? wo.LocationId : (wo.Location?.Id ?? 0),
  }));
export type ServiceChannelWorkOrder = z.infer<typeof WorkOrderSchema>;

/**
 * `GET /odata/workorders`: the reference declares the 200 answer as an array of `WorkOrder`; an OData
 * service wraps it as `{"@odata.context", "@odata.count"?, value: [...]}` *(assumed envelope; both are
 * read)*. A row need not carry `Subscriber` (the reconciliation reads only Id and UpdatedDate).
 */
export const WorkOrderListRowSchema = z.looseObject({ Id: id, UpdatedDate: dateTime, CallDate: dateTime, Status: StatusSchema.optional() });
export const WorkOrderListSchema = z.union([
  z.object({ '@odata.count': z.coerce.number().int().nonnegative().optional(), value: z.array(WorkOrderListRowSchema) }),
  z.array(WorkOrderListRowSchema).transform((value) => ({ value, '@odata.count': undefined })),
]);
export type ServiceChannelWorkOrderListRow = z.infer<typeof WorkOrderListRowSchema>;
/** `/odata/workorders` answers 50 rows unless told otherwise; FieldBridge never asks for more per request. */
export const ODATA_PAGE_SIZE = 50;
/** Without a CallDate bound in `$filter`, `/odata/workorders` covers the work orders called in the last 90 days. */
export const ODATA_DEFAULT_LOOKBACK_DAYS = 90;
/** The widest CallDate range `/odata/workorders` accepts: 365 days before now. */
export const ODATA_MAX_LOOKBACK_DAYS = 365;

/**
 * A note of `GET /workorders/{workorderId}/notes` (reference: `Notes.Note`): `{Id, Number, NoteData,
 * DateCreated, CreatedBy, CompanyName, MailedTo, Visibility, NoteType, ...}`. There is no flag for a
 * note the provider wrote: FieldBridge recognises its own by FIELDBRIDGE_NOTE_MARK (client.listNotes).
 */
export const WorkOrderNoteSchema = z.looseObject({
  Id: id,
  Number: z.coerce.number().int().nullish(),
  NoteData: z.string().nullish().transform((v) => v ?? ''),
  CreatedBy: nullableText,
  CompanyName: nullableText,
  DateCreated: dateTime,
  MailedTo: nullableText,
  NoteType: nullableText,
});
export type ServiceChannelNote = z.infer<typeof WorkOrderNoteSchema>;
/** The notes list (reference: `Notes.GetNotesResponse`): `{Notes: [...], AllNotesCount, ...}`, newest first, one page. */
export const WorkOrderNoteListSchema = z.looseObject({
  Notes: z.array(WorkOrderNoteSchema).nullish().transform((v) => v ?? []),
  AllNotesCount: z.coerce.number().int().nonnegative().nullish(),
});
/** The notes list's page size when `paging` is not given ("1:10"), and the one FieldBridge asks for. */
export const NOTES_DEFAULT_PAGE_SIZE = 10;
export const NOTES_PAGE_SIZE = 100;

/**
 * The mark FieldBridge puts at the end of every note it writes (notes, status and check-out notes), so
 * that it recognises its own notes in the list (which has no "created by the provider" flag) and never
 * sends them back to the field. A note written with a key (an idempotency key: the same key is the same
 * note, so a retried write whose answer was lost finds it in the list and is not written again) ends
 * with `[FieldBridge <key>]` instead; the key is NOTE_KEY_PATTERN.
 */
export const FIELDBRIDGE_NOTE_MARK = '[FieldBridge]';
export const NOTE_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,40}$/;
const KEYED_MARK = /\[FieldBridge(?: ([A-Za-z0-9._:-]{1,40}))?\]$/;

/** A note key as NOTE_KEY_PATTERN wants it; an error naming the key otherwise. */
export function checkNoteKey(key: string): string {
  if (!NOTE_KEY_PATTERN.test(key)) throw new Error(`note key "${key}" is not 1 to 40 of A-Z a-z 0-9 . _ : -`);
  return key;
}

/** The text with FieldBridge's mark (`[FieldBridge]`, or `[FieldBridge <key>]` with a key); a text already marked is kept. */
export function markNote(text: string, key?: string): string {
  const trimmed = text.trimEnd();
  if (key === undefined) return isMarkedNote(trimmed) ? text : `${trimmed} ${FIELDBRIDGE_NOTE_MARK}`;
  checkNoteKey(key);
  if (noteKeyOf(trimmed) === key) return text;
  return `${trimmed} [FieldBridge ${key}]`;
}
export function isMarkedNote(text: string | null | undefined): boolean {
  return KEYED_MARK.test((text ?? '').trimEnd());
}
/** The key of a note FieldBridge wrote with one (`... [FieldBridge <key>]`); null for any other note. */
export function noteKeyOf(text: string | null | undefined): string | null {
  return KEYED_MARK.exec((text ?? '').trimEnd())?.[1] ?? null;
}

/**
 * One row of `GET /odata/workorders({workorderId})/Service.CheckInActivity()` (reference:
 * `ServiceChannel.Services.Messaging.Workorders.CheckInIActivity`: Id, Date, Dto, User, Action,
 * WorkType, CheckInOutType, ...). Action names the kind of record: `CheckIn` or `CheckOut` *(assumed
 * values: the reference types it as a string only; the webhook's CheckInAndOutObject uses these)*.
 */
export const CheckInActivitySchema = z.looseObject({
  Id: z.coerce.number().int().nullish(),
  Date: dateTime,
  Action: nullableText,
  WorkType: nullableText,
});
export type ServiceChannelCheckInActivity = z.infer<typeof CheckInActivitySchema>;
/** The reference declares the 200 answer as an array; an OData service wraps it as `{value: [...]}` *(assumed; both are read)*. */
export const CheckInActivityListSchema = z.union([
  z.object({ value: z.array(CheckInActivitySchema) }).transform((v) => v.value),
  z.array(CheckInActivitySchema),
]);
/** Whether a check-in activity row is a check-out (else a check-in): its Action. */
export function isCheckOutAction(action: string | null | undefined): boolean {
  return /check\s*-?\s*out/i.test(action ?? '');
}

/**
 * Whether an error body is ServiceChannel's own (`ErrorResponse`: ErrorCodes, ErrorCode or
 * ErrorMessage): only such a body is ServiceChannel's word, e.g. that a work order does not exist.
 * A 404 without it (HTML from a gateway, a wrong base URL, `{Message}` from a web framework) is not.
 */
export function isServiceChannelErrorBody(body: ServiceChannelErrorBody | null): boolean {
  if (!body) return false;
  return (Array.isArray(body.ErrorCodes) && body.ErrorCodes.length > 0) || (body.ErrorCode !== undefined && body.ErrorCode !== null) || (typeof body.ErrorMessage === 'string' && body.ErrorMessage !== '');
}

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
 * An error body (reference: `ErrorResponse`): `{ErrorCodes: [...], ErrorCode, ErrorMessage}`. The
 * reference's operations list numeric in-body codes (504 "API call rejected by security permissions",
 * 502 "work order not found", 503 "required data missing or incorrect", ...) while its schema
 * declares the codes as an enum of names: both are read. A 401 for a bad token comes from the web
 * framework as `{Message}` *(assumed)*.
 */
export const ErrorBodySchema = z.looseObject({
  ErrorCodes: z.array(z.union([z.number(), z.string()])).nullish(),
  ErrorCode: z.union([z.number(), z.string()]).nullish(),
  ErrorMessage: z.string().nullish(),
  Message: z.string().optional(),
});
export type ServiceChannelErrorBody = z.infer<typeof ErrorBodySchema>;
/** The error code of a call the subscriber's permissions reject (HTTP 401). */
export const PERMISSION_ERROR_CODE = 504;
/** The error code of "work order not found" on the write routes (HTTP 400). */
export const NOT_FOUND_ERROR_CODE = 502;
/** The error code of "required data missing or incorrect" (HTTP 400), e.g. a check-in without the technician's position. */
export const VALIDATION_ERROR_CODE = 503;
/** The error code of "Location is not found" (`GET /locations/{id}`, HTTP 400). */
export const LOCATION_NOT_FOUND_ERROR_CODE = 601;

// ---- request bodies ----------------------------------------------------------------------------

/**
 * `PUT /workorders/{id}/status` (reference: `ChangeWoStatusRequestExt`, `WorkorderStatusExt`):
 * `Status.Primary` and `Status.Extended` are both required; Extended "can be empty" (an empty string).
 */
export const StatusUpdateBodySchema = z
  .object({
    Status: z.object({ Primary: z.string().trim().min(1, 'Status.Primary is required'), Extended: z.string({ error: 'Status.Extended is required (an empty string when none)' }) }).strict(),
    Note: z.string().optional(),
    Actor: z.string().optional(),
  })
  .strict();
export type StatusUpdateBody = z.infer<typeof StatusUpdateBodySchema>;

/**
 * `POST /workorders/{id}/notes` (reference: `CreateWoNoteRequest`). `MailedTo` is a comma-separated
 * list of e-mail addresses; `Visibility` 0 = everyone, 1 = not the external subscriber, 2 = not the
 * provider, 3 = subscriber only.
 */
export const NoteBodySchema = z
  .object({
    Note: z.string().trim().min(1, 'Note is required'),
    MailedTo: z.string().nullish(),
    ActionRequired: z.boolean().optional(),
    Visibility: z.number().int().min(0).max(3).optional(),
    NotifyFollowers: z.boolean().optional(),
    Actor: z.string().optional(),
  })
  .strict();
export type NoteBody = z.infer<typeof NoteBodySchema>;

/** Work types of a check-in/out (reference: `WorkTypeId`, default 1). */
export const WORK_TYPE_REPAIR = 1;
export const WORK_TYPE_TRAVEL = 2;
/** Check-out primary statuses (reference: `CheckOutRequest.PrimaryStatus`). */
export const CHECK_OUT_PRIMARY_STATUSES = ['NoStatusChange', 'InProgress', 'Completed', 'WaitingForQuote', 'PartsOnOrder', 'Incomplete'] as const;
export type CheckOutPrimaryStatus = (typeof CHECK_OUT_PRIMARY_STATUSES)[number];

/**
 * `POST /workorders/{id}/universalCheckIn` (reference: `CheckInRequest`). Latitude and Longitude are
 * required for the Repair work type unless the subscriber granted the XML check-in/out permission
 * (`IVR Check IN/OUT`), which is also the one that lets the caller give `CheckInTime`.
 */
export const CheckInBodySchema = z
  .object({
    WorkTypeId: z.number().int().positive().optional(),
    UserId: z.number().int().optional(),
    TechsCount: z.number().int().positive().optional(),
    Latitude: z.number().min(-90).max(90).optional(),
    Longitude: z.number().min(-180).max(180).optional(),
    CheckInTime: z.iso.datetime({ offset: true }).optional(),
    Actor: z.string().optional(),
  })
  .strict();
export type CheckInBody = z.infer<typeof CheckInBodySchema>;
/** `POST /workorders/{id}/universalCheckOut` (reference: `CheckOutRequest`); same position and time rules. */
export const CheckOutBodySchema = z
  .object({
    WorkTypeId: z.number().int().positive().optional(),
    PrimaryStatus: z.enum(CHECK_OUT_PRIMARY_STATUSES).optional(),
    ExtendedStatus: z.string().optional(),
    ActionStatus: z.enum(['Complete', 'Cancel']).optional(),
    Resolution: z.string().optional(),
    UserId: z.number().int().optional(),
    TechsCount: z.number().int().positive().optional(),
    Latitude: z.number().min(-90).max(90).optional(),
    Longitude: z.number().min(-180).max(180).optional(),
    CheckOutTime: z.iso.datetime({ offset: true }).optional(),
    CheckoutAll: z.boolean().optional(),
    Actor: z.string().optional(),
  })
  .strict();
export type CheckOutBody = z.infer<typeof CheckOutBodySchema>;

/** `PUT /workorders/{id}/scheduledate` (reference: `ChangeWoFieldsRequest`): `{Value, Actor?}`, Value the new date-time. */
export const ScheduledDateBodySchema = z.object({ Value: z.iso.datetime({ offset: true }), Actor: z.string().optional() }).strict();
/** `PUT /workorders/{id}/nte` (reference: `ChangeWoNteRequest`): `{Value}`, the amount as a string. */
export const NteBodySchema = z
  .object({ Value: z.string().regex(/^\d+(\.\d+)?$/, 'Value must be the NTE amount as a decimal string'), CurrencyId: z.number().int().optional(), ProviderEmail: z.string().optional(), Actor: z.string().optional() })
  .strict();

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

/** A note of a work order event's `Notes` (webhook reference: `Note`). */
export const WebhookNoteSchema = z.looseObject({ Id: id, NoteData: z.string().nullish(), CreatedBy: nullableText, DateCreated: dateTime });

/** The check-in/out events (webhook reference: `CheckInAndOut`): their Object names the work order `WorkOrderId`. */
export const CHECK_IN_OUT_EVENT_TYPES = ['WorkOrderCheckIn', 'WorkOrderCheckOut'] as const;
export function isCheckInOutEventType(type: string): boolean {
  return (CHECK_IN_OUT_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * The webhook body (webhook reference: `WebhookRoot`): `{EventType, Type?, Action?, Version?, Object}`.
 * For work order events Object is the flat `WorkOrderObject` (`Id`, `Number`, `SubscriberId`,
 * `ProviderId`, `LocationId`, `Status`, `UpdatedDate`, ..., and `Notes[]` for a note event); for
 * check-in/out events it is `CheckInAndOutObject` (`WorkOrderId`, `Date`, `Action`, `CheckinAction`,
 * ...), with no `Id`. Proposal and invoice objects are not read. Only what FieldBridge reads is
 * checked here; workOrderIdOf names the work order.
 */
export const ServiceChannelWebhookSchema = z.object({
  EventType: z.string().min(1),
  Object: z.looseObject({
    Id: id.nullish(),
    WorkOrderId: id.nullish(),
    Number: z.coerce.string().nullish(),
    SubscriberId: z.coerce.number().int().nullish(),
    Status: StatusSchema.nullish(),
    UpdatedDate: dateTime,
    Date: dateTime,
    Action: nullableText,
    Notes: z.array(WebhookNoteSchema).nullish(),
  }),
});
export type ServiceChannelWebhook = z.infer<typeof ServiceChannelWebhookSchema>;

/** The work order an event is about: `Object.WorkOrderId` (check-in/out), else `Object.Id` (work order events); null when neither. */
/** What serviceChannelEventId and workOrderIdOf read of a webhook body. */
export interface WebhookIdentity {
  EventType: string;
  Object: {
    Id?: number | null;
    WorkOrderId?: number | null;
    UpdatedDate?: string | null;
    Date?: string | null;
    Status?: { Primary?: string | null; Extended?: string | null } | null;
    Notes?: ReadonlyArray<{ Id: number }> | null;
  };
}

export function workOrderIdOf(body: WebhookIdentity): number | null {
  const o = body.Object;
  return (isCheckInOutEventType(body.EventType) ? (o.WorkOrderId ?? o.Id) : (o.Id ?? o.WorkOrderId)) ?? null;
}

/**
 * The id of a webhook event *(assumed: ServiceChannel's body carries none)*, built from what the event
 * carries so that two different events never share one and every delivery of one body keeps it:
 * - a work order event: `<EventType>:<Object.Id>:<Object.UpdatedDate>`, then `:status-<Primary>[/<Extended>]`
 *   for a status change (two status changes stamped alike stay apart: a cancellation is never taken
 *   for the change before it), then `:note-<id>` of its newest note when it carries `Notes`;
 * - a check-in/out: `<EventType>:<Object.WorkOrderId>:<Object.Date>`;
 * - an event without its time (no UpdatedDate, resp. no Date): the same, then `:h-<hash>`, the first 16
 *   hex digits of the SHA-256 of the Object (keys sorted, nulls dropped): a later change carries another
 *   Object, so it is not dropped as a repeat of the first; a redelivery carries the same.
 * The simulator also sends it as the `X-ServiceChannel-Event-Id` header *(a simulator convenience; not to
 * be relied on with the real ServiceChannel)*.
 */
export function serviceChannelEventId(body: WebhookIdentity): string {
  const o = body.Object;
  const workOrderId = workOrderIdOf(body);
  if (isCheckInOutEventType(body.EventType)) {
    const date = o.Date ?? o.UpdatedDate ?? null;
    return [body.EventType, String(workOrderId ?? ''), date ?? '', ...(date ? [] : [`h-${objectHash(o)}`])].join(':');
  }
  const parts: string[] = [body.EventType, String(workOrderId ?? ''), o.UpdatedDate ?? ''];
  if (body.EventType === 'WorkOrderStatusChanged' && o.Status?.Primary) {
    const status = [o.Status.Primary, o.Status.Extended ?? ''].map((v) => v.trim().toUpperCase().replace(/\s+/g, '_')).filter((v) => v !== '').join('/');
    parts.push(`status-${status}`);
  }
  const notes = o.Notes ?? [];
  if (notes.length > 0) parts.push(`note-${Math.max(...notes.map((n) => n.Id))}`);
  if (!o.UpdatedDate) parts.push(`h-${objectHash(o)}`);
  return parts.join(':');
}

/** SHA-256 of a JSON value with its keys sorted and its nulls dropped (a parsed and a raw body hash alike), first 16 hex digits. */
function objectHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
export const EVENT_ID_HEADER = 'x-servicechannel-event-id';
