/**
 * Imported steps → a results directory the analyzer reads like any run: manifest.json with
 * `importedFrom`, steps.jsonl, steps.csv and, when the files had per-request detail,
 * requests.jsonl. Steps are grouped into variants; equal λ within a variant become repeats.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Pricing, RunManifest, StepRecord } from '../../harness/records.ts';
import { inputError, ioError } from '../../util/errors.ts';
import { ensureFolder } from '../../util/folders.ts';
import { emptyLatencyStats } from '../../util/stats.ts';
import { TOOL_VERSION } from '../../util/version.ts';
import { importGuidellm, isGuidellmReport } from './guidellm.ts';
import type { ImportedStep } from './types.ts';
import { importVllmBench, isVllmBenchResult } from './vllmBench.ts';

/** Reads one file (JSON, or JSON lines as `--append-result` writes) into imported steps. */
export function readImportFile(file: string): ImportedStep[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw inputError(`${file}: cannot read the file`);
  }
  if (text.trim() === '') throw inputError(`${file}: empty file`);
  let values: unknown[];
  try {
    values = [JSON.parse(text)];
  } catch {
    // vllm bench serve --append-result writes one JSON object per line.
    values = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        try {
          return JSON.parse(line);
        } catch (err) {
          throw inputError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
        }
      });
  }
  return values.flatMap((value) => {
    if (isGuidellmReport(value)) return importGuidellm(value as Record<string, unknown>, file);
    if (isVllmBenchResult(value)) return [importVllmBench(value as Record<string, unknown>, file)];
    throw inputError(
      `${file}: neither a vllm bench serve result (request_rate, duration, output_throughput) ` +
        'nor a GuideLLM report (benchmarks)',
    );
  });
}

function stepRecord(
  s: ImportedStep,
  stepIndex: number,
  repeat: number,
  variant: string,
  pricing: Pricing,
): StepRecord {
  const start = s.startedAtMs ?? 0;
  const end = start + s.durationS * 1000;
  const perS = (n: number) => n / s.durationS;
  return {
    v: 1,
    variant,
    stepIndex,
    rateRps: s.rateRps,
    repeat,
    status: 'ok',
    statusReason: s.rateNote,
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(end).toISOString(),
    measureStartEpochMs: start,
    measureEndEpochMs: end,
    measuredSeconds: s.durationS,
    warmupSeconds: 0,
    drainSeconds: 0,
    sent: s.sent,
    measuredRequests: s.ok + s.failed,
    ok: s.ok,
    failed: s.failed,
    incomplete: s.incomplete,
    errorsByClass: {},
    offeredRps: s.rateRps,
    achievedSendRps: null,
    completedRps: perS(s.ok),
    meanPromptTokens: s.ok ? s.promptTokens / s.ok : null,
    meanOutputTokens: s.ok ? s.outputTokens / s.ok : null,
    outputTokPerS: perS(s.outputTokens),
    promptTokPerS: perS(s.promptTokens),
    // The tools record no requested length: the mean delivered length stands in for it.
    offeredOutputTokPerS: s.ok ? s.rateRps * (s.outputTokens / s.ok) : 0,
    latency: {
      ttftMs: s.latency.ttftMs,
      tpotMs: s.latency.tpotMs,
      itlMs: s.latency.itlMs,
      e2eMs: s.latency.e2eMs,
      // Both tools time from the actual send; without a concurrency cap that is the intent.
      ttftFromIntendedMs: s.latency.ttftMs,
      e2eFromIntendedMs: s.latency.e2eMs,
      capWaitMs: emptyLatencyStats(),
    },
    slo: null,
    driver: {
      scheduleLagMs: { p50: null, p99: null, max: null },
      eventLoopDelayMs: { p50: null, p99: null, max: null },
      cpuPercent: null,
      offeredRps: s.rateRps,
      achievedSendRps: null,
      valid: true,
      reasons: [],
    },
    inFlight: { mean: null, max: s.maxConcurrentRequests ?? 0 },
    littlesLaw: { meanInFlight: null, predicted: null, ratio: null },
    server: null,
    reconciliation: null,
    gpu: null,
    pricing,
  };
}

const CSV_COLUMNS: Array<[string, (s: StepRecord) => unknown]> = [
  ['variant', (s) => s.variant],
  ['step_index', (s) => s.stepIndex],
  ['repeat', (s) => s.repeat],
  ['rate_rps', (s) => s.rateRps],
  ['status', (s) => s.status],
  ['measured_seconds', (s) => s.measuredSeconds],
  ['ok', (s) => s.ok],
  ['failed', (s) => s.failed],
  ['output_tok_per_s', (s) => s.outputTokPerS],
  ['prompt_tok_per_s', (s) => s.promptTokPerS],
  ['completed_rps', (s) => s.completedRps],
  ['ttft_p99_ms', (s) => s.latency.ttftMs.p99Ms],
  ['tpot_p99_ms', (s) => s.latency.tpotMs.p99Ms],
  ['e2e_p99_ms', (s) => s.latency.e2eMs.p99Ms],
  ['gpu_hourly_usd', (s) => s.pricing.gpuHourlyUsd],
  ['gpus', (s) => s.pricing.gpus],
];

export interface ImportOptions {
  outDir: string;
  pricing: Pricing;
  /** One variant name for every file, instead of the files' label or model. */
  variant?: string;
}

export interface ImportSummary {
  outDir: string;
  steps: StepRecord[];
  requests: number;
}

/** Writes the results directory; refuses a folder that already holds a run. */
export function writeImported(files: string[], options: ImportOptions): ImportSummary {
  const imported = files.flatMap(readImportFile);
  if (existsSync(join(options.outDir, 'manifest.json'))) {
    throw inputError(
      `${options.outDir}: already holds a run (manifest.json); choose another --out`,
    );
  }
  ensureFolder(options.outDir);

  const byVariant = new Map<string, ImportedStep[]>();
  for (const s of imported) {
    const name = options.variant ?? s.variant;
    byVariant.set(name, [...(byVariant.get(name) ?? []), s]);
  }

  const steps: StepRecord[] = [];
  const requestLines: string[] = [];
  for (const [variant, group] of byVariant) {
    const rates = [...new Set(group.map((s) => s.rateRps))].sort((a, b) => a - b);
    const repeats = new Map<number, number>();
    for (const s of [...group].sort((a, b) => a.rateRps - b.rateRps)) {
      const stepIndex = rates.indexOf(s.rateRps);
      const repeat = repeats.get(s.rateRps) ?? 0;
      repeats.set(s.rateRps, repeat + 1);
      steps.push(stepRecord(s, stepIndex, repeat, variant, options.pricing));
      for (const r of s.requests ?? []) {
        const labelled = { ...r, variant, stepIndex, repeat, rateRps: s.rateRps };
        requestLines.push(`${JSON.stringify(labelled)}\n`);
      }
    }
  }

  const starts = imported.map((s) => s.startedAtMs).filter((t): t is number => t !== null);
  const ends = imported.map((s) => (s.startedAtMs ?? 0) + s.durationS * 1000);
  const tools = [...new Set(imported.map((s) => s.tool))].join(' + ');
  const manifest: RunManifest = {
    v: 1,
    tool: { name: 'vllm-cost-meter', version: TOOL_VERSION, gitCommit: null },
    scenarioName: `imported-${[...byVariant.keys()].join('-')}`.slice(0, 80),
    scenarioPath: null,
    scenario: { importedFrom: tools, steps: imported.map((s) => s.settings) },
    variants: [...byVariant.entries()].map(([name, group]) => ({
      name,
      model: group[0]?.model ?? name,
      api: group[0]?.api ?? 'completions',
      baseUrl: '',
      serverArgv: null,
      pricing: options.pricing,
      quantization: null,
      serverVersion: null,
    })),
    host: {
      hostname: 'unknown (imported)',
      platform: 'unknown',
      cpus: 'unknown',
      cores: 0,
      memoryGiB: 0,
    },
    startedAt: new Date(starts.length ? Math.min(...starts) : 0).toISOString(),
    endedAt: new Date(Math.max(...ends)).toISOString(),
    status: 'completed',
    importedFrom: { tool: tools, files },
    slo: null,
  };

  const write = (name: string, data: string) => {
    const path = join(options.outDir, name);
    try {
      writeFileSync(path, data);
    } catch (err) {
      throw ioError(`${path}: cannot write (${(err as Error).message})`, err);
    }
  };
  write('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  write('steps.jsonl', steps.map((s) => `${JSON.stringify(s)}\n`).join(''));
  write(
    'steps.csv',
    stringify(
      steps.map((s) => CSV_COLUMNS.map(([, pick]) => pick(s))),
      { header: true, columns: CSV_COLUMNS.map(([name]) => name) },
    ),
  );
  if (requestLines.length) write('requests.jsonl', requestLines.join(''));
  return { outDir: options.outDir, steps, requests: requestLines.length };
}
