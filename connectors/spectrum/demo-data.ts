/**
 * Demo data for the Spectrum simulator (`npm run simulators`, `npm start`, tests), matching the
 * ServiceTrade demo data: the customer, site and item codes its records point at
 * (`demoSpectrumReferences`), plus what a Spectrum company holds for work orders: work order types,
 * a lead source, warehouses and the "other item".
 */
import { demoSpectrumReferences } from '../servicetrade/demo-data';
import type { SpectrumAuthorization, SpectrumSeed, SpectrumSimulatorSettings } from './simulator-state';

export const DEMO_SPECTRUM_COMPANY = 'FB1';

/** The Authorization ID FieldBridge uses, with every method the job sync calls (seed 001 asks for WorkOrderHeader at least). */
export const demoSpectrumAuthorization = (id: string): SpectrumAuthorization => ({
  id,
  companies: [DEMO_SPECTRUM_COMPANY],
  permissions: ['WorkOrderHeader', 'AddWOMaterialCost', 'DeleteWOMaterialCost', 'GetWOMaterialCost', 'WOHeaderNotes', 'GetCustomers'],
});

/** Spectrum's work-order properties: lead sources not required, no default division for site work orders. */
export const demoSpectrumSettings: SpectrumSimulatorSettings = { leadSourceRequired: false };

/** The work order type and lead source the demo configuration names (SPECTRUM_DEFAULT_WORK_ORDER_TYPE, SPECTRUM_DEFAULT_LEAD_SOURCE). */
export const DEMO_SPECTRUM_DEFAULTS = { workOrderType: 'SVC', leadSource: 'SERVICETRADE', warehouse: 'MAIN', otherItem: demoSpectrumReferences.otherItemCode } as const;

export const demoSpectrumData: SpectrumSeed = {
  customers: demoSpectrumReferences.customers.map((c) => ({ Customer_Code: c.code, Name: c.name })),
  sites: demoSpectrumReferences.sites.map((s) => ({ Site_Code: s.code, Customer_Code: s.customerCode, Name: s.name })),
  divisions: ['SVC', 'HVAC', 'FIRE', 'INSP'],
  leadSources: ['SERVICETRADE', 'WEB'],
  warehouses: [{ Warehouse_Code: 'MAIN', Description: 'Main warehouse', default: true }, { Warehouse_Code: 'TRUCK1' }],
  items: [...demoSpectrumReferences.itemCodes, demoSpectrumReferences.otherItemCode].map((code) => ({ Item_Code: code })),
};
