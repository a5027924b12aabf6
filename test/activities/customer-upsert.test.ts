/**
 * The customer-sync activities against the simulators, run through the worker's error interceptor
 * as in production: each error class ends as the ApplicationFailure the retry policy reads.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment, TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { TemporalPinoLogger } from '../../common/logger';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { startApp4SalesSimulator, type App4SalesSimulator } from '../../connectors/app4sales/simulator';
import { startSpecterSimulator, type SpecterSimulator } from '../../connectors/specter/simulator';
import { mapCustomerToSpecter } from '../../mappings/app4sales-to-specter';
import { simulatorAdapterConfig } from '../../scripts/simulator-adapter-config';
import { createActivityDeps } from '../../worker/deps';
import { vendorErrorInterceptor } from '../../worker/interceptors';
import { app4salesCustomer } from '../fixtures/customers';
import { testLogger } from '../helpers/stack';
import { devServerOptions } from '../helpers/temporal-cli';

const API_KEY = 'activity-test-key';
const SPECTER = { sbmId: 3, writeUser: { id: 'w', key: 'wk' }, readUser: { id: 'r', key: 'rk' } };

let app4sales: App4SalesSimulator;
let specter: SpecterSimulator;
/** A real dev server: the activities read earlier runs of a sync from Temporal. */
let temporal: TestWorkflowEnvironment;
let deps: ReturnType<typeof createActivityDeps>;
let activities: ReturnType<typeof createActivities>;

function depsFor(overrides: { writeUserKey?: string; specterUrl?: string } = {}) {
  return createActivityDeps(
    simulatorAdapterConfig(
      { app4sales, specter },
      { app4salesApiKey: API_KEY, webhookSecret: 'x'.repeat(16), specter: SPECTER },
      { app4salesTimeoutMs: 2000, specterTimeoutMs: 2000, specterUrl: overrides.specterUrl, specterWriteKey: overrides.writeUserKey, defaultCustomerGroupId: 'DEFAULT-GROUP' },
    ),
    { client: temporal.client, taskQueue: 'activity-tests' },
  );
}

/** Run an activity as the worker would: in an activity context, through the error interceptor. */
function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, args: A, attempt = 1): Promise<R> {
  const env = new MockActivityEnvironment({ attempt }, { interceptors: [vendorErrorInterceptor], logger: new TemporalPinoLogger(testLogger) });
  return env.run(fn, ...args);
}

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

beforeAll(async () => {
  [app4sales, specter, temporal] = await Promise.all([
    startApp4SalesSimulator({ apiKey: API_KEY, logger: false }),
    startSpecterSimulator({ ...SPECTER, logger: false }),
    TestWorkflowEnvironment.createLocal({ server: devServerOptions([...ALL_SEARCH_ATTRIBUTES]) }),
  ]);
  deps = depsFor();
  activities = createActivities(deps);
});
afterAll(async () => {
  await deps.close();
  await Promise.all([app4sales.close(), specter.close()]);
  await temporal?.teardown();
});
beforeEach(() => {
  app4sales.state.reset();
  app4sales.faults.clear();
  specter.state.reset();
  specter.faults.clear();
  app4sales.seed({
    customers: [app4salesCustomer({ Id: 'C1' })],
    salesReps: [{ Username: 'jdoe', ResIdString: 'SR-9' }],
    priceLists: [{ Code: 'PL-EUR', Name: 'EUR', Currency: 'EUR' }],
  });
});

describe('loadApp4SalesCustomer', () => {
  test('loads the customer with its sales representative, price-list currency and the connector setting', async () => {
    const input = await run(activities.loadApp4SalesCustomer, ['C1']);
    expect(input).toMatchObject({ salesRepResIdString: 'SR-9', priceListCurrency: 'EUR', defaultCustomerGroupId: 'DEFAULT-GROUP' });
    expect(input.customer).toMatchObject({ Id: 'C1', CustomerName: 'Nordic Fire & Safety AB' });
  });

  test('an unknown sales representative or price list is not an error', async () => {
    app4sales.seed({ customers: [app4salesCustomer({ Id: 'C2', Username: 'ghost', UsesPriceField: 'PL-XXX' })] });
    const input = await run(activities.loadApp4SalesCustomer, ['C2']);
    expect(input.salesRepResIdString).toBeNull();
    expect(input.priceListCurrency).toBeNull();
  });

  test('an unknown customer fails non-retryably as SourceRecordNotFound, naming it', async () => {
    const f = await failure(run(activities.loadApp4SalesCustomer, ['NOPE']));
    expect(f).toMatchObject({ type: 'SourceRecordNotFound', nonRetryable: true });
    expect(f.message).toContain('NOPE');
  });

  test('throttling (429 with Retry-After) is retryable with the server\'s delay', async () => {
    app4sales.faults.set({ throttle: { limit: 0, windowMs: 60_000, retryAfterSeconds: 7 }, count: 1 });
    const f = await failure(run(activities.loadApp4SalesCustomer, ['C1']));
    expect(f).toMatchObject({ type: 'TransientExternalError', nonRetryable: false });
    expect(f.nextRetryDelay).toBe(7000);
  });

  test('a hung App4Sales is a retryable timeout whose outcome is unknown (the request went out)', async () => {
    app4sales.faults.set({ timeoutRate: 1, count: 1 });
    const f = await failure(run(activities.loadApp4SalesCustomer, ['C1']));
    expect(f).toMatchObject({ type: 'ExternalOutcomeUnknown', nonRetryable: false });
    expect(f.message).toMatch(/timed out/);
  });
});

describe('upsertSpecterCustomer', () => {
  const payload = () => mapCustomerToSpecter({ customer: app4salesCustomer({ Id: 'C1' }), salesRepResIdString: 'SR-9', priceListCurrency: 'EUR' }).payload;

  test('creates a customer and returns its code', async () => {
    const result = await run(activities.upsertSpecterCustomer, [{ app4salesCustomerId: 'C1', payload: payload() }]);
    expect(result).toMatchObject({ created: true });
    expect(specter.state.customers.get(result.code)).toMatchObject({ Name: 'Nordic Fire & Safety AB', Currency: 'EUR' });
  });

  test('an ERROR code is CustomerCouldNotCreatedOrUpdated, non-retryable, with Specter\'s message', async () => {
    specter.faults.set({ forceErrorCode: { code: 'ERROR_BLOCKED', message: 'Customer is blocked' } });
    const f = await failure(run(activities.upsertSpecterCustomer, [{ app4salesCustomerId: 'C1', payload: payload() }]));
    expect(f).toMatchObject({ type: 'CustomerCouldNotCreatedOrUpdated', nonRetryable: true });
    expect(f.message).toContain('ERROR_BLOCKED: Customer is blocked');
  });

  test('Specter\'s own validation refusal is reported the same way, naming the field', async () => {
    const f = await failure(run(activities.upsertSpecterCustomer, [{ app4salesCustomerId: 'C1', payload: { ...payload(), OrgNo: 'x'.repeat(25) } }]));
    expect(f).toMatchObject({ type: 'CustomerCouldNotCreatedOrUpdated', nonRetryable: true });
    expect(f.message).toContain('OrgNo');
  });

  test('a 502 is retryable, its outcome unknown (Specter may have acted before the gateway failed)', async () => {
    specter.faults.set({ errorRate: 1, errorStatus: 502, count: 1 });
    const f = await failure(run(activities.upsertSpecterCustomer, [{ app4salesCustomerId: 'C1', payload: payload() }]));
    expect(f).toMatchObject({ type: 'ExternalOutcomeUnknown', nonRetryable: false });
    expect(f.message).toContain('502');
  });

  test('a 503 is retryable as a clean refusal: nothing was created', async () => {
    specter.faults.set({ errorRate: 1, errorStatus: 503, count: 1 });
    const f = await failure(run(activities.upsertSpecterCustomer, [{ app4salesCustomerId: 'C1', payload: payload() }]));
    expect(f).toMatchObject({ type: 'TransientExternalError', nonRetryable: false });
    expect(f.message).toContain('503');
  });

  test('refused credentials are AuthenticationFailed, non-retryable', async () => {
    const badDeps = depsFor({ writeUserKey: 'wrong' });
    try {
      const f = await failure(run(createActivities(badDeps).upsertSpecterCustomer, [{ app4salesCustomerId: 'C1', payload: payload() }]));
      expect(f).toMatchObject({ type: 'AuthenticationFailed', nonRetryable: true });
    } finally {
      await badDeps.close();
    }
  });

  test('Specter unreachable (connection refused) is retryable as a clean refusal', async () => {
    const down = depsFor({ specterUrl: 'http://127.0.0.1:9' });
    try {
      const f = await failure(run(createActivities(down).upsertSpecterCustomer, [{ app4salesCustomerId: 'C1', payload: payload() }]));
      expect(f).toMatchObject({ type: 'TransientExternalError', nonRetryable: false });
    } finally {
      await down.close();
    }
  });

  test('a retried create whose first answer was lost updates the customer the first attempt created', async () => {
    specter.faults.set({ commitThenHang: true, count: 1 });
    const first = await failure(run(activities.upsertSpecterCustomer, [{ app4salesCustomerId: 'C1', payload: payload() }], 1));
    expect(first.message).toMatch(/timed out/);
    expect(specter.state.customers.size).toBe(1);

    // Attempt 2 outside a workflow: how attempt 1 ended cannot be read, so it counts as a lost answer.
    const retry = await run(activities.upsertSpecterCustomer, [{ app4salesCustomerId: 'C1', payload: payload() }], 2);
    expect(retry).toMatchObject({ created: true, code: [...specter.state.customers.keys()][0] });
    expect(specter.state.customers.size).toBe(1);
    expect(specter.state.requests.at(-1)?.body).toMatchObject({ CustomerId: retry.code, IdentifyByCustomerId: true });
  });

  test('a first attempt never looks up: two App4Sales customers with the same name and e-mail stay two', async () => {
    await run(activities.upsertSpecterCustomer, [{ app4salesCustomerId: 'C1', payload: payload() }]);
    await run(activities.upsertSpecterCustomer, [{ app4salesCustomerId: 'C9', payload: payload() }]);
    expect(specter.state.customers.size).toBe(2);
  });
});

describe('recordCustomerCode', () => {
  test('writes the Specter code back as the App4Sales CustomerCode', async () => {
    await run(activities.recordCustomerCode, [{ app4salesCustomerId: 'C1', customerCode: '10001' }]);
    expect(app4sales.state.customers.get('C1')?.CustomerCode).toBe('10001');
  });

  test('a customer deleted from App4Sales meanwhile fails non-retryably', async () => {
    const f = await failure(run(activities.recordCustomerCode, [{ app4salesCustomerId: 'GONE', customerCode: '10001' }]));
    expect(f).toMatchObject({ type: 'SourceRecordNotFound', nonRetryable: true });
  });

  test('a code App4Sales refuses is InvalidRequest naming CustomerCode', async () => {
    const f = await failure(run(activities.recordCustomerCode, [{ app4salesCustomerId: 'C1', customerCode: 'x'.repeat(60) }]));
    expect(f).toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    expect(f.message).toContain('CustomerCode');
  });
});
