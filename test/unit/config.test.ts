import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../common/config';

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
    const cfg = loadConfig(['temporal', 'app4sales', 'specter', 'receiver'], valid);
    expect(cfg.specter.sbmId).toBe(7);
    expect(cfg.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'fieldbridge' });
    expect(cfg.receiver.port).toBe(3000);
  });

  test('every problem is listed at once, each named by its environment variable', () => {
    let error: unknown;
    try {
      loadConfig(['temporal', 'app4sales', 'specter', 'receiver'], {
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
});
