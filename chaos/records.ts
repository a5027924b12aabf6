/**
 * What a chaos run syncs and sends: per flow, N source records (a share of them permanently
 * invalid, a share changed once more mid-run), the webhook events that announce them, and the bad
 * webhooks (malformed, unsigned, wrongly signed, oversized, replayed) that must start nothing.
 *
 * Records are put into the source simulators quietly (no simulator webhook): the run delivers
 * every event itself, `deliveries` times, shuffled together with the bad webhooks, so it knows
 * exactly what was sent. A change is applied to the source just before its event's first delivery
 * (a webhook never announces a change that has not happened).
 */
import { signWebhook } from '../connectors/app4sales/signature';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, type Customer } from '../connectors/app4sales/schemas';
import { DEMO_LOCATION_IDS as SC_LOCATION_IDS, DEMO_SUBSCRIBER_IDS } from '../connectors/servicechannel/demo-data';
import { SIGN_DATA_HEADER, SIGN_TYPE_HEADER } from '../connectors/servicechannel/schemas';
import { signServiceChannelWebhook } from '../connectors/servicechannel/signature';
import { notificationHeaders } from '../connectors/servicepower/notifications';
import { DEMO_LOCATION_IDS as ST_LOCATION_IDS } from '../connectors/servicetrade/demo-data';
import type { Simulators } from '../scripts/simulators';
import { BENCH_PRICE_LIST, BENCH_SALES_REP, benchCustomer } from '../bench/customers';
import { benchJob } from '../bench/jobs';
import { burstWorkOrder, prng } from '../bench/work-orders';

export type Flow = 'customer' | 'job' | 'mobile';
export const FLOWS: readonly Flow[] = ['customer', 'job', 'mobile'];

/** The secrets the run configures (names -> values); the scan looks for each value. */
export interface ChaosSecrets {
  APP4SALES_API_KEY: string;
  APP4SALES_WEBHOOK_SECRET: string;
  SPECTER_WRITE_USER_KEY: string;
  SPECTER_READ_USER_KEY: string;
  SERVICETRADE_CLIENT_SECRET: string;
  SERVICETRADE_WEBHOOK_TOKEN: string;
  SERVICECHANNEL_CLIENT_SECRET: string;
  SERVICECHANNEL_PASSWORD: string;
  SERVICECHANNEL_WEBHOOK_KEY: string;
  SERVICEPOWER_USERNAME: string;
  SERVICEPOWER_PASSWORD: string;
  SERVICEPOWER_NOTIFICATION_SECRET: string;
  FIELDBRIDGE_ENCRYPTION_KEYS: string;
}

/** One record of a flow and what the run expects of it. */
export interface ChaosRecord {
  flow: Flow;
  /** The source id (App4Sales customer id, ServiceTrade job id, ServiceChannel work order id). */
  sourceId: string;
  /** 'valid': must reach the target exactly once; otherwise it must end failed or waiting with a named reason. */
  expect: 'valid' | 'invalid';
  /** What makes an invalid record invalid (for the report). */
  invalidBecause?: string;
  /** Changed once more during the run (a second event). */
  changed: boolean;
}

/** One HTTP delivery to the receiver. */
export interface Delivery {
  route: 'app4sales' | 'servicetrade' | 'servicechannel' | 'servicepower';
  /** The bad webhook's kind; undefined for a good event. */
  bad?: BadKind;
  /** For good events: the event's key (its deliveries share it). */
  eventKey?: string;
  flow?: Flow;
  /** Built at send time (App4Sales and ServicePower sign a timestamp). */
  build(receiverUrl: string): { url: string; headers: Record<string, string>; body: string | Buffer };
  /** Run once, before the event's first delivery (the change it announces). */
  before?: () => void;
}

export type BadKind = 'malformed' | 'invalid' | 'unsigned' | 'wrong-signature' | 'wrong-token' | 'oversized' | 'replayed';

export interface FlowPlan {
  records: ChaosRecord[];
  /** Distinct good events (each delivered `deliveries` times). */
  events: Delivery[];
}

export interface ChaosPlanOptions {
  n: number;
  invalidShare: number;
  changedShare: number;
  seed: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const CUSTOMER_BATCH = 'CHAOS';
export const FIRST_JOB_ID = 700_001;
export const FIRST_WORK_ORDER_ID = 80_000_001;
/** A ServiceChannel location without a street address: ServicePower cannot take its work orders. */
export const NO_ADDRESS_LOCATION_ID = 309_999;
/** Ids the bad webhooks name: no good record has them. */
export const BAD_CUSTOMER_PREFIX = 'A4S-BAD-';
export const FIRST_BAD_JOB_ID = 9_900_001;
export const FIRST_BAD_WORK_ORDER_ID = 99_000_001;

/** Which of N records are invalid / changed: spread evenly, the same for a given seed. */
function pick(n: number, share: number, random: () => number): Set<number> {
  const count = Math.round(n * share);
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return new Set(all.slice(0, count));
}

function app4salesEvent(secret: string, event: Record<string, unknown>): Delivery['build'] {
  const body = JSON.stringify(event);
  return (receiverUrl) => {
    const ts = String(Math.floor(Date.now() / 1000));
    return { url: `${receiverUrl}/webhooks/app4sales`, headers: { ...JSON_HEADERS, [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: signWebhook(secret, ts, body) }, body };
  };
}

/** Every e-mail address a customer holds (the scan looks for each). */
export function customerEmails(c: Customer): string[] {
  const emails = [c.Email, c.VisitAddress?.Email, c.DeliveryAddress?.Email, c.MainContactPerson?.Email, ...c.ContactPersons.map((p) => p.Email)];
  return [...new Set(emails.filter((e): e is string => typeof e === 'string' && e.includes('@')))];
}

/** The customer flow: App4Sales customers (invalid: no e-mail anywhere), CustomerChanged events. */
export function planCustomers(sims: Simulators, secrets: ChaosSecrets, opts: ChaosPlanOptions): FlowPlan & { emails: string[] } {
  const random = prng(opts.seed);
  const invalid = pick(opts.n, opts.invalidShare, random);
  const changed = pick(opts.n, opts.changedShare, random);
  sims.app4sales.state.putSalesRep(BENCH_SALES_REP);
  sims.app4sales.state.putPriceList(BENCH_PRICE_LIST);
  const records: ChaosRecord[] = [];
  const events: Delivery[] = [];
  const emails: string[] = [];
  for (let i = 0; i < opts.n; i += 1) {
    let customer = benchCustomer(CUSTOMER_BATCH, i + 1);
    const bad = invalid.has(i);
    if (bad) {
      customer = {
        ...customer,
        Email: null,
        MainContactPerson: customer.MainContactPerson ? { ...customer.MainContactPerson, Email: null } : null,
        ContactPersons: customer.ContactPersons.map((p) => ({ ...p, Email: null })),
      } as Customer;
    }
    emails.push(...customerEmails(customer));
    sims.app4sales.state.putCustomer(customer);
    const id = customer.Id;
    const change = !bad && changed.has(i);
    records.push({ flow: 'customer', sourceId: id, expect: bad ? 'invalid' : 'valid', invalidBecause: bad ? 'no e-mail address (EmailAddress is required)' : undefined, changed: change });
    const occurredAt = new Date().toISOString();
    events.push({
      route: 'app4sales',
      flow: 'customer',
      eventKey: `customer:${id}:created`,
      build: app4salesEvent(secrets.APP4SALES_WEBHOOK_SECRET, { EventId: `chaos-${id}-created`, EventType: 'CustomerCreated', CustomerId: id, ChangedFields: [], OccurredAt: occurredAt }),
    });
    if (change) {
      events.push({
        route: 'app4sales',
        flow: 'customer',
        eventKey: `customer:${id}:renamed`,
        before: () => {
          sims.app4sales.state.patchCustomer(id, { CustomerName: `${customer.CustomerName} (renamed)` });
        },
        build: app4salesEvent(secrets.APP4SALES_WEBHOOK_SECRET, { EventId: `chaos-${id}-renamed`, EventType: 'CustomerChanged', CustomerId: id, ChangedFields: ['CustomerName'], OccurredAt: occurredAt }),
      });
    }
  }
  return { records, events, emails };
}

function serviceTradeJobCreated(token: string, jobId: number, created: number): Delivery['build'] {
  const body = JSON.stringify({
    messageId: `chaos-job-${jobId}`,
    timestamp: created,
    data: [{ action: 'created', timestamp: created, userId: 1, entity: { type: 'job', id: jobId, uri: `https://api.servicetrade.com/api/job/${jobId}` } }],
  });
  return (receiverUrl) => ({ url: `${receiverUrl}/webhooks/servicetrade/${token}`, headers: JSON_HEADERS, body });
}

/** The job flow: ServiceTrade jobs at the mapped demo location (invalid: an unmapped location -> waits; a job number too long for Spectrum -> fails). */
export function planJobs(sims: Simulators, secrets: ChaosSecrets, opts: ChaosPlanOptions): FlowPlan {
  const random = prng(opts.seed + 1);
  const invalid = pick(opts.n, opts.invalidShare, random);
  const records: ChaosRecord[] = [];
  const events: Delivery[] = [];
  let invalidCount = 0;
  for (let i = 0; i < opts.n; i += 1) {
    const id = FIRST_JOB_ID + i;
    const job = benchJob(id, 5);
    let because: string | undefined;
    if (invalid.has(i)) {
      invalidCount += 1;
      if (invalidCount % 2 === 1) {
        job.locationId = ST_LOCATION_IDS.harborPointTower;
        because = 'location without a Spectrum site code (waits for the mapping)';
      } else {
        job.number = `CHAOS${id}`;
        because = 'job number longer than Spectrum\'s 10 characters';
      }
    }
    sims.servicetrade.state.createJob(job, { notify: false });
    records.push({ flow: 'job', sourceId: String(id), expect: because ? 'invalid' : 'valid', invalidBecause: because, changed: false });
    events.push({ route: 'servicetrade', flow: 'job', eventKey: `job:${id}:created`, build: serviceTradeJobCreated(secrets.SERVICETRADE_WEBHOOK_TOKEN, id, Math.floor(Date.now() / 1000)) });
  }
  return { records, events };
}

function serviceChannelEvent(key: string, body: () => string): Delivery['build'] {
  let frozen: string | undefined;
  return (receiverUrl) => {
    frozen ??= body();
    return { url: `${receiverUrl}/webhooks/servicechannel`, headers: { ...JSON_HEADERS, [SIGN_TYPE_HEADER]: 'HMACSHA256', [SIGN_DATA_HEADER]: signServiceChannelWebhook(key, frozen) }, body: frozen };
  };
}

/** The dispatch flow: ServiceChannel work orders (invalid: a location without a street address); a share gets an NTE change. */
export function planWorkOrders(sims: Simulators, secrets: ChaosSecrets, opts: ChaosPlanOptions): FlowPlan {
  const random = prng(opts.seed + 2);
  const invalid = pick(opts.n, opts.invalidShare, random);
  const changed = pick(opts.n, opts.changedShare, random);
  const sc = sims.servicechannel.state;
  sc.seed({ locations: [{ Id: NO_ADDRESS_LOCATION_ID, SubscriberId: DEMO_SUBSCRIBER_IDS.northwind, Name: 'Chaos store without a street address', City: 'Raleigh' }] });
  const records: ChaosRecord[] = [];
  const events: Delivery[] = [];
  for (let i = 0; i < opts.n; i += 1) {
    const id = FIRST_WORK_ORDER_ID + i;
    const bad = invalid.has(i);
    const input = { ...burstWorkOrder(id), Description: 'Rooftop unit not cooling (chaos run)', ...(bad ? { LocationId: NO_ADDRESS_LOCATION_ID } : { LocationId: SC_LOCATION_IDS.northwindRaleigh }) };
    sc.createWorkOrder(input, { notify: false });
    const change = !bad && changed.has(i);
    records.push({ flow: 'mobile', sourceId: String(id), expect: bad ? 'invalid' : 'valid', invalidBecause: bad ? 'location without a street address (ServicePower needs one)' : undefined, changed: change });
    const created = JSON.stringify({ EventType: 'WorkOrderCreated', Object: sc.eventObject(id) });
    events.push({ route: 'servicechannel', flow: 'mobile', eventKey: `mobile:${id}:created`, build: serviceChannelEvent(secrets.SERVICECHANNEL_WEBHOOK_KEY, () => created) });
    if (change) {
      let patched: string | undefined;
      events.push({
        route: 'servicechannel',
        flow: 'mobile',
        eventKey: `mobile:${id}:nte`,
        before: () => {
          sc.patchWorkOrder(id, { Nte: 650 }, { notify: false });
          patched = JSON.stringify({ EventType: 'WorkOrderNteChanged', Object: sc.eventObject(id) });
        },
        build: serviceChannelEvent(secrets.SERVICECHANNEL_WEBHOOK_KEY, () => patched!),
      });
    }
  }
  return { records, events };
}

// ---------------------------------------------------------------------------------------------
// bad webhooks

const BAD_MENU: ReadonlyArray<[Delivery['route'], BadKind]> = [
  ['app4sales', 'malformed'],
  ['app4sales', 'invalid'],
  ['app4sales', 'unsigned'],
  ['app4sales', 'wrong-signature'],
  ['app4sales', 'oversized'],
  ['app4sales', 'replayed'],
  ['servicetrade', 'malformed'],
  ['servicetrade', 'invalid'],
  ['servicetrade', 'wrong-token'],
  ['servicetrade', 'oversized'],
  ['servicechannel', 'malformed'],
  ['servicechannel', 'invalid'],
  ['servicechannel', 'unsigned'],
  ['servicechannel', 'wrong-signature'],
  ['servicechannel', 'oversized'],
  ['servicepower', 'malformed'],
  ['servicepower', 'unsigned'],
  ['servicepower', 'wrong-signature'],
  ['servicepower', 'oversized'],
  ['servicepower', 'replayed'],
];

/** `count` bad webhooks, round-robin over the routes and kinds above; each names an id no good record has. */
export function planBadWebhooks(count: number, secrets: ChaosSecrets, bodyLimitBytes: number): Delivery[] {
  const out: Delivery[] = [];
  const oversizedPad = 'x'.repeat(bodyLimitBytes + 1024);
  for (let i = 0; i < count; i += 1) {
    const [route, kind] = BAD_MENU[i % BAD_MENU.length]!;
    const n = i + 1;
    out.push({ route, bad: kind, build: badBuilder(route, kind, n, secrets, oversizedPad) });
  }
  return out;
}

function badBuilder(route: Delivery['route'], kind: BadKind, n: number, secrets: ChaosSecrets, pad: string): Delivery['build'] {
  const now = () => Math.floor(Date.now() / 1000);
  switch (route) {
    case 'app4sales': {
      const customerId = `${BAD_CUSTOMER_PREFIX}${n}`;
      const valid = JSON.stringify({ EventId: `bad-${n}`, EventType: 'CustomerChanged', CustomerId: customerId, ChangedFields: ['CustomerName'], OccurredAt: new Date().toISOString() });
      const body =
        kind === 'malformed' ? `{"EventId":"bad-${n}","CustomerId":"${customerId}",` : kind === 'invalid' ? JSON.stringify({ EventId: `bad-${n}`, CustomerId: customerId }) : kind === 'oversized' ? JSON.stringify({ ...JSON.parse(valid), Pad: pad }) : valid;
      return (url) => {
        const ts = String(kind === 'replayed' ? now() - 3600 : now());
        const headers: Record<string, string> = { ...JSON_HEADERS };
        if (kind !== 'unsigned') {
          headers[TIMESTAMP_HEADER] = ts;
          headers[SIGNATURE_HEADER] = kind === 'wrong-signature' ? signWebhook('not-the-secret', ts, body) : signWebhook(secrets.APP4SALES_WEBHOOK_SECRET, ts, body);
        }
        return { url: `${url}/webhooks/app4sales`, headers, body };
      };
    }
    case 'servicetrade': {
      const jobId = FIRST_BAD_JOB_ID + n;
      const entry = { action: 'created', timestamp: now(), userId: 1, entity: { type: 'job', id: jobId } };
      const body =
        kind === 'malformed'
          ? `{"messageId":"bad-${n}","data":[`
          : kind === 'invalid'
            ? JSON.stringify({ messageId: `bad-${n}`, data: [{ action: 'created', entity: { id: jobId } }] })
            : JSON.stringify({ messageId: `bad-${n}`, timestamp: now(), data: [entry], ...(kind === 'oversized' ? { pad } : {}) });
      const token = kind === 'wrong-token' ? `wrong-${secrets.SERVICETRADE_WEBHOOK_TOKEN.length}-chars-token-${n}` : secrets.SERVICETRADE_WEBHOOK_TOKEN;
      return (url) => ({ url: `${url}/webhooks/servicetrade/${token}`, headers: JSON_HEADERS, body });
    }
    case 'servicechannel': {
      const id = FIRST_BAD_WORK_ORDER_ID + n;
      const valid = { EventType: 'WorkOrderCreated', Object: { Id: id, Number: String(id), UpdatedDate: new Date().toISOString() } };
      const body =
        kind === 'malformed' ? `{"EventType":"WorkOrderCreated","Object":{"Id":${id}` : kind === 'invalid' ? JSON.stringify({ EventType: 'WorkOrderCreated', Object: { Number: 'x' } }) : JSON.stringify(kind === 'oversized' ? { ...valid, Pad: pad } : valid);
      return (url) => {
        const headers: Record<string, string> = { ...JSON_HEADERS };
        if (kind !== 'unsigned') {
          headers[SIGN_TYPE_HEADER] = 'HMACSHA256';
          headers[SIGN_DATA_HEADER] = signServiceChannelWebhook(kind === 'wrong-signature' ? 'not-the-key' : secrets.SERVICECHANNEL_WEBHOOK_KEY, body);
        }
        return { url: `${url}/webhooks/servicechannel`, headers, body };
      };
    }
    case 'servicepower': {
      const valid = { EventID: `bad-${n}`, EventType: 'OrderStatusChanged', WorkOrderNum: `SCBAD${n}`, OrderStatus: '7', PreviousOrderStatus: '8', ChangedUTC: new Date().toISOString() };
      const body = kind === 'malformed' ? `{"EventID":"bad-${n}"` : JSON.stringify(kind === 'oversized' ? { ...valid, Pad: pad } : valid);
      return (url) => {
        let headers: Record<string, string> = { ...JSON_HEADERS };
        if (kind === 'replayed') headers = { ...headers, ...notificationHeaders(secrets.SERVICEPOWER_NOTIFICATION_SECRET, body, now() - 3600) };
        else if (kind === 'wrong-signature') headers = { ...headers, ...notificationHeaders('not-the-secret', body) };
        else if (kind !== 'unsigned') headers = { ...headers, ...notificationHeaders(secrets.SERVICEPOWER_NOTIFICATION_SECRET, body) };
        return { url: `${url}/webhooks/servicepower`, headers, body };
      };
    }
  }
}

/** True when a workflow's source id is one only a bad webhook names. */
export function isBadSourceId(sourceId: string | null): boolean {
  if (!sourceId) return false;
  if (sourceId.startsWith(BAD_CUSTOMER_PREFIX)) return true;
  const n = Number(sourceId);
  return Number.isInteger(n) && ((n >= FIRST_BAD_JOB_ID && n < FIRST_BAD_JOB_ID + 1_000_000) || n >= FIRST_BAD_WORK_ORDER_ID);
}
