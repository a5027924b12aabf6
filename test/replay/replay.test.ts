/**
 * Every recorded history in test/histories replays against the current workflow code. A change
 * that would break executions already running in production fails here (TMPRL1100 nondeterminism).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import * as workflows from '../../workflows';
import { metricsSinks } from '../../worker/metrics';
import { bundleWorkflows } from '../../worker/worker';

const dir = join(__dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  bundle = await bundleWorkflows();
});

/** MANIFEST: `<file> sha256:<hex>` per line. */
function manifest(): Map<string, string> {
  const entries = readFileSync(join(dir, 'MANIFEST'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [file, hash] = line.split(/\s+/);
      return [file!, (hash ?? '').replace(/^sha256:/, '')] as [string, string];
    });
  return new Map(entries);
}

test('no recorded history is lost: the files are exactly those of test/histories/MANIFEST', () => {
  // A history removed (or never recorded) would silently stop guarding the executions it stands
  // for. Adding one means adding its name to MANIFEST; removing one means removing it there, in review.
  expect(files).toEqual([...manifest().keys()].sort());
});

test('no recorded history is re-recorded in place: every file has the sha256 MANIFEST pins', () => {
  // A history stands for the executions that ran its command sequence; overwriting it with a new
  // sequence (a workflow change without a version) would hide that those executions no longer replay.
  const pinned = manifest();
  const changed = files.filter((file) => createHash('sha256').update(readFileSync(join(dir, file))).digest('hex') !== pinned.get(file));
  expect(changed).toEqual([]);
});

test('every workflow the worker runs has at least one recorded history (a change to its commands cannot go unnoticed)', () => {
  const recorded = new Set(
    files.map((file) => {
      const history = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: Array<{ workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }> };
      return history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
    }),
  );
  expect(Object.keys(workflows).filter((name) => !recorded.has(name))).toEqual([]);
});

test('every recorded history replays without nondeterminism', async () => {
  const histories = files.map((file) => ({ workflowId: file, history: historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8'))) }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'fieldbridge-replay', sinks: metricsSinks() }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
});

test('a workflow change that reorders steps is caught', async () => {
  // Guard the guard: replaying a history against code whose activities differ must fail.
  const altered = await bundleWorkflows(require.resolve('./fixtures/reordered-workflow'));
  const file = files.find((f) => f.includes('new-customer'))!;
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  await expect(Worker.runReplayHistory({ workflowBundle: altered, sinks: metricsSinks() }, history)).rejects.toThrow(/Nondeterminism|TMPRL1100/i);
});
