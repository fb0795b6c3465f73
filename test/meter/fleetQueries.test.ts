import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { resolveMeterConfig } from '../../src/meter/config.ts';
import { fleetFigures, tableFrom } from '../../src/meter/fleet/assemble.ts';
import { FleetMeter } from '../../src/meter/fleet/fleetMeter.ts';
import { parsePromValue } from '../../src/meter/fleet/promqlClient.ts';
import {
  countersQuery,
  histogramQuery,
  lifetimeQuery,
  resolveFleetNames,
  STAT_LABEL,
} from '../../src/meter/fleet/queries.ts';

const V1 = [
  'vllm:generation_tokens_total',
  'vllm:prompt_tokens_total',
  'vllm:request_success_total',
  'vllm:num_preemptions_total',
  'vllm:prefix_cache_hits_total',
  'vllm:prefix_cache_queries_total',
  'vllm:num_requests_running',
  'vllm:num_requests_waiting',
  'vllm:kv_cache_usage_perc',
  'vllm:time_to_first_token_seconds_bucket',
  'vllm:inter_token_latency_seconds_bucket',
  'vllm:request_time_per_output_token_seconds_bucket',
];

describe('fleet queries', () => {
  it('take the first name Prometheus holds, in the telemetry core fallback order', () => {
    const v1 = resolveFleetNames(V1);
    expect(v1.counters.generationTokens).toBe('vllm:generation_tokens_total');
    expect(v1.gauges.kvCacheUsage).toBe('vllm:kv_cache_usage_perc');
    expect(v1.histograms.itl).toBe('vllm:inter_token_latency_seconds');
    expect(v1.histograms.tpot).toBe('vllm:request_time_per_output_token_seconds');
    expect(v1.histograms.e2e).toBeNull(); // absent stays unknown, never 0

    // A 0.9-era server: deprecated names only.
    const legacy = resolveFleetNames([
      'vllm:generation_tokens_total',
      'vllm:gpu_cache_usage_perc',
      'vllm:gpu_prefix_cache_hits_total',
      'vllm:time_per_output_token_seconds_bucket',
    ]);
    expect(legacy.gauges.kvCacheUsage).toBe('vllm:gpu_cache_usage_perc');
    expect(legacy.counters.prefixCacheHits).toBe('vllm:gpu_prefix_cache_hits_total');
    expect(legacy.histograms.itl).toBe('vllm:time_per_output_token_seconds');
    expect(legacy.histograms.tpot).toBeNull();

    const sglang = resolveFleetNames(['sglang:generation_tokens_total', 'sglang:token_usage']);
    expect(sglang.counters.generationTokens).toBe('sglang:generation_tokens_total');
    expect(sglang.gauges.kvCacheUsage).toBe('sglang:token_usage');
  });

  it('group, select and tag each figure', () => {
    const names = resolveFleetNames(V1);
    const ctx = { selector: 'job="vllm"', by: ['instance', 'model_name'] };
    const counters = countersQuery(names, ctx, '1m') as string;
    expect(counters).toContain(
      'label_replace(sum by (instance, model_name) ' +
        '(rate(vllm:generation_tokens_total{job="vllm"}[1m])), "meter_stat", "out", "", "")',
    );
    expect(counters).toContain(
      'sum by (instance, model_name) (delta(vllm:num_requests_waiting{job="vllm"}[1m]))',
    );
    expect(counters.split(' or ')).toHaveLength(8);
    const ttft = histogramQuery(
      'vllm:time_to_first_token_seconds',
      { selector: null, by: [] },
      '5m',
    );
    expect(ttft).toContain(
      'histogram_quantile(0.99, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket[5m])))',
    );
    expect(ttft).toContain(
      'sum by () (rate(vllm:time_to_first_token_seconds_sum[5m])) / ' +
        'sum by () (rate(vllm:time_to_first_token_seconds_count[5m]))',
    );
    const lifetime = lifetimeQuery(names, { selector: null, by: ['model_name'] }, '90s', 'pod');
    expect(lifetime).toContain(
      'sum by (model_name) (max by (model_name, pod) (resets(vllm:generation_tokens_total[90s])))',
    );
  });

  it('assemble figures from tagged samples', () => {
    const by = ['instance'];
    const sample = (stat: string, value: number) => ({
      labels: { instance: 'a:8000', [STAT_LABEL]: stat },
      value,
    });
    const counters = tableFrom(
      [
        sample('out', 500),
        sample('done', 4),
        sample('d_running', 6),
        sample('d_waiting', 3),
        sample('hits', 30),
        sample('queries', 120),
      ],
      by,
    );
    const ttft = tableFrom(
      [sample('q0.5', 0.07), sample('q0.99', Number.NaN), sample('mean', 0.08), sample('count', 9)],
      by,
    );
    const f = fleetFigures(60, counters.get('a:8000'), {
      ttft: ttft.get('a:8000') as Map<string, number>,
    });
    expect(f.outputTokensPerS).toBe(500);
    // Arrivals = completions + (Δrunning + Δwaiting) / window = 4 + (6 + 3) / 60 = 4.15 req/s.
    expect(f.arrivalsPerS).toBeCloseTo(4.15, 12);
    expect(f.prefixCacheHitRate).toBe(0.25); // 30 / 120
    expect(f.latencyMs.ttft).toEqual({ p50: 70, p90: null, p99: null, mean: 80, count: 9 });
    expect(f.promptTokensPerS).toBeNull(); // not in the answer: unknown
    expect([f.spanSeconds, f.filled]).toEqual([60, true]);
  });

  it('reads Prometheus floats as Go prints them', () => {
    expect(parsePromValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parsePromValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(parsePromValue('NaN')).toBeNaN();
    expect(parsePromValue('1.5e+06')).toBe(1.5e6);
  });
});

describe('fleet meter without its Prometheus', () => {
  it('opens a gap naming the URL, keeps trying, and closes it when Prometheus answers', async () => {
    // A stand-in that answers like an empty Prometheus, switched on and off.
    let answering = false;
    const server = createServer((req, res) => {
      if (!answering) {
        req.socket.destroy();
        return;
      }
      const body = req.url?.startsWith('/api/v1/label/')
        ? { status: 'success', data: [] }
        : { status: 'success', data: { resultType: 'vector', result: [] } };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clock = { t: 1_800_000_000_000 };
    const meter = new FleetMeter(
      resolveMeterConfig({
        prometheus: url,
        gpuPrice: 1,
        interval: '5s',
        listen: false,
        timeout: '1s',
      }),
      { now: () => clock.t },
    );
    const warnings: string[] = [];
    meter.on('warning', (w) => warnings.push(w));

    const down = await meter.sampleOnce();
    clock.t += 5000;
    const still = await meter.sampleOnce();
    expect(down.status).toBe('gap');
    expect(down.lastError).toContain(`cannot reach Prometheus at ${url}`);
    expect(still.gaps).toEqual([
      expect.objectContaining({ kind: 'unreachable', endMs: null, failedScrapes: 2 }),
    ]);

    answering = true;
    clock.t += 5000;
    const back = await meter.sampleOnce();
    expect(back.status).toBe('waiting'); // answering, but no vLLM series yet
    expect(back.gaps[0]?.endMs).toBe(clock.t);
    expect(warnings[0]).toMatch(/holds no vLLM or SGLang token counter/);
    await meter.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
