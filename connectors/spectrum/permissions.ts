/**
 * The Data Exchange web services the Authorization ID must be granted, by the module Spectrum's
 * Build screen lists them under (System Administration -> Installation -> Data Exchange -> the
 * Authorization ID -> Build: pick the module, Go, move the service from the Web Service Library to
 * the Authorized Web Services). Modules as Trimble's ServiceTrade <> Spectrum build article names
 * them (AccountsReceivable, JobCost, WorkOrder; info.trimble.com/en/knowledge/
 * how-to-build-data-exchange-for-servicetrade-spectrum); each service's help page sits under that
 * module (…/list-of-web-services/work-order-services/…, …/accounts-receivable-services/get-customers).
 * A Get service (GetCustomers) also needs a Spectrum Operator Code on the Authorization ID
 * (…/data-exchange-installation/create-authorization-id).
 */

/** Module -> services the job sync calls. Keyed by service name (not the typed list) so a renamed service is caught by its test. */
const MODULE_OF: Readonly<Record<string, string>> = {
  WorkOrderHeader: 'WorkOrder',
  AddWOMaterialCost: 'WorkOrder',
  DeleteWOMaterialCost: 'WorkOrder',
  GetWOMaterialCost: 'WorkOrder',
  WOHeaderNotes: 'WorkOrder',
  GetCustomers: 'AccountsReceivable',
};

/** The permission as the Build screen shows it, e.g. `WorkOrder -> WorkOrderHeader`; undefined for a service not listed here. */
export function spectrumPermission(service: string): string | undefined {
  const module = MODULE_OF[service];
  return module ? `${module} -> ${service}` : undefined;
}

/** What an operator does to grant `service` to the Authorization ID. */
export function grantInstruction(service: string, authorizationId: string): string {
  const permission = spectrumPermission(service) ?? service;
  const operator = service.startsWith('Get') ? ', with a Spectrum Operator Code set on it (a Get service needs one)' : '';
  return `grant Authorization ID ${authorizationId} the web service ${permission}${operator}, active and set up for the company (Spectrum: System Administration -> Installation -> Data Exchange -> Build)`;
}
