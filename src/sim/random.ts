/** Small seeded generators: simulations must be reproducible run to run. */

/** SplitMix32-style generator returning uniforms in [0, 1). */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}

/** Marsaglia–Tsang gamma sampler (shape k, scale θ); k < 1 uses the boost k+1 trick. */
export function sampleGamma(uniform: () => number, shape: number, scale: number): number {
  if (shape < 1) {
    const boost = uniform() ** (1 / shape);
    return sampleGamma(uniform, shape + 1, scale) * boost;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(uniform);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniform();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
      return d * v * scale;
    }
  }
}

function normal(uniform: () => number): number {
  const u1 = Math.max(uniform(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Arrival offsets (s) the way `vllm bench serve` draws them: gamma gaps with shape `burstiness`
 * and mean 1/rate, summed, then rescaled so the last request lands at exactly N / rate.
 */
export function benchArrivalsS(
  count: number,
  rateRps: number,
  burstiness: number,
  seed: number,
): number[] {
  const uniform = seededUniform(seed);
  const offsets: number[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += sampleGamma(uniform, burstiness, 1 / (rateRps * burstiness));
    offsets.push(total);
  }
  const scale = total > 0 ? count / rateRps / total : 1;
  return offsets.map((t) => t * scale);
}
