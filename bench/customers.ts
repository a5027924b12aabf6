/**
 * Benchmark data: N distinct, complete App4Sales customers (every field the mapping reads, no value
 * long enough to be truncated), the sales rep and the price list they point at.
 */
import { CustomerSchema, type Customer, type PriceList, type SalesRep } from '../connectors/app4sales/schemas';

export const BENCH_SALES_REP: SalesRep = { Username: 'bench.rep', ResIdString: 'SR-BENCH' };
export const BENCH_PRICE_LIST: PriceList = { Code: 'PL-BENCH-EUR', Name: 'Benchmark EUR', Currency: 'EUR' };

const PLACES = [
  { country: 'SE', city: 'Stockholm', lang: 'sv', suffix: 'AB', tld: 'se', phone: '+46 8' },
  { country: 'NO', city: 'Oslo', lang: 'no', suffix: 'AS', tld: 'no', phone: '+47 22' },
  { country: 'NL', city: 'Utrecht', lang: 'nl', suffix: 'B.V.', tld: 'nl', phone: '+31 30' },
  { country: 'DK', city: 'Aarhus', lang: 'da', suffix: 'ApS', tld: 'dk', phone: '+45 86' },
] as const;
const TRADES = ['Maskin', 'Fire & Safety', 'Techniek', 'Elektro', 'Hydraulik', 'Ventilation', 'Kylteknik', 'Lyft'] as const;
const PEOPLE = [
  ['Anna', 'Berg'],
  ['Lars', 'Haugen'],
  ['Sanne', 'de Vries'],
  ['Mette', 'Jensen'],
  ['Erik', 'Lund'],
  ['Ingrid', 'Solberg'],
] as const;

/** App4Sales id of the i-th customer of a batch, e.g. `A4S-BENCH-R-0007`. */
export function benchCustomerId(batch: string, i: number): string {
  return `A4S-BENCH-${batch}-${String(i).padStart(4, '0')}`;
}

/** The i-th customer of a batch: id and name are unique per (batch, i); the rest varies with i. */
export function benchCustomer(batch: string, i: number): Customer {
  const place = PLACES[i % PLACES.length];
  const trade = TRADES[i % TRADES.length];
  const [first, last] = PEOPLE[i % PEOPLE.length];
  const n = String(i).padStart(4, '0');
  const slug = `bench-${batch.toLowerCase()}-${n}`;
  const domain = `${slug}.example.${place.tld}`;
  const person = `${first.toLowerCase()}.${last.toLowerCase().replace(/\s+/g, '')}@${domain}`;
  return CustomerSchema.parse({
    Id: benchCustomerId(batch, i),
    CustomerCode: null,
    CustomerName: `${trade} ${batch}-${n} ${place.suffix}`,
    LanguageCode: place.lang,
    ChamberOfCommerceCode: `55${n}-${String(1000 + (i % 9000))}`,
    VatCode: `${place.country}55${n}${String(i % 100).padStart(2, '0')}01`,
    Website: `https://${domain}`,
    Email: `office@${domain}`,
    Phone: `${place.phone} ${n.slice(0, 2)} ${n.slice(2)} 00`,
    Fax: `${place.phone} ${n.slice(0, 2)} ${n.slice(2)} 01`,
    MainContactPerson: { Id: `CP-${slug}-1`, FullName: `${first} ${last}`, FirstName: first, LastName: last, Email: person },
    ContactPersons: [
      { Id: `CP-${slug}-1`, FullName: `${first} ${last}`, FirstName: first, LastName: last, Email: person, Phonenumber: `${place.phone} ${n} 10`, Mobile: `${place.phone} ${n} 11` },
      { Id: `CP-${slug}-2`, FullName: 'Orders Desk', FirstName: 'Orders', LastName: 'Desk', Email: `orders@${domain}` },
    ],
    VisitAddress: { AddressLine1: `Industrivägen ${1 + (i % 99)}`, AddressLine2: 'Plan 2', City: place.city, Country: place.country, PostCode: `1${n}` },
    DeliveryAddress: { AddressLine1: `Lagervägen ${1 + (i % 50)}`, City: place.city, Country: place.country, PostCode: `2${n}` },
    Username: BENCH_SALES_REP.Username,
    UsesPriceField: BENCH_PRICE_LIST.Code,
    UnknownElements: { CustomerGroupId: 'BENCH' },
    Revision: 1,
  });
}
