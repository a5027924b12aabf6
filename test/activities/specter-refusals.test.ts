/**
 * Specter's refusals and unreadable answers, as the worker records them: SpecterClient.postCustomer
 * against the Specter simulator, run in an activity context through the worker's error interceptor.
 * A refusal must fail non-retryably with what Specter said (retrying it 12 times as if Specter were
 * down only hides the reason); throttling and outages must stay retryable.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { TemporalPinoLogger } from '../../common/logger';
import { mapCustomerToSpecter } from '../../mappings/app4sales-to-specter';
import { simulatorAdapterConfig } from '../../scripts/simulator-adapter-config';
import { startSpecterSimulator, type SpecterFaultConfig, type SpecterSimulator } from '../../connectors/specter/simulator';
import { SpecterClient } from '../../connectors/specter/client';
import { vendorErrorInterceptor } from '../../worker/interceptors';
import { app4salesCustomer } from '../fixtures/customers';
import { testLogger } from '../helpers/stack';

const SPECTER = { sbmId: 3, writeUser: { id: 'w', key: 'wk' }, readUser: { id: 'r', key: 'rk' } };

let specter: SpecterSimulator;
const clients: SpecterClient[] = [];

/** A SpecterClient configured as the worker configures it, optionally with a wrong base URL or SBM id. */
function clientFor(overrides: { specterUrl?: string; sbmId?: number } = {}): SpecterClient {
  const config = simulatorAdapterConfig(
    { app4sales: { url: 'http://127.0.0.1:9' }, specter },
    { app4salesApiKey: 'unused', webhookSecret: 'x'.repeat(16), specter: { ...SPECTER, sbmId: overrides.sbmId ?? SPECTER.sbmId } },
    { specterTimeoutMs: 2000, specterUrl: overrides.specterUrl },
  );
  const client = new SpecterClient(config.specter);
  clients.push(client);
  return client;
}

const payload = () => mapCustomerToSpecter({ customer: app4salesCustomer({ Id: 'C1' }), salesRepResIdString: 'SR-9', priceListCurrency: 'EUR' }).payload;

/** POST the customer as the upsert activity does: in an activity context, through the worker's interceptor. */
async function postFailure(client: SpecterClient): Promise<ApplicationFailure> {
  const env = new MockActivityEnvironment({ attempt: 1 }, { interceptors: [vendorErrorInterceptor], logger: new TemporalPinoLogger(testLogger) });
  const err = await env.run(() => client.postCustomer(payload())).then(
    (result) => new Error(`expected a failure, got ${JSON.stringify(result)}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

beforeAll(async () => {
  specter = await startSpecterSimulator({ ...SPECTER, logger: false });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await specter.close();
});
beforeEach(() => {
  specter.state.reset();
  specter.faults.clear();
});

describe('refusals and answers that are no success: non-retryable, with what Specter said', () => {
  // [case, fault, failure type, what the message must carry]
  const rows: Array<[string, SpecterFaultConfig, string, string[]]> = [
    [
      'HTTP 200, Result 0 without an ERROR code: Specter refused the customer',
      { resultNotOne: { result: 0, message: 'Customer is locked for editing' } },
      'CustomerCouldNotCreatedOrUpdated',
      ['Result 0', 'Customer is locked for editing', 'Nordic Fire & Safety AB'],
    ],
    [
      'HTTP 200, Result 2 without an ERROR code: neither success nor refusal',
      { resultNotOne: { result: 2, message: 'Queued for approval' } },
      'InvalidResponse',
      ['Result 2', 'Queued for approval'],
    ],
    [
      'HTTP 200, Result null and Code null',
      { resultWithoutCode: true },
      'InvalidResponse',
      ['Result null', 'Internal error'],
    ],
    [
      'HTTP 200, a body with no Result at all',
      { bodyWithoutResult: { message: 'Saved for later' } },
      'InvalidResponse',
      ['no Result', 'Saved for later'],
    ],
    [
      'HTTP 200 with a page instead of an ApiResponse',
      { rawAnswer: { status: 200, body: '<html><head><title>Maintenance login</title></head><body>Sign in</body></html>' } },
      'InvalidResponse',
      ['200', 'no ApiResponse', 'Maintenance login'],
    ],
    [
      'HTTP 400 with a page instead of an ApiResponse (a firewall in front of Specter)',
      { rawAnswer: { status: 400, body: '<html><title>Request blocked by policy</title></html>' } },
      'InvalidRequest',
      ['HTTP 400', 'Request blocked by policy'],
    ],
    [
      'HTTP 422 with plain text',
      { rawAnswer: { status: 422, body: 'Unprocessable: CountryCode', contentType: 'text/plain' } },
      'InvalidRequest',
      ['HTTP 422', 'Unprocessable: CountryCode'],
    ],
  ];

  test.each(rows)('%s', async (_case, fault, type, says) => {
    specter.faults.set(fault);
    const failure = await postFailure(clientFor());
    expect(failure).toMatchObject({ type, nonRetryable: true });
    for (const text of says) expect(failure.message).toContain(text);
    expect(specter.state.requests).toHaveLength(1);
    expect(specter.state.customers.size).toBe(0);
  });

  test('an ERROR code is still CustomerCouldNotCreatedOrUpdated with its message', async () => {
    specter.faults.set({ forceErrorCode: { code: 'ERROR_BLOCKED', message: 'Customer is blocked' } });
    const failure = await postFailure(clientFor());
    expect(failure).toMatchObject({ type: 'CustomerCouldNotCreatedOrUpdated', nonRetryable: true });
    expect(failure.message).toContain('ERROR_BLOCKED: Customer is blocked');
  });
});

describe('a 404 from a wrong base path or SBM id: InvalidRequest, saying which settings to check', () => {
  test('a wrong base path', async () => {
    const failure = await postFailure(clientFor({ specterUrl: `${specter.url}/specter` }));
    expect(failure).toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    expect(failure.message).toContain(
      `Specter answered 404 for POST /specter/api/v1/${SPECTER.sbmId}/customers: check SPECTER_BASE_URL (${specter.url}/specter) and SPECTER_SBM_ID (${SPECTER.sbmId})`,
    );
    expect(failure.message).toContain('404 - File or directory not found.');
    expect(failure.message).not.toContain('<');
    expect(specter.state.unrouted).toEqual([expect.objectContaining({ method: 'POST', url: `/specter/api/v1/${SPECTER.sbmId}/customers` })]);
  });

  test('credentials written into SPECTER_BASE_URL are not repeated in the failure (Temporal keeps it in history)', async () => {
    const failure = await postFailure(clientFor({ specterUrl: specter.url.replace('http://', 'http://someone:s3cret@') + '/specter' }));
    expect(failure).toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    expect(failure.message).toContain('check SPECTER_BASE_URL');
    expect(failure.message).not.toContain('s3cret');
  });

  test('a wrong SBM id', async () => {
    const failure = await postFailure(clientFor({ sbmId: 42 }));
    expect(failure).toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    expect(failure.message).toContain('Specter answered 404 for POST /api/v1/42/customers: check SPECTER_BASE_URL');
    expect(failure.message).toContain('SPECTER_SBM_ID (42)');
    expect(specter.state.unrouted).toHaveLength(1);
    expect(specter.state.requests).toHaveLength(0);
  });
});

describe('throttling and outages stay retryable', () => {
  test('429 with Retry-After: retryable, with Specter\'s delay', async () => {
    specter.faults.set({ throttle: { limit: 0, windowMs: 60_000, retryAfterSeconds: 7 }, routes: ['postCustomer'] });
    const failure = await postFailure(clientFor());
    expect(failure).toMatchObject({ type: 'TransientExternalError', nonRetryable: false });
    expect(failure.nextRetryDelay).toBe(7000);
    expect(failure.message).toContain('429');
  });

  test('503: retryable', async () => {
    specter.faults.set({ errorRate: 1, errorStatus: 503, routes: ['postCustomer'] });
    const failure = await postFailure(clientFor());
    expect(failure).toMatchObject({ type: 'TransientExternalError', nonRetryable: false });
    expect(failure.message).toContain('503');
  });

  test('a timeout: retryable', async () => {
    specter.faults.set({ timeoutRate: 1, routes: ['postCustomer'], count: 1 });
    const failure = await postFailure(clientFor());
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toMatch(/timed out/);
  });
});
