/**
 * GetCustomers against its reference, connectors/spectrum/reference/GetCustomers.json (transcribed
 * from Trimble's Get Customers page): the envelope SpectrumClient sends and the rows the simulator
 * answers are read back with fast-xml-parser and compared with the file, element by element and in
 * order, each value within its max length and among its values. So the client, the simulator and
 * the code's own tables (limits.ts) cannot drift from the page apart.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { request } from 'undici';
import reference from '../../connectors/spectrum/reference/GetCustomers.json';
import { SpectrumClient } from '../../connectors/spectrum/client';
import { CUSTOMER_COLUMNS, GET_CUSTOMERS_FIELDS, declaredParameters, fieldRule } from '../../connectors/spectrum/limits';
import { startSpectrumSimulator, type SpectrumSimulator } from '../../connectors/spectrum/simulator';

interface ReferenceField {
  name: string;
  type: 'string' | 'number' | 'date' | 'time' | 'flag';
  maxLength: number;
  required: boolean;
  values?: string[];
  description: string;
}
const parameters = reference.parameters as ReferenceField[];
const returns = reference.returns as ReferenceField[];

/** Child elements of an element as [name, text] in document order (preserveOrder keeps the order the page's table gives). */
type Ordered = Array<Record<string, unknown>>;
const parser = new XMLParser({ preserveOrder: true, removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, trimValues: true });
function nameOf(node: Record<string, unknown>): string {
  return Object.keys(node).find((key) => key !== ':@')!;
}
function child(nodes: Ordered, name: string): Ordered {
  const found = nodes.find((node) => nameOf(node) === name);
  if (!found) throw new Error(`no <${name}> among ${nodes.map(nameOf).join(', ')}`);
  return found[name] as Ordered;
}
function fields(nodes: Ordered): Array<[string, string]> {
  return nodes.map((node) => {
    const name = nameOf(node);
    const text = (node[name] as Ordered).find((c) => '#text' in c)?.['#text'];
    return [name, text === undefined ? '' : String(text)];
  });
}

/** Problems of one value against its reference field (blank is "not given"). */
function problemsOf(field: ReferenceField, value: string): string[] {
  if (value === '') return [];
  const problems: string[] = [];
  if (value.length > field.maxLength) problems.push(`${field.name}: "${value}" is longer than ${field.maxLength}`);
  if (field.values && !field.values.includes(value)) problems.push(`${field.name}: "${value}" is not one of ${field.values.join(', ')}`);
  if (field.type === 'number' && Number.isNaN(Number(value))) problems.push(`${field.name}: "${value}" is no number`);
  return problems;
}

describe('GetCustomers matches its reference (Get Customers page)', () => {
  let sim: SpectrumSimulator;
  let proxy: Server;
  const exchanges: Array<{ request: string; reply: string }> = [];

  beforeAll(async () => {
    sim = await startSpectrumSimulator({
      authorizations: [{ id: 'FIELDBRIDGE', companies: ['Z01'], permissions: ['GetCustomers'] }],
      settings: { leadSourceRequired: false, maxGetRows: 3 },
      seed: {
        customers: [
          {
            Customer_Code: 'ACME',
            Name: 'Acme Mechanical',
            Address_1: '100 Commerce Dr',
            Address_2: 'Suite 200',
            City: 'Raleigh',
            State: 'NC',
            Zip_Code: '27601',
            First_Name: 'Dana',
            Last_Name: 'Whitfield',
            Phone_Number: '(919) 555-0100',
            Email1: 'dana@acme.example',
            Price_Level_Material: '2',
            Taxable_Flag: 'Taxable',
          },
          { Customer_Code: 'BETA', Name: 'Beta Foods', Status: 'Inactive', Taxable_Flag: 'Non-Taxable' },
          { Customer_Code: 'DELTA', Name: 'Delta Dairy', Status: 'Not Used', Taxable_Flag: 'No Default' },
          { Customer_Code: 'ECHO', Name: 'Echo Labs' },
        ],
      },
    });
    // Between the client and the simulator: keeps each request envelope and reply as sent.
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        void request(`${sim.url}${req.url ?? ''}`, { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? 'text/xml' }, body }).then(async (answer) => {
          const reply = await answer.body.text();
          exchanges.push({ request: body, reply });
          res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'text/xml') }).end(reply);
        });
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await sim.close();
  });

  it('the code tables are the reference: declared parameters, their max lengths and values, the returned columns', () => {
    expect(reference).toMatchObject({ service: 'GetCustomers', method: 'GetCustomers' });
    expect(declaredParameters('GetCustomers')).toEqual(parameters.map((p) => p.name));
    for (const p of parameters) {
      expect({ name: p.name, max: fieldRule('GetCustomers', p.name)?.max, values: fieldRule('GetCustomers', p.name)?.values }).toEqual({
        name: p.name,
        max: p.maxLength,
        values: p.values,
      });
    }
    // The service's own fields; pCompany_Code is ruled with the session fields (it defaults from the Authorization ID).
    expect(Object.keys(GET_CUSTOMERS_FIELDS)).toEqual(parameters.slice(2).map((p) => p.name).filter((name) => name !== 'pCompany_Code'));
    expect([...CUSTOMER_COLUMNS, 'Error_Code', 'Error_Description', 'Error_Column']).toEqual(returns.map((r) => r.name));
  });

  it.each([
    ['' as const, ['ACME', 'ECHO']],
    ['I' as const, ['ACME', 'BETA', 'ECHO']],
    // Four customers, three answered at most: the list is cut (and ends with a W row).
    ['ALL' as const, ['ACME', 'BETA', 'DELTA']],
  ])('pStatus "%s": the envelope sent and every row answered are as the reference lists them', async (status, codes) => {
    exchanges.length = 0;
    const client = new SpectrumClient({ webServicesUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/ws`, authorizationId: 'FIELDBRIDGE', companyCode: 'Z01', timeoutMs: 2000 });
    try {
      const list = await client.getCustomers('0f8fad5b-d9cb-469f-a165-70867728950e', { status });
      expect(list.customers.map((c) => c.Customer_Code)).toEqual(codes);
    } finally {
      await client.close();
    }
    expect(exchanges).toHaveLength(1);
    const [{ request: sent, reply }] = exchanges;

    // The envelope: <GetCustomers> holds exactly the page's parameters, in its order, each value valid.
    const operation = child(child(child(parser.parse(sent) as Ordered, 'Envelope'), 'Body'), 'GetCustomers');
    const params = fields(operation);
    expect(params.map(([name]) => name)).toEqual(parameters.map((p) => p.name));
    expect(params.flatMap(([name, value]) => problemsOf(parameters.find((p) => p.name === name)!, value))).toEqual([]);
    expect(Object.fromEntries(params)).toMatchObject({ Authorization_ID: 'FIELDBRIDGE', pCompany_Code: 'Z01', pStatus: status });

    // The reply: every <response> row carries the page's return columns, in its order, each value valid.
    const rows = child(child(child(child(child(parser.parse(reply) as Ordered, 'Envelope'), 'Body'), 'GetCustomersResponse'), 'returnArray'), 'returnData')
      .filter((node) => nameOf(node) === 'response')
      .map((node) => fields(node.response as Ordered));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.map(([name]) => name)).toEqual(returns.map((r) => r.name));
      expect(row.flatMap(([name, value]) => problemsOf(returns.find((r) => r.name === name)!, value))).toEqual([]);
    }
    expect(rows.map((row) => Object.fromEntries(row)).filter((row) => row.Customer_Code !== '').map((row) => `${row.Customer_Code} ${row.Status}`)).toEqual(
      codes.map((code) => `${code} ${({ ACME: 'Active', BETA: 'Inactive', DELTA: 'Not Used', ECHO: 'Active' })[code]}`),
    );
  });

  it('past the maximum, the trailing W row has the reference columns too, and the client reads the list as partial', async () => {
    sim.state.seed({ customers: [{ Customer_Code: 'ALPHA', Name: 'Alpha Air' }, { Customer_Code: 'AZURE', Name: 'Azure Pools' }] });
    exchanges.length = 0;
    const client = new SpectrumClient({ webServicesUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/ws`, authorizationId: 'FIELDBRIDGE', timeoutMs: 2000 });
    try {
      expect(await client.getCustomers('g', { status: 'ALL' })).toMatchObject({ complete: false, warnings: [expect.objectContaining({ error_code: 'W' })] });
    } finally {
      await client.close();
    }
    const rows = child(child(child(child(child(parser.parse(exchanges[0].reply) as Ordered, 'Envelope'), 'Body'), 'GetCustomersResponse'), 'returnArray'), 'returnData').map(
      (node) => fields(node.response as Ordered),
    );
    const last = rows[rows.length - 1];
    expect(last.map(([name]) => name)).toEqual(returns.map((r) => r.name));
    expect(Object.fromEntries(last)).toMatchObject({ Customer_Code: '', Error_Code: 'W' });
  });
});
