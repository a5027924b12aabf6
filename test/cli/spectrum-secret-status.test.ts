/**
 * `fieldbridge status` without a workflow id: whether Spectrum's enhanced-authentication client
 * secret (rotated every 7-120 days) is about to expire, read as the worker reads it. Run as an
 * operator runs it (bin/fieldbridge.js in a child process); no Temporal is needed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(60_000);

const BIN = join(__dirname, '..', '..', 'bin', 'fieldbridge.js');
const DAY = 24 * 3600 * 1000;
const SPECTRUM = { SPECTRUM_WEB_SERVICES_URL: 'https://spectrum.example.com:8482/ws', SPECTRUM_AUTHORIZATION_ID: 'FIELDBRIDGE', SPECTRUM_ENHANCED_AUTH: 'true', SPECTRUM_CLIENT_ID: 'fb-client' };
let dir: string;

function fieldbridge(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SPECTRUM_') && name !== 'FIELDBRIDGE_CONFIG'));
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...clean, ...env }, timeout: 50_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-secret-status-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a secret expiring within SPECTRUM_CLIENT_SECRET_WARN_DAYS: status says when and how to rotate it, and exits 1', async () => {
  const expires = new Date(Date.now() + 5 * DAY + 3600_000).toISOString();
  const result = await fieldbridge(['status'], { ...SPECTRUM, SPECTRUM_CLIENT_SECRET: 'not-printed-secret', SPECTRUM_CLIENT_SECRET_EXPIRES: expires, SPECTRUM_CLIENT_SECRET_WARN_DAYS: '14' });
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`Spectrum client secret expires at ${expires} (from SPECTRUM_CLIENT_SECRET_EXPIRES), in 5 day(s) (warned 14 days ahead)`);
  expect(result.stdout).toContain('Secret Status -> Rotate Secret');
  expect(result.stdout).not.toContain('not-printed-secret');
});

test('the secret file holding the POST /secretRotation answer: its estimated_expiration is the expiry (ok, exit 0)', async () => {
  const file = join(dir, 'rotated');
  const estimated = new Date(Date.now() + 60 * DAY).toISOString();
  writeFileSync(file, JSON.stringify({ client_secret: 'rotated-secret', estimated_expiration: estimated }));
  const stale = new Date(Date.now() + 2 * DAY).toISOString();
  const result = await fieldbridge(['status', '--json'], { ...SPECTRUM, SPECTRUM_CLIENT_SECRET_FILE: file, SPECTRUM_CLIENT_SECRET_EXPIRES: stale });
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ name: 'spectrumClientSecret', ok: true, state: 'ok', expiresAt: estimated, daysLeft: 59 });
  expect(result.stdout).not.toContain('rotated-secret');
});

test('an expired secret: status says EXPIRED and exits 1', async () => {
  const result = await fieldbridge(['status'], { ...SPECTRUM, SPECTRUM_CLIENT_SECRET: 'x', SPECTRUM_CLIENT_SECRET_EXPIRES: '01/31/2020' });
  expect(result.code).toBe(1);
  expect(result.stdout).toContain('Spectrum client secret EXPIRED at 2020-01-31T00:00:00.000Z');
});
