/**
 * Spectrum Data Exchange shapes: the fields FieldBridge sends (Spectrum's own names, values as the
 * strings Spectrum takes), the response rows, a GetCustomers row, and the enhanced-authentication
 * token answer. Field lists and limits live in limits.ts.
 */
import { z } from 'zod';

/** A WorkOrderHeader field (the table: reference/WorkOrderHeader.json). */
export type WorkOrderHeaderField = string;
/** The fields of AddWOMaterialCost after the company (reference/AddWOMaterialCost.json, in its order). */
export type WOMaterialCostField =
  | 'WO_Number'
  | 'Item_Code'
  | 'Item_Description'
  | 'Warehouse_Code'
  | 'Quantity_Used'
  | 'Unit_Of_Measure'
  | 'GL_Department'
  | 'Work_Task'
  | 'Task_Complete'
  | 'WO_Site_Equipment'
  | 'Component_Number'
  | 'SC_Contract'
  | 'Bill_Customer'
  | 'Tax_Flag'
  | 'Show_Invoice_Detail'
  | 'Unit_Cost'
  | 'Unit_Price'
  | 'Extension'
  | 'Bill_Manufacturer'
  | 'Mfg_Tax_Flag'
  | 'Mfg_Code'
  | 'Mfg_Unit_Price'
  | 'Phase_Code'
  | 'Cost_Type';

/** One `<response>` of a Put service: `error_code` A, I, M (errors) or S, G, W (success, information, warning). */
export interface SpectrumResponseRow {
  error_code: string;
  desc: string;
  column: string;
}

/** A Put service's successful answer: its rows (S, G or W), kept with their desc and column. */
export interface SpectrumReply {
  rows: SpectrumResponseRow[];
}

/** WorkOrderHeader fields; blank or absent ones are sent empty, which Spectrum reads as "not changed". */
export type WorkOrderHeaderFields = Partial<Record<WorkOrderHeaderField, string>>;
export type WOMaterialCostFields = Partial<Record<WOMaterialCostField, string>>;
/** DeleteWOMaterialCost: one material cost line, by the System_Key GetWOMaterialCost lists it with. */
export interface DeleteWOMaterialCostFields {
  System_Key: string;
  WO_Number: string;
  Item_Code: string;
}

/** A material cost line as GetWOMaterialCost lists it (its Error_* columns taken off). */
export interface SpectrumMaterialLine {
  Company_Code: string;
  WO_Number: string;
  System_Key: string;
  Item_Code: string;
  Item_Description: string;
  Warehouse_Code: string;
  Quantity_Used: string;
  Unit_Of_Measure: string;
  Unit_Cost: string;
  Unit_Price: string;
  Extension: string;
}
export type WOHeaderNotesFields = { WO_Number: string; Notes_Topic?: string; Notes_Text: string; Append_Note?: 'Y' | 'N' };

/** A GetCustomers row (its Error_* columns taken off). Columns Spectrum leaves out come back empty. */
export interface SpectrumCustomer {
  Company_Code: string;
  Customer_Code: string;
  Name: string;
  Address_1: string;
  Address_2: string;
  City: string;
  State: string;
  Zip_Code: string;
  First_Name: string;
  Last_Name: string;
  Phone_Number: string;
  Email1: string;
  Price_Level_Material: string;
  /** 'Taxable', 'Non-Taxable' or 'No Default' (Get Customers page). */
  Taxable_Flag: string;
  /** 'Active', 'Inactive' or 'Not Used' (Get Customers page). */
  Status: string;
}

/** The Status values GetCustomers answers (Get Customers page, Customer File Maintenance). */
export const SPECTRUM_CUSTOMER_STATUSES = ['Active', 'Inactive', 'Not Used'] as const;
export type SpectrumCustomerStatus = (typeof SPECTRUM_CUSTOMER_STATUSES)[number];

/** GetCustomers' answer: the customers, and whether Spectrum said the list is whole (no `W` row). */
export interface SpectrumCustomerList {
  customers: SpectrumCustomer[];
  /** false: a `W` row said the list was cut (e.g. its count "exceeds maximum"): a code absent from it is not known to be absent. */
  complete: boolean;
  /** The `W` rows, as Spectrum worded them. */
  warnings: SpectrumResponseRow[];
}

/** The answer of `POST /connect/token` (client credentials). */
export const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  token_type: z.string().optional(),
  scope: z.string().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

/** The error codes of a response row: A abort, I invalid, M missing (Put services), E error (Get services); S success, G good (with information), W warning. */
export const SPECTRUM_ERROR_CODES = ['A', 'I', 'M', 'E'] as const;
export const SPECTRUM_SUCCESS_CODES = ['S', 'G', 'W', ''] as const;
/** The desc Spectrum answers when a method + Authorization_ID + GUID went unused for 24 h. */
export const SESSION_EXPIRED_DESC = 'Time out has occurred';

export {
  CUSTOMER_COLUMNS,
  MATERIAL_COST_COLUMNS,
  MAX_LENGTHS,
  REQUIRED_FIELDS,
  SPECTRUM_NAMESPACE,
  SPECTRUM_SERVICES,
  type SpectrumService,
  spectrumDate,
  spectrumTime,
} from './limits';
