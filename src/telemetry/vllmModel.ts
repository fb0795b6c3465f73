/**
 * Reduces a parsed /metrics body to the concepts the tool reads (`VllmSnapshot`), whatever the
 * vLLM or SGLang version named them. Counters and histograms are summed across series (engines,
 * finished reasons, models); gauges are collapsed across `pid` with max, then running and waiting
 * are summed and KV usage is reported as max and mean. A concept whose names are all absent, or
 * present with no samples, is null, never 0.
 */

import { sumHistograms } from './histogram.ts';
import { parseFloatToken } from './promText.ts';
import { seriesKey } from './series.ts';
import type {
  CounterConcept,
  HistogramConcept,
  HistogramData,
  ModelSlice,
  ParsedMetrics,
  PromSample,
  SeriesHistogram,
  SeriesValue,
  SnapshotSeries,
  VllmSnapshot,
} from './types.ts';
import { COUNTER_NAMES, eraOf, GAUGE_NAMES, HISTOGRAM_NAMES } from './vllmNames.ts';

export const COUNTER_CONCEPTS = Object.keys(COUNTER_NAMES) as CounterConcept[];
export const HISTOGRAM_CONCEPTS = Object.keys(HISTOGRAM_NAMES) as HistogramConcept[];

type SampleIndex = Map<string, PromSample[]>;

/** Samples by sample name, across families: a text-format and an OpenMetrics body index alike. */
function indexSamples(parsed: ParsedMetrics): SampleIndex {
  const index: SampleIndex = new Map();
  for (const family of parsed.families.values()) {
    for (const sample of family.samples) {
      const list = index.get(sample.name);
      if (list) list.push(sample);
      else index.set(sample.name, [sample]);
    }
  }
  return index;
}

function present(index: SampleIndex, name: string): PromSample[] | null {
  const samples = index.get(name);
  return samples && samples.length > 0 ? samples : null;
}

/** The first counter name with samples, spelled with `_total` or without. */
function findCounter(index: SampleIndex, bases: string[]) {
  for (const base of bases) {
    for (const name of [`${base}_total`, base]) {
      const samples = present(index, name);
      if (samples) return { name, created: `${base}_created`, samples };
    }
  }
  return null;
}

function counterSeries(samples: PromSample[]): Record<string, SeriesValue> {
  const out: Record<string, SeriesValue> = {};
  for (const s of samples) {
    out[seriesKey(s.labels)] = { labels: s.labels, value: s.value };
  }
  return out;
}

/** Histogram series keyed without `le`; +Inf bucket, else `_count`, gives the count. */
function histogramSeries(index: SampleIndex, base: string): Record<string, SeriesHistogram> {
  interface Parts {
    labels: Record<string, string>;
    bounds: Map<number, number>;
    inf?: number;
    count?: number;
    sum?: number;
  }
  const parts = new Map<string, Parts>();
  const partsOf = (labels: Record<string, string>): Parts => {
    const key = seriesKey(labels, 'le');
    let p = parts.get(key);
    if (!p) {
      const { le: _, ...rest } = labels;
      p = { labels: rest, bounds: new Map() };
      parts.set(key, p);
    }
    return p;
  };
  for (const s of index.get(`${base}_bucket`) ?? []) {
    const raw = s.labels.le;
    const le = raw === undefined ? undefined : parseFloatToken(raw);
    if (le === undefined || Number.isNaN(le)) continue; // a bucket without a bound has no place
    const p = partsOf(s.labels);
    if (le === Number.POSITIVE_INFINITY) p.inf = s.value;
    else p.bounds.set(le, s.value);
  }
  for (const s of index.get(`${base}_count`) ?? []) partsOf(s.labels).count = s.value;
  for (const s of index.get(`${base}_sum`) ?? []) partsOf(s.labels).sum = s.value;

  const out: Record<string, SeriesHistogram> = {};
  for (const [key, p] of parts) {
    if (p.bounds.size === 0 && p.inf === undefined && p.count === undefined) continue;
    const buckets = [...p.bounds.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([le, count]) => ({ le, count }));
    const histogram: HistogramData = {
      buckets,
      count: p.inf ?? p.count ?? Number.NaN,
      sum: p.sum ?? Number.NaN,
    };
    out[key] = { labels: p.labels, histogram };
  }
  return out;
}

function findHistogram(index: SampleIndex, bases: string[]) {
  for (const base of bases) {
    const series = histogramSeries(index, base);
    if (Object.keys(series).length > 0) return { name: base, series };
  }
  return null;
}

/** Gauge values per series after collapsing the `pid` label with max. */
function gaugeValues(index: SampleIndex, bases: string[]) {
  for (const base of bases) {
    const samples = present(index, base);
    if (!samples) continue;
    const byKey = new Map<string, number>();
    for (const s of samples) {
      if (Number.isNaN(s.value)) continue;
      const key = seriesKey(s.labels, 'pid');
      const before = byKey.get(key);
      byKey.set(key, before === undefined ? s.value : Math.max(before, s.value));
    }
    return { name: base, values: [...byKey.values()] };
  }
  return null;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function byReason(parts: SeriesValue[]): Record<string, number> | null {
  const out: Record<string, number> = {};
  let any = false;
  for (const p of parts) {
    const reason = p.labels.finished_reason;
    if (reason === undefined) continue;
    any = true;
    out[reason] = (out[reason] ?? 0) + p.value;
  }
  return any ? out : null;
}

function modelSlices(series: SnapshotSeries): Record<string, ModelSlice> {
  const models = new Set<string>();
  const modelOf = (labels: Record<string, string>) => labels.model_name ?? '';
  for (const parts of Object.values(series.counters)) {
    for (const p of Object.values(parts ?? {})) models.add(modelOf(p.labels));
  }
  for (const parts of Object.values(series.histograms)) {
    for (const p of Object.values(parts ?? {})) models.add(modelOf(p.labels));
  }
  const out: Record<string, ModelSlice> = {};
  for (const model of [...models].sort()) {
    const counters = {} as ModelSlice['counters'];
    for (const concept of COUNTER_CONCEPTS) {
      const mine = Object.values(series.counters[concept] ?? {}).filter(
        (p) => modelOf(p.labels) === model,
      );
      counters[concept] = mine.length > 0 ? sum(mine.map((p) => p.value)) : null;
    }
    const finished = Object.values(series.counters.requestsFinished ?? {}).filter(
      (p) => modelOf(p.labels) === model,
    );
    const histograms: ModelSlice['histograms'] = {};
    for (const concept of HISTOGRAM_CONCEPTS) {
      const mine = Object.values(series.histograms[concept] ?? {})
        .filter((p) => modelOf(p.labels) === model)
        .map((p) => p.histogram);
      if (mine.length > 0) histograms[concept] = sumHistograms(mine);
    }
    out[model] = { counters, requestsByReason: byReason(finished), histograms };
  }
  return out;
}

/** Every metric name the body mentions, with or without samples (for the era). */
function allNames(parsed: ParsedMetrics, index: SampleIndex): Set<string> {
  const names = new Set<string>(parsed.families.keys());
  for (const name of index.keys()) names.add(name);
  return names;
}

/** One scrape reduced to concepts; `timeMs` is the wall-clock time of the scrape. */
export function snapshotFromMetrics(parsed: ParsedMetrics, timeMs: number): VllmSnapshot {
  const index = indexSamples(parsed);
  const names: Record<string, string | null> = {};
  const series: SnapshotSeries = { counters: {}, histograms: {} };
  const createdNames: string[] = [];
  const engines = new Set<string>();
  const noteEngine = (labels: Record<string, string>) => {
    if (labels.engine !== undefined) engines.add(labels.engine);
  };

  const counters = {} as VllmSnapshot['counters'];
  for (const concept of COUNTER_CONCEPTS) {
    const found = findCounter(index, COUNTER_NAMES[concept]);
    names[concept] = found?.name ?? null;
    if (!found) {
      counters[concept] = null;
      continue;
    }
    const parts = counterSeries(found.samples);
    series.counters[concept] = parts;
    counters[concept] = sum(Object.values(parts).map((p) => p.value));
    for (const p of Object.values(parts)) noteEngine(p.labels);
    createdNames.push(found.created);
  }

  const histograms = {} as VllmSnapshot['histograms'];
  for (const concept of HISTOGRAM_CONCEPTS) {
    const found = findHistogram(index, HISTOGRAM_NAMES[concept]);
    names[concept] = found?.name ?? null;
    if (!found) {
      histograms[concept] = null;
      continue;
    }
    series.histograms[concept] = found.series;
    const parts = Object.values(found.series);
    histograms[concept] = sumHistograms(parts.map((p) => p.histogram));
    for (const p of parts) noteEngine(p.labels);
    createdNames.push(`${found.name}_created`);
  }

  const running = gaugeValues(index, GAUGE_NAMES.running);
  const waiting = gaugeValues(index, GAUGE_NAMES.waiting);
  const kv = gaugeValues(index, GAUGE_NAMES.kvCacheUsage);
  names.running = running?.name ?? null;
  names.waiting = waiting?.name ?? null;
  names.kvCacheUsage = kv?.name ?? null;
  const kvValues = kv?.values ?? [];

  const created = createdNames.flatMap((name) => index.get(name) ?? []).map((s) => s.value);
  const starts = (index.get('process_start_time_seconds') ?? []).map((s) => s.value);
  const every = allNames(parsed, index);

  return {
    timeMs,
    engine: engineKind(every),
    names,
    era: eraOf(every),
    counters,
    requestsByReason: byReason(Object.values(series.counters.requestsFinished ?? {})),
    gauges: {
      running: running && running.values.length > 0 ? sum(running.values) : null,
      waiting: waiting && waiting.values.length > 0 ? sum(waiting.values) : null,
      kvCacheUsageMax: kvValues.length > 0 ? Math.max(...kvValues) : null,
      kvCacheUsageMean: kvValues.length > 0 ? sum(kvValues) / kvValues.length : null,
    },
    histograms,
    byModel: modelSlices(series),
    restartMarkers: {
      createdSum: created.length > 0 ? sum(created) : null,
      processStartTimeS: starts.length > 0 ? Math.max(...starts) : null,
      createdMinS: created.length > 0 ? Math.min(...created) : null,
    },
    engines: engines.size > 0 ? engines.size : null,
    series,
  };
}

function engineKind(names: Set<string>): VllmSnapshot['engine'] {
  let sglang = false;
  for (const name of names) {
    if (name.startsWith('vllm:')) return 'vllm';
    if (name.startsWith('sglang:')) sglang = true;
  }
  return sglang ? 'sglang' : 'unknown';
}
