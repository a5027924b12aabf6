/**
 * Demo data for the ServiceChannel simulator (`npm run simulators`, `npm start`).
 *
 * - Subscriber 2014917243 "Northwind Retail Group" grants the provider every permission of seed 003.
 * - Subscriber 2014917250 "Harbor Point Restaurants" grants all but `Note Creation` (and `Allow to use
 *   MAIL_TO`): a note on its work orders is refused, naming the permission and the subscriber.
 * - Work order 90000101 (number 1000101, Northwind, Raleigh store 1012): new (OPEN), HVAC, no schedule,
 *   NTE 500 USD.
 * - Work order 90000102 (number 1000102, Harbor Point, Wilmington restaurant 0007): OPEN / DISPATCH
 *   CONFIRMED, scheduled 2026-01-07 14:00 UTC, NTE 1250 USD, PO PO-HP-5521.
 * - Work order 90000103 (number 1000103, Northwind, Durham store 1044): new (OPEN), Plumbing, P1.
 */
import type { ServiceChannelPermission } from './schemas';
import { SERVICECHANNEL_PERMISSIONS } from './schemas';
import type { OAuthClient, ServiceChannelSeed, User } from './simulator-state';

export const DEMO_SERVICECHANNEL_CLIENT: OAuthClient = { clientId: 'fieldbridge-dev', clientSecret: 'dev-servicechannel-client-secret' };
export const DEMO_SERVICECHANNEL_USER: User = { username: 'fieldbridge.api@provider.example', password: 'dev-servicechannel-password' };
/** The key the demo webhooks are signed with (SERVICECHANNEL_WEBHOOK_KEY in development). */
export const DEMO_SERVICECHANNEL_WEBHOOK_KEY = 'dev-servicechannel-webhook-key';

export const DEMO_PROVIDER_ID = 2000081234;
export const DEMO_SUBSCRIBER_IDS = { northwind: 2014917243, harborPoint: 2014917250 } as const;
export const DEMO_LOCATION_IDS = { northwindRaleigh: 301012, harborPointWilmington: 300007, northwindDurham: 301044 } as const;
export const DEMO_WORK_ORDER_IDS = { newHvac: 90000101, scheduledWithNte: 90000102, newPlumbing: 90000103 } as const;

/** What Harbor Point grants: everything but note creation (and MAIL_TO, which only matters for notes). */
export const HARBOR_POINT_PERMISSIONS: ServiceChannelPermission[] = SERVICECHANNEL_PERMISSIONS.filter((p) => p !== 'Note Creation' && p !== 'Allow to use MAIL_TO');

/**
 * A call date `days` before today (UTC, at hh:mm): ServiceChannel's work order list covers the last
 * 90 days unless filtered, and at most 365, so fixed dates would age out of the reconciliation.
 */
function calledDaysAgo(days: number, hours: number, minutes: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days, hours, minutes)).toISOString();
}

export const demoServiceChannelData: ServiceChannelSeed = {
  subscribers: [
    { Id: DEMO_SUBSCRIBER_IDS.northwind, Name: 'Northwind Retail Group' },
    { Id: DEMO_SUBSCRIBER_IDS.harborPoint, Name: 'Harbor Point Restaurants', Permissions: HARBOR_POINT_PERMISSIONS },
  ],
  locations: [
    {
      Id: DEMO_LOCATION_IDS.northwindRaleigh,
      SubscriberId: DEMO_SUBSCRIBER_IDS.northwind,
      StoreId: '1012',
      Name: 'Northwind Store #1012',
      Address1: '4120 Glenwood Ave',
      City: 'Raleigh',
      State: 'NC',
      Zip: '27612',
      Country: 'US',
      Phone: '+1 919 555 0112',
      Latitude: 35.8416,
      Longitude: -78.6801,
    },
    {
      Id: DEMO_LOCATION_IDS.harborPointWilmington,
      SubscriberId: DEMO_SUBSCRIBER_IDS.harborPoint,
      StoreId: '0007',
      Name: 'Harbor Point Grill #7',
      Address1: '2 Harbor Point Blvd',
      Address2: 'Suite 100',
      City: 'Wilmington',
      State: 'NC',
      Zip: '28401',
      Country: 'US',
      Phone: '+1 910 555 0107',
    },
    {
      Id: DEMO_LOCATION_IDS.northwindDurham,
      SubscriberId: DEMO_SUBSCRIBER_IDS.northwind,
      StoreId: '1044',
      Name: 'Northwind Store #1044',
      Address1: '815 W Main St',
      City: 'Durham',
      State: 'NC',
      Zip: '27701',
      Country: 'US',
      Phone: '+1 919 555 0144',
    },
  ],
  workOrders: [
    {
      Id: DEMO_WORK_ORDER_IDS.newHvac,
      Number: '1000101',
      PurchaseNumber: 'NW-PO-7781',
      SubscriberId: DEMO_SUBSCRIBER_IDS.northwind,
      LocationId: DEMO_LOCATION_IDS.northwindRaleigh,
      Status: { Primary: 'OPEN', Extended: null },
      CallDate: calledDaysAgo(3, 9, 0),
      Priority: 'P2 - 24 Hours',
      Trade: 'HVAC',
      Category: 'REPAIR',
      ProblemCode: 'NO COOLING',
      Nte: 500,
      CurrencyAlphabeticalCode: 'USD',
      Description: 'Rooftop unit 3 not cooling; sales floor at 81F',
      Caller: 'Dana Whitfield (store manager)',
      CreatedBy: 'dwhitfield',
    },
    {
      Id: DEMO_WORK_ORDER_IDS.scheduledWithNte,
      Number: '1000102',
      PurchaseNumber: 'PO-HP-5521',
      SubscriberId: DEMO_SUBSCRIBER_IDS.harborPoint,
      LocationId: DEMO_LOCATION_IDS.harborPointWilmington,
      Status: { Primary: 'OPEN', Extended: 'DISPATCH CONFIRMED' },
      CallDate: calledDaysAgo(3, 13, 30),
      Priority: 'P3 - 72 Hours',
      Trade: 'REFRIGERATION',
      Category: 'MAINTENANCE',
      ProblemCode: 'WALK-IN COOLER',
      ScheduledDate: '2026-01-07T14:00:00.000Z',
      Nte: 1250,
      CurrencyAlphabeticalCode: 'USD',
      Description: 'Quarterly walk-in cooler maintenance; check door gasket',
      Caller: 'Luis Ortega (kitchen manager)',
      CreatedBy: 'lortega',
    },
    {
      Id: DEMO_WORK_ORDER_IDS.newPlumbing,
      Number: '1000103',
      SubscriberId: DEMO_SUBSCRIBER_IDS.northwind,
      LocationId: DEMO_LOCATION_IDS.northwindDurham,
      Status: { Primary: 'OPEN', Extended: null },
      CallDate: calledDaysAgo(2, 8, 15),
      Priority: 'P1 - Emergency',
      Trade: 'PLUMBING',
      Category: 'REPAIR',
      ProblemCode: 'LEAK',
      Nte: 750,
      CurrencyAlphabeticalCode: 'USD',
      Description: 'Water leaking from ceiling above restroom',
      Caller: 'Priya Nair',
    },
  ],
};
