/**
 * App4Sales customer -> SpecterPostCustomer: the Spector connector's "Create Customer" mapping
 * (seed 002, restored table in API-NOTES section 4). Pure and deterministic: it runs inside the
 * customerUpsert workflow.
 */
import type { Address, ContactPerson, Customer } from '../connectors/app4sales/schemas';
import { ADDRESS_MAX_LENGTHS, DEFAULT_CURRENCY, MAX_LENGTHS, REQUIRED_FIELDS } from '../connectors/specter/limits';
import type { SpecterAddress, SpecterPostCustomer } from '../connectors/specter/schemas';
import { resolveCountry } from './countries';

/** Everything the mapping reads: the customer and what the connector looks up beside it. */
export interface CustomerMappingInput {
  customer: Customer;
  /** ResIdString of the customer's user in App4Sales' SalesReps table, when there is one. */
  salesRepResIdString: string | null;
  /** Currency of the price list named by the customer's UsesPriceField, when found. */
  priceListCurrency: string | null;
  /** Connector setting: CustomerGroupId for customers whose UnknownElements have none. */
  defaultCustomerGroupId?: string | null;
}

export interface Truncation {
  field: string;
  maxLength: number;
  originalLength: number;
}

/** A value the mapping could not send as App4Sales holds it: left out, or sent with a doubt. */
export interface MappingWarning {
  /** Specter field, e.g. "VisitAddress.CountryCode" */
  field: string;
  /** The App4Sales value, as it was */
  value: string;
  reason: string;
}

export interface MissingField {
  /** Specter field */
  field: (typeof REQUIRED_FIELDS)[number];
  /** Where App4Sales would hold it */
  source: string;
}

export interface CustomerMapping {
  payload: SpecterPostCustomer;
  /** true when the customer has no CustomerCode yet: Specter creates it. */
  isNew: boolean;
  truncations: Truncation[];
  /** Required Specter fields left empty; the payload must not be sent while any is missing. */
  missing: MissingField[];
  /** Values left out (or sent with a doubt) rather than sent wrong: a country that is no country, say. For the log. */
  warnings: MappingWarning[];
  /**
   * True when Currency is Specter's default SEK because the price list gave none (new customers
   * only: an update leaves Currency out instead). Pass it to asUpdateOf when this create is turned
   * into an update.
   */
  currencyDefaulted: boolean;
}

const REQUIRED_SOURCES: Record<MissingField['field'], string> = {
  Name: 'CustomerName',
  FirstName: 'ContactPersons[0].FirstName, or MainContactPerson.FirstName when there are no ContactPersons',
  SurName: 'ContactPersons[0].LastName, or MainContactPerson.LastName when there are no ContactPersons',
  EmailAddress: 'MainContactPerson.Email, Email or VisitAddress.Email',
};

/** The first value that is not empty or blank, trimmed. */
export function firstNonEmpty(...values: Array<string | null | undefined>): string | undefined {
  for (const value of values) {
    const trimmed = value?.trim();
    if (trimmed) return trimmed;
  }
  return undefined;
}

/** Cut to maxLength UTF-16 units, as .NET's [MaxLength] counts, without splitting a surrogate pair. */
export function truncate(value: string, maxLength: number): string {
  if (value.length <= maxLength) return value;
  let cut = value.slice(0, maxLength);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut;
}

export function mapCustomerToSpecter(input: CustomerMappingInput): CustomerMapping {
  const { customer } = input;
  const truncations: Truncation[] = [];
  const warnings: MappingWarning[] = [];
  const fit = (field: string, value: string | undefined, maxLength: number | undefined): string | undefined => {
    if (value === undefined || maxLength === undefined || value.length <= maxLength) return value;
    truncations.push({ field, maxLength, originalLength: value.length });
    return truncate(value, maxLength);
  };
  const header = <K extends keyof SpecterPostCustomer>(field: K, value: string | undefined): string | undefined =>
    fit(field, value, (MAX_LENGTHS as Partial<Record<keyof SpecterPostCustomer, number>>)[field]);

  const customerCode = firstNonEmpty(customer.CustomerCode);
  const isNew = customerCode === undefined;
  // The first contact person; a customer whose only contact is its main contact person has that one.
  const contact: ContactPerson | undefined = customer.ContactPersons[0] ?? customer.MainContactPerson ?? undefined;
  const priceListCurrency = firstNonEmpty(input.priceListCurrency)?.toUpperCase();
  // Specter's default applies to new customers; an update without a price-list currency keeps Specter's.
  const currencyDefaulted = isNew && priceListCurrency === undefined;
  const name = header('Name', firstNonEmpty(customer.CustomerName));

  const payload: SpecterPostCustomer = {
    ...(isNew ? {} : { CustomerId: customerCode, ForceCustomerUpdate: true, IdentifyByCustomerId: true }),
    Name: name ?? '',
    Language: firstNonEmpty(customer.LanguageCode),
    OrgNo: header('OrgNo', firstNonEmpty(customer.ChamberOfCommerceCode)),
    VatNo: header('VatNo', firstNonEmpty(customer.VatCode)),
    Homepage: header('Homepage', firstNonEmpty(customer.Website)),
    EmailAddress:
      header('EmailAddress', firstNonEmpty(customer.MainContactPerson?.Email, customer.Email, customer.VisitAddress?.Email)) ?? '',
    PhoneNo: header('PhoneNo', firstNonEmpty(customer.Phone, customer.VisitAddress?.Phone, contact?.Phonenumber)),
    FaxNo: header('FaxNo', firstNonEmpty(customer.Fax, customer.VisitAddress?.Fax)),
    SalesRepresentativeId: firstNonEmpty(input.salesRepResIdString),
    CustomerGroupId: firstNonEmpty(unknownElement(customer, 'CustomerGroupId'), input.defaultCustomerGroupId),
    Currency: currencyDefaulted ? DEFAULT_CURRENCY : priceListCurrency,
    ...(isNew ? { TypeCustomer: 'C', CustomerOrganizationalForm: 'C' } : {}),
    FullName: firstNonEmpty(contact?.FullName, [contact?.FirstName?.trim(), contact?.LastName?.trim()].filter(Boolean).join(' ')),
    FirstName: header('FirstName', firstNonEmpty(contact?.FirstName)) ?? '',
    SurName: header('SurName', firstNonEmpty(contact?.LastName)) ?? '',
    MobileNo: header('MobileNo', firstNonEmpty(contact?.Mobile)),
    VisitAddress: mapAddress('VisitAddress', customer.VisitAddress, undefined, fit, warnings),
    DeliveryAddress: mapAddress('DeliveryAddress', customer.DeliveryAddress, name, fit, warnings),
  };

  const missing = REQUIRED_FIELDS.filter((field) => !payload[field]).map((field) => ({ field, source: REQUIRED_SOURCES[field] }));
  return { payload: dropUndefined(payload), isNew, truncations, missing, warnings, currencyDefaulted };
}

/**
 * Turn a create into an update of an existing Specter customer (used when a lost answer is found to
 * have created it). TypeCustomer and CustomerOrganizationalForm are dropped, as on every update; so
 * is Currency when `options.currencyDefaulted` (the mapping's `currencyDefaulted`) says it is only
 * Specter's default SEK, which an update must not write over the customer's own currency. Without
 * options, Currency is kept as in the payload.
 */
export function asUpdateOf(payload: SpecterPostCustomer, customerId: string, options: { currencyDefaulted?: boolean } = {}): SpecterPostCustomer {
  const { TypeCustomer: _type, CustomerOrganizationalForm: _form, Currency: currency, ...rest } = payload;
  return {
    ...rest,
    ...(options.currencyDefaulted || currency === undefined ? {} : { Currency: currency }),
    CustomerId: customerId,
    ForceCustomerUpdate: true,
    IdentifyByCustomerId: true,
  };
}

function mapAddress(
  prefix: 'VisitAddress' | 'DeliveryAddress',
  address: Address | null | undefined,
  companyName: string | undefined,
  fit: (field: string, value: string | undefined, maxLength: number) => string | undefined,
  warnings: MappingWarning[],
): SpecterAddress | undefined {
  if (!address) return undefined;
  const field = (name: keyof SpecterAddress, value: string | null | undefined) => fit(`${prefix}.${name}`, firstNonEmpty(value), ADDRESS_MAX_LENGTHS[name]);
  const countryCode = (value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const country = resolveCountry(value);
    if ('reason' in country) warnings.push({ field: `${prefix}.CountryCode`, value, reason: country.reason });
    return country.code;
  };
  const mapped = dropUndefined({
    CompanyName: field('CompanyName', companyName),
    AddressLine1: field('AddressLine1', address.AddressLine1),
    AddressLine2: field('AddressLine2', address.AddressLine2),
    City: field('City', address.City),
    // ISO alpha-2 from a code, an alpha-3 code or a name; never truncated ("Sweden" is not "SW").
    CountryCode: countryCode(firstNonEmpty(address.Country)),
    PostCode: field('PostCode', address.PostCode),
  });
  return Object.keys(mapped).length > 0 ? mapped : undefined;
}

function unknownElement(customer: Customer, key: string): string | undefined {
  const value = customer.UnknownElements[key];
  return value === null || value === undefined ? undefined : String(value);
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** "App4Sales customer 42: missing Name (from CustomerName), EmailAddress (from ...)" */
export function describeMissing(customerId: string, missing: MissingField[]): string {
  return `App4Sales customer ${customerId} cannot be sent to Specter: missing required ${missing
    .map((m) => `${m.field} (from App4Sales ${m.source})`)
    .join(', ')}`;
}
