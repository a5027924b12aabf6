/**
 * Seed 004's DispatchStatus rules, as pure functions shared by the mapping and the simulator.
 *
 * "In order for a work order to be dispatched to a mobile worker the following properties, in
 * addition to the other required properties, must be set: DispatchUTC, PlannedStartDate,
 * PrimaryUser." 0 None (default), 1 Scheduled (scheduled, no mobile worker), 2 Assigned (a mobile
 * worker, not scheduled), 3 Dispatched (a mobile worker and a schedule).
 *
 * "PrimaryUser" is not a property of the object: the object has `UserName` ("the ID of the mobile
 * worker that has been assigned") and `PrimaryUserName` (the primary one when several go), and the
 * REST API page says "User". Read here as *(assumed)*: the work order has its mobile worker when
 * `UserName` or `PrimaryUserName` is non-empty (`technicianOf`); FieldBridge sets both.
 */
import { DISPATCH_STATUS_NAMES, DispatchStatus, type DispatchStatusCode } from './codes';

export interface DispatchFacts {
  UserName?: string;
  PrimaryUserName?: string;
  PlannedStartDate?: string;
  DispatchUTC?: string;
}

/** The mobile worker of the work order (UserName, else PrimaryUserName), or undefined. */
export function technicianOf(wo: DispatchFacts): string | undefined {
  return wo.UserName || wo.PrimaryUserName || undefined;
}

/**
 * The DispatchStatus the facts allow: 3 with a mobile worker, PlannedStartDate and DispatchUTC;
 * 2 with a mobile worker but no DispatchUTC or no PlannedStartDate (assigned, not dispatched);
 * 1 with a PlannedStartDate and no mobile worker; else 0.
 */
export function dispatchStatusFor(wo: DispatchFacts): DispatchStatusCode {
  const user = technicianOf(wo);
  if (user && wo.PlannedStartDate && wo.DispatchUTC) return DispatchStatus.Dispatched;
  if (user) return DispatchStatus.Assigned;
  if (wo.PlannedStartDate) return DispatchStatus.Scheduled;
  return DispatchStatus.None;
}

/**
 * What the claimed DispatchStatus lacks: for 3 the missing ones of DispatchUTC, PlannedStartDate and
 * PrimaryUser; for 1 PlannedStartDate; for 2 PrimaryUser. Empty when the claim holds.
 */
export function missingForDispatchStatus(status: DispatchStatusCode, wo: DispatchFacts): string[] {
  const missing: string[] = [];
  const user = technicianOf(wo);
  if (status === DispatchStatus.Dispatched) {
    if (!wo.DispatchUTC) missing.push('DispatchUTC');
    if (!wo.PlannedStartDate) missing.push('PlannedStartDate');
    if (!user) missing.push('PrimaryUser');
  } else if (status === DispatchStatus.Scheduled) {
    if (!wo.PlannedStartDate) missing.push('PlannedStartDate');
  } else if (status === DispatchStatus.Assigned) {
    if (!user) missing.push('PrimaryUser');
  }
  return missing;
}

export function describeDispatchStatus(status: DispatchStatusCode): string {
  return `${status} (${DISPATCH_STATUS_NAMES[status]})`;
}
