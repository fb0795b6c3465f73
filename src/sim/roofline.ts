/**
 * How long one engine step takes on a profile: a roofline per kind of kernel, summed, because a
 * step runs its GEMMs, expert GEMMs and attention one after another and each is bound either by
 * tensor-core throughput or by HBM bandwidth. Tensor-parallel steps add two all-reduces per
 * layer; every step pays a fixed and a per-sequence CPU cost (scheduling, sampling, output
 * processing). The efficiency factors are fitted per hardware class (`calibration.json`).
 */

import { expectedExpertsTouched, kvBytesPerToken, sharedParamsB } from './models.ts';
import type { SimProfile } from './profiles.ts';
import type { StepShape } from './scheduler.ts';

/** What a real server reaches relative to the datasheet, per hardware class. */
export interface EfficiencyFactors {
  /** Fraction of the 16-bit tensor peak that dense GEMMs and attention reach. */
  gemmEffFp16: number;
  /** Fraction of the fp8 peak (of the 16-bit peak for weight-only fp8) fp8 GEMMs reach. */
  gemmEffFp8: number;
  /** Fraction of HBM bandwidth that weight and KV streaming reach. */
  memEff: number;
  /** Efficiency of routed-expert GEMMs relative to dense ones (≤ 1). */
  moeEff: number;
  /** Fixed cost per mixture-of-experts layer and step (routing, permutes, extra launches). */
  moeLayerUs: number;
  /** Fraction of the link bandwidth all-reduces reach. */
  commEff: number;
  stepOverheadMs: number;
  perSeqOverheadUs: number;
  /** Time from a request's arrival to its entering the scheduler (HTTP, tokenisation, IPC). */
  frontendMs: number;
}

export const FACTOR_KEYS: readonly (keyof EfficiencyFactors)[] = [
  'gemmEffFp16',
  'gemmEffFp8',
  'memEff',
  'moeEff',
  'moeLayerUs',
  'commEff',
  'stepOverheadMs',
  'perSeqOverheadUs',
  'frontendMs',
];

/** Constants of a profile that every step reuses, computed once. */
export interface StepCostModel {
  stepTimeS(shape: StepShape): number;
}

export function stepCostModel(profile: SimProfile): StepCostModel {
  const { hardware: hw, model: m, gpus, factors: f } = profile;
  const fp8 = profile.precision === 'fp8';
  const peak16 = hw.peakTflops.fp16 * 1e12 * gpus;
  const peakW = (fp8 ? hw.peakTflops.fp8 : hw.peakTflops.fp16) * 1e12 * gpus;
  const gemmEff = fp8 ? f.gemmEffFp8 : f.gemmEffFp16;
  const bandwidth = hw.hbmTBps * 1e12 * gpus * f.memEff;
  const bytesW = profile.bytesPerWeight;
  const sharedParams = sharedParamsB(m) * 1e9;
  const expertParams = m.expertParamsB * 1e9;
  const activeExpertFraction = m.experts > 0 ? m.expertsPerToken / m.experts : 0;
  const kvBytes = kvBytesPerToken(m, profile.bytesPerKvElement);
  const attnFlopsPerPair = 4 * m.layers * m.queryHeads * m.headDim;
  // The LM head stays in 16 bits in fp8 checkpoints; it is as large as the embedding table.
  const lmHeadParams = m.embeddingParamsB * 1e9;
  const sharedWeightS = ((sharedParams - lmHeadParams) * bytesW + lmHeadParams * 2) / bandwidth;
  const sharedFlopsPerToken = 2 * sharedParams;
  const allReduces = 2 * m.layers;
  const ringFactor = gpus > 1 ? (2 * (gpus - 1)) / gpus : 0;
  const linkBytesPerS = hw.linkGBps * 1e9 * f.commEff;
  const cpuFixedS = f.stepOverheadMs / 1e3;
  const moeFixedS = (m.layers * f.moeLayerUs) / 1e6;
  const cpuPerSeqS = f.perSeqOverheadUs / 1e6;

  return {
    stepTimeS(shape: StepShape): number {
      const tokens = shape.tokens;
      const shared = Math.max((sharedFlopsPerToken * tokens) / (peakW * gemmEff), sharedWeightS);

      let experts = 0;
      if (expertParams > 0) {
        const touchedFraction = expectedExpertsTouched(m, tokens) / m.experts;
        const flops = 2 * expertParams * activeExpertFraction * tokens;
        const bytes = expertParams * touchedFraction * bytesW;
        experts = Math.max(flops / (peakW * gemmEff * f.moeEff), bytes / bandwidth) + moeFixedS;
      }

      const attnFlops = attnFlopsPerPair * shape.attnTokenPairs;
      const attnBytes = (shape.kvReadTokens + tokens) * kvBytes;
      const attention = Math.max(attnFlops / (peak16 * f.gemmEffFp16), attnBytes / bandwidth);

      let comm = 0;
      if (gpus > 1) {
        const message = tokens * m.hiddenSize * 2;
        comm = allReduces * (hw.linkLatencyUs / 1e6 + (ringFactor * message) / linkBytesPerS);
      }

      return shared + experts + attention + comm + cpuFixedS + cpuPerSeqS * shape.seqs;
    },
  };
}
