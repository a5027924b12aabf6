/**
 * ServiceChannelClient against the ServiceChannel simulator: reads, writes, OAuth (one login per
 * process, refresh, refused refresh, the login limit), throttling with Retry-After, permission
 * refusals named, error classification, the changed-since list, and no secrets in logs.
 */
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { PermanentError, PermanentErrorTypes, TransientError, toApplicationFailure } from '../../common/errors';
import { ServiceChannelClient, resetServiceChannelTokenCache, type ServiceChannelClientConfig } from '../../connectors/servicechannel/client';
import {
  DEMO_LOCATION_IDS,
  DEMO_SERVICECHANNEL_CLIENT as CLIENT,
  DEMO_SERVICECHANNEL_USER as USER,
  DEMO_SUBSCRIBER_IDS,
  DEMO_WORK_ORDER_IDS,
  demoServiceChannelData,
} from '../../connectors/servicechannel/demo-data';
import { SERVICECHANNEL_PERMISSIONS, type ServiceChannelPermission } from '../../connectors/servicechannel/schemas';
import { createServiceChannelActivities } from '../../activities/work-order-to-mobile';
import { DEMO_MOBILE_SYNC } from '../../scripts/simulator-adapter-config';
import {
  type ServiceChannelSimulator,
  type ServiceChannelSimulatorOptions,
  startServiceChannelSimulator,
} from '../../connectors/servicechannel/simulator';

const NORTHWIND = DEMO_SUBSCRIBER_IDS.northwind;
const HARBOR = DEMO_SUBSCRIBER_IDS.harborPoint;
const WO_NEW = DEMO_WORK_ORDER_IDS.newHvac;
const WO_HARBOR = DEMO_WORK_ORDER_IDS.scheduledWithNte;

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('ServiceChannelClient', () => {
  let sim: ServiceChannelSimulator;
  let clients: ServiceChannelClient[];
  let logged: string;

  const startSim = async (options: Partial<ServiceChannelSimulatorOptions> = {}) => {
    // `whole`: the work order carries its location (one request per read); tests of the reference's sparse location say so.
    sim = await startServiceChannelSimulator({ clients: [CLIENT], users: [USER], seed: demoServiceChannelData, workOrderLocation: 'whole', ...options });
  };
  const newClient = (overrides: Partial<ServiceChannelClientConfig> = {}) => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString('utf8');
        done();
      },
    });
    const client = new ServiceChannelClient(
      { apiBaseUrl: sim.url, tokenUrl: sim.tokenUrl, ...CLIENT, ...USER, timeoutMs: 5000, ...overrides },
      pino({ level: 'debug' }, sink),
    );
    clients.push(client);
    return client;
  };

  beforeEach(() => {
    resetServiceChannelTokenCache();
    clients = [];
    logged = '';
  });

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await sim.close();
  });

  describe('work orders', () => {
    beforeEach(() => startSim());

    it('reads a work order with its location, status, schedule and NTE', async () => {
      // The reference's answer: Subscriber{}/Provider{} objects, LocationId 0 and a Location without an address.
      await sim.close();
      await startSim({ workOrderLocation: 'reference' });
      const wire = sim.state.workOrder(WO_HARBOR)!;
      expect(wire).toMatchObject({ Subscriber: { Id: HARBOR }, Provider: { Id: 2000081234 }, LocationId: 0 });
      expect(wire).not.toHaveProperty('SubscriberId');
      expect(wire.Location).not.toHaveProperty('Address1');
      const wo = await newClient().getWorkOrder(WO_HARBOR);
      // The address came from GET /locations/{id}.
      expect(sim.state.requests.map((r) => r.route)).toEqual(['getWorkOrder', 'getLocation']);
      expect(wo).toMatchObject({
        Id: WO_HARBOR,
        Number: '1000102',
        PurchaseNumber: 'PO-HP-5521',
        SubscriberId: HARBOR,
        ProviderId: 2000081234,
        LocationId: DEMO_LOCATION_IDS.harborPointWilmington,
        Location: { Id: DEMO_LOCATION_IDS.harborPointWilmington, Name: 'Harbor Point Grill #7', Address1: '2 Harbor Point Blvd', City: 'Wilmington', State: 'NC', Zip: '28401' },
        Status: { Primary: 'OPEN', Extended: 'DISPATCH CONFIRMED' },
        ScheduledDate: '2026-01-07T14:00:00.000Z',
        Nte: 1250,
        Currency: { AlphabeticalCode: 'USD' },
        Trade: 'REFRIGERATION',
      });
    });

    it('updates the status with a note, adds notes (with recipients), checks in and out, moves the schedule and the NTE', async () => {
      const client = newClient();
      await client.updateStatus(WO_NEW, { primary: 'IN PROGRESS', extended: 'DISPATCH CONFIRMED', note: 'Dispatched as mobile work order MWO-1' });
      await client.addNote(WO_NEW, { note: 'Technician assigned', mailedTo: ['store1012@northwind.example'] });
      await client.checkIn(WO_NEW, { latitude: 35.84, longitude: -78.68, time: '2026-01-05T10:00:00Z', techsCount: 2 });
      await client.checkOut(WO_NEW, { latitude: 35.84, longitude: -78.68, time: '2026-01-05T11:30:00Z', resolution: 'Replaced contactor', primaryStatus: 'NoStatusChange' });
      await client.updateScheduledDate(WO_NEW, { scheduledDate: '2026-01-06T09:00:00Z' });
      await client.updateNte(WO_NEW, { nte: 800 });
      const stored = sim.state.adminWorkOrder(WO_NEW)!;
      expect(stored.Status).toEqual({ Primary: 'IN PROGRESS', Extended: 'DISPATCH CONFIRMED' });
      // FieldBridge marks every note it writes, so that it knows its own in the notes list.
      expect(stored.Notes.map((n) => [n.NoteData, n.MailedTo])).toEqual([
        ['Dispatched as mobile work order MWO-1 [FieldBridge]', null],
        ['Technician assigned [FieldBridge]', 'store1012@northwind.example'],
      ]);
      expect(stored.CheckIns).toEqual([
        expect.objectContaining({ CheckInTime: '2026-01-05T10:00:00.000Z', CheckOutTime: '2026-01-05T11:30:00.000Z', TechsCount: 2, Resolution: 'Replaced contactor', TimeGiven: true, Latitude: 35.84, Longitude: -78.68, PrimaryStatus: 'NoStatusChange' }),
      ]);
      expect(stored.ScheduledDate).toBe('2026-01-06T09:00:00.000Z');
      expect(stored.Nte).toBe(800);
    });

    it('names the work order ServiceChannel does not have (SourceRecordNotFound)', async () => {
      const err = await failureOf(newClient().getWorkOrder(12345));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err).toMatchObject({ type: PermanentErrorTypes.SourceRecordNotFound, details: { status: 404, workOrderId: 12345 } });
      expect((err as Error).message).toContain('work order 12345');
    });

    it('a 404 that is not ServiceChannel\'s answer (a gateway\'s HTML page, a wrong base URL) is a TransientError naming the URL, logged as a warning; a 404 or 400/502 with ServiceChannel\'s error body is SourceRecordNotFound', async () => {
      const client = newClient();
      sim.faults.set({ gateway404: true, routes: ['getWorkOrder'], count: 1 });
      const gateway = await failureOf(client.getWorkOrder(WO_NEW));
      expect(gateway).toBeInstanceOf(TransientError);
      expect((gateway as Error).message).toContain(`${sim.url}/workorders/${WO_NEW}`);
      expect((gateway as Error).message).toContain("not ServiceChannel's answer");
      expect(logged).toMatch(/"level":40.*not taken as \\"not found\\"/);
      // The same work order read again (Temporal's next attempt) is there.
      await expect(client.getWorkOrder(WO_NEW)).resolves.toMatchObject({ Id: WO_NEW });

      const wrongBase = newClient({ apiBaseUrl: `${sim.rootUrl}/v2` });
      const wrong = await failureOf(wrongBase.getWorkOrder(WO_NEW));
      expect(wrong).toBeInstanceOf(TransientError);
      expect((wrong as Error).message).toContain(`${sim.rootUrl}/v2/workorders/${WO_NEW}`);

      // ServiceChannel's own answers: 404 with its ErrorResponse (GET), 400 with code 502 (a write).
      expect(await failureOf(client.getWorkOrder(12345))).toMatchObject({ type: PermanentErrorTypes.SourceRecordNotFound, details: { status: 404, errorCodes: [502] } });
      expect(await failureOf(client.addNote(12345, { note: 'x' }))).toMatchObject({ type: PermanentErrorTypes.SourceRecordNotFound, details: { status: 400, errorCodes: [502] } });
    });

    it('lists the notes, oldest first, marking the ones the provider wrote (fromProvider); a missing work order is SourceRecordNotFound', async () => {
      const client = newClient();
      await client.updateStatus(WO_NEW, { primary: 'IN PROGRESS', extended: 'DISPATCHED', note: 'Dispatched as SC1' });
      sim.state.addSubscriberNote(WO_NEW, { Note: 'Use the back door', CreatedBy: 'Dana Whitfield' }, { notify: false });
      const notes = await client.listNotes(WO_NEW);
      expect(notes.map((n) => [n.NoteData, n.CreatedBy, n.fromProvider])).toEqual([
        ['Dispatched as SC1 [FieldBridge]', 'provider', true],
        ['Use the back door', 'Dana Whitfield', false],
      ]);
      expect(notes[1]!.Id).toEqual(expect.any(Number));
      expect(notes[1]!.DateCreated).toEqual(expect.any(String));
      const err = await failureOf(client.listNotes(12345));
      // The reference: 400 with code 502 on the work order's sub-routes.
      expect(err).toMatchObject({ type: PermanentErrorTypes.SourceRecordNotFound, details: { status: 400, workOrderId: 12345 } });
      expect((err as Error).message).toContain('work order 12345');
    });

    it('reads every page of the notes list (10 per page by default, newest first) and never takes its own notes, unflagged, for the client\'s', async () => {
      const client = newClient();
      for (let i = 1; i <= 12; i += 1) sim.state.addSubscriberNote(WO_NEW, { Note: `Client note ${i}`, CreatedBy: 'Dana Whitfield' }, { notify: false });
      for (let i = 1; i <= 95; i += 1) await client.addNote(WO_NEW, { note: `FieldBridge note ${i}` });
      sim.state.addSubscriberNote(WO_NEW, { Note: 'Last client note', CreatedBy: 'Dana Whitfield' }, { notify: false });
      // The wire: {Notes: [...]}, newest first, 10 by default, no CreatedByProvider.
      const firstPage = sim.state.notesFor(WO_NEW) as { Notes: Array<Record<string, unknown>> };
      expect(firstPage.Notes).toHaveLength(10);
      expect(firstPage.Notes[0]).toMatchObject({ NoteData: 'Last client note' });
      expect(firstPage.Notes.some((n) => 'CreatedByProvider' in n)).toBe(false);
      const notes = await client.listNotes(WO_NEW);
      expect(notes).toHaveLength(108);
      const fromClient = notes.filter((n) => !n.fromProvider).map((n) => n.NoteData);
      expect(fromClient).toEqual([...Array.from({ length: 12 }, (_, i) => `Client note ${i + 1}`), 'Last client note']);
    });

    it("passes ServiceChannel's message on a 400 (InvalidRequest)", async () => {
      const err = await failureOf(newClient().updateStatus(WO_NEW, { primary: 'INVOICED' }));
      expect(err).toMatchObject({ type: PermanentErrorTypes.InvalidRequest, details: { status: 400 } });
      expect((err as Error).message).toContain('Status "INVOICED" cannot be set by a provider');
      expect(sim.state.workOrder(WO_NEW)!.Status.Primary).toBe('OPEN');
    });

    it('refuses a check-out without a check-in with the reason', async () => {
      const err = await failureOf(newClient().checkOut(WO_NEW, { latitude: 35.84, longitude: -78.68 }));
      expect(err).toMatchObject({ type: PermanentErrorTypes.InvalidRequest });
      expect((err as Error).message).toContain('has no open check-in');
    });
  });

  describe('permissions (seed 003): a refusal names the permission and the subscriber', () => {
    const ALL = SERVICECHANNEL_PERMISSIONS;
    const without = (...missing: ServiceChannelPermission[]) => ALL.filter((p) => !missing.includes(p));

    const cases: Array<{ name: string; granted: readonly ServiceChannelPermission[]; missing: ServiceChannelPermission; call: (c: ServiceChannelClient) => Promise<void> }> = [
      { name: 'status update', granted: without('Status Update'), missing: 'Status Update', call: (c) => c.updateStatus(WO_NEW, { primary: 'IN PROGRESS' }) },
      { name: 'status COMPLETED', granted: without('Set status to COMPLETED'), missing: 'Set status to COMPLETED', call: (c) => c.updateStatus(WO_NEW, { primary: 'COMPLETED', extended: 'CONFIRMED' }) },
      {
        name: 'status COMPLETED / PENDING CONFIRMATION',
        granted: without('Set status to COMPLETED_PENDING'),
        missing: 'Set status to COMPLETED_PENDING',
        call: (c) => c.updateStatus(WO_NEW, { primary: 'COMPLETED', extended: 'PENDING CONFIRMATION' }),
      },
      { name: 'note creation', granted: without('Note Creation'), missing: 'Note Creation', call: (c) => c.addNote(WO_NEW, { note: 'hello' }) },
      { name: 'note with e-mail recipients', granted: without('Allow to use MAIL_TO'), missing: 'Allow to use MAIL_TO', call: (c) => c.addNote(WO_NEW, { note: 'hello', mailedTo: ['a@b.example'] }) },
      { name: 'check-in at a given time', granted: without('IVR Check IN/OUT'), missing: 'IVR Check IN/OUT', call: (c) => c.checkIn(WO_NEW, { latitude: 35.84, longitude: -78.68, time: '2026-01-05T10:00:00Z' }) },
      { name: 'schedule date update', granted: without('ScheduleDate Update'), missing: 'ScheduleDate Update', call: (c) => c.updateScheduledDate(WO_NEW, { scheduledDate: '2026-01-09T10:00:00Z' }) },
      { name: 'NTE update', granted: without('NTE Update'), missing: 'NTE Update', call: (c) => c.updateNte(WO_NEW, { nte: 900 }) },
      { name: 'anything once Incoming XML is not active', granted: without('Incoming XML Active'), missing: 'Incoming XML Active', call: (c) => c.updateStatus(WO_NEW, { primary: 'IN PROGRESS' }) },
    ];

    it.each(cases)('$name -> ProviderPermissionMissing "$missing", nothing changed', async ({ granted, missing, call }) => {
      await startSim({ permissions: { [NORTHWIND]: granted } });
      const before = sim.state.adminWorkOrder(WO_NEW);
      const err = await failureOf(call(newClient()));
      expect(err).toBeInstanceOf(PermanentError);
      // The reference: a permission refusal is HTTP 401 with error code 504, not a bad token.
      // ServiceChannel does not say which permission is missing: the error names the call's permissions (and Incoming XML Active).
      expect(err).toMatchObject({ type: PermanentErrorTypes.ProviderPermissionMissing, details: { permission: expect.any(String), subscriberId: NORTHWIND, workOrderId: WO_NEW, status: 401, errorCodes: [504] } });
      expect((err as Error).message).toContain('API call rejected by security permissions');
      expect((err as Error).message).toContain(`"${missing}"`);
      expect((err as Error).message).toContain(`subscriber ${NORTHWIND}`);
      const after = sim.state.adminWorkOrder(WO_NEW);
      expect({ ...after, UpdatedDate: null }).toEqual({ ...before, UpdatedDate: null });
      expect(after!.UpdatedDate).toBe(before!.UpdatedDate);
      const failure = toApplicationFailure(err) as ApplicationFailure;
      expect(failure).toMatchObject({ type: 'ProviderPermissionMissing', nonRetryable: true });
    });

    it('a check-in or out with the position and without a time needs no IVR permission (ServiceChannel stamps the time)', async () => {
      await startSim({ permissions: { [NORTHWIND]: without('IVR Check IN/OUT') } });
      const client = newClient();
      await client.checkIn(WO_NEW, { latitude: 35.84, longitude: -78.68, techsCount: 1 });
      const err = await failureOf(client.checkOut(WO_NEW, { latitude: 35.84, longitude: -78.68, time: '2026-01-05T12:00:00Z' }));
      expect(err).toMatchObject({ details: { permission: 'IVR Check IN/OUT', subscriberId: NORTHWIND } });
      await client.checkOut(WO_NEW, { latitude: 35.84, longitude: -78.68, resolution: 'done' });
      expect(sim.state.adminWorkOrder(WO_NEW)!.CheckIns).toEqual([expect.objectContaining({ TimeGiven: false, Resolution: 'done' })]);
    });

    it('a Repair check-in or out without Latitude/Longitude is refused (400, code 503) unless the XML check-in/out permission is granted', async () => {
      await startSim({ permissions: { [NORTHWIND]: without('IVR Check IN/OUT') } });
      const client = newClient();
      const err = await failureOf(client.checkIn(WO_NEW, { techsCount: 1 }));
      expect(err).toMatchObject({ type: PermanentErrorTypes.InvalidRequest, details: { status: 400, errorCodes: [503] } });
      expect((err as Error).message).toContain('Provide your location to perform check-in or check-out');
      expect(sim.state.adminWorkOrder(WO_NEW)!.CheckIns).toEqual([]);
      // The body the client sends carries the reference's names.
      await client.checkIn(WO_NEW, { latitude: 35.84, longitude: -78.68, techsCount: 2 });
      const failedOut = await failureOf(client.checkOut(WO_NEW, { resolution: 'done' }));
      expect(failedOut).toMatchObject({ type: PermanentErrorTypes.InvalidRequest, details: { errorCodes: [503] } });
      // Granted: no position needed.
      sim.state.setPermissions(NORTHWIND, ALL);
      await client.checkOut(WO_NEW, { resolution: 'done', primaryStatus: 'Completed' });
      expect(sim.state.adminWorkOrder(WO_NEW)!.CheckIns).toEqual([expect.objectContaining({ Latitude: 35.84, Longitude: -78.68, TechsCount: 2, Resolution: 'done', PrimaryStatus: 'Completed' })]);
      expect(sim.state.adminWorkOrder(WO_NEW)!.Status.Primary).toBe('COMPLETED');
    });

    it("the demo's Harbor Point subscriber refuses notes but takes status updates", async () => {
      await startSim();
      const client = newClient();
      await client.updateStatus(WO_HARBOR, { primary: 'IN PROGRESS' });
      const err = await failureOf(client.addNote(WO_HARBOR, { note: 'Mobile work order MWO-2' }));
      expect(err).toMatchObject({ type: 'ProviderPermissionMissing', details: { permission: 'Note Creation', subscriberId: HARBOR } });
    });
  });

  describe('OAuth', () => {
    it('logs in once (Basic client auth, password grant) and reuses the token', async () => {
      await startSim();
      const client = newClient();
      await client.getWorkOrder(WO_NEW);
      await client.getWorkOrder(WO_HARBOR);
      await newClient().getWorkOrder(WO_NEW);
      expect(sim.state.counters()).toMatchObject({ tokenRequests: 1, logins: 1, refreshes: 0, requests: 3, unauthorizedRequests: 0 });
    });

    it('500 concurrent calls across 3 client instances make exactly one login', async () => {
      await startSim({ limits: { perClientPerMinute: 10_000, perCompanyPerMinute: 10_000 } });
      const instances = [newClient(), newClient(), newClient()];
      const ids = [DEMO_WORK_ORDER_IDS.newHvac, DEMO_WORK_ORDER_IDS.scheduledWithNte, DEMO_WORK_ORDER_IDS.newPlumbing];
      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => instances[i % 3]!.getWorkOrder(ids[i % 3]!)));
      expect(results.map((r) => r.Id)).toEqual(Array.from({ length: 500 }, (_, i) => ids[i % 3]));
      expect(sim.state.counters()).toMatchObject({ tokenRequests: 1, logins: 1, loginsLimited: 0, requests: 500, throttledRequests: 0 });
    });

    it('renews the token with the refresh grant shortly before it expires (no second login)', async () => {
      await startSim({ tokenTtlSeconds: 2 });
      const client = newClient();
      await client.getWorkOrder(WO_NEW);
      await new Promise((r) => setTimeout(r, 1850)); // past 90 % of the lifetime, before expiry
      await client.getWorkOrder(WO_NEW);
      expect(sim.state.counters()).toMatchObject({ logins: 1, refreshes: 1, unauthorizedRequests: 0 });
    });

    it('a 401 (token expired early) renews with the refresh token and retries the call once', async () => {
      await startSim();
      const client = newClient();
      await client.getWorkOrder(WO_NEW);
      sim.state.expireAccessTokens();
      await expect(client.getWorkOrder(WO_NEW)).resolves.toMatchObject({ Id: WO_NEW });
      expect(sim.state.counters()).toMatchObject({ logins: 1, refreshes: 1, unauthorizedRequests: 1 });
    });

    it('a refused refresh falls back to the password grant, once for all concurrent calls', async () => {
      await startSim({ loginIntervalMs: 200 });
      const client = newClient({ loginIntervalMs: 200 });
      await client.getWorkOrder(WO_NEW);
      await new Promise((r) => setTimeout(r, 250));
      sim.state.expireAccessTokens();
      sim.state.revokeRefreshTokens();
      await Promise.all(Array.from({ length: 20 }, () => client.getWorkOrder(WO_NEW)));
      expect(sim.state.counters()).toMatchObject({ logins: 2, refreshesRefused: 1, refreshes: 0, loginsLimited: 0 });
    });

    it('a 401 with a fresh token too is AuthenticationFailed, after one renewal', async () => {
      await startSim();
      const client = newClient();
      await client.getWorkOrder(WO_NEW);
      sim.faults.set({ errorRate: 1, errorStatus: 401, routes: ['getWorkOrder'] });
      const err = await failureOf(client.getWorkOrder(WO_NEW));
      expect(err).toMatchObject({ type: PermanentErrorTypes.AuthenticationFailed, details: { status: 401 } });
      expect(sim.state.counters()).toMatchObject({ logins: 1, refreshes: 1 });
    });

    it('refused user credentials are AuthenticationFailed naming client and user, never the password', async () => {
      await startSim();
      const err = await failureOf(newClient({ password: 'wrong-password-123' }).getWorkOrder(WO_NEW));
      expect(err).toMatchObject({ type: PermanentErrorTypes.AuthenticationFailed, details: { status: 400 } });
      expect((err as Error).message).toContain(`client ${CLIENT.clientId} / user ${USER.username}`);
      expect((err as Error).message).toContain('invalid_grant');
      expect((err as Error).message).not.toContain('wrong-password-123');
    });

    it('the login limit hit anyway (another process logged in): waits its Retry-After, then one login for every waiting call', async () => {
      await startSim({ loginIntervalMs: 1000 });
      // Someone else (another worker process) logs in with the same user just before us.
      const basic = Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64');
      const other = await fetch(sim.tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username: USER.username, password: USER.password }),
      });
      expect(other.status).toBe(200);
      const startedAt = Date.now();
      const client = newClient();
      const results = await Promise.all(Array.from({ length: 50 }, () => client.getWorkOrder(WO_NEW)));
      expect(results).toHaveLength(50);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
      // The other process's login, our one refused login (the limit), our one accepted after the wait: no storm.
      expect(sim.state.counters()).toMatchObject({ logins: 2, loginsLimited: 1, tokenRequests: 3 });
      expect(logged).toContain('login limit hit');
    });

    it('the login limit answered with 503 is read the same way', async () => {
      await startSim({ loginIntervalMs: 1000, loginLimitStatus: 503 });
      await newClient().getWorkOrder(WO_NEW);
      resetServiceChannelTokenCache(); // a second process, same user
      await newClient().getWorkOrder(WO_NEW);
      expect(sim.state.counters()).toMatchObject({ logins: 2, loginsLimited: 1 });
    });

    it('spaces its own logins by the login interval: a renewal right after a login waits instead of being refused', async () => {
      await startSim({ loginIntervalMs: 800 });
      const client = newClient({ loginIntervalMs: 800 });
      await client.getWorkOrder(WO_NEW);
      sim.state.expireAccessTokens();
      sim.state.revokeRefreshTokens();
      const startedAt = Date.now();
      await client.getWorkOrder(WO_NEW);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(600);
      expect(sim.state.counters()).toMatchObject({ logins: 2, loginsLimited: 0 });
    });

    it('never logs or reports the secret, the password or a token', async () => {
      await startSim();
      const client = newClient();
      await client.getWorkOrder(WO_NEW);
      sim.state.expireAccessTokens();
      await client.getWorkOrder(WO_NEW);
      await failureOf(client.getWorkOrder(999));
      expect(logged).toContain('access token obtained');
      expect(logged).not.toContain(CLIENT.clientSecret);
      expect(logged).not.toContain(USER.password);
      expect(logged).not.toMatch(/Bearer|"access_token":|"refresh_token":|authorization/i);
    });
  });

  describe('throttling', () => {
    it('over the per-client limit: TransientError with the Retry-After as retryAfterMs and the Reason; the failure waits exactly that', async () => {
      await startSim({ limits: { perClientPerMinute: 5 } });
      const client = newClient();
      for (let i = 0; i < 5; i += 1) await client.getWorkOrder(WO_NEW);
      const err = await failureOf(client.getWorkOrder(WO_NEW));
      expect(err).toBeInstanceOf(TransientError);
      const t = err as TransientError;
      expect(t.details.status).toBe(429);
      expect(t.outcome).toBe('not-processed');
      expect(t.message).toContain('Request has been throttled. Your current Application limit is [5] per [1] minute');
      // The window opened with the first request, under a second ago: ServiceChannel says 60 s.
      expect(t.details.retryAfterMs).toBe(60_000);
      const failure = toApplicationFailure(err) as ApplicationFailure;
      expect(failure.nextRetryDelay).toBe(60_000);
      expect(failure.nonRetryable).toBe(false);
      expect(sim.state.peakRequestsPerMinute()).toBe(6);
      expect(sim.state.peakRequestsPerMinute({ acceptedOnly: true })).toBe(5);
      expect(sim.state.throttledRequests).toBe(1);
    });

    it('503 + Retry-After (the older documented status) is read the same way', async () => {
      await startSim({ limits: { perClientPerMinute: 2 }, throttleStatus: 503, rateWindowMs: 3000 });
      const client = newClient();
      await client.getWorkOrder(WO_NEW);
      await client.updateStatus(WO_NEW, { primary: 'IN PROGRESS' });
      const err = (await failureOf(client.addNote(WO_NEW, { note: 'x' }))) as TransientError;
      expect(err).toBeInstanceOf(TransientError);
      expect(err.details).toMatchObject({ status: 503, retryAfterMs: 3000 });
      expect(err.message).toContain('note on work order');
      expect(sim.state.adminWorkOrder(WO_NEW)!.Notes).toEqual([]);
    });
  });

  describe('work orders changed since', () => {
    it('the reconciliation list covers open work orders called more than 90 days ago, pages by the server\'s 50 rows, and applies the webhook subscription\'s trades, categories and statuses', async () => {
      await startSim({ seed: { ...demoServiceChannelData, workOrders: [] } });
      const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
      const old = sim.state.createWorkOrder({ SubscriberId: NORTHWIND, LocationId: DEMO_LOCATION_IDS.northwindRaleigh, Trade: 'HVAC', Category: 'REPAIR', CallDate: daysAgo(120) }, { notify: false }).Id;
      const outside = sim.state.createWorkOrder({ SubscriberId: NORTHWIND, LocationId: DEMO_LOCATION_IDS.northwindRaleigh, Trade: 'LANDSCAPING', Category: 'REPAIR', CallDate: daysAgo(1) }, { notify: false }).Id;
      const maintenance = sim.state.createWorkOrder({ SubscriberId: NORTHWIND, LocationId: DEMO_LOCATION_IDS.northwindRaleigh, Trade: 'HVAC', Category: 'MAINTENANCE', CallDate: daysAgo(1) }, { notify: false }).Id;
      const recent: number[] = [];
      for (let i = 0; i < 60; i += 1) recent.push(sim.state.createWorkOrder({ SubscriberId: NORTHWIND, LocationId: DEMO_LOCATION_IDS.northwindRaleigh, Trade: 'PLUMBING', Category: 'REPAIR', CallDate: daysAgo(2) }, { notify: false }).Id);
      sim.state.patchWorkOrder(old, { Nte: 900 }, { notify: false });
      const sc = createServiceChannelActivities({
        servicechannel: newClient(),
        // The listing makes no ServicePower call (only the check-in/out activities read it).
        servicepower: undefined as never,
        mobileSync: { ...DEMO_MOBILE_SYNC, subscriptionTrades: ['HVAC', 'PLUMBING'], subscriptionCategories: ['REPAIR'], subscriptionStatuses: [] },
      });
      const listed: number[] = [];
      let cursor: Awaited<ReturnType<typeof sc.listChangedServiceChannelWorkOrdersPage>>['next'] = null;
      let pages = 0;
      do {
        // The workflow asks 100 rows a page; ServiceChannel answers 50.
        const page: Awaited<ReturnType<typeof sc.listChangedServiceChannelWorkOrdersPage>> = await sc.listChangedServiceChannelWorkOrdersPage({ since: new Date(0).toISOString(), pageSize: 100, cursor });
        listed.push(...page.rows.map((r) => r.workOrderId));
        cursor = page.next;
        pages += 1;
      } while (cursor);
      expect(pages).toBeGreaterThanOrEqual(2);
      expect(new Set(listed)).toEqual(new Set([...recent, old]));
      expect(listed).not.toContain(outside);
      expect(listed).not.toContain(maintenance);
      // ServiceChannel's own default (no CallDate bound) would have missed the old one.
      expect(sim.state.changedSince(0).map((w) => w.Id)).not.toContain(old);
    });

    it('lists each changed work order once, oldest change first, across pages and same-millisecond changes', async () => {
      await startSim({ seed: { ...demoServiceChannelData, workOrders: [] } });
      const created = [] as number[];
      for (let i = 0; i < 7; i += 1) {
        created.push(sim.state.createWorkOrder({ SubscriberId: NORTHWIND, LocationId: DEMO_LOCATION_IDS.northwindRaleigh, Description: `WO ${i}` }, { notify: false }).Id);
      }
      await new Promise((r) => setTimeout(r, 20));
      const since = new Date();
      await new Promise((r) => setTimeout(r, 5));
      sim.state.patchWorkOrder(created[5]!, { Nte: 100 }, { notify: false });
      sim.state.patchWorkOrder(created[1]!, { Nte: 200 }, { notify: false });
      sim.state.addSubscriberNote(created[3]!, { Note: 'call first' }, { notify: false });
      sim.state.patchWorkOrder(created[5]!, { Nte: 300 }, { notify: false });
      const client = newClient();
      const changed = await client.listWorkOrdersChangedSince(since, { pageSize: 2 });
      expect(changed.map((w) => w.Id)).toEqual([created[1], created[3], created[5]]);
      expect(changed.find((w) => w.Id === created[5])!.Nte).toBe(300);
      const all = await client.listWorkOrdersChangedSince(new Date(0), { pageSize: 2 });
      expect(new Set(all.map((w) => w.Id))).toEqual(new Set(created));
      expect(all).toHaveLength(7);
      expect(await client.listWorkOrdersChangedSince(new Date(Date.now() + 60_000))).toEqual([]);
      const harborOnly = await client.listWorkOrdersChangedSince(new Date(0), { subscriberId: HARBOR });
      expect(harborOnly).toEqual([]);
    });

    it('one page per call: each call is ONE request, and the cursors read every changed work order', async () => {
      await startSim({ seed: { ...demoServiceChannelData, workOrders: [] } });
      const created = [] as number[];
      for (let i = 0; i < 5; i += 1) {
        created.push(sim.state.createWorkOrder({ SubscriberId: NORTHWIND, LocationId: DEMO_LOCATION_IDS.northwindRaleigh, Description: `WO ${i}` }, { notify: false }).Id);
      }
      const client = newClient();
      await client.getWorkOrder(created[0]!); // logged in: the pages below are API requests only
      const before = sim.state.counters().requests;
      const ids: number[] = [];
      let cursor = null as Parameters<typeof client.listWorkOrdersChangedSincePage>[1] extends infer O ? (O extends { cursor?: infer C } ? C : never) : never;
      let calls = 0;
      for (;;) {
        const page = await client.listWorkOrdersChangedSincePage(new Date(0), { pageSize: 2, cursor });
        calls += 1;
        expect(page.workOrders.length).toBeLessThanOrEqual(2);
        ids.push(...page.workOrders.map((w) => w.Id));
        if (!page.next) break;
        cursor = page.next;
      }
      expect(new Set(ids)).toEqual(new Set(created));
      expect(calls).toBeGreaterThanOrEqual(3);
      expect(sim.state.counters().requests - before).toBe(calls);
      const empty = await client.listWorkOrdersChangedSincePage(new Date(Date.now() + 60_000), { pageSize: 2 });
      expect(empty).toEqual({ workOrders: [], next: null });
    });
  });
});
