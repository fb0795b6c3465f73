/**
 * Accelerators the simulator knows. Peak numbers are the vendors' dense (no sparsity) datasheet
 * figures; what a real server reaches is expressed by the fitted efficiency factors of the
 * hardware class (`calibration.json`), never by editing these.
 */

export type HardwareClass = 'h100' | 'a100' | 'demo' | 'cpu';

export interface HardwareSpec {
  id: HardwareClass;
  label: string;
  /** Memory one GPU reports to the framework, GiB. */
  memoryGiB: number;
  hbmTBps: number;
  /** Dense tensor-core peak, TFLOP/s, for 16-bit weights and for fp8 weights. */
  peakTflops: { fp16: number; fp8: number };
  /**
   * How fp8 runs: `w8a8` uses fp8 tensor cores; `weight-only` dequantises fp8 weights into
   * 16-bit maths (Ampere has no fp8 tensor cores), so only memory traffic shrinks.
   */
  fp8Mode: 'w8a8' | 'weight-only';
  /** Per-GPU bandwidth one direction of an all-reduce can use, GB/s, and its latency, µs. */
  linkGBps: number;
  linkLatencyUs: number;
  /**
   * vLLM's OpenAI-server defaults on this device (EngineArgs.get_batch_defaults: ≥ 70 GiB and not
   * an A100 → 1024 sequences / 8192 tokens, otherwise 256 / 2048).
   */
  defaultMaxNumSeqs: number;
  defaultMaxNumBatchedTokens: number;
  /** GiB per GPU held by activations, CUDA graphs and the allocator besides weights and KV. */
  nonKvReserveGiB: number;
}

export const HARDWARE: Record<HardwareClass, HardwareSpec> = {
  h100: {
    id: 'h100',
    label: 'NVIDIA H100 80GB SXM',
    memoryGiB: 79.65,
    hbmTBps: 3.35,
    peakTflops: { fp16: 989.4, fp8: 1978.9 },
    fp8Mode: 'w8a8',
    linkGBps: 450,
    linkLatencyUs: 8,
    defaultMaxNumSeqs: 1024,
    defaultMaxNumBatchedTokens: 8192,
    nonKvReserveGiB: 2.4,
  },
  a100: {
    id: 'a100',
    label: 'NVIDIA A100 80GB PCIe',
    memoryGiB: 79.25,
    hbmTBps: 1.935,
    peakTflops: { fp16: 312, fp8: 312 },
    fp8Mode: 'weight-only',
    linkGBps: 25,
    linkLatencyUs: 15,
    defaultMaxNumSeqs: 256,
    defaultMaxNumBatchedTokens: 2048,
    nonKvReserveGiB: 1.6,
  },
  // One core of the 2-vCPU AMD EPYC (Zen 4) machines this project's real-vLLM suite runs on:
  // the CPU build of vLLM pins its worker to one core. Peak: 2.6 GHz × 64 bf16 FLOP per cycle
  // (AVX-512 BF16 dot products on 256-bit pipes); fp32 runs at half that, which the fp32
  // profile's fitted GEMM efficiency absorbs. vLLM's CPU defaults: 128 sequences, 2048 tokens.
  // The KV cache is VLLM_CPU_KVCACHE_SPACE (2 GiB), set by the profile, not from memoryGiB.
  cpu: {
    id: 'cpu',
    label: 'one core of a 2-vCPU AMD EPYC (Zen 4) VM',
    memoryGiB: 2,
    hbmTBps: 0.03,
    peakTflops: { fp16: 0.166, fp8: 0.166 },
    fp8Mode: 'weight-only',
    linkGBps: 1,
    linkLatencyUs: 1,
    defaultMaxNumSeqs: 128,
    defaultMaxNumBatchedTokens: 2048,
    nonKvReserveGiB: 0,
  },
  // A made-up small accelerator: its only job is a demo whose knee shows within minutes on a
  // laptop. Nothing about it is calibrated.
  demo: {
    id: 'demo',
    label: 'demo accelerator (synthetic, uncalibrated)',
    memoryGiB: 16,
    hbmTBps: 0.1,
    peakTflops: { fp16: 12, fp8: 24 },
    fp8Mode: 'w8a8',
    linkGBps: 50,
    linkLatencyUs: 10,
    defaultMaxNumSeqs: 32,
    defaultMaxNumBatchedTokens: 1024,
    nonKvReserveGiB: 1,
  },
};
