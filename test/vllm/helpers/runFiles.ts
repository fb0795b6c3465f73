/**
 * Small readers for a results directory written by the real CLI, and a scenario writer for
 * runs against the suite's server.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepRecord } from '../../../src/harness/records.ts';
import type { RequestRecord } from '../../../src/load/types.ts';

/** Every whole line of a JSONL file (a partial last line, as after a kill, is skipped). */
export function readJsonl<T>(path: string): T[] {
  const out: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // only the last line can be partial
    }
  }
  return out;
}

export const readSteps = (dir: string) => readJsonl<StepRecord>(join(dir, 'steps.jsonl'));
export const readRequests = (dir: string) => readJsonl<RequestRecord>(join(dir, 'requests.jsonl'));

/** The run directory from the `results: <dir>` line that `run` prints last. */
export function resultsDirOf(output: string): string | null {
  return /^results: (.+)$/m.exec(output)?.[1]?.trim() ?? null;
}

export interface TinyScenario {
  name: string;
  ratesRps: number[];
  warmupSeconds: number;
  measureSeconds: number;
  /** `target: URL`, or a `server:` block as YAML lines (indented by two spaces). */
  target?: string;
  serverYaml?: string[];
  gpuHourlyUsd: number;
}

/**
 * A scenario for the tiny model: token-id prompts of 128–384 tokens (exact lengths below the
 * 2,048-token vocabulary), 128 output tokens with ignore_eos, Poisson arrivals.
 */
export function writeTinyScenario(dir: string, s: TinyScenario): string {
  const lines = [
    `name: ${s.name}`,
    ...(s.target ? [`target: ${s.target}`] : ['server:', ...(s.serverYaml ?? [])]),
    'model: tiny',
    'workload:',
    '  vocabSize: 2048',
    '  promptTokens: { kind: uniform, min: 128, max: 384 }',
    '  outputTokens: { kind: fixed, value: 128 }',
    '  seed: 7',
    `sweep: { kind: list, rates: [${s.ratesRps.join(', ')}] }`,
    'step:',
    `  warmupSeconds: ${s.warmupSeconds}`,
    `  measureSeconds: ${s.measureSeconds}`,
    '  drainTimeoutSeconds: 90',
    '  requestTimeoutSeconds: 120',
    'slo:',
    '  ttft: { percentile: 90, maxMs: 500 }',
    '  tpot: { percentile: 90, maxMs: 40 }',
    `pricing: { gpuHourlyUsd: ${s.gpuHourlyUsd} }`,
    'telemetry: { scrapeIntervalSeconds: 1 }',
    '',
  ];
  const path = join(dir, `${s.name}.yaml`);
  writeFileSync(path, lines.join('\n'));
  return path;
}
