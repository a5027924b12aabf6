/**
 * Contract test: FieldBridge's Spectrum client and the Spectrum simulator against the reference
 * tables (connectors/spectrum/reference/<Service>.json, transcribed from Trimble's help pages), read
 * here straight from the files and parsed with fast-xml-parser, with the tables as the oracle.
 *
 * The real call paths run (the job flow's activities and the client) against the simulator through
 * a recording proxy, so what is checked is every envelope the client actually puts on the wire and
 * every reply the simulator actually sends, success and error ones:
 * - every service in reference/ is called, and every service called has a table;
 * - each envelope: exactly the declared parameters, in order (none missing, none undeclared), each
 *   within its max length, numbers with no more than their decimals, flags and codes among their
 *   values, dates MM/DD/CCYY and times HHMMSS, required ones not blank;
 * - each reply: only declared columns (Get: the table's `returns`; Put: error_code/desc/column),
 *   error codes from the documented sets;
 * - the simulator refuses (SOAP-ENV:Client fault) an envelope missing any declared parameter, as SDX does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { XMLParser } from 'fast-xml-parser';
import { request } from 'undici';
import type { Config } from '../../common/config';
import { createJobToWorkOrderActivities, type ConvergeLinesResult, type JobToWorkOrderActivities } from '../../activities/job-to-work-order';
import { SpectrumClient } from '../../connectors/spectrum/client';
import { demoSpectrumAuthorization, demoSpectrumData, demoSpectrumSettings } from '../../connectors/spectrum/demo-data';
import { buildRequestEnvelope, parseReply } from '../../connectors/spectrum/envelope';
import { GET_ERROR_CODES, PUT_ERROR_CODES, type SpectrumServiceReference } from '../../connectors/spectrum/reference';
import { SPECTRUM_SERVICE_NAMES, type SpectrumService } from '../../connectors/spectrum/limits';
import { startSpectrumSimulator, type SpectrumSimulator } from '../../connectors/spectrum/simulator';
import { lineGroups, mapJobToWorkOrder, type JobSource, type WorkOrderSettings } from '../../mappings/job-to-work-order';

const REFERENCE_DIR = join(__dirname, '..', '..', 'connectors', 'spectrum', 'reference');
const TABLES: Record<string, SpectrumServiceReference> = Object.fromEntries(
  readdirSync(REFERENCE_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const table = JSON.parse(readFileSync(join(REFERENCE_DIR, file), 'utf8')) as SpectrumServiceReference;
      return [table.service, table];
    }),
);
const SERVICES = Object.keys(TABLES).sort();
const AUTHORIZATION_ID = 'FIELDBRIDGE';

const xml = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, trimValues: false, isArray: (name) => name === 'response' });

interface Exchange {
  service: string;
  request: string;
  status: number;
  reply: string;
}

/** A proxy in front of the simulator that keeps every request body and reply body. */
async function recordingProxy(target: string): Promise<{ url: string; exchanges: Exchange[]; close: () => Promise<void> }> {
  const exchanges: Exchange[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>;
      void request(`${target}${req.url ?? ''}`, { method: req.method as 'POST', headers, body }).then(async (answer) => {
        const reply = await answer.body.text();
        const service = (req.url ?? '').split('/').pop() ?? '';
        if ((req.url ?? '').startsWith('/ws/')) exchanges.push({ service, request: body, status: answer.statusCode, reply });
        res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'text/xml') });
        res.end(reply);
      }, (err: Error) => {
        res.writeHead(502);
        res.end(err.message);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, exchanges, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The operation element of a request envelope: its name and its children, in document order. */
function operationOf(envelope: string): { name: string; params: Array<[string, unknown]> } {
  const body = (xml.parse(envelope) as { Envelope: { Body: Record<string, unknown> } }).Envelope.Body;
  const names = Object.keys(body).filter((key) => key !== '#text');
  expect(names).toHaveLength(1);
  const element = body[names[0]];
  const params = typeof element === 'object' && element !== null ? Object.entries(element as Record<string, unknown>).filter(([key]) => key !== '#text') : [];
  return { name: names[0], params };
}

/** What breaks the table's rule for one value ('' when none). */
function violation(table: SpectrumServiceReference, name: string, value: unknown): string {
  const parameter = table.parameters.find((p) => p.name === name)!;
  if (typeof value !== 'string') return `${name} is not a single text value`;
  const text = value.trim();
  if (text === '') return parameter.required && !['Company_Code', 'pCompany_Code', 'GUID'].includes(name) ? `${name} is required but blank` : '';
  if (text.length > parameter.maxLength) return `${name} "${text}" is longer than ${parameter.maxLength}`;
  if (parameter.values && !parameter.values.includes(text)) return `${name} "${text}" is not one of ${parameter.values.join(', ')}`;
  if (parameter.type === 'number') {
    if (!/^-?\d*(\.\d+)?$/.test(text) || text === '-' || text === '.') return `${name} "${text}" is not a number`;
    const decimals = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
    if (decimals > (parameter.decimals ?? 0)) return `${name} "${text}" has ${decimals} decimals, the table allows ${parameter.decimals ?? 0}`;
  }
  if (parameter.type === 'date' && !/^\d{2}[/-]\d{2}[/-]\d{4}$/.test(text)) return `${name} "${text}" is not MM/DD/CCYY`;
  if (parameter.type === 'time' && !/^\d{6}$/.test(text)) return `${name} "${text}" is not HHMMSS`;
  if (parameter.type === 'flag' && !['Y', 'N'].includes(text)) return `${name} "${text}" is not Y or N`;
  return '';
}

/** The rows of a reply (its `<response>` elements), or [] for a fault. */
function rowsOf(reply: string, service: string): Array<Record<string, unknown>> {
  const body = (xml.parse(reply) as { Envelope: { Body: Record<string, unknown> } }).Envelope.Body;
  if (body.Fault) return [];
  const response = body[`${service}Response`] as { returnArray?: { returnData?: { response?: Array<Record<string, unknown>> } } } | undefined;
  expect(response).toBeDefined();
  return response?.returnArray?.returnData?.response ?? [];
}

// A job whose items test the limits: a description over 35 characters, 3-decimal quantity and prices,
// a unit of measure over 2 characters, an item not in the library (the other item), a labor item.
const JOB: JobSource = {
  job: {
    id: 77,
    number: '770077',
    name: 'Contract test job',
    type: 'repair',
    description: 'Rooftop unit not cooling; replace filters & belt <urgent>',
    customerPo: 'PO-7',
    created: 1_767_603_600,
    scheduledDate: 1_767_700_000,
    dueBy: 1_767_800_000,
  },
  serviceLines: [{ id: 11, name: 'HVAC', abbr: 'HVAC' }],
  items: [
    { id: 1, name: 'Air filter 20x20x1, pleated, MERV 13, box of twelve', description: null, quantity: 4.125, cost: 6.505, price: 14.333, uom: 'each', libItem: { code: 'FILTER-20' } },
    { id: 2, name: 'V-belt A42', description: null, quantity: 2, cost: 9.25, price: 22.5, uom: 'EA', libItem: { code: 'BELT-A42' } },
    { id: 3, name: 'Condensate pan tablets', description: null, quantity: 1, cost: null, price: 25, uom: null, libItem: null },
    { id: 4, name: 'Technician labor', description: null, quantity: 3.5, cost: 45, price: 110, uom: 'hour', libItem: { code: 'LABOR', type: 'labor' } },
  ],
  customerCode: demoSpectrumData.sites![0].Customer_Code,
  siteCode: demoSpectrumData.sites![0].Site_Code,
};
const SETTINGS: WorkOrderSettings = {
  workOrderTypeMap: [],
  defaultWorkOrderTypeCode: 'SVC',
  defaultLeadSourceCode: 'SERVICETRADE',
  defaultWarehouseCode: 'MAIN',
  workOrderNumberLeadingCharacter: 'S',
  otherItemCode: 'MISC',
  timeZone: 'America/Chicago',
};

let sim: SpectrumSimulator;
let proxy: Awaited<ReturnType<typeof recordingProxy>>;
let client: SpectrumClient;

beforeAll(async () => {
  sim = await startSpectrumSimulator({ port: 0, authorizations: [demoSpectrumAuthorization(AUTHORIZATION_ID)], settings: demoSpectrumSettings, seed: demoSpectrumData });
  proxy = await recordingProxy(sim.url);
  client = new SpectrumClient({ webServicesUrl: `${proxy.url}/ws`, authorizationId: AUTHORIZATION_ID, timeoutMs: 5000 });

  // The job flow's Spectrum steps, through its activities: header, lines, lines again after a change, compensation.
  const activities: JobToWorkOrderActivities = createJobToWorkOrderActivities({
    servicetrade: {} as never,
    spectrum: client,
    jobSync: { externalSystemName: 'spectrum', customerListRefreshMs: 30_000 } as Config['jobSync'],
    temporal: { client: {} as never },
  });
  const env = new MockActivityEnvironment();
  const mapping = mapJobToWorkOrder(JOB, SETTINGS);
  expect(mapping.problems).toEqual([]);
  const guid = 'contract-guid';
  await env.run(activities.upsertWorkOrderHeader, { jobId: 77, guid, header: mapping.header });
  const first: ConvergeLinesResult = await env.run(activities.convergeWorkOrderLines, { jobId: 77, guid, workOrderNumber: mapping.workOrderNumber, groups: lineGroups(mapping.lines), previous: {} });
  const changed = mapJobToWorkOrder({ ...JOB, items: JOB.items.map((i) => (i.id === 2 ? { ...i, quantity: 3 } : i)).filter((i) => i.id !== 3) }, SETTINGS);
  await env.run(activities.convergeWorkOrderLines, { jobId: 77, guid, workOrderNumber: changed.workOrderNumber, groups: lineGroups(changed.lines), previous: first.lineGroups });
  await env.run(activities.compensateWorkOrder, { jobId: 77, guid, workOrderNumber: mapping.workOrderNumber, itemCodes: Object.keys(first.lineGroups), reason: 'contract test' });
  await client.getCustomers(guid, { status: 'ALL' });

  // Error replies: each service called under an Authorization ID Spectrum does not know, and refusals of bad values.
  const stranger = new SpectrumClient({ webServicesUrl: `${proxy.url}/ws`, authorizationId: 'NOBODY', timeoutMs: 5000 });
  const refusals: Array<Promise<unknown>> = [
    stranger.workOrderHeader('g2', mapping.header),
    stranger.addWOMaterialCost('g2', { ...mapping.lines[0].fields, WO_Number: mapping.workOrderNumber }),
    stranger.deleteWOMaterialCost('g2', { System_Key: '1', WO_Number: mapping.workOrderNumber, Item_Code: 'BELT-A42' }),
    stranger.getWOMaterialCost('g2', mapping.workOrderNumber),
    stranger.woHeaderNotes('g2', { WO_Number: mapping.workOrderNumber, Notes_Topic: 'FieldBridge', Notes_Text: 'x' }),
    stranger.getCustomers('g2'),
    client.getWOMaterialCost(guid, 'NOPE'),
    client.addWOMaterialCost(guid, { WO_Number: mapping.workOrderNumber, Item_Code: 'GHOST', Quantity_Used: '1' }),
    client.deleteWOMaterialCost(guid, { System_Key: 'GONE', WO_Number: mapping.workOrderNumber, Item_Code: 'BELT-A42' }),
  ];
  for (const refusal of refusals) await refusal.then(() => undefined, () => undefined);
  await stranger.close();
}, 60_000);

afterAll(async () => {
  await client?.close();
  await proxy?.close();
  await sim?.close();
});

describe('the reference tables', () => {
  it('one table per service the client and the simulator know, each naming its source', () => {
    expect(SERVICES).toEqual([...SPECTRUM_SERVICE_NAMES].sort());
    for (const service of SERVICES) {
      const table = TABLES[service];
      expect(table.method).toBe(service);
      // Trimble's help pages, under either of its hosts (help.viewpoint.com is the same site).
      expect(table.source.url).toMatch(/^https:\/\/help\.(trimble\.com\/en|viewpoint\.com)\/spectrum\/spectrum\/api-web-services\//);
      expect(table.parameters.slice(0, 2).map((p) => p.name)).toEqual(['Authorization_ID', 'GUID']);
      expect(new Set(table.parameters.map((p) => p.name)).size).toBe(table.parameters.length);
    }
  });

  it('AddWOMaterialCost declares the page\'s 24 fields after Company_Code; DeleteWOMaterialCost takes the System_Key', () => {
    const add = TABLES.AddWOMaterialCost.parameters.map((p) => p.name);
    expect(add.slice(add.indexOf('Company_Code') + 1)).toHaveLength(24);
    for (const name of ['GL_Department', 'Task_Complete', 'WO_Site_Equipment', 'Component_Number', 'SC_Contract', 'Show_Invoice_Detail', 'Bill_Manufacturer', 'Mfg_Tax_Flag', 'Mfg_Code', 'Mfg_Unit_Price']) {
      expect(add).toContain(name);
    }
    expect(TABLES.AddWOMaterialCost.parameters.find((p) => p.name === 'Unit_Of_Measure')).toMatchObject({ maxLength: 2 });
    expect(TABLES.DeleteWOMaterialCost.parameters.find((p) => p.name === 'System_Key')).toMatchObject({ maxLength: 24, required: true });
  });
});

describe.each(SERVICES)('%s', (service) => {
  const table = () => TABLES[service];
  const exchanges = () => proxy.exchanges.filter((e) => e.service === service);

  it('is called by FieldBridge, and answered with rows and with errors', () => {
    expect(exchanges().length).toBeGreaterThan(0);
    expect(exchanges().some((e) => e.status === 200 && rowsOf(e.reply, service).some((r) => ['A', 'I', 'M', 'E'].includes(String(r.error_code ?? r.Error_Code ?? ''))))).toBe(true);
  });

  it('every envelope the client sent carries exactly the declared parameters, in order, each within the table\'s rules', () => {
    const declared = table().parameters.map((p) => p.name);
    for (const exchange of exchanges()) {
      const operation = operationOf(exchange.request);
      expect(operation.name).toBe(service);
      expect(operation.params.map(([name]) => name)).toEqual(declared);
      const broken = operation.params.map(([name, value]) => violation(table(), name, value)).filter(Boolean);
      expect(broken).toEqual([]);
    }
  });

  it('every reply the simulator sent holds only declared columns and documented error codes', () => {
    const get = table().returns !== undefined;
    const columns = get ? table().returns!.map((c) => c.name) : ['error_code', 'desc', 'column'];
    const codes: readonly string[] = get ? GET_ERROR_CODES : PUT_ERROR_CODES;
    for (const exchange of exchanges()) {
      const parsed = parseReply(exchange.reply, service as SpectrumService);
      if (parsed.kind === 'fault') continue;
      for (const row of rowsOf(exchange.reply, service)) {
        expect(Object.keys(row).filter((name) => !columns.includes(name))).toEqual([]);
        expect(codes).toContain(String(row[get ? 'Error_Code' : 'error_code'] ?? ''));
      }
    }
  });

  it('the simulator refuses, as SDX does, an envelope missing any one declared parameter (SOAP-ENV:Client fault)', async () => {
    const params = Object.fromEntries(table().parameters.map((p) => [p.name, p.name === 'Authorization_ID' ? AUTHORIZATION_ID : '']));
    for (const missing of table().parameters.map((p) => p.name)) {
      const envelope = buildRequestEnvelope(service as SpectrumService, params).replace(new RegExp(`<${missing}></${missing}>|<${missing}>[^<]*</${missing}>`), '');
      expect(operationOf(envelope).params.map(([name]) => name)).not.toContain(missing);
      const answer = await request(`${sim.url}/ws/${service}`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8' }, body: envelope });
      const reply = await answer.body.text();
      expect(answer.statusCode).toBe(500);
      expect(parseReply(reply, service as SpectrumService)).toMatchObject({ kind: 'fault', faultKind: 'Client', faultstring: expect.stringContaining(missing) });
    }
  });
});
