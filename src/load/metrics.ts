/**
 * Per-request metrics from raw stream observations, pure. Definitions (vllm.md §5.3 for
 * vLLM's, where ours differ it is on purpose):
 *   TTFT  = first chunk carrying tokens − sent  (vLLM chat takes the role chunk: we do not)
 *   E2E   = last token chunk − sent              (usage chunk and [DONE] excluded)
 *   TPOT  = (E2E − TTFT) / (output tokens − 1), only when output tokens > 1 (as vLLM)
 *   ITL   = per token: a chunk of n tokens gives its gap from the previous chunk once, then
 *           n − 1 zeros, since those tokens arrived together (vLLM pools per-chunk gaps;
 *           those are kept separately as `chunkGaps`).
 */

import { percentileSorted } from '../util/stats.ts';
import type { StreamOutcome } from './request.ts';
import type { Api, ErrorClass, LatencyStats, RequestRecord } from './types.ts';

export interface RequestJob {
  seq: number;
  id: string;
  phase: 'warmup' | 'measure';
  intendedAtMs: number;
  releasedAtMs: number;
  plannedPromptTokens: number;
  promptSource: 'planned' | 'tokenizer';
  requestedOutputTokens: number;
}

export interface RecordContext {
  api: Api;
  labels: { variant: string; stepIndex: number; repeat: number; rateRps: number };
  measureStartAtMs: number;
  measureEndAtMs: number;
  recordChunks: boolean;
}

/** Output tokens and where the count came from. */
export function outputTokenTotal(o: StreamOutcome): {
  tokens: number;
  source: RequestRecord['outputTokensSource'];
} {
  if (o.finalUsageTokens >= 0) return { tokens: o.finalUsageTokens, source: 'usage' };
  if (o.runningUsageTokens >= 0) {
    return { tokens: o.runningUsageTokens, source: 'continuous_usage' };
  }
  let counted = 0;
  for (let i = 0; i < o.chunkTokens.length; i++) counted += o.chunkTokens[i]!;
  return { tokens: counted, source: counted > 0 ? 'counted' : null };
}

/**
 * Rescales per-chunk counts to a trusted total (largest remainder, so counts stay integers and
 * sum exactly to it). Used when the server's usage disagrees with one-token-per-chunk counting,
 * for example several tokens per chunk without continuous usage.
 */
export function reconcileChunkTokens(counts: Int32Array, total: number): Int32Array {
  let counted = 0;
  for (let i = 0; i < counts.length; i++) counted += counts[i]!;
  if (counted === total || counted === 0 || total < 0) return counts;

  const out = new Int32Array(counts.length);
  const remainders: Array<[number, number]> = [];
  let assigned = 0;
  for (let i = 0; i < counts.length; i++) {
    const exact = (counts[i]! * total) / counted;
    out[i] = Math.floor(exact);
    assigned += out[i]!;
    remainders.push([exact - out[i]!, i]);
  }
  remainders.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < total - assigned; k++) out[remainders[k]![1]]! += 1;
  return out;
}

/** Gaps between consecutive token-carrying chunks, ms. */
export function chunkGaps(chunkAtMs: Float64Array): Float64Array {
  const n = Math.max(0, chunkAtMs.length - 1);
  const gaps = new Float64Array(n);
  for (let i = 0; i < n; i++) gaps[i] = chunkAtMs[i + 1]! - chunkAtMs[i]!;
  return gaps;
}

/** Per-token inter-token latencies: tokens − 1 samples. */
export function tokenItl(chunkAtMs: Float64Array, chunkTokens: Int32Array): Float64Array {
  let total = 0;
  for (let i = 0; i < chunkTokens.length; i++) total += chunkTokens[i]!;
  const out = new Float64Array(Math.max(0, total - 1));
  let k = 0;
  let previous = -1;
  for (let i = 0; i < chunkAtMs.length; i++) {
    const n = chunkTokens[i]!;
    if (n <= 0) continue;
    if (previous >= 0) out[k++] = chunkAtMs[i]! - previous;
    for (let j = 1; j < n; j++) out[k++] = 0;
    previous = chunkAtMs[i]!;
  }
  return out;
}

/**
 * Whether a request's in-window tokens count in θ. Successful requests do, and so do
 * `incomplete` ones (still streaming at the drain timeout: the server was serving them, we only
 * stopped waiting). Other failures (reset, HTTP errors, timeouts, ...) do not: their tokens are
 * not useful output. The driver's step θ and the analyzer's recompute both use this one rule.
 */
export function countsInTheta(record: Pick<RequestRecord, 'ok' | 'error'>): boolean {
  return record.ok || record.error?.class === 'incomplete';
}

/** Tokens of chunks that arrived inside [startMs, endMs]. */
export function tokensInWindow(
  chunkAtMs: Float64Array,
  chunkTokens: Int32Array,
  startMs: number,
  endMs: number,
): number {
  let sum = 0;
  for (let i = 0; i < chunkAtMs.length; i++) {
    const t = chunkAtMs[i]!;
    if (t >= startMs && t <= endMs) sum += chunkTokens[i]!;
  }
  return sum;
}

export interface BuiltRecord {
  record: RequestRecord;
  /** Samples for pooled histograms (empty unless the request succeeded). */
  itl: Float64Array;
  gaps: Float64Array;
}

/** The record of a request that was never sent (cancelled while waiting for the cap). */
export function unsentRecord(
  job: RequestJob,
  ctx: RecordContext,
  endAtMs: number,
  error: { class: ErrorClass; message: string },
): RequestRecord {
  return {
    v: 1,
    variant: ctx.labels.variant,
    stepIndex: ctx.labels.stepIndex,
    repeat: ctx.labels.repeat,
    rateRps: ctx.labels.rateRps,
    phase: job.phase,
    seq: job.seq,
    id: job.id,
    api: ctx.api,
    intendedAtMs: job.intendedAtMs,
    releasedAtMs: job.releasedAtMs,
    sentAtMs: null,
    firstByteAtMs: null,
    firstTokenAtMs: null,
    lastTokenAtMs: null,
    endAtMs,
    ttftMs: null,
    ttftFromIntendedMs: null,
    e2eMs: null,
    e2eFromIntendedMs: null,
    tpotMs: null,
    capWaitMs: endAtMs - job.intendedAtMs,
    sendLagMs: null,
    itl: null,
    chunkGaps: null,
    chunks: 0,
    promptTokens: null,
    promptTokensSource: null,
    outputTokens: null,
    outputTokensSource: null,
    requestedOutputTokens: job.requestedOutputTokens,
    outputTokensInWindow: 0,
    status: null,
    finishReason: null,
    ok: false,
    error,
  };
}

export function buildRecord(o: StreamOutcome, job: RequestJob, ctx: RecordContext): BuiltRecord {
  const { tokens: outputTokens, source } = outputTokenTotal(o);
  const counts = reconcileChunkTokens(o.chunkTokens, outputTokens);
  const times = o.chunkAtMs;
  const ok = o.error === null && o.status === 200;
  const n = times.length;
  const firstTokenAtMs = n ? times[0]! : null;
  const lastTokenAtMs = n ? times[n - 1]! : null;

  const ttftMs = ok && firstTokenAtMs !== null ? firstTokenAtMs - o.sentAtMs : null;
  const e2eMs = ok && lastTokenAtMs !== null ? lastTokenAtMs - o.sentAtMs : null;
  const tpotMs =
    ttftMs !== null && e2eMs !== null && outputTokens > 1
      ? (e2eMs - ttftMs) / (outputTokens - 1)
      : null;
  const itl = ok ? tokenItl(times, counts) : new Float64Array(0);
  const gaps = ok ? chunkGaps(times) : new Float64Array(0);

  // One literal: spreading a head object into a 40-field record costs ~75 µs in V8 (the
  // clone goes to dictionary mode), a third of the per-request budget at 1,000 req/s.
  const record: RequestRecord = {
    v: 1,
    variant: ctx.labels.variant,
    stepIndex: ctx.labels.stepIndex,
    repeat: ctx.labels.repeat,
    rateRps: ctx.labels.rateRps,
    phase: job.phase,
    seq: job.seq,
    id: job.id,
    api: ctx.api,
    intendedAtMs: job.intendedAtMs,
    releasedAtMs: job.releasedAtMs,
    sentAtMs: o.sentAtMs,
    firstByteAtMs: o.firstByteAtMs,
    firstTokenAtMs,
    lastTokenAtMs,
    endAtMs: o.endAtMs,
    ttftMs,
    ttftFromIntendedMs: ttftMs === null ? null : firstTokenAtMs! - job.intendedAtMs,
    e2eMs,
    e2eFromIntendedMs: e2eMs === null ? null : lastTokenAtMs! - job.intendedAtMs,
    tpotMs,
    capWaitMs: job.releasedAtMs - job.intendedAtMs,
    sendLagMs: o.sentAtMs - job.releasedAtMs,
    itl: ok && itl.length ? statsOf(itl) : null,
    chunkGaps: ok && gaps.length ? statsOf(gaps) : null,
    chunks: n,
    promptTokens: o.usagePromptTokens >= 0 ? o.usagePromptTokens : job.plannedPromptTokens,
    promptTokensSource: o.usagePromptTokens >= 0 ? 'usage' : job.promptSource,
    outputTokens: source === null ? null : outputTokens,
    outputTokensSource: source,
    requestedOutputTokens: job.requestedOutputTokens,
    outputTokensInWindow: tokensInWindow(times, counts, ctx.measureStartAtMs, ctx.measureEndAtMs),
    status: o.status,
    finishReason: o.finishReason,
    ok,
    error: o.error,
  };
  if (ctx.recordChunks) {
    record.chunkAtMs = Array.from(times);
    record.chunkTokens = Array.from(counts);
  }
  return { record, itl, gaps };
}

/** LatencyStats of samples, sorting them in place (same percentile rule as util/stats). */
function statsOf(samples: Float64Array): LatencyStats {
  samples.sort();
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]!;
  return {
    count: samples.length,
    meanMs: sum / samples.length,
    p50Ms: percentileSorted(samples, 50),
    p90Ms: percentileSorted(samples, 90),
    p99Ms: percentileSorted(samples, 99),
    maxMs: samples[samples.length - 1]!,
  };
}
