/**
 * The saturating throughput model and its least-squares fit. Pure functions, no I/O.
 *
 *   θ(x) = a·θ_max / (a^n + θ_max^n)^(1/n),   a = s·x
 *
 * x is the offered load in output tokens per second (λ × mean requested output length). Below
 * the knee θ ≈ s·x (s: the fraction of requested tokens delivered, 1 ideally); above it θ → θ_max;
 * n sets how sharp the bend is (n → ∞ is a hard min(a, θ_max)).
 *
 * The fit minimises squared residuals of ln θ, so a 5% miss at λ = 1 weighs as much as one at
 * λ = 200 (θ spans decades). Parameters are fitted as logarithms (which keeps them positive and
 * the problem well scaled); standard errors come from σ²(JᵀJ)⁻¹ and are mapped back with the
 * delta method (SE(p) = p·SE(ln p)).
 */

import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { inverse, Matrix } from 'ml-matrix';

export interface SaturationParams {
  thetaMaxTokPerS: number;
  sharpness: number;
  deliveryRatio: number;
}

export interface FitPoint {
  offeredTokPerS: number;
  outputTokPerS: number;
}

export interface SaturationFit {
  params: SaturationParams;
  /** Standard errors; null when there are no residual degrees of freedom or JᵀJ is singular. */
  se: { thetaMaxTokPerS: number | null; sharpness: number | null; deliveryRatio: number | null };
  deliveryRatioFitted: boolean;
  points: number;
  dof: number;
  r2Log: number | null;
  rmseLog: number;
  iterations: number;
}

/** ln(1 + e^z) without overflow. */
const softplus = (z: number): number =>
  z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** ln θ at offered load x, for log-parameters (ln θ_max, ln n, ln s). */
function logTheta(x: number, lnThetaMax: number, lnN: number, lnS: number): number {
  const n = Math.exp(lnN);
  const u = lnS + Math.log(x) - lnThetaMax;
  return lnS + Math.log(x) - softplus(n * u) / n;
}

/** Partial derivatives of ln θ with respect to (ln θ_max, ln n, ln s). */
function logThetaGradient(x: number, lnThetaMax: number, lnN: number, lnS: number): number[] {
  const n = Math.exp(lnN);
  const u = lnS + Math.log(x) - lnThetaMax;
  const z = n * u;
  const sig = sigmoid(z);
  return [sig, softplus(z) / n - sig * u, 1 - sig];
}

/** θ at offered output tokens/s `offeredTokPerS`. */
export function saturatingThroughput(offeredTokPerS: number, p: SaturationParams): number {
  if (!(offeredTokPerS > 0)) return 0;
  return Math.exp(
    logTheta(
      offeredTokPerS,
      Math.log(p.thetaMaxTokPerS),
      Math.log(p.sharpness),
      Math.log(p.deliveryRatio),
    ),
  );
}

/**
 * Offered output tokens/s at which θ reaches `fraction` of θ_max. From θ/θ_max = r/(1+rⁿ)^(1/n)
 * with r = a/θ_max: r = f/(1−fⁿ)^(1/n), and x = r·θ_max/s.
 */
export function offeredAtFraction(p: SaturationParams, fraction = 0.9): number {
  const n = p.sharpness;
  const r = fraction / (1 - fraction ** n) ** (1 / n);
  return (r * p.thetaMaxTokPerS) / p.deliveryRatio;
}

const START_SHARPNESS = [1, 2, 4, 8, 16];

/**
 * Least-squares fit of the model to (offered, θ) points with θ > 0. With `fitDeliveryRatio`
 * false, s is held at 1 (fewer points than parameters would leave no degrees of freedom).
 */
export function fitSaturation(
  points: FitPoint[],
  options: { fitDeliveryRatio: boolean },
): SaturationFit {
  const usable = points.filter((p) => p.offeredTokPerS > 0 && p.outputTokPerS > 0);
  const xs = usable.map((p) => p.offeredTokPerS);
  const ys = usable.map((p) => Math.log(p.outputTokPerS));
  const fitS = options.fitDeliveryRatio;
  const nParams = fitS ? 3 : 2;
  if (usable.length < nParams) {
    throw new RangeError(`need at least ${nParams} points with θ > 0, got ${usable.length}`);
  }

  const thetaPeak = Math.max(...usable.map((p) => p.outputTokPerS));
  const lowest = usable.reduce((a, b) => (b.offeredTokPerS < a.offeredTokPerS ? b : a));
  const s0 = fitS ? Math.min(2, Math.max(0.1, lowest.outputTokPerS / lowest.offeredTokPerS)) : 1;

  // Parameter vectors are (ln θ_max, ln n[, ln s]).
  const unpack = (q: number[]): [number, number, number] => [
    q[0] as number,
    q[1] as number,
    fitS ? (q[2] as number) : 0,
  ];
  const model = (q: number[]) => {
    const [l, ln, ls] = unpack(q);
    return (x: number) => logTheta(x, l, ln, ls);
  };
  const jacobian = (q: number[]) => {
    const [l, ln, ls] = unpack(q);
    return (x: number) => logThetaGradient(x, l, ln, ls).slice(0, nParams);
  };
  const minValues = [Math.log(thetaPeak * 0.5), Math.log(0.3), Math.log(0.05)].slice(0, nParams);
  const maxValues = [Math.log(thetaPeak * 50), Math.log(60), Math.log(3)].slice(0, nParams);

  const ssrOf = (q: number[]) => {
    const f = model(q);
    return xs.reduce((acc, x, i) => acc + ((ys[i] as number) - f(x)) ** 2, 0);
  };

  let best: { q: number[]; ssr: number; iterations: number } | null = null;
  for (const n0 of START_SHARPNESS) {
    const start = [Math.log(thetaPeak * 1.05), Math.log(n0), Math.log(s0)].slice(0, nParams);
    const result = levenbergMarquardt({ x: xs, y: ys }, model, {
      initialValues: start,
      jacobianFunction: jacobian,
      minValues,
      maxValues,
      maxIterations: 400,
      errorTolerance: 1e-14,
      damping: 1e-2,
    });
    const ssr = ssrOf(result.parameterValues);
    if (!best || ssr < best.ssr) {
      best = { q: result.parameterValues, ssr, iterations: result.iterations };
    }
  }
  if (!best) throw new RangeError('no fit');

  const [lnThetaMax, lnN, lnS] = unpack(best.q);
  const params: SaturationParams = {
    thetaMaxTokPerS: Math.exp(lnThetaMax),
    sharpness: Math.exp(lnN),
    deliveryRatio: Math.exp(lnS),
  };
  const m = usable.length;
  const dof = m - nParams;
  const logSe = standardErrors(xs, jacobian(best.q), best.ssr, dof, nParams);
  const meanY = ys.reduce((a, b) => a + b, 0) / m;
  const sst = ys.reduce((acc, y) => acc + (y - meanY) ** 2, 0);

  return {
    params,
    se: {
      thetaMaxTokPerS: logSe ? params.thetaMaxTokPerS * (logSe[0] as number) : null,
      sharpness: logSe ? params.sharpness * (logSe[1] as number) : null,
      deliveryRatio: logSe && fitS ? params.deliveryRatio * (logSe[2] as number) : null,
    },
    deliveryRatioFitted: fitS,
    points: m,
    dof,
    r2Log: sst > 0 ? 1 - best.ssr / sst : null,
    rmseLog: Math.sqrt(best.ssr / m),
    iterations: best.iterations,
  };
}

/** sqrt of the diagonal of σ²(JᵀJ)⁻¹ with σ² = SSR/dof; null without dof or when singular. */
function standardErrors(
  xs: number[],
  gradientAt: (x: number) => number[],
  ssr: number,
  dof: number,
  nParams: number,
): number[] | null {
  if (dof <= 0) return null;
  const jac = new Matrix(xs.map((x) => gradientAt(x)));
  const jtj = jac.transpose().mmul(jac);
  let inv: Matrix;
  try {
    inv = inverse(jtj);
  } catch {
    return null;
  }
  const sigma2 = ssr / dof;
  const out: number[] = [];
  for (let i = 0; i < nParams; i++) {
    const variance = sigma2 * inv.get(i, i);
    if (!(variance >= 0) || !Number.isFinite(variance)) return null;
    out.push(Math.sqrt(variance));
  }
  return out;
}
