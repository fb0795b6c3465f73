/**
 * The meter's own Prometheus metrics (`vllm_cost_meter_*`), in a private prom-client Registry so
 * nothing else in the process leaks into them. Gauges are rebuilt from each reading, so a
 * replica that disappears stops being exported; counters only ever grow by the reading's deltas.
 * Units follow Prometheus conventions: seconds, ratios 0–1, USD.
 */

import { Counter, Gauge, Registry } from 'prom-client';
import { windowLabel } from './config.ts';
import type { MeterReading, ScopeReading, WindowReading } from './types.ts';
import { LATENCY_KEYS, LENGTH_KEYS } from './types.ts';

const P = 'vllm_cost_meter_';
const BASE = ['scope', 'replica', 'model', 'gpu'] as const;
const WIN = [...BASE, 'window'] as const;
// Not `quantile`: that label belongs to summaries, and promtool says so.
const STATS = ['p50', 'p90', 'p99', 'mean'] as const;

type Labels = Record<string, string>;

export interface MeterExporter {
  registry: Registry;
  update(reading: MeterReading): void;
  metrics(): Promise<string>;
  contentType: string;
}

export function createExporter(): MeterExporter {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: readonly string[]) =>
    new Gauge({ name: P + name, help, labelNames: [...labelNames], registers: [registry] });
  const counter = (name: string, help: string, labelNames: readonly string[]) =>
    new Counter({ name: P + name, help, labelNames: [...labelNames], registers: [registry] });

  const g = {
    cEff: gauge(
      'cost_usd_per_million_output_tokens',
      'C_eff: node price per hour over output tokens per hour in the window (+Inf when idle)',
      WIN,
    ),
    cIn: gauge('cost_usd_per_million_input_tokens', 'Node price over prompt tokens', WIN),
    cReq: gauge('cost_usd_per_request', 'Node price over completed requests', WIN),
    penalty: gauge(
      'underutilization_penalty_ratio',
      'C_eff / C_naive = theta_max / theta against the matched paper reference',
      WIN,
    ),
    idle: gauge('idle', '1 when the window produced no output token', WIN),
    span: gauge('window_span_seconds', 'Time covered by the samples of the window', WIN),
    outTps: gauge('output_tokens_per_second', 'Generated tokens per second', WIN),
    inTps: gauge('prompt_tokens_per_second', 'Prompt tokens per second', WIN),
    rps: gauge('completed_requests_per_second', 'Finished requests per second', WIN),
    arrivals: gauge(
      'arrivals_per_second',
      'Estimated arrivals: completions plus the change in running and waiting',
      WIN,
    ),
    preempt: gauge('preemptions_per_second', 'Scheduler preemptions per second', WIN),
    latency: gauge(
      'latency_seconds',
      'Latency from windowed histogram deltas: p50/p90/p99 interpolated in the bucket as ' +
        'histogram_quantile does, mean from the sum and count',
      [...WIN, 'metric', 'stat'],
    ),
    length: gauge(
      'request_length_tokens',
      'Prompt and generation lengths of the requests finished in the window',
      [...WIN, 'kind', 'stat'],
    ),
    prefix: gauge('prefix_cache_hit_ratio', 'Prefix-cache hits over queries, in tokens', WIN),
    sloMet: gauge('slo_met', '1 when the p99 of the metric is within its declared bound', [
      ...WIN,
      'metric',
    ]),
    sloBound: gauge('slo_bound_seconds', 'Declared p99 bound', [...BASE, 'metric']),
    cNaive: gauge(
      'naive_cost_usd_per_million_output_tokens',
      'C_naive: the cost at the reference saturation throughput theta_max, at this price',
      [...BASE, 'reference'],
    ),
    thetaMax: gauge(
      'reference_throughput_tokens_per_second',
      'theta_max of the matched paper reference',
      [...BASE, 'reference'],
    ),
    running: gauge('requests_running', 'Requests in the running batch', BASE),
    waiting: gauge('requests_waiting', 'Requests waiting to be scheduled', BASE),
    kv: gauge('kv_cache_usage_ratio', 'KV-cache block occupancy across engines', [...BASE, 'stat']),
    nodeUsd: gauge('node_cost_usd_per_hour', 'Price per hour of the GPUs metered', BASE),
    replicas: gauge('replicas', 'Replicas contributing to the scope', BASE),
    up: gauge('up', '1 when the last sample of the scope succeeded', BASE),
    cumCost: gauge(
      'cumulative_cost_usd_per_million_output_tokens',
      'Dollars spent over output tokens since the meter started, idle time included',
      BASE,
    ),
    info: gauge('info', 'Source, server version and vLLM metric era', [
      'mode',
      'source',
      'server_version',
      'vllm_era',
    ]),
  };
  const c = {
    usd: counter('spent_usd_total', 'Dollars spent since the meter started', BASE),
    outTok: counter('output_tokens_total', 'Output tokens since the meter started', BASE),
    inTok: counter('prompt_tokens_total', 'Prompt tokens since the meter started', BASE),
    restarts: counter('server_restarts_total', 'Counter resets seen (server restarts)', BASE),
    gaps: counter('gaps_total', 'Gaps in the record: unreachable periods and restarts', []),
  };
  const lastCounter = new Map<string, number>();

  /** Counters follow the reading's running totals by their increase since the last update. */
  const follow = (metric: Counter, labels: Labels, total: number) => {
    const key = `${(metric as unknown as { name: string }).name}|${JSON.stringify(labels)}`;
    const delta = total - (lastCounter.get(key) ?? 0);
    if (delta > 0) metric.inc(labels, delta);
    else if (!lastCounter.has(key)) metric.inc(labels, 0);
    lastCounter.set(key, Math.max(total, lastCounter.get(key) ?? 0));
  };
  const set = (metric: Gauge, labels: Labels, value: number | null | undefined) => {
    if (value !== null && value !== undefined && !Number.isNaN(value)) metric.set(labels, value);
  };

  const updateWindow = (base: Labels, w: WindowReading) => {
    const labels = { ...base, window: windowLabel(w.windowSeconds) };
    set(g.span, labels, w.spanSeconds);
    set(g.cEff, labels, w.cost.cEffUsdPerMTok);
    set(g.cIn, labels, w.cost.usdPerMInputTok);
    set(g.cReq, labels, w.cost.usdPerRequest);
    set(g.penalty, labels, w.cost.penalty);
    if (w.outputTokensPerS !== null) set(g.idle, labels, w.cost.idle ? 1 : 0);
    set(g.outTps, labels, w.outputTokensPerS);
    set(g.inTps, labels, w.promptTokensPerS);
    set(g.rps, labels, w.requestsPerS);
    set(g.arrivals, labels, w.arrivalsPerS);
    set(g.preempt, labels, w.preemptionsPerS);
    set(g.prefix, labels, w.prefixCacheHitRate);
    for (const metric of LATENCY_KEYS) {
      for (const stat of STATS) {
        const ms = w.latencyMs[metric][stat];
        set(g.latency, { ...labels, metric, stat }, ms === null ? null : ms / 1000);
      }
    }
    for (const kind of LENGTH_KEYS) {
      for (const stat of STATS) set(g.length, { ...labels, kind, stat }, w.lengths[kind][stat]);
    }
    for (const check of w.slo?.checks ?? []) {
      if (check.ok !== null) set(g.sloMet, { ...labels, metric: check.metric }, check.ok ? 1 : 0);
    }
  };

  const updateScope = (gpu: string, scope: ScopeReading) => {
    const base = { scope: scope.scope, replica: scope.replica, model: scope.model, gpu };
    set(g.up, base, scope.up ? 1 : 0);
    set(g.nodeUsd, base, scope.nodeHourlyUsd);
    set(g.replicas, base, scope.replicas);
    set(g.running, base, scope.state.running);
    set(g.waiting, base, scope.state.waiting);
    set(g.kv, { ...base, stat: 'max' }, scope.state.kvCacheUsageMax);
    set(g.kv, { ...base, stat: 'mean' }, scope.state.kvCacheUsageMean);
    if (scope.reference) {
      const refLabels = { ...base, reference: scope.reference.id };
      set(g.cNaive, refLabels, scope.reference.cNaiveUsdPerMTok);
      set(g.thetaMax, refLabels, scope.reference.thetaMaxTokPerS);
    }
    for (const w of scope.windows) updateWindow(base, w);
    for (const check of scope.windows[0]?.slo?.checks ?? []) {
      set(g.sloBound, { ...base, metric: check.metric }, check.maxMs / 1000);
    }
    follow(c.restarts, base, scope.restarts);
    if (scope.cumulative) {
      set(g.cumCost, base, scope.cumulative.usdPerMOutputTok);
      follow(c.usd, base, scope.cumulative.usd);
      follow(c.outTok, base, scope.cumulative.outputTokens);
      follow(c.inTok, base, scope.cumulative.promptTokens);
    }
  };

  return {
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    update(reading) {
      for (const metric of Object.values(g)) metric.reset();
      g.info.set(
        {
          mode: reading.mode,
          source: reading.source,
          server_version: reading.serverVersion ?? 'unknown',
          vllm_era: reading.vllmEra ?? 'unknown',
        },
        1,
      );
      for (const scope of reading.scopes) updateScope(reading.gpu.label, scope);
      follow(c.gaps, {}, reading.gapsTotal);
    },
  };
}
