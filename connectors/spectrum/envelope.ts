/**
 * SOAP 1.1 envelopes of Spectrum Data Exchange, built and read with fast-xml-parser (values are
 * XML-escaped by the builder; nothing is assembled from values by hand, nothing is read by regex).
 *
 * Requests (what FieldBridge and the public SDX code send): `<soap:Envelope><soap:Body><Service
 * xmlns="…/types"><Authorization_ID/><GUID/>…` with EVERY declared parameter, empty when not given
 * (SDX faults when one is missing).
 *
 * Replies (what SDX sends): `SOAP-ENV` prefix with `SOAP-ENV:encodingStyle`, and
 * `<nis:ServiceResponse xmlns:nis="…/types"><returnArray><returnData><response>…</response>…`. Put
 * services answer `error_code`, `desc`, `column` per row; Get services answer data rows carrying
 * `Error_Code`, `Error_Description`, `Error_Column`. Large replies sometimes arrive with their
 * trailing close tags cut off (a known SDX quirk): every complete `<response>` is still read.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { SPECTRUM_NAMESPACE, declaredParameters, fieldRule, type SpectrumService } from './limits';

export const SOAP_ENVELOPE_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP_ENCODING_STYLE = 'http://schemas.xmlsoap.org/soap/encoding/';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** A request that cannot be built: a parameter the service does not declare, or a value that is no string. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

/** A reply that is neither response rows nor a SOAP fault. `cutOff`: it was truncated before any complete row. */
export class ReplyFormatError extends Error {
  override readonly name = 'ReplyFormatError';
  constructor(
    message: string,
    readonly cutOff = false,
  ) {
    super(message);
  }
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false, processEntities: true });

function replyParser(): XMLParser {
  return new XMLParser({
    removeNSPrefix: true,
    ignoreAttributes: true,
    parseTagValue: false,
    trimValues: true,
    isArray: (name) => name === 'response',
  });
}

/**
 * The request envelope of `service`: every declared parameter, in declared order, `''` for those
 * not given. Throws EnvelopeError for a parameter the service does not declare (SDX would fault).
 */
export function buildRequestEnvelope(service: SpectrumService, params: Readonly<Record<string, string | undefined>>): string {
  const unknown = Object.keys(params).filter((name) => fieldRule(service, name) === undefined);
  if (unknown.length > 0) {
    throw new EnvelopeError(`${service} declares no parameter ${unknown.join(', ')} (it takes ${declaredParameters(service).join(', ')})`);
  }
  const operation: Record<string, string> = { '@_xmlns': SPECTRUM_NAMESPACE };
  for (const name of declaredParameters(service)) {
    const value = params[name] ?? '';
    if (typeof value !== 'string') throw new EnvelopeError(`${service}.${name} must be a string (got ${typeof value})`);
    operation[name] = value;
  }
  return (
    XML_DECLARATION +
    builder.build({
      'soap:Envelope': {
        '@_xmlns:soap': SOAP_ENVELOPE_NAMESPACE,
        '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
        '@_xmlns:xsd': 'http://www.w3.org/2001/XMLSchema',
        'soap:Body': { [service]: operation },
      },
    })
  );
}

export type ParsedReply =
  | { kind: 'rows'; rows: Record<string, string>[]; truncated: boolean }
  | { kind: 'fault'; faultcode: string; faultstring: string; faultKind: 'Client' | 'Server' | 'other' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A response row's columns as strings (an element with children, which no SDX column has, reads as ''). */
function rowOf(node: unknown): Record<string, string> {
  if (!isRecord(node)) return {};
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, typeof value === 'string' ? value : '']));
}

/** Every `response` element under `node`, in document order. */
function collectRows(node: unknown): Record<string, string>[] {
  if (Array.isArray(node)) return node.flatMap(collectRows);
  if (!isRecord(node)) return [];
  return Object.entries(node).flatMap(([key, value]) => (key === 'response' ? (Array.isArray(value) ? value : [value]).map(rowOf) : collectRows(value)));
}

/** The local part of a fault code (`SOAP-ENV:Server.Busy` -> Server). */
function faultKindOf(faultcode: string): 'Client' | 'Server' | 'other' {
  const local = faultcode.slice(faultcode.lastIndexOf(':') + 1).split('.')[0];
  return local === 'Client' || local === 'Server' ? local : 'other';
}

/** Where the first `<response>` element starts, or -1. */
function firstResponseStart(xml: string): number {
  let from = 0;
  for (;;) {
    const at = xml.indexOf('<response', from);
    if (at < 0) return -1;
    const next = xml[at + '<response'.length];
    if (next === '>' || next === ' ' || next === '\t' || next === '\n' || next === '\r' || next === '/') return at;
    from = at + 1;
  }
}

/**
 * Read the rows of a truncated reply: everything from the first `<response>` to the last complete
 * `</response>`, wrapped in one element and parsed as XML (not regex-scanned).
 */
function parseTruncated(xml: string, service: SpectrumService, reason: string): Record<string, string>[] {
  if (!xml.includes(`${service}Response`)) {
    throw new ReplyFormatError(`the reply to ${service} is not well-formed XML (${reason}) and holds no ${service}Response`);
  }
  const end = xml.lastIndexOf('</response>');
  const start = firstResponseStart(xml);
  if (end < 0 || start < 0 || start > end) {
    throw new ReplyFormatError(`the reply to ${service} was cut off before its first complete <response> (${reason})`, true);
  }
  const fragment = `<rows>${xml.slice(start, end + '</response>'.length)}</rows>`;
  const valid = XMLValidator.validate(fragment);
  if (valid !== true) {
    throw new ReplyFormatError(`the reply to ${service} is cut off and its rows are not well-formed XML (${valid.err.msg})`, true);
  }
  return collectRows(replyParser().parse(fragment));
}

/**
 * Read an SDX reply to `service`: its `<response>` rows (every column as a string), or its SOAP
 * fault. A reply whose trailing close tags were cut off yields every complete row, with
 * `truncated: true`. Throws ReplyFormatError for anything else (an HTML page, another operation's
 * reply, a reply cut before any complete row).
 */
export function parseReply(xml: string, service: SpectrumService): ParsedReply {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return { kind: 'rows', rows: parseTruncated(xml, service, valid.err.msg), truncated: true };
  const document = replyParser().parse(xml) as Record<string, unknown>;
  const envelope = document.Envelope;
  const body = isRecord(envelope) ? envelope.Body : undefined;
  if (!isRecord(body)) throw new ReplyFormatError(`the reply to ${service} is no SOAP envelope`);
  if (isRecord(body.Fault)) {
    const faultcode = typeof body.Fault.faultcode === 'string' ? body.Fault.faultcode : '';
    const faultstring = typeof body.Fault.faultstring === 'string' ? body.Fault.faultstring : '';
    return { kind: 'fault', faultcode, faultstring, faultKind: faultKindOf(faultcode) };
  }
  const response = body[`${service}Response`];
  if (response === undefined) {
    const found = Object.keys(body).join(', ') || 'nothing';
    throw new ReplyFormatError(`the reply to ${service} holds no ${service}Response (found ${found})`);
  }
  return { kind: 'rows', rows: collectRows(response), truncated: false };
}

/** The reply envelope SDX sends for `service` with these rows (used by the simulator). */
export function buildReplyEnvelope(service: string, rows: ReadonlyArray<Record<string, string>>): string {
  return (
    XML_DECLARATION +
    builder.build({
      'SOAP-ENV:Envelope': {
        '@_xmlns:SOAP-ENV': SOAP_ENVELOPE_NAMESPACE,
        '@_xmlns:xsd': 'http://www.w3.org/2001/XMLSchema',
        '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
        '@_SOAP-ENV:encodingStyle': SOAP_ENCODING_STYLE,
        'SOAP-ENV:Body': {
          [`nis:${service}Response`]: {
            '@_xmlns:nis': SPECTRUM_NAMESPACE,
            returnArray: { returnData: { response: rows.map((row) => ({ ...row })) } },
          },
        },
      },
    })
  );
}

/** A SOAP 1.1 fault envelope (`SOAP-ENV:Client` or `SOAP-ENV:Server`). */
export function buildFaultEnvelope(kind: 'Client' | 'Server', faultstring: string): string {
  return (
    XML_DECLARATION +
    builder.build({
      'SOAP-ENV:Envelope': {
        '@_xmlns:SOAP-ENV': SOAP_ENVELOPE_NAMESPACE,
        '@_SOAP-ENV:encodingStyle': SOAP_ENCODING_STYLE,
        'SOAP-ENV:Body': { 'SOAP-ENV:Fault': { faultcode: `SOAP-ENV:${kind}`, faultstring } },
      },
    })
  );
}

/**
 * The reply cut right after its last complete `</response>`, as SDX sometimes sends large replies
 * (the simulator's truncateReply fault). A reply without rows is returned unchanged.
 */
export function truncateAfterLastResponse(xml: string): string {
  const end = xml.lastIndexOf('</response>');
  return end < 0 ? xml : xml.slice(0, end + '</response>'.length);
}

export interface ParsedRequest {
  /** The local name of the Body's element (the operation called). */
  operation: string;
  /** Its child elements: a string each, or null for one that is repeated or has children. */
  params: Record<string, string | null>;
}

/** Read a request envelope (namespace prefixes ignored, values trimmed); throws Error when it is none. */
export function parseRequestEnvelope(xml: string): ParsedRequest {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`the request is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, trimValues: true });
  const document = parser.parse(xml) as Record<string, unknown>;
  const envelope = document.Envelope;
  const body = isRecord(envelope) ? envelope.Body : undefined;
  if (!isRecord(body)) throw new Error('the request has no SOAP Envelope/Body');
  const operations = Object.keys(body).filter((key) => key !== '#text');
  if (operations.length !== 1) throw new Error(`the SOAP Body must hold exactly one operation element (found ${operations.length})`);
  const operation = operations[0];
  const element = body[operation];
  const params: Record<string, string | null> = {};
  if (isRecord(element)) {
    for (const [name, value] of Object.entries(element)) {
      if (name === '#text') continue;
      params[name] = typeof value === 'string' ? value : null;
    }
  }
  return { operation, params };
}
