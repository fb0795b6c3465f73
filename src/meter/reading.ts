/**
 * From measured window figures to what an operator reads: cost per token at this load, the
 * paper's floor and the penalty against it, and the SLO verdict. Pure functions.
 */

import { type NodePrice, stepCost } from '../cost/costModel.ts';
import type { QuantileSummary } from '../telemetry/types.ts';
import type { WindowedStats } from './rollingWindows.ts';
import {
  LATENCY_KEYS,
  type LatencyKey,
  LENGTH_KEYS,
  type LengthKey,
  type MeterSlo,
  type ReferenceInfo,
  type SloCheck,
  type SloStatus,
  type WindowCost,
  type WindowReading,
} from './types.ts';

/** A window's measured figures, before any price is applied. */
export type WindowFigures = Omit<WindowReading, 'cost' | 'slo'>;

export const EMPTY_QUANTILES: QuantileSummary = {
  p50: null,
  p90: null,
  p99: null,
  mean: null,
  count: null,
};

const emptyLatencies = (): Record<LatencyKey, QuantileSummary> =>
  Object.fromEntries(LATENCY_KEYS.map((k) => [k, { ...EMPTY_QUANTILES }])) as Record<
    LatencyKey,
    QuantileSummary
  >;

const emptyLengths = (): Record<LengthKey, QuantileSummary> =>
  Object.fromEntries(LENGTH_KEYS.map((k) => [k, { ...EMPTY_QUANTILES }])) as Record<
    LengthKey,
    QuantileSummary
  >;

export function emptyFigures(windowSeconds: number): WindowFigures {
  return {
    windowSeconds,
    spanSeconds: null,
    filled: false,
    outputTokensPerS: null,
    promptTokensPerS: null,
    requestsPerS: null,
    arrivalsPerS: null,
    preemptionsPerS: null,
    latencyMs: emptyLatencies(),
    lengths: emptyLengths(),
    prefixCacheHitRate: null,
  };
}

/** Direct mode: the telemetry core's window statistics as meter figures. */
export function figuresFromStats(windowed: WindowedStats): WindowFigures {
  const { stats } = windowed;
  if (!stats) return emptyFigures(windowed.windowSeconds);
  return {
    windowSeconds: windowed.windowSeconds,
    spanSeconds: windowed.spanSeconds,
    filled: windowed.filled,
    outputTokensPerS: stats.rates.outputTokensPerS,
    promptTokensPerS: stats.rates.promptTokensPerS,
    requestsPerS: stats.rates.requestsPerS,
    arrivalsPerS: stats.rates.arrivalsPerS,
    preemptionsPerS: stats.rates.preemptionsPerS,
    latencyMs: { ...emptyLatencies(), ...pick(stats.latencyMs, LATENCY_KEYS) },
    lengths: { ...emptyLengths(), ...pick(stats.lengths, LENGTH_KEYS) },
    prefixCacheHitRate: stats.prefixCacheHitRate,
  };
}

function pick<K extends string>(
  from: Partial<Record<K, QuantileSummary>>,
  keys: readonly K[],
): Partial<Record<K, QuantileSummary>> {
  const out: Partial<Record<K, QuantileSummary>> = {};
  for (const key of keys) if (from[key]) out[key] = from[key];
  return out;
}

export function windowCost(
  figures: WindowFigures,
  price: NodePrice,
  reference: ReferenceInfo | null,
): WindowCost {
  const theta = figures.outputTokensPerS;
  if (theta === null) {
    return {
      cEffUsdPerMTok: null,
      usdPerMInputTok: null,
      usdPerRequest: null,
      cNaiveUsdPerMTok: reference?.cNaiveUsdPerMTok ?? null,
      penalty: null,
      idle: false,
    };
  }
  const cost = stepCost(
    price,
    {
      outputTokPerS: theta,
      promptTokPerS: figures.promptTokensPerS ?? 0,
      completedRps: figures.requestsPerS ?? 0,
      goodOutputTokPerS: null,
    },
    reference?.thetaMaxTokPerS ?? null,
  );
  return {
    cEffUsdPerMTok: cost.cEffUsdPerMTok,
    usdPerMInputTok: figures.promptTokensPerS === null ? null : cost.usdPerMInputTok,
    usdPerRequest: figures.requestsPerS === null ? null : cost.usdPerRequest,
    cNaiveUsdPerMTok: cost.cNaiveUsdPerMTok,
    penalty: cost.penalty,
    idle: !(theta > 0),
  };
}

/** p99 of each declared bound over the window; a window with no request gives no verdict. */
export function sloStatus(figures: WindowFigures, slo: MeterSlo | null): SloStatus | null {
  if (!slo) return null;
  const bounds: Array<[SloCheck['metric'], number | null]> = [
    ['ttft', slo.ttftP99Ms],
    ['tpot', slo.tpotP99Ms],
    ['e2e', slo.e2eP99Ms],
  ];
  const checks: SloCheck[] = [];
  for (const [metric, maxMs] of bounds) {
    if (maxMs === null) continue;
    const p99Ms = figures.latencyMs[metric].p99;
    checks.push({ metric, p99Ms, maxMs, ok: p99Ms === null ? null : p99Ms <= maxMs });
  }
  const judged = checks.filter((c) => c.ok !== null);
  return { checks, met: judged.length === 0 ? null : judged.every((c) => c.ok) };
}

export function priceWindow(
  figures: WindowFigures,
  price: NodePrice,
  reference: ReferenceInfo | null,
  slo: MeterSlo | null,
): WindowReading {
  return { ...figures, cost: windowCost(figures, price, reference), slo: sloStatus(figures, slo) };
}
