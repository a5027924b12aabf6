import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedCliPath, ensureTemporalCli } from '../../scripts/temporal-cli';
import { temporalCliPath } from '../helpers/temporal-cli';

// Every call disables the build and the download: these tests must never provision anything.
const quiet = { log: () => undefined, allowBuild: false, allowDownload: false } as const;

describe('ensureTemporalCli', () => {
  const savedEnv = { ...process.env };
  let tmp: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbridge-cli-test-'));
  });

  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('TEMPORAL_CLI pointing at the real binary wins', async () => {
    const real = temporalCliPath();
    process.env.TEMPORAL_CLI = real;
    const cli = await ensureTemporalCli(quiet);
    expect(cli.source).toBe('env');
    expect(cli.path).toBe(path.resolve(real));
    expect(cli.version).toMatch(/^temporal version /);
  });

  test('TEMPORAL_CLI pointing at a missing file throws naming the variable', async () => {
    process.env.TEMPORAL_CLI = path.join(tmp, 'no-such-temporal');
    await expect(ensureTemporalCli(quiet)).rejects.toThrow(/TEMPORAL_CLI/);
  });

  test('TEMPORAL_CLI pointing at a non-executable file throws naming the variable', async () => {
    const file = path.join(tmp, 'temporal');
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    process.env.TEMPORAL_CLI = file;
    await expect(ensureTemporalCli(quiet)).rejects.toThrow(/TEMPORAL_CLI=.*not executable/);
  });

  const cacheTest = fs.existsSync(cachedCliPath()) ? test : test.skip;
  cacheTest('without TEMPORAL_CLI and PATH, the cached build is used', async () => {
    delete process.env.TEMPORAL_CLI;
    process.env.PATH = tmp; // empty directory: no `temporal`, no `go`
    const lines: string[] = [];
    const cli = await ensureTemporalCli({ ...quiet, log: (m) => lines.push(m) });
    expect(cli.source).toBe('cache');
    expect(cli.path).toBe(cachedCliPath());
    expect(cli.version.startsWith('temporal version')).toBe(true);
    expect(lines.join('\n')).toMatch(/cached build .*temporal.* in \d/);
  });

  test('with nothing available and build/download disabled it fails clearly', async () => {
    delete process.env.TEMPORAL_CLI;
    process.env.PATH = tmp;
    await expect(ensureTemporalCli({ ...quiet, projectDir: tmp })).rejects.toThrow(/Temporal CLI not available[\s\S]*allowBuild: false/);
  });
});
