/**
 * ServiceChannel work order -> ServicePower mobile work order (seed 004's Work Order Object), and the
 * way back: what ServiceChannel hears when the technician's OrderStatus moves. Pure and
 * workflow-safe (no Node modules, no clock: the dispatch time is given).
 *
 * - WorkOrderNum = prefix + ServiceChannel work order Id (command sequence 2: the Id is unique across
 *   subscribers, the Number need not be); runs of the first sequence used the Number.
 * - Account: a managed account (`{AccountNum}` alone) when the subscriber or the location is listed in
 *   `managedAccounts` (a location entry wins over a subscriber entry); otherwise an ad-hoc account
 *   named after the location, with its address and contact (ServicePower needs `Name`).
 * - Location: always ad hoc (ServiceChannel locations have no ServicePower number): name, address
 *   (Address1/2, City, State -> Region, Zip, Country, latitude/longitude), e-mail, the caller and the
 *   store phone as its contact. ServicePower needs AddrLine1 and City: without them the work order
 *   cannot be sent (a problem, not a guess).
 * - Trade -> OrderSubType, Category -> OrderType (a system category 1001..1007, by CATEGORY_ORDER_TYPES;
 *   unknown categories are left out), Priority "P2 - 24 Hours" -> "2", NTE and PurchaseNumber ->
 *   PurchaseOrder {PONum, Amount} and PONumber, Title "<Trade> - <ProblemCode>" (100 characters).
 * - Dates in UTC (seed 004: PlannedStartDate / PlannedEndDate are "in UTC format"): ScheduledDate_DTO
 *   (ServiceChannel's scheduled date with its offset), else ScheduledDate when it carries an offset,
 *   -> PlannedStartDate; ExpirationDate (the date the work is due by) -> PlannedEndDate. A date
 *   without an offset cannot be placed in UTC: a problem naming the work order and the field.
 * - Description: the first 255 characters; a longer one keeps its rest in Notes (seed 004: "For
 *   longer descriptions of the work order or reported problem use the Notes field"), as the note
 *   `SC-DESCRIPTION`.
 * - The technician: `technicianByTrade[Trade]` as UserName and PrimaryUserName.
 * - DispatchStatus by seed 004's rules (connectors/servicepower/dispatch.ts): 3 only with a technician,
 *   a PlannedStartDate and DispatchUTC (given: the moment FieldBridge dispatched it, kept for the
 *   life of the work order so a later PATCH does not move it); else 2 assigned, 1 scheduled, or 0.
 */
import { dispatchStatusFor } from '../connectors/servicepower/dispatch';
import { OrderType, type DispatchStatusCode, type OrderTypeCode } from '../connectors/servicepower/codes';
import type { ServicePowerContact, ServicePowerWorkOrderInput } from '../connectors/servicepower/schemas';
import type { ServiceChannelWorkOrder } from '../connectors/servicechannel/schemas';

export interface ManagedAccount {
  subscriberId?: number;
  locationId?: number;
  accountNum: string;
}

export interface ScStatusValue {
  primary: string;
  extended: string | null;
}

export interface FieldStatusActionSettings {
  checkIn: boolean;
  checkOut: boolean;
  status?: ScStatusValue;
  /** `{num}`, `{status}`, `{note}`, `{technician}` are filled in. */
  note?: string;
}

/** The mobileSync settings the mapping reads (common/config.ts `mobileSync`). */
export interface MobileMappingSettings {
  workOrderNumberPrefix: string;
  managedAccounts: ManagedAccount[];
  technicianByTrade: Record<string, string>;
  dispatchedStatus: ScStatusValue;
  fieldStatusMap: Record<string, FieldStatusActionSettings>;
}

/** ServiceChannel category -> ServicePower OrderType (seed 004's Work Order Types system category). */
export const CATEGORY_ORDER_TYPES: Readonly<Record<string, OrderTypeCode>> = {
  INSTALL: OrderType.Install,
  INSTALLATION: OrderType.Install,
  INSPECTION: OrderType.Inspection,
  MAINTENANCE: OrderType.Maintenance,
  'PREVENTIVE MAINTENANCE': OrderType.Maintenance,
  'DE-INSTALL': OrderType.DeInstall,
  REPAIR: OrderType.Repair,
  DEMO: OrderType.Demo,
  TRAINING: OrderType.Training,
};

export const TITLE_MAX = 100;
export const DESCRIPTION_MAX = 255;
/** The Notes entry holding the rest of a Description longer than DESCRIPTION_MAX. */
export const DESCRIPTION_NOTE_ID = 'SC-DESCRIPTION';

/** An ISO 8601 date-time with its offset (Z or ±hh:mm), as UTC (`…Z`); null when it has none or is no date. */
export function toUtc(value: string): string | null {
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export interface MobileWorkOrderMapping {
  workOrderNum: string;
  workOrder: ServicePowerWorkOrderInput;
  dispatchStatus: DispatchStatusCode;
  technician: string | null;
  accountKind: 'managed' | 'ad-hoc';
  /** Why the work order cannot be sent (empty when it can). */
  problems: string[];
}

export function mobileWorkOrderNum(prefix: string, scNumber: string): string {
  return `${prefix}${scNumber}`;
}

/**
 * What the mobile work order number is built from: the ServiceChannel work order `Id` (unique across
 * subscribers; runs of version 2 on) or its `Number` (which two subscribers may share; version 1 runs).
 */
export type MobileNumberSource = 'id' | 'number';

export function mobileWorkOrderNumFor(prefix: string, wo: Pick<ServiceChannelWorkOrder, 'Id' | 'Number'>, source: MobileNumberSource): string {
  return mobileWorkOrderNum(prefix, source === 'id' ? String(wo.Id) : wo.Number);
}

/** "P2 - 24 Hours" -> "2", "1" -> "1"; undefined when there is no number 0..99. */
export function mapPriority(priority: string | null): string | undefined {
  const match = priority ? /^\s*P?\s*(\d{1,2})\b/i.exec(priority) : null;
  return match ? String(Number(match[1])) : undefined;
}

/** "Dana Whitfield (store manager)" -> {FirstName: Dana, LastName: Whitfield}. */
function callerContact(caller: string | null, phone: string | null, email: string | null): ServicePowerContact | undefined {
  const name = (caller ?? '').replace(/\(.*?\)/g, '').trim();
  if (!name && !phone && !email) return undefined;
  const [first, ...rest] = name.split(/\s+/).filter(Boolean);
  return {
    ...(first ? { FirstName: first } : {}),
    ...(rest.length > 0 ? { LastName: rest.join(' ') } : {}),
    ...(email ? { Email: email } : {}),
    IsPrimary: true,
    ...(phone ? { Phones: [{ PhoneNum: phone, PhoneType: 'Work' }] } : {}),
  };
}

function text(value: string | null | undefined, max?: number): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  return max !== undefined && v.length > max ? v.slice(0, max) : v;
}

/** The managed account of a work order: a location entry first, then a subscriber entry. */
export function managedAccountFor(wo: Pick<ServiceChannelWorkOrder, 'SubscriberId' | 'LocationId'>, accounts: ManagedAccount[]): string | undefined {
  return accounts.find((a) => a.locationId === wo.LocationId)?.accountNum ?? accounts.find((a) => a.subscriberId === wo.SubscriberId && a.locationId === undefined)?.accountNum;
}

/** Drop undefined properties (a document sent and compared by buildWorkOrderPatch must not hold them). */
function compact<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The ServicePower work order for a ServiceChannel work order. `dispatchUTC`: when FieldBridge
 * dispatches it (ISO; used only when a technician and a schedule make it dispatchable).
 */
export function mapWorkOrderToMobile(wo: ServiceChannelWorkOrder, settings: MobileMappingSettings, dispatchUTC: string, numberFrom: MobileNumberSource = 'number'): MobileWorkOrderMapping {
  const problems: string[] = [];
  const loc = wo.Location;
  const workOrderNum = mobileWorkOrderNumFor(settings.workOrderNumberPrefix, wo, numberFrom);
  const address = compact({
    AddrLine1: text(loc?.Address1),
    AddrLine2: text(loc?.Address2),
    City: text(loc?.City),
    Region: text(loc?.State),
    Zip: text(loc?.Zip),
    Country: text(loc?.Country),
    ...(loc?.Latitude !== null && loc?.Latitude !== undefined ? { Lat: loc.Latitude } : {}),
    ...(loc?.Longitude !== null && loc?.Longitude !== undefined ? { Lon: loc.Longitude } : {}),
  });
  if (!address.AddrLine1) problems.push(`location ${wo.LocationId} has no street address (ServicePower needs Location.Address.AddrLine1)`);
  if (!address.City) problems.push(`location ${wo.LocationId} has no city (ServicePower needs Location.Address.City)`);
  const contact = callerContact(wo.Caller, loc?.Phone ?? null, loc?.Email ?? null);
  const locationName = text(loc?.Name) ?? `ServiceChannel location ${wo.LocationId}`;

  const managed = managedAccountFor(wo, settings.managedAccounts);
  const Account = managed
    ? { AccountNum: managed }
    : compact({ Name: locationName, Addresses: Object.keys(address).length > 0 ? [address] : undefined, Contacts: contact ? [contact] : undefined });

  const Location = compact({
    Name: locationName,
    Address: address,
    Email: text(loc?.Email),
    Contacts: contact ? [contact] : undefined,
  });

  const utcDate = (field: string, value: unknown): string | undefined => {
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    const utc = toUtc(value);
    if (utc === null) problems.push(`work order ${wo.Number}: ${field} '${value}' has no UTC offset, so its UTC time (ServicePower needs UTC) is unknown`);
    return utc ?? undefined;
  };
  const raw = wo as Record<string, unknown>;
  const trade = text(wo.Trade);
  const technician = trade ? (settings.technicianByTrade[trade] ?? settings.technicianByTrade[trade.toUpperCase()]) : undefined;
  const planned = typeof raw.ScheduledDate_DTO === 'string' && raw.ScheduledDate_DTO.trim() !== '' ? utcDate('ScheduledDate_DTO', raw.ScheduledDate_DTO) : utcDate('ScheduledDate', wo.ScheduledDate);
  const due = utcDate('ExpirationDate', wo.ExpirationDate);
  const description = wo.Description?.trim() ?? '';
  const descriptionRest = description.length > DESCRIPTION_MAX ? description.slice(DESCRIPTION_MAX).trim() : '';
  const facts = { UserName: technician, PlannedStartDate: planned, DispatchUTC: technician && planned ? dispatchUTC : undefined };
  const dispatchStatus = dispatchStatusFor(facts);
  const orderType = wo.Category ? CATEGORY_ORDER_TYPES[wo.Category.trim().toUpperCase()] : undefined;
  const po = text(wo.PurchaseNumber);

  const workOrder: ServicePowerWorkOrderInput = compact({
    Account,
    Location,
    Title: text([trade, text(wo.ProblemCode)].filter(Boolean).join(' - '), TITLE_MAX),
    Description: text(wo.Description, DESCRIPTION_MAX),
    Notes: descriptionRest ? [{ ID: DESCRIPTION_NOTE_ID, Author: 'ServiceChannel', Text: `Description (continued): ${descriptionRest}`, ReadOnly: true }] : undefined,
    OrderType: orderType,
    OrderSubType: trade,
    Priority: mapPriority(wo.Priority),
    PONumber: po,
    PurchaseOrder: po !== undefined || wo.Nte !== null ? compact({ PONum: po, Amount: wo.Nte ?? undefined }) : undefined,
    PlannedStartDate: planned,
    PlannedEndDate: due,
    UserName: technician,
    PrimaryUserName: technician,
    DispatchUTC: facts.DispatchUTC,
    DispatchStatus: dispatchStatus,
  });
  return { workOrderNum, workOrder, dispatchStatus, technician: technician ?? null, accountKind: managed ? 'managed' : 'ad-hoc', problems };
}

/** ServicePower OrderStatus values after which the technician is done (closed complete / incomplete). */
export const FINAL_ORDER_STATUSES: readonly string[] = ['4096', '4097'];
/** ServiceChannel primary statuses after which nothing more is dispatched. */
export const FINAL_SC_STATUSES: readonly string[] = ['CANCELLED', 'COMPLETED', 'INVOICED'];

export function isCancelledInServiceChannel(wo: Pick<ServiceChannelWorkOrder, 'Status'>): boolean {
  return wo.Status.Primary.trim().toUpperCase() === 'CANCELLED';
}

/** One ServiceChannel write FieldBridge makes for the field (one request each). */
export type ServiceChannelAction =
  | { kind: 'checkIn' }
  | { kind: 'checkOut'; resolution?: string }
  | { kind: 'status'; primary: string; extended: string | null; note?: string; key?: string; onlyForward?: boolean }
  | { kind: 'note'; note: string; key?: string };

/**
 * The key FieldBridge puts in the mark of a note it writes (`[FieldBridge <key>]`), so that a write
 * repeated after a lost answer, a retry or a new run finds the note already there: `d` for the
 * dispatched note, `f<n>-<OrderStatus>` for the n-th field status reported.
 */
export const DISPATCHED_NOTE_KEY = 'd';
export function fieldNoteKey(seq: number, orderStatus: string): string {
  return `f${seq}-${orderStatus}`;
}
/**
 * The key of a FieldBridge note's mark, or null (an unmarked note, or one marked without a key): the
 * mark connectors/servicechannel/schemas.ts `markNote` writes, read here without that module (it
 * brings zod into the workflow bundle).
 */
export function markKeyOf(text: string | null | undefined): string | null {
  return /\[FieldBridge ([A-Za-z0-9._:-]{1,40})\]$/.exec((text ?? '').trimEnd())?.[1] ?? null;
}
/** The last field status reported, from the keys of FieldBridge's notes: its sequence number and OrderStatus. */
export function lastFieldReport(noteTexts: readonly string[]): { seq: number; orderStatus: string } | null {
  let last: { seq: number; orderStatus: string } | null = null;
  for (const text of noteTexts) {
    const match = /^f(\d+)-(.+)$/.exec(markKeyOf(text) ?? '');
    if (match && (!last || Number(match[1]) > last.seq)) last = { seq: Number(match[1]), orderStatus: match[2]! };
  }
  return last;
}

/** Give a field status's note and status actions the key of the report they belong to. */
export function keyActions(actions: readonly ServiceChannelAction[], key: string): ServiceChannelAction[] {
  return actions.map((a) => (a.kind === 'note' || (a.kind === 'status' && a.note) ? { ...a, key } : a));
}

export function fillTemplate(template: string, values: { num: string; status: string; note?: string | null; technician?: string | null }): string {
  return template
    .replace(/\{num\}/g, values.num)
    .replace(/\{status\}/g, values.status)
    .replace(/\{note\}/g, values.note ?? '')
    .replace(/\{technician\}/g, values.technician ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * What ServiceChannel gets when the mobile work order reaches `orderStatus`: check-in, check-out, the
 * status (carrying the note in the same request) or the note alone, in that order. `checkedIn`: a
 * check-in is already open (a check-out without one is refused, so one is made first).
 */
export function fieldStatusActions(
  orderStatus: string,
  map: Record<string, FieldStatusActionSettings>,
  values: { num: string; note?: string | null; technician?: string | null; checkedIn: boolean },
): ServiceChannelAction[] {
  const action = map[orderStatus];
  if (!action) return [];
  const actions: ServiceChannelAction[] = [];
  const note = action.note ? fillTemplate(action.note, { ...values, status: orderStatus }) : undefined;
  if (action.checkIn && !values.checkedIn) actions.push({ kind: 'checkIn' });
  if (action.checkOut) {
    if (!action.checkIn && !values.checkedIn) actions.push({ kind: 'checkIn' });
    actions.push({ kind: 'checkOut', ...(values.note ? { resolution: values.note } : {}) });
  }
  if (action.status) actions.push({ kind: 'status', primary: action.status.primary, extended: action.status.extended, ...(note ? { note } : {}) });
  else if (note) actions.push({ kind: 'note', note });
  return actions;
}

/** The note on the ServiceChannel work order once it is dispatched. */
export function dispatchedNote(mapping: Pick<MobileWorkOrderMapping, 'workOrderNum' | 'technician' | 'dispatchStatus'>): string {
  const to = mapping.technician ? ` to ${mapping.technician}` : '';
  return `Dispatched${to} as ServicePower mobile work order ${mapping.workOrderNum} (DispatchStatus ${mapping.dispatchStatus}).`;
}

/** A ServiceChannel note as the workflow carries it (the activity's answer). */
export interface ServiceChannelNoteInput {
  id: number;
  text: string;
  createdBy: string | null;
  dateCreated: string | null;
  /** Written through the provider API: our own dispatch and field notes, never echoed back. */
  fromProvider: boolean;
}

/** The ServicePower note ID of a ServiceChannel note: stable, so a repeated PATCH updates rather than duplicates. */
export function mobileNoteId(noteId: number): string {
  return `SC-NOTE-${noteId}`;
}

/**
 * The client's notes not yet on the mobile work order, as seed 004's `Notes` entries (a keyed
 * collection: a PATCH appends an unknown ID, merges a known one). Notes the provider wrote (our own
 * dispatch note, the field's notes), blank notes and notes already sent are left out; oldest first.
 */
export function notesToSend(notes: readonly ServiceChannelNoteInput[], alreadySent: readonly number[]): { ids: number[]; entries: Array<{ ID: string; Author: string; Date?: string; Text: string; ReadOnly: boolean }> } {
  const sent = new Set(alreadySent);
  const fresh = notes.filter((n) => !n.fromProvider && !sent.has(n.id) && n.text.trim() !== '');
  return {
    ids: fresh.map((n) => n.id),
    entries: fresh.map((n) => ({
      ID: mobileNoteId(n.id),
      Author: n.createdBy?.trim() || 'ServiceChannel',
      ...(n.dateCreated ? { Date: n.dateCreated } : {}),
      Text: n.text,
      ReadOnly: true,
    })),
  };
}
