/**
 * The parameter tables of the Spectrum Data Exchange services FieldBridge calls, one JSON file per
 * service (`<Service>.json`), transcribed from Trimble's help pages (each file names its page in
 * `source`; `assumed: true` marks a service or a field no public page documents). They are the one
 * source of truth: limits.ts derives the client's envelopes and the simulator's checks from them,
 * wsdl.ts the simulator's WSDLs, and test/contract/spectrum.test.ts checks both against them.
 *
 * Static imports (no file system): workflow code reaches these tables through limits.ts.
 */
import AddWOMaterialCost from './AddWOMaterialCost.json';
import DeleteWOMaterialCost from './DeleteWOMaterialCost.json';
import GetCustomers from './GetCustomers.json';
import GetWOMaterialCost from './GetWOMaterialCost.json';
import WOHeaderNotes from './WOHeaderNotes.json';
import WorkOrderHeader from './WorkOrderHeader.json';

export type SpectrumParameterType = 'string' | 'number' | 'date' | 'time' | 'flag';

export interface SpectrumParameter {
  name: string;
  type: SpectrumParameterType;
  maxLength: number;
  /** Digits after the decimal point a number may carry (`Format = -7.2`: 2). */
  decimals?: number;
  /** Req = YES on the page. */
  required: boolean;
  /** The accepted values (blank is always "not given"). */
  values?: string[];
  description: string;
  /** Not on the public page: this project's assumption. */
  assumed?: boolean;
}

export interface SpectrumServiceReference {
  service: string;
  method: string;
  source: { title: string; url: string };
  /** The whole service has no public page. */
  assumed?: boolean;
  note?: string;
  /** Every declared parameter, in envelope order (Authorization_ID and GUID first). */
  parameters: SpectrumParameter[];
  /** A Get service's row columns (Error_Code, Error_Description, Error_Column last). */
  returns?: SpectrumParameter[];
}

/** Every table, by service name. */
export const SPECTRUM_REFERENCE = {
  WorkOrderHeader: WorkOrderHeader as SpectrumServiceReference,
  AddWOMaterialCost: AddWOMaterialCost as SpectrumServiceReference,
  DeleteWOMaterialCost: DeleteWOMaterialCost as SpectrumServiceReference,
  GetWOMaterialCost: GetWOMaterialCost as SpectrumServiceReference,
  WOHeaderNotes: WOHeaderNotes as SpectrumServiceReference,
  GetCustomers: GetCustomers as SpectrumServiceReference,
} as const;

export type SpectrumReferenceService = keyof typeof SPECTRUM_REFERENCE;

/** The table of one service; throws for a service without one. */
export function referenceOf(service: string): SpectrumServiceReference {
  const table = (SPECTRUM_REFERENCE as Record<string, SpectrumServiceReference | undefined>)[service];
  if (!table) throw new Error(`no Spectrum reference table for ${service} (connectors/spectrum/reference/${service}.json)`);
  return table;
}

/** The error codes a Put service's rows carry (Web Service Responses page). */
export const PUT_ERROR_CODES = ['A', 'I', 'M', 'S', 'G', 'W'] as const;
/**
 * The Error_Code values a Get service's rows carry: blank on a data row, `E` for an error (Web
 * Service Types page's example) and `W` for a warning (Web Service Responses page).
 */
export const GET_ERROR_CODES = ['', 'E', 'W'] as const;
