import { DEFAULT_FIELD_STATUS_MAP, type Config } from '../common/config';
import type { App4SalesSimulator } from '../connectors/app4sales/simulator';
import type { ServiceTradeSimulator } from '../connectors/servicetrade/simulator';
import type { SpecterCredentials, SpecterSimulator } from '../connectors/specter/simulator';
import type { SpectrumSimulator } from '../connectors/spectrum/simulator';
import { DEMO_SPECTRUM_DEFAULTS } from '../connectors/spectrum/demo-data';
import { DEMO_SERVICECHANNEL_CLIENT, DEMO_SERVICECHANNEL_USER, DEMO_SUBSCRIBER_IDS } from '../connectors/servicechannel/demo-data';
import type { ServiceChannelSimulator } from '../connectors/servicechannel/simulator';
import type { ServicePowerSimulator } from '../connectors/servicepower/simulator';
import { DEMO_ACCOUNT_NUMS, DEMO_SERVICEPOWER_USER } from '../connectors/servicepower/demo-data';

export interface SimulatorCredentials {
  app4salesApiKey: string;
  /** The simulator's webhook secret: the receiver's (app4salesWebhook section), not the adapters'. Kept so callers pass one set of credentials. */
  webhookSecret: string;
  specter: { sbmId: number; writeUser: SpecterCredentials; readUser: SpecterCredentials };
  servicetrade?: { clientId: string; clientSecret: string };
  /** clientId/clientSecret: enhanced authentication. */
  spectrum?: { authorizationId: string; companyCode?: string; clientId?: string; clientSecret?: string };
  servicechannel?: { clientId: string; clientSecret: string; username: string; password: string };
  /** The ServiceMobility user that creates the JWT (POST /createjwt). */
  servicepower?: { username: string; password: string };
}

/** The dispatch-flow credentials the ServiceChannel and ServicePower simulators are started with when a caller names none. */
export const DEFAULT_MOBILE_FLOW_CREDENTIALS: Required<Pick<SimulatorCredentials, 'servicechannel' | 'servicepower'>> = {
  servicechannel: { ...DEMO_SERVICECHANNEL_CLIENT, ...DEMO_SERVICECHANNEL_USER },
  servicepower: { ...DEMO_SERVICEPOWER_USER },
};

/** The demo dispatch preferences: Northwind under its managed account, HVAC to tech.alvarez, plumbing to tech.brooks. */
export const DEMO_MOBILE_SYNC: Config['mobileSync'] = {
  workOrderNumberPrefix: 'SC',
  managedAccounts: [{ subscriberId: DEMO_SUBSCRIBER_IDS.northwind, accountNum: DEMO_ACCOUNT_NUMS.northwind }],
  technicianByTrade: { HVAC: 'tech.alvarez', REFRIGERATION: 'tech.alvarez', PLUMBING: 'tech.brooks', ELECTRICAL: 'tech.chen' },
  dispatchedStatus: { primary: 'IN PROGRESS', extended: 'DISPATCHED' },
  fieldStatusMap: Object.fromEntries(
    Object.entries(DEFAULT_FIELD_STATUS_MAP).map(([k, v]) => [
      k,
      { checkIn: v.checkIn ?? false, checkOut: v.checkOut ?? false, ...(v.status ? { status: { primary: v.status.primary, extended: v.status.extended ?? null } } : {}), ...(v.note ? { note: v.note } : {}) },
    ]),
  ),
  rereadIntervalMs: 15 * 60_000,
  maxHistoryEvents: 5_000,
  // Harbor Point grants IVR Check IN/OUT (seed 003's XML check-in permission) and its demo site has no coordinates.
  xmlCheckInSubscribers: [DEMO_SUBSCRIBER_IDS.harborPoint],
  reconcileIntervalMs: 5 * 60_000,
  subscriptionTrades: [],
  subscriptionCategories: [],
  subscriptionStatuses: [],
};

/** The job-flow credentials the simulators are started with when a caller names none. */
export const DEFAULT_JOB_FLOW_CREDENTIALS: Required<Pick<SimulatorCredentials, 'servicetrade' | 'spectrum'>> = {
  servicetrade: { clientId: 'fieldbridge', clientSecret: 'dev-servicetrade-secret' },
  spectrum: { authorizationId: 'FIELDBRIDGE' },
};

/**
 * A simulator that is not running: port 9 (discard) on loopback refuses connections, so a client
 * pointed there fails fast and transiently. Used for the systems a test or benchmark does not start.
 */
const NOT_RUNNING = 'http://127.0.0.1:9';

export interface AdapterOverrides {
  app4salesTimeoutMs?: number;
  specterTimeoutMs?: number;
  specterUrl?: string;
  specterWriteKey?: string;
  defaultCustomerGroupId?: string;
  servicetradeTimeoutMs?: number;
  spectrumTimeoutMs?: number;
  /** Job sync preferences on top of the demo ones (mapping wait, type map, …). */
  jobSync?: Partial<Config['jobSync']>;
  servicechannelTimeoutMs?: number;
  /** Our ceiling on ServiceChannel requests per minute (the rate-limited task queue). */
  servicechannelRequestsPerMinute?: number;
  servicepowerTimeoutMs?: number;
  /** Dispatch preferences on top of the demo ones (re-read interval, technicians, …). */
  mobileSync?: Partial<Config['mobileSync']>;
}

/** The adapters' configuration pointed at running simulators (tests, benchmark). */
export function simulatorAdapterConfig(
  sims: {
    app4sales: Pick<App4SalesSimulator, 'url'>;
    specter: Pick<SpecterSimulator, 'url'>;
    servicetrade?: Pick<ServiceTradeSimulator, 'url'>;
    spectrum?: Pick<SpectrumSimulator, 'wsUrl'>;
    servicechannel?: Pick<ServiceChannelSimulator, 'url' | 'tokenUrl'>;
    servicepower?: Pick<ServicePowerSimulator, 'url'>;
  },
  creds: SimulatorCredentials,
  overrides: AdapterOverrides = {},
): Pick<Config, 'app4sales' | 'specter' | 'servicetrade' | 'spectrum' | 'jobSync' | 'servicechannel' | 'servicepower' | 'mobileSync'> {
  const servicechannel = creds.servicechannel ?? DEFAULT_MOBILE_FLOW_CREDENTIALS.servicechannel;
  const servicepower = creds.servicepower ?? DEFAULT_MOBILE_FLOW_CREDENTIALS.servicepower;
  const servicetrade = creds.servicetrade ?? DEFAULT_JOB_FLOW_CREDENTIALS.servicetrade;
  const spectrum = creds.spectrum ?? DEFAULT_JOB_FLOW_CREDENTIALS.spectrum;
  return {
    servicechannel: {
      environment: 'production',
      apiBaseUrl: sims.servicechannel?.url ?? `${NOT_RUNNING}/v3`,
      tokenUrl: sims.servicechannel?.tokenUrl ?? `${NOT_RUNNING}/oauth/token`,
      ...servicechannel,
      timeoutMs: overrides.servicechannelTimeoutMs ?? 15_000,
      requestsPerMinute: overrides.servicechannelRequestsPerMinute,
    },
    servicepower: { baseUrl: sims.servicepower?.url ?? `${NOT_RUNNING}/seiapi/v3/trans`, ...servicepower, timeoutMs: overrides.servicepowerTimeoutMs ?? 15_000 },
    mobileSync: { ...DEMO_MOBILE_SYNC, ...overrides.mobileSync },
    servicetrade: { baseUrl: sims.servicetrade?.url ?? NOT_RUNNING, ...servicetrade, timeoutMs: overrides.servicetradeTimeoutMs ?? 10_000 },
    spectrum: {
      webServicesUrl: sims.spectrum?.wsUrl ?? `${NOT_RUNNING}/ws`,
      authorizationId: spectrum.authorizationId,
      companyCode: spectrum.companyCode,
      enhancedAuth: Boolean(spectrum.clientId && spectrum.clientSecret),
      clientId: spectrum.clientId,
      clientSecret: spectrum.clientSecret,
      secretWarnDays: 14,
      timeoutMs: overrides.spectrumTimeoutMs ?? 15_000,
    },
    jobSync: {
      defaultWorkOrderTypeCode: DEMO_SPECTRUM_DEFAULTS.workOrderType,
      workOrderTypeMap: [
        { jobType: 'repair', serviceLine: 'HVAC', workOrderTypeCode: 'HVAC' },
        { jobType: 'inspection', serviceLine: 'FIRE', workOrderTypeCode: 'FIRE' },
      ],
      defaultLeadSourceCode: DEMO_SPECTRUM_DEFAULTS.leadSource,
      leadSourceRequired: false,
      defaultWarehouseCode: DEMO_SPECTRUM_DEFAULTS.warehouse,
      workOrderNumberLeadingCharacter: 'S',
      otherItemCode: DEMO_SPECTRUM_DEFAULTS.otherItem,
      externalSystemName: 'spectrum',
      timeZone: 'America/New_York',
      mappingWaitMs: 7 * 24 * 3600 * 1000,
      mappingRecheckMs: 3600 * 1000,
      customerListRefreshMs: 30_000,
      ...overrides.jobSync,
    },
    app4sales: { baseUrl: sims.app4sales.url, apiKey: creds.app4salesApiKey, timeoutMs: overrides.app4salesTimeoutMs ?? 10_000 },
    specter: {
      baseUrl: overrides.specterUrl ?? sims.specter.url,
      sbmId: creds.specter.sbmId,
      writeUserId: creds.specter.writeUser.id,
      writeUserKey: overrides.specterWriteKey ?? creds.specter.writeUser.key,
      readUserId: creds.specter.readUser.id,
      readUserKey: creds.specter.readUser.key,
      timeoutMs: overrides.specterTimeoutMs ?? 15_000,
      defaultCustomerGroupId: overrides.defaultCustomerGroupId,
    },
  };
}
