/**
 * The Spector connector's customer mapping, row by row (seed 002; restored table in
 * shared/API-NOTES.md section 4).
 */
import { asUpdateOf, describeMissing, firstNonEmpty, mapCustomerToSpecter, truncate, type CustomerMappingInput } from '../../mappings/app4sales-to-specter';
import type { CustomerInput } from '../../app4sales/schemas';
import { app4salesCustomer } from '../fixtures/customers';

function map(overrides: Partial<CustomerInput> = {}, extra: Partial<Omit<CustomerMappingInput, 'customer'>> = {}) {
  return mapCustomerToSpecter({
    customer: app4salesCustomer(overrides),
    salesRepResIdString: 'SR-007',
    priceListCurrency: 'EUR',
    ...extra,
  });
}

describe('customer header: direct fields and their max lengths', () => {
  // [App4Sales field, Specter field, max length or null]
  const rows: Array<[keyof CustomerInput, string, number | null]> = [
    ['CustomerName', 'Name', 100],
    ['LanguageCode', 'Language', null],
    ['ChamberOfCommerceCode', 'OrgNo', 20],
    ['VatCode', 'VatNo', 30],
    ['Website', 'Homepage', 50],
  ];

  test.each(rows)('%s -> %s is mapped directly', (source, target) => {
    const { payload } = map({ [source]: 'value-1' });
    expect(payload[target as keyof typeof payload]).toBe('value-1');
  });

  test.each(rows.filter(([, , max]) => max !== null))('%s -> %s is truncated to %i characters', (source, target, max) => {
    const long = 'x'.repeat(max! + 7);
    const { payload, truncations } = map({ [source]: long });
    expect(payload[target as keyof typeof payload]).toBe('x'.repeat(max!));
    expect(truncations).toContainEqual({ field: target, maxLength: max, originalLength: max! + 7 });
  });

  test('a value exactly at its max length is kept whole and not reported', () => {
    const { payload, truncations } = map({ ChamberOfCommerceCode: '1'.repeat(20) });
    expect(payload.OrgNo).toBe('1'.repeat(20));
    expect(truncations).toEqual([]);
  });
});

describe('CustomerCode decides create or update', () => {
  test('empty CustomerCode: a new customer, TypeCustomer and CustomerOrganizationalForm "C", no upsert flags', () => {
    const { payload, isNew } = map({ CustomerCode: '' });
    expect(isNew).toBe(true);
    expect(payload.TypeCustomer).toBe('C');
    expect(payload.CustomerOrganizationalForm).toBe('C');
    expect(payload).not.toHaveProperty('CustomerId');
    expect(payload).not.toHaveProperty('ForceCustomerUpdate');
    expect(payload).not.toHaveProperty('IdentifyByCustomerId');
  });

  test('CustomerCode present: CustomerId, ForceCustomerUpdate and IdentifyByCustomerId set; TypeCustomer and CustomerOrganizationalForm not sent', () => {
    const { payload, isNew } = map({ CustomerCode: '10042' });
    expect(isNew).toBe(false);
    expect(payload.CustomerId).toBe('10042');
    expect(payload.ForceCustomerUpdate).toBe(true);
    expect(payload.IdentifyByCustomerId).toBe(true);
    expect(payload).not.toHaveProperty('TypeCustomer');
    expect(payload).not.toHaveProperty('CustomerOrganizationalForm');
  });

  test('a blank CustomerCode counts as empty', () => {
    expect(map({ CustomerCode: '   ' }).isNew).toBe(true);
  });

  test('asUpdateOf turns a create into an update of a found customer', () => {
    const update = asUpdateOf(map().payload, '10077');
    expect(update).toMatchObject({ CustomerId: '10077', ForceCustomerUpdate: true, IdentifyByCustomerId: true, Name: 'Nordic Fire & Safety AB' });
    expect(update).not.toHaveProperty('TypeCustomer');
    expect(update).not.toHaveProperty('CustomerOrganizationalForm');
  });
});

describe('EmailAddress: MainContactPerson.Email, else Customer.Email, else VisitAddress.Email (required, max 100)', () => {
  const main = { Id: 'CP-1', FirstName: 'Anna', LastName: 'Berg', Email: 'main@x.example' };
  test.each([
    ['main contact person first', { MainContactPerson: main }, 'main@x.example'],
    ['customer when the main contact has none', { MainContactPerson: { ...main, Email: '' } }, 'office@nordicfire.example'],
    ['customer when there is no main contact', { MainContactPerson: null }, 'office@nordicfire.example'],
    ['visit address last', { MainContactPerson: null, Email: ' ' }, 'visit@nordicfire.example'],
  ])('%s', (_name, overrides, expected) => {
    expect(map(overrides as Partial<CustomerInput>).payload.EmailAddress).toBe(expected);
  });

  test('truncated to 100', () => {
    const email = `${'a'.repeat(120)}@x.example`;
    const { payload, truncations } = map({ MainContactPerson: { ...main, Email: email } });
    expect(payload.EmailAddress).toHaveLength(100);
    expect(truncations).toContainEqual({ field: 'EmailAddress', maxLength: 100, originalLength: email.length });
  });
});

describe('PhoneNo: Customer.Phone, else VisitAddress.Phone, else the contact person\'s Phonenumber (max 50)', () => {
  const visit = { AddressLine1: 'Storgatan 1', Phone: '+46 8 000 00 01' };
  test.each([
    ['customer first', {}, '+46 8 123 45 67'],
    ['visit address second', { Phone: null }, '+46 8 000 00 01'],
    ['first contact person last', { Phone: null, VisitAddress: { ...visit, Phone: '' } }, '+46 70 111 11 11'],
    ['none at all', { Phone: null, VisitAddress: null, ContactPersons: [{ Id: 'c', FirstName: 'A', LastName: 'B' }] }, undefined],
  ])('%s', (_name, overrides, expected) => {
    expect(map(overrides as Partial<CustomerInput>).payload.PhoneNo).toBe(expected);
  });

  test('truncated to 50', () => {
    expect(map({ Phone: '9'.repeat(60) }).payload.PhoneNo).toBe('9'.repeat(50));
  });
});

describe('FaxNo: Customer.Fax, else VisitAddress.Fax (max 50)', () => {
  test.each([
    ['customer first', {}, '+46 8 123 45 68'],
    ['visit address second', { Fax: '' }, '+46 8 000 00 02'],
    ['neither', { Fax: null, VisitAddress: { AddressLine1: 'x' } }, undefined],
  ])('%s', (_name, overrides, expected) => {
    expect(map(overrides as Partial<CustomerInput>).payload.FaxNo).toBe(expected);
  });
  test('truncated to 50', () => {
    expect(map({ Fax: '8'.repeat(51) }).payload.FaxNo).toBe('8'.repeat(50));
  });
});

describe('looked-up and dynamic fields', () => {
  test('SalesRepresentativeId is the ResIdString of the customer\'s user', () => {
    expect(map({}, { salesRepResIdString: 'SR-123' }).payload.SalesRepresentativeId).toBe('SR-123');
  });
  test('no sales representative found: SalesRepresentativeId not sent', () => {
    expect(map({}, { salesRepResIdString: null }).payload).not.toHaveProperty('SalesRepresentativeId');
  });
  test('Currency comes from the customer\'s price list', () => {
    expect(map({}, { priceListCurrency: 'nok' }).payload.Currency).toBe('NOK');
  });
  test('Currency is Specter\'s default SEK when the price list gives none', () => {
    expect(map({}, { priceListCurrency: null }).payload.Currency).toBe('SEK');
  });
  test('CustomerGroupId is taken from UnknownElements when present', () => {
    expect(map({ UnknownElements: { CustomerGroupId: 'GRP-9' } }).payload.CustomerGroupId).toBe('GRP-9');
    expect(map({ UnknownElements: { CustomerGroupId: 12 } }).payload.CustomerGroupId).toBe('12');
  });
  test('CustomerGroupId is not sent when absent', () => {
    expect(map({ UnknownElements: { Other: 'x' } }).payload).not.toHaveProperty('CustomerGroupId');
    expect(map({ UnknownElements: { CustomerGroupId: null } }).payload).not.toHaveProperty('CustomerGroupId');
  });
  test('the connector setting defaultCustomerGroupId fills in for customers without one, and never overrides one', () => {
    expect(map({}, { defaultCustomerGroupId: 'DEFAULT' }).payload.CustomerGroupId).toBe('DEFAULT');
    expect(map({ UnknownElements: { CustomerGroupId: 'OWN' } }, { defaultCustomerGroupId: 'DEFAULT' }).payload.CustomerGroupId).toBe('OWN');
  });
});

describe('contact person: the first contact person', () => {
  test('FullName, FirstName, SurName and MobileNo come from ContactPersons[0]', () => {
    const { payload } = map();
    expect(payload).toMatchObject({ FullName: 'Anna Berg', FirstName: 'Anna', SurName: 'Berg', MobileNo: '+46 70 222 22 22' });
  });
  test('FullName is composed when App4Sales has none', () => {
    const { payload } = map({ ContactPersons: [{ Id: 'c', FirstName: 'Per', LastName: 'Ek' }] });
    expect(payload.FullName).toBe('Per Ek');
  });
  test.each([
    ['FirstName', 'FirstName', 50],
    ['LastName', 'SurName', 50],
    ['Mobile', 'MobileNo', 50],
  ])('%s -> %s truncated to %i', (source, target, max) => {
    const contact = { Id: 'c', FirstName: 'Per', LastName: 'Ek', [source]: 'z'.repeat(max + 3) };
    const { payload, truncations } = map({ ContactPersons: [contact] });
    expect(payload[target as keyof typeof payload]).toBe('z'.repeat(max));
    expect(truncations).toContainEqual({ field: target, maxLength: max, originalLength: max + 3 });
  });
});

describe('addresses', () => {
  const address = { AddressLine1: 'Storgatan 1', AddressLine2: 'Plan 3', City: 'Stockholm', Country: 'se', PostCode: '111 22' };

  test('visit address fields, country as ISO alpha-2 in capitals', () => {
    expect(map({ VisitAddress: address }).payload.VisitAddress).toEqual({
      AddressLine1: 'Storgatan 1',
      AddressLine2: 'Plan 3',
      City: 'Stockholm',
      CountryCode: 'SE',
      PostCode: '111 22',
    });
  });

  test('delivery address takes the customer name as company name', () => {
    expect(map({ DeliveryAddress: address }).payload.DeliveryAddress).toEqual({
      CompanyName: 'Nordic Fire & Safety AB',
      AddressLine1: 'Storgatan 1',
      AddressLine2: 'Plan 3',
      City: 'Stockholm',
      CountryCode: 'SE',
      PostCode: '111 22',
    });
  });

  test('no address in App4Sales: none sent', () => {
    const { payload } = map({ VisitAddress: null, DeliveryAddress: null, Email: 'a@b.example' });
    expect(payload).not.toHaveProperty('VisitAddress');
    expect(payload).not.toHaveProperty('DeliveryAddress');
  });

  // [field, max] for both addresses
  test.each([
    ['AddressLine1', 'AddressLine1', 100],
    ['AddressLine2', 'AddressLine2', 100],
    ['City', 'City', 50],
    ['Country', 'CountryCode', 2],
    ['PostCode', 'PostCode', 10],
  ])('%s -> %s truncated to %i in both addresses', (source, target, max) => {
    const long = { ...address, [source]: 'Q'.repeat(max + 4) };
    const { payload, truncations } = map({ VisitAddress: long, DeliveryAddress: long });
    expect(payload.VisitAddress![target as 'City']).toBe('Q'.repeat(max));
    expect(payload.DeliveryAddress![target as 'City']).toBe('Q'.repeat(max));
    expect(truncations).toContainEqual({ field: `VisitAddress.${target}`, maxLength: max, originalLength: max + 4 });
    expect(truncations).toContainEqual({ field: `DeliveryAddress.${target}`, maxLength: max, originalLength: max + 4 });
  });

  test('the delivery company name is truncated to 100 like the customer name', () => {
    const { payload } = map({ CustomerName: 'N'.repeat(130), DeliveryAddress: address });
    expect(payload.DeliveryAddress!.CompanyName).toBe('N'.repeat(100));
  });
});

describe('required fields: Name, FirstName, SurName, EmailAddress', () => {
  test('a complete customer misses nothing', () => {
    expect(map().missing).toEqual([]);
  });

  test('every missing required field is reported, with where App4Sales keeps it', () => {
    const { missing } = map({ CustomerName: ' ', ContactPersons: [], MainContactPerson: null, Email: null, VisitAddress: null });
    expect(missing.map((m) => m.field)).toEqual(['Name', 'FirstName', 'SurName', 'EmailAddress']);
    const message = describeMissing('A4S-1001', missing);
    expect(message).toContain('A4S-1001');
    for (const field of ['Name', 'FirstName', 'SurName', 'EmailAddress', 'CustomerName', 'ContactPersons[0].LastName']) {
      expect(message).toContain(field);
    }
  });

  test('only the first contact person counts', () => {
    const { missing } = map({ ContactPersons: [{ Id: 'c1', FirstName: 'Solo' }, { Id: 'c2', FirstName: 'Full', LastName: 'Name' }] });
    expect(missing).toEqual([{ field: 'SurName', source: 'ContactPersons[0].LastName' }]);
  });
});

describe('helpers', () => {
  test('firstNonEmpty skips null, empty and blank values and trims', () => {
    expect(firstNonEmpty(null, undefined, '', '  ', ' x ', 'y')).toBe('x');
    expect(firstNonEmpty(null, '')).toBeUndefined();
  });
  test('truncate never splits a surrogate pair', () => {
    expect(truncate('ab😀cd', 3)).toBe('ab');
    expect(truncate('ab😀cd', 4)).toBe('ab😀');
    expect(truncate('short', 10)).toBe('short');
  });
});
