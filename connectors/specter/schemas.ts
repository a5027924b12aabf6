/**
 * Specter ERP customer API shapes (SpecterPostCustomer, ApiResponse).
 *
 * Field names and limits follow the Spector connector's mapping (seed 002; API-NOTES section 4).
 * Specter's rule book (max lengths, required fields) is in limits.ts, which takes its field names from here.
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
