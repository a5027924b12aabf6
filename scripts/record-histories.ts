/**
 * Re-record the replay fixtures in test/histories/ from real runs: the workflow test scenarios are
 * run against the dev server and each keeps its history (RECORD_HISTORIES=1).
 *
 *   npm run record-histories
 *
 * It writes only files that do not exist yet (test/helpers/histories.ts): a recorded history is never
 * re-recorded in place, and test/histories/MANIFEST pins each file's sha256. A workflow change that
 * alters its commands goes behind a version and records under a new name; each new file's MANIFEST
 * line is printed.
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
