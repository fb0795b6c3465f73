/**
 * The analyzer's saturating fit applied to each of the paper's configurations: how well
 * θ(λ) = a·θ_max/(aⁿ+θ_maxⁿ)^(1/n), a = s·λ·L_out, describes a published curve, and where its
 * θ_max and knee land against the measured ones. The paper itself takes θ_max as the largest
 * measured θ; the fit says how far the grid was from the plateau.
 */

import { fitSaturation, offeredAtFraction } from '../analysis/fit.ts';
import type { ConfigCurve } from './curves.ts';

export interface PaperFit {
  thetaMaxTokPerS: number;
  /** Standard error of θ_max; null when the fit leaves no degrees of freedom. */
  thetaMaxSe: number | null;
  sharpness: number;
  deliveryRatio: number;
  /** Fitted θ_max / the largest measured θ − 1. */
  thetaMaxVsMeasured: number;
  /** λ where the fit reaches 90 % of its θ_max. */
  kneeRps: number;
  r2Log: number | null;
  /** Root mean square of ln θ_measured − ln θ_fit over the curve's points. */
  rmseLog: number;
  points: number;
}

export function fitPaperCurve(curve: ConfigCurve): PaperFit {
  const outputTokens = curve.outputTokensPerRequest;
  const fit = fitSaturation(
    curve.points.map((p) => ({
      offeredTokPerS: p.rateRps * outputTokens,
      outputTokPerS: p.outputTokPerS,
    })),
    // s is a free parameter only with a point to spare for it.
    { fitDeliveryRatio: curve.points.length >= 4 },
  );
  return {
    thetaMaxTokPerS: fit.params.thetaMaxTokPerS,
    thetaMaxSe: fit.se.thetaMaxTokPerS,
    sharpness: fit.params.sharpness,
    deliveryRatio: fit.params.deliveryRatio,
    thetaMaxVsMeasured: fit.params.thetaMaxTokPerS / curve.thetaMaxTokPerS - 1,
    kneeRps: offeredAtFraction(fit.params) / outputTokens,
    r2Log: fit.r2Log,
    rmseLog: fit.rmseLog,
    points: fit.points,
  };
}
