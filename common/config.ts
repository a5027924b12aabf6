/**
 * FieldBridge configuration: one zod schema, filled from environment variables and optionally a
 * JSON file named by FIELDBRIDGE_CONFIG (environment variables win). A bad configuration fails at
 * start with every problem listed at once, each named by its environment variable.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EncryptionKeyRing, parseKeyList, type EncryptionKey } from './codec';

const port = z.coerce.number().int().min(1).max(65535);
const positiveMs = z.coerce.number().int().positive();
const secret = z.string().min(1, 'is required');
/**
 * An http(s) URL. `z.url()` alone takes `localhost:4020` (scheme "localhost:"), which only fails
 * at request time, where it is retried for a day: refused here, at start.
 */
const HTTP_URL_MESSAGE = 'must start with http:// or https:// (e.g. http://127.0.0.1:4020)';
const httpUrl = z.string().refine((value) => {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}, HTTP_URL_MESSAGE);

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on', 'y', 'enabled']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', 'n', 'disabled']);
/**
 * A yes/no setting: a JSON boolean (config file) or one of the words above (environment). Not
 * `z.stringbool()`: it refuses a JSON `true` from the config file, and its issue aborts the
 * enclosing object's checks, hiding their problems until it is fixed.
 */
const flag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : value;
}, z.boolean({ error: 'must be true or false (also 1/0, yes/no, on/off)' }));

/**
 * Options for an object's cross-field check (superRefine) so that it runs even when other fields of
 * the object failed, as long as the object itself and the fields it reads parsed: zod skips an
 * object's refinements after any field's issue by default, which would hide this problem until the
 * others are fixed. Lets the configuration name every problem at once.
 */
function whenParsed(...fields: string[]): { when: (payload: z.core.ParsePayload) => boolean } {
  return {
    when: (payload) =>
      typeof payload.value === 'object' &&
      payload.value !== null &&
      !payload.issues.some((issue) => issue.path === undefined || issue.path.length === 0 || fields.includes(String(issue.path[0]))),
  };
}

/**
 * Payload encryption keys (common/codec.ts): `keyId:base64-of-32-bytes` entries from a variable
 * (comma or newline separated) and/or a key file (one per line, `#` comments), the first current
 * unless currentKeyId names another. Parsed into a key ring that never prints its keys. None given:
 * no codec, payloads in clear (development only).
 */
const EncryptionSchema = z
  .object({
    keys: z.preprocess((value) => (Array.isArray(value) ? value.join(',') : value), z.string().optional()),
    keyFile: z.string().min(1).optional(),
    currentKeyId: z.string().min(1).optional(),
  })
  .transform((e, ctx): EncryptionKeyRing | undefined => {
    const keys: EncryptionKey[] = [];
    const from = new Map<string, string>();
    let failed = false;
    const problem = (field: 'keys' | 'keyFile' | 'currentKeyId', message: string) => {
      failed = true;
      ctx.issues.push({ code: 'custom', path: [field], message, input: undefined });
    };
    const add = (field: 'keys' | 'keyFile', text: string, where: string) => {
      const parsed = parseKeyList(text);
      for (const p of parsed.problems) problem(field, p);
      for (const key of parsed.keys) {
        const earlier = from.get(key.id);
        if (earlier) problem(field, `key id "${key.id}" is given twice (also in ${earlier}): key ids must be unique`);
        else {
          from.set(key.id, where);
          keys.push(key);
        }
      }
    };
    if (e.keys !== undefined && e.keys.trim() !== '') add('keys', e.keys, 'FIELDBRIDGE_ENCRYPTION_KEYS');
    if (e.keyFile) {
      let text: string | undefined;
      try {
        text = readFileSync(e.keyFile, 'utf8');
      } catch (err) {
        problem('keyFile', `${e.keyFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      if (text !== undefined) add('keyFile', text, e.keyFile);
    }
    if (keys.length === 0) {
      if (e.currentKeyId && !failed) problem('currentKeyId', 'names a current key, but no keys are configured (FIELDBRIDGE_ENCRYPTION_KEYS or FIELDBRIDGE_ENCRYPTION_KEY_FILE)');
      return failed ? z.NEVER : undefined;
    }
    const current = e.currentKeyId ?? keys[0].id;
    if (!from.has(current)) problem('currentKeyId', `"${current}" is not among the configured keys (${[...from.keys()].join(', ')})`);
    return failed ? z.NEVER : new EncryptionKeyRing(keys, current);
  });

const TemporalSchema = z.object({
  address: z.string().min(1).default('127.0.0.1:7233'),
  namespace: z.string().min(1).default('default'),
  taskQueue: z.string().min(1).default('fieldbridge'),
  /** Temporal Cloud API key (sent as a bearer token); mutually exclusive with mTLS client certs in practice. */
  apiKey: z.string().min(1).optional(),
  tls: z
    .object({
      enabled: flag.default(false),
      clientCertPath: z.string().min(1).optional(),
      clientKeyPath: z.string().min(1).optional(),
      serverRootCaPath: z.string().min(1).optional(),
      serverName: z.string().min(1).optional(),
    })
    .superRefine((t, ctx) => {
      if (!t.clientCertPath !== !t.clientKeyPath) {
        ctx.addIssue({ code: 'custom', path: ['clientKeyPath'], message: 'client certificate and key must be given together' });
      }
    }, whenParsed('clientCertPath', 'clientKeyPath'))
    .prefault({}),
  /** Payload encryption (common/codec.ts); absent when no key is configured. */
  encryption: EncryptionSchema.optional(),
});

const LogSchema = z.object({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** json for machines; pretty for a terminal; auto picks pretty when stdout is a TTY. */
  format: z.enum(['json', 'pretty', 'auto']).default('auto'),
});

/** The App4Sales API, as the worker's activities call it. */
const App4SalesSchema = z.object({
  baseUrl: httpUrl,
  apiKey: secret,
  timeoutMs: positiveMs.default(10_000),
});

/** App4Sales webhooks, as the receiver verifies them (the worker never needs the secret). */
const App4SalesWebhookSchema = z.object({
  /** Shared secret App4Sales signs its webhooks with. */
  secret: z.string().min(16, 'must be at least 16 characters'),
});

const SpecterSchema = z.object({
  baseUrl: httpUrl,
  /** The connector's "API SBM ID". */
  sbmId: z.coerce.number().int().positive(),
  writeUserId: secret,
  writeUserKey: secret,
  readUserId: secret,
  readUserKey: secret,
  timeoutMs: positiveMs.default(15_000),
  /**
   * The connector setting whose row the published mapping lost: a CustomerGroupId sent for
   * customers whose UnknownElements carry none. Unset: CustomerGroupId is sent only when present.
   */
  defaultCustomerGroupId: z.string().min(1).optional(),
});

/** Enhanced authentication needs both halves of the client credentials. */
const SpectrumSchema = z
  .object({
    /** Web Services URL: the SDX endpoint base, e.g. https://spectrum.example.com:8482/ws (seed 001). */
    webServicesUrl: httpUrl,
    /** The Authorization ID created for FieldBridge (Data Exchange), granted the web services the job sync calls (connectors/spectrum/permissions.ts). */
    authorizationId: z.string().min(1, 'is required').max(20, 'must be at most 20 characters (Spectrum Authorization_ID)'),
    /** Spectrum company code; blank: the Authorization ID's company. */
    companyCode: z.string().max(3, 'must be at most 3 characters (Spectrum Company_Code)').optional(),
    /** Enhanced authentication (hosted Spectrum): client-credentials tokens beside the Authorization ID. */
    enhancedAuth: flag.default(false),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    /**
     * SPECTRUM_CLIENT_SECRET_FILE: besides giving clientSecret, the worker reads it again before each
     * token request, so a rotated secret written there is used without a restart. It may hold the
     * bare secret or the JSON answer of POST /secretRotation (whose estimated_expiration is then the expiry).
     */
    clientSecretFile: z.string().min(1).optional(),
    /** The client secret's expiry as Secret Status shows it (YYYY-MM-DD, an ISO date-time, or MM/DD/CCYY); the secret file's estimated_expiration wins. */
    clientSecretExpires: z
      .string()
      .refine((value) => /^\d{2}[/-]\d{2}[/-]\d{4}$/.test(value.trim()) || (/^\d{4}-\d{2}-\d{2}/.test(value.trim()) && !Number.isNaN(new Date(value.trim()).getTime())), 'must be a date: YYYY-MM-DD, an ISO date-time, or MM/DD/CCYY')
      .optional(),
    /** Warn this many days before the client secret expires (log, fieldbridge_credential_expiring, `fieldbridge status`). */
    secretWarnDays: z.coerce.number().int().min(1).max(120).default(14),
    /** Token endpoint; default: /connect/token on the Web Services URL's host. */
    tokenUrl: httpUrl.optional(),
    timeoutMs: positiveMs.default(30_000),
  })
  .superRefine((s, ctx) => {
    if (!s.enhancedAuth) return;
    if (!s.clientId) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'is required with enhanced authentication' });
    if (!s.clientSecret) ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'is required with enhanced authentication' });
  }, whenParsed('enhancedAuth', 'clientId', 'clientSecret'));

/** One row of the work order type code map (seed 000): ServiceTrade job type x service line -> Spectrum work order type. */
const WorkOrderTypeMapRow = z.object({
  jobType: z.string().min(1),
  /** The service line's name or abbreviation (compared without regard to case). */
  serviceLine: z.string().min(1),
  workOrderTypeCode: z.string().min(1).max(5, 'must be at most 5 characters (Spectrum WO_Job_Division)'),
});
/** A JSON value given as text in a variable (or a `_FILE`), or as JSON in the config file. */
const json = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch (err) {
      return { invalidJson: (err as Error).message };
    }
  }, schema);

/** The error of a JSON setting: the parser's complaint, or what shape it must have. */
const jsonError = (shape: string) => (issue: { input?: unknown }) => {
  const invalidJson = (issue.input as { invalidJson?: unknown } | undefined)?.invalidJson;
  return typeof invalidJson === 'string' ? `is not valid JSON (${invalidJson})` : `must be ${shape}`;
};

/** Given as JSON (a variable, a file through SPECTRUM_WORK_ORDER_TYPE_MAP_FILE, or the config file). */
const WorkOrderTypeMap = json(z.array(WorkOrderTypeMapRow, { error: jsonError('a JSON array of {"jobType","serviceLine","workOrderTypeCode"}') }));

/** The job -> work order integration preferences of seed 000, read by the worker's activities. */
const JobSyncSchema = z
  .object({
    /** Spectrum work order type (division) for new work orders; blank when Spectrum has a default division for site work orders. */
    defaultWorkOrderTypeCode: z.string().max(5, 'must be at most 5 characters (Spectrum WO_Job_Division)').optional(),
    workOrderTypeMap: WorkOrderTypeMap.default([]),
    /** Required when Spectrum requires lead sources on work orders. */
    defaultLeadSourceCode: z.string().max(15, 'must be at most 15 characters (Spectrum Lead_Source)').optional(),
    /** Mirrors Spectrum's "require lead sources" property, so a missing lead source is named at start. */
    leadSourceRequired: flag.default(false),
    /** Warehouse of every material line; blank: Spectrum's default warehouse. */
    defaultWarehouseCode: z.string().max(10, 'must be at most 10 characters').optional(),
    /** A letter or digit put before the ServiceTrade job number to make the work order number. */
    workOrderNumberLeadingCharacter: z
      .string()
      .regex(/^[A-Za-z0-9]$/, 'must be one letter or digit')
      .optional(),
    /** Spectrum item code for job items not in the ServiceTrade item library. */
    otherItemCode: z.string().max(15, 'must be at most 15 characters (Spectrum Item_Code)').optional(),
    /** ServiceTrade external system name under which Spectrum codes are kept (customer, site, work order). */
    externalSystemName: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, 'must be lowercase, start with a letter and hold only letters, digits and underscores (ServiceTrade rule)')
      .default('spectrum'),
    /** Time zone of the dates and times sent to Spectrum. */
    timeZone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone, e.g. America/Chicago')
      .default('UTC'),
    /** How long a job whose customer or location has no Spectrum code waits for the mapping before it fails. */
    mappingWaitMs: positiveMs.default(7 * 24 * 3600 * 1000),
    /**
     * Spectrum's customer list (GetCustomers, to verify mapped customer codes) is cached per worker;
     * a code not in it is looked up again once the list is this old.
     */
    customerListRefreshMs: positiveMs.default(30_000),
    /** A waiting job looks again this often even when no webhook or operator wakes it. */
    mappingRecheckMs: positiveMs.default(3600 * 1000),
  })
  .superRefine((s, ctx) => {
    if (s.leadSourceRequired && !s.defaultLeadSourceCode) {
      ctx.addIssue({ code: 'custom', path: ['defaultLeadSourceCode'], message: 'is required when Spectrum requires lead sources (SPECTRUM_LEAD_SOURCE_REQUIRED=true)' });
    }
  }, whenParsed('leadSourceRequired', 'defaultLeadSourceCode'));

/** The ServiceTrade API, as the worker's activities call it (OAuth 2.0 client credentials). */
const ServiceTradeSchema = z.object({
  baseUrl: httpUrl.default('https://api.servicetrade.com/api'),
  clientId: secret,
  clientSecret: secret,
  timeoutMs: positiveMs.default(15_000),
});

/** ServiceTrade webhooks, as the receiver takes them: ServiceTrade signs nothing, so the hook URL carries a secret token. */
const ServiceTradeWebhookSchema = z.object({
  /** The secret path segment of the hook URL registered in ServiceTrade (/webhooks/servicetrade/<token>). */
  token: z
    .string()
    .min(24, 'must be at least 24 characters')
    .regex(/^[A-Za-z0-9_-]+$/, 'must hold only letters, digits, - and _ (it is a URL path segment)'),
  /** Seed 000's "Automatically Sync New Jobs": a job-created webhook starts the job's sync. */
  autoSyncNewJobs: flag.default(false),
});

/** The ServiceChannel API as a provider's activities call it (OAuth 2.0 password grant, Basic client auth). */
const ServiceChannelSchema = z.object({
  /** production: api.servicechannel.com; sandbox: Sandbox2 (sb2api). Sets the default URLs and rate limits. */
  environment: z.enum(['production', 'sandbox']).default('sandbox'),
  apiBaseUrl: httpUrl.optional(),
  tokenUrl: httpUrl.optional(),
  clientId: secret,
  clientSecret: secret,
  username: secret,
  password: secret,
  timeoutMs: positiveMs.default(15_000),
  /**
   * Our own ceiling on ServiceChannel API requests per minute, across all workers (ServiceChannel
   * allows 300 per client id in production, 40 in the sandbox); default: 90 % of that.
   */
  requestsPerMinute: z.coerce.number().int().positive().optional(),
});

/** ServiceChannel webhooks, as the receiver verifies them (Sign-Type HMACSHA256, Sign-Data). */
const ServiceChannelWebhookSchema = z.object({
  key: z.string().min(16, 'must be at least 16 characters'),
});

/**
 * The ServicePower work order REST API (/seiapi/v3/trans). The x-access-token JWT is created from
 * username/password with `POST /createjwt` and renewed before its `exp` (never a configured token).
 */
const ServicePowerSchema = z.object({
  baseUrl: httpUrl,
  /** The Create JWT REST API; default `/createjwt` on the base URL's host. */
  tokenUrl: httpUrl.optional(),
  username: secret,
  password: secret,
  timeoutMs: positiveMs.default(15_000),
});

/** ServicePower status notifications, as the receiver verifies them. */
const ServicePowerNotificationSchema = z.object({
  secret: z.string().min(16, 'must be at least 16 characters'),
});

const ScStatus = z.object({ primary: z.string().min(1), extended: z.string().min(1).nullable().default(null) });
/** Written "PRIMARY" or "PRIMARY/EXTENDED" in a variable, or {primary, extended} in the config file. */
const scStatus = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const [primary, ...rest] = value.split('/');
  return { primary: primary.trim(), extended: rest.join('/').trim() || null };
}, ScStatus);

/** What ServiceChannel hears when the technician's ServicePower OrderStatus moves (docs/flows/work-order-to-mobile.md, "The field"). */
const FieldStatusAction = z.object({
  checkIn: z.boolean().default(false),
  checkOut: z.boolean().default(false),
  status: ScStatus.optional(),
  /** Note text; `{num}`, `{status}`, `{note}` and `{technician}` are filled in. */
  note: z.string().optional(),
});
export type FieldStatusAction = z.infer<typeof FieldStatusAction>;

export const DEFAULT_FIELD_STATUS_MAP: Record<string, z.input<typeof FieldStatusAction>> = {
  '6': { note: 'Technician en route (mobile work order {num}).' },
  '7': { checkIn: true, note: 'Technician on site (mobile work order {num}).' },
  '4096': { checkOut: true, status: { primary: 'COMPLETED', extended: 'PENDING CONFIRMATION' }, note: 'Work completed in the field (mobile work order {num}). {note}' },
  '4097': { checkOut: true, status: { primary: 'IN PROGRESS', extended: 'INCOMPLETE' }, note: 'Work closed incomplete in the field (mobile work order {num}). {note}' },
  '1001': { status: { primary: 'ON HOLD', extended: 'REJECTED' }, note: 'The technician rejected mobile work order {num}. {note}' },
};

/** A comma-separated list (empty entries dropped); default none. */
const commaList = z
  .preprocess((value) => (typeof value === 'string' ? value.split(',').map((v) => v.trim()).filter((v) => v !== '') : value), z.array(z.string().min(1)))
  .default([]);

/** The ServiceChannel -> ServicePower dispatch preferences, read by the worker's activities. */
const MobileSyncSchema = z.object({
  /** ServicePower WorkOrderNum = this prefix + the ServiceChannel work order number. */
  workOrderNumberPrefix: z.string().max(10).default('SC'),
  /** Subscribers or locations dispatched under a ServicePower managed account (only AccountNum is sent); others get an ad-hoc account. */
  managedAccounts: json(
    z.array(z.object({ subscriberId: z.coerce.number().int().optional(), locationId: z.coerce.number().int().optional(), accountNum: z.string().min(1) }), {
      error: jsonError('a JSON array of {"subscriberId" or "locationId", "accountNum"}'),
    }),
  ).default([]),
  /** ServiceChannel trade -> the technician (ServicePower user) who gets the work; unmapped trades are scheduled, not assigned. */
  technicianByTrade: json(z.record(z.string(), z.string().min(1), { error: jsonError('a JSON object {"<trade>": "<ServicePower user>"}') })).default({}),
  /** The ServiceChannel status set once the mobile work order is dispatched. */
  dispatchedStatus: scStatus.default({ primary: 'IN PROGRESS', extended: 'DISPATCHED' }),
  /** ServicePower OrderStatus -> what ServiceChannel gets (check-in, check-out, status, note). */
  fieldStatusMap: json(z.record(z.string(), FieldStatusAction, { error: jsonError('a JSON object {"<OrderStatus>": {checkIn, checkOut, status, note}}') })).default(
    () => Object.fromEntries(Object.entries(DEFAULT_FIELD_STATUS_MAP).map(([k, v]) => [k, FieldStatusAction.parse(v)])),
  ),
  /** While a work order is open, its ServicePower status is re-read this often (notifications get lost). */
  rereadIntervalMs: positiveMs.default(15 * 60_000),
  /**
   * A work order's workflow rolls its history over (continue-as-new) at this many events, or sooner
   * when Temporal suggests it: an open work order's re-reads grow it even when nothing happens.
   */
  maxHistoryEvents: z.coerce.number().int().min(100).max(40_000).default(5_000),
  /**
   * Subscribers that granted this provider the XML check-in permission (seed 003 "IVR Check IN/OUT"):
   * their check-ins/outs may go without Latitude/Longitude when the ServicePower work order has no
   * coordinates; for any other subscriber a missing position is an error naming the work order.
   */
  xmlCheckInSubscribers: json(z.array(z.coerce.number().int(), { error: jsonError('a JSON array of ServiceChannel subscriber ids') })).default([]),
  /** How often the reconciliation Schedule lists ServiceChannel work orders changed since its last run. */
  reconcileIntervalMs: positiveMs.default(5 * 60_000),
  /**
   * The ServiceChannel webhook subscription's filters (trades, categories, statuses; comma separated,
   * empty = all): the reconciliation lists only the work orders the subscription would announce.
   */
  subscriptionTrades: commaList,
  subscriptionCategories: commaList,
  subscriptionStatuses: commaList,
});

/** The codec server the Temporal UI decodes payloads with (client/codec-server.ts). */
const CodecServerSchema = z
  .object({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8234),
  /** When set, every /encode and /decode needs `Authorization: Bearer <token>`. */
  token: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Origins (the Temporal UI's) allowed to call it from a browser, comma separated. */
  corsOrigins: z
    .preprocess(
      (value) => (typeof value === 'string' ? value.split(',').map((o) => o.trim()).filter((o) => o !== '') : value),
      z.array(httpUrl.transform((o) => new URL(o).origin)),
    )
    .default(['http://localhost:8233', 'http://127.0.0.1:8233']),
  })
  .superRefine((s, ctx) => {
    // Whoever reaches the codec server can decrypt every payload: off the loopback interface it needs its token.
    if (!s.token && !isLoopbackHost(s.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: `is required when the codec server listens on ${s.host}, which is not a loopback address (anyone who reaches it could decrypt every payload): set CODEC_SERVER_TOKEN, or CODEC_SERVER_HOST=127.0.0.1`,
      });
    }
  }, whenParsed('host', 'token'));

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The worker's Prometheus endpoint (FieldBridge's metrics and the Temporal SDK's, on one port; 0 = off). */
const WorkerMetricsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(9464),
});

/**
 * A duration with its unit: `500ms`, `30s`, `2m` (environment); a number of milliseconds in the config
 * file. Parsed to milliseconds.
 */
const durationMs = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$/i.exec(value);
    if (!m) return value;
    return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2].toLowerCase() as 'ms' | 's' | 'm']);
  },
  z.number({ error: 'must be a duration with its unit, e.g. 30s, 2m, 500ms' }).int().min(0).max(3_600_000, 'must be at most 1 hour'),
);

/** The worker process. */
const WorkerSchema = z.object({
  /**
   * On SIGTERM or SIGINT the worker stops polling and gives the activities it is running this long
   * to finish; those still running then are cancelled (and retried by Temporal on another worker).
   */
  shutdownGraceMs: durationMs.default(30_000),
});

const ReceiverSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(3000),
  bodyLimitBytes: z.coerce.number().int().positive().default(64 * 1024),
  /** Accepted clock skew for signed webhooks. */
  signatureToleranceSeconds: z.coerce.number().int().positive().default(300),
  /** Longest a webhook waits on Temporal before it is answered 503 (the sender retries). */
  startDeadlineMs: positiveMs.default(3000),
  /** Longest a client may take to send a whole request (headers and body): slower ones get 408. */
  requestTimeoutMs: positiveMs.default(10_000),
  /** Longest a socket may stay silent while a request is in progress. */
  connectionTimeoutMs: positiveMs.default(30_000),
  /** How long an idle keep-alive connection is kept open (longer than load balancers' idle timeouts, often 60 s). */
  keepAliveTimeoutMs: positiveMs.default(72_000),
});

/**
 * `npm start`'s own Temporal (not read by the worker, the receiver or the CLI): the dev server (SQLite
 * in the data folder) or a Temporal server on PostgreSQL (scripts/temporal-server.ts).
 */
const StackSchema = z.object({
  temporal: z.enum(['dev', 'postgres']).default('dev'),
  postgresAddress: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').default('127.0.0.1:5432'),
  postgresUser: z.string().min(1).default('postgres'),
  postgresPassword: z.string().min(1).optional(),
});

export const ConfigSchema = z.object({
  temporal: TemporalSchema.prefault({}),
  log: LogSchema.prefault({}),
  app4sales: App4SalesSchema,
  app4salesWebhook: App4SalesWebhookSchema,
  specter: SpecterSchema,
  servicetrade: ServiceTradeSchema,
  servicetradeWebhook: ServiceTradeWebhookSchema,
  spectrum: SpectrumSchema,
  jobSync: JobSyncSchema.prefault({}),
  servicechannel: ServiceChannelSchema,
  servicechannelWebhook: ServiceChannelWebhookSchema,
  servicepower: ServicePowerSchema,
  servicepowerNotification: ServicePowerNotificationSchema,
  mobileSync: MobileSyncSchema.prefault({}),
  receiver: ReceiverSchema.prefault({}),
  codecServer: CodecServerSchema.prefault({}),
  workerMetrics: WorkerMetricsSchema.prefault({}),
  worker: WorkerSchema.prefault({}),
  stack: StackSchema.prefault({}),
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigSection = keyof Config;

/**
 * Environment variable -> config path. docs/configuration.md has a table row for each
 * (test/tooling/configuration-docs.test.ts checks it).
 */
export const ENVIRONMENT: ReadonlyArray<readonly [string, string]> = [
  ['TEMPORAL_ADDRESS', 'temporal.address'],
  ['TEMPORAL_NAMESPACE', 'temporal.namespace'],
  ['TEMPORAL_TASK_QUEUE', 'temporal.taskQueue'],
  ['TEMPORAL_API_KEY', 'temporal.apiKey'],
  ['TEMPORAL_TLS', 'temporal.tls.enabled'],
  ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'temporal.tls.clientCertPath'],
  ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'temporal.tls.clientKeyPath'],
  ['TEMPORAL_TLS_SERVER_ROOT_CA_PATH', 'temporal.tls.serverRootCaPath'],
  ['TEMPORAL_TLS_SERVER_NAME', 'temporal.tls.serverName'],
  ['FIELDBRIDGE_ENCRYPTION_KEYS', 'temporal.encryption.keys'],
  ['FIELDBRIDGE_ENCRYPTION_KEY_FILE', 'temporal.encryption.keyFile'],
  ['FIELDBRIDGE_ENCRYPTION_KEY_ID', 'temporal.encryption.currentKeyId'],
  ['LOG_LEVEL', 'log.level'],
  ['LOG_FORMAT', 'log.format'],
  ['APP4SALES_BASE_URL', 'app4sales.baseUrl'],
  ['APP4SALES_API_KEY', 'app4sales.apiKey'],
  ['APP4SALES_WEBHOOK_SECRET', 'app4salesWebhook.secret'],
  ['APP4SALES_TIMEOUT_MS', 'app4sales.timeoutMs'],
  ['SPECTER_BASE_URL', 'specter.baseUrl'],
  ['SPECTER_SBM_ID', 'specter.sbmId'],
  ['SPECTER_WRITE_USER_ID', 'specter.writeUserId'],
  ['SPECTER_WRITE_USER_KEY', 'specter.writeUserKey'],
  ['SPECTER_READ_USER_ID', 'specter.readUserId'],
  ['SPECTER_READ_USER_KEY', 'specter.readUserKey'],
  ['SPECTER_TIMEOUT_MS', 'specter.timeoutMs'],
  ['SPECTER_DEFAULT_CUSTOMER_GROUP_ID', 'specter.defaultCustomerGroupId'],
  ['SERVICETRADE_BASE_URL', 'servicetrade.baseUrl'],
  ['SERVICETRADE_CLIENT_ID', 'servicetrade.clientId'],
  ['SERVICETRADE_CLIENT_SECRET', 'servicetrade.clientSecret'],
  ['SERVICETRADE_TIMEOUT_MS', 'servicetrade.timeoutMs'],
  ['SERVICETRADE_WEBHOOK_TOKEN', 'servicetradeWebhook.token'],
  ['SERVICETRADE_AUTO_SYNC_NEW_JOBS', 'servicetradeWebhook.autoSyncNewJobs'],
  ['SPECTRUM_WEB_SERVICES_URL', 'spectrum.webServicesUrl'],
  ['SPECTRUM_AUTHORIZATION_ID', 'spectrum.authorizationId'],
  ['SPECTRUM_COMPANY_CODE', 'spectrum.companyCode'],
  ['SPECTRUM_ENHANCED_AUTH', 'spectrum.enhancedAuth'],
  ['SPECTRUM_CLIENT_ID', 'spectrum.clientId'],
  ['SPECTRUM_CLIENT_SECRET', 'spectrum.clientSecret'],
  ['SPECTRUM_CLIENT_SECRET_FILE', 'spectrum.clientSecretFile'],
  ['SPECTRUM_CLIENT_SECRET_EXPIRES', 'spectrum.clientSecretExpires'],
  ['SPECTRUM_CLIENT_SECRET_WARN_DAYS', 'spectrum.secretWarnDays'],
  ['SPECTRUM_TOKEN_URL', 'spectrum.tokenUrl'],
  ['SPECTRUM_TIMEOUT_MS', 'spectrum.timeoutMs'],
  ['SPECTRUM_DEFAULT_WORK_ORDER_TYPE', 'jobSync.defaultWorkOrderTypeCode'],
  ['SPECTRUM_WORK_ORDER_TYPE_MAP', 'jobSync.workOrderTypeMap'],
  ['SPECTRUM_DEFAULT_LEAD_SOURCE', 'jobSync.defaultLeadSourceCode'],
  ['SPECTRUM_LEAD_SOURCE_REQUIRED', 'jobSync.leadSourceRequired'],
  ['SPECTRUM_DEFAULT_WAREHOUSE', 'jobSync.defaultWarehouseCode'],
  ['SPECTRUM_WO_NUMBER_LEADING_CHARACTER', 'jobSync.workOrderNumberLeadingCharacter'],
  ['SPECTRUM_OTHER_ITEM_CODE', 'jobSync.otherItemCode'],
  ['SERVICETRADE_EXTERNAL_SYSTEM_NAME', 'jobSync.externalSystemName'],
  ['SPECTRUM_TIME_ZONE', 'jobSync.timeZone'],
  ['JOB_SYNC_MAPPING_WAIT_MS', 'jobSync.mappingWaitMs'],
  ['JOB_SYNC_MAPPING_RECHECK_MS', 'jobSync.mappingRecheckMs'],
  ['JOB_SYNC_CUSTOMER_LIST_REFRESH_MS', 'jobSync.customerListRefreshMs'],
  ['SERVICECHANNEL_ENVIRONMENT', 'servicechannel.environment'],
  ['SERVICECHANNEL_API_BASE_URL', 'servicechannel.apiBaseUrl'],
  ['SERVICECHANNEL_TOKEN_URL', 'servicechannel.tokenUrl'],
  ['SERVICECHANNEL_CLIENT_ID', 'servicechannel.clientId'],
  ['SERVICECHANNEL_CLIENT_SECRET', 'servicechannel.clientSecret'],
  ['SERVICECHANNEL_USERNAME', 'servicechannel.username'],
  ['SERVICECHANNEL_PASSWORD', 'servicechannel.password'],
  ['SERVICECHANNEL_TIMEOUT_MS', 'servicechannel.timeoutMs'],
  ['SERVICECHANNEL_REQUESTS_PER_MINUTE', 'servicechannel.requestsPerMinute'],
  ['SERVICECHANNEL_WEBHOOK_KEY', 'servicechannelWebhook.key'],
  ['SERVICEPOWER_BASE_URL', 'servicepower.baseUrl'],
  ['SERVICEPOWER_TOKEN_URL', 'servicepower.tokenUrl'],
  ['SERVICEPOWER_USERNAME', 'servicepower.username'],
  ['SERVICEPOWER_PASSWORD', 'servicepower.password'],
  ['SERVICEPOWER_TIMEOUT_MS', 'servicepower.timeoutMs'],
  ['SERVICEPOWER_NOTIFICATION_SECRET', 'servicepowerNotification.secret'],
  ['MOBILE_WORK_ORDER_NUMBER_PREFIX', 'mobileSync.workOrderNumberPrefix'],
  ['MOBILE_MANAGED_ACCOUNTS', 'mobileSync.managedAccounts'],
  ['MOBILE_TECHNICIAN_BY_TRADE', 'mobileSync.technicianByTrade'],
  ['SERVICECHANNEL_DISPATCHED_STATUS', 'mobileSync.dispatchedStatus'],
  ['MOBILE_FIELD_STATUS_MAP', 'mobileSync.fieldStatusMap'],
  ['MOBILE_REREAD_INTERVAL_MS', 'mobileSync.rereadIntervalMs'],
  ['MOBILE_MAX_HISTORY_EVENTS', 'mobileSync.maxHistoryEvents'],
  ['MOBILE_XML_CHECKIN_SUBSCRIBERS', 'mobileSync.xmlCheckInSubscribers'],
  ['SERVICECHANNEL_RECONCILE_INTERVAL_MS', 'mobileSync.reconcileIntervalMs'],
  ['SERVICECHANNEL_SUBSCRIPTION_TRADES', 'mobileSync.subscriptionTrades'],
  ['SERVICECHANNEL_SUBSCRIPTION_CATEGORIES', 'mobileSync.subscriptionCategories'],
  ['SERVICECHANNEL_SUBSCRIPTION_STATUSES', 'mobileSync.subscriptionStatuses'],
  ['RECEIVER_HOST', 'receiver.host'],
  ['RECEIVER_PORT', 'receiver.port'],
  ['RECEIVER_BODY_LIMIT_BYTES', 'receiver.bodyLimitBytes'],
  ['RECEIVER_SIGNATURE_TOLERANCE_SECONDS', 'receiver.signatureToleranceSeconds'],
  ['RECEIVER_START_DEADLINE_MS', 'receiver.startDeadlineMs'],
  ['RECEIVER_REQUEST_TIMEOUT_MS', 'receiver.requestTimeoutMs'],
  ['RECEIVER_CONNECTION_TIMEOUT_MS', 'receiver.connectionTimeoutMs'],
  ['RECEIVER_KEEP_ALIVE_TIMEOUT_MS', 'receiver.keepAliveTimeoutMs'],
  ['CODEC_SERVER_HOST', 'codecServer.host'],
  ['CODEC_SERVER_PORT', 'codecServer.port'],
  ['CODEC_SERVER_TOKEN', 'codecServer.token'],
  ['CODEC_SERVER_CORS_ORIGINS', 'codecServer.corsOrigins'],
  ['WORKER_METRICS_HOST', 'workerMetrics.host'],
  ['WORKER_METRICS_PORT', 'workerMetrics.port'],
  ['WORKER_SHUTDOWN_GRACE', 'worker.shutdownGraceMs'],
  ['FIELDBRIDGE_TEMPORAL', 'stack.temporal'],
  ['FIELDBRIDGE_POSTGRES_ADDRESS', 'stack.postgresAddress'],
  ['FIELDBRIDGE_POSTGRES_USER', 'stack.postgresUser'],
  ['FIELDBRIDGE_POSTGRES_PASSWORD', 'stack.postgresPassword'],
];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid FieldBridge configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

function readFileConfig(file: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the file must hold a JSON object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([`FIELDBRIDGE_CONFIG (${file}): ${(err as Error).message}`]);
  }
}

/**
 * `<NAME>_FILE` names a file holding the variable's value (secrets mounted as files, a JSON map kept
 * in a file); the variable itself wins when both are set. One trailing newline is dropped.
 */
function readVariableFile(name: string, env: Env): { value: string } | { problem: string } | undefined {
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    return value === '' ? { problem: `${name}_FILE (${file}): the file is empty` } : { value };
  } catch (err) {
    return { problem: `${name}_FILE (${file}): cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
}

/** A value echoed in a problem: whole when short (a file's content can be long). */
function echo(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

/**
 * Load the sections a component needs (the worker: temporal, log, app4sales, specter, servicetrade,
 * spectrum, jobSync; the receiver: temporal, log, receiver, app4salesWebhook, servicetradeWebhook;
 * the CLI only temporal), so no process needs another's secrets: `<NAME>_FILE` files are read only
 * for the loaded sections. Throws ConfigError listing every problem of those sections only, at once
 * (an unreadable `<NAME>_FILE` beside the schema's problems), each named by the variable that gave
 * the value (`<NAME>_FILE` when the value came from a file).
 */
export function loadConfig<const S extends ConfigSection>(sections: readonly S[], env: Env = process.env): Pick<Config, S> {
  const raw: Record<string, unknown> = env.FIELDBRIDGE_CONFIG ? readFileConfig(env.FIELDBRIDGE_CONFIG) : {};
  const loaded = new Set<string>(sections);
  const envByPath = new Map<string, string>();
  const fileProblems: string[] = [];
  /** Paths whose `<NAME>_FILE` could not be read: the schema's "is required" for them would only repeat it. */
  const failedPaths = new Set<string>();
  for (const [name, path] of ENVIRONMENT) {
    envByPath.set(path, name);
    let value = env[name];
    if (!value && loaded.has(path.split('.')[0])) {
      const fromFile = readVariableFile(name, env);
      if (fromFile && 'problem' in fromFile) {
        fileProblems.push(fromFile.problem);
        failedPaths.add(path);
      } else if (fromFile) {
        value = fromFile.value;
        envByPath.set(path, `${name}_FILE`);
      }
    }
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  // A section given nowhere is parsed as empty, so each of its required fields is named.
  for (const section of sections) raw[section] ??= {};
  const mask = Object.fromEntries(sections.map((s) => [s, true])) as Record<S, true>;
  const schema = ConfigSchema.pick(mask as never);
  const result = schema.safeParse(raw);
  if (!result.success || fileProblems.length > 0) {
    const schemaProblems = (result.error?.issues ?? [])
      .filter((issue) => !failedPaths.has(issue.path.join('.')))
      .map((issue) => {
        const path = issue.path.join('.');
        const name = envByPath.get(path) ?? [...envByPath.entries()].find(([p]) => p.startsWith(`${path}.`) || path.startsWith(`${p}.`))?.[1];
        // The value given at the issue's path; not reached inside a value given as a JSON string (the type map).
        let given: unknown = raw;
        let reached = true;
        for (const key of issue.path) {
          if (typeof given !== 'object' || given === null) {
            [given, reached] = [undefined, false];
            break;
          }
          given = (given as Record<PropertyKey, unknown>)[key];
        }
        const secretField = /key|secret|token/i.test(path);
        const message = reached && given === undefined && issue.code === 'invalid_type' ? 'is required' : secretField || given === undefined ? issue.message : `${issue.message} (got ${echo(given)})`;
        return `${name ?? path}${name ? ` (${path})` : ''}: ${message}`;
      });
    throw new ConfigError([...fileProblems, ...schemaProblems]);
  }
  return result.data as Pick<Config, S>;
}
