/**
 * The documentation stays true to the code, without Temporal:
 *  - every environment variable common/config.ts reads has a row in docs/configuration.md;
 *  - the README is a front door: short, opening with the two commands that work on a fresh clone;
 *  - every relative link in the README and docs/ points at a file (and heading) that exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ENVIRONMENT } from '../../common/config';

const root = resolve(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Lines outside fenced code blocks. */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/**
 * The variable names common/config.ts reads: `process.env.X`, `env.X`, `env['X']` anywhere in the
 * source, and the names of its ENVIRONMENT table (`['X', 'section.path']`), which loadConfig reads as
 * `env[name]`.
 */
export function variablesReadBy(source: string): string[] {
  const names = new Set<string>();
  const patterns = [
    /\b(?:process\.)?env\??\.([A-Z][A-Z0-9_]*)\b/g,
    /\b(?:process\.)?env\??\.?\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g,
    /\[\s*'([A-Z][A-Z0-9_]*)'\s*,\s*'[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)+'\s*\]/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) names.add(match[1]!);
  return [...names].sort();
}

/** Variable names in backticks in the first column of docs/configuration.md's table rows. */
function documentedVariables(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of proseLines(markdown)) {
    if (!line.startsWith('|') || /^\|[\s|:-]+\|?\s*$/.test(line)) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(match[1]!);
  }
  return names;
}

describe('docs/configuration.md documents every variable common/config.ts reads', () => {
  const read_ = variablesReadBy(read('common/config.ts'));
  const documented = documentedVariables(read('docs/configuration.md'));

  test('the source parse finds every variable of the ENVIRONMENT table, and FIELDBRIDGE_CONFIG', () => {
    expect(read_).toEqual(expect.arrayContaining([...ENVIRONMENT.map(([name]) => name), 'FIELDBRIDGE_CONFIG']));
  });

  test.each(read_)('%s has a row in docs/configuration.md', (name) => {
    expect(documented).toContain(name);
  });

  test('the parse catches the ways a variable can be read', () => {
    expect(variablesReadBy("env.A_B; process.env.C; env['D_E']; env?.F; ['G_H', 'section.field'], ['not', 'a.b']")).toEqual(['A_B', 'C', 'D_E', 'F', 'G_H']);
  });
});

describe('README.md is the front door', () => {
  const readme = read('README.md');
  const lines = readme.split('\n');

  test('it is under 250 lines', () => {
    expect(lines.length).toBeLessThan(250);
  });

  test('it opens, right under the title, with the command that starts the stack and the one that runs every test', () => {
    const [title, ...rest] = lines.filter((l) => l.trim() !== '');
    expect(title).toMatch(/^# /);
    expect(rest[0]).toMatch(/^```(sh|bash|shell)?\s*$/);
    const block = rest.slice(1, rest.findIndex((l, i) => i > 0 && l.startsWith('```')));
    expect(block.map((l) => l.replace(/\s+#.*$/, '').trim())).toEqual(['npm install && npm start', 'npm test']);
  });

  test('those commands exist: npm start and npm test are scripts of package.json', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(scripts.start).toContain('scripts/start.ts');
    expect(existsSync(join(root, 'scripts', 'start.ts'))).toBe(true);
    expect(scripts.test).toBeDefined();
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
export function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.add(count === 0 ? base : `${base}-${count}`);
  }
  return slugs;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdownFiles(path) : name.endsWith('.md') ? [path] : [];
  });
}

/** [text](target) outside code: the targets. */
function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const text = line.replace(/`[^`]*`/g, '``');
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1]!);
  }
  return targets;
}

describe('every relative link in README.md and docs/ resolves', () => {
  const docsDir = join(root, 'docs');
  const files = [join(root, 'README.md'), ...(existsSync(docsDir) ? markdownFiles(docsDir) : [])];
  /** Written by the production build's own change; a link to it may come first. */
  const mayBeMissing = new Set([join(root, 'docs', 'install.md')]);

  const links = files.flatMap((file) =>
    linkTargets(readFileSync(file, 'utf8'))
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
      .map((target) => ({ file, target, label: `${relative(root, file)} -> ${target}` })),
  );

  test('the pages have links to check', () => {
    expect(files.length).toBeGreaterThan(5);
    expect(links.length).toBeGreaterThan(20);
  });

  test.each(links.map((l) => [l.label, l] as const))('%s', (_label, { file, target }) => {
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const path = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
    if (mayBeMissing.has(path) && !existsSync(path)) return;
    expect(existsSync(path)).toBe(true);
    if (anchor && path.endsWith('.md')) expect([...headingSlugs(readFileSync(path, 'utf8'))]).toContain(anchor);
  });

  test('the slugs are GitHub\'s', () => {
    expect([...headingSlugs("# A\n## ServiceTrade -> Spectrum\n## The local stack (`npm start`)\n## The receiver's answers\n## A\n```\n# not a heading\n```")]).toEqual([
      'a',
      'servicetrade---spectrum',
      'the-local-stack-npm-start',
      'the-receivers-answers',
      'a-1',
    ]);
  });
});

describe('the pages say what the software does', () => {
  const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
  test.each(files.map((f) => [relative(root, f), f] as const))('%s names no issue numbers or document sections', (_name, file) => {
    expect(readFileSync(file, 'utf8')).not.toMatch(/\b(issue|section)\s+#?\d+/i);
  });
});
