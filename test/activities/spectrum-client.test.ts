/**
 * SpectrumClient against the Spectrum simulator: each service and each SDX rule the sync meets
 * (permissions, lead source, default division, lengths, references, GUID sessions), the lost answer
 * (apply then no reply), and enhanced authentication (token cache, single flight, refresh, a revoked
 * token, a refused client).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { PermanentError, PermanentErrorTypes, TransientError } from '../../common/errors';
import { metricsRegistry } from '../../common/metrics';
import { SpectrumClient, type SpectrumClientConfig } from '../../connectors/spectrum/client';
import { type SpectrumSimulator, type SpectrumSimulatorOptions, startSpectrumSimulator } from '../../connectors/spectrum/simulator';

const ALL_METHODS = ['WorkOrderHeader', 'AddWOMaterialCost', 'WOHeaderNotes', 'DeleteWOMaterialCost', 'GetWOMaterialCost', 'GetCustomers'];

const SEED: SpectrumSimulatorOptions['seed'] = {
  customers: [
    { Customer_Code: 'ACME', Name: 'Acme Mechanical', City: 'Tulsa' },
    { Customer_Code: 'BETA', Name: 'Beta Foods', Status: 'Inactive' },
    { Customer_Code: 'DELTA', Name: 'Delta Dairy', Status: 'Not Used' },
    { Customer_Code: 'GAMMA', Name: 'Gamma Labs', Company_Code: 'Z02' },
  ],
  sites: [{ Site_Code: 'ACME-01', Customer_Code: 'ACME' }],
  divisions: ['SVC', 'INST'],
  leadSources: ['SERVICETRADE'],
  warehouses: [{ Warehouse_Code: 'MAIN', default: true }, { Warehouse_Code: 'TRUCK1' }],
  items: [{ Item_Code: 'FILTER-20', Description: 'Filter 20x20' }, { Item_Code: 'BELT-A42' }],
};

const header = {
  WO_Number: 'S12345678',
  WO_Reference_Code: 'S',
  WO_Job_Number: 'ACME-01',
  Bill_Customer_Code: 'ACME',
  WO_Job_Division: 'SVC',
  Lead_Source: 'SERVICETRADE',
  Summary_Description: 'Quarterly PM: filters & belts',
  Ordered_Date: '03/07/2025',
  Time_Entered: '142500',
};

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('SpectrumClient against the simulator', () => {
  let sim: SpectrumSimulator;
  let client: SpectrumClient;
  const clients: SpectrumClient[] = [];

  async function start(overrides: Partial<SpectrumSimulatorOptions> = {}): Promise<void> {
    sim = await startSpectrumSimulator({
      authorizations: [
        { id: 'FIELDBRIDGE', companies: ['Z01', 'Z02'], permissions: ALL_METHODS },
        { id: 'HEADERLESS', companies: ['Z01'], permissions: ['AddWOMaterialCost', 'GetCustomers'] },
        { id: 'RETIRED', companies: ['Z01'], permissions: ALL_METHODS, active: false },
      ],
      settings: { leadSourceRequired: false, defaultDivision: 'SVC' },
      seed: SEED,
      ...overrides,
    });
    client = makeClient();
  }

  function makeClient(config: Partial<SpectrumClientConfig> = {}): SpectrumClient {
    const made = new SpectrumClient({ webServicesUrl: sim.wsUrl, authorizationId: 'FIELDBRIDGE', timeoutMs: 2000, ...config });
    clients.push(made);
    return made;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim.close();
  });

  describe('work orders', () => {
    beforeEach(() => start());

    it('WorkOrderHeader creates, then updates without blanking fields not sent', async () => {
      const created = await client.workOrderHeader('guid-1', header);
      expect(created.rows).toEqual([{ error_code: 'G', desc: 'Work order S12345678 added.', column: 'WO_Number' }]);
      await client.workOrderHeader('guid-1', { WO_Number: 'S12345678', WO_Reference_Code: 'S', WO_Job_Number: 'ACME-01', Customer_PO_Number: 'PO-77' });
      const order = sim.state.workOrder('S12345678');
      expect(order).toMatchObject({ Company_Code: 'Z01', revision: 2 });
      expect(order?.header).toMatchObject({ ...header, Customer_PO_Number: 'PO-77' });
      expect(sim.state.workOrders.size).toBe(1);
    });

    it('a blank WO_Number takes the next number, named in the G row', async () => {
      const reply = await client.workOrderHeader('guid-1', { ...header, WO_Number: '' });
      expect(reply.rows[0]).toEqual({ error_code: 'G', desc: 'Work order 100001 added.', column: 'WO_Number' });
      expect(sim.state.workOrder('100001')?.header.Bill_Customer_Code).toBe('ACME');
    });

    it('material lines: added with the default warehouse, listed with their System_Key; DeleteWOMaterialCost removes one line by its key, a gone key is refused', async () => {
      await client.workOrderHeader('g', header);
      const added = await client.addWOMaterialCost('g', { WO_Number: 'S12345678', Item_Code: 'FILTER-20', Quantity_Used: '4', Unit_Price: '12.5' });
      expect(added.rows).toContainEqual({ error_code: 'G', desc: 'Default warehouse MAIN used.', column: 'Warehouse_Code' });
      await client.addWOMaterialCost('g', { WO_Number: 'S12345678', Item_Code: 'BELT-A42', Quantity_Used: '1', Warehouse_Code: 'TRUCK1' });
      await client.addWOMaterialCost('g', { WO_Number: 'S12345678', Item_Code: 'FILTER-20', Quantity_Used: '2' });
      await client.addWOMaterialCost('g', { WO_Number: 'S12345678', Item_Code: '!CUSTOM PART', Item_Description: 'Special order', Quantity_Used: '1' });
      expect(sim.state.workOrder('S12345678')?.materials.map((l) => [l.Sequence, l.Item_Code, l.Warehouse_Code, l.Quantity_Used])).toEqual([
        [1, 'FILTER-20', 'MAIN', '4'],
        [2, 'BELT-A42', 'TRUCK1', '1'],
        [3, 'FILTER-20', 'MAIN', '2'],
        [4, '!CUSTOM PART', '', '1'],
      ]);
      expect(sim.state.workOrder('S12345678')?.materials[0].Item_Description).toBe('Filter 20x20');

      const listed = await client.getWOMaterialCost('g', 'S12345678');
      expect(listed.map((l) => [l.Item_Code, l.Quantity_Used, l.Warehouse_Code])).toEqual([
        ['FILTER-20', '4', 'MAIN'],
        ['BELT-A42', '1', 'TRUCK1'],
        ['FILTER-20', '2', 'MAIN'],
        ['!CUSTOM PART', '1', ''],
      ]);
      expect(new Set(listed.map((l) => l.System_Key)).size).toBe(4);
      expect(listed.every((l) => l.System_Key.length > 0 && l.System_Key.length <= 24)).toBe(true);

      const first = listed[0];
      const deleted = await client.deleteWOMaterialCost('g', { System_Key: first.System_Key, WO_Number: 'S12345678', Item_Code: 'FILTER-20' });
      expect(deleted.rows).toEqual([{ error_code: 'G', desc: 'Material line 1 (item FILTER-20) deleted from work order S12345678.', column: 'System_Key' }]);
      const again = await failureOf(client.deleteWOMaterialCost('g', { System_Key: first.System_Key, WO_Number: 'S12345678', Item_Code: 'FILTER-20' }));
      expect(again).toMatchObject({ type: PermanentErrorTypes.SpectrumRejected });
      expect(again.message).toContain('System_Key');
      const wrongItem = await failureOf(client.deleteWOMaterialCost('g', { System_Key: listed[1].System_Key, WO_Number: 'S12345678', Item_Code: 'FILTER-20' }));
      expect(wrongItem).toMatchObject({ type: PermanentErrorTypes.SpectrumRejected });
      expect(sim.state.workOrder('S12345678')?.materials.map((l) => l.Item_Code)).toEqual(['BELT-A42', 'FILTER-20', '!CUSTOM PART']);
    });

    it('WOHeaderNotes writes a note, Append_Note Y appends to it', async () => {
      await client.workOrderHeader('g', header);
      await client.woHeaderNotes('g', { WO_Number: 'S12345678', Notes_Topic: 'FieldBridge', Notes_Text: 'first' });
      await client.woHeaderNotes('g', { WO_Number: 'S12345678', Notes_Topic: 'FieldBridge', Notes_Text: 'second <&>', Append_Note: 'Y' });
      expect(sim.state.workOrder('S12345678')?.notes).toEqual([{ topic: 'FieldBridge', text: 'first\nsecond <&>' }]);
      await client.woHeaderNotes('g', { WO_Number: 'S12345678', Notes_Topic: 'FieldBridge', Notes_Text: 'replaced', Append_Note: 'N' });
      expect(sim.state.workOrder('S12345678')?.notes).toEqual([{ topic: 'FieldBridge', text: 'replaced' }]);
    });

    it('material, notes and delete on a work order that does not exist -> SpectrumRejected on WO_Number', async () => {
      for (const call of [
        client.addWOMaterialCost('g', { WO_Number: 'NOPE', Item_Code: 'FILTER-20', Quantity_Used: '1' }),
        client.woHeaderNotes('g', { WO_Number: 'NOPE', Notes_Text: 'x' }),
        client.deleteWOMaterialCost('g', { System_Key: '000000000001', WO_Number: 'NOPE', Item_Code: 'FILTER-20' }),
      ]) {
        const err = await failureOf(call);
        expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumRejected });
        expect(err.message).toContain('WO_Number: Work order NOPE does not exist.');
      }
    });

    it('an unknown item code -> SpectrumRejected on Item_Code; an unknown warehouse on Warehouse_Code; nothing stored', async () => {
      await client.workOrderHeader('g', header);
      const err = await failureOf(client.addWOMaterialCost('g', { WO_Number: 'S12345678', Item_Code: 'GHOST', Warehouse_Code: 'NOWHERE', Quantity_Used: '1' }));
      expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumRejected });
      expect(err.message).toContain('Item_Code: Item GHOST does not exist.');
      expect(err.message).toContain('Warehouse_Code: Warehouse NOWHERE does not exist.');
      expect(sim.state.workOrder('S12345678')?.materials).toEqual([]);
    });

    it('AddWOMaterialCost: a quantity or amount with more than 2 decimals and a unit of measure over 2 characters are refused (I), nothing stored', async () => {
      await client.workOrderHeader('g', header);
      const err = await failureOf(
        client.addWOMaterialCost('g', { WO_Number: 'S12345678', Item_Code: 'FILTER-20', Quantity_Used: '1.125', Unit_Of_Measure: 'each', Extension: '10.005' }),
      );
      expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumRejected });
      expect(err.message).toContain('Quantity_Used: Quantity_Used takes at most 2 decimals (got 1.125).');
      expect(err.message).toContain('Extension: Extension takes at most 2 decimals (got 10.005).');
      expect(err.message).toContain('Unit_Of_Measure: Unit_Of_Measure exceeds the maximum length of 2 (got 4).');
      expect(sim.state.workOrder('S12345678')?.materials).toEqual([]);
    });

    it('lengths, formats and references are all reported at once, naming each column; nothing stored', async () => {
      const err = await failureOf(
        client.workOrderHeader('g', {
          ...header,
          WO_Number: 'S123456789X',
          Summary_Description: 'x'.repeat(251),
          Bill_Customer_Code: 'NOBODY',
          WO_Job_Division: 'ZZZ',
          Scheduled_Start_Date: '2025-03-07',
          Scheduled_Start_Time: '25:00',
        }),
      );
      expect(err).toBeInstanceOf(PermanentError);
      expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumRejected });
      const columns = ((err as PermanentError).details.rows as Array<{ column: string; error_code: string }>).map((r) => `${r.error_code} ${r.column}`);
      expect(columns).toEqual(
        expect.arrayContaining(['I WO_Number', 'I Summary_Description', 'I Bill_Customer_Code', 'I WO_Job_Division', 'I Scheduled_Start_Date', 'I Scheduled_Start_Time']),
      );
      expect(err.message).toContain('Summary_Description: Summary_Description exceeds the maximum length of 250 (got 251).');
      expect(sim.state.workOrders.size).toBe(0);
    });

    it('a site that does not exist -> rejected on WO_Job_Number; a missing WO_Reference_Code -> M', async () => {
      const err = await failureOf(client.workOrderHeader('g', { ...header, WO_Job_Number: 'ELSEWHERE', WO_Reference_Code: '' }));
      const rows = (err as PermanentError).details.rows;
      expect(rows).toEqual(expect.arrayContaining([{ error_code: 'M', desc: 'WO_Reference_Code is required.', column: 'WO_Reference_Code' }]));
      const siteErr = await failureOf(client.workOrderHeader('g', { ...header, WO_Job_Number: 'ELSEWHERE' }));
      expect(siteErr.message).toContain('WO_Job_Number: Site ELSEWHERE does not exist.');
    });
  });

  describe('settings: default division and required lead source', () => {
    it('a blank division takes the site default division when Spectrum has one', async () => {
      await start({ settings: { leadSourceRequired: false, defaultDivision: 'INST' } });
      const reply = await client.workOrderHeader('g', { ...header, WO_Job_Division: '' });
      expect(reply.rows).toContainEqual({ error_code: 'G', desc: 'Default division INST used for the site work order.', column: 'WO_Job_Division' });
      expect(sim.state.workOrder('S12345678')?.header.WO_Job_Division).toBe('INST');
    });

    it('without a default division, a new order needs WO_Job_Division (M)', async () => {
      await start({ settings: { leadSourceRequired: false } });
      const err = await failureOf(client.workOrderHeader('g', { ...header, WO_Job_Division: '' }));
      expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumRejected, details: { rows: [expect.objectContaining({ error_code: 'M', column: 'WO_Job_Division' })] } });
      expect(sim.state.workOrders.size).toBe(0);
    });

    it('lead source required: a new order without one is rejected (M Lead_Source); an unknown one is I', async () => {
      await start({ settings: { leadSourceRequired: true, defaultDivision: 'SVC' } });
      const missing = await failureOf(client.workOrderHeader('g', { ...header, Lead_Source: '' }));
      expect(missing).toMatchObject({ type: PermanentErrorTypes.SpectrumRejected, details: { rows: [{ error_code: 'M', desc: 'Lead_Source is required for work orders.', column: 'Lead_Source' }] } });
      const unknown = await failureOf(client.workOrderHeader('g', { ...header, Lead_Source: 'RADIO' }));
      expect(unknown.message).toContain('Lead_Source: Lead source RADIO does not exist.');
      await expect(client.workOrderHeader('g', header)).resolves.toBeDefined();
    });

    it('lead source not required: a new order without one is created', async () => {
      await start({ settings: { leadSourceRequired: false, defaultDivision: 'SVC' } });
      await client.workOrderHeader('g', { ...header, Lead_Source: '' });
      expect(sim.state.workOrder('S12345678')?.header.Lead_Source).toBe('');
    });
  });

  describe('authorization and sessions', () => {
    beforeEach(() => start());

    it('an Authorization ID without the WorkOrderHeader permission -> SpectrumNotAuthorized naming Authorization_ID', async () => {
      const headerless = makeClient({ authorizationId: 'HEADERLESS' });
      const err = await failureOf(headerless.workOrderHeader('g', header));
      expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumNotAuthorized });
      expect(err.message).toContain('Authorization_ID: The Web Service is not authorized. Authorization ID HEADERLESS has no permission for WorkOrderHeader; the Authorization ID needs the web service WorkOrder -> WorkOrderHeader');
      // The permission to grant, as Spectrum's Data Exchange Build screen lists it.
      expect(err.message).toContain('the Authorization ID needs the web service WorkOrder -> WorkOrderHeader');
      expect((err as PermanentError).details.permission).toBe('WorkOrder -> WorkOrderHeader');
      expect(sim.state.workOrders.size).toBe(0);
    });

    it('an unknown or inactive Authorization ID, or a company it lacks -> SpectrumNotAuthorized', async () => {
      await expect(makeClient({ authorizationId: 'WHO' }).getCustomers('g')).rejects.toThrow(/Authorization ID is not setup in the system/);
      await expect(makeClient({ authorizationId: 'RETIRED' }).workOrderHeader('g', header)).rejects.toMatchObject({ type: PermanentErrorTypes.SpectrumNotAuthorized });
      const err = await failureOf(makeClient({ companyCode: 'Z99' }).workOrderHeader('g', header));
      expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumNotAuthorized });
      expect(err.message).toContain('Company_Code:');
    });

    it('Company_Code picks the company; blank is the Authorization ID default', async () => {
      await makeClient({ companyCode: 'Z02' }).workOrderHeader('g', header);
      expect(sim.state.workOrder('S12345678', 'Z02')).toBeDefined();
      expect(sim.state.workOrder('S12345678', 'Z01')).toBeUndefined();
      await client.workOrderHeader('g', header);
      expect(sim.state.workOrder('S12345678', 'Z01')).toBeDefined();
    });

    it('an expired GUID -> SpectrumSessionExpired until a new GUID is used', async () => {
      await client.workOrderHeader('guid-old', header);
      expect(sim.state.expireGuid('guid-old')).toBe(1);
      const err = await failureOf(client.addWOMaterialCost('guid-old', { WO_Number: 'S12345678', Item_Code: 'FILTER-20', Quantity_Used: '1' }));
      expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumSessionExpired });
      await expect(client.workOrderHeader('guid-old', header)).rejects.toMatchObject({ type: PermanentErrorTypes.SpectrumSessionExpired });
      await expect(client.workOrderHeader('guid-new', header)).resolves.toBeDefined();
    });

    it('the same GUID for the same method under another Authorization ID is refused', async () => {
      await client.getCustomers('shared-guid');
      const other = makeClient({ authorizationId: 'HEADERLESS' });
      await expect(other.getCustomers('shared-guid')).rejects.toMatchObject({ type: PermanentErrorTypes.SpectrumNotAuthorized });
      expect((await other.getCustomers('its-own-guid')).customers).toHaveLength(1);
    });
  });

  describe('a GUID left idle', () => {
    it('times out after guidIdleTimeoutMs of disuse, per method', async () => {
      let now = Date.parse('2025-03-07T08:00:00Z');
      await start({ guidIdleTimeoutMs: 60_000, now: () => now });
      await client.workOrderHeader('g', header);
      now += 59_000;
      await client.workOrderHeader('g', header);
      now += 59_000;
      await client.workOrderHeader('g', header);
      now += 61_000;
      await expect(client.workOrderHeader('g', header)).rejects.toMatchObject({ type: PermanentErrorTypes.SpectrumSessionExpired });
      // The session is per method: GetCustomers never used this GUID, so it starts a session of its own.
      expect((await client.getCustomers('g')).customers).toHaveLength(1);
    });
  });

  describe('GetCustomers', () => {
    beforeEach(() => start());

    it('Status is Active, Inactive or Not Used; pStatus blank: Active only, I: Active and Inactive, ALL: every customer', async () => {
      const active = await client.getCustomers('g');
      expect(active).toEqual({
        customers: [expect.objectContaining({ Company_Code: 'Z01', Customer_Code: 'ACME', Name: 'Acme Mechanical', City: 'Tulsa', Status: 'Active' })],
        complete: true,
        warnings: [],
      });
      const codes = async (list: Promise<{ customers: Array<{ Customer_Code: string; Status: string }> }>) =>
        (await list).customers.map((c) => `${c.Customer_Code} ${c.Status}`);
      expect(await codes(client.getCustomers('g', { status: 'I' }))).toEqual(['ACME Active', 'BETA Inactive']);
      expect(await codes(client.getCustomers('g', { status: 'ALL' }))).toEqual(['ACME Active', 'BETA Inactive', 'DELTA Not Used']);
      expect(await codes(makeClient({ companyCode: 'Z02' }).getCustomers('g2'))).toEqual(['ACME Active', 'GAMMA Active']);
    });

    it('a list past the maximum ends with a W row: read as partial (complete false), never as the whole list', async () => {
      sim.state.settings = { ...sim.state.settings, maxGetRows: 2 };
      const list = await client.getCustomers('g', { status: 'ALL' });
      expect(list.customers.map((c) => c.Customer_Code)).toEqual(['ACME', 'BETA']);
      expect(list.complete).toBe(false);
      expect(list.warnings).toEqual([expect.objectContaining({ error_code: 'W', desc: expect.stringContaining('exceeds maximum') })]);
      // The shorter list (Active only) fits: whole.
      expect(await client.getCustomers('g2')).toMatchObject({ complete: true, customers: [expect.objectContaining({ Customer_Code: 'ACME' })] });
    });

    it('refused: Spectrum answers E on Authorization_ID; the error names the web service to grant, AccountsReceivable -> GetCustomers', async () => {
      sim.state.setPermissions('FIELDBRIDGE', ['WorkOrderHeader']);
      const err = await failureOf(client.getCustomers('g'));
      expect(sim.state.callsTo('GetCustomers')[0].rows).toEqual([expect.objectContaining({ column: 'Authorization_ID' })]);
      expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumNotAuthorized, details: { permission: 'AccountsReceivable -> GetCustomers' } });
      expect(err.message).toContain('Spectrum refused GetCustomers for company (default) under Authorization ID FIELDBRIDGE: Authorization_ID: The Web Service is not authorized');
      expect(err.message).toContain('the Authorization ID needs the web service AccountsReceivable -> GetCustomers');
    });
  });

  describe('faults', () => {
    beforeEach(() => start());

    it('apply-then-timeout: TransientError with outcome unknown, and the line is stored', async () => {
      await client.workOrderHeader('g', header);
      const impatient = makeClient({ timeoutMs: 300 });
      sim.faults.set({ applyThenTimeout: true, routes: ['AddWOMaterialCost'], count: 1 });
      const err = await failureOf(impatient.addWOMaterialCost('g', { WO_Number: 'S12345678', Item_Code: 'FILTER-20', Quantity_Used: '3' }));
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).outcome).toBe('unknown');
      expect(sim.state.workOrder('S12345678')?.materials).toEqual([expect.objectContaining({ Item_Code: 'FILTER-20', Quantity_Used: '3' })]);
      expect(sim.state.callsTo('AddWOMaterialCost')).toEqual([expect.objectContaining({ outcome: 'hung', applied: true })]);
    });

    it('serverFault: TransientError outcome unknown, nothing applied', async () => {
      sim.faults.set({ serverFault: true, count: 1 });
      const err = await failureOf(client.workOrderHeader('g', header));
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).outcome).toBe('unknown');
      expect(err.message).toContain('Error executing Web Service');
      expect(sim.state.workOrders.size).toBe(0);
      await expect(client.workOrderHeader('g', header)).resolves.toBeDefined();
    });

    it('truncateReply: the call is applied and its complete rows read', async () => {
      sim.faults.set({ truncateReply: true, count: 1 });
      await expect(client.workOrderHeader('g', header)).resolves.toEqual({ rows: [{ error_code: 'G', desc: 'Work order S12345678 added.', column: 'WO_Number' }] });
      expect(sim.state.callsTo('WorkOrderHeader')[0]).toMatchObject({ truncated: true });
    });

    it('forceReply: the given rows are what the client reports', async () => {
      sim.faults.set({
        forceReply: {
          rows: [
            { error_code: 'I', desc: 'Phase code not valid for job', column: 'Phase_Code' },
            { error_code: 'I', desc: 'Cost type not valid', column: 'Cost_Type' },
          ],
        },
        count: 1,
      });
      const err = await failureOf(client.workOrderHeader('g', header));
      expect(err.message).toContain('Phase_Code: Phase code not valid for job; Cost_Type: Cost type not valid');
      expect(sim.state.workOrders.size).toBe(0);
    });

    it('503 and 429 (throttle) -> TransientError not-processed, with Retry-After', async () => {
      sim.faults.set({ errorRate: 1, errorStatus: 503, count: 1 });
      const unavailable = await failureOf(client.workOrderHeader('g', header));
      expect((unavailable as TransientError).outcome).toBe('not-processed');
      sim.faults.set({ throttle: { limit: 0, windowMs: 60_000, retryAfterSeconds: 7 }, count: 1 });
      const throttled = await failureOf(client.workOrderHeader('g', header));
      expect(throttled).toMatchObject({ details: { status: 429, retryAfterMs: 7000, outcome: 'not-processed' } });
    });
  });

  describe('enhanced authentication', () => {
    const enhanced = (tokenTtlSeconds = 3600): Partial<SpectrumSimulatorOptions> => ({
      enhancedAuth: { clients: [{ clientId: 'fb-client', clientSecret: 's3cret-value', authorizationId: 'FIELDBRIDGE' }], tokenTtlSeconds },
    });

    it('sends a Bearer token beside the Authorization_ID; one token for many calls', async () => {
      await start(enhanced());
      const authed = makeClient({ enhancedAuth: { clientId: 'fb-client', clientSecret: 's3cret-value' } });
      await authed.workOrderHeader('g', header);
      await authed.addWOMaterialCost('g', { WO_Number: 'S12345678', Item_Code: 'FILTER-20', Quantity_Used: '1' });
      expect(sim.state.tokenRequests).toBe(1);
      expect(sim.state.requests.map((r) => [r.service, r.authorizationId, r.bearer])).toEqual([
        ['WorkOrderHeader', 'FIELDBRIDGE', true],
        ['AddWOMaterialCost', 'FIELDBRIDGE', true],
      ]);
    });

    it('without a token the simulator answers 401 -> AuthenticationFailed', async () => {
      await start(enhanced());
      await expect(client.workOrderHeader('g', header)).rejects.toMatchObject({ type: PermanentErrorTypes.AuthenticationFailed });
      expect(sim.state.workOrders.size).toBe(0);
    });

    it('single flight: N concurrent calls share one token request', async () => {
      await start(enhanced());
      const authed = makeClient({ enhancedAuth: { clientId: 'fb-client', clientSecret: 's3cret-value' } });
      await Promise.all(Array.from({ length: 8 }, (_, i) => authed.getCustomers(`guid-${i}`)));
      expect(sim.state.tokenRequests).toBe(1);
      expect(sim.state.callsTo('GetCustomers')).toHaveLength(8);
    });

    it('refreshes the token 60 s (or 10%) before it expires', async () => {
      await start(enhanced(600));
      let now = Date.now();
      const authed = makeClient({ enhancedAuth: { clientId: 'fb-client', clientSecret: 's3cret-value' }, now: () => now });
      await authed.getCustomers('g1');
      now += 539_000; // 600 s token, renewed 60 s before: still cached at 539 s
      await authed.getCustomers('g2');
      expect(sim.state.tokenRequests).toBe(1);
      now += 2_000; // 541 s
      await authed.getCustomers('g3');
      expect(sim.state.tokenRequests).toBe(2);
    });

    it('a refused token (401) is dropped and fetched once more', async () => {
      await start(enhanced());
      const authed = makeClient({ enhancedAuth: { clientId: 'fb-client', clientSecret: 's3cret-value' } });
      await authed.getCustomers('g1');
      expect(sim.state.revokeTokens()).toBe(1);
      expect((await authed.getCustomers('g2')).customers).toHaveLength(1);
      expect(sim.state.tokenRequests).toBe(2);
      expect(sim.state.callsTo('GetCustomers').map((r) => r.outcome)).toEqual(['rows', 'unauthorized', 'rows']);
    });

    it('a refused client -> AuthenticationFailed naming the Client ID, never the secret', async () => {
      await start(enhanced());
      const wrong = makeClient({ enhancedAuth: { clientId: 'fb-client', clientSecret: 'not-the-secret' } });
      const err = await failureOf(wrong.workOrderHeader('g', header));
      expect(err).toMatchObject({ type: PermanentErrorTypes.AuthenticationFailed });
      expect(err.message).toContain('Client ID fb-client');
      expect(err.message).toContain('invalid_client');
      expect(err.message).not.toContain('not-the-secret');
      expect(JSON.stringify((err as PermanentError).details)).not.toContain('not-the-secret');
      expect(sim.state.callsTo('WorkOrderHeader')).toHaveLength(0);
    });

    describe('the client secret expires (7-120 days) and rotates', () => {
      const DAY = 24 * 3600 * 1000;
      let dir: string;
      beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), 'fb-spectrum-secret-'));
      });
      afterEach(() => rmSync(dir, { recursive: true, force: true }));

      it('a secret rotated by POST /secretRotation and written to SPECTRUM_CLIENT_SECRET_FILE is used without a restart; its estimated_expiration is the expiry', async () => {
        const now = Date.now();
        await start({
          enhancedAuth: {
            clients: [{ clientId: 'fb-client', clientSecret: 'first-secret', authorizationId: 'FIELDBRIDGE', secretExpiresAt: now + 5 * DAY, allowSelfRotation: true }],
            rotationDays: 90,
          },
        });
        const file = join(dir, 'spectrum-client-secret');
        writeFileSync(file, 'first-secret\n');
        const authed = makeClient({ enhancedAuth: { clientId: 'fb-client', clientSecretFile: file, clientSecretExpires: new Date(now + 5 * DAY).toISOString(), secretWarnDays: 14 } });
        await authed.getCustomers('g1');
        // Expiring within the 14-day window: status and metric say so.
        expect(authed.secretStatus()).toMatchObject({ state: 'expiring', daysLeft: 4 });
        expect(authed.secretStatus()?.message).toContain('SPECTRUM_CLIENT_SECRET_FILE');
        expect(await metricsRegistry.getSingleMetricAsString('fieldbridge_credential_expiring')).toContain('fieldbridge_credential_expiring{system="spectrum",credential="client_secret"} 1');

        // A rotation script calls POST /secretRotation and writes its answer to the file; the old secret is refused from now on.
        const rotated = await request(`${sim.url}/secretRotation`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ client_id: 'fb-client', client_secret: 'first-secret', scope: 'spectrumapi', grant_type: 'client_credentials' }).toString(),
        });
        expect(rotated.statusCode).toBe(200);
        const answer = (await rotated.body.json()) as { client_secret: string; estimated_expiration: string };
        writeFileSync(file, JSON.stringify(answer));
        expect(sim.state.revokeTokens()).toBe(1);

        // The same client (no restart) takes the new secret at its next token.
        expect((await authed.getCustomers('g2')).customers).toHaveLength(1);
        expect(authed.secretStatus()).toMatchObject({ state: 'ok', expiresAt: new Date(answer.estimated_expiration).toISOString() });
        expect(await metricsRegistry.getSingleMetricAsString('fieldbridge_credential_expiry_timestamp_seconds')).toContain(
          `fieldbridge_credential_expiry_timestamp_seconds{system="spectrum",credential="client_secret"} ${Date.parse(answer.estimated_expiration) / 1000}`,
        );
        expect(await metricsRegistry.getSingleMetricAsString('fieldbridge_credential_expiring')).toContain('credential="client_secret"} 0');
      });

      it('an expired secret: the token endpoint refuses it and the error says it expired and how to rotate it', async () => {
        const now = Date.now();
        await start({ enhancedAuth: { clients: [{ clientId: 'fb-client', clientSecret: 'old-secret', authorizationId: 'FIELDBRIDGE', secretExpiresAt: now - DAY }] } });
        const authed = makeClient({ enhancedAuth: { clientId: 'fb-client', clientSecret: 'old-secret', clientSecretExpires: new Date(now - DAY).toISOString() } });
        expect(authed.secretStatus()).toMatchObject({ state: 'expired' });
        const err = await failureOf(authed.getCustomers('g'));
        expect(err).toMatchObject({ type: PermanentErrorTypes.AuthenticationFailed });
        expect(err.message).toContain('The client secret has expired');
        expect(err.message).toContain('the client secret expired at');
      });

      it('an operator rotates in Spectrum (Rotate Secret) and replaces the file: the next token uses it', async () => {
        await start(enhanced());
        const file = join(dir, 'secret');
        writeFileSync(file, 's3cret-value');
        const authed = makeClient({ enhancedAuth: { clientId: 'fb-client', clientSecretFile: file } });
        await authed.getCustomers('g1');
        expect(authed.secretStatus()).toMatchObject({ state: 'unknown' });
        const res = await request(`${sim.url}/__admin/clients/fb-client/rotate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ expiresAt: '2030-01-31T00:00:00.000Z' }) });
        const { client_secret } = (await res.body.json()) as { client_secret: string };
        writeFileSync(file, `${client_secret}\n`);
        sim.state.revokeTokens();
        expect((await authed.getCustomers('g2')).customers).toHaveLength(1);
        expect(sim.state.callsTo('GetCustomers').map((r) => r.outcome)).toEqual(['rows', 'unauthorized', 'rows']);
      });
    });

    it('a token of another Authorization ID is refused with A', async () => {
      await start({
        enhancedAuth: { clients: [{ clientId: 'other-client', clientSecret: 'x', authorizationId: 'HEADERLESS' }] },
      });
      const mismatched = makeClient({ enhancedAuth: { clientId: 'other-client', clientSecret: 'x' } });
      await expect(mismatched.getCustomers('g')).rejects.toMatchObject({ type: PermanentErrorTypes.SpectrumNotAuthorized });
    });
  });
});
