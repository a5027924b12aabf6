/**
 * Demo data for the ServicePower simulator: what the ServiceChannel -> ServicePower flow needs to
 * find on the mobile side.
 *
 * - Managed accounts (master data; a work order naming only their AccountNum gets the rest filled
 *   in): `NW-1000` Northwind Facilities and `HP-2000` Harbor Point Properties, each with a managed
 *   location (`NW-HQ`, `HP-TOWER`).
 * - Mobile workers (UserName; the PrimaryUser of a dispatched work order): `tech.alvarez`,
 *   `tech.brooks`, `tech.chen`.
 * - Trades: the OrderSubType values the simulator knows *(assumed: seed 004 has no trade property;
 *   FieldBridge puts the ServiceChannel trade in OrderSubType)*; another value is stored with a
 *   warning. Categories: ServiceChannel categories mapped to seed 004's OrderType system category
 *   (a suggestion for the mapping's configuration).
 * - One demo work order, `SP-DEMO-1`, dispatched to tech.alvarez, so the technician admin endpoint
 *   can be tried at once (`POST /__admin/workorders/SP-DEMO-1/status {"OrderStatus": 6}`).
 */
import { OrderType, type OrderTypeCode } from './schemas';
import type { ServicePowerSeed } from './simulator-state';

export const DEMO_ACCOUNT_NUMS = { northwind: 'NW-1000', harborPoint: 'HP-2000' } as const;
export const DEMO_LOCATION_NUMS = { northwindHq: 'NW-HQ', harborPointTower: 'HP-TOWER' } as const;
export const DEMO_TECHNICIANS = ['tech.alvarez', 'tech.brooks', 'tech.chen'] as const;
export const DEMO_TRADES = ['HVAC', 'PLUMBING', 'ELECTRICAL', 'REFRIGERATION', 'GENERAL MAINTENANCE'] as const;

/** ServiceChannel category -> ServicePower OrderType (seed 004's Work Order Types). */
export const DEMO_CATEGORY_ORDER_TYPES: Readonly<Record<string, OrderTypeCode>> = {
  REPAIR: OrderType.Repair,
  MAINTENANCE: OrderType.Maintenance,
  'PREVENTIVE MAINTENANCE': OrderType.Maintenance,
  INSPECTION: OrderType.Inspection,
  INSTALLATION: OrderType.Install,
};

export const DEMO_WORK_ORDER_NUM = 'SP-DEMO-1';

/** The ServiceMobility user FieldBridge creates its JWT with (`POST /createjwt`) in the demo and the tests. */
export const DEMO_SERVICEPOWER_USER = { username: 'fieldbridge', password: 'dev-servicepower-password' } as const;

export const demoServicePowerData: ServicePowerSeed = {
  accounts: [
    {
      AccountNum: 'NW-1000',
      AccountType: '1001',
      Name: 'Northwind Facilities Inc.',
      Addresses: [{ AddrLine1: '100 Commerce Dr', AddrType: '1001', City: 'Raleigh', Region: 'NC', Zip: '27601', Country: 'US' }],
      Contacts: [{ FirstName: 'Dana', LastName: 'Whitfield', Email: 'facilities@northwind.example', IsPrimary: true, Phones: [{ PhoneNum: '+1 919 555 0100', PhoneType: 'Work' }] }],
    },
    {
      AccountNum: 'HP-2000',
      AccountType: '1001',
      Name: 'Harbor Point Properties LLC',
      Addresses: [{ AddrLine1: '2 Harbor Point Blvd', AddrType: '1001', City: 'Wilmington', Region: 'NC', Zip: '28401', Country: 'US' }],
    },
  ],
  locations: [
    {
      LocationNum: 'NW-HQ',
      Name: 'Northwind HQ',
      Address: { AddrLine1: '100 Commerce Dr', City: 'Raleigh', Region: 'NC', Zip: '27601', Country: 'US' },
      Contacts: [{ FirstName: 'Dana', LastName: 'Whitfield', IsPrimary: true, Phones: [{ PhoneNum: '+1 919 555 0100', PhoneType: 'Work' }] }],
    },
    {
      LocationNum: 'HP-TOWER',
      Name: 'Harbor Point Tower',
      Address: { AddrLine1: '2 Harbor Point Blvd', City: 'Wilmington', Region: 'NC', Zip: '28401', Country: 'US' },
    },
  ],
  users: [
    { UserName: 'tech.alvarez', FirstName: 'Maria', LastName: 'Alvarez', trades: ['HVAC', 'REFRIGERATION'] },
    { UserName: 'tech.brooks', FirstName: 'Sam', LastName: 'Brooks', trades: ['PLUMBING', 'GENERAL MAINTENANCE'] },
    { UserName: 'tech.chen', FirstName: 'Wei', LastName: 'Chen', trades: ['ELECTRICAL'] },
  ],
  trades: [...DEMO_TRADES],
  workOrders: {
    [DEMO_WORK_ORDER_NUM]: {
      Account: { AccountNum: 'NW-1000' },
      Location: { LocationNum: 'NW-HQ' },
      Description: 'Rooftop unit 3 not cooling',
      OrderType: OrderType.Repair,
      OrderSubType: 'HVAC',
      Priority: '2',
      PurchaseOrder: { PONum: 'PO-DEMO-1', Amount: 750 },
      PlannedStartDate: '2026-01-07T14:00:00Z',
      DispatchUTC: '2026-01-06T09:00:00Z',
      UserName: 'tech.alvarez',
      PrimaryUserName: 'tech.alvarez',
      DispatchStatus: 3,
      Notes: [{ ID: 'N1', Author: 'FieldBridge', Date: '2026-01-06T09:00:00Z', Text: 'Demo work order', ReadOnly: true }],
    },
  },
};
