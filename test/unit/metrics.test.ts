/**
 * The metrics' labels: route templates hold no ids, every answer and failure lands in its outcome,
 * webhook answers in theirs, and a failed workflow in its failure type. The HTTP layer is driven
 * against a local server and read back from the registry, as a scrape would.
 */
import { createServer, type Server } from 'node:http';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState, TimeoutFailure } from '@temporalio/common';
import { HttpClient } from '../../common/http';
import { classifyAnswer, metricsRegistry, operationLabel, routeTemplate } from '../../common/metrics';
import { webhookOutcome, webhookSourceOf } from '../../client/receiver-metrics';
import { request } from 'undici';
import { renderWorkerMetrics, startWorkerMetricsServer } from '../../worker/metrics';
import { failureTypeOf } from '../../workflows/metrics-interceptor';
import { sampleValue } from '../helpers/prometheus';

describe('operation labels', () => {
  test.each([
    ['api/v1/customers/A4S-1001', 'api/v1/customers/{id}'],
    ['/api/v1/42/customers', 'api/v1/{id}/customers'],
    ['workorders/90000101/notes', 'workorders/{id}/notes'],
    ['WorkOrder/SC1000101', 'WorkOrder/{id}'],
    ['odata/workorders?$filter=Id%20eq%201', 'odata/workorders'],
    ['api/v3/salesreps/anna.berg%40example.com', 'api/v3/salesreps/{id}'],
    ['job/4001', 'job/{id}'],
    ['oauth2/token', 'oauth2/token'],
    [`things/${'x'.repeat(40)}`, 'things/{id}'],
  ])('%s -> %s', (path, template) => {
    expect(routeTemplate(path)).toBe(template);
  });

  test("a client's own operation name wins over the derived template", () => {
    expect(operationLabel('get', 'api/v1/salesreps/jdoe', 'GET api/v1/salesreps/{username}')).toBe('GET api/v1/salesreps/{username}');
    expect(operationLabel('put', 'api/v1/customers/A4S-7/customercode')).toBe('PUT api/v1/customers/{id}/customercode');
  });
});

describe('answer outcomes', () => {
  test.each([
    [200, {}, 'ok'],
    [204, {}, 'ok'],
    [304, {}, 'ok'],
    [400, {}, 'rejected'],
    [422, {}, 'rejected'],
    [401, {}, 'unauthorized'],
    [403, {}, 'unauthorized'],
    [404, {}, 'not_found'],
    [409, {}, 'conflict'],
    [410, {}, 'conflict'],
    [429, {}, 'throttled'],
    [503, { retryAfter: true }, 'throttled'],
    [503, {}, 'server_error'],
    [500, { soapFault: true }, 'soap_fault'],
    [500, {}, 'server_error'],
    [502, {}, 'server_error'],
  ] as const)('%i %j -> %s', (status, opts, outcome) => {
    expect(classifyAnswer(status, opts)).toBe(outcome);
  });
});

describe('the HTTP layer records every call', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '';
      if (url.startsWith('/customers/')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"Id":"C-1"}');
      if (url.startsWith('/missing/')) return void res.writeHead(404).end('no');
      if (url.startsWith('/busy')) return void res.writeHead(429, { 'retry-after': '3' }).end('slow down');
      if (url.startsWith('/soap')) return void res.writeHead(500, { 'content-type': 'text/xml' }).end('<soapenv:Envelope><soapenv:Body><soapenv:Fault><faultstring>x</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>');
      if (url.startsWith('/slow')) return void setTimeout(() => res.writeHead(200).end('late'), 2000).unref();
      res.writeHead(502).end('bad gateway');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('ok, not found, throttled (with its wait), SOAP fault, 5xx, timeout and network failures, by system and operation', async () => {
    const http = new HttpClient({ system: 'specter', baseUrl: base, timeoutMs: 300 });
    const soap = new HttpClient({ system: 'spectrum', baseUrl: base, timeoutMs: 1000 });
    const refused = new HttpClient({ system: 'app4sales', baseUrl: 'http://127.0.0.1:1', timeoutMs: 1000 });
    try {
      await http.send({ method: 'GET', path: 'customers/C-1' });
      await http.send({ method: 'GET', path: 'customers/C-2' });
      await http.send({ method: 'GET', path: 'missing/jdoe', operation: 'GET missing/{username}' });
      await expect(http.send({ method: 'POST', path: 'busy' })).rejects.toThrow(/429/);
      await soap.sendRaw({ method: 'POST', path: 'soap', body: '<x/>', returnStatuses: [500], operation: 'WorkOrderHeader' });
      await expect(http.send({ method: 'GET', path: 'gateway' })).rejects.toThrow(/502/);
      await expect(http.send({ method: 'GET', path: 'slow' })).rejects.toThrow(/timed out/);
      await expect(refused.send({ method: 'GET', path: 'api/v1/customers/A4S-1' })).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await Promise.all([http.close(), soap.close(), refused.close()]);
    }
    const text = await metricsRegistry.metrics();
    const calls = (labels: Record<string, string>) => sampleValue(text, 'fieldbridge_external_calls_total', labels);
    expect(calls({ system: 'specter', operation: 'GET customers/{id}', outcome: 'ok' })).toBe(2);
    expect(calls({ system: 'specter', operation: 'GET missing/{username}', outcome: 'not_found' })).toBe(1);
    expect(calls({ system: 'specter', operation: 'POST busy', outcome: 'throttled' })).toBe(1);
    expect(calls({ system: 'spectrum', operation: 'WorkOrderHeader', outcome: 'soap_fault' })).toBe(1);
    expect(calls({ system: 'specter', operation: 'GET gateway', outcome: 'server_error' })).toBe(1);
    expect(calls({ system: 'specter', operation: 'GET slow', outcome: 'timeout' })).toBe(1);
    expect(calls({ system: 'app4sales', operation: 'GET api/v1/customers/{id}', outcome: 'network' })).toBe(1);
    expect(sampleValue(text, 'fieldbridge_throttle_waits_total', { system: 'specter', status: '429' })).toBe(1);
    expect(sampleValue(text, 'fieldbridge_throttle_wait_seconds_total', { system: 'specter', status: '429' })).toBe(3);
    // The histogram: every call in the +Inf bucket, its count equal to the counter's.
    expect(sampleValue(text, 'fieldbridge_external_call_duration_seconds_bucket', { system: 'specter', operation: 'GET customers/{id}', outcome: 'ok', le: '+Inf' })).toBe(2);
    expect(sampleValue(text, 'fieldbridge_external_call_duration_seconds_count', { system: 'specter', operation: 'GET customers/{id}', outcome: 'ok' })).toBe(2);
    // No id, username or URL in any label.
    expect(text).not.toMatch(/C-1|C-2|jdoe|A4S-1|127\.0\.0\.1/);
  });

  test('the worker endpoint serves the registry and the SDK exporter\'s text on one port; a port in use is refused', async () => {
    const sdk = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('# TYPE temporal_workflow_completed counter\ntemporal_workflow_completed{workflow_type="customerUpsert"} 7\n'));
    await new Promise<void>((resolve) => sdk.listen(0, '127.0.0.1', resolve));
    const server = await startWorkerMetricsServer({ host: '127.0.0.1', port: 0, sdkMetricsUrl: `http://127.0.0.1:${(sdk.address() as { port: number }).port}/metrics` });
    try {
      const res = await request(server.url);
      expect(res.statusCode).toBe(200);
      const text = await res.body.text();
      expect(sampleValue(text, 'temporal_workflow_completed', { workflow_type: 'customerUpsert' })).toBe(7);
      expect(sampleValue(text, 'fieldbridge_sdk_metrics_up', {})).toBe(1);
      expect(text).toContain('# TYPE fieldbridge_syncs_completed_total counter');
      const port = Number(new URL(server.url).port);
      await expect(startWorkerMetricsServer({ host: '127.0.0.1', port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await server.close();
      await new Promise((resolve) => sdk.close(resolve));
    }
  });

  test('the worker endpoint serves the registry and says when the SDK exporter did not answer', async () => {
    const { text } = await renderWorkerMetrics('http://127.0.0.1:1/metrics');
    expect(text).toContain('# TYPE fieldbridge_external_calls_total counter');
    expect(sampleValue(text, 'fieldbridge_sdk_metrics_up', {})).toBe(0);
  });
});

describe('webhook outcomes', () => {
  test.each([
    [{ status: 202, body: { accepted: true } }, 'accepted'],
    [{ status: 202, body: { accepted: true }, seenBefore: true }, 'duplicate'],
    [{ status: 202, body: { accepted: false, reason: 'only CustomerCode changed' } }, 'ignored'],
    [{ status: 401, body: { error: 'unauthenticated', reason: 'missing X-App4Sales-Signature header' } }, 'unsigned'],
    [{ status: 401, body: { error: 'unauthenticated', reason: 'signature does not match the body' } }, 'bad-signature'],
    [{ status: 401, body: { error: 'unauthenticated', reason: 'signature does not match the body' }, stale: true }, 'stale'],
    [{ status: 401, body: { error: 'unauthenticated', reason: "the token in the hook URL is not this receiver's" }, source: 'servicetrade' }, 'bad-token'],
    [{ status: 401, body: { error: 'unauthenticated', reason: 'missing token in the hook URL' }, source: 'servicetrade' }, 'unsigned'],
    [{ status: 400, body: { error: 'malformed', reason: 'body is not JSON' } }, 'malformed'],
    [{ status: 400, body: { error: 'invalid', reason: 'x is invalid' } }, 'invalid'],
    [{ status: 413, body: { code: 'FST_ERR_CTP_BODY_TOO_LARGE' } }, 'too-large'],
    [{ status: 415 }, 'unsupported-media-type'],
    [{ status: 405 }, 'method-not-allowed'],
    [{ status: 503, body: { error: 'unavailable' } }, 'unavailable'],
    [{ status: 503, body: { error: 'not-yet-known' } }, 'not-yet-known'],
    [{ status: 500, body: { error: 'misconfigured' } }, 'misconfigured'],
  ])('%j -> %s', (facts, outcome) => {
    expect(webhookOutcome({ source: 'app4sales', ...facts } as Parameters<typeof webhookOutcome>[0])).toBe(outcome);
  });

  test('the source comes from the route, never from the ServiceTrade token in the URL', () => {
    expect(webhookSourceOf('/webhooks/app4sales')).toBe('app4sales');
    expect(webhookSourceOf('/webhooks/servicetrade/secret-token-123')).toBe('servicetrade');
    expect(webhookSourceOf('/webhooks/nosuch')).toBe('other');
    expect(webhookSourceOf('/healthz')).toBeNull();
  });
});

describe('failure types of a failed sync', () => {
  const appFailure = ApplicationFailure.create({ type: 'MappingNotFound', message: 'no site code', nonRetryable: true });
  test.each([
    ['an ApplicationFailure thrown by the workflow', appFailure, 'MappingNotFound'],
    ['an activity failure, by its cause', new ActivityFailure('failed', 'upsert', '1', RetryState.NON_RETRYABLE_FAILURE, undefined, appFailure), 'MappingNotFound'],
    ['an activity timeout', new ActivityFailure('failed', 'upsert', '1', RetryState.TIMEOUT, undefined, new TimeoutFailure('timed out', undefined, 'START_TO_CLOSE')), 'timeout'],
    ['a cancellation', new CancelledFailure('cancelled'), 'cancelled'],
    ['an ApplicationFailure without a type', ApplicationFailure.create({ message: 'x' }), 'ApplicationFailure'],
  ])('%s', (_what, err, type) => {
    expect(failureTypeOf(err)).toBe(type);
  });

  test('a plain Error fails the workflow task, not the sync: not counted', () => {
    expect(failureTypeOf(new TypeError('bug'))).toBeNull();
  });
});
