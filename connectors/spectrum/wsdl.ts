/**
 * WSDL 1.1 of one SDX service, as the simulator serves it at `/wsdls/<Service>.jws`: document/literal
 * wrapped, with an embedded XSD generated from the service's reference table (./reference/<Service>.json:
 * every declared parameter present, `xsd:string` with its maxLength), and the reply
 * `<ServiceResponse><returnArray><returnData><response>*` whose columns are the table's `returns`
 * (Get services) or error_code/desc/column (Put services). Real SDX WSDLs exist only on each customer's server (API-NOTES section 6);
 * this one is the simulator's own, shaped so that a generic SOAP client (the `soap` package) calls
 * the simulator exactly as FieldBridge does.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { SPECTRUM_NAMESPACE, type SpectrumService } from './limits';
import { SPECTRUM_REFERENCE } from './reference';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, suppressEmptyNode: true });

function stringElement(name: string, maxLength?: number, minOccurs = 1): Record<string, unknown> {
  if (maxLength === undefined) return { '@_name': name, '@_type': 'xsd:string', '@_minOccurs': String(minOccurs) };
  return {
    '@_name': name,
    '@_minOccurs': String(minOccurs),
    '@_maxOccurs': '1',
    'xsd:simpleType': { 'xsd:restriction': { '@_base': 'xsd:string', 'xsd:maxLength': { '@_value': String(maxLength) } } },
  };
}

/** The columns of one `<response>` row of `service`. */
export function responseColumns(service: SpectrumService): string[] {
  const returns = SPECTRUM_REFERENCE[service].returns;
  return returns ? returns.map((column) => column.name) : ['error_code', 'desc', 'column'];
}

/** The WSDL of `service`, its soap:address at `endpoint` (`${url}/ws/<Service>`). */
export function buildWsdl(service: SpectrumService, endpoint: string): string {
  const params = SPECTRUM_REFERENCE[service].parameters.map((parameter) => stringElement(parameter.name, parameter.maxLength));
  const schema = {
    '@_targetNamespace': SPECTRUM_NAMESPACE,
    '@_elementFormDefault': 'unqualified',
    'xsd:element': [
      { '@_name': service, 'xsd:complexType': { 'xsd:sequence': { 'xsd:element': params } } },
      {
        '@_name': `${service}Response`,
        'xsd:complexType': { 'xsd:sequence': { 'xsd:element': { '@_name': 'returnArray', '@_type': 'tns:returnArray' } } },
      },
    ],
    'xsd:complexType': [
      { '@_name': 'returnArray', 'xsd:sequence': { 'xsd:element': { '@_name': 'returnData', '@_type': 'tns:returnData' } } },
      {
        '@_name': 'returnData',
        'xsd:sequence': { 'xsd:element': { '@_name': 'response', '@_type': 'tns:response', '@_minOccurs': '0', '@_maxOccurs': 'unbounded' } },
      },
      { '@_name': 'response', 'xsd:sequence': { 'xsd:element': responseColumns(service).map((column) => stringElement(column, undefined, 0)) } },
    ],
  };
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    definitions: {
      '@_name': service,
      '@_targetNamespace': SPECTRUM_NAMESPACE,
      '@_xmlns': 'http://schemas.xmlsoap.org/wsdl/',
      '@_xmlns:soap': 'http://schemas.xmlsoap.org/wsdl/soap/',
      '@_xmlns:tns': SPECTRUM_NAMESPACE,
      '@_xmlns:xsd': 'http://www.w3.org/2001/XMLSchema',
      types: { 'xsd:schema': schema },
      message: [
        { '@_name': `${service}Input`, part: { '@_name': 'parameters', '@_element': `tns:${service}` } },
        { '@_name': `${service}Output`, part: { '@_name': 'parameters', '@_element': `tns:${service}Response` } },
      ],
      portType: {
        '@_name': `${service}PortType`,
        operation: { '@_name': service, input: { '@_message': `tns:${service}Input` }, output: { '@_message': `tns:${service}Output` } },
      },
      binding: {
        '@_name': `${service}Binding`,
        '@_type': `tns:${service}PortType`,
        'soap:binding': { '@_style': 'document', '@_transport': 'http://schemas.xmlsoap.org/soap/http' },
        operation: {
          '@_name': service,
          'soap:operation': { '@_soapAction': endpoint, '@_style': 'document' },
          input: { 'soap:body': { '@_use': 'literal' } },
          output: { 'soap:body': { '@_use': 'literal' } },
        },
      },
      service: {
        '@_name': `${service}Service`,
        port: { '@_name': `${service}Port`, '@_binding': `tns:${service}Binding`, 'soap:address': { '@_location': endpoint } },
      },
    },
  });
}
