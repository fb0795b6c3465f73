/**
 * Names that become parts of paths. Scenario and variant names are validated by the schema, but
 * results directories are also opened by `--resume` and written by `import`, so every path the
 * harness builds goes through here and can never leave the results directory.
 */

import { isAbsolute, relative, resolve } from 'node:path';
import { ioError } from '../util/errors.ts';

/** Letters, digits, `.`, `_` and `-` only; anything else becomes `-`; never `.` or `..`. */
export function sanitizeName(raw: string, fallback = 'unnamed'): string {
  const cleaned = raw
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .replace(/-+$/, '')
    .slice(0, 64);
  return cleaned === '' ? fallback : cleaned;
}

/** `20261203T120000Z`: sortable, no colons (Windows-safe), UTC. */
export function utcStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Joins `name` under `dir`, refusing any result outside it. */
export function insideDir(dir: string, name: string): string {
  const full = resolve(dir, name);
  const rel = relative(resolve(dir), full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw ioError(`refusing to write ${JSON.stringify(name)}: it would leave ${dir}`);
  }
  return full;
}

/** File name of a variant's server log. */
export const serverLogName = (variant: string) => `server-${sanitizeName(variant)}.log`;
