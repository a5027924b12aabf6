/**
 * Replay fixtures (test/histories): written once, never re-recorded in place. A history stands for
 * executions that may still be running under the command sequence it recorded; overwriting it with a
 * new sequence would stop guarding them. So a recording (RECORD_HISTORIES=1) writes only a file that
 * does not exist yet; a change to a workflow's commands gets a new version and a new file name, and
 * test/histories/MANIFEST pins every file's sha256 (test/replay/replay.test.ts fails when one changes).
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Keep a history as test/histories/<file> unless that file exists (then it is left as it is, and said so). */
export function writeHistoryOnce(file: string, history: temporal.api.history.v1.IHistory): void {
  const path = join(HISTORIES_DIR, file);
  if (existsSync(path)) {
    process.stderr.write(`history ${file} exists and is kept as recorded (a new command sequence needs a new name)\n`);
    return;
  }
  const text = historyToJSON(history);
  writeFileSync(path, text);
  process.stderr.write(`history ${file} recorded: add "${file} sha256:${sha256(text)}" to test/histories/MANIFEST\n`);
}
