/**
 * The import directions of eslint.config.mjs: each rule refuses a wrong-way import and lets the
 * legitimate ones through (small snippets linted at virtual paths), the production code keeps them,
 * and no two production modules import each other, directly or around a loop.
 *
 * ESLint loads its flat config with a dynamic import(), which jest's module sandbox refuses, so
 * ESLint runs in a child process.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '../..');
const PRODUCTION = ['activities', 'client', 'common', 'connectors', 'mappings', 'workflows', 'worker'];

interface Snippet {
  filePath: string;
  code: string;
}
interface LintMessage {
  ruleId: string | null;
  message: string;
  line: number;
  severity: number;
}

/** ESLint with the project's config, the import rule only: each snippet's messages, then those of the production files. */
function lint(snippets: Snippet[]): { snippets: LintMessage[][]; production: { filePath: string; messages: LintMessage[] }[] } {
  const script = `
    const { ESLint } = require('eslint');
    (async () => {
      const { snippets, folders } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
      const eslint = new ESLint({ cwd: process.cwd(), ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports' });
      const out = { snippets: [], production: [] };
      for (const s of snippets) {
        const [result] = await eslint.lintText(s.code, { filePath: s.filePath, warnIgnored: true });
        out.snippets.push(result.messages);
      }
      for (const r of await eslint.lintFiles(folders)) {
        if (r.messages.length > 0) out.production.push({ filePath: r.filePath, messages: r.messages });
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((err) => { console.error(err); process.exit(1); });
  `;
  const stdout = execFileSync(process.execPath, ['-e', script], {
    cwd: root,
    input: JSON.stringify({ snippets: snippets.map((s) => ({ ...s, filePath: path.join(root, s.filePath) })), folders: PRODUCTION }),
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.toString('utf8'));
}

/** A file at `at` whose first line imports `from` (a value, or a type with `type: true`). */
function importing(at: string, from: string, opts: { type?: boolean } = {}): Snippet {
  const code = opts.type ? `import type { Probe } from '${from}';\nexport type Used = Probe;\n` : `import { probe } from '${from}';\nexport const used = [probe];\n`;
  return { filePath: at, code };
}

// [what, the snippet]: refused by a rule.
const REFUSED: [string, Snippet][] = [
  ['an activity importing a workflow module', importing('activities/probe.ts', '../workflows/customer-sweep')],
  ['an activity importing a type from a workflow module', importing('activities/probe.ts', '../workflows/work-order-reconcile', { type: true })],
  ['an activity importing the workflows index', importing('activities/probe.ts', '../workflows')],
  ['an activity importing the receiver', importing('activities/probe.ts', '../client/receiver')],
  ['an activity importing the worker', importing('activities/probe.ts', '../worker/deps')],
  ['an activity importing a simulator', importing('activities/probe.ts', '../connectors/specter/simulator')],
  ['the CLI importing scripts/', importing('client/probe.ts', '../scripts/dev-encryption')],
  ['the CLI importing test/', importing('client/probe.ts', '../test/helpers/stack')],
  ['the worker importing scripts/', importing('worker/probe.ts', '../scripts/ports')],
  ['the worker importing bench/', importing('worker/probe.ts', '../bench/runner')],
  ['the worker importing chaos/', importing('worker/probe.ts', '../chaos/processes')],
  ['the worker importing the receiver', importing('worker/probe.ts', '../client/receiver')],
  ['common/ importing a workflow module', importing('common/probe.ts', '../workflows/customer-upsert')],
  ['common/ importing an activity', importing('common/probe.ts', '../activities/customer-upsert')],
  ['common/ importing a connector', importing('common/probe.ts', '../connectors/specter/client')],
  ['common/ importing the CLI', importing('common/probe.ts', '../client/cli')],
  ['a connector importing an activity', importing('connectors/specter/probe.ts', '../../activities/customer-upsert')],
  ['a connector importing a workflow module', importing('connectors/specter/probe.ts', '../../workflows/customer-upsert')],
  ['a connector importing a mapping', importing('connectors/specter/probe.ts', '../../mappings/app4sales-to-specter')],
  ['a connector importing the worker', importing('connectors/specter/probe.ts', '../../worker/deps')],
  ['a connector\'s client importing its simulator', importing('connectors/specter/probe.ts', './simulator')],
  ['a connector\'s client importing the simulator harness', importing('connectors/specter/probe.ts', '../../simulators/http')],
  ['a connector\'s simulator importing an activity', importing('connectors/specter/simulator-probe.ts', '../../activities/customer-upsert')],
  ['a mapping importing a connector client', importing('mappings/probe.ts', '../connectors/specter/client')],
  ['a mapping importing workflows/definitions', importing('mappings/probe.ts', '../workflows/definitions')],
  ['a mapping importing the logger', importing('mappings/probe.ts', '../common/logger')],
  ['a mapping importing an activity', importing('mappings/probe.ts', '../activities/customer-upsert')],
  ['a mapping importing node:fs', importing('mappings/probe.ts', 'node:fs')],
  ['a mapping importing test/', importing('mappings/probe.ts', '../test/fixtures/customers')],
  ['a workflow importing an activity as a value', importing('workflows/probe.ts', '../activities/customer-upsert')],
  ['a workflow importing a connector client', importing('workflows/probe.ts', '../connectors/specter/client')],
  ['a workflow importing common/http', importing('workflows/probe.ts', '../common/http')],
  ['a workflow importing the starters', importing('workflows/probe.ts', '../common/starters')],
  ['a workflow importing the worker', importing('workflows/probe.ts', '../worker/deps')],
  ['a workflow importing the CLI', importing('workflows/probe.ts', '../client/cli')],
  ['a workflow importing undici', importing('workflows/probe.ts', 'undici')],
  ['a workflow importing @temporalio/client', importing('workflows/probe.ts', '@temporalio/client')],
  ['the simulator harness importing a connector', importing('simulators/probe.ts', '../connectors/specter/schemas')],
];

// [what, the snippet]: let through.
const ALLOWED: [string, Snippet][] = [
  ['an activity importing workflows/definitions', importing('activities/probe.ts', '../workflows/definitions')],
  ['an activity importing the starters', importing('activities/probe.ts', '../common/starters')],
  ['an activity importing a connector client', importing('activities/probe.ts', '../connectors/specter/client')],
  ['an activity importing a mapping', importing('activities/probe.ts', '../mappings/app4sales-to-specter')],
  ['the CLI importing a workflow module', importing('client/probe.ts', '../workflows/customer-bulk-sync')],
  ['the CLI importing an activity', importing('client/probe.ts', '../activities/customer-upsert')],
  ['the CLI importing the worker\'s dependencies', importing('client/probe.ts', '../worker/deps')],
  ['the CLI importing the dev key file lookup', importing('client/probe.ts', '../common/dev-encryption')],
  ['the worker importing the port helpers', importing('worker/probe.ts', '../common/ports')],
  ['the worker importing the activities', importing('worker/probe.ts', '../activities')],
  ['the worker importing the workflow interceptor', importing('worker/probe.ts', '../workflows/metrics-interceptor')],
  ['the starters importing workflows/definitions', importing('common/probe.ts', '../workflows/definitions')],
  ['a connector\'s client importing its schemas', importing('connectors/specter/probe.ts', './schemas')],
  ['a connector\'s client importing common/http', importing('connectors/specter/probe.ts', '../../common/http')],
  ['a connector\'s simulator importing the simulator harness', importing('connectors/specter/simulator-probe.ts', '../../simulators/http')],
  ['a mapping importing connector limits', importing('mappings/probe.ts', '../connectors/specter/limits')],
  ['a mapping importing connector schemas', importing('mappings/probe.ts', '../connectors/app4sales/schemas', { type: true })],
  ['a mapping importing another mapping', importing('mappings/probe.ts', './countries')],
  ['a workflow importing an activity\'s types', importing('workflows/probe.ts', '../activities/customer-upsert', { type: true })],
  ['a workflow importing a mapping', importing('workflows/probe.ts', '../mappings/work-order-to-mobile')],
  ['a workflow importing workflows/definitions', importing('workflows/probe.ts', './definitions')],
  ['a workflow importing common/errors', importing('workflows/probe.ts', '../common/errors')],
  ['a workflow importing the task queue names', importing('workflows/probe.ts', '../common/task-queues')],
  ['a workflow importing a type from common/config', importing('workflows/probe.ts', '../common/config', { type: true })],
  ['a workflow importing the ServicePower patch builder', importing('workflows/probe.ts', '../connectors/servicepower/patch')],
  ['a script importing scripts/', importing('scripts/probe.ts', './temporal-cli')],
  ['a test importing scripts/', importing('test/unit/probe.ts', '../../scripts/temporal-cli')],
  ['the benchmark importing the chaos run', importing('bench/probe-layers.ts', '../chaos/processes')],
];

describe('import directions (eslint.config.mjs, no-restricted-imports)', () => {
  let result: ReturnType<typeof lint>;
  beforeAll(() => {
    result = lint([...REFUSED, ...ALLOWED].map(([, s]) => s));
  }, 120_000);

  test.each(REFUSED.map(([what, s], i) => [what, s, i] as const))('refuses %s', (_what, snippet, i) => {
    const messages = result.snippets[i];
    expect(messages.filter((m) => m.ruleId === null)).toEqual([]); // parsed
    expect(messages).toEqual([expect.objectContaining({ ruleId: 'no-restricted-imports', line: 1, severity: 2 })]);
    expect(messages[0].message).toContain(snippet.code.match(/from '([^']+)'/)![1]);
  });

  test.each(ALLOWED.map(([what, s], i) => [what, s, REFUSED.length + i] as const))('allows %s', (_what, _snippet, i) => {
    expect(result.snippets[i]).toEqual([]);
  });

  test('the production code keeps them', () => {
    const lines = result.production.flatMap((r) => r.messages.map((m) => `${path.relative(root, r.filePath)}:${m.line} ${m.message}`));
    expect(lines).toEqual([]);
  });
});

describe('import cycles', () => {
  /** Every production .ts file and the production files it imports (relative imports; `import type` counts too). */
  function importGraph(): Map<string, string[]> {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(p);
      }
    };
    for (const folder of PRODUCTION) walk(path.join(root, folder));
    const known = new Set(files);
    const resolve = (from: string, spec: string): string | null => {
      const base = path.resolve(path.dirname(from), spec);
      for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) if (known.has(candidate)) return candidate;
      return null;
    };
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
      const targets = importedFiles.filter((i) => i.fileName.startsWith('.')).map((i) => resolve(file, i.fileName));
      graph.set(
        path.relative(root, file),
        [...new Set(targets.filter((t): t is string => t !== null))].map((t) => path.relative(root, t)),
      );
    }
    return graph;
  }

  /** The first cycle found, as the path of modules around it (first module repeated at the end); null when there is none. */
  function findCycle(graph: Map<string, string[]>): string[] | null {
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (node: string): string[] | null => {
      state.set(node, 'open');
      stack.push(node);
      for (const next of graph.get(node) ?? []) {
        if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
        if (!state.has(next)) {
          const cycle = visit(next);
          if (cycle) return cycle;
        }
      }
      stack.pop();
      state.set(node, 'done');
      return null;
    };
    for (const node of [...graph.keys()].sort()) {
      if (state.has(node)) continue;
      const cycle = visit(node);
      if (cycle) return cycle;
    }
    return null;
  }

  test('finds a cycle and names its path', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(findCycle(graph)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toBeNull();
  });

  test('no two production modules import each other, directly or around a loop', () => {
    const graph = importGraph();
    // The walk saw the code: the activities, the workflows and a connector's two halves.
    expect(graph.get('activities/customer-fan-out.ts')).toContain('workflows/definitions.ts');
    expect(graph.get('connectors/specter/limits.ts')).toEqual(['connectors/specter/schemas.ts']);
    const cycle = findCycle(graph);
    expect(cycle?.join(' -> ') ?? 'no cycle').toBe('no cycle');
  });
});
