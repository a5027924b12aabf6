/**
 * FieldBridge's Prometheus metrics (prom-client): one registry per process, the application's own
 * metrics (`fieldbridge_*`) and, on request, the process's (`process_*`, `nodejs_*`).
 *
 * Labels are low-cardinality only: a flow (workflow type), an external system, an operation as a
 * route template (`GET api/v1/customers/{id}`) or a SOAP operation name, an outcome, a webhook
 * source and outcome. Never a record id, a name, an e-mail or a raw URL.
 *
 * Who records what:
 * - syncs started / completed / failed: the workflow interceptor (workflows/metrics-interceptor.ts)
 *   through a Sink, so replays and cache evictions do not count twice (worker/metrics.ts);
 * - syncs waiting: a gauge read from Temporal's visibility on scrape (worker/metrics.ts);
 * - external calls, latency, throttling: common/http.ts, the one HTTP layer of every connector;
 * - activity queue wait (the ServiceChannel task queue's rate limit shows here): an activity interceptor;
 * - webhooks: the receiver (client/receiver-metrics.ts).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ExternalSystem } from './errors';

export const metricsRegistry = new Registry();

export const syncsStarted = new Counter({
  name: 'fieldbridge_syncs_started_total',
  help: 'Syncs started (a run that continues as new is the same sync), by flow (workflow type).',
  labelNames: ['flow'] as const,
  registers: [metricsRegistry],
});

export const syncsCompleted = new Counter({
  name: 'fieldbridge_syncs_completed_total',
  help: 'Syncs completed, by flow (workflow type).',
  labelNames: ['flow'] as const,
  registers: [metricsRegistry],
});

export const syncsFailed = new Counter({
  name: 'fieldbridge_syncs_failed_total',
  help: "Syncs failed, by flow and failure type (the ApplicationFailure's type, e.g. MappingNotFound; 'timeout', 'cancelled' or 'unknown').",
  labelNames: ['flow', 'failure_type'] as const,
  registers: [metricsRegistry],
});

/** Set on scrape by worker/metrics.ts (registerWaitingSyncsGauge); cluster-wide, the same on every worker. */
export const syncsWaiting = new Gauge({
  name: 'fieldbridge_syncs_waiting',
  help: 'Running syncs whose FieldBridgeSyncStatus is "waiting" (on a mapping, a permission, a write-back), by flow; read from Temporal visibility, cluster-wide.',
  labelNames: ['flow'] as const,
  registers: [metricsRegistry],
});

export const externalCalls = new Counter({
  name: 'fieldbridge_external_calls_total',
  help: 'HTTP and SOAP calls to external systems, by system, operation (route template or SOAP operation) and outcome.',
  labelNames: ['system', 'operation', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const externalCallDuration = new Histogram({
  name: 'fieldbridge_external_call_duration_seconds',
  help: 'Latency of calls to external systems (request sent to answer read), by system, operation and outcome.',
  labelNames: ['system', 'operation', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const throttleWaits = new Counter({
  name: 'fieldbridge_throttle_waits_total',
  help: 'Throttling answers from external systems (429, or 503 with Retry-After), by system and status; each becomes a retry after the wait.',
  labelNames: ['system', 'status'] as const,
  registers: [metricsRegistry],
});

export const throttleWaitSeconds = new Counter({
  name: 'fieldbridge_throttle_wait_seconds_total',
  help: 'Seconds external systems asked FieldBridge to wait (Retry-After of 429/503 answers; the activity retries after it), by system and status.',
  labelNames: ['system', 'status'] as const,
  registers: [metricsRegistry],
});

export const activityQueueWait = new Histogram({
  name: 'fieldbridge_activity_queue_wait_seconds',
  help: "Time an activity attempt waited on its task queue (scheduled to started), by queue: 'main' or 'servicechannel' (rate-limited: its waits are the rate limit's).",
  labelNames: ['queue'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [metricsRegistry],
});

export const webhooks = new Counter({
  name: 'fieldbridge_webhooks_total',
  help: 'Webhooks received, by source and outcome (accepted, duplicate, ignored, or the reason of a refusal: unsigned, bad-signature, stale, bad-token, malformed, invalid, too-large, ...).',
  labelNames: ['source', 'outcome'] as const,
  registers: [metricsRegistry],
});

/** Credentials that expire, by system and credential: when, and how many days ahead to warn (setCredentialExpiry). */
const credentialExpiries = new Map<string, { system: string; credential: string; expiresAt: number; warnDays: number }>();

/** When a credential expires (Unix seconds); set by its client each time it loads it. */
export const credentialExpiry = new Gauge({
  name: 'fieldbridge_credential_expiry_timestamp_seconds',
  help: "When a credential FieldBridge holds expires (Unix seconds), by system and credential: Spectrum's enhanced-authentication client secret (rotated every 7-120 days). Alert when it minus time() is below the warning window.",
  labelNames: ['system', 'credential'] as const,
  registers: [metricsRegistry],
  collect() {
    for (const c of credentialExpiries.values()) this.set({ system: c.system, credential: c.credential }, c.expiresAt / 1000);
  },
});

/** 1 while a credential is within its warning window or expired, computed at each scrape. */
export const credentialExpiring = new Gauge({
  name: 'fieldbridge_credential_expiring',
  help: '1 when a credential expires within its warning window (SPECTRUM_CLIENT_SECRET_WARN_DAYS) or has expired, else 0; by system and credential.',
  labelNames: ['system', 'credential'] as const,
  registers: [metricsRegistry],
  collect() {
    const now = Date.now();
    for (const c of credentialExpiries.values()) {
      this.set({ system: c.system, credential: c.credential }, c.expiresAt - now < c.warnDays * 24 * 3600 * 1000 ? 1 : 0);
    }
  },
});

/** Record (or, with no date, forget) when a credential expires and how many days ahead to warn. */
export function setCredentialExpiry(system: ExternalSystem, credential: string, expiresAt: Date | undefined, warnDays: number): void {
  const key = `${system}\u0000${credential}`;
  if (!expiresAt) {
    credentialExpiries.delete(key);
    credentialExpiry.remove({ system, credential });
    credentialExpiring.remove({ system, credential });
    return;
  }
  credentialExpiries.set(key, { system, credential, expiresAt: expiresAt.getTime(), warnDays });
}

let processMetrics = false;
/** Add the process's own metrics (CPU, memory, event loop lag, GC) to the registry; once per process. */
export function enableProcessMetrics(): void {
  if (processMetrics) return;
  collectDefaultMetrics({ register: metricsRegistry });
  processMetrics = true;
}

// ---- operations and outcomes ---------------------------------------------------------------------

/**
 * A request path as a route template: every segment that may be a record id (it holds a digit, an
 * `@`, a percent-escape, or is longer than 32 characters) becomes `{id}`; API versions (`v1`, `v3`)
 * and `oauth2` stay. A safety net for calls that name no operation: clients name theirs where an id can be free
 * text (a username).
 */
export function routeTemplate(path: string): string {
  const bare = path.split(/[?#]/)[0].replace(/^\/+/, '').replace(/\/+$/, '');
  return bare
    .split('/')
    .map((segment) => {
      if (segment === '') return segment;
      if (/^(v\d+(\.\d+)?|oauth\d)$/i.test(segment)) return segment;
      if (/\d|@|%|\s/.test(segment) || segment.length > 32) return '{id}';
      return segment;
    })
    .join('/');
}

/** The operation label of a request: the client's own name for it, else `METHOD route-template`. */
export function operationLabel(method: string, path: string, operation?: string): string {
  return operation ?? `${method.toUpperCase()} ${routeTemplate(path)}`;
}

export type CallOutcome =
  | 'ok'
  | 'throttled'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'rejected'
  | 'soap_fault'
  | 'server_error'
  | 'timeout'
  | 'network';

/**
 * What an answer's status means for the outcome label: `ok` (below 400), `throttled` (429, or 503
 * with Retry-After), `unauthorized` (401, 403), `not_found` (404), `conflict` (409, 410, 412),
 * `rejected` (any other 4xx), `soap_fault` (a 500 carrying a SOAP fault: SOAP 1.1 sends every fault,
 * business refusals included, as 500), `server_error` (any other 5xx). `ok` says the exchange
 * worked; the client may still read a refusal in the body (Specter's ERROR codes, Spectrum's A/I/M).
 */
export function classifyAnswer(status: number, opts: { retryAfter?: boolean; soapFault?: boolean } = {}): CallOutcome {
  if (status < 400) return 'ok';
  if (status === 429 || (status === 503 && opts.retryAfter)) return 'throttled';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 409 || status === 410 || status === 412) return 'conflict';
  if (status < 500) return 'rejected';
  if (status === 500 && opts.soapFault) return 'soap_fault';
  return 'server_error';
}

/** Record one call: its count and latency, and a throttling answer's wait. */
export function recordExternalCall(
  system: ExternalSystem,
  operation: string,
  outcome: CallOutcome,
  seconds: number,
  throttle?: { status: number; retryAfterMs?: number },
): void {
  const labels = { system, operation, outcome };
  externalCalls.inc(labels);
  externalCallDuration.observe(labels, seconds);
  if (throttle) {
    const t = { system, status: String(throttle.status) };
    throttleWaits.inc(t);
    if (throttle.retryAfterMs !== undefined) throttleWaitSeconds.inc(t, throttle.retryAfterMs / 1000);
  }
}

/** The Prometheus text of the registry, and its content type. */
export async function scrapeRegistry(): Promise<{ contentType: string; text: string }> {
  return { contentType: metricsRegistry.contentType, text: await metricsRegistry.metrics() };
}
