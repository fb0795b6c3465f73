/**
 * Reading a results directory (src/harness/records.ts) back: manifest.json and steps.jsonl are
 * required; requests.jsonl is optional (imported runs have none). Every problem is an input
 * error that names the file, the line for JSONL, and the field.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunManifest, StepRecord } from '../harness/records.ts';
import { inputError } from '../util/errors.ts';
import { readJsonl } from './jsonl.ts';

export interface RunFiles {
  dir: string;
  manifest: RunManifest;
  steps: StepRecord[];
  requestsPath: string | null;
  warnings: string[];
}

function loadManifest(dir: string): RunManifest {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) {
    throw inputError(`${path}: not found — is ${dir} a results directory from run or import?`);
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw inputError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const m = value as Partial<RunManifest> | null;
  const fail = (field: string, want: string) =>
    inputError(`${path}: field '${field}' must be ${want}`);
  if (typeof m !== 'object' || m === null) throw fail('(root)', 'a JSON object');
  if (m.v !== 1) throw fail('v', '1 (this tool reads version 1 results)');
  if (typeof m.scenarioName !== 'string') throw fail('scenarioName', 'a string');
  if (!Array.isArray(m.variants)) throw fail('variants', 'an array');
  m.variants.forEach((variant, i) => {
    if (typeof variant?.name !== 'string') throw fail(`variants[${i}].name`, 'a string');
    const price = variant.pricing;
    if (typeof price?.gpuHourlyUsd !== 'number' || typeof price.gpus !== 'number') {
      throw fail(`variants[${i}].pricing`, 'an object with gpuHourlyUsd and gpus numbers');
    }
  });
  return m as RunManifest;
}

const NUMBER_FIELDS = [
  'stepIndex',
  'rateRps',
  'repeat',
  'measuredSeconds',
  'outputTokPerS',
  'promptTokPerS',
  'completedRps',
  'offeredOutputTokPerS',
] as const;

function checkStep(value: unknown, path: string, line: number): StepRecord {
  const fail = (field: string, want: string) =>
    inputError(`${path}:${line}: field '${field}' must be ${want}`);
  if (typeof value !== 'object' || value === null) throw fail('(record)', 'a JSON object');
  const s = value as Record<string, unknown>;
  if (typeof s.variant !== 'string') throw fail('variant', 'a string');
  for (const field of NUMBER_FIELDS) {
    if (typeof s[field] !== 'number') throw fail(field, 'a number');
  }
  if (typeof s.status !== 'string') throw fail('status', 'a string');
  const price = s.pricing as { gpuHourlyUsd?: unknown; gpus?: unknown } | undefined;
  if (typeof price?.gpuHourlyUsd !== 'number' || typeof price.gpus !== 'number') {
    throw fail('pricing', 'an object with gpuHourlyUsd and gpus numbers');
  }
  if (typeof s.latency !== 'object' || s.latency === null) throw fail('latency', 'an object');
  return value as StepRecord;
}

/** Loads manifest.json and steps.jsonl of `dir`; notes where requests.jsonl is. */
export async function loadRunFiles(dir: string): Promise<RunFiles> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw inputError(`${dir}: no such results directory`);
  }
  const manifest = loadManifest(dir);
  const stepsPath = join(dir, 'steps.jsonl');
  if (!existsSync(stepsPath)) {
    throw inputError(`${stepsPath}: not found — the run recorded no finished step`);
  }

  const warnings: string[] = [];
  const steps: StepRecord[] = [];
  const read = await readJsonl(stepsPath, (value, line) => {
    steps.push(checkStep(value, stepsPath, line));
  });
  if (read.truncatedLastLine) {
    warnings.push(`${stepsPath}:${read.lines}: truncated last line skipped (interrupted write)`);
  }
  if (steps.length === 0) throw inputError(`${stepsPath}: contains no step`);

  const requestsPath = join(dir, 'requests.jsonl');
  return {
    dir,
    manifest,
    steps,
    requestsPath: existsSync(requestsPath) ? requestsPath : null,
    warnings,
  };
}
