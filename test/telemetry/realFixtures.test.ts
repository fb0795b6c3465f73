/**
 * Every real /metrics capture in ../shared/fixtures/vllm-metrics parses, under both exposition
 * formats, and reduces to the values worked out by hand from the files (in the comments).
 */

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePromText } from '../../src/telemetry/promText.ts';
import { snapshotFromMetrics } from '../../src/telemetry/vllmModel.ts';
import { windowBetween } from '../../src/telemetry/windows.ts';
import {
  FORMATS,
  HAVE_SHARED,
  readShared,
  SHARED_METRICS_DIR,
  SHARED_SKIP_NOTE,
} from './helpers/formats.ts';

const T0 = 1796316596838; // burst-a wall clock (PROVENANCE.md)
const T1 = 1796316606892; // burst-b, 10.054 s later

describe.skipIf(!HAVE_SHARED).each(FORMATS)(
  `real vLLM captures under $format${SHARED_SKIP_NOTE}`,
  ({ format, convert }) => {
    const snap = (name: string, timeMs = T1) =>
      snapshotFromMetrics(parsePromText(convert(readShared(name))), timeMs);

    it('parses every fixture file', () => {
      const files = readdirSync(SHARED_METRICS_DIR).filter((f) => f.endsWith('.txt'));
      expect(files.length).toBeGreaterThanOrEqual(11);
      for (const file of files) {
        const parsed = parsePromText(convert(readShared(file)), { source: file });
        expect(parsed.format).toBe(format);
        const samples = [...parsed.families.values()].reduce((n, f) => n + f.samples.length, 0);
        // The no-samples excerpt has families and no samples; every other one has samples.
        if (file.includes('no-samples')) expect(samples).toBe(0);
        else expect(samples).toBeGreaterThan(0);
      }
    });

    it('0.32.0 burst-a → burst-b: rates over the 10.054 s window', () => {
      const w = windowBetween(
        snap('v0.32.0-cpu-chat-burst-a.txt', T0),
        snap('v0.32.0-cpu-chat-burst-b.txt'),
      );
      expect(w.windowSeconds).toBeCloseTo(10.054, 9);
      // generation_tokens 181013 → 200542: Δ 19529; 19529 / 10.054 = 1942.4110 tok/s
      expect(w.increases.outputTokens).toBe(19529);
      expect(w.rates.outputTokensPerS).toBeCloseTo(19529 / 10.054, 9);
      // prompt_tokens 58460 → 83713: Δ 25253 → 2511.7366 tok/s
      expect(w.increases.promptTokens).toBe(25253);
      expect(w.rates.promptTokensPerS).toBeCloseTo(2511.7366, 3);
      // request_success{length} 1396 → 1577: Δ 181 (every other reason stays 0) → 18.0028 /s
      expect(w.increases.requests).toBe(181);
      expect(w.increases.requestsByReason).toEqual({
        stop: 0,
        length: 181,
        abort: 0,
        error: 0,
        repetition: 0,
      });
      expect(w.rates.requestsPerS).toBeCloseTo(18.0028, 4);
      // arrivals: 181 done + in flight (126 + 106) − (99 + 0) = 181 + 133 = 314 → 31.2313 /s
      expect(w.rates.arrivalsPerS).toBeCloseTo(314 / 10.054, 9);
      expect(w.rates.preemptionsPerS).toBe(0);
      // prefix cache: hits 128 → 1152 (Δ 1024), queries 58460 → 83713 (Δ 25253): 0.040550
      expect(w.prefixCacheHitRate).toBeCloseTo(1024 / 25253, 12);
      expect(w.state).toEqual({
        running: 126,
        waiting: 106,
        kvCacheUsageMax: 0.02881211085337565,
        kvCacheUsageMean: 0.02881211085337565,
      });
      expect(w.resets).toEqual([]);
      expect(w.byModel).toEqual({
        tiny: { outputTokensPerS: 19529 / 10.054, requestsPerS: 181 / 10.054 },
      });
      expect(w.vllmNames.era).toBe('v1');
      expect(w.vllmNames.names.kvCacheUsage).toBe('vllm:kv_cache_usage_perc');
      expect(w.vllmNames.names.itl).toBe('vllm:inter_token_latency_seconds');
    });

    it('0.32.0 burst-a → burst-b: quantiles from bucket deltas, means from Δsum/Δcount', () => {
      const w = windowBetween(
        snap('v0.32.0-cpu-chat-burst-a.txt', T0),
        snap('v0.32.0-cpu-chat-burst-b.txt'),
      );
      // TTFT Δ cumulative buckets: 0.08:1, 0.1:3, 0.25:42, 0.5:47, 0.75:50, 1:56, 2.5:161,
      // 5:208 (+Inf 208). p50 rank 104 in (1, 2.5]: 1 + 1.5 × (104−56)/(161−56) = 1.685714 s.
      // p90 rank 187.2 in (2.5, 5]: 2.5 + 2.5 × 26.2/47 = 3.893617 s; p99 rank 205.92:
      // 2.5 + 2.5 × 44.92/47 = 4.889362 s. Mean (3177.569616794586 − 2839.0337104797363)/208.
      expect(w.latencyMs.ttft.count).toBe(208);
      expect(w.latencyMs.ttft.p50).toBeCloseTo((1 + (1.5 * 48) / 105) * 1000, 9);
      expect(w.latencyMs.ttft.p90).toBeCloseTo((2.5 + (2.5 * 26.2) / 47) * 1000, 9);
      expect(w.latencyMs.ttft.p99).toBeCloseTo((2.5 + (2.5 * 44.92) / 47) * 1000, 9);
      expect(w.latencyMs.ttft.mean).toBeCloseTo(
        ((3177.569616794586 - 2839.0337104797363) / 208) * 1000,
        9,
      );
      // E2E Δ: 5:47 (604−557), 10:181 (1384−1203), 15:181. p50 rank 90.5 in (5, 10]:
      // 5 + 5 × 43.5/134 = 6.623134 s; p90 rank 162.9: 5 + 5 × 115.9/134 = 9.324627 s;
      // p99 rank 179.19: 5 + 5 × 132.19/134 = 9.932463 s. Mean 1111.61932015419 / 181.
      expect(w.latencyMs.e2e.count).toBe(181);
      expect(w.latencyMs.e2e.p50).toBeCloseTo((5 + (5 * 43.5) / 134) * 1000, 9);
      expect(w.latencyMs.e2e.p90).toBeCloseTo((5 + (5 * 115.9) / 134) * 1000, 9);
      expect(w.latencyMs.e2e.p99).toBeCloseTo((5 + (5 * 132.19) / 134) * 1000, 9);
      expect(w.latencyMs.e2e.mean).toBeCloseTo(
        ((9894.91328549385 - 8783.29396533966) / 181) * 1000,
        9,
      );
      // ITL Δ: 0.05:4699, 0.075:13931, 0.1:18505, 0.15:19321. p50 rank 9660.5 in (0.05, 0.075]:
      // 0.05 + 0.025 × 4961.5/9232 = 0.0634356 s; p99 rank 19127.79 in (0.1, 0.15]:
      // 0.1 + 0.05 × 622.79/816 = 0.1381612 s.
      expect(w.latencyMs.itl.count).toBe(19321);
      expect(w.latencyMs.itl.p50).toBeCloseTo((0.05 + (0.025 * 4961.5) / 9232) * 1000, 9);
      expect(w.latencyMs.itl.p99).toBeCloseTo((0.1 + (0.05 * 622.79) / 816) * 1000, 9);
      // Generation length Δ: 50:3 (5−2), 100:108 (129−21), 200:181. p50 rank 90.5 in (50, 100]:
      // 50 + 50 × 87.5/105 = 91.666667 tokens; mean (194091 − 177362)/181 = 92.425414.
      expect(w.lengths.generation.p50).toBeCloseTo(50 + (50 * 87.5) / 105, 9);
      expect(w.lengths.generation.mean).toBeCloseTo((194091 - 177362) / 181, 9);
      // Little's law: in flight (99 + 231)/2 = 165.5; 18.0028 /s × 6.141543 s = 110.5649.
      expect(w.littlesLaw.meanInFlight).toBe(165.5);
      const predicted = (181 / 10.054) * ((9894.91328549385 - 8783.29396533966) / 181);
      expect(w.littlesLaw.predicted).toBeCloseTo(predicted, 9);
      expect(w.littlesLaw.ratio).toBeCloseTo(165.5 / predicted, 9);
    });

    it('0.32.0 idle: every family pre-created at 0 reads 0, not null; quantiles are null', () => {
      const s = snap('v0.32.0-cpu-idle.txt');
      expect(s.counters).toEqual({
        generationTokens: 0,
        promptTokens: 0,
        requestsFinished: 0,
        preemptions: 0,
        prefixCacheQueries: 0,
        prefixCacheHits: 0,
      });
      expect(s.gauges).toEqual({
        running: 0,
        waiting: 0,
        kvCacheUsageMax: 0,
        kvCacheUsageMean: 0,
      });
      expect(s.engines).toBe(1);
      // process_start_time_seconds 1.79631590171e+09 in the file.
      expect(s.restartMarkers.processStartTimeS).toBe(1796315901.71);
      const w = windowBetween(null, s);
      expect(w.latencyMs.ttft).toEqual({ p50: null, p90: null, p99: null, mean: null, count: 0 });
      expect(w.prefixCacheHitRate).toBeNull(); // 0 hits / 0 queries
    });

    it('v0.10.0: new names win, a deprecated one fills a gap, the era is mixed', () => {
      const s = snap('v0.10.0-production-stack-issue617.txt');
      expect(s.counters.prefixCacheQueries).toBe(32);
      expect(s.names.prefixCacheQueries).toBe('vllm:prefix_cache_queries_total');
      // prefix_cache_hits is cut off in the excerpt; gpu_prefix_cache_hits_total (0) stands in.
      expect(s.counters.prefixCacheHits).toBe(0);
      expect(s.names.prefixCacheHits).toBe('vllm:gpu_prefix_cache_hits_total');
      expect(s.gauges.kvCacheUsageMax).toBe(9.75010481363281e-6);
      expect(s.era).toBe('mixed');
      expect(s.counters.generationTokens).toBeNull();
      // Only the hits' _created is for a concept name in use: 1.7537953269353123e+09.
      expect(s.restartMarkers.createdSum).toBe(1.7537953269353123e9);
    });

    it('v0.10.x data-parallel excerpt: engine "1", a partial histogram without _count/_sum', () => {
      const s = snap('v0.10.x-pr22227-dp-engine1.txt');
      expect(s.engines).toBe(1);
      const decode = windowBetween(null, s).latencyMs.decode;
      // Buckets start at 15 (cut at source), each 1, +Inf 1: p50 rank 0.5 in (0, 15] → 7.5 s.
      expect(decode.p50).toBe(7500);
      expect(decode.count).toBe(1);
      expect(decode.mean).toBeNull(); // no _sum in the excerpt
      expect(Object.keys(s.byModel)).toEqual(['/models/qwen3-8b']);
    });

    it('v0.5.3 (V0): lifetime TTFT with the old bucket grid', () => {
      const w = windowBetween(null, snap('v0.5.3.post1-issue8115.txt'));
      // All 8060 observations ≤ 0.1 s: p50 rank 4030 in (0, 0.1] → 0.1 × 4030/8060 = 0.05 s,
      // while the mean is 0.5871782302856445 / 8060 s: the interpolation artefact, both shown.
      expect(w.latencyMs.ttft.p50).toBeCloseTo(50, 9);
      expect(w.latencyMs.ttft.mean).toBeCloseTo((0.5871782302856445 / 8060) * 1000, 12);
      expect(w.latencyMs.ttft.count).toBe(8060);
      expect(w.totals?.requestsFinished).toBeNull();
    });

    it('v0.5.4: families with HELP/TYPE but no samples are null, never 0', () => {
      const s = snap('v0.5.4-functionary-pr263-no-samples.txt');
      expect(s.gauges).toEqual({
        running: null,
        waiting: null,
        kvCacheUsageMax: null,
        kvCacheUsageMean: null,
      });
      expect(s.names.running).toBeNull();
      expect(s.engine).toBe('vllm');
      expect(s.era).toBe('v0'); // gpu_cache_usage_perc, num_requests_swapped, … declared
    });

    it('v0.6.5 (unmerged LoRA patch): two model_name series, _sum first, V0 queue name', () => {
      const s = snap('v0.6.5.dev-pr11117-lora-unmerged.txt');
      expect(s.names.queue).toBe('vllm:time_in_queue_requests');
      expect(s.era).toBe('v0');
      // Queue: buckets 15…60 and +Inf all 2 → p50 rank 1 in (0, 15] → 7.5 s.
      expect(windowBetween(null, s).latencyMs.queue.p50).toBe(7500);
      expect(Object.keys(s.byModel).sort()).toEqual(['meta-llama/Llama-2-7b-hf', 'sql-lora']);
      // sql-lora's prompt histogram is cut before +Inf and _count: its total is unknown.
      expect(s.byModel['sql-lora']!.histograms.promptLength?.buckets.at(-1)).toEqual({
        le: 50,
        count: 1,
      });
      expect(windowBetween(null, s).lengths.prompt.p50).toBeNull();
    });

    it('v0.6.x and v0.8.0–0.8.2: gpu_cache_usage_perc is the KV usage, era v0', () => {
      for (const file of [
        'v0.6.x-qwen2vl-issue55.txt',
        'v0.8.0-0.8.2-production-stack-issue318.txt',
      ]) {
        const s = snap(file);
        expect(s.names.kvCacheUsage).toBe('vllm:gpu_cache_usage_perc');
        expect(s.gauges).toEqual({
          running: 0,
          waiting: 0,
          kvCacheUsageMax: 0,
          kvCacheUsageMean: 0,
        });
        expect(s.era).toBe('v0');
      }
      expect(Object.keys(snap('v0.6.x-qwen2vl-issue55.txt').byModel)).toEqual([]);
    });

    it('v0.8.0 docs example: every finished_reason summed, TTFT without +Inf uses _count', () => {
      const s = snap('v0.8.0-docs-design-metrics-example.txt');
      // stop 1 + length 131 + abort 0 = 132 (reading only the first series would give 1).
      expect(s.counters.requestsFinished).toBe(132);
      expect(s.requestsByReason).toEqual({ stop: 1, length: 131, abort: 0 });
      expect(s.counters.generationTokens).toBe(27453);
      expect(s.gauges.running).toBe(8);
      const ttft = windowBetween(null, s).latencyMs.ttft;
      // Cumulative 0.02:13, 0.04:97, 0.06:123, 0.08:138, 0.1:140, total (_count) 140.
      // p50 rank 70: 0.02 + 0.02 × 57/84 = 0.0335714 s; p90 rank 126: 0.06 + 0.02 × 3/15 =
      // 0.064 s; p99 rank 138.6: 0.08 + 0.02 × 0.6/2 = 0.086 s.
      expect(ttft.p50).toBeCloseTo((0.02 + (0.02 * 57) / 84) * 1000, 9);
      expect(ttft.p90).toBeCloseTo(64, 9);
      expect(ttft.p99).toBeCloseTo(86, 9);
      expect(ttft.count).toBe(140);
      expect(s.era).toBe('v1');
    });
  },
);
