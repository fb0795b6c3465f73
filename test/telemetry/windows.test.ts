/**
 * Window maths on synthetic pairs whose answers are worked out by hand in the comments. Every
 * body goes through the parser, so the suite runs once per exposition format.
 */

import { describe, expect, it } from 'vitest';
import { parsePromText } from '../../src/telemetry/promText.ts';
import type { VllmSnapshot } from '../../src/telemetry/types.ts';
import { snapshotFromMetrics } from '../../src/telemetry/vllmModel.ts';
import { windowBetween, windowOverSnapshots } from '../../src/telemetry/windows.ts';
import { FORMATS, readSynthetic } from './helpers/formats.ts';

const T = 1_800_000_000_000;

describe.each(FORMATS)('window maths under $format', ({ format, convert }) => {
  const snap = (text: string, timeMs: number): VllmSnapshot => {
    const parsed = parsePromText(convert(text));
    expect(parsed.format).toBe(format);
    return snapshotFromMetrics(parsed, timeMs);
  };

  describe('data-parallel pair (test/fixtures/metrics/dp2-a.txt → dp2-b.txt, 10 s)', () => {
    const a = () => snap(readSynthetic('dp2-a.txt'), T);
    const b = () => snap(readSynthetic('dp2-b.txt'), T + 10_000);

    it('sums counters across engines and keeps the finished_reason breakdown', () => {
      const w = windowBetween(a(), b());
      expect(w.windowSeconds).toBe(10);
      // generation: e0 1000→1600 (+600), e1 3000→4200 (+1200): 1800 → 180 /s
      expect(w.increases.outputTokens).toBe(1800);
      expect(w.rates.outputTokensPerS).toBe(180);
      // prompt: e0 +1000, e1 +2000 → 300 /s; preemptions e1 1→3: 0.2 /s
      expect(w.rates.promptTokensPerS).toBe(300);
      expect(w.rates.preemptionsPerS).toBe(0.2);
      // stop: e0 10→16 (+6), e1 20→28 (+8) = 14; length: +4 +2 = 6; abort: 0 → 20 done, 2 /s
      expect(w.increases.requestsByReason).toEqual({ stop: 14, length: 6, abort: 0 });
      expect(w.rates.requestsPerSByReason).toEqual({ stop: 1.4, length: 0.6, abort: 0 });
      expect(w.rates.requestsPerS).toBe(2);
      // arrivals: 20 done + in flight (4+6+1+3 = 14) − (3+5+0+2 = 10) = 24 → 2.4 /s
      expect(w.rates.arrivalsPerS).toBeCloseTo(2.4, 12);
      // prefix cache: hits +600 +300 = 900 of queries +1000 +2000 = 3000 → 0.3
      expect(w.prefixCacheHitRate).toBeCloseTo(0.3, 12);
      // gauges at the end: running 4+6, waiting 1+3, KV max(0.3, 0.7), mean 0.5
      expect(w.state).toEqual({
        running: 10,
        waiting: 4,
        kvCacheUsageMax: 0.7,
        kvCacheUsageMean: 0.5,
      });
      expect(w.resets).toEqual([]);
      expect(w.byModel).toEqual({ 'org/m': { outputTokensPerS: 180, requestsPerS: 2 } });
    });

    it('quantiles at a bucket edge, inside a bucket and in +Inf; means from Δsum/Δcount', () => {
      const w = windowBetween(a(), b());
      // TTFT Δ: e0 (0.1:0, 0.5:4, 1:7, +Inf:8, sum 4), e1 (0.1:2, 0.5:6, 1:10, +Inf:12,
      // sum 4.8) → 0.1:2, 0.5:10, 1:17, +Inf:20. p50 rank 10 = count at 0.5: the edge, 500 ms.
      // p90 rank 18 > 17: in +Inf → largest finite bound, 1000 ms. Mean 8.8/20 = 0.44 s.
      expect(w.latencyMs.ttft).toEqual({
        p50: 500,
        p90: 1000,
        p99: 1000,
        mean: expect.closeTo(440, 9),
        count: 20,
      });
      // E2E Δ: 1:0, 5:4+10 = 14, 10:6+11 = 17, +Inf 20, sum 40+70 = 110. p50 rank 10 inside
      // (1, 5]: 1 + 4 × 10/14 = 3.857143 s. Mean 110/20 = 5.5 s.
      expect(w.latencyMs.e2e.p50).toBeCloseTo((1 + (4 * 10) / 14) * 1000, 9);
      expect(w.latencyMs.e2e.p90).toBe(10_000);
      expect(w.latencyMs.e2e.mean).toBeCloseTo(5500, 9);
      // Little's law: in flight (10 + 14)/2 = 12 vs 2 /s × 5.5 s = 11 → ratio 12/11.
      expect(w.littlesLaw.meanInFlight).toBe(12);
      expect(w.littlesLaw.predicted).toBeCloseTo(11, 12);
      expect(w.littlesLaw.ratio).toBeCloseTo(12 / 11, 12);
      // Histograms the server does not expose stay null.
      expect(w.latencyMs.tpot).toEqual({
        p50: null,
        p90: null,
        p99: null,
        mean: null,
        count: null,
      });
    });

    it('records the names used and counts the engines', () => {
      const s = b();
      expect(s.engines).toBe(2);
      expect(s.era).toBe('v1');
      expect(s.names.requestsFinished).toBe('vllm:request_success_total');
      expect(s.restartMarkers.processStartTimeS).toBe(1.7999999e9);
      // 5 counters × 2 engines of _created at 1.7999999012e9
      expect(s.restartMarkers.createdSum).toBeCloseTo(10 * 1.7999999012e9, 0);
      expect(s.restartMarkers.createdMinS).toBe(1.7999999012e9);
    });
  });

  it('one engine restarts between samples: per-series reset, never negative or inflated', () => {
    const body = (g0: number, g1: number, ttft1: [number, number, number]) => `
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="m"} ${g0}
vllm:generation_tokens_total{engine="1",model_name="m"} ${g1}
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="1.0",model_name="m"} 10
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="m"} 10
vllm:time_to_first_token_seconds_count{engine="0",model_name="m"} 10
vllm:time_to_first_token_seconds_sum{engine="0",model_name="m"} 4
vllm:time_to_first_token_seconds_bucket{engine="1",le="1.0",model_name="m"} ${ttft1[0]}
vllm:time_to_first_token_seconds_bucket{engine="1",le="+Inf",model_name="m"} ${ttft1[1]}
vllm:time_to_first_token_seconds_count{engine="1",model_name="m"} ${ttft1[1]}
vllm:time_to_first_token_seconds_sum{engine="1",model_name="m"} ${ttft1[2]}
`;
    const prev = snap(body(1000, 5000, [50, 60, 40]), T);
    const cur = snap(body(1400, 300, [3, 4, 6]), T + 20_000);
    const w = windowBetween(prev, cur);
    // Engine 0: +400. Engine 1 fell 5000 → 300: a reset, so +300 counted since it. Total 700,
    // 35 /s. (The sums 6000 → 1700 would read as −4300; resetting the sum would give 1700.)
    expect(w.increases.outputTokens).toBe(700);
    expect(w.rates.outputTokensPerS).toBe(35);
    expect(w.resets).toEqual([
      { concept: 'generationTokens', atMs: T + 20_000, before: 5000, after: 300 },
      { concept: 'ttft', atMs: T + 20_000, before: 60, after: 4 },
    ]);
    // TTFT: engine 0 unchanged (Δ 0); engine 1 restarted, so its new histogram counts whole:
    // ≤1 s: 3, +Inf: 4, sum 6 → p50 rank 2 in (0, 1]: 1 × 2/3 s; p90 rank 3.6 in +Inf → 1 s.
    expect(w.latencyMs.ttft.count).toBe(4);
    expect(w.latencyMs.ttft.p50).toBeCloseTo((2 / 3) * 1000, 9);
    expect(w.latencyMs.ttft.p90).toBe(1000);
    expect(w.latencyMs.ttft.mean).toBe(1500);
  });

  it('a restart visible only in process_start_time_seconds still resets every counter', () => {
    const body = (start: number, tokens: number) => `
# TYPE process_start_time_seconds gauge
process_start_time_seconds ${start}
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="m"} ${tokens}
`;
    // The new process counted 900 tokens, more than the old one's 500: no counter fell.
    // Prometheus' increase() would say 400; everything since the restart is 900.
    const w = windowBetween(snap(body(1.7e9, 500), T), snap(body(1.7e9 + 60, 900), T + 10_000));
    expect(w.increases.outputTokens).toBe(900);
    expect(w.resets).toEqual([
      { concept: 'processStartTimeS', atMs: T + 10_000, before: 1.7e9, after: 1.7e9 + 60 },
    ]);
  });

  it('an empty window: rates 0, quantiles and means null, counts 0', () => {
    const text = readSynthetic('dp2-b.txt');
    const w = windowBetween(snap(text, T), snap(text, T + 5_000));
    expect(w.rates.outputTokensPerS).toBe(0);
    expect(w.rates.requestsPerS).toBe(0);
    expect(w.rates.requestsPerSByReason).toEqual({ stop: 0, length: 0, abort: 0 });
    expect(w.rates.arrivalsPerS).toBe(0);
    expect(w.latencyMs.ttft).toEqual({ p50: null, p90: null, p99: null, mean: null, count: 0 });
    expect(w.lengths.prompt).toEqual({ p50: null, p90: null, p99: null, mean: null, count: null });
    expect(w.prefixCacheHitRate).toBeNull(); // 0 hits of 0 queries
    expect(w.littlesLaw).toEqual({ meanInFlight: 14, predicted: null, ratio: null });
  });

  it('NaN values: a NaN gauge is skipped, a NaN sum leaves quantiles, a NaN counter is null', () => {
    const body = (tokens: string, sum: string, count: number) => `
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m"} NaN
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.4
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="m"} ${tokens}
# TYPE vllm:e2e_request_latency_seconds histogram
vllm:e2e_request_latency_seconds_bucket{engine="0",le="2.0",model_name="m"} ${count}
vllm:e2e_request_latency_seconds_bucket{engine="0",le="+Inf",model_name="m"} ${count}
vllm:e2e_request_latency_seconds_count{engine="0",model_name="m"} ${count}
vllm:e2e_request_latency_seconds_sum{engine="0",model_name="m"} ${sum}
`;
    const w = windowBetween(snap(body('10', '1.0', 2), T), snap(body('NaN', 'NaN', 6), T + 1000));
    expect(w.state.kvCacheUsageMax).toBe(0.4);
    expect(w.state.kvCacheUsageMean).toBe(0.4);
    expect(w.rates.outputTokensPerS).toBeNull();
    // e2e Δ: ≤2 s: 4 of 4 → p50 rank 2 in (0, 2]: 2 × 2/4 = 1 s; mean NaN/4 → null.
    expect(w.latencyMs.e2e).toEqual({ p50: 1000, p90: 1800, p99: 1980, mean: null, count: 4 });
  });

  it('renamed metrics across versions give the same window under either name set', () => {
    const body = (v1: boolean, k: number) => `
# TYPE ${v1 ? 'vllm:kv_cache_usage_perc' : 'vllm:gpu_cache_usage_perc'} gauge
${v1 ? 'vllm:kv_cache_usage_perc' : 'vllm:gpu_cache_usage_perc'}{model_name="m"} ${0.1 * k}
# TYPE ${v1 ? 'vllm:prefix_cache_hits_total' : 'vllm:gpu_prefix_cache_hits_total'} counter
${v1 ? 'vllm:prefix_cache_hits_total' : 'vllm:gpu_prefix_cache_hits_total'}{model_name="m"} ${100 * k}
# TYPE ${v1 ? 'vllm:prefix_cache_queries_total' : 'vllm:gpu_prefix_cache_queries_total'} counter
${v1 ? 'vllm:prefix_cache_queries_total' : 'vllm:gpu_prefix_cache_queries_total'}{model_name="m"} ${400 * k}
# TYPE ${v1 ? 'vllm:inter_token_latency_seconds' : 'vllm:time_per_output_token_seconds'} histogram
${v1 ? 'vllm:inter_token_latency_seconds' : 'vllm:time_per_output_token_seconds'}_bucket{le="0.05",model_name="m"} ${30 * k}
${v1 ? 'vllm:inter_token_latency_seconds' : 'vllm:time_per_output_token_seconds'}_bucket{le="+Inf",model_name="m"} ${40 * k}
${v1 ? 'vllm:inter_token_latency_seconds' : 'vllm:time_per_output_token_seconds'}_count{model_name="m"} ${40 * k}
${v1 ? 'vllm:inter_token_latency_seconds' : 'vllm:time_per_output_token_seconds'}_sum{model_name="m"} ${1.6 * k}
# TYPE ${v1 ? 'vllm:request_queue_time_seconds' : 'vllm:time_in_queue_requests'} histogram
${v1 ? 'vllm:request_queue_time_seconds' : 'vllm:time_in_queue_requests'}_bucket{le="0.3",model_name="m"} ${2 * k}
${v1 ? 'vllm:request_queue_time_seconds' : 'vllm:time_in_queue_requests'}_bucket{le="+Inf",model_name="m"} ${2 * k}
${v1 ? 'vllm:request_queue_time_seconds' : 'vllm:time_in_queue_requests'}_count{model_name="m"} ${2 * k}
${v1 ? 'vllm:request_queue_time_seconds' : 'vllm:time_in_queue_requests'}_sum{model_name="m"} ${0.02 * k}
`;
    const window = (v1: boolean) =>
      windowBetween(snap(body(v1, 1), T), snap(body(v1, 3), T + 4000));
    const current = window(true);
    const legacy = window(false);
    // Hits +200 of queries +800 → 0.25. ITL Δ: ≤0.05: 60 of 80 → p50 rank 40 in (0, 0.05]:
    // 0.05 × 40/60 s = 33.33 ms; p90 rank 72 > 60 → +Inf → 50 ms; mean 3.2/80 = 40 ms.
    for (const w of [current, legacy]) {
      expect(w.prefixCacheHitRate).toBeCloseTo(0.25, 12);
      expect(w.latencyMs.itl.p50).toBeCloseTo((0.05 * 40 * 1000) / 60, 9);
      expect(w.latencyMs.itl.p90).toBe(50);
      expect(w.latencyMs.itl.mean).toBeCloseTo(40, 9);
      // Queue Δ: 4 observations ≤ 0.3 s: p50 150 ms from the buckets, mean 0.04/4 = 10 ms.
      expect(w.latencyMs.queue.p50).toBeCloseTo(150, 9);
      expect(w.latencyMs.queue.mean).toBeCloseTo(10, 9);
      expect(w.state.kvCacheUsageMax).toBeCloseTo(0.3, 12);
    }
    expect(current.vllmNames.era).toBe('v1');
    expect(legacy.vllmNames.era).toBe('v0');
    expect(legacy.vllmNames.names).toMatchObject({
      kvCacheUsage: 'vllm:gpu_cache_usage_perc',
      prefixCacheHits: 'vllm:gpu_prefix_cache_hits_total',
      itl: 'vllm:time_per_output_token_seconds',
      queue: 'vllm:time_in_queue_requests',
      tpot: null,
    });
  });

  it('counters exposed without the _total suffix are read too', () => {
    const body = (n: number) =>
      `# TYPE vllm:generation_tokens gauge\nvllm:generation_tokens ${n}\n`;
    const w = windowBetween(snap(body(10), T), snap(body(70), T + 2000));
    expect(w.rates.outputTokensPerS).toBe(30);
    expect(w.vllmNames.names.generationTokens).toBe('vllm:generation_tokens');
    // No model_name label: the breakdown keys it under '', as the snapshot's byModel does.
    expect(w.byModel).toEqual({ '': { outputTokensPerS: 30, requestsPerS: null } });
  });

  it('a KV gauge repeated per process (pid label) collapses with max, per engine', () => {
    const s = snap(
      `# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m",pid="101"} 0.2
vllm:kv_cache_usage_perc{engine="0",model_name="m",pid="102"} 0.4
vllm:kv_cache_usage_perc{engine="1",model_name="m",pid="103"} 0.1
`,
      T,
    );
    // engine 0: max(0.2, 0.4) = 0.4; engine 1: 0.1 → max 0.4, mean (0.4 + 0.1)/2 = 0.25.
    expect(s.gauges.kvCacheUsageMax).toBe(0.4);
    expect(s.gauges.kvCacheUsageMean).toBe(0.25);
  });

  it("SGLang's names map to the same concepts", () => {
    const body = (k: number) => `
# TYPE sglang:prompt_tokens_total counter
sglang:prompt_tokens_total{model_name="q"} ${1000 * k}
# TYPE sglang:generation_tokens_total counter
sglang:generation_tokens_total{model_name="q"} ${500 * k}
# TYPE sglang:cached_tokens_total counter
sglang:cached_tokens_total{model_name="q"} ${250 * k}
# TYPE sglang:num_requests_total counter
sglang:num_requests_total{model_name="q"} ${4 * k}
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{model_name="q"} ${k}
# TYPE sglang:num_queue_reqs gauge
sglang:num_queue_reqs{model_name="q"} 0
# TYPE sglang:token_usage gauge
sglang:token_usage{model_name="q"} 0.5
`;
    const w = windowBetween(snap(body(1), T), snap(body(2), T + 5000));
    expect(w.rates.promptTokensPerS).toBe(200);
    expect(w.rates.outputTokensPerS).toBe(100);
    expect(w.rates.requestsPerS).toBe(0.8);
    expect(w.rates.requestsPerSByReason).toBeNull();
    // Arrivals: 4 done + running 2 − 1 = 5 in 5 s → 1 /s. Cache: 250 of 1000 prompt tokens.
    expect(w.rates.arrivalsPerS).toBe(1);
    expect(w.prefixCacheHitRate).toBe(0.25);
    expect(w.state.kvCacheUsageMax).toBe(0.5);
    expect(w.vllmNames.era).toBeNull();
    expect(snap(body(1), T).engine).toBe('sglang');
  });

  it('several models: totals sum them, byModel keeps them apart', () => {
    const body = (a: number, b: number) => `
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{model_name="a"} ${a}
vllm:generation_tokens_total{model_name="b"} ${b}
# TYPE vllm:request_success_total counter
vllm:request_success_total{finished_reason="stop",model_name="a"} ${a / 100}
vllm:request_success_total{finished_reason="stop",model_name="b"} ${b / 100}
`;
    const w = windowBetween(snap(body(100, 1000), T), snap(body(300, 1600), T + 2000));
    // a: +200 tokens, +2 requests; b: +600, +6; over 2 s.
    expect(w.rates.outputTokensPerS).toBe(400);
    expect(w.byModel).toEqual({
      a: { outputTokensPerS: 100, requestsPerS: 1 },
      b: { outputTokensPerS: 300, requestsPerS: 3 },
    });
  });

  it('over several scrapes, a reset in the middle is counted once and rates stay right', () => {
    const body = (n: number, running: number) => `
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="m"} ${n}
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} ${running}
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="m"} 0
`;
    const series = [
      snap(body(100, 2), T),
      snap(body(400, 4), T + 10_000),
      snap(body(50, 0), T + 20_000),
      snap(body(250, 6), T + 40_000),
    ];
    const w = windowOverSnapshots(series);
    // +300, reset → +50, +200: 550 over 40 s = 13.75 /s.
    expect(w.increases.outputTokens).toBe(550);
    expect(w.rates.outputTokensPerS).toBe(13.75);
    expect(w.resets).toEqual([
      { concept: 'generationTokens', atMs: T + 20_000, before: 400, after: 50 },
    ]);
    // Time-weighted in flight: (2+4)/2×10 + (4+0)/2×10 + (0+6)/2×20 = 30+20+60 = 110 / 40 s.
    expect(w.littlesLaw.meanInFlight).toBe(2.75);
  });

  it('a single sample gives totals; every window field is null', () => {
    const w = windowBetween(null, snap(readSynthetic('dp2-a.txt'), T));
    expect(w.windowSeconds).toBeNull();
    expect(w.startMs).toBeNull();
    expect(w.endMs).toBe(T);
    expect(Object.values(w.rates).every((v) => v === null)).toBe(true);
    expect(Object.values(w.increases).every((v) => v === null)).toBe(true);
    // generation 1000 + 3000; requests 10+5+1 + 20+0+0 = 36; hits 1000 of 12000 queries.
    expect(w.totals).toMatchObject({ generationTokens: 4000, requestsFinished: 36 });
    expect(w.prefixCacheHitRate).toBeCloseTo(1000 / 12000, 12);
    expect(w.littlesLaw).toEqual({ meanInFlight: null, predicted: null, ratio: null });
    expect(w.byModel).toEqual({ 'org/m': { outputTokensPerS: null, requestsPerS: null } });
  });

  it('snapshots survive a JSON round trip (telemetry.jsonl) with the same window', () => {
    const a = snap(readSynthetic('dp2-a.txt'), T);
    const b = snap(readSynthetic('dp2-b.txt'), T + 10_000);
    const again = (s: VllmSnapshot) => JSON.parse(JSON.stringify(s)) as VllmSnapshot;
    expect(windowBetween(again(a), again(b))).toEqual(windowBetween(a, b));
  });

  it('snapshots without per-series parts fall back to per-model sums', () => {
    const strip = (s: VllmSnapshot) => ({ ...s, series: undefined });
    const a = snap(readSynthetic('dp2-a.txt'), T);
    const b = snap(readSynthetic('dp2-b.txt'), T + 10_000);
    const w = windowBetween(strip(a), strip(b));
    expect(w.rates.outputTokensPerS).toBe(180);
    expect(w.rates.requestsPerSByReason).toEqual({ stop: 1.4, length: 0.6, abort: 0 });
    expect(w.latencyMs.ttft).toEqual({
      p50: 500,
      p90: 1000,
      p99: 1000,
      mean: expect.closeTo(440, 9),
      count: 20,
    });
  });

  it('rejects snapshots out of time order, naming them', () => {
    const a = snap(readSynthetic('dp2-a.txt'), T);
    expect(() => windowBetween(a, { ...a })).toThrow(/not come after snapshot 0/);
    expect(() => windowOverSnapshots([])).toThrow(/at least one snapshot/);
  });
});
