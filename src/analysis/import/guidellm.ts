/**
 * GuideLLM's JSON report (`GenerativeBenchmarksReport`: `{args, benchmarks: [...]}`) → one
 * ImportedStep per benchmark. Metrics are StatusDistributionSummary objects
 * (`{successful, incomplete, errored, total}`, each `{mean, median, max, count, total_sum,
 * percentiles: {p50, p90, p99, …}}`); the scheduling strategy is `config.strategy` (older
 * reports: `args.strategy`) with `type_` and, for constant and poisson, `rate`. GuideLLM keeps
 * only a sample of requests, so no requests.jsonl is written: its totals are used instead.
 */

import type { LatencyStats } from '../../load/types.ts';
import { inputError } from '../../util/errors.ts';
import type { ImportedStep } from './types.ts';

type Json = Record<string, unknown>;

export const isGuidellmReport = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && Array.isArray((value as Json).benchmarks);

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const STATUSES = ['successful', 'incomplete', 'errored'] as const;

/** Sum of `total_sum` over statuses (the `total` entry when present). */
function totalOf(summary: unknown): number | null {
  const s = obj(summary);
  const total = num(obj(s.total).total_sum);
  if (total !== null) return total;
  const parts = STATUSES.map((k) => num(obj(s[k]).total_sum));
  return parts.every((p) => p === null) ? null : parts.reduce<number>((a, p) => a + (p ?? 0), 0);
}

function statsOf(summary: unknown, scale = 1): LatencyStats {
  const s = obj(obj(summary).successful);
  const p = obj(s.percentiles);
  const at = (v: unknown) => {
    const n = num(v);
    return n === null ? null : n * scale;
  };
  return {
    count: num(s.count) ?? 0,
    meanMs: at(s.mean),
    p50Ms: at(p.p50) ?? at(s.median),
    p90Ms: at(p.p90),
    p99Ms: at(p.p99),
    maxMs: at(s.max),
  };
}

function durationOf(b: Json): number | null {
  const direct = num(b.duration);
  if (direct !== null) return direct;
  const start = num(b.start_time);
  const end = num(b.end_time);
  if (start !== null && end !== null) return end - start;
  const sched = obj(b.scheduler_metrics);
  const ms = num(sched.measure_start_time);
  const me = num(sched.measure_end_time);
  return ms !== null && me !== null ? me - ms : null;
}

function modelOf(report: Json, b: Json): string | null {
  const args = obj(report.args);
  for (const v of [args.model, obj(args.backend_kwargs).model, obj(obj(b.config).backend).model]) {
    if (typeof v === 'string' && v) return v;
  }
  return null;
}

function importBenchmark(report: Json, b: Json, index: number, file: string): ImportedStep {
  const where = `${file}: benchmarks[${index}]`;
  const m = obj(b.metrics);
  const durationS = durationOf(b);
  if (durationS === null || !(durationS > 0)) {
    throw inputError(`${where}: no usable duration (duration, start_time/end_time)`);
  }
  const totals = obj(m.request_totals ?? b.request_totals);
  const ok = num(totals.successful) ?? 0;
  const failed = num(totals.errored) ?? 0;
  const incomplete = num(totals.incomplete) ?? 0;

  const outputTokens =
    totalOf(m.output_token_count) ??
    (num(obj(obj(m.output_tokens_per_second).total).mean) ?? 0) * durationS;
  const promptTokens = totalOf(m.prompt_token_count) ?? 0;
  if (
    totalOf(m.output_token_count) === null &&
    num(obj(obj(m.output_tokens_per_second).total).mean) === null
  ) {
    throw inputError(`${where}: no output token counts (metrics.output_token_count)`);
  }

  const strategy = obj(obj(b.config).strategy ?? obj(b.args).strategy);
  const type = typeof strategy.type_ === 'string' ? strategy.type_ : 'unknown';
  const setRate = num(strategy.rate);
  const achieved = num(obj(obj(m.requests_per_second).successful).mean) ?? ok / durationS;
  const fixedRate = (type === 'constant' || type === 'poisson') && setRate !== null && setRate > 0;

  const model = modelOf(report, b);
  const requestType = String(obj(report.args).request_type ?? obj(report.args).backend ?? 'chat');
  const ttftMs = statsOf(m.time_to_first_token_ms);
  return {
    file,
    tool: 'guidellm',
    variant: model ?? 'guidellm',
    model,
    api: requestType.includes('text') && !requestType.includes('chat') ? 'completions' : 'chat',
    rateRps: fixedRate ? (setRate as number) : achieved,
    rateNote: fixedRate ? null : `GuideLLM ${type} strategy: λ shown is the achieved request rate`,
    startedAtMs: num(b.start_time) === null ? null : (num(b.start_time) as number) * 1000,
    durationS,
    sent: ok + failed + incomplete,
    ok,
    failed: failed + incomplete,
    incomplete,
    outputTokens,
    promptTokens,
    latency: {
      ttftMs,
      tpotMs: statsOf(m.time_per_output_token_ms),
      itlMs: statsOf(m.inter_token_latency_ms),
      // request_latency is in seconds.
      e2eMs: statsOf(m.request_latency, 1000),
    },
    maxConcurrentRequests: num(obj(obj(m.request_concurrency).successful).max),
    requests: null,
    settings: { file, benchmark: index, strategy: type, rate: setRate },
  };
}

export function importGuidellm(report: Json, file: string): ImportedStep[] {
  const benchmarks = report.benchmarks as unknown[];
  if (benchmarks.length === 0) throw inputError(`${file}: the GuideLLM report has no benchmarks`);
  return benchmarks.map((b, i) => importBenchmark(report, obj(b), i, file));
}
