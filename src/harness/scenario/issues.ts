/**
 * Turns validation issues into lines a person can act on:
 *
 *   scenarios/x.yaml:12:7 sweep.rates[2]: must be > 0 (got -5)
 *
 * The position comes from the YAML node at the issue's path (the key itself for an unknown
 * field, the enclosing map for a missing one); the wording is ours, not zod's.
 */

import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type * as z from 'zod';
import { CostMeterError } from '../../util/errors.ts';

export type PathSegment = string | number;

export interface ScenarioIssue {
  file: string;
  line: number | null;
  col: number | null;
  path: PathSegment[];
  message: string;
}

/**
 * `sweep.rates[2]`, `variants[0].server.command`; empty path is the whole file. A key that is
 * not a plain name (a typo with a space, a newline, an escape code) is shown quoted: `["a b"]`.
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (!/^[A-Za-z_$][\w$-]*$/.test(seg)) out += `[${JSON.stringify(seg)}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** Control characters written as `\u001b`: a message is one line, and a terminal obeys none. */
const visible = (text: string) =>
  text.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

export function formatIssue(issue: ScenarioIssue): string {
  const where = issue.line === null ? issue.file : `${issue.file}:${issue.line}:${issue.col}`;
  const path = formatPath(issue.path);
  return visible(path ? `${where} ${path}: ${issue.message}` : `${where} ${issue.message}`);
}

/** A scenario that failed validation: one line per issue, sorted by position. */
export class ScenarioError extends CostMeterError {
  readonly issues: ScenarioIssue[];

  constructor(issues: ScenarioIssue[]) {
    const sorted = [...issues].sort(
      (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0),
    );
    super('E_SCENARIO', sorted.map(formatIssue).join('\n'));
    this.issues = sorted;
  }

  get lines(): string[] {
    return this.issues.map(formatIssue);
  }
}

/** The YAML node (or map key, with `key`) at a path; the deepest existing ancestor otherwise. */
export function nodeAt(doc: Document, path: readonly PathSegment[], key = false): Node | null {
  let node: unknown = doc.contents;
  let last: Node | null = (doc.contents as Node | null) ?? null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg);
      if (!pair) return last;
      if (key && i === path.length - 1) return pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) return last;
    } else {
      return last;
    }
    last = node as Node;
  }
  return last;
}

export function positionOf(
  doc: Document,
  counter: LineCounter,
  path: readonly PathSegment[],
  key = false,
): { line: number | null; col: number | null } {
  const node = nodeAt(doc, path, key);
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: null, col: null };
  const pos = counter.linePos(offset);
  return { line: pos.line, col: pos.col };
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let value = data;
  for (const seg of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[seg];
  }
  return value;
}

/** `-5`, `"abc"`, `a list`, `an object`: how an offending value is quoted in a message. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
  return String(value);
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  record: 'a map',
};

/** Unwraps defaults, optionals and pipes down to the schema that holds the value. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema as z.ZodType & { _zod: { def: Record<string, unknown> } };
  for (;;) {
    const def = s._zod.def;
    if ('innerType' in def) s = def.innerType as typeof s;
    else if (def.type === 'pipe') s = def.in as typeof s;
    else return s;
  }
}

/** The schema of the object at `path`, following discriminated unions by the data's `kind`. */
function schemaAt(root: z.ZodType, data: unknown, path: readonly PathSegment[]): z.ZodType | null {
  let schema = unwrap(root);
  for (let i = 0; i <= path.length; i++) {
    const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === 'union' && typeof def.discriminator === 'string') {
      const here = valueAt(data, path.slice(0, i)) as Record<string, unknown> | undefined;
      const tag = here?.[def.discriminator];
      const options = def.options as z.ZodType[];
      const match = options.find((o) => {
        const shape = (
          unwrap(o) as unknown as { _zod: { def: { shape?: Record<string, z.ZodType> } } }
        )._zod.def.shape;
        const literal = shape?.[def.discriminator as string];
        const values = (literal as unknown as { _zod: { def: { values?: unknown[] } } } | undefined)
          ?._zod.def.values;
        return values?.includes(tag) ?? false;
      });
      if (!match) return null;
      schema = unwrap(match);
      i -= 1;
      continue;
    }
    if (i === path.length) return schema;
    const seg = path[i];
    if (def.type === 'object' && typeof seg === 'string') {
      const next = (def.shape as Record<string, z.ZodType>)[seg];
      if (!next) return null;
      schema = unwrap(next);
    } else if (def.type === 'array' && typeof seg === 'number') {
      schema = unwrap(def.element as z.ZodType);
    } else {
      return null;
    }
  }
  return schema;
}

function allowedKeys(root: z.ZodType, data: unknown, path: readonly PathSegment[]): string[] {
  const schema = schemaAt(root, data, path);
  const shape = (schema as unknown as { _zod: { def: { shape?: Record<string, unknown> } } } | null)
    ?._zod.def.shape;
  return shape ? Object.keys(shape).filter((k) => k !== '$schema') : [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diag + cost);
      diag = above;
    }
  }
  return row[b.length] as number;
}

function closest(word: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function bound(op: string, limit: unknown, got: unknown): string {
  return `must be ${op} ${String(limit)} (got ${describeValue(got)})`;
}

function messageFor(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      if (value === undefined) return `is required (${expected})`;
      if (issue.message && !issue.message.startsWith('Invalid input')) return issue.message;
      return `must be ${expected} (got ${describeValue(value)})`;
    }
    case 'too_small':
      if (issue.origin === 'array') return `must list at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return bound(issue.inclusive ? '≥' : '>', issue.minimum, value);
    case 'too_big':
      if (issue.origin === 'array') return `must list at most ${String(issue.maximum)} item(s)`;
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
      return bound(issue.inclusive ? '≤' : '<', issue.maximum, value);
    case 'invalid_value':
      return (
        `must be one of ${issue.values.map((v) => String(v)).join(', ')} ` +
        `(got ${describeValue(value)})`
      );
    case 'invalid_format':
      if (issue.format === 'url')
        return `must be an http:// or https:// URL (got ${describeValue(value)})`;
      if (issue.format === 'regex') return `${issue.message} (got ${describeValue(value)})`;
      return `${issue.message} (got ${describeValue(value)})`;
    case 'invalid_union': {
      const disc = (issue as { options?: unknown[]; discriminator?: string }).options;
      if (disc) {
        const allowed = disc.map(String).join(', ');
        return value === undefined
          ? `is required: one of ${allowed}`
          : `must be one of ${allowed} (got ${describeValue(value)})`;
      }
      const what = issue.message === 'Invalid input' ? 'is not allowed here' : issue.message;
      return `${what} (got ${describeValue(value)})`;
    }
    default:
      return issue.message;
  }
}

/** Located, reworded issues for one zod failure over a parsed YAML document. */
export function issuesFromZod(
  error: z.ZodError,
  schema: z.ZodType,
  data: unknown,
  file: string,
  doc: Document,
  counter: LineCounter,
): ScenarioIssue[] {
  const out: ScenarioIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(schema, data, path);
      for (const key of issue.keys) {
        const hint = closest(key, allowed);
        const list = allowed.length ? `; allowed: ${allowed.join(', ')}` : '';
        out.push({
          file,
          ...positionOf(doc, counter, [...path, key], true),
          path: [...path, key],
          message: `unknown field${hint ? ` (did you mean '${hint}'?)` : ''}${list}`,
        });
      }
      continue;
    }
    const value = valueAt(data, path);
    const discriminated = issue.code === 'invalid_union' && 'discriminator' in issue;
    out.push({
      file,
      ...positionOf(doc, counter, path),
      path,
      message: messageFor(issue, discriminated ? valueAt(data, path) : value),
    });
  }
  return out;
}
