/**
 * Pure assembly of fleet figures from tagged PromQL vectors: each sample carries a `meter_stat`
 * label naming the figure and the grouping labels naming the replica, model or nothing (fleet).
 */

import type { QuantileSummary } from '../../telemetry/types.ts';
import { emptyFigures, type WindowFigures } from '../reading.ts';
import { LATENCY_KEYS, LENGTH_KEYS, type ServerState } from '../types.ts';
import type { VectorSample } from './promqlClient.ts';
import { STAT_LABEL } from './queries.ts';

/** group key → stat → value (NaN and ±Inf kept as Prometheus answered). */
export type StatTable = Map<string, Map<string, number>>;

export const groupKey = (labels: Record<string, string>, by: string[]): string =>
  by.map((l) => labels[l] ?? '').join('|');

export function tableFrom(samples: VectorSample[], by: string[], into: StatTable = new Map()) {
  for (const s of samples) {
    const stat = s.labels[STAT_LABEL];
    if (!stat) continue;
    const key = groupKey(s.labels, by);
    let stats = into.get(key);
    if (!stats) {
      stats = new Map();
      into.set(key, stats);
    }
    stats.set(stat, s.value);
  }
  return into;
}

/** A finite value, or null for missing, NaN (0/0 of an idle window) and infinities. */
const finite = (value: number | undefined): number | null =>
  value === undefined || !Number.isFinite(value) ? null : value;

function quantiles(stats: Map<string, number> | undefined, scale: number): QuantileSummary {
  const at = (stat: string) => {
    const v = finite(stats?.get(stat));
    return v === null ? null : v * scale;
  };
  return {
    p50: at('q0.5'),
    p90: at('q0.9'),
    p99: at('q0.99'),
    mean: at('mean'),
    count: finite(stats?.get('count')),
  };
}

/**
 * Figures of one group over one window: `counters` holds the counter stats of the group,
 * `histograms` maps a latency or length key to its stats.
 */
export function fleetFigures(
  windowSeconds: number,
  counters: Map<string, number> | undefined,
  histograms: Partial<Record<string, Map<string, number>>>,
): WindowFigures {
  const figures = emptyFigures(windowSeconds);
  if (!counters) return figures;
  const get = (stat: string) => finite(counters.get(stat));
  const done = get('done');
  const dRunning = get('d_running');
  const dWaiting = get('d_waiting');
  const hits = get('hits');
  const queries = get('queries');

  figures.spanSeconds = windowSeconds;
  figures.filled = true;
  figures.outputTokensPerS = get('out');
  figures.promptTokensPerS = get('in');
  figures.requestsPerS = done;
  figures.preemptionsPerS = get('preempt');
  figures.arrivalsPerS =
    done === null || dRunning === null
      ? null
      : Math.max(0, done + (dRunning + (dWaiting ?? 0)) / windowSeconds);
  figures.prefixCacheHitRate =
    hits !== null && queries !== null && queries > 0 ? hits / queries : null;
  for (const key of LATENCY_KEYS) figures.latencyMs[key] = quantiles(histograms[key], 1000);
  for (const key of LENGTH_KEYS) figures.lengths[key] = quantiles(histograms[key], 1);
  return figures;
}

export function fleetState(stats: Map<string, number> | undefined): ServerState {
  const get = (stat: string) => finite(stats?.get(stat));
  return {
    running: get('running'),
    waiting: get('waiting'),
    kvCacheUsageMax: get('kv_max'),
    kvCacheUsageMean: get('kv_mean'),
  };
}
