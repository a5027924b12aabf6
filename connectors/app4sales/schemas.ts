/**
 * App4Sales (Core Suite) wire shapes, as FieldBridge reads and writes them.
 *
 * App4Sales publishes no OpenAPI; these follow the field names of the Spector connector page
 * (seed 002, API-NOTES section 4). Every payload that comes from App4Sales goes through one of these
 * schemas before FieldBridge uses it.
 */
import { z } from 'zod';

const optionalText = z.string().nullish();

export const ContactPersonSchema = z.object({
  Id: z.string().min(1),
  FullName: optionalText,
  FirstName: optionalText,
  LastName: optionalText,
  Email: optionalText,
  Phonenumber: optionalText,
  Mobile: optionalText,
});
export type ContactPerson = z.infer<typeof ContactPersonSchema>;

export const AddressSchema = z.object({
  AddressLine1: optionalText,
  AddressLine2: optionalText,
  City: optionalText,
  /** ISO 3166-1 alpha-2 */
  Country: optionalText,
  PostCode: optionalText,
  Email: optionalText,
  Phone: optionalText,
  Fax: optionalText,
});
export type Address = z.infer<typeof AddressSchema>;

export const CustomerSchema = z.object({
  Id: z.string().min(1),
  /** The Specter customer id once FieldBridge has written it back; empty for a customer Specter has not seen. */
  CustomerCode: optionalText,
  CustomerName: optionalText,
  LanguageCode: optionalText,
  ChamberOfCommerceCode: optionalText,
  VatCode: optionalText,
  Website: optionalText,
  Email: optionalText,
  Phone: optionalText,
  Fax: optionalText,
  MainContactPerson: ContactPersonSchema.nullish(),
  ContactPersons: z.array(ContactPersonSchema).default([]),
  VisitAddress: AddressSchema.nullish(),
  DeliveryAddress: AddressSchema.nullish(),
  /** The App4Sales user responsible for the customer; looked up in the SalesReps table. */
  Username: optionalText,
  /** Code of the price list the customer uses; its currency becomes the Specter currency. */
  UsesPriceField: optionalText,
  UnknownElements: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
  /** Monotonic revision, bumped by App4Sales on every change. */
  Revision: z.number().int().nonnegative().default(0),
});
export type Customer = z.infer<typeof CustomerSchema>;
export type CustomerInput = z.input<typeof CustomerSchema>;

/**
 * One row of the customer list (`GET /api/v1/customers`) *(assumed: App4Sales publishes no list
 * API)*: enough to decide whom to sync, kept apart from CustomerSchema so that the sync, which reads
 * the full customer, never depends on ChangedAt.
 */
export const CustomerSummarySchema = z.object({
  Id: z.string().min(1),
  CustomerCode: optionalText,
  Revision: z.number().int().nonnegative(),
  /** When App4Sales last stored a change to the customer (the CustomerCode write-back included); ISO 8601. */
  ChangedAt: z.string().datetime({ offset: true }),
});
export type CustomerSummary = z.infer<typeof CustomerSummarySchema>;

/** A page of the customer list, ordered by ChangedAt then Id; NextCursor null on the last page. */
export const CustomerListSchema = z.object({
  Customers: z.array(CustomerSummarySchema),
  NextCursor: z.string().min(1).nullable(),
});
export type CustomerList = z.infer<typeof CustomerListSchema>;

/** Query of the customer list; every filter optional, combined with AND. */
export const CustomerListQuerySchema = z
  .object({
    /** Customers whose ChangedAt is at or after this instant. */
    changedSince: z.string().datetime({ offset: true }).optional(),
    /** `true`: only customers without a CustomerCode (empty or absent). */
    withoutCode: z.enum(['true', 'false']).optional(),
    /** Only customers with exactly this CustomerCode. */
    customerCode: z.string().min(1).optional(),
    pageSize: z.coerce.number().int().min(1).max(500).default(100),
    /** NextCursor of the previous page, as given. */
    cursor: z.string().min(1).optional(),
  })
  .strict();

export const SalesRepSchema = z.object({
  Username: z.string().min(1),
  ResIdString: z.string().min(1),
});
export type SalesRep = z.infer<typeof SalesRepSchema>;

export const PriceListSchema = z.object({
  Code: z.string().min(1),
  Name: optionalText,
  /** ISO 4217 */
  Currency: optionalText,
});
export type PriceList = z.infer<typeof PriceListSchema>;

export const SetCustomerCodeSchema = z.object({ CustomerCode: z.string().min(1).max(50) });

/**
 * Body of the customer-changed webhook App4Sales sends to FieldBridge.
 * Signed with the shared secret: `X-App4Sales-Timestamp: <unix seconds>` and
 * `X-App4Sales-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.
 */
export const CustomerChangedEventSchema = z.object({
  EventId: z.string().min(1).max(100),
  EventType: z.enum(['CustomerCreated', 'CustomerChanged']),
  CustomerId: z.string().min(1).max(100),
  ChangedFields: z.array(z.string()).default([]),
  OccurredAt: z.string().datetime({ offset: true }),
});
export type CustomerChangedEvent = z.infer<typeof CustomerChangedEventSchema>;

export const SIGNATURE_HEADER = 'x-app4sales-signature';
export const TIMESTAMP_HEADER = 'x-app4sales-timestamp';
