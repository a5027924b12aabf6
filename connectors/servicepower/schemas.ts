/**
 * Wire shapes of ServicePower ServiceMobility's Work Order REST API (`/seiapi/v3/trans/WorkOrder/{num}`),
 * named exactly as seed 004 ("Work Order Object", Confluence space MOB3) names them.
 *
 * The work order object is huge (assets, items, payments, flex forms...). The properties FieldBridge
 * reads or writes are modelled with their types and value domains; every other property is kept as
 * is (loose objects), so the seed's full JSON sample parses and nothing a GET returns is dropped.
 *
 * Value domains (seed 004): DispatchStatus 0 None, 1 Scheduled, 2 Assigned, 3 Dispatched (the sample
 * sends a number although the table says string; both are read, a number is kept); OrderStatus 1
 * New, 6 En route, 7 On site, 8 Travel complete, 9 Pending, 1001 Rejected, 4096 Closed / Complete,
 * 4097 Closed / Incomplete (a string; numbers are read too; "" = not set = New); OrderType a Work
 * Order Types system category 1001..1007; Priority "0" (highest) .. "99" (lowest). Dates are UTC
 * ISO 8601 strings, or "" (unset) as in the sample.
 *
 * Required (seed 004, "Deleted": "the following normally required elements will NOT be part of the
 * object: Account, Location"): Account and Location, unless Deleted is true. Whether they are
 * non-empty is the server's check (the sample itself carries empty strings).
 *
 * Replies (MOB3 "_REST Response Codes"): `{code, detail: {message, params, dataPath}}`; a 200 may
 * carry warnings in `detail` (one object, or *(assumed)* an array of them). MOB3 "Standard Response
 * Object" documents a second shape, `{type, title, status, detail: "<text>", invalidParams: [{name,
 * reason, path, value}]}`: both are read. The JWT: MOB3 "Create JWT REST API", `POST /createjwt
 * {username, password}` -> `{token}`. The machine-readable copy of these facts (JSON Schemas, with
 * their sources) is ./reference/.
 */
import { z } from 'zod';

// ---- value domains (connectors/servicepower/codes.ts) ------------------------------------------

export * from './codes';
import { ORDER_STATUS_CODES, ORDER_STATUS_NAMES, ORDER_TYPE_CODES } from './codes';

// ---- pieces -----------------------------------------------------------------------------------

/** Numbers given for a string-typed code are read as their decimal string. */
const numberAsString = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? String(value) : value);
/** Numeric strings given for DispatchStatus are read as numbers. */
const stringAsNumber = (value: unknown) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

const str = z.string().optional();
const bool = z.boolean().optional();
/** A UTC date and time (ISO 8601), or "" for unset (as the seed's sample sends it). */
export const DateTimeSchema = z.union([z.literal(''), z.iso.datetime({ offset: true })]);
const dateTime = DateTimeSchema.optional();
/** `Delete: true` removes the entry during a PATCH; never returned by a GET. */
const deleteFlag = z.boolean().optional();

export const DispatchStatusSchema = z.preprocess(
  stringAsNumber,
  z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)], { error: 'DispatchStatus must be 0 (None), 1 (Scheduled), 2 (Assigned) or 3 (Dispatched)' }),
);

export const OrderStatusSchema = z.preprocess(
  numberAsString,
  z.union([z.literal(''), z.enum(ORDER_STATUS_CODES)], {
    error: `OrderStatus must be one of ${ORDER_STATUS_CODES.map((c) => `${c} (${ORDER_STATUS_NAMES[c]})`).join(', ')}`,
  }),
);

export const OrderTypeSchema = z.preprocess(
  numberAsString,
  z.union([z.literal(''), z.enum(ORDER_TYPE_CODES)], { error: `OrderType must be a Work Order Types system category: ${ORDER_TYPE_CODES.join(', ')}` }),
);

export const PrioritySchema = z.preprocess(
  numberAsString,
  z.string().regex(/^(|\d{1,2})$/, 'Priority must be "0" (highest) to "99" (lowest)'),
);

export const PhoneSchema = z.looseObject({ PhoneNum: str, PhoneType: str });
export const ContactSchema = z.looseObject({
  Email: str,
  FirstName: str,
  IsPrimary: bool,
  LastName: str,
  Phones: z.array(PhoneSchema).optional(),
});
export type ServicePowerContact = z.infer<typeof ContactSchema>;

const coordinate = z.union([z.string(), z.number()]).optional();
export const AddressSchema = z.looseObject({
  AddrLine1: str,
  AddrLine2: str,
  AddrLine3: str,
  AddrLine4: str,
  AddrType: str,
  City: str,
  Country: str,
  Intersection: str,
  Lat: coordinate,
  Lon: coordinate,
  Region: str,
  Zip: str,
});
export type ServicePowerAddress = z.infer<typeof AddressSchema>;

/**
 * A managed account is `{AccountNum}` alone (the server fills in the rest from its master data); any
 * other property makes it an ad-hoc account, passed straight through to the mobile.
 */
export const AccountSchema = z.looseObject({
  AccountNum: str,
  AccountType: str,
  Name: str,
  Notes: str,
  TaxExempt: z.union([z.string(), z.boolean()]).optional(),
  TierPricingID: str,
  Website: str,
  Addresses: z.array(AddressSchema).optional(),
  Contacts: z.array(ContactSchema).optional(),
});
export type ServicePowerAccount = z.infer<typeof AccountSchema>;

/** A managed location is `{LocationNum}` alone; otherwise ad hoc, like the account. */
export const LocationSchema = z.looseObject({
  Address: AddressSchema.optional(),
  Contacts: z.array(ContactSchema).optional(),
  Email: str,
  LanguageID: str,
  LocationNum: str,
  Name: str,
  Notes: str,
  POReq: bool,
  ServiceAreaID: str,
  SigReq: bool,
  StorageLocationID: str,
  WorkCenter: str,
});
export type ServicePowerLocation = z.infer<typeof LocationSchema>;

export const NoteSchema = z.looseObject({
  ID: str,
  Author: str,
  Date: dateTime,
  ReadOnly: bool,
  Text: str,
  Delete: deleteFlag,
});
export type ServicePowerNote = z.infer<typeof NoteSchema>;

export const PeriodSchema = z.looseObject({ Start: dateTime, End: dateTime });
export const TimeConstraintSchema = z.looseObject({ ID: str, Desc: str, Type: str, Period: PeriodSchema.optional(), Delete: deleteFlag });
export type ServicePowerTimeConstraint = z.infer<typeof TimeConstraintSchema>;

export const PurchaseOrderSchema = z.looseObject({ Amount: z.number().nonnegative().optional(), PONum: str });
export const ApptWndSchema = z.looseObject({ Desc: str, Earliest: dateTime, Latest: dateTime });
export const RulesSchema = z.looseObject({ IsOps: bool, IsSigReq: bool, IsTravelRequired: bool, CanReject: bool });

/** Code/description pairs (RejectReasons, ReschedReasons, IVRMessageOverrides, OrderSubStatusOverrides). */
export const CodeDescSchema = z.looseObject({ code: str, desc: str, Delete: deleteFlag });

// ---- the work order object ----------------------------------------------------------------------

const workOrderShape = {
  /** PATCH only: properties to remove (never returned by a GET). */
  _fields: z.array(z.string()).optional(),
  /** PATCH only: JSONPaths whose matches are removed (never returned by a GET). */
  _paths: z.array(z.string()).optional(),
  Account: AccountSchema.optional(),
  ActualEndDate: dateTime,
  ActualStartDate: dateTime,
  ActualTravelEndDate: dateTime,
  ActualTravelStartDate: dateTime,
  ApptWnd: ApptWndSchema.optional(),
  Billable: bool,
  CanReject: bool,
  CanResched: bool,
  /** Seed: boolean; the sample sends 0. */
  Deleted: z.union([z.boolean(), z.literal(0), z.literal(1)]).optional(),
  Description: str,
  DispatchStatus: DispatchStatusSchema.optional(),
  DispatchUTC: dateTime,
  Extensions: z.record(z.string(), z.unknown()).optional(),
  HelperTechs: z.array(z.unknown()).optional(),
  IsDelivered: bool,
  IsRead: bool,
  Location: LocationSchema.optional(),
  Notes: z.array(NoteSchema).optional(),
  OrderAmount: z.number().optional(),
  OrderDate: dateTime,
  OrderNum: str,
  OrderStatus: OrderStatusSchema.optional(),
  OrderSubStatus: str,
  OrderSubType: str,
  OrderType: OrderTypeSchema.optional(),
  PlannedEndDate: dateTime,
  PlannedStartDate: dateTime,
  PONumber: str,
  PrimaryUserName: str,
  Priority: PrioritySchema.optional(),
  PurchaseOrder: PurchaseOrderSchema.optional(),
  ReasonCode: str,
  RejectReasonCode: str,
  RejectReasons: z.array(CodeDescSchema).optional(),
  Remarks: str,
  Rules: RulesSchema.optional(),
  TechNotes: z.array(NoteSchema).optional(),
  TimeConstraints: z.array(TimeConstraintSchema).optional(),
  Title: str,
  UserName: str,
};

/** True when the object says it has been removed from the mobile worker (Account and Location then absent). */
export function isDeletedFlag(value: unknown): boolean {
  return value === true || value === 1;
}

/**
 * The work order object. Account and Location are required unless `Deleted` is true (seed 004);
 * every property not modelled here is kept.
 */
export const WorkOrderSchema = z.looseObject(workOrderShape).superRefine((wo, ctx) => {
  if (isDeletedFlag(wo.Deleted)) return;
  for (const property of ['Account', 'Location'] as const) {
    if (wo[property] === undefined) ctx.addIssue({ code: 'custom', path: [property], message: `${property} is required` });
  }
});
export type ServicePowerWorkOrder = z.infer<typeof WorkOrderSchema>;
/** What a caller builds and sends (numbers accepted for string codes). */
export type ServicePowerWorkOrderInput = z.input<typeof WorkOrderSchema>;

/**
 * A PATCH document (seed 004): the properties to change (only those supplied change; nested
 * objects merge; collection entries with an ID merge by ID, `Delete: true` removes one), plus
 * `_fields` (properties to remove) and `_paths` (JSONPaths of objects to remove).
 */
export type ServicePowerWorkOrderPatch = Partial<Omit<ServicePowerWorkOrder, '_fields' | '_paths'>> & {
  _fields?: string[];
  _paths?: string[];
  [property: string]: unknown;
};
export const WorkOrderPatchSchema = z.looseObject(workOrderShape);

// ---- replies ----------------------------------------------------------------------------------

export const ResponseDetailSchema = z.looseObject({
  message: z.string().optional(),
  params: z.unknown().optional(),
  dataPath: z.string().optional(),
});
export type ServicePowerResponseDetail = z.infer<typeof ResponseDetailSchema>;

/** `{code, detail}`: every reply but a GET's work order. `detail` is one object or *(assumed)* several. */
export const ResponseBodySchema = z.looseObject({
  code: z.number().int().optional(),
  detail: z.union([ResponseDetailSchema, z.array(ResponseDetailSchema), z.string()]).optional(),
});

/** MOB3 "Standard Response Object": `{type, title, status, detail, invalidParams: [{name, reason, path, value}]}`. */
export const InvalidParamSchema = z.looseObject({ name: z.string().optional(), reason: z.string().optional(), path: z.string().optional(), value: z.unknown().optional() });
export const StandardResponseSchema = z.looseObject({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().int().optional(),
  detail: z.unknown().optional(),
  invalidParams: z.array(InvalidParamSchema).optional(),
});

/** MOB3 "Create JWT REST API": the Authentication Object sent, and the answer on success. */
export const CreateJwtRequestSchema = z.object({ username: z.string().min(1), password: z.string().min(1) }).strict();
export const CreateJwtResponseSchema = z.looseObject({ token: z.string().min(1) });
export type ServicePowerResponseBody = z.infer<typeof ResponseBodySchema>;
