/**
 * FieldBridge configuration: one zod schema, filled from environment variables and optionally a
 * JSON file named by FIELDBRIDGE_CONFIG (environment variables win). A bad configuration fails at
 * start with every problem listed at once, each named by its environment variable.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

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

const TemporalSchema = z.object({
  address: z.string().min(1).default('127.0.0.1:7233'),
  namespace: z.string().min(1).default('default'),
  taskQueue: z.string().min(1).default('fieldbridge'),
  /** Temporal Cloud API key (sent as a bearer token); mutually exclusive with mTLS client certs in practice. */
  apiKey: z.string().min(1).optional(),
  tls: z
    .object({
      enabled: z.stringbool().default(false),
      clientCertPath: z.string().min(1).optional(),
      clientKeyPath: z.string().min(1).optional(),
      serverRootCaPath: z.string().min(1).optional(),
      serverName: z.string().min(1).optional(),
    })
    .refine((t) => !t.clientCertPath === !t.clientKeyPath, {
      message: 'client certificate and key must be given together',
      path: ['clientKeyPath'],
    })
    .prefault({}),
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

export const ConfigSchema = z.object({
  temporal: TemporalSchema.prefault({}),
  log: LogSchema.prefault({}),
  app4sales: App4SalesSchema,
  app4salesWebhook: App4SalesWebhookSchema,
  specter: SpecterSchema,
  receiver: ReceiverSchema.prefault({}),
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigSection = keyof Config;

/** Environment variable -> config path. The README's configuration table is this list. */
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
  ['RECEIVER_HOST', 'receiver.host'],
  ['RECEIVER_PORT', 'receiver.port'],
  ['RECEIVER_BODY_LIMIT_BYTES', 'receiver.bodyLimitBytes'],
  ['RECEIVER_SIGNATURE_TOLERANCE_SECONDS', 'receiver.signatureToleranceSeconds'],
  ['RECEIVER_START_DEADLINE_MS', 'receiver.startDeadlineMs'],
  ['RECEIVER_REQUEST_TIMEOUT_MS', 'receiver.requestTimeoutMs'],
  ['RECEIVER_CONNECTION_TIMEOUT_MS', 'receiver.connectionTimeoutMs'],
  ['RECEIVER_KEEP_ALIVE_TIMEOUT_MS', 'receiver.keepAliveTimeoutMs'],
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
 * Load the sections a component needs (the worker: temporal, log, app4sales, specter; the receiver:
 * temporal, log, receiver, app4salesWebhook; the CLI only temporal), so no process needs another's
 * secrets. Throws ConfigError listing every problem of those sections only.
 */
export function loadConfig<const S extends ConfigSection>(sections: readonly S[], env: Env = process.env): Pick<Config, S> {
  const raw: Record<string, unknown> = env.FIELDBRIDGE_CONFIG ? readFileConfig(env.FIELDBRIDGE_CONFIG) : {};
  const envByPath = new Map<string, string>();
  for (const [name, path] of ENVIRONMENT) {
    envByPath.set(path, name);
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  // A section given nowhere is parsed as empty, so each of its required fields is named.
  for (const section of sections) raw[section] ??= {};
  const mask = Object.fromEntries(sections.map((s) => [s, true])) as Record<S, true>;
  const schema = ConfigSchema.pick(mask as never);
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const path = issue.path.join('.');
        const name = envByPath.get(path) ?? [...envByPath.entries()].find(([p]) => p.startsWith(`${path}.`) || path.startsWith(`${p}.`))?.[1];
        const given = issue.path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], raw);
        const secretField = /key|secret/i.test(path);
        const message = given === undefined ? 'is required' : secretField ? issue.message : `${issue.message} (got ${JSON.stringify(given)})`;
        return `${name ?? path}${name ? ` (${path})` : ''}: ${message}`;
      }),
    );
  }
  return result.data as Pick<Config, S>;
}
