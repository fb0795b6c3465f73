/**
 * Window maths: what happened on a server between scrapes, as `WindowStats` (what
 * `inspect --json` prints). Rates come from reset-safe increases (`increase.ts`), latency and
 * length quantiles from histogram bucket deltas (`histogram_quantile` semantics), means from
 * Δsum/Δcount. A single snapshot has no window: counters are reported as totals since the server
 * started, latencies and lengths likewise, and every rate is null.
 */

import { inputError } from '../util/errors.ts';
import { histogramMean, histogramQuantile, sumHistograms } from './histogram.ts';
import { type Increases, increasesOver } from './increase.ts';
import type {
  CounterConcept,
  HistogramConcept,
  HistogramData,
  QuantileSummary,
  SeriesHistogram,
  SeriesValue,
  VllmSnapshot,
  WindowStats,
} from './types.ts';
import { COUNTER_CONCEPTS } from './vllmModel.ts';

const LATENCIES = {
  ttft: 'ttft',
  itl: 'itl',
  tpot: 'tpot',
  e2e: 'e2e',
  queue: 'queue',
  prefill: 'prefill',
  decode: 'decode',
} as const satisfies Record<keyof WindowStats['latencyMs'], HistogramConcept>;
const LENGTHS = {
  prompt: 'promptLength',
  generation: 'generationLength',
} as const satisfies Record<keyof WindowStats['lengths'], HistogramConcept>;

/** A number that JSON can carry, else null (NaN and ±Infinity become null). */
const finite = (x: number | null | undefined): number | null =>
  typeof x === 'number' && Number.isFinite(x) ? x : null;

export function summarize(h: HistogramData | null, scale: number): QuantileSummary {
  if (!h) return { p50: null, p90: null, p99: null, mean: null, count: null };
  const at = (q: number) => {
    const v = histogramQuantile(q, h);
    return v === null ? null : finite(v * scale);
  };
  const mean = histogramMean(h);
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    mean: mean === null ? null : mean * scale,
    count: finite(h.count),
  };
}

function totalOf(parts: Map<string, SeriesValue> | undefined): number | null {
  if (!parts) return null;
  let total = 0;
  for (const p of parts.values()) total += p.value;
  return finite(total);
}

/** Sums by a label's value; series without the label go under `missing`, or are left out. */
function groupBy(
  parts: Iterable<SeriesValue>,
  label: string,
  missing?: string,
): Record<string, number> | null {
  const out: Record<string, number> = {};
  let any = false;
  for (const p of parts) {
    const key = p.labels[label] ?? missing;
    if (key === undefined) continue;
    any = true;
    out[key] = (out[key] ?? 0) + p.value;
  }
  return any ? out : null;
}

function mergedHistogram(parts: Map<string, SeriesHistogram> | undefined): HistogramData | null {
  if (!parts) return null;
  return sumHistograms([...parts.values()].map((p) => p.histogram));
}

function inFlight(s: VllmSnapshot): number | null {
  const { running, waiting } = s.gauges;
  return finite(running) === null || finite(waiting) === null ? null : running! + waiting!;
}

/** Time-weighted mean of running+waiting (trapezoids between scrapes), or null. */
function meanInFlight(snapshots: VllmSnapshot[]): number | null {
  let area = 0;
  for (let k = 1; k < snapshots.length; k++) {
    const a = inFlight(snapshots[k - 1]!);
    const b = inFlight(snapshots[k]!);
    if (a === null || b === null) return null;
    area += ((a + b) / 2) * (snapshots[k]!.timeMs - snapshots[k - 1]!.timeMs);
  }
  const span = snapshots[snapshots.length - 1]!.timeMs - snapshots[0]!.timeMs;
  return area / span;
}

function state(s: VllmSnapshot): WindowStats['state'] {
  return {
    running: finite(s.gauges.running),
    waiting: finite(s.gauges.waiting),
    kvCacheUsageMax: finite(s.gauges.kvCacheUsageMax),
    kvCacheUsageMean: finite(s.gauges.kvCacheUsageMean),
  };
}

function distributions(histogramOf: (concept: HistogramConcept) => HistogramData | null) {
  const latencyMs = {} as WindowStats['latencyMs'];
  for (const [key, concept] of Object.entries(LATENCIES)) {
    latencyMs[key as keyof typeof LATENCIES] = summarize(histogramOf(concept), 1000);
  }
  const lengths = {} as WindowStats['lengths'];
  for (const [key, concept] of Object.entries(LENGTHS)) {
    lengths[key as keyof typeof LENGTHS] = summarize(histogramOf(concept), 1);
  }
  return { latencyMs, lengths };
}

const ratio = (num: number | null, den: number | null) =>
  num === null || den === null || den === 0 ? null : finite(num / den);

function single(cur: VllmSnapshot): WindowStats {
  const totals = {} as Record<CounterConcept, number | null>;
  for (const concept of COUNTER_CONCEPTS) totals[concept] = finite(cur.counters[concept]);
  const byModel: WindowStats['byModel'] = {};
  for (const model of Object.keys(cur.byModel ?? {})) {
    byModel[model] = { outputTokensPerS: null, requestsPerS: null };
  }
  return {
    windowSeconds: null,
    startMs: null,
    endMs: cur.timeMs,
    rates: {
      outputTokensPerS: null,
      promptTokensPerS: null,
      requestsPerS: null,
      requestsPerSByReason: null,
      arrivalsPerS: null,
      preemptionsPerS: null,
    },
    increases: {
      outputTokens: null,
      promptTokens: null,
      requests: null,
      requestsByReason: null,
      preemptions: null,
    },
    totals,
    ...distributions((concept) => cur.histograms[concept] ?? null),
    state: state(cur),
    prefixCacheHitRate: ratio(totals.prefixCacheHits, totals.prefixCacheQueries),
    littlesLaw: { meanInFlight: null, predicted: null, ratio: null },
    resets: [],
    byModel,
    vllmNames: { era: cur.era, names: cur.names },
  };
}

function perModel(inc: Increases, seconds: number): WindowStats['byModel'] {
  // Keyed like the snapshot's byModel: series without model_name under ''.
  const tokens = groupBy(inc.counters.generationTokens?.values() ?? [], 'model_name', '') ?? {};
  const requests = groupBy(inc.counters.requestsFinished?.values() ?? [], 'model_name', '') ?? {};
  const out: WindowStats['byModel'] = {};
  for (const model of new Set([...Object.keys(tokens), ...Object.keys(requests)])) {
    out[model] = {
      outputTokensPerS: tokens[model] === undefined ? null : finite(tokens[model] / seconds),
      requestsPerS: requests[model] === undefined ? null : finite(requests[model] / seconds),
    };
  }
  return out;
}

/** Window statistics over a time-ordered run of scrapes of one server (at least one). */
export function windowOverSnapshots(series: VllmSnapshot[]): WindowStats {
  if (series.length === 0) throw inputError('a window needs at least one snapshot');
  for (let k = 1; k < series.length; k++) {
    if (!(series[k]!.timeMs > series[k - 1]!.timeMs)) {
      throw inputError(
        `snapshots must be in time order: snapshot ${k} (timeMs ${series[k]!.timeMs}) does ` +
          `not come after snapshot ${k - 1} (timeMs ${series[k - 1]!.timeMs})`,
      );
    }
  }
  const first = series[0]!;
  const last = series[series.length - 1]!;
  if (series.length === 1) return single(last);

  const seconds = (last.timeMs - first.timeMs) / 1000;
  const inc = increasesOver(series);
  const perS = (x: number | null) => (x === null ? null : finite(x / seconds));
  const increase = (concept: CounterConcept) => totalOf(inc.counters[concept]);

  const requests = increase('requestsFinished');
  const byReason = inc.counters.requestsFinished
    ? groupBy(inc.counters.requestsFinished.values(), 'finished_reason')
    : null;
  const requestsPerSByReason = byReason
    ? Object.fromEntries(Object.entries(byReason).map(([r, n]) => [r, n / seconds]))
    : null;

  const a = inFlight(first);
  const b = inFlight(last);
  const arrivals = requests === null || a === null || b === null ? null : requests + (b - a);

  const { latencyMs, lengths } = distributions((c) => mergedHistogram(inc.histograms[c]));
  const requestsPerS = perS(requests);
  const e2eMeanS = latencyMs.e2e.mean === null ? null : latencyMs.e2e.mean / 1000;
  const inFlightMean = meanInFlight(series);
  const predicted = requestsPerS === null || e2eMeanS === null ? null : requestsPerS * e2eMeanS;

  return {
    windowSeconds: seconds,
    startMs: first.timeMs,
    endMs: last.timeMs,
    rates: {
      outputTokensPerS: perS(increase('generationTokens')),
      promptTokensPerS: perS(increase('promptTokens')),
      requestsPerS,
      requestsPerSByReason,
      // Completions understate load when the queue grows; add what the queue gained.
      arrivalsPerS: arrivals === null ? null : perS(Math.max(0, arrivals)),
      preemptionsPerS: perS(increase('preemptions')),
    },
    increases: {
      outputTokens: increase('generationTokens'),
      promptTokens: increase('promptTokens'),
      requests,
      requestsByReason: byReason,
      preemptions: increase('preemptions'),
    },
    totals: null,
    latencyMs,
    lengths,
    state: state(last),
    prefixCacheHitRate: ratio(increase('prefixCacheHits'), increase('prefixCacheQueries')),
    littlesLaw: {
      meanInFlight: inFlightMean,
      predicted: finite(predicted),
      ratio: ratio(inFlightMean, predicted),
    },
    resets: inc.resets,
    byModel: perModel(inc, seconds),
    vllmNames: { era: last.era, names: last.names },
  };
}

/** The window between two scrapes; with `prev` null, the totals of one scrape. */
export function windowBetween(prev: VllmSnapshot | null, cur: VllmSnapshot): WindowStats {
  return windowOverSnapshots(prev === null ? [cur] : [prev, cur]);
}
