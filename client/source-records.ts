/**
 * Read-only access to the records a sync reads, for the operator's repair commands (`preview`,
 * `retry`): each flow's source record is loaded by the very activity the sync runs (run here in an
 * activity context of its own, never through Temporal), with the adapters and settings of the
 * configuration, so what the CLI shows cannot drift from what the sync does. Nothing here writes:
 * the loads are GETs (and Spectrum's GetCustomers, and OAuth token requests).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
// A production dependency: MockActivityEnvironment is the SDK's one public way to run an activity (which reads Context.current()) outside a worker.
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCustomerUpsertActivities, type LoadedCustomer } from '../activities/customer-upsert';
import { createJobToWorkOrderActivities, type LoadedJob } from '../activities/job-to-work-order';
import { createServiceChannelActivities, createWorkOrderToMobileActivities, type LoadedMobileSettings } from '../activities/work-order-to-mobile';
import { loadConfig } from '../common/config';
import type { SyncKind } from '../common/search-attributes';
import { App4SalesClient } from '../connectors/app4sales/client';
import { ServiceChannelClient } from '../connectors/servicechannel/client';
import type { ServiceChannelWorkOrder } from '../connectors/servicechannel/schemas';
import { ServicePowerClient } from '../connectors/servicepower/client';
import { ServiceTradeClient } from '../connectors/servicetrade/client';
import { SpecterClient } from '../connectors/specter/client';
import { SpectrumClient } from '../connectors/spectrum/client';
import { serviceChannelClientConfig, spectrumClientConfig } from '../worker/deps';

/** The flows, named as `fieldbridge sync` names them. */
export const FLOWS = ['app4sales-customer', 'servicetrade-job', 'servicechannel-work-order'] as const;
export type Flow = (typeof FLOWS)[number];

/** The sync kind (FieldBridgeSyncKind) of each flow, and back. */
export const FLOW_KIND: Record<Flow, SyncKind> = {
  'app4sales-customer': 'customer-upsert',
  'servicetrade-job': 'job-to-work-order',
  'servicechannel-work-order': 'work-order-to-mobile',
};
export function flowOfKind(kind: string | null): Flow | null {
  return FLOWS.find((f) => FLOW_KIND[f] === kind) ?? null;
}

/** The activity each flow reads its source record with (a step of the workflow). */
export const LOAD_ACTIVITY: Record<Flow, string> = {
  'app4sales-customer': 'loadApp4SalesCustomer',
  'servicetrade-job': 'loadServiceTradeJob',
  'servicechannel-work-order': 'getServiceChannelWorkOrder',
};

/** A message an activity logged while loading (e.g. "sales representative not found"). */
export interface LoadNote {
  level: LogLevel;
  message: string;
  meta?: LogMetadata;
}

/** Collects what the activities log at warn and above; shown by preview as notes. */
class NoteLogger implements Logger {
  readonly notes: LoadNote[] = [];
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (level === 'WARN' || level === 'ERROR') this.notes.push({ level, message, meta });
  }
  trace(): void {}
  debug(): void {}
  info(): void {}
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

async function inActivityContext<T>(logger: NoteLogger, fn: () => Promise<T>): Promise<T> {
  const env = new MockActivityEnvironment({ activityType: 'fieldbridge-cli', workflowExecution: { workflowId: 'fieldbridge-cli', runId: randomUUID() } }, { logger });
  return env.run(fn);
}

export interface CustomerAdapters {
  app4sales: App4SalesClient;
  specter: SpecterClient;
  /** The customer as loadApp4SalesCustomer loads it (recall: also what an earlier run of its sync knew, from Temporal). */
  load(customerId: string, opts?: { recall?: boolean }): Promise<LoadedCustomer>;
}

export interface JobAdapters {
  servicetrade: ServiceTradeClient;
  spectrum: SpectrumClient;
  /** The job as loadServiceTradeJob loads it, its customer code verified against Spectrum (GetCustomers). */
  load(jobId: number): Promise<LoadedJob>;
}

export interface WorkOrderAdapters {
  servicechannel: ServiceChannelClient;
  servicepower: ServicePowerClient;
  load(workOrderId: number): Promise<ServiceChannelWorkOrder>;
  settings(): Promise<LoadedMobileSettings>;
}

export interface FlowAdapters {
  notes: LoadNote[];
  customer?: CustomerAdapters;
  job?: JobAdapters;
  workOrder?: WorkOrderAdapters;
}

/**
 * The flow's adapters from the configuration (only the sections the flow needs), for the duration
 * of fn. `temporal` is the client of the sync's namespace (for the customer load's recall).
 */
export async function withFlowAdapters<T>(flow: Flow, temporal: { client: Client; taskQueue: string }, fn: (adapters: FlowAdapters) => Promise<T>): Promise<T> {
  const logger = new NoteLogger();
  const closers: Array<() => Promise<void>> = [];
  const adapters: FlowAdapters = { notes: logger.notes };
  try {
    if (flow === 'app4sales-customer') {
      const cfg = loadConfig(['app4sales', 'specter']);
      const app4sales = new App4SalesClient(cfg.app4sales);
      const specter = new SpecterClient(cfg.specter);
      closers.push(() => app4sales.close(), () => specter.close());
      const activities = createCustomerUpsertActivities({
        app4sales,
        specter,
        settings: { defaultCustomerGroupId: cfg.specter.defaultCustomerGroupId ?? null },
        temporal,
      });
      adapters.customer = {
        app4sales,
        specter,
        load: (customerId, opts = {}) => inActivityContext(logger, () => activities.loadApp4SalesCustomer({ customerId, recall: opts.recall ?? false })),
      };
    } else if (flow === 'servicetrade-job') {
      const cfg = loadConfig(['servicetrade', 'spectrum', 'jobSync']);
      const servicetrade = new ServiceTradeClient(cfg.servicetrade);
      const spectrum = new SpectrumClient(spectrumClientConfig(cfg.spectrum));
      closers.push(() => servicetrade.close(), () => spectrum.close());
      const activities = createJobToWorkOrderActivities({ servicetrade, spectrum, jobSync: cfg.jobSync, temporal });
      adapters.job = {
        servicetrade,
        spectrum,
        // A session GUID of its own: GetCustomers is a read.
        load: (jobId) => inActivityContext(logger, () => activities.loadServiceTradeJob({ jobId, guid: randomUUID() })),
      };
    } else {
      const cfg = loadConfig(['servicechannel', 'servicepower', 'mobileSync']);
      const servicechannel = new ServiceChannelClient(serviceChannelClientConfig(cfg.servicechannel));
      const servicepower = new ServicePowerClient(cfg.servicepower);
      closers.push(() => servicechannel.close(), () => servicepower.close());
      const sc = createServiceChannelActivities({ servicechannel, servicepower, mobileSync: cfg.mobileSync });
      const mobile = createWorkOrderToMobileActivities({ servicechannel, servicepower, mobileSync: cfg.mobileSync, temporal });
      adapters.workOrder = {
        servicechannel,
        servicepower,
        load: (workOrderId) => inActivityContext(logger, () => sc.getServiceChannelWorkOrder({ workOrderId })),
        settings: () => inActivityContext(logger, () => mobile.loadMobileSyncSettings()),
      };
    }
    return await fn(adapters);
  } finally {
    await Promise.all(closers.map((close) => close().catch(() => undefined)));
  }
}

/** Stable JSON (keys sorted) for comparing records. */
export function canonicalJson(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, item]) => item !== undefined)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, item]) => [k, canonical(item)]),
      );
    }
    return v;
  };
  return JSON.stringify(canonical(value));
}

/**
 * What of a loaded source record decides what the sync sends, as one comparable string: the
 * customer's fingerprint (everything the mapping reads), the job's source and missing mappings,
 * the work order as ServiceChannel returns it. Equal: the record has not changed.
 */
export function sourceIdentity(flow: Flow, loaded: unknown): string {
  if (flow === 'app4sales-customer') {
    const customer = loaded as Partial<LoadedCustomer>;
    return customer.sourceFingerprint ?? canonicalJson({ customer: customer.customer, salesRep: customer.salesRepResIdString, currency: customer.priceListCurrency });
  }
  if (flow === 'servicetrade-job') {
    const job = loaded as Partial<LoadedJob>;
    return canonicalJson({ source: job.source, missing: (job.missing ?? []).map((m) => `${m.record}:${m.id}:${m.problem}`) });
  }
  return canonicalJson(loaded);
}
