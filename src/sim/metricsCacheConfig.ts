/**
 * `vllm:cache_config_info`: an info-style gauge (value 1) whose labels carry the KV-cache
 * configuration, with the label set of vLLM 0.32.0.
 */

import type { ExpositionInput, Writer } from './metricsCommon.ts';
import { header, type Labels, sampleLine } from './promFormat.ts';

export function renderCacheConfig(w: Writer, input: ExpositionInput): void {
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
