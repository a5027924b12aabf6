/**
 * checkInServiceChannel / checkOutServiceChannel (issue 14, point 7): ServiceChannel hears the visit as
 * ServicePower recorded it (ActualStartDate / ActualEndDate and the site's Location.Address.Lat/Lon),
 * not the time FieldBridge relays it; a missing position is an error naming the work order and field
 * unless the subscriber granted the XML check-in permission. Both simulators, real clients.
 */
import { PermanentErrorTypes } from '../../common/errors';
import { createServiceChannelActivities, type MobileSyncSettings } from '../../activities/work-order-to-mobile';
import { DEMO_MOBILE_SYNC } from '../../scripts/simulator-adapter-config';
import { ServiceChannelClient, resetServiceChannelTokenCache, type CheckInInput, type CheckOutInput } from '../../connectors/servicechannel/client';
import { DEMO_SERVICECHANNEL_CLIENT, DEMO_SERVICECHANNEL_USER, DEMO_LOCATION_IDS, DEMO_SUBSCRIBER_IDS, demoServiceChannelData } from '../../connectors/servicechannel/demo-data';
import { startServiceChannelSimulator, type ServiceChannelSimulator } from '../../connectors/servicechannel/simulator';
import { ServicePowerClient, resetServicePowerTokenCache } from '../../connectors/servicepower/client';
import { DEMO_SERVICEPOWER_USER, demoServicePowerData } from '../../connectors/servicepower/demo-data';
import { startServicePowerSimulator, type ServicePowerSimulator } from '../../connectors/servicepower/simulator';

/** The real client, keeping what each check-in/out was asked to send. */
class RecordingServiceChannelClient extends ServiceChannelClient {
  readonly checkIns: Array<{ id: number; input: CheckInInput }> = [];
  readonly checkOuts: Array<{ id: number; input: CheckOutInput }> = [];
  override async checkIn(id: number, input: CheckInInput = {}): Promise<void> {
    this.checkIns.push({ id, input });
    return super.checkIn(id, input);
  }
  override async checkOut(id: number, input: CheckOutInput = {}): Promise<void> {
    this.checkOuts.push({ id, input });
    return super.checkOut(id, input);
  }
}

describe('check-in / check-out with the visit ServicePower recorded', () => {
  let scSim: ServiceChannelSimulator;
  let spSim: ServicePowerSimulator;
  let sc: RecordingServiceChannelClient;
  let sp: ServicePowerClient;
  let nextId = 61_000_000;

  beforeEach(async () => {
    resetServiceChannelTokenCache();
    resetServicePowerTokenCache();
    [scSim, spSim] = await Promise.all([
      startServiceChannelSimulator({ clients: [DEMO_SERVICECHANNEL_CLIENT], users: [DEMO_SERVICECHANNEL_USER], seed: demoServiceChannelData, logger: false }),
      startServicePowerSimulator({ users: [DEMO_SERVICEPOWER_USER], seed: demoServicePowerData, logger: false }),
    ]);
    sc = new RecordingServiceChannelClient({ apiBaseUrl: scSim.url, tokenUrl: scSim.tokenUrl, ...DEMO_SERVICECHANNEL_CLIENT, ...DEMO_SERVICECHANNEL_USER, timeoutMs: 5000 });
    sp = new ServicePowerClient({ baseUrl: spSim.url, ...DEMO_SERVICEPOWER_USER, timeoutMs: 5000 });
  });
  afterEach(async () => {
    await Promise.all([sc.close(), sp.close()]);
    await Promise.all([scSim.close(), spSim.close()]);
  });

  const activities = (mobileSync: Partial<MobileSyncSettings> = {}) => createServiceChannelActivities({ servicechannel: sc, servicepower: sp, mobileSync: { ...DEMO_MOBILE_SYNC, ...mobileSync } });

  /** A ServiceChannel work order and its dispatched ServicePower work order (SC<Number>), its site at `lat`/`lon` when given. */
  async function dispatchedPair(opts: { subscriberId?: number; locationId?: number; lat?: number | string; lon?: number | string } = {}) {
    const id = nextId++;
    scSim.state.createWorkOrder(
      { Id: id, Number: String(id), SubscriberId: opts.subscriberId ?? DEMO_SUBSCRIBER_IDS.northwind, LocationId: opts.locationId ?? DEMO_LOCATION_IDS.northwindRaleigh, Trade: 'HVAC', Description: 'Rooftop unit down' },
      { notify: false },
    );
    const num = `SC${id}`;
    const address = { AddrLine1: '4120 Glenwood Ave', City: 'Raleigh', ...(opts.lat !== undefined ? { Lat: opts.lat } : {}), ...(opts.lon !== undefined ? { Lon: opts.lon } : {}) };
    await sp.putWorkOrder(num, {
      Account: { AccountNum: 'NW-1000' },
      Location: { Name: 'Northwind Store #1012', Address: address },
      UserName: 'tech.alvarez',
      PlannedStartDate: '2026-02-01T14:00:00Z',
      DispatchUTC: '2026-01-31T09:00:00Z',
      DispatchStatus: 3,
    });
    return { id, num };
  }

  it('check-in sends ActualStartDate and the site coordinates; check-out ActualEndDate: the visit\'s real times, not the relay time', async () => {
    const { id, num } = await dispatchedPair({ lat: 35.8416, lon: -78.6801 });
    spSim.state.setOrderStatus(num, { OrderStatus: 7, at: '2026-02-01T14:07:00Z' });
    spSim.state.setOrderStatus(num, { OrderStatus: 4096, at: '2026-02-01T15:42:00Z', note: 'Replaced capacitor' });

    const a = activities();
    await a.checkInServiceChannel({ workOrderId: id });
    await a.checkOutServiceChannel({ workOrderId: id, resolution: 'Replaced capacitor' });

    expect(sc.checkIns).toEqual([{ id, input: { time: '2026-02-01T14:07:00.000Z', latitude: 35.8416, longitude: -78.6801 } }]);
    expect(sc.checkOuts).toEqual([{ id, input: { time: '2026-02-01T15:42:00.000Z', latitude: 35.8416, longitude: -78.6801, resolution: 'Replaced capacitor' } }]);
    const visit = scSim.state.adminWorkOrder(id)!.CheckIns[0]!;
    expect(visit).toMatchObject({ CheckInTime: '2026-02-01T14:07:00.000Z', CheckOutTime: '2026-02-01T15:42:00.000Z', TimeGiven: true });
  });

  it('reads coordinates ServicePower sends as strings (the seed\'s sample carries "Lat": "")', async () => {
    const { id, num } = await dispatchedPair({ lat: '35.8416', lon: '-78.6801' });
    spSim.state.setOrderStatus(num, { OrderStatus: 7, at: '2026-02-01T14:07:00Z' });
    await activities().checkInServiceChannel({ workOrderId: id });
    expect(sc.checkIns[0]!.input).toMatchObject({ latitude: 35.8416, longitude: -78.6801 });
  });

  it('no coordinates on the ServicePower work order: an error naming the work order and the field, nothing sent to ServiceChannel', async () => {
    const { id, num } = await dispatchedPair({ lat: '', lon: '' });
    spSim.state.setOrderStatus(num, { OrderStatus: 7 });
    const err = await activities().checkInServiceChannel({ workOrderId: id }).then(() => null, (e: unknown) => e as { type: string; message: string; details: unknown });
    expect(err).toMatchObject({ type: PermanentErrorTypes.MissingRequiredFields, details: { workOrderId: id, workOrderNum: num, field: 'Location.Address.Lat/Lon', subscriberId: DEMO_SUBSCRIBER_IDS.northwind } });
    expect(err!.message).toContain(`ServiceChannel work order ${id} (ServicePower work order ${num})`);
    expect(err!.message).toContain('MOBILE_XML_CHECKIN_SUBSCRIBERS');
    expect(sc.checkIns).toEqual([]);
    expect(scSim.state.adminWorkOrder(id)!.CheckIns).toEqual([]);
  });

  it('no coordinates, but the subscriber granted the XML check-in permission: the check-in goes without Latitude/Longitude', async () => {
    const { id, num } = await dispatchedPair({ subscriberId: DEMO_SUBSCRIBER_IDS.harborPoint, locationId: DEMO_LOCATION_IDS.harborPointWilmington });
    spSim.state.setOrderStatus(num, { OrderStatus: 7, at: '2026-02-01T14:07:00Z' });
    await activities({ xmlCheckInSubscribers: [DEMO_SUBSCRIBER_IDS.harborPoint] }).checkInServiceChannel({ workOrderId: id });
    expect(sc.checkIns).toEqual([{ id, input: { time: '2026-02-01T14:07:00.000Z' } }]);
  });

  it('no ActualStartDate yet in ServicePower: an error naming the work order and ActualStartDate', async () => {
    const { id, num } = await dispatchedPair({ lat: 35.8416, lon: -78.6801 });
    const err = await activities().checkInServiceChannel({ workOrderId: id }).then(() => null, (e: unknown) => e as { type: string; message: string; details: unknown });
    expect(err).toMatchObject({ type: PermanentErrorTypes.MissingRequiredFields, details: { workOrderNum: num, field: 'ActualStartDate' } });
    expect(sc.checkIns).toEqual([]);
  });
});
