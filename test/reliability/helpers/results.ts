/**
 * Reading a results directory the way a suspicious user would: every line of every JSONL file
 * must parse (a SIGKILL may leave only the very last line cut), the manifest must parse, and no
 * temporary file may be left behind. Plus the invariants every fault test checks on telemetry:
 * no window between two good scrapes has a negative rate, and none counts more output tokens
 * than the client received over the whole run (what a counter reset taken at face value does).
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RunManifest, StepRecord, TelemetryLine } from '../../../src/harness/records.ts';
import type { RequestRecord } from '../../../src/load/types.ts';
import type { VllmSnapshot } from '../../../src/telemetry/types.ts';
import { windowBetween } from '../../../src/telemetry/windows.ts';

export interface JsonlRead<T> {
  values: T[];
  /** The text after the last newline: '' unless a write was cut. */
  partialLast: string;
}

/** Parses every complete line; throws naming file and line for the first that does not. */
export function readJsonl<T>(path: string): JsonlRead<T> {
  if (!existsSync(path)) return { values: [], partialLast: '' };
  const rows = readFileSync(path, 'utf8').split('\n');
  const partialLast = rows.pop() as string;
  const values = rows.map((row, i) => {
    try {
      return JSON.parse(row) as T;
    } catch {
      throw new Error(`${path}:${i + 1} does not parse: ${row.slice(0, 100)}`);
    }
  });
  return { values, partialLast };
}

export interface RunFiles {
  dir: string;
  manifest: RunManifest;
  steps: StepRecord[];
  requests: RequestRecord[];
  telemetry: TelemetryLine[];
}

/**
 * Reads a run directory, failing unless every file is whole. `allowPartialLast` (after a
 * SIGKILL) lets the last line of a JSONL file be cut; it is never counted.
 */
export function readRun(dir: string, allowPartialLast = false): RunFiles {
  const read = <T>(name: string): T[] => {
    const { values, partialLast } = readJsonl<T>(join(dir, name));
    if (!allowPartialLast) expect(partialLast, `${name} ends mid-line`).toBe('');
    return values;
  };
  const leftovers = readdirSync(dir).filter((f) => /\.tmp$|tmp$|\.write-probe/.test(f));
  expect(leftovers, `temporary files left in ${dir}`).toEqual([]);
  return {
    dir,
    manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RunManifest,
    steps: read<StepRecord>('steps.jsonl'),
    requests: read<RequestRecord>('requests.jsonl'),
    telemetry: read<TelemetryLine>('telemetry.jsonl'),
  };
}

/** The one run directory under a results root. */
export function onlyRunDir(root: string): string {
  const dirs = readdirSync(root);
  if (dirs.length !== 1) throw new Error(`expected one run in ${root}, found [${dirs.join(', ')}]`);
  return join(root, dirs[0] as string);
}

/** Output tokens the client received, successful or not: an upper bound on any server window. */
export function clientOutputTokens(requests: readonly RequestRecord[], variant: string): number {
  return requests
    .filter((r) => r.variant === variant)
    .reduce((sum, r) => sum + Math.max(r.outputTokens ?? 0, r.requestedOutputTokens), 0);
}

export interface RateCheck {
  windows: number;
  maxOutputTokPerS: number;
  resets: number;
}

/**
 * Every window between consecutive good scrapes of `variant`: rates ≥ 0, and the output tokens
 * of each window at most `maxTokens` (a reset counter read as an increase overshoots it).
 */
export function checkTelemetryRates(
  telemetry: readonly TelemetryLine[],
  variant: string,
  maxTokens: number,
): RateCheck {
  const good = telemetry
    .filter((t) => t.variant === variant && t.ok && t.snapshot)
    .map((t) => t.snapshot as VllmSnapshot);
  let windows = 0;
  let maxOutputTokPerS = 0;
  let resets = 0;
  for (let i = 1; i < good.length; i++) {
    const w = windowBetween(good[i - 1] as VllmSnapshot, good[i] as VllmSnapshot);
    windows += 1;
    resets += w.resets.length > 0 ? 1 : 0;
    for (const [name, value] of Object.entries(w.rates)) {
      if (typeof value === 'number') expect(value, `${variant} ${name}`).toBeGreaterThanOrEqual(0);
    }
    const tokens = w.increases.outputTokens ?? 0;
    expect(tokens, `${variant} window ${i}`).toBeGreaterThanOrEqual(0);
    expect(tokens, `${variant} window ${i}: more tokens than were sent`).toBeLessThanOrEqual(
      maxTokens,
    );
    maxOutputTokPerS = Math.max(maxOutputTokPerS, w.rates.outputTokensPerS ?? 0);
  }
  return { windows, maxOutputTokPerS, resets };
}

/** Lines of a stream that look like a JavaScript stack trace. */
export const stackLines = (text: string) => text.split('\n').filter((l) => /^\s+at\s/.test(l));
