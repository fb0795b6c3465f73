/** Every reconstructed figure of the paper, in the paper note's order (R1–R9). */

import type { ConfigCurve } from '../curves.ts';
import { buildCurves } from '../curves.ts';
import type { PaperData } from '../data.ts';
import { shapeKey } from '../headline.ts';
import { enginePairs, fp8Pairs } from '../pairs.ts';
import type { PaperFigure } from './common.ts';
import { r4Fp8Gain, r5ActiveParams, r6Engines } from './compare.ts';
import { r1CostVsLoad, r2PenaltyVsLoad, r3Saturation, r8A100 } from './cost.ts';
import { r7Latency } from './latency.ts';
import { r9aStability, r9bShapes, r9cVariants } from './workload.ts';

export type { PaperFigure } from './common.ts';

const onH100 = (c: ConfigCurve) => /h100/i.test(c.hardware ?? '');
const onA100 = (c: ConfigCurve) => /a100/i.test(c.hardware ?? '');

/** The figures the data supports; R9 panels appear only when their files are present. */
export function paperFigures(data: PaperData, curves = buildCurves(data.runs)): PaperFigure[] {
  const vllmH100 = curves.filter((c) => onH100(c) && c.engine === 'vllm');
  const sglangH100 = curves.filter((c) => onH100(c) && c.engine === 'sglang');
  const a100 = curves.filter(onA100);

  const figures: PaperFigure[] = [];
  if (vllmH100.length > 0) {
    figures.push(r1CostVsLoad(vllmH100));
    figures.push(r2PenaltyVsLoad(vllmH100, sglangH100));
    figures.push(r3Saturation(vllmH100));
  }
  const fp8 = fp8Pairs(curves);
  if (fp8.length > 0) figures.push(r4Fp8Gain(fp8));
  figures.push(r5ActiveParams(curves));
  const engines = enginePairs(curves);
  if (engines.some((p) => onH100(p.vllm))) figures.push(r6Engines(engines));
  if (vllmH100.length > 0) figures.push(r7Latency(vllmH100, sglangH100));
  if (a100.length > 0) figures.push(r8A100(a100));
  if (data.stability && data.stability.length > 0) figures.push(r9aStability(data.stability));
  if (data.shapeRuns && data.shapeRuns.length > 0) {
    const shapes = buildCurves(data.shapeRuns, shapeKey);
    figures.push(r9bShapes(shapes));
    if (shapes.some((c) => c.points[0]?.run.gammaShape !== 1)) figures.push(r9cVariants(shapes));
  }
  return figures;
}
