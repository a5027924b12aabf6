/**
 * Demo data for the App4Sales simulator (`npm run simulators`): two sales reps, two price lists
 * (EUR and NOK) and two customers not yet known to Specter (no CustomerCode).
 */
import type { ContactPerson } from './schemas';
import type { App4SalesSeed } from './simulator';

// Each customer's main contact person is also the first in its list.
const ingrid: ContactPerson = {
  Id: 'CP-1001-1',
  FullName: 'Ingrid Solberg',
  FirstName: 'Ingrid',
  LastName: 'Solberg',
  Email: 'ingrid.solberg@nordvik-maskin.example.no',
  Phonenumber: '+47 22 12 34 57',
  Mobile: '+47 912 34 567',
};
const sanne: ContactPerson = {
  Id: 'CP-1002-1',
  FullName: 'Sanne de Vries',
  FirstName: 'Sanne',
  LastName: 'de Vries',
  Email: 'sanne@vandijk-techniek.example.nl',
  Mobile: '+31 6 1234 5678',
};

export const demoApp4SalesData: App4SalesSeed = {
  salesReps: [
    { Username: 'anna.berg', ResIdString: 'SR-0001' },
    { Username: 'pieter.dekker', ResIdString: 'SR-0002' },
  ],
  priceLists: [
    { Code: 'PL-EUR', Name: 'Standard EUR', Currency: 'EUR' },
    { Code: 'PL-NOK', Name: 'Standard NOK', Currency: 'NOK' },
  ],
  customers: [
    {
      Id: 'A4S-1001',
      CustomerCode: null,
      CustomerName: 'Nordvik Maskin AS',
      LanguageCode: 'NO',
      ChamberOfCommerceCode: '923456789',
      VatCode: 'NO923456789MVA',
      Website: 'https://nordvik-maskin.example.no',
      Email: 'post@nordvik-maskin.example.no',
      Phone: '+47 22 12 34 56',
      MainContactPerson: ingrid,
      ContactPersons: [
        ingrid,
        { Id: 'CP-1001-2', FullName: 'Lars Haugen', FirstName: 'Lars', LastName: 'Haugen', Email: 'lars.haugen@nordvik-maskin.example.no' },
      ],
      VisitAddress: { AddressLine1: 'Industriveien 12', City: 'Oslo', Country: 'NO', PostCode: '0581' },
      DeliveryAddress: { AddressLine1: 'Lagerveien 3', AddressLine2: 'Port 4', City: 'Oslo', Country: 'NO', PostCode: '0668' },
      Username: 'anna.berg',
      UsesPriceField: 'PL-NOK',
      UnknownElements: { CustomerGroupId: 'WHOLESALE' },
    },
    {
      Id: 'A4S-1002',
      CustomerCode: null,
      CustomerName: 'Van Dijk Techniek B.V.',
      LanguageCode: 'NL',
      ChamberOfCommerceCode: '34123456',
      VatCode: 'NL812345678B01',
      Website: 'https://vandijk-techniek.example.nl',
      Email: 'info@vandijk-techniek.example.nl',
      Phone: '+31 20 123 4567',
      Fax: '+31 20 123 4568',
      MainContactPerson: sanne,
      ContactPersons: [
        sanne,
      ],
      VisitAddress: { AddressLine1: 'Keizersgracht 100', City: 'Amsterdam', Country: 'NL', PostCode: '1015 AA' },
      DeliveryAddress: { AddressLine1: 'Havenstraat 8', City: 'Zaandam', Country: 'NL', PostCode: '1506 PA' },
      Username: 'pieter.dekker',
      UsesPriceField: 'PL-EUR',
      UnknownElements: {},
    },
  ],
};
