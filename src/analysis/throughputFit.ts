/**
 * The per-variant fit of θ(λ) and the continuous curves drawn from it: C_eff(λ) from the fitted
 * θ, and goodput cost from the fitted θ times the SLO-compliant share of tokens, interpolated
 * linearly between measured λ.
 *
 * Knee λ*: the λ at which the fitted θ reaches 90% of θ_max (the paper's definition of its
 * `kneeRps`), i.e. offered load x₉₀ = 0.9/(1−0.9ⁿ)^(1/n) · θ_max / s, divided by L_out.
 */

import { usdPerMillion } from '../cost/costModel.ts';
import { fitSaturation, offeredAtFraction, saturatingThroughput } from './fit.ts';
import type { LoadPoint, StepAnalysis, ThroughputFit, VariantCurves } from './types.ts';

export const KNEE_FRACTION = 0.9;
const CURVE_SAMPLES = 80;

const fmt = (v: number, digits = 3) => Number(v.toPrecision(digits)).toString();
const pm = (v: number, se: number | null, digits = 3) =>
  se === null ? fmt(v, digits) : `${fmt(v, digits)} ± ${fmt(se, 2)}`;

/** Fits θ against offered output tok/s over the usable steps of one variant. */
export function fitVariant(rows: StepAnalysis[]): ThroughputFit {
  const points = rows
    .filter((r) => r.outputTokPerS > 0 && r.offeredOutputTokPerS > 0 && r.rateRps > 0)
    .map((r) => ({ rate: r.rateRps, offered: r.offeredOutputTokPerS, theta: r.outputTokPerS }));
  const rates = [...new Set(points.map((p) => p.rate))].sort((a, b) => a - b);
  if (rates.length < 3) {
    return {
      ok: false,
      reason:
        `a saturating fit needs at least 3 distinct λ with output, this variant has ` +
        `${rates.length}${rates.length ? ` (λ = ${rates.join(', ')} req/s)` : ''}`,
    };
  }

  // With 3 λ a third parameter would leave no degrees of freedom: hold s at 1 then.
  const fitDeliveryRatio = rates.length >= 4;
  const fit = fitSaturation(
    points.map((p) => ({ offeredTokPerS: p.offered, outputTokPerS: p.theta })),
    { fitDeliveryRatio },
  );
  const lOut =
    points.reduce((acc, p) => acc + p.offered, 0) / points.reduce((acc, p) => acc + p.rate, 0);
  const kneeOffered = offeredAtFraction(fit.params, KNEE_FRACTION);
  const { thetaMaxTokPerS: thetaMax, sharpness: n, deliveryRatio: s } = fit.params;

  const warnings: string[] = [];
  if (fit.se.thetaMaxTokPerS !== null && fit.se.thetaMaxTokPerS > 0.25 * thetaMax) {
    warnings.push(
      `θ_max is poorly determined (± ${Math.round((100 * fit.se.thetaMaxTokPerS) / thetaMax)}%)`,
    );
  }
  const maxOffered = Math.max(...points.map((p) => p.offered));
  if (maxOffered < kneeOffered) {
    warnings.push('no step reaches the knee: θ_max is an extrapolation beyond the sweep');
  }
  if (n >= 59 || n <= 0.31) {
    warnings.push(`the sharpness n hit its search bound (${fmt(n)}): the bend is not resolved`);
  }
  if (!fitDeliveryRatio) warnings.push('s held at 1: only 3 distinct λ');

  const equation =
    `θ(λ) = a·θmax / (aⁿ + θmaxⁿ)^(1/n), a = s·λ·L_out, with ` +
    `θmax = ${pm(thetaMax, fit.se.thetaMaxTokPerS, 4)} tok/s, ` +
    `n = ${pm(n, fit.se.sharpness)}, ` +
    `s = ${fitDeliveryRatio ? pm(s, fit.se.deliveryRatio) : '1 (fixed)'}, ` +
    `L_out = ${fmt(lOut, 4)} tok`;

  return {
    ok: true,
    thetaMaxTokPerS: thetaMax,
    thetaMaxSe: fit.se.thetaMaxTokPerS,
    sharpness: n,
    sharpnessSe: fit.se.sharpness,
    deliveryRatio: s,
    deliveryRatioSe: fit.se.deliveryRatio,
    deliveryRatioFitted: fitDeliveryRatio,
    meanRequestedOutputTokens: lOut,
    kneeRps: kneeOffered / lOut,
    kneeOfferedTokPerS: kneeOffered,
    r2Log: fit.r2Log,
    rmseLog: fit.rmseLog,
    points: fit.points,
    dof: fit.dof,
    equation,
    warnings,
  };
}

/** Linear interpolation in x over sorted knots, clamped to the end values. */
function interpolate(xs: number[], ys: number[], x: number): number {
  if (x <= (xs[0] as number)) return ys[0] as number;
  for (let i = 1; i < xs.length; i++) {
    const x1 = xs[i] as number;
    if (x <= x1) {
      const x0 = xs[i - 1] as number;
      const y0 = ys[i - 1] as number;
      return y0 + ((x - x0) / (x1 - x0)) * ((ys[i] as number) - y0);
    }
  }
  return ys[ys.length - 1] as number;
}

/** Fitted θ, C_eff and goodput cost on a log-spaced λ grid spanning the measured λ. */
export function variantCurves(
  fit: ThroughputFit,
  points: LoadPoint[],
  hourlyUsd: number,
): VariantCurves | null {
  if (!fit.ok || points.length === 0) return null;
  const lo = (points[0] as LoadPoint).rateRps;
  const hi = (points[points.length - 1] as LoadPoint).rateRps;
  const params = {
    thetaMaxTokPerS: fit.thetaMaxTokPerS,
    sharpness: fit.sharpness,
    deliveryRatio: fit.deliveryRatio,
  };
  const rateRps = Array.from({ length: CURVE_SAMPLES }, (_, i) =>
    hi === lo ? lo : lo * (hi / lo) ** (i / (CURVE_SAMPLES - 1)),
  );
  const outputTokPerS = rateRps.map((rate) =>
    saturatingThroughput(rate * fit.meanRequestedOutputTokens, params),
  );
  const cEffUsdPerMTok = outputTokPerS.map((theta) => usdPerMillion(hourlyUsd, theta));

  const hasGood = points.every((p) => p.goodOutputTokPerS !== null);
  let goodputUsdPerMTok: number[] | null = null;
  if (hasGood) {
    const xs = points.map((p) => p.rateRps);
    const share = points.map((p) =>
      p.outputTokPerS.mean > 0
        ? Math.min(1, Math.max(0, (p.goodOutputTokPerS as number) / p.outputTokPerS.mean))
        : 0,
    );
    goodputUsdPerMTok = rateRps.map((rate, i) =>
      usdPerMillion(hourlyUsd, (outputTokPerS[i] as number) * interpolate(xs, share, rate)),
    );
  }
  return { rateRps, outputTokPerS, cEffUsdPerMTok, goodputUsdPerMTok };
}
