/**
 * Seeded random numbers with independent substreams. A substream's state is the SHA-256 of
 * (seed, streamId), so two streams never share draws however the ids relate (GuideLLM seeded
 * every worker alike and repeated each gap ten times). The generator is xoshiro128**: 32-bit
 * integer arithmetic only, fast in V8, period 2^128 − 1, and reproducible on every platform.
 */

import { createHash } from 'node:crypto';

export interface Rng {
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform integer in [min, max), max − min ≤ 2^32. */
  int(min: number, max: number): number;
}

/** A generator for one named stream of one seed. */
export function substream(seed: number | string, streamId: string): Rng {
  const digest = createHash('sha256').update(`${seed}\u0000${streamId}`).digest();
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) s[i] = digest.readUInt32LE(i * 4);
  // The all-zero state is the one fixed point of xoshiro; a hash makes it practically
  // impossible, but the guard costs nothing.
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 0x9e3779b9;
  return new Xoshiro128(s);
}

class Xoshiro128 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(state: Uint32Array) {
    this.a = state[0]!;
    this.b = state[1]!;
    this.c = state[2]!;
    this.d = state[3]!;
  }

  /** Next 32 random bits as an unsigned integer. */
  private u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  next(): number {
    // 27 + 26 bits → a double with full 53-bit resolution.
    const hi = this.u32() >>> 5;
    const lo = this.u32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Exponential with the given rate (mean 1/rate). */
export function exponential(rng: Rng, rate: number): number {
  // 1 − u ∈ (0, 1], so the log is finite.
  return -Math.log(1 - rng.next()) / rate;
}

/** Standard normal by the Marsaglia polar method (the second variate is dropped: simpler). */
export function standardNormal(rng: Rng): number {
  for (;;) {
    const u = 2 * rng.next() - 1;
    const v = 2 * rng.next() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

export function normal(rng: Rng, mean: number, stdev: number): number {
  return mean + stdev * standardNormal(rng);
}

/**
 * Gamma(shape, scale) by Marsaglia and Tsang (2000). For shape < 1 it draws Gamma(shape + 1)
 * and multiplies by U^(1/shape), the boost from the same paper.
 */
export function gamma(rng: Rng, shape: number, scale: number): number {
  if (shape < 1) {
    const boost = rng.next() ** (1 / shape);
    return gamma(rng, shape + 1, scale) * boost;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

/**
 * Lognormal given the mean and standard deviation of the variable itself (not of its log), the
 * way length distributions are usually described.
 */
export function lognormal(rng: Rng, mean: number, stdev: number): number {
  const sigma2 = Math.log(1 + (stdev * stdev) / (mean * mean));
  const mu = Math.log(mean) - sigma2 / 2;
  return Math.exp(mu + Math.sqrt(sigma2) * standardNormal(rng));
}
