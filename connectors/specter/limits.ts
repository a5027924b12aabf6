/**
 * Specter's field rules for SpecterPostCustomer: the mapping truncates to them, the simulator
 * rejects past them. Kept free of zod so the workflow bundle (which runs the mapping) stays small.
 */
import type { SpecterAddress, SpecterPostCustomer } from './schemas';

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

