/**
 * ServicePower ServiceMobility's value domains (seed 004): plain constants, no zod, so that workflow
 * code can import them without constructing the wire schemas (connectors/servicepower/schemas.ts
 * re-exports them). Workflow code runs every module it imports again in each workflow run, so a
 * schema module imported for a constant cost ~15 ms of CPU per sync of every flow.
 */

export const DispatchStatus = { None: 0, Scheduled: 1, Assigned: 2, Dispatched: 3 } as const;
export type DispatchStatusCode = (typeof DispatchStatus)[keyof typeof DispatchStatus];
export const DISPATCH_STATUS_NAMES: Record<DispatchStatusCode, string> = { 0: 'None', 1: 'Scheduled', 2: 'Assigned', 3: 'Dispatched' };

export const OrderStatus = {
  New: '1',
  EnRoute: '6',
  OnSite: '7',
  TravelComplete: '8',
  Pending: '9',
  Rejected: '1001',
  ClosedComplete: '4096',
  ClosedIncomplete: '4097',
} as const;
export type OrderStatusCode = (typeof OrderStatus)[keyof typeof OrderStatus];
export const ORDER_STATUS_CODES = Object.values(OrderStatus) as [OrderStatusCode, ...OrderStatusCode[]];
export const ORDER_STATUS_NAMES: Record<OrderStatusCode, string> = {
  '1': 'New',
  '6': 'Enroute',
  '7': 'Onsite',
  '8': 'Travel Complete',
  '9': 'Pending',
  '1001': 'Rejected',
  '4096': 'Closed / Complete',
  '4097': 'Closed / Incomplete',
};
/** OrderStatus values after which the technician is done with the work order. */
export const CLOSED_ORDER_STATUSES: readonly OrderStatusCode[] = [OrderStatus.ClosedComplete, OrderStatus.ClosedIncomplete];

/** Work Order Types system category (seed 004, OrderType). */
export const OrderType = {
  Install: '1001',
  Inspection: '1002',
  Maintenance: '1003',
  DeInstall: '1004',
  Repair: '1005',
  Demo: '1006',
  Training: '1007',
} as const;
export type OrderTypeCode = (typeof OrderType)[keyof typeof OrderType];
export const ORDER_TYPE_CODES = Object.values(OrderType) as [OrderTypeCode, ...OrderTypeCode[]];
