/**
 * The on-disk contract of a results directory. The runner writes these files; `import` writes
 * them from other tools' JSON; the analyzer reads them. Bump `v` on an incompatible change.
 *
 *   results/<scenario>-<UTC stamp>/
 *     manifest.json      RunManifest
 *     requests.jsonl     RequestRecord per line (src/load/types.ts), flushed as requests finish
 *     steps.jsonl        StepRecord per line, written when a step ends
 *     steps.csv          the same steps, flattened
 *     telemetry.jsonl    TelemetryLine per scrape
 *     gpu.jsonl          GpuSampleLine per nvidia-smi sample (when present)
 *     server-<variant>.log
 */

import type { DriverHealth, ErrorClass, LatencyStats } from '../load/types.ts';
import type { VllmSnapshot, WindowStats } from '../telemetry/types.ts';

export interface Pricing {
  gpuClass: string | null;
  gpuHourlyUsd: number;
  gpus: number;
  /** Where the price came from: 'catalog:h100 (source, date)' or 'scenario'. */
  source: string;
}

export interface SloSpec {
  ttftMs?: { percentile: number; maxMs: number };
  tpotMs?: { percentile: number; maxMs: number };
  itlMs?: { percentile: number; maxMs: number };
  e2eMs?: { percentile: number; maxMs: number };
  /** Fraction of requests that must meet every per-request bound for the step to pass. */
  attainment: number;
}

export interface VariantInfo {
  name: string;
  model: string;
  api: 'completions' | 'chat';
  baseUrl: string;
  serverArgv: string[] | null;
  pricing: Pricing;
  quantization: string | null;
  serverVersion: string | null;
}

export interface RunManifest {
  v: 1;
  tool: { name: 'vllm-cost-meter'; version: string; gitCommit: string | null };
  scenarioName: string;
  scenarioPath: string | null;
  /** The scenario after defaults and variant overrides, secrets redacted. */
  scenario: unknown;
  variants: VariantInfo[];
  host: { hostname: string; platform: string; cpus: string; cores: number; memoryGiB: number };
  startedAt: string;
  endedAt: string | null;
  status: 'running' | 'completed' | 'failed' | 'interrupted';
  /** Where a run came from when it was not measured by this tool. */
  importedFrom?: { tool: string; files: string[] };
  slo: SloSpec | null;
  /** Run id: seeds the per-run prompt salt, kept across `--resume` so plans stay identical. */
  runId?: string;
  /** sha256 of the resolved scenario (before redaction): `--resume` refuses a changed one. */
  scenarioSha256?: string;
  /** One entry per `--resume`, with what was discarded from the unfinished step. */
  resumes?: Array<{ at: string; droppedSteps: number; droppedRequests: number }>;
  /** Per variant, for `sweep.kind: auto`: the rates tried and why the search stopped. */
  autoSweep?: Record<string, { ratesRps: number[]; stopReason: string | null }>;
  /** Why the run failed or was interrupted, in one line. */
  error?: string | null;
}

export interface StepLatency {
  ttftMs: LatencyStats;
  tpotMs: LatencyStats;
  itlMs: LatencyStats;
  e2eMs: LatencyStats;
  ttftFromIntendedMs: LatencyStats;
  e2eFromIntendedMs: LatencyStats;
  capWaitMs: LatencyStats;
}

export interface Reconciliation {
  /** Client totals over the whole step (warm-up, measure and drain) vs server counter deltas. */
  outputTokens: { client: number; server: number | null; diff: number | null };
  promptTokens: { client: number; server: number | null; diff: number | null };
  requests: { client: number; server: number | null; diff: number | null };
  ttftP50Ms: { client: number | null; server: number | null; withinBucket: boolean | null };
  ok: boolean | null;
  warnings: string[];
}

export interface StepSlo {
  goodRequests: number;
  measuredRequests: number;
  attainment: number | null;
  goodOutputTokens: number;
  met: boolean | null;
  /** Per-metric percentile values compared with their bounds. */
  checks: Array<{
    metric: string;
    percentile: number;
    valueMs: number | null;
    maxMs: number;
    ok: boolean | null;
  }>;
}

/**
 * One line of steps.jsonl: one variant × λ × repeat. Counts (`ok`, `failed`, `incomplete`,
 * `errorsByClass`) and latency statistics cover the measured requests; `sent` the whole step.
 * θ counts output tokens that arrived inside the measured window, from every request that
 * succeeded or was `incomplete` at the drain timeout, whenever it was sent (`countsInTheta`).
 */
export interface StepRecord {
  v: 1;
  variant: string;
  stepIndex: number;
  rateRps: number;
  repeat: number;
  status: 'ok' | 'invalid' | 'failed' | 'interrupted';
  statusReason: string | null;
  startedAt: string;
  endedAt: string;
  /** Wall-clock bounds of the measured window, Unix ms. */
  measureStartEpochMs: number;
  measureEndEpochMs: number;
  measuredSeconds: number;
  warmupSeconds: number;
  drainSeconds: number;
  sent: number;
  measuredRequests: number;
  ok: number;
  failed: number;
  incomplete: number;
  errorsByClass: Partial<Record<ErrorClass, number>>;
  offeredRps: number;
  achievedSendRps: number | null;
  completedRps: number;
  meanPromptTokens: number | null;
  meanOutputTokens: number | null;
  /** θ: output tokens that arrived inside the measured window / its length. */
  outputTokPerS: number;
  promptTokPerS: number;
  /** Offered load as output tokens per second: λ × mean requested output length. */
  offeredOutputTokPerS: number;
  latency: StepLatency;
  slo: StepSlo | null;
  driver: DriverHealth;
  inFlight: { mean: number | null; max: number };
  littlesLaw: { meanInFlight: number | null; predicted: number | null; ratio: number | null };
  /** Server view over the measured window (telemetry core), null without telemetry. */
  server: WindowStats | null;
  reconciliation: Reconciliation | null;
  gpu: {
    utilPercentMean: number | null;
    powerWattsMean: number | null;
    memoryUsedMiBMax: number | null;
  } | null;
  pricing: Pricing;
}

/** One line of telemetry.jsonl. */
export interface TelemetryLine {
  v: 1;
  variant: string;
  stepIndex: number | null;
  repeat: number | null;
  phase: 'idle' | 'warmup' | 'measure' | 'drain';
  url: string;
  ok: boolean;
  error: string | null;
  scrapeMs: number | null;
  snapshot: VllmSnapshot | null;
}

export interface GpuSampleLine {
  v: 1;
  timeMs: number;
  gpus: Array<{
    index: number;
    name: string;
    /** null where nvidia-smi printed N/A or [Not Supported] (MIG slices, some boards). */
    utilPercent: number | null;
    powerWatts: number | null;
    memoryUsedMiB: number | null;
    memoryTotalMiB: number | null;
  }>;
}
