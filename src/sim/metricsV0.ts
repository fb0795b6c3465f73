/**
 * The V0 layout of /metrics (vLLM ≤ 0.7): `model_name` only, no `_created`, the old names
 * (`gpu_cache_usage_perc`, `time_per_output_token_seconds`, `num_requests_swapped`, averaged
 * throughput gauges) and the shorter bucket lists of before vLLM PR #15202.
 */

import { type EngineView, type ExpositionInput, renderProcess, Writer } from './metricsCommon.ts';
import {
  type Histogram,
  V0_LATENCY_BUCKETS,
  V0_TPOT_BUCKETS,
  V0_TTFT_BUCKETS,
} from './metricsState.ts';
import { goFloat, header, sampleLine } from './promFormat.ts';

export function renderV0(input: ExpositionInput): string[] {
  const w = new Writer(false);
  renderProcess(w, input);
  const labels = { model_name: input.modelName };
  const sum = (f: (e: EngineView) => number) => input.engines.reduce((s, e) => s + f(e), 0);
  const gauge = (name: string, help: string, value: number) =>
    w.scalar(name, 'gauge', help, [{ labels, value, createdS: 0 }]);
  const counter = (name: string, help: string, value: number) =>
    w.scalar(name, 'counter', help, [{ labels, value, createdS: 0 }]);
  const kvMean = sum((e) => e.kvUsage) / Math.max(1, input.engines.length);
  gauge(
    'vllm:num_requests_running',
    'Number of requests currently running on GPU.',
    sum((e) => e.running),
  );
  gauge('vllm:num_requests_swapped', 'Number of requests swapped to CPU.', 0);
  gauge(
    'vllm:num_requests_waiting',
    'Number of requests waiting to be processed.',
    sum((e) => e.waiting),
  );
  gauge('vllm:gpu_cache_usage_perc', 'GPU KV-cache usage. 1 means 100 percent usage.', kvMean);
  gauge('vllm:cpu_cache_usage_perc', 'CPU KV-cache usage. 1 means 100 percent usage.', 0);
  counter(
    'vllm:num_preemptions',
    'Cumulative number of preemption from the engine.',
    sum((e) => e.metrics.preemptions),
  );
  counter(
    'vllm:prompt_tokens',
    'Number of prefill tokens processed.',
    sum((e) => e.metrics.promptTokens),
  );
  counter(
    'vllm:generation_tokens',
    'Number of generation tokens processed.',
    sum((e) => e.metrics.generationTokens),
  );
  const merged = (pick: (e: EngineView) => Histogram, bounds: readonly number[]) =>
    mergeHistograms(input.engines.map(pick), bounds);
  const hist = (name: string, help: string, h: MergedHistogram) => {
    w.lines.push(...header(name, 'histogram', help));
    h.bounds.forEach((bound, i) => {
      w.lines.push(
        sampleLine(`${name}_bucket`, { ...labels, le: goFloat(bound) }, h.cumulative[i]!),
      );
    });
    w.lines.push(sampleLine(`${name}_bucket`, { ...labels, le: '+Inf' }, h.count));
    w.lines.push(sampleLine(`${name}_count`, labels, h.count));
    w.lines.push(sampleLine(`${name}_sum`, labels, h.sum));
  };
  hist(
    'vllm:time_to_first_token_seconds',
    'Histogram of time to first token in seconds.',
    merged((e) => e.metrics.hist.ttft, V0_TTFT_BUCKETS),
  );
  hist(
    'vllm:time_per_output_token_seconds',
    'Histogram of time per output token in seconds.',
    merged((e) => e.metrics.hist.itl, V0_TPOT_BUCKETS),
  );
  hist(
    'vllm:e2e_request_latency_seconds',
    'Histogram of end to end request latency in seconds.',
    merged((e) => e.metrics.hist.e2e, V0_LATENCY_BUCKETS),
  );
  const lengths = input.engines[0]?.metrics.hist.promptTokens.bounds ?? [];
  hist(
    'vllm:request_prompt_tokens',
    'Number of prefill tokens processed.',
    merged((e) => e.metrics.hist.promptTokens, lengths),
  );
  hist(
    'vllm:request_generation_tokens',
    'Number of generation tokens processed.',
    merged((e) => e.metrics.hist.generationTokens, lengths),
  );
  hist(
    'vllm:request_params_n',
    'Histogram of the n request parameter.',
    merged((e) => e.metrics.hist.paramsN, [1, 2, 5, 10, 20]),
  );
  w.scalar(
    'vllm:request_success',
    'counter',
    'Count of successfully processed requests.',
    ['stop', 'length', 'abort'].map((reason) => ({
      labels: { finished_reason: reason, ...labels },
      value: sum((e) => e.metrics.success[reason as 'stop']),
      createdS: 0,
    })),
  );
  gauge(
    'vllm:avg_prompt_throughput_toks_per_s',
    'Average prefill throughput in tokens/s.',
    input.v0Throughput.promptTokPerS,
  );
  gauge(
    'vllm:avg_generation_throughput_toks_per_s',
    'Average generation throughput in tokens/s.',
    input.v0Throughput.generationTokPerS,
  );
  const c = input.cache;
  w.lines.push(
    ...header('vllm:cache_config_info', 'gauge', 'Information of the LLMEngine CacheConfig'),
  );
  w.lines.push(
    sampleLine(
      'vllm:cache_config_info',
      {
        block_size: String(c.blockSize),
        cache_dtype: 'auto',
        cpu_offload_gb: '0',
        enable_prefix_caching: 'False',
        gpu_memory_utilization: String(c.gpuMemoryUtilization),
        num_cpu_blocks: '2048',
        num_gpu_blocks: String(c.numGpuBlocks),
        num_gpu_blocks_override: 'None',
        sliding_window: 'None',
        swap_space_bytes: String(4 * 1024 ** 3),
      },
      1,
    ),
  );
  return w.lines;
}

interface MergedHistogram {
  bounds: readonly number[];
  cumulative: number[];
  count: number;
  sum: number;
}

/**
 * Sums engines' histograms onto another bound list (V0's shorter one). Every V0 bound is also a
 * V1 bound, so re-bucketing is exact: the cumulative count at a shared bound carries over.
 */
function mergeHistograms(hs: Histogram[], bounds: readonly number[]): MergedHistogram {
  const cumulative = bounds.map(() => 0);
  let count = 0;
  let sum = 0;
  for (const h of hs) {
    const own = h.cumulative();
    bounds.forEach((bound, i) => {
      const j = h.bounds.indexOf(bound);
      cumulative[i]! += j >= 0 ? own[j]! : h.count;
    });
    count += h.count;
    sum += h.sum;
  }
  return { bounds, cumulative, count, sum };
}
