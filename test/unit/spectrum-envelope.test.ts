/**
 * Spectrum SOAP envelopes and reply handling, without the simulator: the request envelope (every
 * declared parameter, escaping), every reply code as the client reads it (served verbatim by a
 * plain HTTP server), SOAP faults, the truncated reply, and Spectrum's date and time formats.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { PermanentError, PermanentErrorTypes, TransientError } from '../../common/errors';
import { SpectrumClient } from '../../connectors/spectrum/client';
import {
  EnvelopeError,
  ReplyFormatError,
  buildFaultEnvelope,
  buildReplyEnvelope,
  buildRequestEnvelope,
  parseReply,
  truncateAfterLastResponse,
} from '../../connectors/spectrum/envelope';
import {
  MAX_LENGTHS,
  REQUIRED_FIELDS,
  SPECTRUM_NAMESPACE,
  SPECTRUM_SERVICE_NAMES,
  WORK_ORDER_HEADER_FIELDS,
  declaredParameters,
  isSpectrumDate,
  isSpectrumTime,
  spectrumDate,
  spectrumTime,
} from '../../connectors/spectrum/limits';
import { spectrumPermission } from '../../connectors/spectrum/permissions';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, trimValues: false });

function operationOf(xml: string, service: string): Record<string, string> {
  const doc = parser.parse(xml);
  return doc['soap:Envelope']['soap:Body'][service];
}

describe('request envelope', () => {
  it('carries every declared parameter of WorkOrderHeader, in order, empty when not given', () => {
    const xml = buildRequestEnvelope('WorkOrderHeader', { Authorization_ID: 'FIELDBRIDGE', GUID: 'g-1', WO_Number: 'S12345678' });
    const operation = operationOf(xml, 'WorkOrderHeader');
    expect(operation['@_xmlns']).toBe(SPECTRUM_NAMESPACE);
    const params = Object.keys(operation).filter((key) => !key.startsWith('@_'));
    expect(params).toEqual(['Authorization_ID', 'GUID', 'Company_Code', ...Object.keys(WORK_ORDER_HEADER_FIELDS)]);
    expect(params).toContain('Scheduled_Start_Time');
    expect(params).toContain('Markup_Code');
    expect(operation.WO_Number).toBe('S12345678');
    expect(operation.Company_Code).toBe('');
    expect(operation.Lead_Source).toBe('');
  });

  it('GetCustomers carries its p-prefixed parameters and no Company_Code', () => {
    expect(declaredParameters('GetCustomers')).toEqual(['Authorization_ID', 'GUID', 'pCompany_Code', 'pStatus']);
    const operation = operationOf(buildRequestEnvelope('GetCustomers', { Authorization_ID: 'A', GUID: 'g' }), 'GetCustomers');
    expect(Object.keys(operation).filter((key) => !key.startsWith('@_'))).toEqual(['Authorization_ID', 'GUID', 'pCompany_Code', 'pStatus']);
  });

  it('escapes <, &, > and quotes in values, which read back unchanged', () => {
    const nasty = `Pipe <2"> & "elbow" 'x' </Summary_Description><Injected>1</Injected>`;
    const xml = buildRequestEnvelope('WorkOrderHeader', { Authorization_ID: 'A', GUID: 'g', Summary_Description: nasty });
    expect(xml).not.toContain('<Injected>');
    expect(xml).toContain('&lt;2&quot;&gt; &amp; ');
    expect(operationOf(xml, 'WorkOrderHeader').Summary_Description).toBe(nasty);
  });

  it('refuses a parameter the service does not declare', () => {
    expect(() => buildRequestEnvelope('AddWOMaterialCost', { Authorization_ID: 'A', GUID: 'g', Lead_Source: 'WEB' })).toThrow(EnvelopeError);
    expect(() => buildRequestEnvelope('AddWOMaterialCost', { Authorization_ID: 'A', GUID: 'g', Lead_Source: 'WEB' })).toThrow(/declares no parameter Lead_Source/);
  });

  it('publishes the limits of API-NOTES', () => {
    expect(MAX_LENGTHS.WorkOrderHeader).toMatchObject({ Authorization_ID: 20, GUID: 36, Company_Code: 3, WO_Number: 10, WO_Reference_Code: 1, WO_Job_Division: 5, Customer_PO_Number: 25, Summary_Description: 250, Lead_Source: 15, Sales_Person: 3, WO_Phone1: 14 });
    expect(MAX_LENGTHS.AddWOMaterialCost.Item_Code).toBe(15);
    expect(MAX_LENGTHS.WOHeaderNotes.Notes_Text).toBe(1000);
    expect(REQUIRED_FIELDS.WorkOrderHeader).toEqual(['Authorization_ID', 'GUID', 'WO_Reference_Code', 'WO_Job_Number']);
  });
});

describe('parseReply', () => {
  const rows = [
    { error_code: 'G', desc: 'Line 1 added', column: 'WO_Number' },
    { error_code: 'G', desc: 'Default warehouse MAIN used', column: 'Warehouse_Code' },
    { error_code: 'W', desc: 'Price & cost differ <check>', column: 'Unit_Price' },
  ];

  it('reads every <response> row of a complete reply, entities decoded', () => {
    expect(parseReply(buildReplyEnvelope('AddWOMaterialCost', rows), 'AddWOMaterialCost')).toEqual({ kind: 'rows', rows, truncated: false });
  });

  it('reads the complete rows of a reply cut after its last </response>', () => {
    const cut = truncateAfterLastResponse(buildReplyEnvelope('AddWOMaterialCost', rows));
    expect(cut.endsWith('</response>')).toBe(true);
    expect(parseReply(cut, 'AddWOMaterialCost')).toEqual({ kind: 'rows', rows, truncated: true });
  });

  it('drops the incomplete last row of a reply cut inside it', () => {
    const full = buildReplyEnvelope('AddWOMaterialCost', rows);
    const cut = full.slice(0, full.lastIndexOf('<desc>') + 8);
    expect(parseReply(cut, 'AddWOMaterialCost')).toEqual({ kind: 'rows', rows: rows.slice(0, 2), truncated: true });
  });

  it('says a reply cut before any complete row was cut off', () => {
    const full = buildReplyEnvelope('AddWOMaterialCost', rows);
    const cut = full.slice(0, full.indexOf('</response>') - 3);
    expect(() => parseReply(cut, 'AddWOMaterialCost')).toThrow(ReplyFormatError);
    try {
      parseReply(cut, 'AddWOMaterialCost');
    } catch (err) {
      expect((err as ReplyFormatError).cutOff).toBe(true);
    }
  });

  it('reads SOAP faults and their kind', () => {
    expect(parseReply(buildFaultEnvelope('Server', 'Error executing Web Service'), 'WorkOrderHeader')).toEqual({
      kind: 'fault',
      faultcode: 'SOAP-ENV:Server',
      faultstring: 'Error executing Web Service',
      faultKind: 'Server',
    });
    expect(parseReply(buildFaultEnvelope('Client', 'missing parameter GUID'), 'WorkOrderHeader')).toMatchObject({ faultKind: 'Client' });
  });

  it('refuses a reply to another operation and an HTML page', () => {
    expect(() => parseReply(buildReplyEnvelope('GetCustomers', []), 'WorkOrderHeader')).toThrow(/holds no WorkOrderHeaderResponse/);
    expect(() => parseReply('<html><body><h1>502 Bad Gateway</h1></body></html>', 'WorkOrderHeader')).toThrow(ReplyFormatError);
  });
});

/** A plain HTTP server answering each request with the next canned reply. */
interface Canned {
  status: number;
  body: string;
}
async function startCannedServer(replies: Canned[]): Promise<{ url: string; received: Array<{ url: string; headers: IncomingHttpHeaders; body: string }>; close(): Promise<void> }> {
  const received: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = replies.shift() ?? { status: 200, body: buildReplyEnvelope('WorkOrderHeader', []) };
      res.writeHead(reply.status, { 'content-type': 'text/xml; charset=utf-8' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('SpectrumClient reading each reply', () => {
  let server: Awaited<ReturnType<typeof startCannedServer>>;
  let client: SpectrumClient;
  const replies: Canned[] = [];

  beforeEach(async () => {
    replies.length = 0;
    server = await startCannedServer(replies);
    client = new SpectrumClient({ webServicesUrl: `${server.url}/ws`, authorizationId: 'FIELDBRIDGE', companyCode: 'Z01', timeoutMs: 2000 });
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  const answer = (service: string, rows: Array<Record<string, string>>, status = 200) => replies.push({ status, body: buildReplyEnvelope(service, rows) });
  const header = { WO_Number: 'S12345678', WO_Reference_Code: 'S', WO_Job_Number: 'SITE1' };
  const failureOf = async (promise: Promise<unknown>): Promise<Error> => {
    try {
      await promise;
    } catch (err) {
      return err as Error;
    }
    throw new Error('expected the call to fail');
  };

  it('POSTs to ${webServicesUrl}/${Service} with text/xml, the SOAPAction and Company_Code', async () => {
    answer('WorkOrderHeader', [{ error_code: 'G', desc: 'Work order added', column: 'WO_Number' }]);
    await client.workOrderHeader('guid-1', header);
    const [request] = server.received;
    expect(request.url).toBe('/ws/WorkOrderHeader');
    expect(request.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(request.headers.soapaction).toBe(`${server.url}/ws/WorkOrderHeader`);
    expect(request.headers.authorization).toBeUndefined();
    const operation = operationOf(request.body, 'WorkOrderHeader');
    expect(operation).toMatchObject({ Authorization_ID: 'FIELDBRIDGE', GUID: 'guid-1', Company_Code: 'Z01', WO_Number: 'S12345678' });
  });

  it.each(['S', 'G', 'W'])('answers the rows of a %s reply', async (code) => {
    const rows = [{ error_code: code, desc: `code ${code}`, column: 'WO_Number' }];
    answer('WorkOrderHeader', rows);
    await expect(client.workOrderHeader('g', header)).resolves.toEqual({ rows });
  });

  it('A -> SpectrumNotAuthorized naming column and desc (seed 001: the WorkOrderHeader permission)', async () => {
    const desc = 'The Web Service is not authorized. Authorization ID FIELDBRIDGE has no permission for WorkOrderHeader.';
    answer('WorkOrderHeader', [{ error_code: 'A', desc, column: 'Authorization_ID' }]);
    const err = await failureOf(client.workOrderHeader('g', header));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumNotAuthorized, system: 'spectrum' });
    expect(err.message).toContain(`Authorization_ID: ${desc.replace(/\.$/, '')}; the Authorization ID needs the web service WorkOrder -> WorkOrderHeader`);
  });

  it('I and M rows -> SpectrumRejected listing every error row, details {rows}', async () => {
    const rows = [
      { error_code: 'I', desc: 'Customer C9 does not exist', column: 'Bill_Customer_Code' },
      { error_code: 'M', desc: 'Lead source is required', column: 'Lead_Source' },
      { error_code: 'I', desc: 'Invalid date', column: 'Ordered_Date' },
    ];
    answer('WorkOrderHeader', rows);
    const err = await failureOf(client.workOrderHeader('g', header));
    expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumRejected, details: { rows } });
    expect(err.message).toContain('Bill_Customer_Code: Customer C9 does not exist; Lead_Source: Lead source is required; Ordered_Date: Invalid date');
  });

  it('"Time out has occurred" -> SpectrumSessionExpired', async () => {
    answer('AddWOMaterialCost', [{ error_code: 'A', desc: 'Time out has occurred', column: 'GUID' }]);
    const err = await failureOf(client.addWOMaterialCost('old-guid', { WO_Number: 'S1', Item_Code: 'PIPE', Quantity_Used: '1' }));
    expect(err).toMatchObject({ type: PermanentErrorTypes.SpectrumSessionExpired });
  });

  it('an unknown error_code is an InvalidResponse, not a success', async () => {
    answer('WorkOrderHeader', [{ error_code: 'X', desc: 'odd', column: '' }]);
    await expect(client.workOrderHeader('g', header)).rejects.toMatchObject({ type: PermanentErrorTypes.InvalidResponse });
  });

  it('SOAP-ENV:Server "Error executing Web Service" (HTTP 500) -> TransientError, outcome unknown', async () => {
    replies.push({ status: 500, body: buildFaultEnvelope('Server', 'Error executing Web Service') });
    const err = await failureOf(client.workOrderHeader('g', header));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).outcome).toBe('unknown');
    expect(err.message).toContain('Error executing Web Service');
  });

  it('SOAP-ENV:Client fault (a bad or missing parameter) -> InvalidRequest', async () => {
    replies.push({ status: 500, body: buildFaultEnvelope('Client', 'missing parameter(s) Company_Code of WorkOrderHeader') });
    const err = await failureOf(client.workOrderHeader('g', header));
    expect(err).toMatchObject({ type: PermanentErrorTypes.InvalidRequest });
    expect(err.message).toContain('missing parameter(s) Company_Code');
  });

  it('503 -> TransientError not-processed; 500 without a fault -> unknown; 403 -> AuthenticationFailed', async () => {
    replies.push({ status: 503, body: 'busy' }, { status: 500, body: '<html>oops</html>' }, { status: 403, body: 'no' });
    const unavailable = await failureOf(client.workOrderHeader('g', header));
    expect(unavailable).toBeInstanceOf(TransientError);
    expect((unavailable as TransientError).outcome).toBe('not-processed');
    const broken = await failureOf(client.workOrderHeader('g', header));
    expect((broken as TransientError).outcome).toBe('unknown');
    await expect(client.workOrderHeader('g', header)).rejects.toMatchObject({ type: PermanentErrorTypes.AuthenticationFailed });
  });

  it('a truncated reply still yields every complete row', async () => {
    const rows = [
      { error_code: 'G', desc: 'Material line 4 added', column: 'WO_Number' },
      { error_code: 'G', desc: 'Default warehouse MAIN used', column: 'Warehouse_Code' },
    ];
    replies.push({ status: 200, body: truncateAfterLastResponse(buildReplyEnvelope('AddWOMaterialCost', rows)) });
    await expect(client.addWOMaterialCost('g', { WO_Number: 'S1', Item_Code: 'PIPE', Quantity_Used: '1' })).resolves.toEqual({ rows });
  });

  it('a truncated reply whose complete rows hold an error still throws', async () => {
    const rows = [{ error_code: 'I', desc: 'Item X does not exist', column: 'Item_Code' }];
    replies.push({ status: 200, body: truncateAfterLastResponse(buildReplyEnvelope('AddWOMaterialCost', rows)) });
    await expect(client.addWOMaterialCost('g', { WO_Number: 'S1', Item_Code: 'X', Quantity_Used: '1' })).rejects.toMatchObject({ type: PermanentErrorTypes.SpectrumRejected });
  });

  it('GetCustomers: data rows become customers, a W row makes the list partial, truncated pages keep their complete rows', async () => {
    const blank = { Address_1: '', Address_2: '', City: '', State: '', Zip_Code: '', First_Name: '', Last_Name: '', Phone_Number: '', Email1: '', Price_Level_Material: '', Taxable_Flag: '' };
    const data = [
      { Company_Code: 'Z01', Customer_Code: 'C1', Name: 'Acme & Sons', ...blank, Status: 'Active', Error_Code: '', Error_Description: '', Error_Column: '' },
      { Company_Code: 'Z01', Customer_Code: 'C2', Name: 'Beta', ...blank, Status: 'Inactive', Error_Code: '', Error_Description: '', Error_Column: '' },
      { Company_Code: '', Customer_Code: '', Name: '', ...blank, Status: '', Error_Code: 'W', Error_Description: 'Records exceed maximum', Error_Column: '' },
    ];
    replies.push({ status: 200, body: truncateAfterLastResponse(buildReplyEnvelope('GetCustomers', data)) });
    const list = await client.getCustomers('g');
    expect(list.customers.map((c) => [c.Customer_Code, c.Name, c.Status])).toEqual([
      ['C1', 'Acme & Sons', 'Active'],
      ['C2', 'Beta', 'Inactive'],
    ]);
    expect(list.complete).toBe(false);
    expect(operationOf(server.received[0].body, 'GetCustomers')).toMatchObject({ pCompany_Code: 'Z01', pStatus: '' });
  });

  it('GetCustomers: an E row (Get services report errors with E) is an error, not a row to skip', async () => {
    const blank = Object.fromEntries(['Company_Code', 'Customer_Code', 'Name', 'Status'].map((c) => [c, '']));
    replies.push({ status: 200, body: buildReplyEnvelope('GetCustomers', [{ ...blank, Error_Code: 'E', Error_Description: 'Company Z01 is not valid', Error_Column: 'pCompany_Code' }]) });
    await expect(client.getCustomers('g')).rejects.toMatchObject({ type: PermanentErrorTypes.SpectrumRejected, message: expect.stringContaining('pCompany_Code: Company Z01 is not valid') });
    replies.push({ status: 200, body: buildReplyEnvelope('GetCustomers', [{ ...blank, Error_Code: 'E', Error_Description: 'The web service is not Authorized', Error_Column: 'Authorization_ID' }]) });
    await expect(client.getCustomers('g')).rejects.toMatchObject({ type: PermanentErrorTypes.SpectrumNotAuthorized, details: { permission: 'AccountsReceivable -> GetCustomers' } });
  });

  it('refuses an undeclared field before sending anything', async () => {
    const fields = { ...header, Not_A_Field: 'x' } as unknown as Parameters<SpectrumClient['workOrderHeader']>[1];
    await expect(client.workOrderHeader('g', fields)).rejects.toMatchObject({ type: PermanentErrorTypes.InvalidRequest });
    expect(server.received).toHaveLength(0);
  });
});

describe('spectrumDate / spectrumTime', () => {
  it('formats an instant in UTC by default', () => {
    const instant = new Date('2025-03-07T23:04:05Z');
    expect(spectrumDate(instant)).toBe('03/07/2025');
    expect(spectrumTime(instant)).toBe('230405');
    expect(spectrumDate('2025-03-07T23:04:05Z')).toBe('03/07/2025');
  });

  it('formats in a given time zone', () => {
    const instant = new Date('2025-03-07T23:04:05Z');
    expect(spectrumDate(instant, { timeZone: 'Europe/Oslo' })).toBe('03/08/2025');
    expect(spectrumTime(instant, { timeZone: 'Europe/Oslo' })).toBe('000405');
    expect(spectrumTime(instant, { timeZone: 'America/Chicago' })).toBe('170405');
  });

  it('writes a date-only string as that calendar date, and refuses invalid dates', () => {
    expect(spectrumDate('2024-02-29')).toBe('02/29/2024');
    expect(() => spectrumDate('2023-02-29')).toThrow(RangeError);
    expect(() => spectrumDate('not a date')).toThrow(RangeError);
  });

  it('recognises MM/DD/CCYY (slash or dash) and HHMMSS', () => {
    expect(['03/07/2025', '03-07-2025', '12/31/1999'].every(isSpectrumDate)).toBe(true);
    expect(['2025-03-07', '3/7/2025', '13/01/2025', '02/30/2025', '03/07-2025'].some(isSpectrumDate)).toBe(false);
    expect(['000000', '235959', '120000'].every(isSpectrumTime)).toBe(true);
    expect(['240000', '126000', '12:00:00', '1200'].some(isSpectrumTime)).toBe(false);
  });
});

describe('Data Exchange permissions', () => {
  it('every service the client calls names the web service an operator grants, by its module', () => {
    expect(Object.fromEntries(SPECTRUM_SERVICE_NAMES.map((service) => [service, spectrumPermission(service)]))).toEqual(
      Object.fromEntries(SPECTRUM_SERVICE_NAMES.map((service) => [service, `${service === 'GetCustomers' ? 'AccountsReceivable' : 'WorkOrder'} -> ${service}`])),
    );
  });
});
