/**
 * Configurations paired for the paper's comparisons: FP8 against FP16 of the same model on the
 * same engine and node, and vLLM against SGLang on the same model, precision and node.
 */

import type { ConfigCurve } from './curves.ts';

const sameNode = (a: ConfigCurve, b: ConfigCurve) => a.hardware === b.hardware && a.gpus === b.gpus;

export interface Fp8Pair {
  fp8: ConfigCurve;
  base: ConfigCurve;
  /** θ_max(FP8) / θ_max(FP16) − 1. */
  gain: number;
}

export function fp8Pairs(curves: readonly ConfigCurve[]): Fp8Pair[] {
  return curves.flatMap((fp8) => {
    if (fp8.precision !== 'fp8') return [];
    const base = curves.find(
      (c) =>
        c.precision !== 'fp8' &&
        c.engine === fp8.engine &&
        c.modelId === fp8.modelId &&
        sameNode(c, fp8),
    );
    return base ? [{ fp8, base, gain: fp8.thetaMaxTokPerS / base.thetaMaxTokPerS - 1 }] : [];
  });
}

export interface EnginePair {
  vllm: ConfigCurve;
  sglang: ConfigCurve;
  /** θ_max(vLLM) / θ_max(SGLang). */
  ratio: number;
}

export function enginePairs(curves: readonly ConfigCurve[]): EnginePair[] {
  return curves.flatMap((vllm) => {
    if (vllm.engine !== 'vllm') return [];
    const sglang = curves.find(
      (c) =>
        c.engine === 'sglang' &&
        c.modelId === vllm.modelId &&
        c.precision === vllm.precision &&
        sameNode(c, vllm),
    );
    return sglang ? [{ vllm, sglang, ratio: vllm.thetaMaxTokPerS / sglang.thetaMaxTokPerS }] : [];
  });
}
