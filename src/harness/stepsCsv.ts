/**
 * steps.csv: steps.jsonl flattened for spreadsheets. Nested fields become dotted columns
 * (`latency.ttftMs.p99Ms`), lists are joined with "; ", and the parts of the server window
 * that are maps of names (per model, metric names) are left to the JSONL.
 */

import { stringify } from 'csv-stringify/sync';
import type { StepRecord } from './records.ts';
import { writeFileAtomic } from './resultsDir.ts';

const SKIP = new Set([
  'server.byModel',
  'server.vllmNames',
  'server.totals',
  'server.resets',
  'server.rates.requestsPerSByReason',
  'server.increases.requestsByReason',
  'slo.checks',
]);

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (SKIP.has(prefix)) return;
  if (Array.isArray(value)) {
    out.set(
      prefix,
      value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join('; '),
    );
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value))
      flatten(inner, prefix ? `${prefix}.${key}` : key, out);
    return;
  }
  out.set(prefix, value);
}

/** CSV text for the steps: one header row with the union of columns, one row per step. */
export function stepsToCsv(steps: readonly StepRecord[]): string {
  const rows = steps.map((s) => {
    const out = new Map<string, unknown>();
    flatten(s, '', out);
    if (s.slo) {
      for (const check of s.slo.checks)
        out.set(`slo.${check.metric}.p${check.percentile}`, check.valueMs);
    }
    return out;
  });
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of row.keys()) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '' : v);
  return stringify([columns, ...rows.map((row) => columns.map((c) => cell(row.get(c))))]);
}

/** Rewritten whole after every step, atomically: a full disk leaves the previous version. */
export function writeStepsCsv(path: string, steps: readonly StepRecord[]): void {
  writeFileAtomic(path, stepsToCsv(steps));
}
