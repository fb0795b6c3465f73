/**
 * Arrival schedules. A plan is a list of absolute send offsets from the step's start, computed
 * before the step begins, so the driver sends against a clock and never accumulates sleep
 * errors (relative sleeps delivered 183 of 200 req/s in vllm#21104). Arrivals, prompt lengths
 * and output lengths each draw from their own substream of (seed, streamId): changing the
 * length distribution does not move a single arrival.
 */

import { inputError } from '../util/errors.ts';
import { exponential, gamma, lognormal, normal, type Rng, substream } from './rng.ts';
import type { LengthDist, Plan, PlannedRequest, PlanOptions } from './types.ts';

/** Refuse plans that would not fit in memory comfortably (≈ 100 bytes per request). */
export const MAX_PLANNED_REQUESTS = 5_000_000;

/**
 * Builds the step's plan. Warm-up covers offsets in [0, warmupSeconds); the measured phase is
 * [warmup, warmup + measureSeconds), or the next `measureRequests` arrivals, in which case it
 * ends at the arrival that would have come next. A trace with neither bound measures every
 * row after the warm-up and ends at its last offset.
 */
export function buildPlan(options: PlanOptions): Plan {
  validatePlanOptions(options);
  const warmupMs = options.warmupSeconds * 1000;
  const { offsetsMs, measureEndAtMs } =
    options.arrival.kind === 'trace'
      ? traceOffsets(options.arrival.offsetsMs, warmupMs, options)
      : synthesizeOffsets(options, warmupMs);

  const promptRng = substream(options.seed, `${options.streamId}/prompt`);
  const outputRng = substream(options.seed, `${options.streamId}/output`);
  const tracePrompt = options.arrival.kind === 'trace' ? options.arrival.promptTokens : undefined;
  const traceOutput = options.arrival.kind === 'trace' ? options.arrival.outputTokens : undefined;

  const requests: PlannedRequest[] = new Array(offsetsMs.length);
  for (let seq = 0; seq < offsetsMs.length; seq++) {
    const intendedAtMs = offsetsMs[seq]!;
    // Draw from both streams for every request so trace lengths and sampled lengths stay
    // aligned with the same seq whichever source is used.
    const promptDrawn = sampleLength(options.promptLength, promptRng);
    const outputDrawn = sampleLength(options.outputLength, outputRng);
    requests[seq] = {
      seq,
      intendedAtMs,
      promptTokens: tracePrompt?.[seq] ?? promptDrawn,
      outputTokens: traceOutput?.[seq] ?? outputDrawn,
      phase: intendedAtMs < warmupMs ? 'warmup' : 'measure',
    };
  }
  return { requests, measureStartAtMs: warmupMs, measureEndAtMs };
}

function synthesizeOffsets(
  options: PlanOptions,
  warmupMs: number,
): { offsetsMs: number[]; measureEndAtMs: number } {
  const nextGap = gapSampler(options);
  const offsetsMs: number[] = [];
  let t = nextGap();

  while (t < warmupMs) {
    offsetsMs.push(t);
    t += nextGap();
    guardSize(offsetsMs.length);
  }

  if (options.measureSeconds !== undefined) {
    const endMs = warmupMs + options.measureSeconds * 1000;
    while (t < endMs) {
      offsetsMs.push(t);
      t += nextGap();
      guardSize(offsetsMs.length);
    }
    return { offsetsMs, measureEndAtMs: endMs };
  }

  const count = options.measureRequests ?? 0;
  guardSize(offsetsMs.length + count);
  for (let i = 0; i < count; i++) {
    offsetsMs.push(t);
    t += nextGap();
  }
  // The window closes when the next arrival would have come, as a time-bounded window would.
  return { offsetsMs, measureEndAtMs: t };
}

/** Gaps in milliseconds for a synthetic process. */
function gapSampler(options: PlanOptions): () => number {
  const rng = substream(options.seed, `${options.streamId}/arrivals`);
  const meanGapMs = 1000 / options.rateRps;
  const arrival = options.arrival;
  switch (arrival.kind) {
    case 'poisson':
      return () => exponential(rng, 1) * meanGapMs;
    case 'gamma': {
      // Gamma(k, θ) has CV 1/√k; θ = mean/k keeps the mean gap at 1/λ (vLLM's --burstiness k).
      const shape = 1 / (arrival.cv * arrival.cv);
      const scaleMs = meanGapMs / shape;
      return () => gamma(rng, shape, scaleMs);
    }
    case 'constant':
      return () => meanGapMs;
    case 'trace':
      throw inputError('plan: a trace has no gap sampler');
  }
}

function traceOffsets(
  raw: number[],
  warmupMs: number,
  options: PlanOptions,
): { offsetsMs: number[]; measureEndAtMs: number } {
  guardSize(raw.length);
  const lastMs = raw.length ? raw[raw.length - 1]! : 0;
  if (options.measureSeconds !== undefined) {
    const endMs = warmupMs + options.measureSeconds * 1000;
    return { offsetsMs: raw.filter((t) => t < endMs), measureEndAtMs: endMs };
  }
  if (options.measureRequests !== undefined) {
    const firstMeasured = raw.findIndex((t) => t >= warmupMs);
    if (firstMeasured < 0) return { offsetsMs: raw.slice(), measureEndAtMs: warmupMs };
    const stop = Math.min(raw.length, firstMeasured + options.measureRequests);
    return { offsetsMs: raw.slice(0, stop), measureEndAtMs: raw[stop] ?? lastMs };
  }
  return { offsetsMs: raw.slice(), measureEndAtMs: Math.max(warmupMs, lastMs) };
}

/** One integer length ≥ 1 from a distribution. */
export function sampleLength(dist: LengthDist, rng: Rng): number {
  switch (dist.kind) {
    case 'fixed':
      return dist.value;
    case 'uniform':
      return rng.int(dist.min, dist.max + 1);
    case 'normal':
      return clampLength(normal(rng, dist.mean, dist.stdev), dist.min, dist.max);
    case 'lognormal':
      return clampLength(lognormal(rng, dist.mean, dist.stdev), dist.min, dist.max);
    case 'empirical':
      return dist.values[rng.int(0, dist.values.length)]!;
  }
}

function clampLength(x: number, min = 1, max = Number.POSITIVE_INFINITY): number {
  return Math.min(max, Math.max(min, Math.round(x)));
}

function guardSize(n: number): void {
  if (n > MAX_PLANNED_REQUESTS) {
    throw inputError(
      `plan: more than ${MAX_PLANNED_REQUESTS} requests in one step; ` +
        'shorten measureSeconds or lower rateRps',
    );
  }
}

function validatePlanOptions(o: PlanOptions): void {
  const isTrace = o.arrival.kind === 'trace';
  if (!isTrace && !(Number.isFinite(o.rateRps) && o.rateRps > 0)) {
    throw inputError(`plan: rateRps must be a positive number, got ${o.rateRps}`);
  }
  if (!(Number.isFinite(o.warmupSeconds) && o.warmupSeconds >= 0)) {
    throw inputError(`plan: warmupSeconds must be ≥ 0, got ${o.warmupSeconds}`);
  }
  const bounds = Number(o.measureSeconds !== undefined) + Number(o.measureRequests !== undefined);
  if (bounds > 1 || (bounds === 0 && !isTrace)) {
    throw inputError('plan: give exactly one of measureSeconds and measureRequests');
  }
  if (
    o.measureSeconds !== undefined &&
    !(Number.isFinite(o.measureSeconds) && o.measureSeconds > 0)
  ) {
    throw inputError(`plan: measureSeconds must be positive, got ${o.measureSeconds}`);
  }
  if (
    o.measureRequests !== undefined &&
    !(Number.isInteger(o.measureRequests) && o.measureRequests > 0)
  ) {
    throw inputError(`plan: measureRequests must be a positive integer, got ${o.measureRequests}`);
  }
  if (o.arrival.kind === 'gamma' && !(Number.isFinite(o.arrival.cv) && o.arrival.cv > 0)) {
    throw inputError(`plan: arrival.cv must be positive (1 = Poisson), got ${o.arrival.cv}`);
  }
  if (o.arrival.kind === 'trace') validateTrace(o.arrival);
  if (!Number.isFinite(o.seed)) throw inputError(`plan: seed must be a number, got ${o.seed}`);
  validateLength('promptLength', o.promptLength);
  validateLength('outputLength', o.outputLength);
}

function validateTrace(t: {
  offsetsMs: number[];
  promptTokens?: number[];
  outputTokens?: number[];
}) {
  let previous = 0;
  for (let i = 0; i < t.offsetsMs.length; i++) {
    const at = t.offsetsMs[i]!;
    if (!(Number.isFinite(at) && at >= previous)) {
      throw inputError(
        `plan: arrival.offsetsMs[${i}] = ${at} must be finite, ≥ 0 and not before the previous one`,
      );
    }
    previous = at;
  }
  for (const key of ['promptTokens', 'outputTokens'] as const) {
    const lengths = t[key];
    if (lengths && lengths.length !== t.offsetsMs.length) {
      throw inputError(`plan: arrival.${key} must have one entry per offset`);
    }
  }
}

function validateLength(field: string, d: LengthDist): void {
  const positiveInt = (x: number) => Number.isInteger(x) && x >= 1;
  const bad = (what: string) => inputError(`plan: ${field} (${d.kind}): ${what}`);
  switch (d.kind) {
    case 'fixed':
      if (!positiveInt(d.value)) throw bad(`value must be an integer ≥ 1, got ${d.value}`);
      return;
    case 'uniform':
      if (!positiveInt(d.min) || !positiveInt(d.max) || d.max < d.min) {
        throw bad(`min and max must be integers with 1 ≤ min ≤ max, got ${d.min}..${d.max}`);
      }
      return;
    case 'normal':
    case 'lognormal':
      if (!(d.mean > 0 && d.stdev >= 0 && Number.isFinite(d.mean + d.stdev))) {
        throw bad(`mean must be > 0 and stdev ≥ 0, got ${d.mean} and ${d.stdev}`);
      }
      if ((d.min !== undefined && !positiveInt(d.min)) || (d.max ?? 1) < (d.min ?? 1)) {
        throw bad('min and max must be integers with 1 ≤ min ≤ max');
      }
      return;
    case 'empirical':
      if (d.values.length === 0 || !d.values.every(positiveInt)) {
        throw bad('values must be a non-empty list of integers ≥ 1');
      }
      return;
  }
}
