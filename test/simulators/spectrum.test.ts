/**
 * The Spectrum simulator at the wire: SOAP faults for malformed requests, its WSDLs driven by an
 * independent SOAP client (the `soap` package), the token endpoint, admin routes and faults.
 */
import * as soap from 'soap';
import { request } from 'undici';
import { XMLParser } from 'fast-xml-parser';
import { buildRequestEnvelope, parseReply } from '../../connectors/spectrum/envelope';
import { declaredParameters, type SpectrumService } from '../../connectors/spectrum/limits';
import { type SpectrumSimulator, startSpectrumSimulator } from '../../connectors/spectrum/simulator';
import { call } from './helpers';

const METHODS = ['WorkOrderHeader', 'AddWOMaterialCost', 'WOHeaderNotes', 'DeleteWOMaterialCost', 'GetWOMaterialCost', 'GetCustomers'];

async function postXml(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', ...headers }, body });
  return { status: res.statusCode, contentType: String(res.headers['content-type']), text: await res.body.text() };
}

/** Every declared parameter of the service, blank, with these values. */
function allParams(service: SpectrumService, values: Record<string, string>): Record<string, string> {
  return { ...Object.fromEntries(declaredParameters(service).map((name) => [name, ''])), ...values };
}

const header = { WO_Number: 'S12345678', WO_Reference_Code: 'S', WO_Job_Number: 'ACME-01', Bill_Customer_Code: 'ACME', Lead_Source: 'SERVICETRADE' };

describe('Spectrum simulator', () => {
  let sim: SpectrumSimulator;

  beforeEach(async () => {
    sim = await startSpectrumSimulator({
      authorizations: [{ id: 'FIELDBRIDGE', companies: ['Z01'], permissions: METHODS }],
      settings: { leadSourceRequired: true, defaultDivision: 'SVC' },
      seed: {
        customers: [{ Customer_Code: 'ACME', Name: 'Acme Mechanical' }],
        sites: [{ Site_Code: 'ACME-01', Customer_Code: 'ACME' }],
        divisions: ['SVC'],
        leadSources: ['SERVICETRADE'],
        warehouses: [{ Warehouse_Code: 'MAIN', default: true }],
        items: [{ Item_Code: 'FILTER-20' }],
      },
    });
  });
  afterEach(async () => {
    await sim.close();
  });

  const ws = (service: string) => `${sim.wsUrl}/${service}`;
  const admin = (path: string) => `${sim.url}/__admin${path}`;

  it('exposes the Web Services URL under /ws', () => {
    expect(sim.wsUrl).toBe(`${sim.url}/ws`);
  });

  describe('SOAP', () => {
    it('answers a call in SDX shape: SOAP-ENV prefix, encodingStyle, nis:<Service>Response/returnArray/returnData/response', async () => {
      const res = await postXml(ws('WorkOrderHeader'), buildRequestEnvelope('WorkOrderHeader', { Authorization_ID: 'FIELDBRIDGE', GUID: 'g', ...header, WO_Job_Division: 'SVC' }));
      expect(res.status).toBe(200);
      expect(res.contentType).toContain('text/xml');
      const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(res.text);
      const envelope = doc['SOAP-ENV:Envelope'];
      expect(envelope['@_SOAP-ENV:encodingStyle']).toBe('http://schemas.xmlsoap.org/soap/encoding/');
      const response = envelope['SOAP-ENV:Body']['nis:WorkOrderHeaderResponse'];
      expect(response['@_xmlns:nis']).toBe('http://www.northgate-is.com/proiv/webservices/types');
      expect(response.returnArray.returnData.response).toEqual({ error_code: 'G', desc: 'Work order S12345678 added.', column: 'WO_Number' });
    });

    it('a missing declared parameter is a SOAP-ENV:Client fault (HTTP 500), nothing applied', async () => {
      const full = buildRequestEnvelope('WorkOrderHeader', { Authorization_ID: 'FIELDBRIDGE', GUID: 'g', ...header });
      const withoutCompany = full.replace('<Company_Code></Company_Code>', '');
      expect(withoutCompany).not.toBe(full);
      const res = await postXml(ws('WorkOrderHeader'), withoutCompany);
      expect(res.status).toBe(500);
      expect(parseReply(res.text, 'WorkOrderHeader')).toEqual({
        kind: 'fault',
        faultcode: 'SOAP-ENV:Client',
        faultstring: 'missing parameter(s) Company_Code of WorkOrderHeader',
        faultKind: 'Client',
      });
      expect(sim.state.workOrders.size).toBe(0);
    });

    it('a body that is no SOAP envelope, or calls another operation, is a Client fault', async () => {
      const garbage = await postXml(ws('WorkOrderHeader'), '<not-closed>');
      expect(parseReply(garbage.text, 'WorkOrderHeader')).toMatchObject({ kind: 'fault', faultKind: 'Client' });
      const other = await postXml(ws('WorkOrderHeader'), buildRequestEnvelope('GetCustomers', { Authorization_ID: 'FIELDBRIDGE', GUID: 'g' }));
      expect(parseReply(other.text, 'WorkOrderHeader')).toMatchObject({ kind: 'fault', faultstring: 'the SOAP Body calls GetCustomers, not WorkOrderHeader' });
    });

    it('logs every request: service, GUID, Authorization_ID, bearer', async () => {
      await postXml(ws('GetCustomers'), buildRequestEnvelope('GetCustomers', { Authorization_ID: 'FIELDBRIDGE', GUID: 'guid-9' }));
      await postXml(ws('WorkOrderHeader'), buildRequestEnvelope('WorkOrderHeader', { Authorization_ID: 'FIELDBRIDGE', GUID: 'guid-9', ...header }));
      const log = (await call(admin('/state'))).json.requests;
      expect(log.map((r: Record<string, unknown>) => [r.service, r.guid, r.authorizationId, r.bearer, r.outcome])).toEqual([
        ['GetCustomers', 'guid-9', 'FIELDBRIDGE', false, 'rows'],
        ['WorkOrderHeader', 'guid-9', 'FIELDBRIDGE', false, 'rows'],
      ]);
      expect(sim.state.callsTo('WorkOrderHeader')).toHaveLength(1);
    });
  });

  describe('WSDL and an independent SOAP client', () => {
    it('serves a WSDL per service whose soap:address is the service endpoint', async () => {
      for (const path of ['/wsdls/AddWOMaterialCost.jws', '/wsdls/AddWOMaterialCost.jws?wsdl']) {
        const res = await request(`${sim.url}${path}`);
        const text = await res.body.text();
        expect(res.statusCode).toBe(200);
        const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true }).parse(text);
        expect(doc.definitions.service.port.address['@_location']).toBe(`${sim.url}/ws/AddWOMaterialCost`);
        const params = doc.definitions.types.schema.element[0].complexType.sequence.element.map((e: Record<string, string>) => e['@_name']);
        expect(params).toEqual(declaredParameters('AddWOMaterialCost'));
      }
      expect((await request(`${sim.url}/wsdls/GetJob.jws`)).statusCode).toBe(404);
    });

    it('the soap package, from the served WSDLs, calls WorkOrderHeader and AddWOMaterialCost and reads their rows', async () => {
      const headerClient = await soap.createClientAsync(`${sim.url}/wsdls/WorkOrderHeader.jws?wsdl`);
      const [headerResult] = await headerClient.WorkOrderHeaderAsync(allParams('WorkOrderHeader', { Authorization_ID: 'FIELDBRIDGE', GUID: 'soap-guid', ...header, Summary_Description: 'Belts & <filters>' }));
      const headerRows = [headerResult.returnArray.returnData.response].flat();
      expect(headerRows).toEqual([
        { error_code: 'G', desc: 'Work order S12345678 added.', column: 'WO_Number' },
        { error_code: 'G', desc: 'Default division SVC used for the site work order.', column: 'WO_Job_Division' },
      ]);

      const materialClient = await soap.createClientAsync(`${sim.url}/wsdls/AddWOMaterialCost.jws?wsdl`);
      const [lineResult] = await materialClient.AddWOMaterialCostAsync(
        allParams('AddWOMaterialCost', { Authorization_ID: 'FIELDBRIDGE', GUID: 'soap-guid', WO_Number: 'S12345678', Item_Code: 'FILTER-20', Quantity_Used: '2' }),
      );
      expect([lineResult.returnArray.returnData.response].flat()[0]).toEqual({ error_code: 'G', desc: 'Material line 1 (item FILTER-20) added to work order S12345678.', column: 'WO_Number' });
      const [refused] = await materialClient.AddWOMaterialCostAsync(
        allParams('AddWOMaterialCost', { Authorization_ID: 'FIELDBRIDGE', GUID: 'soap-guid', WO_Number: 'S12345678', Item_Code: 'GHOST', Quantity_Used: '2' }),
      );
      expect([refused.returnArray.returnData.response].flat()).toEqual([{ error_code: 'I', desc: 'Item GHOST does not exist.', column: 'Item_Code' }]);

      const order = sim.state.workOrder('S12345678');
      expect(order?.header.Summary_Description).toBe('Belts & <filters>');
      expect(order?.materials).toEqual([expect.objectContaining({ Sequence: 1, Item_Code: 'FILTER-20', Quantity_Used: '2', Warehouse_Code: 'MAIN' })]);
    });
  });

  describe('token endpoint', () => {
    it('issues tokens to known clients and counts every request', async () => {
      await sim.close();
      sim = await startSpectrumSimulator({
        authorizations: [{ id: 'FIELDBRIDGE', companies: ['Z01'], permissions: METHODS }],
        settings: { leadSourceRequired: false },
        enhancedAuth: { clients: [{ clientId: 'fb', clientSecret: 'secret', authorizationId: 'FIELDBRIDGE' }], tokenTtlSeconds: 900 },
      });
      const form = (fields: Record<string, string>) =>
        request(`${sim.url}/connect/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
      const good = await form({ client_id: 'fb', client_secret: 'secret', scope: 'spectrumapi', grant_type: 'client_credentials' });
      const token = (await good.body.json()) as Record<string, unknown>;
      expect(good.statusCode).toBe(200);
      expect(token).toEqual({ access_token: expect.any(String), expires_in: 900, token_type: 'Bearer', scope: 'spectrumapi' });

      const bad = await form({ client_id: 'fb', client_secret: 'nope', scope: 'spectrumapi', grant_type: 'client_credentials' });
      expect(bad.statusCode).toBe(400);
      expect(await bad.body.json()).toMatchObject({ error: 'invalid_client' });
      expect(sim.state.tokenRequests).toBe(2);

      const envelope = buildRequestEnvelope('GetCustomers', { Authorization_ID: 'FIELDBRIDGE', GUID: 'g' });
      expect((await postXml(ws('GetCustomers'), envelope)).status).toBe(401);
      expect((await postXml(ws('GetCustomers'), envelope, { authorization: `Bearer ${String(token.access_token)}` })).status).toBe(200);
    });
  });

  describe('admin', () => {
    it('seeds reference data, shows a work order, expires a GUID, resets to the start seed', async () => {
      expect((await call(admin('/seed'), { method: 'POST', body: { items: [{ Item_Code: 'BELT-A42' }], sites: [{ Site_Code: 'BETA-01', Customer_Code: 'ACME' }] } })).status).toBe(204);
      expect((await call(admin('/seed'), { method: 'POST', body: { items: [{ Item_Code: 'X'.repeat(16) }] } })).status).toBe(400);
      const send = (service: SpectrumService, values: Record<string, string>) => postXml(ws(service), buildRequestEnvelope(service, { Authorization_ID: 'FIELDBRIDGE', ...values }));
      await send('WorkOrderHeader', { GUID: 'g', ...header, WO_Job_Number: 'BETA-01' });
      await send('AddWOMaterialCost', { GUID: 'g', WO_Number: 'S12345678', Item_Code: 'BELT-A42', Quantity_Used: '1' });

      const order = await call(admin('/work-orders/S12345678'));
      expect(order.status).toBe(200);
      expect(order.json).toMatchObject({ WO_Number: 'S12345678', header: { WO_Job_Number: 'BETA-01' }, materials: [{ Sequence: 1, Item_Code: 'BELT-A42' }] });
      expect((await call(admin('/work-orders/NOPE'))).status).toBe(404);

      expect((await call(admin('/guids/g/expire'), { method: 'POST' })).json).toEqual({ expired: 2 });
      const expired = await send('WorkOrderHeader', { GUID: 'g', ...header });
      expect(parseReply(expired.text, 'WorkOrderHeader')).toMatchObject({ rows: [{ error_code: 'A', desc: 'Time out has occurred', column: 'GUID' }] });

      expect((await call(admin('/reset'), { method: 'POST' })).status).toBe(204);
      const state = (await call(admin('/state'))).json;
      expect(state.workOrders).toEqual([]);
      expect(state.requests).toEqual([]);
      expect(state.items).toEqual([{ Item_Code: 'FILTER-20' }]);
      const fresh = await send('WorkOrderHeader', { GUID: 'g', ...header });
      expect(parseReply(fresh.text, 'WorkOrderHeader')).toMatchObject({ rows: [{ error_code: 'G', desc: 'Work order S12345678 added.' }, { error_code: 'G' }] });
    });

    it('faults: set over PUT /__admin/faults with service names as routes; unknown routes refused', async () => {
      expect((await call(admin('/faults'), { method: 'PUT', body: { serverFault: true, routes: ['GetJob'] } })).status).toBe(400);
      expect((await call(admin('/faults'), { method: 'PUT', body: { serverFault: true, routes: ['GetCustomers'], count: 1 } })).status).toBe(200);
      const envelope = buildRequestEnvelope('GetCustomers', { Authorization_ID: 'FIELDBRIDGE', GUID: 'g' });
      const faulted = await postXml(ws('GetCustomers'), envelope);
      expect(faulted.status).toBe(500);
      expect(parseReply(faulted.text, 'GetCustomers')).toMatchObject({ faultcode: 'SOAP-ENV:Server', faultstring: 'Error executing Web Service' });
      const next = await postXml(ws('GetCustomers'), envelope);
      expect(parseReply(next.text, 'GetCustomers')).toMatchObject({ kind: 'rows', rows: [expect.objectContaining({ Customer_Code: 'ACME', Error_Code: '' })] });
    });

    it('truncateReply cuts the reply after its last complete </response>', async () => {
      sim.faults.set({ truncateReply: true, count: 1 });
      const res = await postXml(ws('GetCustomers'), buildRequestEnvelope('GetCustomers', { Authorization_ID: 'FIELDBRIDGE', GUID: 'g' }));
      expect(res.text.endsWith('</response>')).toBe(true);
      expect(res.text).not.toContain('</SOAP-ENV:Envelope>');
    });
  });
});
