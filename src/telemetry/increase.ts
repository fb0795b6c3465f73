/**
 * Reset-safe increases across a run of snapshots, per series, the way Prometheus' `increase()`
 * treats a counter: between two scrapes the increase is `cur − prev`, unless the counter fell
 * (a reset: the increase is then `cur`, what was counted since the restart). A restart that the
 * markers show (`process_start_time_seconds`, the earliest `_created`) counts as a reset of every
 * series even when no counter fell. Prometheus' range extrapolation is not applied: a window is
 * exactly the span between its first and last scrape.
 */

import { histogramDelta, histogramReset, sumHistograms } from './histogram.ts';
import type {
  CounterConcept,
  CounterReset,
  HistogramConcept,
  HistogramData,
  SeriesHistogram,
  SeriesValue,
  SnapshotSeries,
  VllmSnapshot,
} from './types.ts';
import { COUNTER_CONCEPTS, HISTOGRAM_CONCEPTS } from './vllmModel.ts';

/** JSON turns NaN into null; read such a value back as NaN rather than as 0. */
const num = (x: unknown): number => (typeof x === 'number' ? x : Number.NaN);

function readHistogram(h: HistogramData): HistogramData {
  return {
    buckets: h.buckets.map((b) => ({ le: num(b.le), count: num(b.count) })),
    count: num(h.count),
    sum: num(h.sum),
  };
}

/**
 * The per-series parts of a snapshot. Snapshots built without `series` (older telemetry files)
 * fall back to one series per model (from `byModel`) or one series in all.
 */
export function seriesOf(snap: VllmSnapshot): SnapshotSeries {
  if (snap.series) return snap.series;
  const out: SnapshotSeries = { counters: {}, histograms: {} };
  const slices = Object.entries(snap.byModel ?? {});
  const sources =
    slices.length > 0
      ? slices.map(([model, slice]) => ({ labels: { model_name: model }, ...slice }))
      : [{ labels: {}, ...snap }];
  for (const src of sources) {
    for (const concept of COUNTER_CONCEPTS) {
      const value = src.counters[concept];
      if (value === null || value === undefined) continue;
      const parts = out.counters[concept] ?? {};
      out.counters[concept] = parts;
      const reasons = concept === 'requestsFinished' ? src.requestsByReason : null;
      if (reasons) {
        for (const [reason, count] of Object.entries(reasons)) {
          const labels = { ...src.labels, finished_reason: reason };
          parts[JSON.stringify(labels)] = { labels, value: count };
        }
      } else {
        parts[JSON.stringify(src.labels)] = { labels: src.labels, value };
      }
    }
    for (const concept of HISTOGRAM_CONCEPTS) {
      const histogram = src.histograms[concept];
      if (!histogram) continue;
      const parts = out.histograms[concept] ?? {};
      out.histograms[concept] = parts;
      parts[JSON.stringify(src.labels)] = { labels: src.labels, histogram };
    }
  }
  return out;
}

/** Why a pair of scrapes counts as a restart of the server, or null. */
export function restartBetween(prev: VllmSnapshot, cur: VllmSnapshot): CounterReset | null {
  const a = prev.restartMarkers;
  const b = cur.restartMarkers;
  if (a?.processStartTimeS != null && b?.processStartTimeS != null) {
    if (a.processStartTimeS !== b.processStartTimeS) {
      return {
        concept: 'processStartTimeS',
        atMs: cur.timeMs,
        before: a.processStartTimeS,
        after: b.processStartTimeS,
      };
    }
    return null;
  }
  if (a?.createdMinS != null && b?.createdMinS != null && a.createdMinS !== b.createdMinS) {
    return {
      concept: 'createdMinS',
      atMs: cur.timeMs,
      before: a.createdMinS,
      after: b.createdMinS,
    };
  }
  return null;
}

export interface Increases {
  /** Per concept: series key → labels and increase; absent when the concept is null at the end. */
  counters: Partial<Record<CounterConcept, Map<string, SeriesValue>>>;
  histograms: Partial<Record<HistogramConcept, Map<string, SeriesHistogram>>>;
  resets: CounterReset[];
}

/** Increases of every counter and histogram over consecutive snapshots (time-ordered). */
export function increasesOver(snapshots: VllmSnapshot[]): Increases {
  const views = snapshots.map(seriesOf);
  const last = views[views.length - 1]!;
  const out: Increases = { counters: {}, histograms: {}, resets: [] };

  const restarts: Array<CounterReset | null> = [];
  for (let k = 1; k < snapshots.length; k++) {
    const restart = restartBetween(snapshots[k - 1]!, snapshots[k]!);
    restarts.push(restart);
    if (restart) out.resets.push(restart);
  }

  for (const concept of COUNTER_CONCEPTS) {
    if (!last.counters[concept]) continue;
    const acc = new Map<string, SeriesValue>();
    for (let k = 1; k < views.length; k++) {
      const prev = views[k - 1]!.counters[concept] ?? {};
      const cur = views[k]!.counters[concept] ?? {};
      let fellBefore = 0;
      let fellAfter = 0;
      let fell = false;
      for (const [key, part] of Object.entries(cur)) {
        const now = num(part.value);
        const before = prev[key] === undefined ? undefined : num(prev[key]!.value);
        let increase: number;
        if (before === undefined || restarts[k - 1] !== null) increase = now;
        else if (now < before) {
          increase = now;
          fell = true;
          fellBefore += before;
          fellAfter += now;
        } else increase = now - before;
        const seen = acc.get(key);
        acc.set(key, { labels: part.labels, value: (seen?.value ?? 0) + increase });
      }
      if (fell) {
        const atMs = snapshots[k]!.timeMs;
        out.resets.push({ concept, atMs, before: fellBefore, after: fellAfter });
      }
    }
    out.counters[concept] = acc;
  }

  for (const concept of HISTOGRAM_CONCEPTS) {
    if (!last.histograms[concept]) continue;
    const acc = new Map<string, SeriesHistogram>();
    for (let k = 1; k < views.length; k++) {
      const prev = views[k - 1]!.histograms[concept] ?? {};
      const cur = views[k]!.histograms[concept] ?? {};
      let fellBefore = 0;
      let fellAfter = 0;
      let fell = false;
      for (const [key, part] of Object.entries(cur)) {
        const now = readHistogram(part.histogram);
        const was = prev[key] === undefined ? null : readHistogram(prev[key]!.histogram);
        const restarted = restarts[k - 1] !== null;
        const delta = histogramDelta(restarted ? null : was, now);
        if (was !== null && !restarted && histogramReset(was, now)) {
          fell = true;
          fellBefore += was.count;
          fellAfter += now.count;
        }
        const seen = acc.get(key);
        const histogram = seen ? sumHistograms([seen.histogram, delta])! : delta;
        acc.set(key, { labels: part.labels, histogram });
      }
      if (fell) {
        const atMs = snapshots[k]!.timeMs;
        out.resets.push({ concept, atMs, before: fellBefore, after: fellAfter });
      }
    }
    out.histograms[concept] = acc;
  }
  return out;
}
