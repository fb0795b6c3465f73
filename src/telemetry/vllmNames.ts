/**
 * Which exposed metric names carry each concept, in fallback order (the first name present with
 * samples wins), after ../shared/notes/vllm.md §2.4 and §6. Counters are listed without `_total`;
 * both spellings are tried.
 */

import type { CounterConcept, GaugeConcept, HistogramConcept, VllmSnapshot } from './types.ts';

export const COUNTER_NAMES: Record<CounterConcept, string[]> = {
  generationTokens: ['vllm:generation_tokens', 'sglang:generation_tokens'],
  promptTokens: ['vllm:prompt_tokens', 'sglang:prompt_tokens'],
  // Every finished request whatever its finished_reason (abort and error included).
  requestsFinished: ['vllm:request_success', 'sglang:num_requests'],
  preemptions: ['vllm:num_preemptions', 'sglang:num_retracted_reqs'],
  // Tokens looked up. gpu_* counted blocks before vLLM 0.9.0 (same name; `names` flags it).
  // SGLang has no lookup counter; every prompt token is looked up, so prompt tokens stand in.
  prefixCacheQueries: [
    'vllm:prefix_cache_queries',
    'vllm:gpu_prefix_cache_queries',
    'sglang:prompt_tokens',
  ],
  prefixCacheHits: ['vllm:prefix_cache_hits', 'vllm:gpu_prefix_cache_hits', 'sglang:cached_tokens'],
};

export const GAUGE_NAMES: Record<GaugeConcept, string[]> = {
  running: ['vllm:num_requests_running', 'sglang:num_running_reqs'],
  waiting: ['vllm:num_requests_waiting', 'sglang:num_queue_reqs'],
  kvCacheUsage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'sglang:token_usage'],
};

export const HISTOGRAM_NAMES: Record<HistogramConcept, string[]> = {
  ttft: ['vllm:time_to_first_token_seconds', 'sglang:time_to_first_token_seconds'],
  // Per engine step per request. The old name had the same meaning in V1 (and in V0).
  itl: [
    'vllm:inter_token_latency_seconds',
    'vllm:time_per_output_token_seconds',
    'sglang:inter_token_latency_seconds',
  ],
  // Per finished request, first token excluded; nothing older is equivalent.
  tpot: ['vllm:request_time_per_output_token_seconds'],
  e2e: ['vllm:e2e_request_latency_seconds', 'sglang:e2e_request_latency_seconds'],
  queue: ['vllm:request_queue_time_seconds', 'vllm:time_in_queue_requests'],
  prefill: ['vllm:request_prefill_time_seconds'],
  decode: ['vllm:request_decode_time_seconds'],
  promptLength: ['vllm:request_prompt_tokens', 'sglang:prompt_tokens_histogram'],
  generationLength: ['vllm:request_generation_tokens', 'sglang:generation_tokens_histogram'],
};

/** Names that only the current generation (V1, ≥ 0.9.2) exposes. */
const CURRENT_ONLY = new Set([
  'vllm:kv_cache_usage_perc',
  'vllm:prefix_cache_queries',
  'vllm:prefix_cache_hits',
  'vllm:inter_token_latency_seconds',
  'vllm:request_time_per_output_token_seconds',
]);

/** Names renamed or removed since: V0 engine names and V1's deprecated ones. */
const LEGACY_ONLY = new Set([
  'vllm:gpu_cache_usage_perc',
  'vllm:gpu_prefix_cache_queries',
  'vllm:gpu_prefix_cache_hits',
  'vllm:time_per_output_token_seconds',
  'vllm:time_in_queue_requests',
  'vllm:num_requests_swapped',
  'vllm:cpu_cache_usage_perc',
  'vllm:cpu_prefix_cache_hit_rate',
  'vllm:gpu_prefix_cache_hit_rate',
  'vllm:avg_prompt_throughput_toks_per_s',
  'vllm:avg_generation_throughput_toks_per_s',
  'vllm:model_forward_time_milliseconds',
  'vllm:model_execute_time_milliseconds',
]);

const SUFFIXES = ['_total', '_created', '_bucket', '_count', '_sum'];

function baseName(name: string): string {
  for (const suffix of SUFFIXES) {
    if (name.endsWith(suffix)) return name.slice(0, -suffix.length);
  }
  return name;
}

/**
 * Era of the names a server exposes (families with or without samples): 'v0' when it shows only
 * the legacy generation's names (the V0 engine, and V1 up to 0.9.x, which kept
 * `gpu_cache_usage_perc`), 'mixed' when both generations appear side by side (0.9.2–0.11 emit
 * the deprecated names next to the new ones), 'v1' when no legacy name appears, and null when
 * there is no `vllm:` name at all.
 */
export function eraOf(names: Iterable<string>): VllmSnapshot['era'] {
  let anyVllm = false;
  let current = false;
  let legacy = false;
  for (const name of names) {
    if (!name.startsWith('vllm:')) continue;
    anyVllm = true;
    const base = baseName(name);
    if (CURRENT_ONLY.has(base) || CURRENT_ONLY.has(name)) current = true;
    if (LEGACY_ONLY.has(base) || LEGACY_ONLY.has(name)) legacy = true;
  }
  if (!anyVllm) return null;
  if (legacy) return current ? 'mixed' : 'v0';
  return 'v1';
}
