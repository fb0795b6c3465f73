import { describe, expect, it } from 'vitest';
import { expectedExpertsTouched, MODELS } from '../../src/sim/models.ts';
import { resolveProfile } from '../../src/sim/profiles.ts';
import { type EfficiencyFactors, stepCostModel } from '../../src/sim/roofline.ts';

/** Round factors so every term can be added up by hand. */
const PLAIN: EfficiencyFactors = {
  gemmEffFp16: 0.5,
  gemmEffFp8: 0.5,
  memEff: 1,
  moeEff: 1,
  moeLayerUs: 0,
  commEff: 1,
  stepOverheadMs: 0,
  perSeqOverheadUs: 0,
  frontendMs: 0,
};

describe('roofline step time', () => {
  const llama = stepCostModel(resolveProfile('h100-llama3.1-8b-fp16', { factors: PLAIN }));

  it('a one-sequence decode step of Llama-3.1-8B fp16 on an H100 is weight-bandwidth bound', () => {
    // Streamed weights: 8.03B − 0.525B embedding = 7.505e9 params × 2 B = 15.01 GB.
    //   15.01e9 / 3.35e12 B/s = 4.48060 ms (compute: 2 × 7.505e9 / (989.4e12 × 0.5) = 0.030 ms).
    // Attention: (513 read + 1 written) tokens × 131,072 B (2 × 32 layers × 8 heads × 128 × 2 B)
    //   = 67.37 MB / 3.35e12 = 0.020110 ms.   Total 4.50071 ms.
    const t = llama.stepTimeS({
      seqs: 1,
      tokens: 1,
      prefillTokens: 0,
      kvReadTokens: 513,
      attnTokenPairs: 512.5,
    });
    expect(t * 1e3).toBeCloseTo(4.50071, 4);
  });

  it('a 512-token prefill step is compute bound', () => {
    // GEMMs: 2 × 7.505e9 × 512 = 7.6851e12 FLOP / (989.4e12 × 0.5) = 15.5349 ms.
    // Attention: 4 × 32 layers × 32 heads × 128 × (512 × 256 pairs) = 6.8719e10 FLOP
    //   / 4.947e14 = 0.13891 ms (its KV traffic, 1024 × 131,072 B, takes only 0.040 ms).
    const t = llama.stepTimeS({
      seqs: 1,
      tokens: 512,
      prefillTokens: 512,
      kvReadTokens: 512,
      attnTokenPairs: 512 * 256,
    });
    expect(t * 1e3).toBeCloseTo(15.5349 + 0.13891, 3);
  });

  it('adds the CPU overheads per step and per sequence', () => {
    const withCpu = stepCostModel(
      resolveProfile('h100-llama3.1-8b-fp16', {
        factors: { ...PLAIN, stepOverheadMs: 2, perSeqOverheadUs: 50 },
      }),
    );
    const shape = { seqs: 10, tokens: 10, prefillTokens: 0, kvReadTokens: 0, attnTokenPairs: 0 };
    // 2 ms + 10 × 50 µs = 2.5 ms on top of the same step without overheads.
    expect((withCpu.stepTimeS(shape) - llama.stepTimeS(shape)) * 1e3).toBeCloseTo(2.5, 9);
  });

  it('counts the distinct experts a batch touches (Qwen3-30B-A3B: 8 of 128 per token)', () => {
    const qwen = MODELS['qwen3-30b-a3b'];
    // One token routes to exactly 8 experts; two tokens: 128 × (1 − (120/128)²) = 15.5.
    expect(expectedExpertsTouched(qwen, 1)).toBeCloseTo(8, 12);
    expect(expectedExpertsTouched(qwen, 2)).toBeCloseTo(15.5, 12);
    expect(expectedExpertsTouched(qwen, 4096)).toBeCloseTo(128, 6);
    expect(expectedExpertsTouched(MODELS['llama3.1-8b'], 100)).toBe(0);
  });

  it('sizes the KV cache from the memory left after weights (vLLM: 0.9 of the GPU)', () => {
    const p = resolveProfile('h100-llama3.1-8b-fp16');
    // (79.65 GiB × 0.9 − 2.4 GiB reserve) × 2^30 − 16.06e9 B of weights = 58.40e9 B
    //   / 131,072 B per token = 445,567 tokens → 27,847 blocks of 16 (floor).
    const expected = Math.floor(((79.65 * 0.9 - 2.4) * 2 ** 30 - 16.06e9) / 131072 / 16);
    expect(p.scheduler.numBlocks).toBe(expected);
    expect(p.scheduler.maxNumSeqs).toBe(1024);
    expect(p.scheduler.maxNumBatchedTokens).toBe(8192);
    expect(resolveProfile('a100-llama3.1-8b-fp16').scheduler.maxNumSeqs).toBe(256);
  });

  it('rejects unknown profiles and configurations whose weights do not fit', () => {
    expect(() => resolveProfile('h100-llama4-fp16')).toThrow(/unknown simulator profile/);
    expect(() => resolveProfile('a100-mixtral-8x7b-fp16')).toThrow(/no room for a KV cache/);
    expect(resolveProfile('2xH100-Mixtral-8x7B-FP8').name).toBe('2xh100-mixtral-8x7b-fp8');
  });
});
