/**
 * Re-record the replay fixtures in test/histories/ from real runs: the workflow test scenarios are
 * run against the dev server and each keeps its history (RECORD_HISTORIES=1).
 *
 *   npm run record-histories
 *
 * It overwrites test/histories/customer-upsert-*.json. After a workflow change, first keep the old
 * ones under a version prefix (git mv customer-upsert-x.json v2-customer-upsert-x.json): executions
 * started under earlier code must keep replaying.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const result = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--runInBand', 'test/workflows'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, RECORD_HISTORIES: '1' },
});
const files = readdirSync(join(root, 'test', 'histories')).filter((f) => f.endsWith('.json'));
process.stdout.write(`recorded histories in test/histories: ${files.join(', ')}\n`);
process.exit(result.status ?? 1);
