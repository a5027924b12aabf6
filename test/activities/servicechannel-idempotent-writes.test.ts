/**
 * The ServiceChannel write activities read before they write (issue 15, High 4): each attempt of a
 * retried activity reads ServiceChannel again, so an attempt whose answer was lost (the simulator's
 * "apply, then lose the answer" fault: the write is stored, the connection dropped or answered 504)
 * is not repeated by the next attempt: no second check-in or note, no 400 for a second check-out, no
 * status written over a cancellation. Both simulators, real clients; a retry is the activity called
 * again, as Temporal's next attempt calls it.
 */
import { TransientError } from '../../common/errors';
import { createServiceChannelActivities } from '../../activities/work-order-to-mobile';
import { DEMO_MOBILE_SYNC } from '../../scripts/simulator-adapter-config';
import { ServiceChannelClient, resetServiceChannelTokenCache } from '../../connectors/servicechannel/client';
import { DEMO_SERVICECHANNEL_CLIENT, DEMO_SERVICECHANNEL_USER, DEMO_LOCATION_IDS, DEMO_SUBSCRIBER_IDS, demoServiceChannelData } from '../../connectors/servicechannel/demo-data';
import { isMarkedNote, markNote, noteKeyOf } from '../../connectors/servicechannel/schemas';
import { startServiceChannelSimulator, type ServiceChannelSimulator } from '../../connectors/servicechannel/simulator';
import { ServicePowerClient, resetServicePowerTokenCache } from '../../connectors/servicepower/client';
import { DEMO_SERVICEPOWER_USER, demoServicePowerData } from '../../connectors/servicepower/demo-data';
import { startServicePowerSimulator, type ServicePowerSimulator } from '../../connectors/servicepower/simulator';

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('note keys', () => {
  it('marks a note [FieldBridge] without a key and [FieldBridge <key>] with one; both are FieldBridge\'s, only the second has a key', () => {
    expect(markNote('Dispatched')).toBe('Dispatched [FieldBridge]');
    expect(markNote('Dispatched', 'dispatch:1')).toBe('Dispatched [FieldBridge dispatch:1]');
    expect(markNote('Dispatched [FieldBridge dispatch:1]', 'dispatch:1')).toBe('Dispatched [FieldBridge dispatch:1]');
    expect(isMarkedNote('Dispatched [FieldBridge]')).toBe(true);
    expect(isMarkedNote('Dispatched [FieldBridge dispatch:1]')).toBe(true);
    expect(isMarkedNote('Dispatched [FieldBridge with spaces]')).toBe(false);
    expect(noteKeyOf('Dispatched [FieldBridge dispatch:1]  ')).toBe('dispatch:1');
    expect(noteKeyOf('Dispatched [FieldBridge]')).toBeNull();
    expect(noteKeyOf('a subscriber note')).toBeNull();
    expect(() => markNote('x', 'has space')).toThrow('note key');
  });
});

describe('ServiceChannel writes read before writing (a lost answer is not repeated)', () => {
  let scSim: ServiceChannelSimulator;
  let spSim: ServicePowerSimulator;
  let sc: ServiceChannelClient;
  let sp: ServicePowerClient;
  let nextId = 62_000_000;

  beforeEach(async () => {
    resetServiceChannelTokenCache();
    resetServicePowerTokenCache();
    [scSim, spSim] = await Promise.all([
      startServiceChannelSimulator({ clients: [DEMO_SERVICECHANNEL_CLIENT], users: [DEMO_SERVICECHANNEL_USER], seed: demoServiceChannelData, logger: false }),
      startServicePowerSimulator({ users: [DEMO_SERVICEPOWER_USER], seed: demoServicePowerData, logger: false }),
    ]);
    sc = new ServiceChannelClient({ apiBaseUrl: scSim.url, tokenUrl: scSim.tokenUrl, ...DEMO_SERVICECHANNEL_CLIENT, ...DEMO_SERVICECHANNEL_USER, timeoutMs: 5000 });
    sp = new ServicePowerClient({ baseUrl: spSim.url, ...DEMO_SERVICEPOWER_USER, timeoutMs: 5000 });
  });
  afterEach(async () => {
    await Promise.all([sc.close(), sp.close()]);
    await Promise.all([scSim.close(), spSim.close()]);
  });

  const activities = () => createServiceChannelActivities({ servicechannel: sc, servicepower: sp, mobileSync: DEMO_MOBILE_SYNC });

  /** A ServiceChannel work order and its ServicePower work order `num` (default SC<Number>), the visit started (and ended) at fixed times. */
  async function visited(opts: { num?: string; ended?: boolean } = {}) {
    const id = nextId++;
    scSim.state.createWorkOrder(
      { Id: id, Number: String(id), SubscriberId: DEMO_SUBSCRIBER_IDS.northwind, LocationId: DEMO_LOCATION_IDS.northwindRaleigh, Trade: 'HVAC', Description: 'Rooftop unit down' },
      { notify: false },
    );
    const num = opts.num ?? `SC${id}`;
    await sp.putWorkOrder(num, {
      Account: { AccountNum: 'NW-1000' },
      Location: { Name: 'Northwind Store #1012', Address: { AddrLine1: '4120 Glenwood Ave', City: 'Raleigh', Lat: 35.8416, Lon: -78.6801 } },
      UserName: 'tech.alvarez',
      PlannedStartDate: '2026-02-01T14:00:00Z',
      DispatchUTC: '2026-01-31T09:00:00Z',
      DispatchStatus: 3,
    });
    spSim.state.setOrderStatus(num, { OrderStatus: 7, at: '2026-02-01T14:07:00Z' });
    if (opts.ended) spSim.state.setOrderStatus(num, { OrderStatus: 4096, at: '2026-02-01T15:42:00Z', note: 'Replaced capacitor' });
    return { id, num };
  }

  const loseNextAnswer = (route: string, answer: 'drop' | '504' = 'drop') => scSim.faults.set({ applyThenLoseAnswer: answer, routes: [route], count: 1 });
  const fieldBridgeNotes = (id: number) => scSim.state.adminWorkOrder(id)!.Notes.filter((n) => isMarkedNote(n.NoteData as string));

  it('check-in whose answer was lost (connection dropped): the next attempt finds it in the check-in activity and writes no second one', async () => {
    const { id } = await visited();
    const a = activities();
    loseNextAnswer('checkIn');
    expect(await failureOf(a.checkInServiceChannel({ workOrderId: id }))).toBeInstanceOf(TransientError);
    expect(scSim.state.adminWorkOrder(id)!.CheckIns).toHaveLength(1);

    await expect(a.checkInServiceChannel({ workOrderId: id })).resolves.toEqual({ written: false });
    expect(scSim.state.adminWorkOrder(id)!.CheckIns).toHaveLength(1);
    expect(scSim.state.adminWorkOrder(id)!.CheckIns[0]).toMatchObject({ CheckInTime: '2026-02-01T14:07:00.000Z', CheckOutTime: null });
  });

  it('check-out whose answer was lost (504): the next attempt finds the check-out and does not fail with "User has not checked in"', async () => {
    const { id } = await visited({ ended: true });
    const a = activities();
    await expect(a.checkInServiceChannel({ workOrderId: id })).resolves.toEqual({ written: true });
    loseNextAnswer('checkOut', '504');
    expect(await failureOf(a.checkOutServiceChannel({ workOrderId: id, resolution: 'Replaced capacitor' }))).toBeInstanceOf(TransientError);

    await expect(a.checkOutServiceChannel({ workOrderId: id, resolution: 'Replaced capacitor' })).resolves.toEqual({ written: false });
    expect(scSim.state.adminWorkOrder(id)!.CheckIns).toEqual([expect.objectContaining({ CheckInTime: '2026-02-01T14:07:00.000Z', CheckOutTime: '2026-02-01T15:42:00.000Z' })]);
  });

  it('an earlier visit (another time) does not count: the visit is checked in and out at its own times', async () => {
    const { id } = await visited({ ended: true });
    scSim.state.checkIn(id, { CheckInTime: '2026-01-30T10:00:00Z', Latitude: 35.8416, Longitude: -78.6801 });
    scSim.state.checkOut(id, { CheckOutTime: '2026-01-30T11:00:00Z', Latitude: 35.8416, Longitude: -78.6801 });
    const a = activities();
    await expect(a.checkInServiceChannel({ workOrderId: id })).resolves.toEqual({ written: true });
    await expect(a.checkOutServiceChannel({ workOrderId: id })).resolves.toEqual({ written: true });
    expect(scSim.state.adminWorkOrder(id)!.CheckIns.map((c) => [c.CheckInTime, c.CheckOutTime])).toEqual([
      ['2026-01-30T10:00:00.000Z', '2026-01-30T11:00:00.000Z'],
      ['2026-02-01T14:07:00.000Z', '2026-02-01T15:42:00.000Z'],
    ]);
  });

  it('workOrderNum, when given, is the ServicePower work order read (not one computed from the ServiceChannel Number)', async () => {
    const { id } = await visited({ num: 'SCID-by-id-1' });
    await expect(activities().checkInServiceChannel({ workOrderId: id, workOrderNum: 'SCID-by-id-1' })).resolves.toEqual({ written: true });
    expect(scSim.state.adminWorkOrder(id)!.CheckIns).toHaveLength(1);
  });

  it('status with a keyed note whose answer was lost: the next attempt reads the status and the note there, writes nothing', async () => {
    const { id } = await visited();
    const a = activities();
    loseNextAnswer('updateStatus');
    const input = { workOrderId: id, primary: 'IN PROGRESS', extended: 'DISPATCHED', note: 'Dispatched to tech.alvarez', key: `dispatch:${id}` };
    expect(await failureOf(a.setServiceChannelStatus(input))).toBeInstanceOf(TransientError);

    await expect(a.setServiceChannelStatus(input)).resolves.toEqual({ written: false, current: { primary: 'IN PROGRESS', extended: 'DISPATCHED' } });
    expect(fieldBridgeNotes(id).map((n) => n.NoteData)).toEqual([`Dispatched to tech.alvarez [FieldBridge dispatch:${id}]`]);
  });

  it('status already set (by someone else) with a keyed note ServiceChannel does not hold: the note alone is written, no PUT', async () => {
    const { id } = await visited();
    scSim.state.patchWorkOrder(id, { Status: { Primary: 'IN PROGRESS', Extended: 'DISPATCHED' } }, { notify: false });
    await expect(activities().setServiceChannelStatus({ workOrderId: id, primary: 'IN PROGRESS', extended: 'DISPATCHED', note: 'Dispatched', key: 'dispatch-1' })).resolves.toMatchObject({ written: true });
    expect(fieldBridgeNotes(id).map((n) => n.NoteData)).toEqual(['Dispatched [FieldBridge dispatch-1]']);
    expect(scSim.state.requests.filter((r) => r.route === 'updateStatus')).toHaveLength(0);
  });

  it('onlyForward: a cancelled (or completed, invoiced) work order is not moved back, and no note is added', async () => {
    const { id } = await visited();
    scSim.state.patchWorkOrder(id, { Status: { Primary: 'CANCELLED' } }, { notify: false });
    await expect(activities().setServiceChannelStatus({ workOrderId: id, primary: 'IN PROGRESS', extended: 'DISPATCHED', note: 'Dispatched', key: 'dispatch-1', onlyForward: true })).resolves.toEqual({
      written: false,
      current: { primary: 'CANCELLED', extended: null },
    });
    expect(scSim.state.adminWorkOrder(id)!.Status).toMatchObject({ Primary: 'CANCELLED' });
    expect(fieldBridgeNotes(id)).toEqual([]);
  });

  it('old input (no key, no onlyForward): a different status is written with its [FieldBridge] note as before', async () => {
    const { id } = await visited();
    await expect(activities().setServiceChannelStatus({ workOrderId: id, primary: 'IN PROGRESS', extended: 'DISPATCHED', note: 'Dispatched' })).resolves.toMatchObject({ written: true });
    expect(scSim.state.adminWorkOrder(id)!.Status).toMatchObject({ Primary: 'IN PROGRESS', Extended: 'DISPATCHED' });
    expect(fieldBridgeNotes(id).map((n) => n.NoteData)).toEqual(['Dispatched [FieldBridge]']);
  });

  it('keyed note whose answer was lost: the next attempt lists the notes (paged), finds the key, writes no second note', async () => {
    const { id } = await visited();
    for (let i = 0; i < 120; i += 1) scSim.state.addSubscriberNote(id, { Note: `subscriber note ${i}` }, { notify: false });
    const a = activities();
    loseNextAnswer('addNote');
    expect(await failureOf(a.addServiceChannelNote({ workOrderId: id, note: 'Technician: replaced capacitor', key: 'sp-note:77' }))).toBeInstanceOf(TransientError);
    await expect(a.addServiceChannelNote({ workOrderId: id, note: 'Technician: replaced capacitor', key: 'sp-note:77' })).resolves.toEqual({ written: false });
    expect(fieldBridgeNotes(id).map((n) => n.NoteData)).toEqual(['Technician: replaced capacitor [FieldBridge sp-note:77]']);
    // Another key is another note.
    await expect(a.addServiceChannelNote({ workOrderId: id, note: 'Technician: replaced capacitor', key: 'sp-note:78' })).resolves.toEqual({ written: true });
    expect(fieldBridgeNotes(id)).toHaveLength(2);
  });

  it('a key outside [A-Za-z0-9._:-]{1,40} is refused before anything is written, naming the work order and the field', async () => {
    const { id } = await visited();
    await expect(activities().addServiceChannelNote({ workOrderId: id, note: 'x', key: 'not a key' })).rejects.toMatchObject({ type: 'InvalidRequest', details: { workOrderId: id, field: 'key' } });
    expect(fieldBridgeNotes(id)).toEqual([]);
  });
});
