/**
 * ServiceChannel work order -> ServicePower mobile work order (seed 004), rule by rule, and the field
 * status actions that flow back.
 */
import { DEFAULT_FIELD_STATUS_MAP } from '../../common/config';
import { buildWorkOrderPatch } from '../../connectors/servicepower/patch';
import type { ServiceChannelWorkOrder } from '../../connectors/servicechannel/schemas';
import {
  fieldStatusActions,
  mapPriority,
  mapWorkOrderToMobile,
  notesToSend,
  type FieldStatusActionSettings,
  type ServiceChannelNoteInput,
  type MobileMappingSettings,
} from '../../mappings/work-order-to-mobile';

const fieldStatusMap = Object.fromEntries(
  Object.entries(DEFAULT_FIELD_STATUS_MAP).map(([k, v]) => [k, { checkIn: v.checkIn ?? false, checkOut: v.checkOut ?? false, status: v.status ? { primary: v.status.primary, extended: v.status.extended ?? null } : undefined, note: v.note }]),
) as Record<string, FieldStatusActionSettings>;

const settings: MobileMappingSettings = {
  workOrderNumberPrefix: 'SC',
  managedAccounts: [
    { subscriberId: 2014917243, accountNum: 'NW-1000' },
    { locationId: 300007, accountNum: 'HP-2000' },
  ],
  technicianByTrade: { HVAC: 'tech.alvarez' },
  dispatchedStatus: { primary: 'IN PROGRESS', extended: 'DISPATCHED' },
  fieldStatusMap,
};

const DISPATCH = '2026-01-06T09:00:00.000Z';

function wo(overrides: Partial<ServiceChannelWorkOrder> = {}): ServiceChannelWorkOrder {
  return {
    Id: 90000101,
    Number: '1000101',
    PurchaseNumber: 'NW-PO-7781',
    Subscriber: { Id: 2014917243, Name: 'Northwind' },
    Provider: { Id: 2000081234, Name: null },
    SubscriberId: 2014917243,
    ProviderId: 2000081234,
    LocationId: 301012,
    Currency: null,
    Location: {
      Id: 301012,
      SubscriberId: 2014917243,
      StoreId: '1012',
      Name: 'Northwind Store #1012',
      Address1: '4120 Glenwood Ave',
      Address2: null,
      City: 'Raleigh',
      State: 'NC',
      Zip: '27612',
      Country: 'US',
      Phone: '+1 919 555 0112',
      Email: null,
      Latitude: 35.8416,
      Longitude: -78.6801,
    },
    Status: { Primary: 'OPEN', Extended: null },
    CallDate: '2026-01-05T09:00:00.000Z',
    Priority: 'P2 - 24 Hours',
    Trade: 'HVAC',
    Category: 'REPAIR',
    ProblemCode: 'NO COOLING',
    ScheduledDate: '2026-01-07T14:00:00.000Z',
    ExpirationDate: null,
    Nte: 500,
    Description: 'Rooftop unit 3 not cooling',
    Caller: 'Dana Whitfield (store manager)',
    CreatedBy: 'dwhitfield',
    UpdatedDate: '2026-01-05T09:00:00.000Z',
    ...overrides,
  };
}

describe('mapWorkOrderToMobile', () => {
  it('maps every field of a dispatchable work order', () => {
    const m = mapWorkOrderToMobile(wo(), settings, DISPATCH);
    expect(m.problems).toEqual([]);
    expect(m.workOrderNum).toBe('SC1000101');
    expect(m.workOrder).toEqual({
      Account: { AccountNum: 'NW-1000' },
      Location: {
        Name: 'Northwind Store #1012',
        Address: { AddrLine1: '4120 Glenwood Ave', City: 'Raleigh', Region: 'NC', Zip: '27612', Country: 'US', Lat: 35.8416, Lon: -78.6801 },
        Contacts: [{ FirstName: 'Dana', LastName: 'Whitfield', IsPrimary: true, Phones: [{ PhoneNum: '+1 919 555 0112', PhoneType: 'Work' }] }],
      },
      Title: 'HVAC - NO COOLING',
      Description: 'Rooftop unit 3 not cooling',
      OrderType: '1005',
      OrderSubType: 'HVAC',
      Priority: '2',
      PONumber: 'NW-PO-7781',
      PurchaseOrder: { PONum: 'NW-PO-7781', Amount: 500 },
      PlannedStartDate: '2026-01-07T14:00:00.000Z',
      UserName: 'tech.alvarez',
      PrimaryUserName: 'tech.alvarez',
      DispatchUTC: DISPATCH,
      DispatchStatus: 3,
    });
  });

  it.each([
    ['managed by subscriber', { SubscriberId: 2014917243, LocationId: 301012 }, { AccountNum: 'NW-1000' }],
    ['managed by location', { SubscriberId: 2014917250, LocationId: 300007 }, { AccountNum: 'HP-2000' }],
  ])('account: %s -> only AccountNum', (_name, ids, account) => {
    expect(mapWorkOrderToMobile(wo(ids), settings, DISPATCH).workOrder.Account).toEqual(account);
  });

  it('an unmapped subscriber and location get an ad-hoc account with the location details', () => {
    const m = mapWorkOrderToMobile(wo({ SubscriberId: 7, LocationId: 301044 }), settings, DISPATCH);
    expect(m.accountKind).toBe('ad-hoc');
    expect(m.workOrder.Account).toEqual({
      Name: 'Northwind Store #1012',
      Addresses: [{ AddrLine1: '4120 Glenwood Ave', City: 'Raleigh', Region: 'NC', Zip: '27612', Country: 'US', Lat: 35.8416, Lon: -78.6801 }],
      Contacts: [{ FirstName: 'Dana', LastName: 'Whitfield', IsPrimary: true, Phones: [{ PhoneNum: '+1 919 555 0112', PhoneType: 'Work' }] }],
    });
  });

  it.each([
    ['technician, schedule and dispatch time -> 3 dispatched', { Trade: 'HVAC', ScheduledDate: '2026-01-07T14:00:00.000Z' }, 3, 'tech.alvarez'],
    ['technician, no schedule -> 2 assigned', { Trade: 'HVAC', ScheduledDate: null }, 2, 'tech.alvarez'],
    ['schedule, no technician -> 1 scheduled', { Trade: 'PLUMBING', ScheduledDate: '2026-01-07T14:00:00.000Z' }, 1, null],
    ['neither -> 0', { Trade: 'PLUMBING', ScheduledDate: null }, 0, null],
  ] as const)('DispatchStatus: %s', (_name, overrides, status, technician) => {
    const m = mapWorkOrderToMobile(wo(overrides), settings, DISPATCH);
    expect(m.dispatchStatus).toBe(status);
    expect(m.workOrder.DispatchStatus).toBe(status);
    expect(m.technician).toBe(technician);
    expect(m.workOrder.DispatchUTC).toBe(status === 3 ? DISPATCH : undefined);
  });

  it.each([
    ['P2 - 24 Hours', '2'],
    ['P1 - Emergency', '1'],
    ['3', '3'],
    ['Urgent', undefined],
    [null, undefined],
  ])('priority %s -> %s', (input, output) => {
    expect(mapPriority(input)).toBe(output);
  });

  it('a location without street or city is a problem, not a guess', () => {
    const base = wo();
    const m = mapWorkOrderToMobile(wo({ Location: { ...base.Location!, Address1: null, City: null } }), settings, DISPATCH);
    expect(m.problems).toEqual([expect.stringContaining('AddrLine1'), expect.stringContaining('City')]);
  });

  it('PlannedStartDate is UTC: ScheduledDate_DTO (with its offset) wins; a ScheduledDate with an offset is converted', () => {
    const dto = mapWorkOrderToMobile(wo({ ScheduledDate: '2026-01-07T09:00:00', ScheduledDate_DTO: '2026-01-07T09:00:00-05:00' } as Partial<ServiceChannelWorkOrder>), settings, DISPATCH);
    expect(dto.problems).toEqual([]);
    expect(dto.workOrder.PlannedStartDate).toBe('2026-01-07T14:00:00.000Z');
    expect(mapWorkOrderToMobile(wo({ ScheduledDate: '2026-01-07T15:00:00+01:00' }), settings, DISPATCH).workOrder.PlannedStartDate).toBe('2026-01-07T14:00:00.000Z');
  });

  it('a date without an offset is a problem naming the work order and the field, not a guess at its time zone', () => {
    const m = mapWorkOrderToMobile(wo({ ScheduledDate: '2026-01-07T09:00:00', ExpirationDate: '2026-01-09T17:00:00' }), settings, DISPATCH);
    expect(m.problems).toEqual([
      "work order 1000101: ScheduledDate '2026-01-07T09:00:00' has no UTC offset, so its UTC time (ServicePower needs UTC) is unknown",
      "work order 1000101: ExpirationDate '2026-01-09T17:00:00' has no UTC offset, so its UTC time (ServicePower needs UTC) is unknown",
    ]);
    expect(m.workOrder.PlannedStartDate).toBeUndefined();
  });

  it('ExpirationDate (the date the work is due by) -> PlannedEndDate, in UTC', () => {
    expect(mapWorkOrderToMobile(wo({ ExpirationDate: '2026-01-09T17:00:00-05:00' }), settings, DISPATCH).workOrder.PlannedEndDate).toBe('2026-01-09T22:00:00.000Z');
    expect(mapWorkOrderToMobile(wo({ ExpirationDate: null }), settings, DISPATCH).workOrder.PlannedEndDate).toBeUndefined();
  });

  it('a Description over 255 characters keeps its first 255 in Description and the rest in Notes; shortened later, only that note is removed', () => {
    const long = `${'A'.repeat(255)}${'B'.repeat(45)}`;
    const m = mapWorkOrderToMobile(wo({ Description: long }), settings, DISPATCH);
    expect(m.workOrder.Description).toBe('A'.repeat(255));
    expect(m.workOrder.Notes).toEqual([{ ID: 'SC-DESCRIPTION', Author: 'ServiceChannel', Text: `Description (continued): ${'B'.repeat(45)}`, ReadOnly: true }]);
    const short = mapWorkOrderToMobile(wo({ Description: 'Short now' }), settings, DISPATCH);
    expect(short.workOrder.Notes).toBeUndefined();
    // Never `_fields: ['Notes']`: that would also remove the client's notes copied in on their own.
    expect(buildWorkOrderPatch(m.workOrder as Record<string, unknown>, short.workOrder as Record<string, unknown>)).toEqual({ Description: 'Short now', Notes: [{ ID: 'SC-DESCRIPTION', Delete: true }] });
  });

  it('an NTE change is a PATCH of the amount alone; a schedule removed is a removal', () => {
    const before = mapWorkOrderToMobile(wo(), settings, DISPATCH).workOrder as Record<string, unknown>;
    const nte = mapWorkOrderToMobile(wo({ Nte: 900 }), settings, DISPATCH).workOrder as Record<string, unknown>;
    expect(buildWorkOrderPatch(before, nte)).toEqual({ PurchaseOrder: { Amount: 900 } });
    const moved = mapWorkOrderToMobile(wo({ ScheduledDate: '2026-01-08T10:00:00.000Z' }), settings, DISPATCH).workOrder as Record<string, unknown>;
    expect(buildWorkOrderPatch(before, moved)).toEqual({ PlannedStartDate: '2026-01-08T10:00:00.000Z' });
    const unscheduled = mapWorkOrderToMobile(wo({ ScheduledDate: null }), settings, DISPATCH).workOrder as Record<string, unknown>;
    expect(buildWorkOrderPatch(before, unscheduled)).toEqual({ DispatchStatus: 2, _fields: ['PlannedStartDate', 'DispatchUTC'] });
  });
});

describe('fieldStatusActions', () => {
  const values = { num: 'SC1000101', technician: 'tech.alvarez' };
  it.each([
    ['6 en route: a note', '6', false, [{ kind: 'note', note: 'Technician en route (mobile work order SC1000101).' }]],
    ['7 on site: check-in and a note', '7', false, [{ kind: 'checkIn' }, { kind: 'note', note: 'Technician on site (mobile work order SC1000101).' }]],
    [
      '4096 complete after a check-in: check-out, then status with the note',
      '4096',
      true,
      [{ kind: 'checkOut', resolution: 'Replaced capacitor' }, { kind: 'status', primary: 'COMPLETED', extended: 'PENDING CONFIRMATION', note: 'Work completed in the field (mobile work order SC1000101). Replaced capacitor' }],
    ],
    [
      '4096 without a check-in: one first',
      '4096',
      false,
      [{ kind: 'checkIn' }, { kind: 'checkOut', resolution: 'Replaced capacitor' }, { kind: 'status', primary: 'COMPLETED', extended: 'PENDING CONFIRMATION', note: 'Work completed in the field (mobile work order SC1000101). Replaced capacitor' }],
    ],
    ['1 new: nothing', '1', false, []],
  ])('%s', (_name, status, checkedIn, expected) => {
    expect(fieldStatusActions(status, fieldStatusMap, { ...values, note: status === '4096' ? 'Replaced capacitor' : null, checkedIn })).toEqual(expected);
  });
});

describe('notesToSend: the client notes a mobile work order gets', () => {
  const note = (id: number, over: Partial<ServiceChannelNoteInput> = {}): ServiceChannelNoteInput => ({
    id,
    text: `note ${id}`,
    createdBy: 'Store manager',
    dateCreated: '2026-11-20T10:00:00Z',
    fromProvider: false,
    ...over,
  });

  test.each([
    ['a new client note is sent', [note(1)], [], [1]],
    ['a note already sent is not sent again', [note(1), note(2)], [1], [2]],
    ['our own notes (dispatch note, field notes) are never echoed back', [note(1, { fromProvider: true }), note(2)], [], [2]],
    ['a blank note is left out', [note(1, { text: '   ' }), note(2)], [], [2]],
    ['nothing new: nothing to send', [note(1)], [1], []],
  ] as const)('%s', (_what, notes, sent, expected) => {
    expect(notesToSend(notes, sent).ids).toEqual(expected);
  });

  test('each entry is keyed by the ServiceChannel note id (a repeated PATCH merges, never duplicates), read-only, with its author and date', () => {
    const { entries } = notesToSend([note(7), note(8, { createdBy: null, dateCreated: null })], []);
    expect(entries).toEqual([
      { ID: 'SC-NOTE-7', Author: 'Store manager', Date: '2026-11-20T10:00:00Z', Text: 'note 7', ReadOnly: true },
      { ID: 'SC-NOTE-8', Author: 'ServiceChannel', Text: 'note 8', ReadOnly: true },
    ]);
  });
});
