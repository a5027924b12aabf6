import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECEIVER_CONFIG_SECTIONS } from '../../client/receiver';
import { ConfigError, loadConfig, type ConfigSection } from '../../common/config';

/** What worker/main.ts loads (worker/deps.ts WORKER_CONFIG_SECTIONS): every flow's adapters and settings. */
const WORKER_SECTIONS = ['temporal', 'log', 'app4sales', 'specter', 'servicetrade', 'spectrum', 'jobSync'] as const satisfies readonly ConfigSection[];
/** What the receiver loads (client/receiver.ts RECEIVER_CONFIG_SECTIONS): both webhooks' secrets, no API credentials. */
const RECEIVER_SECTIONS = [
  'temporal',
  'log',
  'receiver',
  'app4salesWebhook',
  'servicetradeWebhook',
  'servicechannelWebhook',
  'servicepowerNotification',
] as const satisfies readonly ConfigSection[];

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const valid = {
  APP4SALES_BASE_URL: 'http://127.0.0.1:4010',
  APP4SALES_API_KEY: 'key',
  APP4SALES_WEBHOOK_SECRET: 'a-secret-of-16-chars',
  SPECTER_BASE_URL: 'http://127.0.0.1:4020',
  SPECTER_SBM_ID: '7',
  SPECTER_WRITE_USER_ID: 'w',
  SPECTER_WRITE_USER_KEY: 'wk',
  SPECTER_READ_USER_ID: 'r',
  SPECTER_READ_USER_KEY: 'rk',
  SERVICETRADE_CLIENT_ID: 'st-client',
  SERVICETRADE_CLIENT_SECRET: 'st-secret-value',
  SERVICETRADE_WEBHOOK_TOKEN: 'tok_0123456789abcdefghijklmn',
  SPECTRUM_WEB_SERVICES_URL: 'https://spectrum.example.com:8482/ws',
  SPECTRUM_AUTHORIZATION_ID: 'FIELDBRIDGE',
};

describe('configuration', () => {
  test('a complete environment loads, with defaults for Temporal and the receiver', () => {
    const cfg = loadConfig(['temporal', 'app4sales', 'app4salesWebhook', 'specter', 'receiver'], valid);
    expect(cfg.specter.sbmId).toBe(7);
    expect(cfg.app4salesWebhook.secret).toBe('a-secret-of-16-chars');
    expect(cfg.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'fieldbridge' });
    expect(cfg.receiver).toMatchObject({ port: 3000, requestTimeoutMs: 10_000, connectionTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000 });
  });

  test('every problem is listed at once, each named by its environment variable', () => {
    let error: unknown;
    try {
      loadConfig(['temporal', 'app4sales', 'app4salesWebhook', 'specter', 'receiver'], {
        ...valid,
        APP4SALES_BASE_URL: 'not a url',
        APP4SALES_WEBHOOK_SECRET: 'short',
        SPECTER_SBM_ID: 'abc',
        SPECTER_READ_USER_KEY: undefined,
        RECEIVER_PORT: '99999',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['APP4SALES_BASE_URL', 'APP4SALES_WEBHOOK_SECRET', 'SPECTER_SBM_ID', 'SPECTER_READ_USER_KEY', 'RECEIVER_PORT']) {
      expect(problems).toContain(name);
    }
    expect((error as ConfigError).problems).toHaveLength(5);
    expect(problems).toMatch(/SPECTER_READ_USER_KEY.*is required/);
    expect(problems).toMatch(/SPECTER_SBM_ID.*\(got "abc"\)/);
    // A secret's value is never echoed, even when it is wrong.
    expect(problems).not.toContain('short');
  });

  test('a component loads only the sections it needs', () => {
    expect(loadConfig(['temporal'], { TEMPORAL_ADDRESS: 'cloud.example:7233', TEMPORAL_API_KEY: 'k' }).temporal).toMatchObject({
      address: 'cloud.example:7233',
      apiKey: 'k',
    });
  });

  test('TLS client certificate without its key is refused', () => {
    expect(() => loadConfig(['temporal'], { TEMPORAL_TLS_CLIENT_CERT_PATH: '/x.pem' })).toThrow(/TEMPORAL_TLS_CLIENT_KEY_PATH/);
  });

  test('a config file fills in what the environment leaves out; the environment wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-config-'));
    const file = join(dir, 'fieldbridge.json');
    writeFileSync(file, JSON.stringify({ temporal: { namespace: 'from-file', taskQueue: 'q-file' } }));
    const cfg = loadConfig(['temporal'], { FIELDBRIDGE_CONFIG: file, TEMPORAL_TASK_QUEUE: 'q-env' });
    expect(cfg.temporal.namespace).toBe('from-file');
    expect(cfg.temporal.taskQueue).toBe('q-env');
  });

  test('an unreadable config file is reported by name', () => {
    expect(() => loadConfig(['temporal'], { FIELDBRIDGE_CONFIG: '/nonexistent/fb.json' })).toThrow(/FIELDBRIDGE_CONFIG \(\/nonexistent\/fb.json\)/);
  });

  test('the receiver\'s HTTP timeouts are read from the environment; zero or negative ones are refused', () => {
    const { receiver } = loadConfig(['receiver'], { RECEIVER_REQUEST_TIMEOUT_MS: '5000', RECEIVER_CONNECTION_TIMEOUT_MS: '20000', RECEIVER_KEEP_ALIVE_TIMEOUT_MS: '65000' });
    expect(receiver).toMatchObject({ requestTimeoutMs: 5000, connectionTimeoutMs: 20_000, keepAliveTimeoutMs: 65_000 });
    const problems = problemsOf(() => loadConfig(['receiver'], { RECEIVER_REQUEST_TIMEOUT_MS: '0', RECEIVER_KEEP_ALIVE_TIMEOUT_MS: '-1' }));
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/RECEIVER_REQUEST_TIMEOUT_MS.*\(got "0"\)/);
    expect(problems.join('\n')).toMatch(/RECEIVER_KEEP_ALIVE_TIMEOUT_MS.*\(got "-1"\)/);
  });
});

describe('each process needs only its own settings', () => {
  const { APP4SALES_WEBHOOK_SECRET: _secret, SERVICETRADE_WEBHOOK_TOKEN: _token, ...workerEnv } = valid;
  const receiverEnv = {
    APP4SALES_WEBHOOK_SECRET: 'a-secret-of-16-chars',
    SERVICETRADE_WEBHOOK_TOKEN: 'tok_0123456789abcdefghijklmn',
    SERVICECHANNEL_WEBHOOK_KEY: 'sc-webhook-key-0123456789',
    SERVICEPOWER_NOTIFICATION_SECRET: 'sp-notification-secret-0123',
  };

  // Both depend on the worker's and the receiver's own lists, changed by the job -> work order flow.
  test('the worker and the receiver load these sections', () => {
    expect([...RECEIVER_CONFIG_SECTIONS]).toEqual([...RECEIVER_SECTIONS]);
  });

  test('the worker loads without either webhook secret', () => {
    const cfg = loadConfig(WORKER_SECTIONS, workerEnv);
    expect(cfg.app4sales).toEqual({ baseUrl: 'http://127.0.0.1:4010', apiKey: 'key', timeoutMs: 10_000 });
    expect(cfg.app4sales).not.toHaveProperty('webhookSecret');
    expect(cfg.servicetrade).toMatchObject({ clientId: 'st-client', clientSecret: 'st-secret-value' });
    expect(cfg.spectrum).toMatchObject({ webServicesUrl: 'https://spectrum.example.com:8482/ws', authorizationId: 'FIELDBRIDGE' });
    expect(cfg.jobSync.externalSystemName).toBe('spectrum');
    expect(cfg).not.toHaveProperty('servicetradeWebhook');
    expect(cfg).not.toHaveProperty('app4salesWebhook');
  });

  test('the receiver loads with the four webhook secrets alone: no API keys, no Specter, Spectrum, ServiceChannel or ServicePower settings', () => {
    const cfg = loadConfig(RECEIVER_CONFIG_SECTIONS, receiverEnv);
    expect(cfg.app4salesWebhook.secret).toBe('a-secret-of-16-chars');
    expect(cfg.servicetradeWebhook).toEqual({ token: 'tok_0123456789abcdefghijklmn', autoSyncNewJobs: false });
    expect(cfg.servicechannelWebhook).toEqual({ key: 'sc-webhook-key-0123456789' });
    expect(cfg.servicepowerNotification).toEqual({ secret: 'sp-notification-secret-0123' });
    expect(cfg.receiver.port).toBe(3000);
    for (const section of ['app4sales', 'specter', 'servicetrade', 'spectrum', 'jobSync', 'servicechannel', 'servicepower', 'mobileSync']) expect(cfg).not.toHaveProperty(section);
  });

  test('an empty environment: the worker names its own missing variables, not the webhook secrets', () => {
    const problems = problemsOf(() => loadConfig(WORKER_SECTIONS, {})).join('\n');
    for (const name of [
      'APP4SALES_BASE_URL',
      'APP4SALES_API_KEY',
      'SPECTER_BASE_URL',
      'SPECTER_SBM_ID',
      'SPECTER_WRITE_USER_ID',
      'SPECTER_WRITE_USER_KEY',
      'SPECTER_READ_USER_ID',
      'SPECTER_READ_USER_KEY',
      'SERVICETRADE_CLIENT_ID',
      'SERVICETRADE_CLIENT_SECRET',
      'SPECTRUM_WEB_SERVICES_URL',
      'SPECTRUM_AUTHORIZATION_ID',
    ]) {
      expect(problems).toContain(name);
    }
    expect(problems).not.toContain('WEBHOOK');
    expect(problems).not.toContain('RECEIVER_');
    // Everything else of the job sync has a default.
    expect(problems).not.toContain('SERVICETRADE_BASE_URL');
    expect(problems).not.toContain('JOB_SYNC_');
  });

  test('an empty environment: the receiver names only the four webhook secrets', () => {
    const problems = problemsOf(() => loadConfig(RECEIVER_CONFIG_SECTIONS, {}));
    expect(problems).toEqual([
      'APP4SALES_WEBHOOK_SECRET (app4salesWebhook.secret): is required',
      'SERVICETRADE_WEBHOOK_TOKEN (servicetradeWebhook.token): is required',
      'SERVICECHANNEL_WEBHOOK_KEY (servicechannelWebhook.key): is required',
      'SERVICEPOWER_NOTIFICATION_SECRET (servicepowerNotification.secret): is required',
    ]);
  });

  test('a short webhook secret is refused without echoing it', () => {
    const problems = problemsOf(() => loadConfig(RECEIVER_CONFIG_SECTIONS, { ...receiverEnv, APP4SALES_WEBHOOK_SECRET: 'too-short' }));
    expect(problems).toEqual(['APP4SALES_WEBHOOK_SECRET (app4salesWebhook.secret): must be at least 16 characters']);
  });

  test('the same sections by name: the worker\'s without the webhook secrets, the receiver\'s without the API credentials', () => {
    expect(() => loadConfig(WORKER_SECTIONS, workerEnv)).not.toThrow();
    expect(() => loadConfig(RECEIVER_SECTIONS, receiverEnv)).not.toThrow();
    expect(problemsOf(() => loadConfig(RECEIVER_SECTIONS, {}))).toEqual([
      'APP4SALES_WEBHOOK_SECRET (app4salesWebhook.secret): is required',
      'SERVICETRADE_WEBHOOK_TOKEN (servicetradeWebhook.token): is required',
      'SERVICECHANNEL_WEBHOOK_KEY (servicechannelWebhook.key): is required',
      'SERVICEPOWER_NOTIFICATION_SECRET (servicepowerNotification.secret): is required',
    ]);
  });

  test('a `<NAME>_FILE` of a section the process does not load is never read', () => {
    const cfg = loadConfig(RECEIVER_SECTIONS, { ...receiverEnv, SERVICETRADE_CLIENT_SECRET_FILE: '/nonexistent/st-secret', SPECTRUM_WORK_ORDER_TYPE_MAP_FILE: '/nonexistent/map.json' });
    expect(cfg.servicetradeWebhook.token).toBe('tok_0123456789abcdefghijklmn');
  });
});

describe('URLs must carry http:// or https://', () => {
  test.each(['localhost:4020', '127.0.0.1:4020', 'ftp://files.example', 'http:/127.0.0.1:4020', 'http://', 'not a url'])('%s is refused at start, naming the variable', (url) => {
    const problems = problemsOf(() => loadConfig(['app4sales', 'specter'], { ...valid, APP4SALES_BASE_URL: url, SPECTER_BASE_URL: url }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^APP4SALES_BASE_URL \(app4sales\.baseUrl\): must start with http:\/\/ or https:\/\//);
    expect(problems[1]).toMatch(/^SPECTER_BASE_URL \(specter\.baseUrl\): must start with http:\/\/ or https:\/\//);
    expect(problems[0]).toContain(`(got ${JSON.stringify(url)})`);
  });

  test.each(['http://127.0.0.1:4010', 'https://api.app4sales.example/v1', 'HTTPS://Specter.Example'])('%s is accepted', (url) => {
    const cfg = loadConfig(['app4sales', 'specter'], { ...valid, APP4SALES_BASE_URL: url, SPECTER_BASE_URL: url });
    expect(cfg.app4sales.baseUrl).toBe(url);
    expect(cfg.specter.baseUrl).toBe(url);
  });
});

/** A temp file holding `content`; its path. */
function tempFile(name: string, content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fb-config-')), name);
  writeFileSync(file, content);
  return file;
}

describe('ServiceTrade (worker) and its webhook (receiver)', () => {
  test('every ServiceTrade variable is read from the environment', () => {
    const { servicetrade, servicetradeWebhook } = loadConfig(['servicetrade', 'servicetradeWebhook'], {
      SERVICETRADE_BASE_URL: 'http://127.0.0.1:4030/api',
      SERVICETRADE_CLIENT_ID: 'id-1',
      SERVICETRADE_CLIENT_SECRET: 'secret-1',
      SERVICETRADE_TIMEOUT_MS: '5000',
      SERVICETRADE_WEBHOOK_TOKEN: 'A'.repeat(24),
      SERVICETRADE_AUTO_SYNC_NEW_JOBS: 'true',
    });
    expect(servicetrade).toEqual({ baseUrl: 'http://127.0.0.1:4030/api', clientId: 'id-1', clientSecret: 'secret-1', timeoutMs: 5000 });
    expect(servicetradeWebhook).toEqual({ token: 'A'.repeat(24), autoSyncNewJobs: true });
  });

  test('defaults: the public API, 15 s, new jobs not synced automatically', () => {
    const { servicetrade, servicetradeWebhook } = loadConfig(['servicetrade', 'servicetradeWebhook'], valid);
    expect(servicetrade).toMatchObject({ baseUrl: 'https://api.servicetrade.com/api', timeoutMs: 15_000 });
    expect(servicetradeWebhook.autoSyncNewJobs).toBe(false);
  });

  test.each(['short-token', 'a'.repeat(23)])('a webhook token of %p is too short: refused without echoing it', (token) => {
    const problems = problemsOf(() => loadConfig(['servicetradeWebhook'], { SERVICETRADE_WEBHOOK_TOKEN: token }));
    expect(problems).toEqual(['SERVICETRADE_WEBHOOK_TOKEN (servicetradeWebhook.token): must be at least 24 characters']);
    expect(problems.join('\n')).not.toContain(token);
  });

  test('a webhook token that is not a URL path segment is refused without echoing it', () => {
    const token = 'abc/def?ghi=jkl&mno=pqrstuvwxyz';
    const problems = problemsOf(() => loadConfig(['servicetradeWebhook'], { SERVICETRADE_WEBHOOK_TOKEN: token }));
    expect(problems).toEqual([expect.stringMatching(/^SERVICETRADE_WEBHOOK_TOKEN \(servicetradeWebhook\.token\): must hold only letters, digits/)]);
    expect(problems.join('\n')).not.toContain('pqrstuvwxyz');
  });

  test('SERVICETRADE_AUTO_SYNC_NEW_JOBS that is no yes/no is named', () => {
    const problems = problemsOf(() => loadConfig(['servicetradeWebhook'], { SERVICETRADE_WEBHOOK_TOKEN: 'A'.repeat(24), SERVICETRADE_AUTO_SYNC_NEW_JOBS: 'sometimes' }));
    expect(problems).toEqual(['SERVICETRADE_AUTO_SYNC_NEW_JOBS (servicetradeWebhook.autoSyncNewJobs): must be true or false (also 1/0, yes/no, on/off) (got "sometimes")']);
  });

  test('SERVICETRADE_BASE_URL must carry http:// or https://', () => {
    const problems = problemsOf(() => loadConfig(['servicetrade'], { ...valid, SERVICETRADE_BASE_URL: 'api.servicetrade.com/api' }));
    expect(problems).toEqual([expect.stringMatching(/^SERVICETRADE_BASE_URL \(servicetrade\.baseUrl\): must start with http:\/\/ or https:\/\//)]);
  });
});

describe('<NAME>_FILE: a secret (or the type map) read from a file', () => {
  test('SERVICETRADE_CLIENT_SECRET_FILE is read, one trailing newline dropped', () => {
    const file = tempFile('st-secret', 's3cr3t-from-file\n');
    const { servicetrade } = loadConfig(['servicetrade'], { SERVICETRADE_CLIENT_ID: 'id', SERVICETRADE_CLIENT_SECRET_FILE: file });
    expect(servicetrade.clientSecret).toBe('s3cr3t-from-file');
  });

  test('only one trailing newline is dropped (CRLF too); other whitespace is the secret\'s', () => {
    const crlf = tempFile('crlf', 'abc\r\n');
    const two = tempFile('two', ' abc\n\n');
    expect(loadConfig(['servicetrade'], { SERVICETRADE_CLIENT_ID: 'id', SERVICETRADE_CLIENT_SECRET_FILE: crlf }).servicetrade.clientSecret).toBe('abc');
    expect(loadConfig(['servicetrade'], { SERVICETRADE_CLIENT_ID: 'id', SERVICETRADE_CLIENT_SECRET_FILE: two }).servicetrade.clientSecret).toBe(' abc\n');
  });

  test('the variable itself wins over its file', () => {
    const file = tempFile('st-secret', 'from-file');
    const { servicetrade } = loadConfig(['servicetrade'], { SERVICETRADE_CLIENT_ID: 'id', SERVICETRADE_CLIENT_SECRET: 'from-env', SERVICETRADE_CLIENT_SECRET_FILE: file });
    expect(servicetrade.clientSecret).toBe('from-env');
  });

  test('a missing file is named, once, with the other problems', () => {
    const problems = problemsOf(() => loadConfig(['servicetrade'], { SERVICETRADE_CLIENT_SECRET_FILE: '/nonexistent/st-secret', SERVICETRADE_TIMEOUT_MS: '0' }));
    expect(problems).toEqual([
      'SERVICETRADE_CLIENT_SECRET_FILE (/nonexistent/st-secret): cannot be read (ENOENT)',
      'SERVICETRADE_CLIENT_ID (servicetrade.clientId): is required',
      'SERVICETRADE_TIMEOUT_MS (servicetrade.timeoutMs): Too small: expected number to be >0 (got "0")',
    ]);
  });

  test('an empty file is named', () => {
    const file = tempFile('empty', '\n');
    expect(problemsOf(() => loadConfig(['servicetrade'], { SERVICETRADE_CLIENT_ID: 'id', SERVICETRADE_CLIENT_SECRET_FILE: file }))).toEqual([
      `SERVICETRADE_CLIENT_SECRET_FILE (${file}): the file is empty`,
    ]);
  });

  test('a value from a file is named by its _FILE variable when wrong, and a secret is never echoed', () => {
    const file = tempFile('token', 'short-token-from-file\n');
    const problems = problemsOf(() => loadConfig(['servicetradeWebhook'], { SERVICETRADE_WEBHOOK_TOKEN_FILE: file }));
    expect(problems).toEqual(['SERVICETRADE_WEBHOOK_TOKEN_FILE (servicetradeWebhook.token): must be at least 24 characters']);
    expect(problems.join('\n')).not.toContain('short-token-from-file');
  });

  test('SPECTRUM_CLIENT_SECRET_FILE fills the enhanced authentication secret', () => {
    const file = tempFile('sp-secret', 'sp-secret-from-file\n');
    const { spectrum } = loadConfig(['spectrum'], { ...valid, SPECTRUM_ENHANCED_AUTH: 'true', SPECTRUM_CLIENT_ID: 'cid', SPECTRUM_CLIENT_SECRET_FILE: file });
    expect(spectrum).toMatchObject({ enhancedAuth: true, clientId: 'cid', clientSecret: 'sp-secret-from-file' });
  });
});

describe('Spectrum (seed 000 connection settings, seed 001 prerequisites)', () => {
  test('every Spectrum connection variable is read from the environment', () => {
    const { spectrum } = loadConfig(['spectrum'], {
      SPECTRUM_WEB_SERVICES_URL: 'https://spectrum.myserver.com:8482/ws',
      SPECTRUM_AUTHORIZATION_ID: 'A'.repeat(20),
      SPECTRUM_COMPANY_CODE: 'Z01',
      SPECTRUM_ENHANCED_AUTH: 'true',
      SPECTRUM_CLIENT_ID: 'client-1',
      SPECTRUM_CLIENT_SECRET: 'secret-1',
      SPECTRUM_TOKEN_URL: 'https://auth.spectrum.example/connect/token',
      SPECTRUM_TIMEOUT_MS: '45000',
    });
    expect(spectrum).toEqual({
      webServicesUrl: 'https://spectrum.myserver.com:8482/ws',
      authorizationId: 'A'.repeat(20),
      companyCode: 'Z01',
      enhancedAuth: true,
      clientId: 'client-1',
      clientSecret: 'secret-1',
      tokenUrl: 'https://auth.spectrum.example/connect/token',
      timeoutMs: 45_000,
      secretWarnDays: 14,
    });
  });

  test('the client secret from SPECTRUM_CLIENT_SECRET_FILE keeps its path (read again on rotation), with its expiry and warning window', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-spectrum-config-'));
    try {
      const file = join(dir, 'secret');
      writeFileSync(file, 'from-the-file\n');
      const { spectrum } = loadConfig(['spectrum'], {
        ...valid,
        SPECTRUM_ENHANCED_AUTH: 'true',
        SPECTRUM_CLIENT_ID: 'client-1',
        SPECTRUM_CLIENT_SECRET_FILE: file,
        SPECTRUM_CLIENT_SECRET_EXPIRES: '2027-03-01',
        SPECTRUM_CLIENT_SECRET_WARN_DAYS: '21',
      });
      expect(spectrum).toMatchObject({ clientSecret: 'from-the-file', clientSecretFile: file, clientSecretExpires: '2027-03-01', secretWarnDays: 21 });
      const problems = problemsOf(() => loadConfig(['spectrum'], { ...valid, SPECTRUM_CLIENT_SECRET_EXPIRES: 'next spring', SPECTRUM_CLIENT_SECRET_WARN_DAYS: '0' }));
      expect(problems).toEqual([
        'SPECTRUM_CLIENT_SECRET_EXPIRES (spectrum.clientSecretExpires): must be a date: YYYY-MM-DD, an ISO date-time, or MM/DD/CCYY', // not echoed: a secret setting
        expect.stringMatching(/^SPECTRUM_CLIENT_SECRET_WARN_DAYS \(spectrum.secretWarnDays\): /),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('defaults: no enhanced authentication, the Authorization ID\'s company, 30 s', () => {
    const { spectrum } = loadConfig(['spectrum'], valid);
    expect(spectrum).toEqual({ webServicesUrl: 'https://spectrum.example.com:8482/ws', authorizationId: 'FIELDBRIDGE', enhancedAuth: false, timeoutMs: 30_000, secretWarnDays: 14 });
  });

  test('an Authorization ID over 20 characters and a company code over 3 are named', () => {
    const problems = problemsOf(() => loadConfig(['spectrum'], { ...valid, SPECTRUM_AUTHORIZATION_ID: 'A'.repeat(21), SPECTRUM_COMPANY_CODE: 'ABCD' }));
    expect(problems).toEqual([
      `SPECTRUM_AUTHORIZATION_ID (spectrum.authorizationId): must be at most 20 characters (Spectrum Authorization_ID) (got "${'A'.repeat(21)}")`,
      'SPECTRUM_COMPANY_CODE (spectrum.companyCode): must be at most 3 characters (Spectrum Company_Code) (got "ABCD")',
    ]);
  });

  test('enhanced authentication without client id and secret is refused, naming both', () => {
    expect(problemsOf(() => loadConfig(['spectrum'], { ...valid, SPECTRUM_ENHANCED_AUTH: 'true' }))).toEqual([
      'SPECTRUM_CLIENT_ID (spectrum.clientId): is required with enhanced authentication',
      'SPECTRUM_CLIENT_SECRET (spectrum.clientSecret): is required with enhanced authentication',
    ]);
  });

  test('enhanced authentication with the secret but no client id names the id and never echoes the secret', () => {
    const problems = problemsOf(() => loadConfig(['spectrum'], { ...valid, SPECTRUM_ENHANCED_AUTH: 'yes', SPECTRUM_CLIENT_SECRET: 'do-not-print-me' }));
    expect(problems).toEqual(['SPECTRUM_CLIENT_ID (spectrum.clientId): is required with enhanced authentication']);
    expect(problems.join('\n')).not.toContain('do-not-print-me');
  });

  test('the client credentials are not required without enhanced authentication', () => {
    expect(loadConfig(['spectrum'], { ...valid, SPECTRUM_ENHANCED_AUTH: 'false' }).spectrum.enhancedAuth).toBe(false);
  });

  test('the enhanced authentication problem is listed with the others: every problem at once', () => {
    const problems = problemsOf(() => loadConfig(['spectrum'], { SPECTRUM_ENHANCED_AUTH: 'true', SPECTRUM_CLIENT_SECRET: 'do-not-print-me', SPECTRUM_TIMEOUT_MS: 'soon' }));
    expect(problems).toEqual([
      'SPECTRUM_WEB_SERVICES_URL (spectrum.webServicesUrl): is required',
      'SPECTRUM_AUTHORIZATION_ID (spectrum.authorizationId): is required',
      'SPECTRUM_TIMEOUT_MS (spectrum.timeoutMs): Invalid input: expected number, received NaN (got "soon")',
      'SPECTRUM_CLIENT_ID (spectrum.clientId): is required with enhanced authentication',
    ]);
    expect(problems.join('\n')).not.toContain('do-not-print-me');
  });

  test.each(['spectrum.myserver.com:8482/ws', 'ftp://spectrum.example'])('SPECTRUM_WEB_SERVICES_URL / SPECTRUM_TOKEN_URL %p are refused', (url) => {
    const problems = problemsOf(() => loadConfig(['spectrum'], { ...valid, SPECTRUM_WEB_SERVICES_URL: url, SPECTRUM_TOKEN_URL: url }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^SPECTRUM_WEB_SERVICES_URL \(spectrum\.webServicesUrl\): must start with http/);
    expect(problems[1]).toMatch(/^SPECTRUM_TOKEN_URL \(spectrum\.tokenUrl\): must start with http/);
  });
});

describe('job sync preferences (seed 000 integration preferences)', () => {
  const typeMap = [
    { jobType: 'inspection', serviceLine: 'HVAC', workOrderTypeCode: 'INSP' },
    { jobType: 'repair', serviceLine: 'PL', workOrderTypeCode: 'RPL' },
  ];

  test('every job sync variable is read from the environment', () => {
    const { jobSync } = loadConfig(['jobSync'], {
      SPECTRUM_DEFAULT_WORK_ORDER_TYPE: 'SVC',
      SPECTRUM_WORK_ORDER_TYPE_MAP: JSON.stringify(typeMap),
      SPECTRUM_DEFAULT_LEAD_SOURCE: 'SERVICETRADE',
      SPECTRUM_LEAD_SOURCE_REQUIRED: 'true',
      SPECTRUM_DEFAULT_WAREHOUSE: 'MAIN',
      SPECTRUM_WO_NUMBER_LEADING_CHARACTER: 'S',
      SPECTRUM_OTHER_ITEM_CODE: 'MISC',
      SERVICETRADE_EXTERNAL_SYSTEM_NAME: 'spectrum_prod',
      SPECTRUM_TIME_ZONE: 'America/Chicago',
      JOB_SYNC_MAPPING_WAIT_MS: '86400000',
      JOB_SYNC_MAPPING_RECHECK_MS: '600000',
      JOB_SYNC_CUSTOMER_LIST_REFRESH_MS: '120000',
    });
    expect(jobSync).toEqual({
      defaultWorkOrderTypeCode: 'SVC',
      workOrderTypeMap: typeMap,
      defaultLeadSourceCode: 'SERVICETRADE',
      leadSourceRequired: true,
      defaultWarehouseCode: 'MAIN',
      workOrderNumberLeadingCharacter: 'S',
      otherItemCode: 'MISC',
      externalSystemName: 'spectrum_prod',
      timeZone: 'America/Chicago',
      mappingWaitMs: 86_400_000,
      mappingRecheckMs: 600_000,
      customerListRefreshMs: 120_000,
    });
  });

  test('defaults: an empty map, no lead source required, system "spectrum", UTC, a week\'s wait rechecked hourly', () => {
    expect(loadConfig(['jobSync'], {}).jobSync).toEqual({
      workOrderTypeMap: [],
      leadSourceRequired: false,
      externalSystemName: 'spectrum',
      timeZone: 'UTC',
      mappingWaitMs: 7 * 24 * 3600 * 1000,
      mappingRecheckMs: 3600 * 1000,
      customerListRefreshMs: 30_000,
    });
  });

  test('the work order type map from a file, SPECTRUM_WORK_ORDER_TYPE_MAP_FILE', () => {
    const file = tempFile('type-map.json', `${JSON.stringify(typeMap, null, 2)}\n`);
    expect(loadConfig(['jobSync'], { SPECTRUM_WORK_ORDER_TYPE_MAP_FILE: file }).jobSync.workOrderTypeMap).toEqual(typeMap);
  });

  test('the work order type map from the config file, as a JSON array', () => {
    const file = tempFile('fieldbridge.json', JSON.stringify({ jobSync: { workOrderTypeMap: typeMap, leadSourceRequired: true, defaultLeadSourceCode: 'WEB' } }));
    const { jobSync } = loadConfig(['jobSync'], { FIELDBRIDGE_CONFIG: file });
    expect(jobSync.workOrderTypeMap).toEqual(typeMap);
    // A JSON boolean is a yes/no too.
    expect(jobSync.leadSourceRequired).toBe(true);
  });

  test('invalid JSON is named by its variable', () => {
    const problems = problemsOf(() => loadConfig(['jobSync'], { SPECTRUM_WORK_ORDER_TYPE_MAP: '[{"jobType": "repair",' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SPECTRUM_WORK_ORDER_TYPE_MAP \(jobSync\.workOrderTypeMap\): is not valid JSON \(/);
  });

  test('invalid JSON in the file is named by the _FILE variable', () => {
    const file = tempFile('type-map.json', '{ not json');
    const problems = problemsOf(() => loadConfig(['jobSync'], { SPECTRUM_WORK_ORDER_TYPE_MAP_FILE: file }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SPECTRUM_WORK_ORDER_TYPE_MAP_FILE \(jobSync\.workOrderTypeMap\): is not valid JSON \(/);
  });

  test('JSON that is not an array of rows is named', () => {
    expect(problemsOf(() => loadConfig(['jobSync'], { SPECTRUM_WORK_ORDER_TYPE_MAP: '{"inspection":"INSP"}' }))).toEqual([
      'SPECTRUM_WORK_ORDER_TYPE_MAP (jobSync.workOrderTypeMap): must be a JSON array of {"jobType","serviceLine","workOrderTypeCode"} (got "{\\"inspection\\":\\"INSP\\"}")',
    ]);
  });

  test('a row whose type code is over 5 characters is named by the variable and the row', () => {
    const rows = [typeMap[0], { jobType: 'repair', serviceLine: 'HVAC', workOrderTypeCode: 'REPAIR' }];
    expect(problemsOf(() => loadConfig(['jobSync'], { SPECTRUM_WORK_ORDER_TYPE_MAP: JSON.stringify(rows) }))).toEqual([
      'SPECTRUM_WORK_ORDER_TYPE_MAP (jobSync.workOrderTypeMap.1.workOrderTypeCode): must be at most 5 characters (Spectrum WO_Job_Division)',
    ]);
  });

  test('a row missing its service line is named', () => {
    const problems = problemsOf(() => loadConfig(['jobSync'], { SPECTRUM_WORK_ORDER_TYPE_MAP: '[{"jobType":"repair","workOrderTypeCode":"R"}]' }));
    expect(problems).toEqual([expect.stringMatching(/^SPECTRUM_WORK_ORDER_TYPE_MAP \(jobSync\.workOrderTypeMap\.0\.serviceLine\): /)]);
  });

  test('SPECTRUM_LEAD_SOURCE_REQUIRED=true without SPECTRUM_DEFAULT_LEAD_SOURCE is refused', () => {
    expect(problemsOf(() => loadConfig(['jobSync'], { SPECTRUM_LEAD_SOURCE_REQUIRED: 'true' }))).toEqual([
      'SPECTRUM_DEFAULT_LEAD_SOURCE (jobSync.defaultLeadSourceCode): is required when Spectrum requires lead sources (SPECTRUM_LEAD_SOURCE_REQUIRED=true)',
    ]);
    expect(loadConfig(['jobSync'], { SPECTRUM_LEAD_SOURCE_REQUIRED: 'true', SPECTRUM_DEFAULT_LEAD_SOURCE: 'WEB' }).jobSync.defaultLeadSourceCode).toBe('WEB');
    expect(loadConfig(['jobSync'], { SPECTRUM_LEAD_SOURCE_REQUIRED: 'false' }).jobSync.leadSourceRequired).toBe(false);
  });

  test('the missing lead source is listed with every other problem of the section at once', () => {
    const problems = problemsOf(() =>
      loadConfig(['jobSync'], {
        SPECTRUM_LEAD_SOURCE_REQUIRED: 'true',
        SPECTRUM_WO_NUMBER_LEADING_CHARACTER: 'SX',
        SPECTRUM_TIME_ZONE: 'Central',
        SPECTRUM_WORK_ORDER_TYPE_MAP: '[',
      }),
    );
    expect(problems.map((p) => p.split(' ')[0])).toEqual([
      'SPECTRUM_WORK_ORDER_TYPE_MAP',
      'SPECTRUM_WO_NUMBER_LEADING_CHARACTER',
      'SPECTRUM_TIME_ZONE',
      'SPECTRUM_DEFAULT_LEAD_SOURCE',
    ]);
  });

  test('a SPECTRUM_LEAD_SOURCE_REQUIRED that is no yes/no is named, and the other problems still listed', () => {
    const problems = problemsOf(() => loadConfig(['jobSync', 'spectrum'], { ...valid, SPECTRUM_LEAD_SOURCE_REQUIRED: 'maybe', SPECTRUM_ENHANCED_AUTH: 'true', SPECTRUM_DEFAULT_WAREHOUSE: 'W'.repeat(11) }));
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['SPECTRUM_CLIENT_ID', 'SPECTRUM_CLIENT_SECRET', 'SPECTRUM_DEFAULT_WAREHOUSE', 'SPECTRUM_LEAD_SOURCE_REQUIRED']);
  });

  // [value, accepted]
  const leading: Array<[string, boolean]> = [
    ['S', true],
    ['w', true],
    ['7', true],
    ['SS', false],
    ['-', false],
    ['É', false],
    [' S', false],
  ];
  test.each(leading)('SPECTRUM_WO_NUMBER_LEADING_CHARACTER %p: accepted %p (one letter or digit)', (value, accepted) => {
    const env = { SPECTRUM_WO_NUMBER_LEADING_CHARACTER: value };
    if (accepted) {
      expect(loadConfig(['jobSync'], env).jobSync.workOrderNumberLeadingCharacter).toBe(value);
    } else {
      expect(problemsOf(() => loadConfig(['jobSync'], env))).toEqual([
        `SPECTRUM_WO_NUMBER_LEADING_CHARACTER (jobSync.workOrderNumberLeadingCharacter): must be one letter or digit (got ${JSON.stringify(value)})`,
      ]);
    }
  });

  // [value, accepted] — ServiceTrade's rule: lowercase, starts with a letter, letters/digits/underscores.
  const systemNames: Array<[string, boolean]> = [
    ['spectrum', true],
    ['spectrum_2', true],
    ['s', true],
    ['Spectrum', false],
    ['2spectrum', false],
    ['_spectrum', false],
    ['spectrum-prod', false],
    ['spectrum prod', false],
  ];
  test.each(systemNames)('SERVICETRADE_EXTERNAL_SYSTEM_NAME %p: accepted %p', (value, accepted) => {
    const env = { SERVICETRADE_EXTERNAL_SYSTEM_NAME: value };
    if (accepted) {
      expect(loadConfig(['jobSync'], env).jobSync.externalSystemName).toBe(value);
    } else {
      expect(problemsOf(() => loadConfig(['jobSync'], env))).toEqual([
        `SERVICETRADE_EXTERNAL_SYSTEM_NAME (jobSync.externalSystemName): must be lowercase, start with a letter and hold only letters, digits and underscores (ServiceTrade rule) (got ${JSON.stringify(value)})`,
      ]);
    }
  });

  // [value, accepted]
  const zones: Array<[string, boolean]> = [
    ['UTC', true],
    ['America/Chicago', true],
    ['Europe/Stockholm', true],
    ['Central', false],
    ['America/Springfield', false],
  ];
  test.each(zones)('SPECTRUM_TIME_ZONE %p: accepted %p (an IANA zone)', (value, accepted) => {
    const env = { SPECTRUM_TIME_ZONE: value };
    if (accepted) {
      expect(loadConfig(['jobSync'], env).jobSync.timeZone).toBe(value);
    } else {
      expect(problemsOf(() => loadConfig(['jobSync'], env))).toEqual([
        `SPECTRUM_TIME_ZONE (jobSync.timeZone): must be an IANA time zone, e.g. America/Chicago (got ${JSON.stringify(value)})`,
      ]);
    }
  });

  test('codes over Spectrum\'s lengths are named: type 5, lead source 15, warehouse 10, other item 15', () => {
    const problems = problemsOf(() =>
      loadConfig(['jobSync'], {
        SPECTRUM_DEFAULT_WORK_ORDER_TYPE: 'T'.repeat(6),
        SPECTRUM_DEFAULT_LEAD_SOURCE: 'L'.repeat(16),
        SPECTRUM_DEFAULT_WAREHOUSE: 'W'.repeat(11),
        SPECTRUM_OTHER_ITEM_CODE: 'I'.repeat(16),
      }),
    );
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['SPECTRUM_DEFAULT_WORK_ORDER_TYPE', 'SPECTRUM_DEFAULT_LEAD_SOURCE', 'SPECTRUM_DEFAULT_WAREHOUSE', 'SPECTRUM_OTHER_ITEM_CODE']);
    expect(loadConfig(['jobSync'], { SPECTRUM_DEFAULT_WORK_ORDER_TYPE: 'T'.repeat(5), SPECTRUM_DEFAULT_LEAD_SOURCE: 'L'.repeat(15), SPECTRUM_DEFAULT_WAREHOUSE: 'W'.repeat(10), SPECTRUM_OTHER_ITEM_CODE: 'I'.repeat(15) })).toBeDefined();
  });

  test('zero or negative mapping wait and recheck are refused', () => {
    const problems = problemsOf(() => loadConfig(['jobSync'], { JOB_SYNC_MAPPING_WAIT_MS: '0', JOB_SYNC_MAPPING_RECHECK_MS: '-5' }));
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['JOB_SYNC_MAPPING_WAIT_MS', 'JOB_SYNC_MAPPING_RECHECK_MS']);
  });
});

describe('yes/no settings', () => {
  test.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['off', false],
  ])('%p -> %p', (value, expected) => {
    expect(loadConfig(['spectrum'], { ...valid, SPECTRUM_ENHANCED_AUTH: value, SPECTRUM_CLIENT_ID: 'c', SPECTRUM_CLIENT_SECRET: 's' }).spectrum.enhancedAuth).toBe(expected);
  });

  test('an invalid TEMPORAL_TLS no longer hides the certificate-without-key problem', () => {
    const problems = problemsOf(() => loadConfig(['temporal'], { TEMPORAL_TLS: 'maybe', TEMPORAL_TLS_CLIENT_CERT_PATH: '/x.pem' }));
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['TEMPORAL_TLS', 'TEMPORAL_TLS_CLIENT_KEY_PATH']);
  });
});

describe('WORKER_SHUTDOWN_GRACE: how long running activities get to finish on SIGTERM', () => {
  test('30 seconds when not set', () => {
    expect(loadConfig(['worker'], {}).worker.shutdownGraceMs).toBe(30_000);
  });

  test.each([
    ['500ms', 500],
    ['45s', 45_000],
    ['2m', 120_000],
    ['0s', 0],
  ])('%p -> %p ms', (value, ms) => {
    expect(loadConfig(['worker'], { WORKER_SHUTDOWN_GRACE: value }).worker.shutdownGraceMs).toBe(ms);
  });

  test.each(['30', 'soon', '-5s', '2h'])('%p is refused, named by its variable', (value) => {
    const problems = problemsOf(() => loadConfig(['worker'], { WORKER_SHUTDOWN_GRACE: value }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^WORKER_SHUTDOWN_GRACE \(worker\.shutdownGraceMs\): must be/);
  });
});

describe('ServicePower settings (issue 14: the JWT is created, never configured)', () => {
  test('user and password are required, a configured token alone is not enough; the token URL defaults to none (the client takes /createjwt on the base URL host)', () => {
    const problems = problemsOf(() => loadConfig(['servicepower'], { SERVICEPOWER_BASE_URL: 'https://sp.example/seiapi/v3/trans', SERVICEPOWER_ACCESS_TOKEN: 'eyJ.static.jwt' }));
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['SERVICEPOWER_USERNAME', 'SERVICEPOWER_PASSWORD']);
    const { servicepower } = loadConfig(['servicepower'], { SERVICEPOWER_BASE_URL: 'https://sp.example/seiapi/v3/trans', SERVICEPOWER_USERNAME: 'fieldbridge', SERVICEPOWER_PASSWORD: 'pw' });
    expect(servicepower).toEqual({ baseUrl: 'https://sp.example/seiapi/v3/trans', username: 'fieldbridge', password: 'pw', timeoutMs: 15_000 });
  });

  test('MOBILE_XML_CHECKIN_SUBSCRIBERS is a JSON array of subscriber ids (default none)', () => {
    expect(loadConfig(['mobileSync'], {}).mobileSync.xmlCheckInSubscribers).toEqual([]);
    expect(loadConfig(['mobileSync'], { MOBILE_XML_CHECKIN_SUBSCRIBERS: '[2014917250]' }).mobileSync.xmlCheckInSubscribers).toEqual([2014917250]);
    expect(problemsOf(() => loadConfig(['mobileSync'], { MOBILE_XML_CHECKIN_SUBSCRIBERS: 'harbor point' }))[0]).toMatch(/^MOBILE_XML_CHECKIN_SUBSCRIBERS/);
  });
});
