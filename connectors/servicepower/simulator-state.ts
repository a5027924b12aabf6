/**
 * The ServicePower simulator's data and rules: work orders by number (and the numbers deleted),
 * managed accounts and locations, mobile workers, known trades, the request log, and the
 * technician's moves through OrderStatus (reported to `onStatusChange`, which the simulator wires to
 * its notification sender). Every rule is listed in simulators/README.md (ServicePower).
 *
 * Errors are HttpErrors whose `code` carries the reply's `dataPath` (the property the message is about).
 */
import { z } from 'zod';
import { describeDispatchStatus, dispatchStatusFor, missingForDispatchStatus, technicianOf } from './dispatch';
import { JsonPathError } from './jsonpath';
import type { ServicePowerStatusNotification } from './notifications';
import { applyWorkOrderPatch, deepEqual, stripPatchMarkers } from './patch';
import {
  AccountSchema,
  CLOSED_ORDER_STATUSES,
  ContactSchema,
  LocationSchema,
  ORDER_STATUS_CODES,
  ORDER_STATUS_NAMES,
  OrderStatus,
  type OrderStatusCode,
  WorkOrderPatchSchema,
  WorkOrderSchema,
  type ServicePowerWorkOrder,
  type ServicePowerWorkOrderPatch,
  isDeletedFlag,
} from './schemas';
import { randomUUID } from 'node:crypto';
import { HttpError, formatZodIssues } from '../../simulators/http';

type Json = Record<string, unknown>;

// ---- seed -------------------------------------------------------------------------------------

export const ManagedAccountSchema = AccountSchema.extend({ AccountNum: z.string().min(1), Name: z.string().min(1) });
export const ManagedLocationSchema = LocationSchema.extend({ LocationNum: z.string().min(1) });
export const MobileUserSchema = z
  .object({
    UserName: z.string().min(1),
    FirstName: z.string().optional(),
    LastName: z.string().optional(),
    Contacts: z.array(ContactSchema).optional(),
    /** Trades the worker covers (informational). */
    trades: z.array(z.string()).optional(),
  })
  .strict();
export type ServicePowerMobileUser = z.infer<typeof MobileUserSchema>;

export const ServicePowerSeedSchema = z
  .object({
    accounts: z.array(ManagedAccountSchema).default([]),
    locations: z.array(ManagedLocationSchema).default([]),
    users: z.array(MobileUserSchema).default([]),
    /** OrderSubType values known as trades; another one is stored with a warning. */
    trades: z.array(z.string().min(1)).default([]),
    /** Work orders by number, stored as given (managed account/location expanded; no other rule applied). */
    workOrders: z.record(z.string().min(1), z.record(z.string(), z.unknown())).default({}),
  })
  .strict();
export type ServicePowerSeed = z.input<typeof ServicePowerSeedSchema>;

export const StatusChangeSchema = z
  .object({
    OrderStatus: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.enum(ORDER_STATUS_CODES)),
    note: z.string().min(1).optional(),
    /** RejectReasonCode for 1001, ReasonCode for 4096/4097. */
    reasonCode: z.string().min(1).optional(),
    /** When the technician made the move (ISO 8601, default now): the Actual* date it records. */
    at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type StatusChange = z.input<typeof StatusChangeSchema>;

// ---- limits *(assumed)* ---------------------------------------------------------------------------

/** Longer values are cut to this many characters, with a warning. */
export const TRUNCATED_LENGTHS: Readonly<Record<string, number>> = { Description: 255, Title: 100 };

/** The work order's dates seed 004 gives "in UTC format". */
const UTC_DATE_PROPERTIES = ['PlannedStartDate', 'PlannedEndDate', 'DispatchUTC', 'OrderDate'] as const;

/** Properties the technician owns: a PUT or POST that leaves them out keeps the stored values. */
const FIELD_OWNED = ['OrderStatus', 'ActualStartDate', 'ActualEndDate', 'ActualTravelStartDate', 'ActualTravelEndDate', 'RejectReasonCode', 'ReasonCode', 'Remarks', 'TechNotes', 'Signatures', 'Photos', 'OrderDate'];

// ---- records ----------------------------------------------------------------------------------

export interface StoredWorkOrder {
  num: string;
  workOrder: ServicePowerWorkOrder;
  /** +1 per change (API write or technician move). */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  workOrderNum: string;
  /** Absent while unanswered (or never answered: a hung request). */
  status?: number;
}

export interface Cancellation {
  WorkOrderNum: string;
  UserName: string;
  at: string;
}

export interface WriteOutcome {
  warnings: Warning[];
}

export interface Warning {
  message: string;
  dataPath?: string;
  params?: Record<string, unknown>;
}

export interface StatusChangeOptions {
  /** false: apply the move without its notification (a notification lost on purpose). Default true. */
  notify?: boolean;
}

function bad(message: string, dataPath?: string): HttpError {
  return new HttpError(400, message, dataPath);
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** Non-blank properties of an object. */
function filled(obj: Json | undefined): string[] {
  return Object.entries(obj ?? {})
    .filter(([, v]) => !isBlank(v) && !(Array.isArray(v) && v.length === 0))
    .map(([k]) => k);
}

export class ServicePowerState {
  readonly workOrders = new Map<string, StoredWorkOrder>();
  /** Deleted numbers and when: any later request for them is 410. */
  readonly deleted = new Map<string, string>();
  readonly accounts = new Map<string, Json>();
  readonly locations = new Map<string, Json>();
  readonly users = new Map<string, ServicePowerMobileUser>();
  readonly trades = new Set<string>();
  readonly requests: RequestLogEntry[] = [];
  /** Dispatched work orders deleted: the technician was told the work order is canceled (seed 004). */
  readonly cancellations: Cancellation[] = [];
  /** Called on every technician move; `notify: false` moves call it with `notify` false. */
  onStatusChange?: (notification: ServicePowerStatusNotification, options: { notify: boolean }) => void;

  constructor(
    private readonly startSeed: ServicePowerSeed = {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.seed(startSeed);
  }

  // ---- admin ----------------------------------------------------------------------------------

  /** Adds or replaces master data and work orders (no rule applied to work orders but the expansion). */
  seed(input: ServicePowerSeed): void {
    const data = ServicePowerSeedSchema.parse(input);
    for (const account of data.accounts) this.accounts.set(account.AccountNum, account);
    for (const location of data.locations) this.locations.set(location.LocationNum, location);
    for (const user of data.users) this.users.set(user.UserName, user);
    for (const trade of data.trades) this.trades.add(trade);
    for (const [num, raw] of Object.entries(data.workOrders)) {
      const parsed = WorkOrderSchema.safeParse(raw);
      if (!parsed.success) throw bad(`Seed work order ${num}: ${formatZodIssues(parsed.error)}`);
      const wo = this.expand(stripPatchMarkers(parsed.data) as Json);
      this.deleted.delete(num);
      this.store(num, this.withDefaults(num, wo, undefined));
    }
  }

  /** Forgets everything, then loads the seed given at start again. */
  reset(): void {
    this.workOrders.clear();
    this.deleted.clear();
    this.accounts.clear();
    this.locations.clear();
    this.users.clear();
    this.trades.clear();
    this.requests.length = 0;
    this.cancellations.length = 0;
    this.seed(this.startSeed);
  }

  snapshot() {
    return {
      workOrders: Object.fromEntries([...this.workOrders.values()].map((s) => [s.num, s])),
      deleted: Object.fromEntries(this.deleted),
      accounts: [...this.accounts.values()],
      locations: [...this.locations.values()],
      users: [...this.users.values()],
      trades: [...this.trades],
      requests: this.requests,
      requestCounts: this.requestCounts(),
      cancellations: this.cancellations,
    };
  }

  /** Requests received per method (`{GET: 3, PUT: 1, ...}`). */
  requestCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.requests) counts[r.method] = (counts[r.method] ?? 0) + 1;
    return counts;
  }

  /** Requests received with this method (and for this work order, when given). */
  callsTo(method: string, workOrderNum?: string): number {
    return this.requests.filter((r) => r.method === method && (workOrderNum === undefined || r.workOrderNum === workOrderNum)).length;
  }

  /**
   * The stored record, or a 410 HttpError: MOB3 "_REST Response Codes" says 410 is "The specified
   * object does not exists" (never stored, or deleted: the answer is the same); 404 is kept for a URL
   * the API does not have.
   */
  stored(num: string): StoredWorkOrder {
    const stored = this.workOrders.get(num);
    if (!stored) throw new HttpError(410, `WorkOrder '${num}' does not exist`);
    return stored;
  }

  /**
   * A technician's move: OrderStatus becomes `change.OrderStatus` (with the matching Actual* date at
   * `change.at`, default now: 7 On site sets ActualStartDate, 4096/4097 ActualEndDate (and
   * ActualStartDate when there was none),
   * the note as a TechNote, the reason code), and a notification goes out unless `notify` is false.
   * 409 when the work order is not dispatched (DispatchStatus 3), is closed, or is already there.
   */
  setOrderStatus(num: string, input: StatusChange, options: StatusChangeOptions = {}): { workOrder: ServicePowerWorkOrder; notification: ServicePowerStatusNotification } {
    const change = StatusChangeSchema.parse(input);
    const stored = this.stored(num);
    const wo = structuredClone(stored.workOrder) as Json;
    const previous = (wo.OrderStatus || OrderStatus.New) as OrderStatusCode;
    if (CLOSED_ORDER_STATUSES.includes(previous)) {
      throw new HttpError(409, `WorkOrder '${num}' is ${ORDER_STATUS_NAMES[previous]} (OrderStatus ${previous}); the technician can not move it`, 'OrderStatus');
    }
    if (wo.DispatchStatus !== 3) {
      throw new HttpError(409, `WorkOrder '${num}' is not dispatched to a mobile worker (DispatchStatus ${String(wo.DispatchStatus ?? 0)})`, 'DispatchStatus');
    }
    if (previous === change.OrderStatus) {
      throw new HttpError(409, `WorkOrder '${num}' is already ${ORDER_STATUS_NAMES[previous]} (OrderStatus ${previous})`, 'OrderStatus');
    }
    const at = change.at ? new Date(change.at).toISOString() : this.now().toISOString();
    wo.OrderStatus = change.OrderStatus;
    switch (change.OrderStatus) {
      case OrderStatus.EnRoute:
        wo.ActualTravelStartDate = at;
        break;
      case OrderStatus.TravelComplete:
        wo.ActualTravelEndDate = at;
        break;
      case OrderStatus.OnSite:
        if (isBlank(wo.ActualTravelEndDate) && !isBlank(wo.ActualTravelStartDate)) wo.ActualTravelEndDate = at;
        wo.ActualStartDate = at;
        break;
      case OrderStatus.ClosedComplete:
      case OrderStatus.ClosedIncomplete:
        // *(assumed)* a work order closed without an on-site start got its start with the close.
        if (isBlank(wo.ActualStartDate)) wo.ActualStartDate = at;
        wo.ActualEndDate = at;
        if (change.reasonCode) wo.ReasonCode = change.reasonCode;
        break;
      case OrderStatus.Rejected:
        if (change.reasonCode) wo.RejectReasonCode = change.reasonCode;
        break;
    }
    const user = technicianOf(wo as never);
    if (change.note) {
      const notes = Array.isArray(wo.TechNotes) ? (wo.TechNotes as Json[]) : [];
      wo.TechNotes = [...notes, { ID: `TN-${stored.version + 1}`, Author: user ?? '', Date: at, Text: change.note }];
    }
    this.store(num, wo as ServicePowerWorkOrder, stored);
    const notification: ServicePowerStatusNotification = {
      EventID: randomUUID(),
      EventType: 'OrderStatusChanged',
      WorkOrderNum: num,
      OrderStatus: change.OrderStatus,
      PreviousOrderStatus: previous,
      ...(user ? { UserName: user } : {}),
      ...(change.note ? { Note: change.note } : {}),
      ...(change.reasonCode ? { ReasonCode: change.reasonCode } : {}),
      ChangedUTC: at,
    };
    this.onStatusChange?.(notification, { notify: options.notify ?? true });
    return { workOrder: this.workOrders.get(num)!.workOrder, notification };
  }

  // ---- the API --------------------------------------------------------------------------------

  get(num: string): ServicePowerWorkOrder {
    return structuredClone(this.stored(num).workOrder);
  }

  /** PUT: insert (created) or update the whole object (a number deleted before is inserted again). */
  put(num: string, body: unknown): WriteOutcome & { created: boolean } {
    const existing = this.workOrders.get(num);
    const warnings = this.write(num, body, existing);
    this.deleted.delete(num);
    return { created: !existing, warnings };
  }

  /** POST: update an existing work order with the whole object. */
  post(num: string, body: unknown): WriteOutcome {
    const existing = this.stored(num);
    return { warnings: this.write(num, body, existing) };
  }

  /** PATCH: removals (`_fields`, `_paths`), then the supplied properties merged (see ./patch). */
  patch(num: string, body: unknown): WriteOutcome {
    const existing = this.stored(num);
    const patch = this.parseWorkOrder(WorkOrderPatchSchema, body) as ServicePowerWorkOrderPatch;
    this.refuseClosed(num, existing);
    (patch._paths ?? []).forEach((path, index) => {
      if (path !== '' && !path.startsWith('$')) throw bad(`_paths[${index}] '${path}' is not a JSONPath (it must start with $)`, `_paths[${index}]`);
    });
    let merged: Json;
    try {
      merged = applyWorkOrderPatch(existing.workOrder as Json, patch);
    } catch (err) {
      if (err instanceof JsonPathError) throw bad(`_paths: ${err.message}`, '_paths');
      throw err;
    }
    const warnings = this.checkAndStore(num, merged, existing);
    return { warnings };
  }

  /** DELETE: it no longer exists (410 from now on, until a PUT inserts it again). 405 for a ServiceOperations work order (Rules.IsOps). */
  delete(num: string): WriteOutcome {
    const existing = this.stored(num);
    const rules = existing.workOrder.Rules as Json | undefined;
    if (rules?.IsOps === true) {
      throw new HttpError(405, `WorkOrder '${num}' is under ServiceOperations control (Rules.IsOps); only ServiceOperations can delete it`, 'Rules.IsOps');
    }
    const user = technicianOf(existing.workOrder);
    const at = this.now().toISOString();
    if (existing.workOrder.DispatchStatus === 3 && user) this.cancellations.push({ WorkOrderNum: num, UserName: user, at });
    this.workOrders.delete(num);
    this.deleted.set(num, at);
    return { warnings: [] };
  }

  // ---- rules ----------------------------------------------------------------------------------

  private parseWorkOrder(schema: z.ZodType, body: unknown): Json {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('The request body must be a work order object');
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw bad(formatZodIssues(parsed.error), first && first.path.length > 0 ? first.path.join('.') : undefined);
    }
    return parsed.data as Json;
  }

  private refuseClosed(num: string, existing: StoredWorkOrder): void {
    const status = existing.workOrder.OrderStatus as OrderStatusCode | undefined;
    if (status && CLOSED_ORDER_STATUSES.includes(status)) {
      throw new HttpError(409, `WorkOrder '${num}' is ${ORDER_STATUS_NAMES[status]} (OrderStatus ${status}) and can not be replaced`, 'OrderStatus');
    }
  }

  /** PUT / POST: the whole object; properties the technician owns are kept when left out. */
  private write(num: string, body: unknown, existing: StoredWorkOrder | undefined): Warning[] {
    const wo = stripPatchMarkers(this.parseWorkOrder(WorkOrderSchema, body));
    if (existing) {
      this.refuseClosed(num, existing);
      for (const property of FIELD_OWNED) {
        const kept = (existing.workOrder as Json)[property];
        if (wo[property] === undefined && kept !== undefined) wo[property] = kept;
      }
    }
    return this.checkAndStore(num, wo, existing);
  }

  /** Every rule on the resulting object, then store it. */
  private checkAndStore(num: string, input: Json, existing: StoredWorkOrder | undefined): Warning[] {
    const parsed = WorkOrderSchema.safeParse(input);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw bad(formatZodIssues(parsed.error), first && first.path.length > 0 ? first.path.join('.') : undefined);
    }
    const wo = parsed.data as Json;
    const warnings: Warning[] = [];

    if (!isBlank(wo.OrderNum) && wo.OrderNum !== num) {
      throw bad(`OrderNumber '${String(wo.OrderNum)}' from payload does not match with request URI '/${num}'.`, 'OrderNum');
    }
    // Seed 004: these are "in UTC format" *(assumed: a value with another offset is refused, not converted)*.
    for (const property of UTC_DATE_PROPERTIES) {
      const value = wo[property];
      if (typeof value === 'string' && value !== '' && !/(Z|[+-]00:?00)$/i.test(value)) throw bad(`${property} '${value}' must be in UTC (…Z)`, property);
    }
    if (!isDeletedFlag(wo.Deleted)) {
      this.checkAccount(wo);
      this.checkLocation(wo);
    }
    const expanded = this.expand(wo);

    if (existing) {
      const before = (existing.workOrder.Account as Json | undefined)?.AccountNum;
      const after = (expanded.Account as Json | undefined)?.AccountNum;
      if (!isBlank(before) && !isBlank(after) && before !== after) {
        throw new HttpError(409, `WorkOrder '${num}' belongs to account '${String(before)}'; its Account.AccountNum can not be changed to '${String(after)}'`, 'Account.AccountNum');
      }
    }

    for (const property of ['UserName', 'PrimaryUserName'] as const) {
      const user = expanded[property];
      if (!isBlank(user) && !this.users.has(String(user))) throw bad(`${property} '${String(user)}' is not a mobile worker`, property);
    }

    const status = (expanded.DispatchStatus ?? 0) as 0 | 1 | 2 | 3;
    const missing = missingForDispatchStatus(status, expanded as never);
    if (missing.length > 0) {
      throw bad(`DispatchStatus ${describeDispatchStatus(status)} requires ${missing.join(', ')}; missing: ${missing.join(', ')}`, missing[0] === 'PrimaryUser' ? 'UserName' : missing[0]);
    }
    const possible = dispatchStatusFor(expanded as never);
    if (status !== 3 && possible === 3) {
      warnings.push({
        message: `DispatchStatus is ${describeDispatchStatus(status)} although PrimaryUser, PlannedStartDate and DispatchUTC are set: the work order is not dispatched`,
        dataPath: 'DispatchStatus',
      });
    }

    if (!isBlank(expanded.OrderSubType) && !this.trades.has(String(expanded.OrderSubType))) {
      warnings.push({ message: `Unknown trade '${String(expanded.OrderSubType)}': stored, but no mobile worker is matched on it`, dataPath: 'OrderSubType', params: { value: expanded.OrderSubType } });
    }
    for (const [property, max] of Object.entries(TRUNCATED_LENGTHS)) {
      const value = expanded[property];
      if (typeof value === 'string' && value.length > max) {
        expanded[property] = value.slice(0, max);
        warnings.push({ message: `${property} was truncated to ${max} characters (was ${value.length})`, dataPath: property, params: { value: max } });
      }
    }
    if (expanded.ApptWnd !== undefined) {
      warnings.push({ message: 'ApptWnd is deprecated in favor of TimeConstraints', dataPath: 'ApptWnd' });
    }

    this.store(num, this.withDefaults(num, expanded, existing), existing);
    return warnings;
  }

  private checkAccount(wo: Json): void {
    const account = wo.Account as Json;
    const props = filled(account);
    if (props.length === 0) throw bad('Account is required: a managed account (AccountNum) or an ad-hoc account', 'Account');
    if (props.length === 1 && props[0] === 'AccountNum') {
      if (!this.accounts.has(String(account.AccountNum))) throw bad(`Account.AccountNum '${String(account.AccountNum)}': the managed account does not exist`, 'Account.AccountNum');
      return;
    }
    if (isBlank(account.Name)) throw bad('Account.Name is required for an ad-hoc account', 'Account.Name');
  }

  private checkLocation(wo: Json): void {
    const location = wo.Location as Json;
    const props = filled(location);
    if (props.length === 0) throw bad('Location is required: a managed location (LocationNum) or an ad-hoc location', 'Location');
    if (props.length === 1 && props[0] === 'LocationNum') {
      if (!this.locations.has(String(location.LocationNum))) throw bad(`Location.LocationNum '${String(location.LocationNum)}': the managed location does not exist`, 'Location.LocationNum');
      return;
    }
    const address = (location.Address ?? {}) as Json;
    for (const property of ['AddrLine1', 'City'] as const) {
      if (isBlank(address[property])) throw bad(`Location.Address.${property} is required for an ad-hoc location`, `Location.Address.${property}`);
    }
  }

  /** A managed account / location (its number alone) filled in from the master data. */
  private expand(wo: Json): Json {
    const out = { ...wo };
    const account = wo.Account as Json | undefined;
    if (account && filled(account).join() === 'AccountNum' && this.accounts.has(String(account.AccountNum))) {
      out.Account = structuredClone(this.accounts.get(String(account.AccountNum)));
    }
    const location = wo.Location as Json | undefined;
    if (location && filled(location).join() === 'LocationNum' && this.locations.has(String(location.LocationNum))) {
      out.Location = structuredClone(this.locations.get(String(location.LocationNum)));
    }
    return out;
  }

  private withDefaults(num: string, wo: Json, existing: StoredWorkOrder | undefined): ServicePowerWorkOrder {
    return {
      ...wo,
      OrderNum: num,
      OrderDate: isBlank(wo.OrderDate) ? ((existing?.workOrder.OrderDate as string | undefined) ?? this.now().toISOString()) : wo.OrderDate,
      OrderStatus: isBlank(wo.OrderStatus) ? OrderStatus.New : wo.OrderStatus,
      DispatchStatus: wo.DispatchStatus ?? 0,
    } as ServicePowerWorkOrder;
  }

  private store(num: string, workOrder: ServicePowerWorkOrder, existing?: StoredWorkOrder): void {
    const at = this.now().toISOString();
    if (existing && deepEqual(existing.workOrder, workOrder)) return;
    this.workOrders.set(num, {
      num,
      workOrder,
      version: (existing?.version ?? 0) + 1,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    });
  }
}
