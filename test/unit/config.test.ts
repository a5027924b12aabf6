import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECEIVER_CONFIG_SECTIONS } from '../../client/receiver';
import { ConfigError, loadConfig, type ConfigSection } from '../../common/config';

/** What worker/main.ts loads. */
const WORKER_SECTIONS = ['temporal', 'log', 'app4sales', 'specter'] as const satisfies readonly ConfigSection[];

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
  const { APP4SALES_WEBHOOK_SECRET: _secret, ...workerEnv } = valid;

  test('the worker loads without the webhook secret', () => {
    const cfg = loadConfig(WORKER_SECTIONS, workerEnv);
    expect(cfg.app4sales).toEqual({ baseUrl: 'http://127.0.0.1:4010', apiKey: 'key', timeoutMs: 10_000 });
    expect(cfg.app4sales).not.toHaveProperty('webhookSecret');
  });

  test('the receiver loads with the webhook secret alone: no App4Sales API key, no Specter settings', () => {
    const cfg = loadConfig(RECEIVER_CONFIG_SECTIONS, { APP4SALES_WEBHOOK_SECRET: 'a-secret-of-16-chars' });
    expect(cfg.app4salesWebhook.secret).toBe('a-secret-of-16-chars');
    expect(cfg.receiver.port).toBe(3000);
    expect(cfg).not.toHaveProperty('app4sales');
    expect(cfg).not.toHaveProperty('specter');
  });

  test('an empty environment: the worker names its own missing variables, not the webhook secret', () => {
    const problems = problemsOf(() => loadConfig(WORKER_SECTIONS, {})).join('\n');
    for (const name of ['APP4SALES_BASE_URL', 'APP4SALES_API_KEY', 'SPECTER_BASE_URL', 'SPECTER_SBM_ID', 'SPECTER_WRITE_USER_ID', 'SPECTER_WRITE_USER_KEY', 'SPECTER_READ_USER_ID', 'SPECTER_READ_USER_KEY']) {
      expect(problems).toContain(name);
    }
    expect(problems).not.toContain('WEBHOOK');
    expect(problems).not.toContain('RECEIVER_');
  });

  test('an empty environment: the receiver names only the webhook secret', () => {
    const problems = problemsOf(() => loadConfig(RECEIVER_CONFIG_SECTIONS, {}));
    expect(problems).toEqual(['APP4SALES_WEBHOOK_SECRET (app4salesWebhook.secret): is required']);
  });

  test('a short webhook secret is refused without echoing it', () => {
    const problems = problemsOf(() => loadConfig(RECEIVER_CONFIG_SECTIONS, { APP4SALES_WEBHOOK_SECRET: 'too-short' }));
    expect(problems).toEqual(['APP4SALES_WEBHOOK_SECRET (app4salesWebhook.secret): must be at least 16 characters']);
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
