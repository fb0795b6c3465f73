/**
 * The V1 layout of /metrics, after a real vLLM 0.32.0 capture
 * (../shared/fixtures/vllm-metrics/v0.32.0-*): the same families in the same order, HELP texts,
 * label keys and bucket bounds.
 */

import { renderCacheConfig } from './metricsCacheConfig.ts';
import {
  type Child,
  type EngineView,
  type ExpositionInput,
  renderHttp,
  renderProcess,
  Writer,
} from './metricsCommon.ts';
import { type EngineMetrics, FINISH_REASONS, type Histogram } from './metricsState.ts';
import type { Labels } from './promFormat.ts';

export function renderV1(input: ExpositionInput): string[] {
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
