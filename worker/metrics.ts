/**
 * The worker's side of the metrics: the sinks the workflow metrics interceptor reports to, the
 * activity queue-wait interceptor, the waiting-syncs gauge (Temporal visibility, on scrape), and the
 * one Prometheus endpoint (WORKER_METRICS_HOST:WORKER_METRICS_PORT/metrics) that serves FieldBridge's
 * registry together with the Temporal SDK's own metrics, which the Temporal runtime's exporter serves
 * on an internal loopback port (see installRuntimeLogger).
 */
import { createServer, type Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { request } from 'undici';
import { activityQueueWait, enableProcessMetrics, metricsRegistry, syncsCompleted, syncsFailed, syncsStarted, syncsWaiting } from '../common/metrics';
import { SyncStatusKey } from '../common/search-attributes';
import type { Logger } from '../common/logger';
import type { FieldBridgeMetricsSinks } from '../workflows/metrics-interceptor';

/** The path of the workflow interceptor module that counts syncs (bundled with the workflows). */
export const WORKFLOW_METRICS_INTERCEPTOR = require.resolve('../workflows/metrics-interceptor');

/** The worker-side functions of the workflow metrics interceptor's sink: prom-client counters. */
export function metricsSinks(): InjectedSinks<FieldBridgeMetricsSinks> {
  return {
    fieldbridgeMetrics: {
      syncStarted: { fn: (info) => syncsStarted.inc({ flow: info.workflowType }), callDuringReplay: false },
      syncCompleted: { fn: (info) => syncsCompleted.inc({ flow: info.workflowType }), callDuringReplay: false },
      syncFailed: { fn: (info, failureType) => syncsFailed.inc({ flow: info.workflowType, failure_type: failureType }), callDuringReplay: false },
    },
  };
}

/** Observes how long each activity attempt waited on its task queue ('main' or 'servicechannel'). */
export function queueWaitInterceptor(queue: 'main' | 'servicechannel'): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const scheduledMs = ctx.info.currentAttemptScheduledTimestampMs;
        if (scheduledMs > 0) activityQueueWait.observe({ queue }, Math.max(0, Date.now() - scheduledMs) / 1000);
        return next(input);
      },
    },
  });
}

/** The visibility query of waiting syncs. */
export const WAITING_SYNCS_QUERY = `ExecutionStatus = "Running" AND ${SyncStatusKey.name} = "waiting"`;

/**
 * Fill fieldbridge_syncs_waiting on scrape: running syncs with FieldBridgeSyncStatus "waiting", by
 * workflow type, listed through Temporal's visibility API (at most `limit`), cached for `cacheMs` so
 * frequent scrapes cost one list call. A flow seen once stays in the output (0 when none waits). When
 * visibility cannot be read the last values stay and the failure is logged once per change.
 */
export function registerWaitingSyncsGauge(client: Client, opts: { cacheMs?: number; limit?: number; logger?: Logger } = {}): void {
  const cacheMs = opts.cacheMs ?? 5000;
  const limit = opts.limit ?? 10_000;
  const known = new Set<string>();
  let readAt = 0;
  let pending: Promise<void> | null = null;
  let lastError = '';
  const refresh = async () => {
    const counts = new Map<string, number>();
    let n = 0;
    for await (const info of client.workflow.list({ query: WAITING_SYNCS_QUERY, pageSize: 1000 })) {
      counts.set(info.type, (counts.get(info.type) ?? 0) + 1);
      if (++n >= limit) break;
    }
    for (const flow of counts.keys()) known.add(flow);
    for (const flow of known) syncsWaiting.set({ flow }, counts.get(flow) ?? 0);
    readAt = Date.now();
    lastError = '';
  };
  Object.assign(syncsWaiting, {
    async collect() {
      if (Date.now() - readAt < cacheMs) return;
      pending ??= refresh()
        .catch((err: unknown) => {
          const message = (err as Error).message;
          if (message !== lastError) opts.logger?.warn({ err }, `fieldbridge_syncs_waiting not refreshed: ${message}`);
          lastError = message;
        })
        .finally(() => {
          pending = null;
        });
      await pending;
    },
  });
}

export interface WorkerMetricsServer {
  /** http://host:port/metrics */
  url: string;
  close(): Promise<void>;
}

/**
 * Serve GET /metrics on host:port: FieldBridge's registry (process metrics included) followed by the
 * Temporal SDK's metrics read from the runtime's exporter at `sdkMetricsUrl`. When the SDK's exporter
 * does not answer, FieldBridge's metrics are still served, with fieldbridge_sdk_metrics_up 0.
 */
export async function startWorkerMetricsServer(opts: { host: string; port: number; sdkMetricsUrl?: string; logger?: Logger }): Promise<WorkerMetricsServer> {
  enableProcessMetrics();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are served at /metrics\n');
      return;
    }
    void renderWorkerMetrics(opts.sdkMetricsUrl).then(
      ({ contentType, text }) => res.writeHead(200, { 'content-type': contentType }).end(text),
      (err: unknown) => {
        opts.logger?.error({ err }, `metrics scrape failed: ${(err as Error).message}`);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The registry's text plus the SDK's (and whether the SDK's exporter answered). */
export async function renderWorkerMetrics(sdkMetricsUrl?: string): Promise<{ contentType: string; text: string }> {
  const own = await metricsRegistry.metrics();
  let sdk = '';
  let up = 0;
  if (sdkMetricsUrl) {
    try {
      const res = await request(sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
      const body = await res.body.text();
      if (res.statusCode === 200) {
        sdk = body;
        up = 1;
      }
    } catch {
      // served without the SDK's metrics; fieldbridge_sdk_metrics_up says so
    }
  }
  const upText = sdkMetricsUrl
    ? `# HELP fieldbridge_sdk_metrics_up Whether the Temporal SDK's metrics exporter answered this scrape (1) or not (0).\n# TYPE fieldbridge_sdk_metrics_up gauge\nfieldbridge_sdk_metrics_up ${up}\n`
    : '';
  return { contentType: metricsRegistry.contentType, text: `${own}\n${upText}${sdk.endsWith('\n') || sdk === '' ? sdk : `${sdk}\n`}` };
}
