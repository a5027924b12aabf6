/**
 * The Spector connector's customer mapping, row by row (seed 002; restored table in
 * shared/API-NOTES.md section 4).
 */
import { asUpdateOf, describeMissing, firstNonEmpty, mapCustomerToSpecter, truncate, type CustomerMappingInput } from '../../mappings/app4sales-to-specter';
import { countryKey, isoCountries, resolveCountry } from '../../mappings/countries';
import type { CustomerInput } from '../../connectors/app4sales/schemas';
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

  // [case, price-list currency, Currency in the update asUpdateOf makes]
  test.each([
    ['the price list gave one: kept', 'NOK', 'NOK'],
    ['only Specter\'s default SEK: left out, Specter keeps the found customer\'s', null, undefined],
  ])('asUpdateOf and Currency: %s', (_case, priceListCurrency, expected) => {
    const mapping = map({}, { priceListCurrency });
    const update = asUpdateOf(mapping.payload, '10077', { currencyDefaulted: mapping.currencyDefaulted });
    expect(update.Currency).toBe(expected);
    if (expected === undefined) expect(update).not.toHaveProperty('Currency');
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
  // [case, CustomerCode, price-list currency, Currency sent, currencyDefaulted]
  test.each([
    ['new customer, price list with a currency', null, 'eur', 'EUR', false],
    ['new customer, no price-list currency: Specter\'s default SEK', null, null, 'SEK', true],
    ['new customer, blank price-list currency: SEK', null, '  ', 'SEK', true],
    ['update, price list with a currency: sent', '10042', 'NOK', 'NOK', false],
    ['update, no price-list currency: not sent, Specter keeps its own', '10042', null, undefined, false],
  ])('Currency: %s', (_case, CustomerCode, priceListCurrency, expected, defaulted) => {
    const mapping = map({ CustomerCode }, { priceListCurrency });
    expect(mapping.payload.Currency).toBe(expected);
    if (expected === undefined) expect(mapping.payload).not.toHaveProperty('Currency');
    expect(mapping.currencyDefaulted).toBe(defaulted);
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
  const main = { Id: 'CP-9', FullName: 'Maja Holm', FirstName: 'Maja', LastName: 'Holm', Email: 'maja@x.example', Phonenumber: '+46 70 333 33 33', Mobile: '+46 70 444 44 44' };
  // [case, overrides, expected contact fields]
  test.each([
    [
      'only a MainContactPerson (no ContactPersons): taken from it',
      { ContactPersons: [], MainContactPerson: main },
      { FullName: 'Maja Holm', FirstName: 'Maja', SurName: 'Holm', MobileNo: '+46 70 444 44 44' },
    ],
    [
      'only a MainContactPerson without FullName: composed from its names',
      { ContactPersons: [], MainContactPerson: { ...main, FullName: null } },
      { FullName: 'Maja Holm', FirstName: 'Maja', SurName: 'Holm' },
    ],
    [
      'ContactPersons present: ContactPersons[0] wins over MainContactPerson',
      { MainContactPerson: main },
      { FullName: 'Anna Berg', FirstName: 'Anna', SurName: 'Berg', MobileNo: '+46 70 222 22 22' },
    ],
  ])('%s', (_case, overrides, expected) => {
    const { payload, missing } = map(overrides as Partial<CustomerInput>);
    expect(payload).toMatchObject(expected);
    expect(missing).toEqual([]);
  });

  test('only a MainContactPerson: its Phonenumber is the last PhoneNo fallback', () => {
    const { payload } = map({ Phone: null, VisitAddress: null, ContactPersons: [], MainContactPerson: main });
    expect(payload.PhoneNo).toBe('+46 70 333 33 33');
  });

  test('no ContactPersons and no MainContactPerson: FirstName and SurName missing, naming both sources', () => {
    const { missing } = map({ ContactPersons: [], MainContactPerson: null });
    expect(missing.map((m) => m.field)).toEqual(['FirstName', 'SurName']);
    expect(missing[0].source).toContain('MainContactPerson.FirstName');
    expect(missing[1].source).toContain('MainContactPerson.LastName');
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

  // [field, max] for both addresses. Country is never truncated: see the CountryCode table below.
  test.each([
    ['AddressLine1', 'AddressLine1', 100],
    ['AddressLine2', 'AddressLine2', 100],
    ['City', 'City', 50],
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

describe('CountryCode: ISO 3166-1 alpha-2, from a code, an alpha-3 code or a country name; never truncated', () => {
  // [App4Sales Address.Country, CountryCode sent]
  const rows: Array<[string, string]> = [
    ['SE', 'SE'],
    ['se', 'SE'],
    [' no ', 'NO'],
    ['SWE', 'SE'],
    ['dnk', 'DK'],
    ['Sweden', 'SE'],
    ['Denmark', 'DK'],
    ['Norway', 'NO'],
    ['Finland', 'FI'],
    ['Germany', 'DE'],
    ['Netherlands', 'NL'],
    ['The Netherlands', 'NL'],
    ['United Kingdom', 'GB'],
    ['United States of America', 'US'],
    ['Sverige', 'SE'],
    ['SVERIGE', 'SE'],
    ['Norge', 'NO'],
    ['Noreg', 'NO'],
    ['Danmark', 'DK'],
    ['Suomi', 'FI'],
    ['Ísland', 'IS'],
    ['Island', 'IS'],
    ['Deutschland', 'DE'],
    ['Tyskland', 'DE'],
    ['Nederland', 'NL'],
    ['Österreich', 'AT'],
    ['Oesterreich', 'AT'],
    ['Schweiz', 'CH'],
    ['België', 'BE'],
    ['Belgique', 'BE'],
    ['España', 'ES'],
    ['Espana', 'ES'],
    ['Polska', 'PL'],
    ['Eesti', 'EE'],
    ['Lietuva', 'LT'],
    ['Latvija', 'LV'],
    ['Færøerne', 'FO'],
    ['Grønland', 'GL'],
    ["Côte d'Ivoire", 'CI'],
    ['cote d ivoire', 'CI'],
    ['Bosnia & Herzegovina', 'BA'],
    ['  saudi   arabia ', 'SA'],
    ['UK', 'GB'],
    // Two letters are a code, taken as given: never read as the start of a name.
    ['DE', 'DE'],
  ];

  test.each(rows)('%j -> %s in both addresses, without a warning or a truncation', (country, expected) => {
    const address = { AddressLine1: 'x', Country: country };
    const { payload, warnings, truncations } = map({ VisitAddress: address, DeliveryAddress: address });
    expect(payload.VisitAddress!.CountryCode).toBe(expected);
    expect(payload.DeliveryAddress!.CountryCode).toBe(expected);
    expect(warnings).toEqual([]);
    expect(truncations).toEqual([]);
  });

  // [App4Sales Address.Country]: left out with a warning, never cut to two letters
  test.each([['Atlantis'], ['Swedenn'], ['QQQQQQ'], ['Korea'], ['12']])('%j is left out of both addresses, with a warning naming it', (country) => {
    const address = { AddressLine1: 'x', Country: country };
    const { payload, warnings, truncations } = map({ VisitAddress: address, DeliveryAddress: address });
    expect(payload.VisitAddress).not.toHaveProperty('CountryCode');
    expect(payload.DeliveryAddress).not.toHaveProperty('CountryCode');
    expect(warnings).toEqual([
      { field: 'VisitAddress.CountryCode', value: country, reason: expect.stringContaining('left out') },
      { field: 'DeliveryAddress.CountryCode', value: country, reason: expect.stringContaining('left out') },
    ]);
    expect(truncations).toEqual([]);
  });

  test('two letters that are no assigned code ("SW") stay that code, with a warning', () => {
    const { payload, warnings } = map({ VisitAddress: { Country: 'sw' }, DeliveryAddress: null });
    expect(payload.VisitAddress!.CountryCode).toBe('SW');
    expect(warnings).toEqual([{ field: 'VisitAddress.CountryCode', value: 'sw', reason: expect.stringContaining('not an assigned') }]);
  });

  test('a complete customer has no warnings', () => {
    expect(map().warnings).toEqual([]);
  });

  test('the table holds every ISO 3166-1 country once, and each English name and alpha-3 code maps to its alpha-2', () => {
    const countries = isoCountries();
    expect(countries).toHaveLength(249);
    expect(new Set(countries.map((c) => c.alpha2)).size).toBe(249);
    expect(new Set(countries.map((c) => c.alpha3)).size).toBe(249);
    for (const { alpha2, alpha3, name } of countries) {
      expect([alpha2, resolveCountry(alpha2).code, resolveCountry(alpha3).code, resolveCountry(name).code]).toEqual([alpha2, alpha2, alpha2, alpha2]);
    }
  });

  test('names are compared without case, spaces, punctuation or diacritics', () => {
    expect(countryKey(' Côte d’Ivoire ')).toBe(countryKey('COTE DIVOIRE'));
    expect(countryKey('Færøerne')).toBe('faeroerne');
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
    for (const field of ['Name', 'FirstName', 'SurName', 'EmailAddress', 'CustomerName', 'ContactPersons[0].LastName', 'MainContactPerson.LastName']) {
      expect(message).toContain(field);
    }
  });

  test('only the first contact person counts', () => {
    const { missing } = map({ ContactPersons: [{ Id: 'c1', FirstName: 'Solo' }, { Id: 'c2', FirstName: 'Full', LastName: 'Name' }] });
    expect(missing).toEqual([{ field: 'SurName', source: expect.stringMatching(/^ContactPersons\[0\]\.LastName/) }]);
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
