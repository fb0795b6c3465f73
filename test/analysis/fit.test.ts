import { describe, expect, it } from 'vitest';
import {
  fitSaturation,
  offeredAtFraction,
  type SaturationParams,
  saturatingThroughput,
} from '../../src/analysis/fit.ts';

/** The model written out plainly, independently of fit.ts: a·θmax / (aⁿ + θmaxⁿ)^(1/n). */
const plain = (x: number, p: SaturationParams) => {
  const a = p.deliveryRatio * x;
  return (
    (a * p.thetaMaxTokPerS) /
    (a ** p.sharpness + p.thetaMaxTokPerS ** p.sharpness) ** (1 / p.sharpness)
  );
};

/** Offered output tok/s for λ ∈ {0.5 … 64} req/s at 256 requested tokens. */
const OFFERED = [0.5, 1, 2, 4, 6, 8, 10, 12, 16, 24, 32, 64].map((rate) => rate * 256);

function seededNormal(seed: number) {
  let state = seed;
  const uniform = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state + 0.5) / 2147483648;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

const within = (actual: number, expected: number, relative: number) =>
  expect(Math.abs(actual / expected - 1)).toBeLessThan(relative);

describe('saturating throughput model', () => {
  it('matches the plain formula, including far above the knee where aⁿ would overflow', () => {
    const p = { thetaMaxTokPerS: 2400, sharpness: 4, deliveryRatio: 0.95 };
    for (const x of [1, 100, 2400, 1e5])
      expect(saturatingThroughput(x, p)).toBeCloseTo(plain(x, p), 6);
    // n = 40 at a = 1e6: aⁿ = 1e240 is fine, but n = 60 would be 1e360 = ∞ in the plain formula.
    expect(saturatingThroughput(1e6, { ...p, sharpness: 60 })).toBeCloseTo(2400, 6);
    expect(saturatingThroughput(0, p)).toBe(0);
  });

  it('knee: θ at offeredAtFraction(0.9) is 90% of θ_max', () => {
    for (const sharpness of [1, 2, 4, 10]) {
      const p = { thetaMaxTokPerS: 3000, sharpness, deliveryRatio: 0.9 };
      const x = offeredAtFraction(p, 0.9);
      expect(plain(x, p) / 3000).toBeCloseTo(0.9, 10);
    }
    // n = 1: r/(1+r) = 0.9 → r = 9, x = 9·θmax/s = 9 × 3000 / 0.9 = 30000 tok/s.
    expect(
      offeredAtFraction({ thetaMaxTokPerS: 3000, sharpness: 1, deliveryRatio: 0.9 }),
    ).toBeCloseTo(30000, 6);
  });
});

describe('fitSaturation', () => {
  it.each([
    { thetaMaxTokPerS: 2400, sharpness: 4, deliveryRatio: 0.95 },
    { thetaMaxTokPerS: 9271, sharpness: 2, deliveryRatio: 1 },
    { thetaMaxTokPerS: 1500, sharpness: 12, deliveryRatio: 0.8 },
    { thetaMaxTokPerS: 5000, sharpness: 1.5, deliveryRatio: 1.02 },
  ])('recovers θ_max, n and s from an exact curve: %o', (truth) => {
    const points = OFFERED.map((x) => ({ offeredTokPerS: x, outputTokPerS: plain(x, truth) }));
    const fit = fitSaturation(points, { fitDeliveryRatio: true });
    within(fit.params.thetaMaxTokPerS, truth.thetaMaxTokPerS, 0.001);
    within(fit.params.sharpness, truth.sharpness, 0.001);
    within(fit.params.deliveryRatio, truth.deliveryRatio, 0.001);
    expect(fit.rmseLog).toBeLessThan(1e-4);
    expect(fit.dof).toBe(OFFERED.length - 3);
  });

  it('recovers the parameters within 2% from noisy repeats (1% noise, 3 repeats)', () => {
    const truth = { thetaMaxTokPerS: 2400, sharpness: 4, deliveryRatio: 0.95 };
    const normal = seededNormal(7);
    const points = OFFERED.flatMap((x) =>
      [0, 1, 2].map(() => ({
        offeredTokPerS: x,
        outputTokPerS: plain(x, truth) * Math.exp(0.01 * normal()),
      })),
    );
    const fit = fitSaturation(points, { fitDeliveryRatio: true });
    within(fit.params.thetaMaxTokPerS, truth.thetaMaxTokPerS, 0.02);
    within(fit.params.deliveryRatio, truth.deliveryRatio, 0.02);
    // n is the least determined parameter; the truth lies within 3 standard errors.
    expect(Math.abs(fit.params.sharpness - 4)).toBeLessThan(3 * (fit.se.sharpness as number));
    within(offeredAtFraction(fit.params), offeredAtFraction(truth), 0.02);
    // Standard errors are of the size of the noise: 1% of θ over 36 points → well under 2%.
    expect((fit.se.thetaMaxTokPerS as number) / 2400).toBeLessThan(0.02);
    expect(fit.rmseLog).toBeGreaterThan(0.005);
    expect(fit.rmseLog).toBeLessThan(0.015);
  });

  it('holds s at 1 when asked (3 λ leave no room for a third parameter)', () => {
    const truth = { thetaMaxTokPerS: 2000, sharpness: 3, deliveryRatio: 1 };
    const points = [256, 2048, 8192].map((x) => ({
      offeredTokPerS: x,
      outputTokPerS: plain(x, truth),
    }));
    const fit = fitSaturation(points, { fitDeliveryRatio: false });
    expect(fit.params.deliveryRatio).toBe(1);
    expect(fit.se.deliveryRatio).toBeNull();
    within(fit.params.thetaMaxTokPerS, 2000, 0.001);
    within(fit.params.sharpness, 3, 0.001);
  });

  it('refuses fewer points than parameters', () => {
    expect(() =>
      fitSaturation([{ offeredTokPerS: 1, outputTokPerS: 1 }], { fitDeliveryRatio: false }),
    ).toThrow(/at least 2 points/);
  });
});
