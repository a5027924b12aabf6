/**
 * PATCH documents for ServicePower work orders (seed 004), built and applied by pure functions.
 *
 * Semantics (seed 004: PATCH "updates only the supplied fields"; `_fields` "remove specific
 * properties"; `_paths` "remove objects matching a specific JSONPath"; `Delete` "remove specific
 * items"), with the details the seed leaves open *(assumed)*, the same here and in the simulator:
 * - Removals first: every `_fields` entry (a property name; a dotted name such as `Location.Notes`
 *   reaches into objects) and every `_paths` match (see ./jsonpath) is removed. Empty strings are
 *   ignored (the seed's sample carries `["", ""]`). Removing what is not there is no error.
 * - Then the supplied properties merge: objects property by property; collections whose entries all
 *   carry a key (`ID`, else `TaskID`, `AlertID`, `AssetNum`, `code`) entry by entry: an entry with a
 *   stored key merges into it, `Delete: true` removes it, an unknown key is appended; any other
 *   array (Contacts, Phones, HelperTechs, ...) is replaced as a whole. Anything else is replaced.
 * - `Delete` flags are never stored.
 *
 * `buildWorkOrderPatch(before, after)` produces the smallest such document that turns `before` into
 * `after`: only changed properties, nested objects reduced to what changed, keyed entries by key
 * with only their changed properties, removed keyed entries as `{ID, Delete: true}` (a keyed
 * collection dropped whole too: entry by entry, never `_fields`), removed other top-level properties in `_fields`, removed nested properties in `_paths`. Give it what FieldBridge
 * sent last time and what it would send now (not a GET, which carries what the server filled in).
 */
import { type PathSegment, pathToString, removeMatches } from './jsonpath';
import type { ServicePowerWorkOrderPatch } from './schemas';

type Json = Record<string, unknown>;

/** The properties that identify an entry of a collection, in order of preference. */
export const COLLECTION_KEY_FIELDS = ['ID', 'TaskID', 'AlertID', 'AssetNum', 'code'] as const;

const META = new Set(['_fields', '_paths']);

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** The key of a collection entry: the first key field holding a non-empty string. */
export function entryKey(entry: unknown): { field: string; value: string } | undefined {
  if (!isPlainObject(entry)) return undefined;
  for (const field of COLLECTION_KEY_FIELDS) {
    const value = entry[field];
    if (typeof value === 'string' && value !== '') return { field, value };
  }
  return undefined;
}

function sameKey(a: { field: string; value: string } | undefined, b: { field: string; value: string } | undefined): boolean {
  return a !== undefined && b !== undefined && a.field === b.field && a.value === b.value;
}

/** Every entry keyed, no key twice. */
function isKeyed(entries: readonly unknown[]): boolean {
  const seen = new Set<string>();
  for (const entry of entries) {
    const key = entryKey(entry);
    if (!key) return false;
    const id = `${key.field}\u0000${key.value}`;
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/** Drops `Delete: true` entries and `Delete: false` flags, everywhere; `_fields` / `_paths` at the top. */
export function stripPatchMarkers<T>(value: T, top = true): T {
  if (Array.isArray(value)) {
    return value.filter((entry) => !(isPlainObject(entry) && entry.Delete === true)).map((entry) => stripPatchMarkers(entry, false)) as T;
  }
  if (isPlainObject(value)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Delete' && typeof v === 'boolean') continue;
      if (top && META.has(k)) continue;
      out[k] = stripPatchMarkers(v, false);
    }
    return out as T;
  }
  return value;
}

// ---- apply --------------------------------------------------------------------------------------

function mergeValue(target: unknown, patch: unknown): unknown {
  if (isPlainObject(patch) && isPlainObject(target)) {
    const out: Json = { ...target };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined || k === 'Delete') continue;
      out[k] = mergeValue(out[k], v);
    }
    return out;
  }
  if (Array.isArray(patch) && Array.isArray(target) && patch.length > 0 && patch.every((entry) => entryKey(entry) !== undefined)) {
    const out = [...target];
    for (const entry of patch as Json[]) {
      const key = entryKey(entry);
      const at = out.findIndex((stored) => sameKey(entryKey(stored), key));
      if (entry.Delete === true) {
        if (at >= 0) out.splice(at, 1);
      } else if (at >= 0) {
        out[at] = mergeValue(out[at], entry);
      } else {
        out.push(stripPatchMarkers(entry, false));
      }
    }
    return out;
  }
  return stripPatchMarkers(clone(patch), false);
}

function removeField(target: Json, field: string): void {
  const names = field.split('.');
  let current: unknown = target;
  for (const name of names.slice(0, -1)) {
    if (!isPlainObject(current)) return;
    current = current[name];
  }
  if (isPlainObject(current)) delete current[names[names.length - 1]];
}

/**
 * The work order after the PATCH: removals (`_fields`, then `_paths`), then the merge. Pure: `stored`
 * is not changed. A `_paths` entry outside the JSONPath subset throws JsonPathError.
 */
export function applyWorkOrderPatch<T extends Json>(stored: T, patch: ServicePowerWorkOrderPatch): T {
  const result = clone(stored) as Json;
  for (const field of patch._fields ?? []) if (field !== '') removeField(result, field);
  for (const path of patch._paths ?? []) if (path !== '') removeMatches(result, path);
  for (const [k, v] of Object.entries(patch)) {
    if (META.has(k) || v === undefined) continue;
    result[k] = mergeValue(result[k], v);
  }
  return result as T;
}

// ---- build --------------------------------------------------------------------------------------

const NO_CHANGE = Symbol('no change');

function diffValue(before: unknown, after: unknown, at: PathSegment[], paths: string[]): unknown {
  if (deepEqual(before, after)) return NO_CHANGE;
  if (isPlainObject(before) && isPlainObject(after)) {
    const out: Json = {};
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (after[k] === undefined) {
        if (before[k] !== undefined) paths.push(pathToString([...at, { kind: 'property', name: k }]));
        continue;
      }
      const d = diffValue(before[k], after[k], [...at, { kind: 'property', name: k }], paths);
      if (d !== NO_CHANGE) out[k] = d;
    }
    return Object.keys(out).length > 0 ? out : NO_CHANGE;
  }
  if (Array.isArray(before) && Array.isArray(after) && isKeyed(before) && isKeyed(after)) {
    const out: Json[] = [];
    for (const entry of after as Json[]) {
      const key = entryKey(entry)!;
      const old = (before as Json[]).find((b) => sameKey(entryKey(b), key));
      if (!old) {
        out.push(stripPatchMarkers(clone(entry), false));
        continue;
      }
      const d = diffValue(old, entry, [...at, { kind: 'filter', property: [key.field], value: key.value }], paths);
      if (d !== NO_CHANGE) out.push({ [key.field]: key.value, ...(d as Json) });
    }
    for (const old of before as Json[]) {
      const key = entryKey(old)!;
      if (!(after as Json[]).some((a) => sameKey(entryKey(a), key))) out.push({ [key.field]: key.value, Delete: true });
    }
    return out.length > 0 ? out : NO_CHANGE;
  }
  return stripPatchMarkers(clone(after), false);
}

/** The minimal PATCH document turning `before` into `after` (see the top of this file); `{}` when nothing changed. */
export function buildWorkOrderPatch(before: Json, after: Json): ServicePowerWorkOrderPatch {
  const patch: ServicePowerWorkOrderPatch = {};
  const fields: string[] = [];
  const paths: string[] = [];
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (META.has(k)) continue;
    const was = before[k];
    if (after[k] === undefined) {
      // A keyed collection no longer sent loses only the entries FieldBridge sent (others, e.g. the
      // client's notes PATCHed in on their own, stay); anything else is removed whole.
      if (Array.isArray(was) && was.length > 0 && isKeyed(was)) {
        const d = diffValue(was, [], [{ kind: 'property', name: k }], paths);
        if (d !== NO_CHANGE) patch[k] = d;
      } else if (was !== undefined) fields.push(k);
      continue;
    }
    const d = diffValue(was, after[k], [{ kind: 'property', name: k }], paths);
    if (d !== NO_CHANGE) patch[k] = d;
  }
  if (fields.length > 0) patch._fields = fields;
  if (paths.length > 0) patch._paths = paths;
  return patch;
}

/** True when the document changes nothing. */
export function isEmptyPatch(patch: ServicePowerWorkOrderPatch): boolean {
  return Object.entries(patch).every(([k, v]) => v === undefined || (META.has(k) && Array.isArray(v) && v.every((s) => s === '')));
}
