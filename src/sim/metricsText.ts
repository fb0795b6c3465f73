/**
 * Renders the simulator's /metrics body. The V1 layout follows a real vLLM 0.32.0 capture
 * (../shared/fixtures/vllm-metrics/v0.32.0-*): same families in the same order, HELP texts,
 * label keys, bucket bounds and separate `_created` gauge families. The V0 layout follows the
 * pre-0.8 engine: `model_name` only, no `_created`, old names and shorter bucket lists.
 */

import {
  type EngineMetrics,
  FINISH_REASONS,
  type Histogram,
  V0_LATENCY_BUCKETS,
  V0_TPOT_BUCKETS,
  V0_TTFT_BUCKETS,
} from './metricsState.ts';
import { goFloat, header, type Labels, sampleLine } from './promFormat.ts';

export interface EngineView {
  metrics: EngineMetrics;
  running: number;
  waiting: number;
  kvUsage: number;
}

export interface ExpositionInput {
  era: 'v1' | 'v0';
  modelName: string;
  engines: EngineView[];
  cache: {
    blockSize: number;
    numGpuBlocks: number;
    gpuMemoryUtilization: number;
    kvCacheMemoryBytes: number;
    maxModelLen: number;
  };
  process: { startTimeS: number; residentBytes: number; cpuSeconds: number };
  http: Array<{ handler: string; method: string; status: string; count: number; createdS: number }>;
  /** V0's averaged throughput gauges, tokens/s over the last logging interval. */
  v0Throughput: { promptTokPerS: number; generationTokPerS: number };
}

type Child = { labels: Labels; value: number; createdS: number };

class Writer {
  readonly lines: string[] = [];
  constructor(private readonly withCreated: boolean) {}

  scalar(base: string, type: 'counter' | 'gauge', help: string, children: Child[]): void {
    const name = type === 'counter' ? `${base}_total` : base;
    this.lines.push(...header(name, type, help));
    for (const c of children) this.lines.push(sampleLine(name, c.labels, c.value));
    if (type === 'counter') this.created(base, help, children);
  }

  histogram(
    base: string,
    help: string,
    children: Array<{ labels: Labels; h: Histogram; createdS: number }>,
  ): void {
    this.lines.push(...header(base, 'histogram', help));
    for (const { labels, h } of children) {
      const cumulative = h.cumulative();
      h.bounds.forEach((bound, i) => {
        this.lines.push(
          sampleLine(`${base}_bucket`, { ...labels, le: goFloat(bound) }, cumulative[i]!),
        );
      });
      this.lines.push(sampleLine(`${base}_bucket`, { ...labels, le: '+Inf' }, h.count));
      this.lines.push(sampleLine(`${base}_count`, labels, h.count));
      this.lines.push(sampleLine(`${base}_sum`, labels, h.sum));
    }
    this.created(
      base,
      help,
      children.map((c) => ({ ...c, value: 0 })),
    );
  }

  private created(base: string, help: string, children: Child[]): void {
    if (!this.withCreated) return;
    this.lines.push(...header(`${base}_created`, 'gauge', help));
    for (const c of children) this.lines.push(sampleLine(`${base}_created`, c.labels, c.createdS));
  }
}

/** The full /metrics body (Prometheus text format 0.0.4 / 1.0.0, as prometheus_client writes). */
export function renderMetrics(input: ExpositionInput): string {
  const lines = input.era === 'v0' ? renderV0(input) : renderV1(input);
  return `${lines.join('\n')}\n`;
}

function renderProcess(w: Writer, input: ExpositionInput): void {
  const p = input.process;
  w.lines.push(
    ...header('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.'),
  );
  w.lines.push(sampleLine('process_resident_memory_bytes', {}, p.residentBytes));
  w.lines.push(
    ...header(
      'process_start_time_seconds',
      'gauge',
      'Start time of the process since unix epoch in seconds.',
    ),
  );
  w.lines.push(sampleLine('process_start_time_seconds', {}, p.startTimeS));
  w.lines.push(
    ...header(
      'process_cpu_seconds_total',
      'counter',
      'Total user and system CPU time spent in seconds.',
    ),
  );
  w.lines.push(sampleLine('process_cpu_seconds_total', {}, p.cpuSeconds));
}

function renderV1(input: ExpositionInput): string[] {
  const w = new Writer(true);
  renderProcess(w, input);
  const model = input.modelName;
  const per = (f: (e: EngineView, labels: Labels) => Child[]): Child[] =>
    input.engines.flatMap((e, i) => f(e, { engine: String(i), model_name: model }));
  const one = (f: (e: EngineView) => number) =>
    per((e, labels) => [{ labels, value: f(e), createdS: e.metrics.createdS }]);
  const zero = () => one(() => 0);
  const bySet = (key: string, values: readonly string[], f: (e: EngineView, v: string) => number) =>
    per((e, labels) =>
      values.map((v) => ({
        labels: { ...labels, [key]: v },
        value: f(e, v),
        createdS: e.metrics.createdS,
      })),
    );
  const mfu = 'per GPU (for Model Flops Utilization calculations).';
  w.scalar(
    'vllm:estimated_flops_per_gpu',
    'counter',
    `Estimated number of floating point operations ${mfu}`,
    zero(),
  );
  w.scalar(
    'vllm:estimated_read_bytes_per_gpu',
    'counter',
    `Estimated number of bytes read from memory ${mfu}`,
    zero(),
  );
  w.scalar(
    'vllm:estimated_write_bytes_per_gpu',
    'counter',
    `Estimated number of bytes written to memory ${mfu}`,
    zero(),
  );
  w.scalar(
    'vllm:num_requests_running',
    'gauge',
    'Number of requests in model execution batches.',
    one((e) => e.running),
  );
  w.scalar(
    'vllm:num_requests_waiting',
    'gauge',
    'Number of requests waiting to be processed.',
    one((e) => e.waiting),
  );
  w.scalar(
    'vllm:num_requests_waiting_by_reason',
    'gauge',
    "Number of waiting requests by reason. Reason labels: 'capacity' = waiting for scheduling capacity; " +
      "'deferred' = deferred by transient constraints (LoRA budget, KV transfer, blocked status). " +
      'Sum of all reasons equals vllm:num_requests_waiting.',
    bySet('reason', ['capacity', 'deferred'], (e, v) => (v === 'capacity' ? e.waiting : 0)),
  );
  w.scalar(
    'vllm:engine_sleep_state',
    'gauge',
    'Engine sleep state; awake = 0 means engine is sleeping; awake = 1 means engine is awake; ' +
      'weights_offloaded = 1 means sleep level 1; discard_all = 1 means sleep level 2.',
    bySet('sleep_state', ['awake', 'weights_offloaded', 'discard_all'], (_e, v) =>
      v === 'awake' ? 1 : 0,
    ),
  );
  w.scalar(
    'vllm:kv_cache_usage_perc',
    'gauge',
    'KV-cache usage. 1 means 100 percent usage.',
    one((e) => e.kvUsage),
  );
  w.scalar(
    'vllm:prefix_cache_queries',
    'counter',
    'Prefix cache queries, in terms of number of queried tokens.',
    one((e) => e.metrics.prefixQueries),
  );
  w.scalar(
    'vllm:prefix_cache_hits',
    'counter',
    'Prefix cache hits, in terms of number of cached tokens.',
    one((e) => e.metrics.prefixHits),
  );
  const external = 'from KV connector cross-instance cache sharing, in terms of number of';
  w.scalar(
    'vllm:external_prefix_cache_queries',
    'counter',
    `External prefix cache queries ${external} queried tokens.`,
    zero(),
  );
  w.scalar(
    'vllm:external_prefix_cache_hits',
    'counter',
    `External prefix cache hits ${external} cached tokens.`,
    zero(),
  );
  w.scalar(
    'vllm:mm_cache_queries',
    'counter',
    'Multi-modal cache queries, in terms of number of queried items.',
    zero(),
  );
  w.scalar(
    'vllm:mm_cache_hits',
    'counter',
    'Multi-modal cache hits, in terms of number of cached items.',
    zero(),
  );
  w.scalar(
    'vllm:num_preemptions',
    'counter',
    'Cumulative number of preemption from the engine.',
    one((e) => e.metrics.preemptions),
  );
  w.scalar(
    'vllm:prompt_tokens',
    'counter',
    'Number of prefill tokens processed.',
    one((e) => e.metrics.promptTokens),
  );
  w.scalar(
    'vllm:prompt_tokens_by_source',
    'counter',
    'Number of prompt tokens by source.',
    bySet('source', ['local_compute', 'local_cache_hit', 'external_kv_transfer'], (e, v) =>
      v === 'local_compute'
        ? e.metrics.promptTokens - e.metrics.prefixHits
        : v === 'local_cache_hit'
          ? e.metrics.prefixHits
          : 0,
    ),
  );
  w.scalar(
    'vllm:prompt_tokens_cached',
    'counter',
    'Number of cached prompt tokens (local + external).',
    one((e) => e.metrics.prefixHits),
  );
  w.scalar(
    'vllm:prompt_tokens_cached_by_source',
    'counter',
    'Prefix-cache hit tokens by the cache tier that supplied them: device (local HBM), host ' +
      '(offloaded to DRAM), disk, p2p (transferred from another vLLM instance) or ' +
      'external_unspecified. Counted at admission; sums to vllm:prefix_cache_hits + ' +
      'vllm:external_prefix_cache_hits.',
    bySet('source', ['device', 'host', 'p2p', 'disk', 'external_unspecified'], (e, v) =>
      v === 'device' ? e.metrics.prefixHits : 0,
    ),
  );
  w.scalar(
    'vllm:generation_tokens',
    'counter',
    'Number of generation tokens processed.',
    one((e) => e.metrics.generationTokens),
  );
  w.scalar(
    'vllm:request_success',
    'counter',
    'Count of successfully processed requests.',
    bySet(
      'finished_reason',
      FINISH_REASONS,
      (e, v) => e.metrics.success[v as keyof EngineMetrics['success']],
    ),
  );
  const firstCreated = input.engines[0]?.metrics.createdS ?? 0;
  w.scalar(
    'vllm:admission_rejections',
    'counter',
    'Number of admission attempts rejected by a queue limit, by reason.',
    ['max_num_queued_reqs', 'max_num_queued_tokens'].map((reason) => ({
      labels: { model_name: model, reason },
      value: 0,
      createdS: firstCreated,
    })),
  );
  const hist = (base: string, help: string, pick: (e: EngineView) => Histogram) =>
    w.histogram(
      base,
      help,
      input.engines.map((e, i) => ({
        labels: { engine: String(i), model_name: model },
        h: pick(e),
        createdS: e.metrics.createdS,
      })),
    );
  hist(
    'vllm:request_prompt_tokens',
    'Number of prefill tokens processed.',
    (e) => e.metrics.hist.promptTokens,
  );
  hist(
    'vllm:request_generation_tokens',
    'Number of generation tokens processed.',
    (e) => e.metrics.hist.generationTokens,
  );
  hist(
    'vllm:iteration_tokens_total',
    'Histogram of number of tokens per engine_step.',
    (e) => e.metrics.hist.iterationTokens,
  );
  hist(
    'vllm:request_max_num_generation_tokens',
    'Histogram of maximum number of requested generation tokens.',
    (e) => e.metrics.hist.maxGenerationTokens,
  );
  hist(
    'vllm:request_params_n',
    'Histogram of the n request parameter.',
    (e) => e.metrics.hist.paramsN,
  );
  hist(
    'vllm:request_params_max_tokens',
    'Histogram of the max_tokens request parameter.',
    (e) => e.metrics.hist.paramsMaxTokens,
  );
  hist(
    'vllm:time_to_first_token_seconds',
    'Histogram of time to first token in seconds.',
    (e) => e.metrics.hist.ttft,
  );
  hist(
    'vllm:inter_token_latency_seconds',
    'Histogram of inter-token latency in seconds.',
    (e) => e.metrics.hist.itl,
  );
  hist(
    'vllm:request_time_per_output_token_seconds',
    'Histogram of time_per_output_token_seconds per request.',
    (e) => e.metrics.hist.tpot,
  );
  hist(
    'vllm:e2e_request_latency_seconds',
    'Histogram of e2e request latency in seconds.',
    (e) => e.metrics.hist.e2e,
  );
  hist(
    'vllm:request_queue_time_seconds',
    'Histogram of time spent in WAITING phase for request.',
    (e) => e.metrics.hist.queue,
  );
  hist(
    'vllm:request_inference_time_seconds',
    'Histogram of time spent in RUNNING phase for request.',
    (e) => e.metrics.hist.inference,
  );
  hist(
    'vllm:request_prefill_time_seconds',
    'Histogram of time spent in PREFILL phase for request.',
    (e) => e.metrics.hist.prefill,
  );
  hist(
    'vllm:request_decode_time_seconds',
    'Histogram of time spent in DECODE phase for request.',
    (e) => e.metrics.hist.decode,
  );
  hist(
    'vllm:request_num_preemptions',
    'Histogram of the number of times a request was preempted.',
    (e) => e.metrics.hist.numPreemptions,
  );
  hist(
    'vllm:request_prefill_kv_computed_tokens',
    'Histogram of new KV tokens computed during prefill (excluding cached tokens).',
    (e) => e.metrics.hist.prefillKvComputed,
  );
  renderCacheConfig(w, input);
  renderHttp(w, input);
  return w.lines;
}

function renderCacheConfig(w: Writer, input: ExpositionInput): void {
  const c = input.cache;
  const tokens = c.numGpuBlocks * c.blockSize;
  w.lines.push(
    ...header('vllm:cache_config_info', 'gauge', 'Information of the LLMEngine CacheConfig'),
  );
  input.engines.forEach((_e, i) => {
    const labels: Labels = {
      _block_size_resolved: 'True',
      block_size: String(c.blockSize),
      cache_dtype: 'auto',
      cache_hit_alignment_tokens: 'None',
      effective_attention_block_size: String(c.blockSize),
      enable_mamba_shared_prefix_checkpoint: 'False',
      enable_prefix_caching: 'True',
      engine: String(i),
      gpu_memory_utilization: String(c.gpuMemoryUtilization),
      hash_block_size: 'None',
      is_attention_free: 'False',
      kv_cache_dtype_skip_layers: '[]',
      kv_cache_layout: 'None',
      kv_cache_max_concurrency: pythonRatio(tokens / c.maxModelLen),
      kv_cache_memory_bytes: String(Math.round(c.kvCacheMemoryBytes)),
      kv_cache_size_tokens: String(tokens),
      kv_offloading_backend: 'native',
      kv_offloading_size: 'None',
      kv_sharing_fast_prefill: 'False',
      mamba_block_size: 'None',
      mamba_cache_dtype: 'auto',
      mamba_cache_mode: 'none',
      mamba_page_size_padded: 'None',
      mamba_ssm_cache_dtype: 'auto',
      num_cpu_blocks: 'None',
      num_gpu_blocks: String(c.numGpuBlocks),
      num_gpu_blocks_override: 'None',
      prefix_cache_retention_interval: '0',
      prefix_caching_hash_algo: 'sha256',
      prefix_match_unit: 'None',
      replayssm_buffer_len: '16',
      skip_page_size_padded: 'None',
      sliding_window: 'None',
      swa_bounded_replay: 'True',
      use_kda_recoverssm: 'False',
      use_replayssm: 'False',
      user_specified_block_size: 'False',
    };
    w.lines.push(sampleLine('vllm:cache_config_info', labels, 1));
  });
}

const pythonRatio = (value: number) => (Number.isInteger(value) ? `${value}.0` : String(value));

function renderHttp(w: Writer, input: ExpositionInput): void {
  w.scalar(
    'http_requests',
    'counter',
    'Total number of requests by method, status and handler.',
    input.http.map((h) => ({
      labels: { handler: h.handler, method: h.method, status: h.status },
      value: h.count,
      createdS: h.createdS,
    })),
  );
}

function renderV0(input: ExpositionInput): string[] {
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
