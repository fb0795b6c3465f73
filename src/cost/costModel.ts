/**
 * The cost model: pure functions, no I/O. Everything is per node-hour — the price of one GPU-hour
 * times the GPUs the server occupies — divided by what that hour produced.
 *
 *   C_eff  = gpuHourlyUsd × gpus × 1e6 / (3600 × θ)      USD per million output tokens
 *   C_naive = the same at θ_max;  penalty U⁻¹ = C_eff / C_naive = θ_max / θ
 *
 * θ is output tokens per second over the measured wall-clock, idle time included. A θ of 0 gives
 * an unbounded cost (Infinity): an idle GPU still costs money and produces nothing.
 */

export interface NodePrice {
  gpuHourlyUsd: number;
  gpus: number;
}

export const nodeHourlyUsd = (price: NodePrice): number => price.gpuHourlyUsd * price.gpus;

/** USD per million units produced at `unitsPerS` by a node costing `hourlyUsd`. */
export function usdPerMillion(hourlyUsd: number, unitsPerS: number): number {
  if (!(unitsPerS > 0)) return Number.POSITIVE_INFINITY;
  return (hourlyUsd * 1e6) / (3600 * unitsPerS);
}

/** C_eff: USD per million output tokens at output throughput θ (tokens/s). */
export const cEffUsdPerMTok = (price: NodePrice, outputTokPerS: number): number =>
  usdPerMillion(nodeHourlyUsd(price), outputTokPerS);

/** USD per request at a completion rate (requests/s). */
export function usdPerRequest(price: NodePrice, completedRps: number): number {
  if (!(completedRps > 0)) return Number.POSITIVE_INFINITY;
  return nodeHourlyUsd(price) / (3600 * completedRps);
}

/** Underutilisation penalty: C_eff / C_naive = θ_max / θ (≥ 1 when θ ≤ θ_max). */
export function penalty(outputTokPerS: number, thetaMaxTokPerS: number): number {
  if (!(outputTokPerS > 0)) return Number.POSITIVE_INFINITY;
  return thetaMaxTokPerS / outputTokPerS;
}

/** The throughput a cost implies: θ = hourly × 1e6 / (3600 × C). Inverse of usdPerMillion. */
export function throughputForCost(hourlyUsd: number, usdPerMTok: number): number {
  return (hourlyUsd * 1e6) / (3600 * usdPerMTok);
}

export interface StepThroughputs {
  outputTokPerS: number;
  promptTokPerS: number;
  completedRps: number;
  /** Output tokens/s of requests that met every SLO; null without SLOs. */
  goodOutputTokPerS: number | null;
}

export interface StepCost {
  nodeHourlyUsd: number;
  cEffUsdPerMTok: number;
  cNaiveUsdPerMTok: number | null;
  penalty: number | null;
  /** Cost of an SLO-compliant output token: the whole node-hour over good tokens only. */
  goodputUsdPerMTok: number | null;
  usdPerRequest: number;
  usdPerMInputTok: number;
  usdPerMTotalTok: number;
}

/** Every cost figure of one measured step; θ_max, when known, adds C_naive and the penalty. */
export function stepCost(
  price: NodePrice,
  step: StepThroughputs,
  thetaMaxTokPerS: number | null = null,
): StepCost {
  const hourly = nodeHourlyUsd(price);
  return {
    nodeHourlyUsd: hourly,
    cEffUsdPerMTok: usdPerMillion(hourly, step.outputTokPerS),
    cNaiveUsdPerMTok: thetaMaxTokPerS === null ? null : usdPerMillion(hourly, thetaMaxTokPerS),
    penalty: thetaMaxTokPerS === null ? null : penalty(step.outputTokPerS, thetaMaxTokPerS),
    goodputUsdPerMTok:
      step.goodOutputTokPerS === null ? null : usdPerMillion(hourly, step.goodOutputTokPerS),
    usdPerRequest: usdPerRequest(price, step.completedRps),
    usdPerMInputTok: usdPerMillion(hourly, step.promptTokPerS),
    usdPerMTotalTok: usdPerMillion(hourly, step.promptTokPerS + step.outputTokPerS),
  };
}

/** JSON has no Infinity: unbounded costs are written as null with this marker beside them. */
export const finiteOrNull = (value: number | null): number | null =>
  value === null || !Number.isFinite(value) ? null : value;
