/**
 * Demo data for the ServiceTrade simulator (`npm run simulators`), kept consistent with the Spectrum
 * simulator's seed through `demoSpectrumReferences`: the Spectrum customer, site and item codes the
 * ServiceTrade records point at.
 *
 * - Job 4001 (number 7001, repair, HVAC): company 1001 -> Spectrum customer C1000, location 2001 ->
 *   Spectrum site S1000; five items: four from the item library (FILTER-20, BELT-A42, LABOR twice)
 *   and one that is not in the library. Everything it needs is mapped: it syncs straight through.
 * - Job 4002 (number 7002, inspection, Fire Protection): company 1002 -> C2000, but location 2002 has
 *   NO Spectrum site code, so its sync waits until the mapping is fixed, e.g.
 *   `PATCH /__admin/locations/2002 {"externalIds": {"spectrum": "S2000"}}` (a `location updated` webhook).
 */
import type { ServiceTradeSeed } from './simulator-state';

/** The ServiceTrade external system name under which the Spectrum codes are kept (SERVICETRADE_EXTERNAL_SYSTEM_NAME). */
export const DEMO_SPECTRUM_SYSTEM = 'spectrum';

/** The Spectrum records the ServiceTrade demo data points at. */
export interface DemoSpectrumReferences {
  /** The ServiceTrade external system name the codes are kept under. */
  externalSystemName: string;
  customers: ReadonlyArray<{ code: string; name: string }>;
  /** Each site belongs to a customer (the ServiceTrade location's company maps to that customer). */
  sites: ReadonlyArray<{ code: string; customerCode: string; name: string; address: { street: string; city: string; state: string; postalCode: string } }>;
  itemCodes: readonly string[];
  otherItemCode: string;
}

/** What the Spectrum simulator must hold for the demo jobs to sync (seed it to match). */
export const demoSpectrumReferences: DemoSpectrumReferences = {
  externalSystemName: DEMO_SPECTRUM_SYSTEM,
  customers: [
    { code: 'C1000', name: 'Northwind Facilities Inc.' },
    { code: 'C2000', name: 'Harbor Point Properties LLC' },
  ],
  sites: [
    { code: 'S1000', customerCode: 'C1000', name: 'Northwind HQ', address: { street: '100 Commerce Dr', city: 'Raleigh', state: 'NC', postalCode: '27601' } },
    { code: 'S2000', customerCode: 'C2000', name: 'Harbor Point Tower', address: { street: '2 Harbor Point Blvd', city: 'Wilmington', state: 'NC', postalCode: '28401' } },
  ],
  /** Item codes of the ServiceTrade item library used by the demo jobs. */
  itemCodes: ['FILTER-20', 'BELT-A42', 'LABOR'],
  /** A suggested "Other Item Mapping" code (seed 000) for the job item that is not in the library. */
  otherItemCode: 'MISC',
};

/** 2026-01-05 09:00 UTC, Unix seconds. */
const CREATED = 1_767_603_600;
const DAY = 86_400;

export const DEMO_JOB_IDS = { mapped: 4001, unmappedLocation: 4002 } as const;
export const DEMO_COMPANY_IDS = { northwind: 1001, harborPoint: 1002 } as const;
export const DEMO_LOCATION_IDS = { northwindHq: 2001, harborPointTower: 2002 } as const;

export const demoServiceTradeData: ServiceTradeSeed = {
  companies: [
    { id: 1001, name: 'Northwind Facilities Inc.', status: 'active', externalIds: { spectrum: 'C1000' } },
    { id: 1002, name: 'Harbor Point Properties LLC', status: 'active', externalIds: { spectrum: 'C2000' } },
  ],
  locations: [
    {
      id: 2001,
      name: 'Northwind HQ',
      refNumber: 'NW-HQ',
      address: { street: '100 Commerce Dr', city: 'Raleigh', state: 'NC', postalCode: '27601' },
      phoneNumber: '+1 919 555 0100',
      companyId: 1001,
      externalIds: { spectrum: 'S1000' },
    },
    {
      // No Spectrum site code yet: the job here waits for the mapping (S2000 in Spectrum).
      id: 2002,
      name: 'Harbor Point Tower',
      refNumber: 'HP-T1',
      address: { street: '2 Harbor Point Blvd', city: 'Wilmington', state: 'NC', postalCode: '28401' },
      phoneNumber: '+1 910 555 0200',
      companyId: 1002,
      externalIds: {},
    },
  ],
  serviceLines: [
    { id: 11, name: 'HVAC', abbr: 'HVAC' },
    { id: 12, name: 'Plumbing', abbr: 'PLMB' },
    { id: 13, name: 'Fire Protection', abbr: 'FIRE' },
  ],
  libItems: [
    { id: 501, code: 'FILTER-20', name: 'Air filter 20x20x1' },
    { id: 502, code: 'BELT-A42', name: 'V-belt A42' },
    { id: 503, code: 'LABOR', name: 'Technician labor' },
  ],
  jobs: [
    {
      id: 4001,
      number: '7001',
      name: 'Rooftop unit 3 not cooling',
      type: 'repair',
      status: 'scheduled',
      description: 'RTU-3 blows warm air; replace filters and belt, check charge.',
      companyId: 1001,
      locationId: 2001,
      scheduledDate: CREATED + 2 * DAY,
      dueBy: CREATED + 5 * DAY,
      created: CREATED,
      updated: CREATED,
      refNumber: 'NW-2026-014',
      customerPo: 'PO-88123',
      services: [{ id: 6001, serviceLineId: 11, description: 'Repair rooftop unit 3' }],
      items: [
        { id: 5001, libItemId: 501, quantity: 4, cost: 6.5, price: 14, uom: 'each' },
        { id: 5002, libItemId: 502, quantity: 2, cost: 9.25, price: 22.5, uom: 'each' },
        { id: 5003, libItemId: 503, quantity: 3.5, cost: 45, price: 110, uom: 'hour', description: 'Diagnosis and repair' },
        { id: 5004, libItemId: 503, quantity: 1, cost: 67.5, price: 165, uom: 'hour', description: 'After-hours labor' },
        { id: 5005, libItemId: null, name: 'Condensate pan tablets', description: 'Bought locally', quantity: 1, cost: 12.4, price: 25, uom: 'box' },
      ],
    },
    {
      id: 4002,
      number: '7002',
      name: 'Annual sprinkler inspection',
      type: 'inspection',
      status: 'scheduled',
      description: 'NFPA 25 annual inspection, floors 1-12.',
      companyId: 1002,
      locationId: 2002,
      scheduledDate: CREATED + 7 * DAY,
      dueBy: CREATED + 14 * DAY,
      created: CREATED + 60,
      updated: CREATED + 60,
      refNumber: null,
      customerPo: null,
      services: [{ id: 6002, serviceLineId: 13, description: 'Annual sprinkler inspection' }],
      items: [
        { id: 5006, libItemId: 503, quantity: 4, cost: 45, price: 110, uom: 'hour' },
        { id: 5007, libItemId: 501, quantity: 2, cost: 6.5, price: 14, uom: 'each' },
      ],
    },
  ],
};
