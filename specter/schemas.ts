/**
 * Specter ERP customer API shapes (SpecterPostCustomer, ApiResponse).
 *
 * Field names and limits follow the Spector connector's mapping (seed 002; API-NOTES section 4).
 * MAX_LENGTHS is Specter's rule book: the mapping truncates to it, the simulator rejects past it.
 */
import { z } from 'zod';

export const SpecterAddressSchema = z.object({
  CompanyName: z.string().optional(),
  AddressLine1: z.string().optional(),
  AddressLine2: z.string().optional(),
  City: z.string().optional(),
  CountryCode: z.string().optional(),
  PostCode: z.string().optional(),
});
export type SpecterAddress = z.infer<typeof SpecterAddressSchema>;

export const SpecterPostCustomerSchema = z.object({
  CustomerId: z.string().optional(),
  ForceCustomerUpdate: z.boolean().optional(),
  IdentifyByCustomerId: z.boolean().optional(),
  Name: z.string(),
  Language: z.string().optional(),
  OrgNo: z.string().optional(),
  VatNo: z.string().optional(),
  Homepage: z.string().optional(),
  EmailAddress: z.string(),
  PhoneNo: z.string().optional(),
  FaxNo: z.string().optional(),
  SalesRepresentativeId: z.string().optional(),
  CustomerGroupId: z.string().optional(),
  Currency: z.string().optional(),
  TypeCustomer: z.string().optional(),
  CustomerOrganizationalForm: z.string().optional(),
  /** First contact person */
  FullName: z.string().optional(),
  FirstName: z.string(),
  SurName: z.string(),
  MobileNo: z.string().optional(),
  VisitAddress: SpecterAddressSchema.optional(),
  DeliveryAddress: SpecterAddressSchema.optional(),
});
export type SpecterPostCustomer = z.infer<typeof SpecterPostCustomerSchema>;

/** Max lengths of SpecterPostCustomer ([MaxLength] attributes). Address limits apply to both addresses. */
export const MAX_LENGTHS = {
  Name: 100,
  OrgNo: 20,
  VatNo: 30,
  Homepage: 50,
  EmailAddress: 100,
  PhoneNo: 50,
  FaxNo: 50,
  TypeCustomer: 1,
  CustomerOrganizationalForm: 1,
  FirstName: 50,
  SurName: 50,
  MobileNo: 50,
} as const satisfies Partial<Record<keyof SpecterPostCustomer, number>>;

export const ADDRESS_MAX_LENGTHS = {
  CompanyName: 100,
  AddressLine1: 100,
  AddressLine2: 100,
  City: 50,
  CountryCode: 2,
  PostCode: 10,
} as const satisfies Record<keyof SpecterAddress, number>;

/** [Required] fields of SpecterPostCustomer. */
export const REQUIRED_FIELDS = ['Name', 'FirstName', 'SurName', 'EmailAddress'] as const;

/** Specter's default currency when the price list gives none. */
export const DEFAULT_CURRENCY = 'SEK';

export const ApiResponseSchema = z.object({
  Result: z.number().int().nullable().optional(),
  Code: z.string().nullable().optional(),
  Message: z.string().nullable().optional(),
});
export type ApiResponse = z.infer<typeof ApiResponseSchema>;

/** A customer as Specter stores it and returns it from lookups. */
export const SpecterCustomerSchema = SpecterPostCustomerSchema.omit({
  ForceCustomerUpdate: true,
  IdentifyByCustomerId: true,
}).extend({ CustomerId: z.string(), Revision: z.number().int() });
export type SpecterCustomer = z.infer<typeof SpecterCustomerSchema>;
