/** The worker refuses to start on a bad configuration, listing every problem at once. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

test('a worker with no configuration exits 1 naming every missing variable', async () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(APP4SALES|SPECTER|TEMPORAL|FIELDBRIDGE_CONFIG)/.test(k)));
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, ['--require', 'tsx/cjs', join(__dirname, '..', '..', 'worker', 'main.ts')], { env: { ...env, SPECTER_SBM_ID: 'abc' } }, (err, _stdout, stderr) =>
      resolve({ code: (err as { code?: number } | null)?.code ?? 0, stderr }),
    ),
  );
  expect(code).toBe(1);
  for (const name of ['APP4SALES_BASE_URL', 'APP4SALES_API_KEY', 'SPECTER_BASE_URL', 'SPECTER_SBM_ID', 'SPECTER_WRITE_USER_ID', 'SPECTER_WRITE_USER_KEY', 'SPECTER_READ_USER_ID', 'SPECTER_READ_USER_KEY']) {
    expect(stderr).toContain(name);
  }
  expect(stderr).toMatch(/Invalid FieldBridge configuration \(\d+ problems\)/);
});
