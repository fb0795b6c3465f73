/**
 * What one simulated engine has counted since it (re)started: vLLM V1's counters, histograms
 * and the inputs of its gauges. The engine loop records events here in wall-clock seconds; the
 * exposition (`metricsText.ts`) renders them.
 */

import { buckets125 } from './promFormat.ts';

export const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
  40.0, 80.0, 160.0, 640.0, 2560.0,
];
export const ITL_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
  40.0, 80.0,
];
export const LATENCY_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0,
  480.0, 960.0, 1920.0, 7680.0,
];
export const ITERATION_TOKEN_BUCKETS = [
  1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384,
];
export const PARAMS_N_BUCKETS = [1, 2, 5, 10, 20];
export const PREEMPTION_BUCKETS = [1, 2, 3, 4, 5, 10, 20];

/** The bucket sets of the V0 era (before vLLM PR #15202). */
export const V0_TTFT_BUCKETS = TTFT_BUCKETS.filter((b) => b <= 10);
export const V0_TPOT_BUCKETS = ITL_BUCKETS.filter((b) => b <= 2.5);
export const V0_LATENCY_BUCKETS = [1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0];

export const FINISH_REASONS = ['stop', 'length', 'abort', 'error', 'repetition'] as const;
export type MetricsFinishReason = (typeof FINISH_REASONS)[number];

export class Histogram {
  readonly bounds: readonly number[];
  private readonly perBucket: number[];
  count = 0;
  sum = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.perBucket = new Array(bounds.length).fill(0);
  }

  observe(value: number): void {
    this.count += 1;
    this.sum += value;
    // Prometheus buckets are inclusive upper bounds (le).
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= this.bounds[i]!) {
        this.perBucket[i]! += 1;
        return;
      }
    }
  }

  /** Cumulative counts per finite bound. */
  cumulative(): number[] {
    let running = 0;
    return this.perBucket.map((n) => {
      running += n;
      return running;
    });
  }
}

export interface EngineHistograms {
  ttft: Histogram;
  itl: Histogram;
  tpot: Histogram;
  e2e: Histogram;
  queue: Histogram;
  inference: Histogram;
  prefill: Histogram;
  decode: Histogram;
  promptTokens: Histogram;
  generationTokens: Histogram;
  iterationTokens: Histogram;
  maxGenerationTokens: Histogram;
  paramsN: Histogram;
  paramsMaxTokens: Histogram;
  numPreemptions: Histogram;
  prefillKvComputed: Histogram;
}

export class EngineMetrics {
  readonly createdS: number;
  promptTokens = 0;
  generationTokens = 0;
  preemptions = 0;
  prefixQueries = 0;
  prefixHits = 0;
  success: Record<MetricsFinishReason, number> = {
    stop: 0,
    length: 0,
    abort: 0,
    error: 0,
    repetition: 0,
  };
  readonly hist: EngineHistograms;

  constructor(createdS: number, maxModelLen: number) {
    this.createdS = createdS;
    const lengths = buckets125(maxModelLen);
    this.hist = {
      ttft: new Histogram(TTFT_BUCKETS),
      itl: new Histogram(ITL_BUCKETS),
      tpot: new Histogram(ITL_BUCKETS),
      e2e: new Histogram(LATENCY_BUCKETS),
      queue: new Histogram(LATENCY_BUCKETS),
      inference: new Histogram(LATENCY_BUCKETS),
      prefill: new Histogram(LATENCY_BUCKETS),
      decode: new Histogram(LATENCY_BUCKETS),
      promptTokens: new Histogram(lengths),
      generationTokens: new Histogram(lengths),
      iterationTokens: new Histogram(ITERATION_TOKEN_BUCKETS),
      maxGenerationTokens: new Histogram(lengths),
      paramsN: new Histogram(PARAMS_N_BUCKETS),
      paramsMaxTokens: new Histogram(lengths),
      numPreemptions: new Histogram(PREEMPTION_BUCKETS),
      prefillKvComputed: new Histogram(lengths),
    };
  }
}

/** Timestamps of one request, wall-clock seconds; what the finish-time histograms need. */
export interface FinishedRequestTimes {
  arrivalS: number;
  queuedS: number;
  firstScheduledS: number | null;
  firstTokenS: number | null;
  lastTokenS: number | null;
  finishedS: number;
  promptTokens: number;
  outputTokens: number;
  maxTokens: number | null;
  preemptions: number;
  reason: MetricsFinishReason;
}

/** Records a finished request the way vLLM's FinishedRequestStats does. */
export function recordFinished(m: EngineMetrics, r: FinishedRequestTimes): void {
  m.success[r.reason] += 1;
  const h = m.hist;
  h.e2e.observe(r.finishedS - r.arrivalS);
  h.promptTokens.observe(r.promptTokens);
  h.generationTokens.observe(r.outputTokens);
  h.maxGenerationTokens.observe(r.outputTokens);
  h.paramsN.observe(1);
  if (r.maxTokens) h.paramsMaxTokens.observe(r.maxTokens);
  h.numPreemptions.observe(r.preemptions);
  h.prefillKvComputed.observe(r.promptTokens);
  if (r.firstScheduledS !== null) {
    h.queue.observe(r.firstScheduledS - r.queuedS);
    const last = r.lastTokenS ?? r.finishedS;
    h.inference.observe(last - r.firstScheduledS);
    if (r.firstTokenS !== null) h.prefill.observe(r.firstTokenS - r.firstScheduledS);
  }
  if (r.firstTokenS !== null && r.lastTokenS !== null) {
    const decode = r.lastTokenS - r.firstTokenS;
    h.decode.observe(decode);
    h.tpot.observe(r.outputTokens > 1 ? decode / (r.outputTokens - 1) : 0);
  }
}
