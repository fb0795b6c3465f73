/**
 * Test helpers: where the fixtures are, and a converter from the Prometheus text format to
 * OpenMetrics 1.0 so that every test can run under both exposition formats.
 */

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Real captures, in the shared folder beside the checkout (`../shared`). */
export const SHARED_METRICS_DIR = fileURLToPath(
  new URL('../../../../shared/fixtures/vllm-metrics/', import.meta.url),
);
export const HAVE_SHARED = existsSync(SHARED_METRICS_DIR);
export const SHARED_SKIP_NOTE = HAVE_SHARED
  ? ''
  : ` (SKIPPED: ${SHARED_METRICS_DIR} not found; clone ../shared beside the checkout)`;

/** Our synthetic fixtures, in this repository. */
export const METRICS_DIR = fileURLToPath(new URL('../../fixtures/metrics/', import.meta.url));

export function readShared(name: string): string {
  return readFileSync(`${SHARED_METRICS_DIR}${name}`, 'utf8');
}

export function readSynthetic(name: string): string {
  return readFileSync(`${METRICS_DIR}${name}`, 'utf8');
}

/** Splits a sample line into its name-and-labels part and the tokens after it. */
function splitSample(line: string): { head: string; tokens: string[] } {
  const close = line.indexOf('{') === -1 ? -1 : line.lastIndexOf('}');
  const headEnd = close === -1 ? line.search(/[ \t]/) : close + 1;
  return {
    head: line.slice(0, headEnd),
    tokens: line
      .slice(headEnd)
      .trim()
      .split(/[ \t]+/),
  };
}

/**
 * Rewrites a text-format body the way prometheus_client prints OpenMetrics: counter families
 * are named without `_total`, `_created` series lose their own HELP/TYPE and become part of the
 * parent family, `untyped` becomes `unknown`, timestamps turn from milliseconds into seconds,
 * comments and blank lines go, and the body ends with `# EOF`.
 */
export function toOpenMetrics(text: string): string {
  const lines = text.split('\n');
  const types = new Map<string, string>();
  for (const line of lines) {
    const m = /^# TYPE (\S+) (\S+)/.exec(line);
    if (m) types.set(m[1]!, m[2]!);
  }
  const parentType = (created: string) => {
    const base = created.slice(0, -'_created'.length);
    return types.get(`${base}_total`) ?? types.get(base);
  };
  const out: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const keyword = meta[1]!;
      let name = meta[2]!;
      let rest = meta[3];
      if (
        name.endsWith('_created') &&
        ['counter', 'histogram', 'summary'].includes(parentType(name) ?? '')
      ) {
        continue;
      }
      if (types.get(name) === 'counter' && name.endsWith('_total')) name = name.slice(0, -6);
      if (keyword === 'TYPE' && rest === 'untyped') rest = 'unknown';
      out.push(`# ${keyword} ${name}${rest === undefined ? '' : ` ${rest}`}`);
      continue;
    }
    if (line.startsWith('#')) continue;
    const { head, tokens } = splitSample(line);
    if (tokens.length === 2) tokens[1] = String(Number(tokens[1]) / 1000);
    out.push(`${head} ${tokens.join(' ')}`);
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

/** The two exposition formats every body-level test runs under. */
export const FORMATS: Array<{
  format: 'prometheus' | 'openmetrics';
  convert: (t: string) => string;
}> = [
  { format: 'prometheus', convert: (t) => t },
  { format: 'openmetrics', convert: toOpenMetrics },
];
