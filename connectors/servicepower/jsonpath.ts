/**
 * The JSONPath subset of a PATCH's `_paths` (seed 004: "remove objects matching a specific
 * JSONPath"). Seed 004 names JSONPath without saying which dialect; this is the subset FieldBridge
 * writes and the simulator reads *(assumed)*:
 *
 *   $                      the work order
 *   .Name  ['Name']        a property (bracket form for names that are not plain identifiers)
 *   [3]  [*]               an array index, every entry
 *   [?(@.ID=='N1')]        the entries whose property (a dotted path) equals a string ('…' or "…",
 *                          backslash escapes) or a number
 *
 * `pathToString` writes such paths; `parsePath` reads them (throwing JsonPathError on anything
 * else); `removeMatches` removes what a path matches.
 */

export type PathSegment =
  | { kind: 'property'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; property: string[]; value: string | number };

export class JsonPathError extends Error {
  override readonly name = 'JsonPathError';
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `$.Location.Notes`, `$.Notes[?(@.ID=='N1')].Text`, `$['ADP #']`. */
export function pathToString(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const segment of segments) {
    switch (segment.kind) {
      case 'property':
        out += IDENTIFIER.test(segment.name) ? `.${segment.name}` : `[${quote(segment.name)}]`;
        break;
      case 'index':
        out += `[${segment.index}]`;
        break;
      case 'wildcard':
        out += '[*]';
        break;
      case 'filter':
        out += `[?(@.${segment.property.join('.')}==${typeof segment.value === 'number' ? segment.value : quote(segment.value)})]`;
        break;
    }
  }
  return out;
}

/** Reads a path of the subset above; JsonPathError naming the position of anything else. */
export function parsePath(path: string): PathSegment[] {
  const fail = (at: number, what: string): never => {
    throw new JsonPathError(`JSONPath "${path}": ${what} at position ${at}`);
  };
  if (!path.startsWith('$')) fail(0, 'must start with $');
  const segments: PathSegment[] = [];
  let i = 1;

  const readQuoted = (): string => {
    const q = path[i];
    let value = '';
    i += 1;
    while (i < path.length && path[i] !== q) {
      if (path[i] === '\\' && i + 1 < path.length) i += 1;
      value += path[i];
      i += 1;
    }
    if (path[i] !== q) fail(i, 'unterminated string');
    i += 1;
    return value;
  };
  const readIdentifier = (): string => {
    const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(path.slice(i));
    if (!match) return fail(i, 'expected a property name');
    i += match[0].length;
    return match[0];
  };
  const expect = (text: string) => {
    if (!path.startsWith(text, i)) fail(i, `expected "${text}"`);
    i += text.length;
  };

  while (i < path.length) {
    if (path[i] === '.') {
      i += 1;
      if (path[i] === '*') {
        i += 1;
        segments.push({ kind: 'wildcard' });
      } else {
        segments.push({ kind: 'property', name: readIdentifier() });
      }
    } else if (path[i] === '[') {
      i += 1;
      if (path[i] === "'" || path[i] === '"') {
        segments.push({ kind: 'property', name: readQuoted() });
      } else if (path[i] === '*') {
        i += 1;
        segments.push({ kind: 'wildcard' });
      } else if (path[i] === '?') {
        i += 1;
        expect('(@.');
        const property = [readIdentifier()];
        while (path[i] === '.') {
          i += 1;
          property.push(readIdentifier());
        }
        expect('==');
        let value: string | number;
        if (path[i] === "'" || path[i] === '"') {
          value = readQuoted();
        } else {
          const match = /^-?\d+(\.\d+)?/.exec(path.slice(i));
          if (!match) return fail(i, 'expected a string or a number');
          value = Number(match[0]);
          i += match[0].length;
        }
        expect(')');
        segments.push({ kind: 'filter', property, value });
      } else {
        const match = /^\d+/.exec(path.slice(i));
        if (!match) return fail(i, 'expected an index, *, a quoted name or a filter');
        segments.push({ kind: 'index', index: Number(match[0]) });
        i += match[0].length;
      }
      expect(']');
    } else {
      fail(i, `unexpected "${path[i]}"`);
    }
  }
  return segments;
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function valueAt(value: unknown, property: readonly string[]): unknown {
  let current = value;
  for (const name of property) {
    if (!isContainer(current) || Array.isArray(current)) return undefined;
    current = current[name];
  }
  return current;
}

/** Where each match lives: its container and key (property name or array index). */
function locate(root: unknown, segments: readonly PathSegment[]): Array<{ parent: Container; key: string | number }> {
  let current: Array<{ parent: Container | null; key: string | number | null; value: unknown }> = [{ parent: null, key: null, value: root }];
  for (const segment of segments) {
    const next: typeof current = [];
    for (const { value } of current) {
      if (!isContainer(value)) continue;
      if (segment.kind === 'property') {
        if (!Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, segment.name)) {
          next.push({ parent: value, key: segment.name, value: value[segment.name] });
        }
      } else if (segment.kind === 'index') {
        if (Array.isArray(value) && segment.index < value.length) next.push({ parent: value, key: segment.index, value: value[segment.index] });
      } else if (segment.kind === 'wildcard') {
        const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, k) => [k, v]) : Object.entries(value);
        for (const [key, v] of entries) next.push({ parent: value, key, value: v });
      } else if (Array.isArray(value)) {
        value.forEach((entry, index) => {
          if (valueAt(entry, segment.property) === segment.value) next.push({ parent: value, key: index, value: entry });
        });
      }
    }
    current = next;
  }
  return current.filter((m): m is { parent: Container; key: string | number; value: unknown } => m.parent !== null);
}

/** Removes, in place, everything `path` matches in `root`; returns how many were removed. `$` alone removes nothing. */
export function removeMatches(root: Record<string, unknown>, path: string): number {
  const matches = locate(root, parsePath(path));
  // Array entries from the last index down, so earlier indexes stay valid.
  const ordered = [...matches].sort((a, b) => (typeof a.key === 'number' && typeof b.key === 'number' ? b.key - a.key : 0));
  for (const { parent, key } of ordered) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  }
  return matches.length;
}
