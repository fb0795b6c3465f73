/**
 * `sweep.kind: auto`: find the knee without knowing it. Raise λ by `factor` while each step
 * keeps up (θ ≥ saturation × offered output tok/s, no lower than the best θ so far, SLO met);
 * at the first step that does not, bisect between the last good and the first bad rate.
 *
 * The decision is a pure function of the steps already measured, so `--resume` replays it from
 * steps.jsonl and continues with the rate an uninterrupted run would have chosen after the same
 * measurements.
 */

import type { StepRecord } from './records.ts';

export interface AutoSweepConfig {
  start: number;
  max: number;
  factor: number;
  bisectSteps: number;
  saturation: number;
  maxSteps: number;
}

/** One measured rate (repeats already combined). */
export interface AutoObservation {
  rateRps: number;
  outputTokPerS: number;
  offeredOutputTokPerS: number;
  sloMet: boolean | null;
  failed: boolean;
}

export type AutoDecision =
  | { kind: 'run'; rateRps: number; phase: 'ramp' | 'bisect' }
  | { kind: 'stop'; reason: string; lastGoodRps: number | null; firstBadRps: number | null };

const fmt = (x: number) =>
  Number.isInteger(x) ? String(x) : x.toPrecision(4).replace(/\.?0+$/, '');

/** Why a step counts as past the knee, or null when it kept up. */
export function pastKnee(
  obs: AutoObservation,
  bestTokPerS: number,
  saturation: number,
): string | null {
  if (obs.failed) return `every request failed at ${fmt(obs.rateRps)} req/s`;
  if (obs.sloMet === false) return `SLO missed at ${fmt(obs.rateRps)} req/s`;
  if (obs.outputTokPerS < saturation * obs.offeredOutputTokPerS) {
    return (
      `θ ${fmt(obs.outputTokPerS)} tok/s < ${Math.round(saturation * 100)}% of offered ` +
      `${fmt(obs.offeredOutputTokPerS)} tok/s at ${fmt(obs.rateRps)} req/s`
    );
  }
  if (obs.outputTokPerS < bestTokPerS) {
    return (
      `θ fell to ${fmt(obs.outputTokPerS)} tok/s at ${fmt(obs.rateRps)} req/s ` +
      `(best ${fmt(bestTokPerS)})`
    );
  }
  return null;
}

const roundRate = (x: number) => Math.round(x * 1000) / 1000;

export function nextAutoRate(
  cfg: AutoSweepConfig,
  history: readonly AutoObservation[],
): AutoDecision {
  let best = 0;
  let lastGood: number | null = null;
  let firstBad: number | null = null;
  let badReason = '';
  let bisections = 0;

  for (const obs of history) {
    const inBisection = firstBad !== null;
    const reason = pastKnee(obs, best, cfg.saturation);
    if (reason === null) {
      lastGood = lastGood === null ? obs.rateRps : Math.max(lastGood, obs.rateRps);
      best = Math.max(best, obs.outputTokPerS);
    } else if (firstBad === null || obs.rateRps < firstBad) {
      firstBad = obs.rateRps;
      badReason = reason;
    }
    if (inBisection) bisections += 1;
  }

  const stop = (reason: string): AutoDecision => ({
    kind: 'stop',
    reason,
    lastGoodRps: lastGood,
    firstBadRps: firstBad,
  });

  if (history.length >= cfg.maxSteps) return stop(`reached maxSteps (${cfg.maxSteps})`);
  if (history.length === 0) return { kind: 'run', rateRps: cfg.start, phase: 'ramp' };

  if (firstBad === null) {
    const last = lastGood ?? cfg.start;
    if (last >= cfg.max) return stop(`reached sweep max ${fmt(cfg.max)} req/s without saturating`);
    return { kind: 'run', rateRps: roundRate(Math.min(last * cfg.factor, cfg.max)), phase: 'ramp' };
  }
  if (lastGood === null) {
    return stop(`already past the knee at the first rate: ${badReason}; lower sweep.start`);
  }
  const knee = `knee between ${fmt(lastGood)} and ${fmt(firstBad)} req/s (${badReason})`;
  if (bisections >= cfg.bisectSteps) return stop(knee);
  const mid = roundRate((lastGood + firstBad) / 2);
  if (mid <= lastGood || mid >= firstBad) return stop(knee);
  return { kind: 'run', rateRps: mid, phase: 'bisect' };
}

/**
 * Repeats of one auto-sweep rate combined: mean throughput, SLO missed if any repeat missed.
 * Offered load is the one realised by the schedule (requests actually planned in the window),
 * not the nominal λ: at low rates a short window holds few Poisson arrivals, and comparing θ
 * with the nominal rate would call an idle server saturated.
 */
export function observeRate(group: StepRecord[]): AutoObservation {
  const mean = (f: (s: StepRecord) => number) => group.reduce((a, s) => a + f(s), 0) / group.length;
  const realisedOffered = (s: StepRecord) =>
    s.rateRps > 0 && s.measuredSeconds > 0
      ? (s.offeredOutputTokPerS / s.rateRps) * (s.measuredRequests / s.measuredSeconds)
      : s.offeredOutputTokPerS;
  const slos = group.map((s) => s.slo?.met ?? null);
  return {
    rateRps: (group[0] as StepRecord).rateRps,
    outputTokPerS: mean((s) => s.outputTokPerS),
    offeredOutputTokPerS: mean(realisedOffered),
    sloMet: slos.includes(false) ? false : slos.includes(true) ? true : null,
    failed: group.every((s) => s.status === 'failed'),
  };
}
