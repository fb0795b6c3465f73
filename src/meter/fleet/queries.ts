/**
 * PromQL for fleet mode. Metric names come from the same fallback tables as the telemetry core
 * (V1 names first, then V0 and SGLang), resolved against the names Prometheus actually holds.
 * Several figures of one grouping travel in one query, each tagged with a `meter_stat` label by
 * `label_replace` and joined with `or`, so a reading costs a few dozen queries, not hundreds.
 */

import type { CounterConcept, GaugeConcept, HistogramConcept } from '../../telemetry/types.ts';
import { COUNTER_NAMES, GAUGE_NAMES, HISTOGRAM_NAMES } from '../../telemetry/vllmNames.ts';
import type { LatencyKey, LengthKey } from '../types.ts';

export const STAT_LABEL = 'meter_stat';

export interface FleetNames {
  counters: Record<CounterConcept, string | null>;
  gauges: Record<GaugeConcept, string | null>;
  /** Histogram base names (without `_bucket`). */
  histograms: Record<HistogramConcept, string | null>;
}

/** The first candidate of each concept that Prometheus holds, given the names it holds. */
export function resolveFleetNames(available: Iterable<string>): FleetNames {
  const have = new Set(available);
  const counters = {} as FleetNames['counters'];
  for (const [concept, bases] of Object.entries(COUNTER_NAMES) as [CounterConcept, string[]][]) {
    counters[concept] = bases.flatMap((b) => [`${b}_total`, b]).find((n) => have.has(n)) ?? null;
  }
  const gauges = {} as FleetNames['gauges'];
  for (const [concept, names] of Object.entries(GAUGE_NAMES) as [GaugeConcept, string[]][]) {
    gauges[concept] = names.find((n) => have.has(n)) ?? null;
  }
  const histograms = {} as FleetNames['histograms'];
  for (const [concept, names] of Object.entries(HISTOGRAM_NAMES) as [
    HistogramConcept,
    string[],
  ][]) {
    histograms[concept] = names.find((n) => have.has(`${n}_bucket`)) ?? null;
  }
  return { counters, gauges, histograms };
}

export const HISTOGRAM_OF: Record<LatencyKey | LengthKey, HistogramConcept> = {
  ttft: 'ttft',
  itl: 'itl',
  tpot: 'tpot',
  e2e: 'e2e',
  queue: 'queue',
  prefill: 'prefill',
  decode: 'decode',
  prompt: 'promptLength',
  generation: 'generationLength',
};

export interface QueryContext {
  /** Extra label matchers (already validated), or null. */
  selector: string | null;
  /** Labels to group by, e.g. ['instance', 'model_name'], [] for the total. */
  by: string[];
}

const sel = (name: string, ctx: QueryContext, extra?: string) => {
  const matchers = [extra, ctx.selector].filter(Boolean).join(',');
  return matchers ? `${name}{${matchers}}` : name;
};
const byClause = (labels: string[]) => `by (${labels.join(', ')})`;
const tag = (expr: string, stat: string) =>
  `label_replace(${expr}, "${STAT_LABEL}", "${stat}", "", "")`;

/** Counter rates and gauge deltas of one grouping over `[w]`, tagged by stat. */
export function countersQuery(names: FleetNames, ctx: QueryContext, window: string): string | null {
  const by = byClause(ctx.by);
  const parts: string[] = [];
  const rate = (name: string | null, stat: string) => {
    if (name) parts.push(tag(`sum ${by} (rate(${sel(name, ctx)}[${window}]))`, stat));
  };
  rate(names.counters.generationTokens, 'out');
  rate(names.counters.promptTokens, 'in');
  rate(names.counters.requestsFinished, 'done');
  rate(names.counters.preemptions, 'preempt');
  rate(names.counters.prefixCacheHits, 'hits');
  rate(names.counters.prefixCacheQueries, 'queries');
  // Arrivals ≈ completions + growth of what is in the server (running + waiting) per second.
  for (const [gauge, stat] of [
    [names.gauges.running, 'd_running'],
    [names.gauges.waiting, 'd_waiting'],
  ] as const) {
    if (gauge) parts.push(tag(`sum ${by} (delta(${sel(gauge, ctx)}[${window}]))`, stat));
  }
  return parts.length ? parts.join(' or ') : null;
}

/** p50/p90/p99 through histogram_quantile, mean and count of one histogram, tagged by stat. */
export function histogramQuery(base: string, ctx: QueryContext, window: string): string {
  const by = byClause(ctx.by);
  const byLe = byClause([...ctx.by, 'le']);
  const buckets = `sum ${byLe} (rate(${sel(`${base}_bucket`, ctx)}[${window}]))`;
  const quantiles = (['0.5', '0.9', '0.99'] as const).map((q) =>
    tag(`histogram_quantile(${q}, ${buckets})`, `q${q}`),
  );
  const sum = `sum ${by} (rate(${sel(`${base}_sum`, ctx)}[${window}]))`;
  const count = `sum ${by} (rate(${sel(`${base}_count`, ctx)}[${window}]))`;
  const increase = `sum ${by} (increase(${sel(`${base}_count`, ctx)}[${window}]))`;
  return [...quantiles, tag(`${sum} / ${count}`, 'mean'), tag(increase, 'count')].join(' or ');
}

/** Running, waiting, KV usage (max and mean over engines) and replica count at the instant. */
export function stateQuery(
  names: FleetNames,
  ctx: QueryContext,
  replicaLabel: string,
): string | null {
  const by = byClause(ctx.by);
  const parts: string[] = [];
  if (names.gauges.running)
    parts.push(tag(`sum ${by} (${sel(names.gauges.running, ctx)})`, 'running'));
  if (names.gauges.waiting)
    parts.push(tag(`sum ${by} (${sel(names.gauges.waiting, ctx)})`, 'waiting'));
  if (names.gauges.kvCacheUsage) {
    parts.push(tag(`max ${by} (${sel(names.gauges.kvCacheUsage, ctx)})`, 'kv_max'));
    parts.push(tag(`avg ${by} (${sel(names.gauges.kvCacheUsage, ctx)})`, 'kv_mean'));
  }
  const anchor = names.counters.generationTokens ?? names.gauges.running;
  if (anchor) {
    const inner = byClause([...new Set([...ctx.by, replicaLabel])]);
    parts.push(tag(`count ${by} (count ${inner} (${sel(anchor, ctx)}))`, 'replicas'));
  }
  return parts.length ? parts.join(' or ') : null;
}

/** Tokens and restarts since the meter started (`range` = its age), per grouping. */
export function lifetimeQuery(
  names: FleetNames,
  ctx: QueryContext,
  range: string,
  replicaLabel: string,
): string | null {
  const by = byClause(ctx.by);
  const perReplica = byClause([...new Set([...ctx.by, replicaLabel])]);
  const parts: string[] = [];
  if (names.counters.generationTokens) {
    const gen = sel(names.counters.generationTokens, ctx);
    parts.push(tag(`sum ${by} (increase(${gen}[${range}]))`, 'out_total'));
    // A restart resets every series of the counter at once: count it once per replica.
    parts.push(tag(`sum ${by} (max ${perReplica} (resets(${gen}[${range}])))`, 'restarts'));
  }
  if (names.counters.promptTokens) {
    parts.push(
      tag(`sum ${by} (increase(${sel(names.counters.promptTokens, ctx)}[${range}]))`, 'in_total'),
    );
  }
  return parts.length ? parts.join(' or ') : null;
}

/** `up` of the scrape targets, per replica. */
export function upQuery(ctx: QueryContext, replicaLabel: string): string {
  return `max ${byClause([replicaLabel])} (${sel('up', ctx)})`;
}

/** PromQL range literal for a number of seconds. */
export const range = (seconds: number) => `${Math.max(1, Math.round(seconds))}s`;
