/**
 * The run's plan: which steps exist (variant × λ × repeat), how each step's arrival schedule is
 * seeded, and how long it all takes (`run --dry-run`). Seeds are per (step, repeat, λ), not per
 * variant, so every variant of a comparison receives the very same requests at each step.
 */

import type { PlanOptions } from '../load/types.ts';
import type { ResolvedScenario, ResolvedVariant } from './scenario/resolve.ts';
import { sweepRates } from './scenario/resolve.ts';

export interface StepKey {
  variant: string;
  stepIndex: number;
  repeat: number;
  rateRps: number;
}

export const stepKeyId = (k: Pick<StepKey, 'variant' | 'stepIndex' | 'repeat'>) =>
  `${k.variant}\u0000${k.stepIndex}\u0000${k.repeat}`;

/** Every step of a fixed sweep for one variant, in run order; null for `auto`. */
export function fixedSteps(resolved: ResolvedScenario, variant: string): StepKey[] | null {
  const rates = sweepRates(resolved.sweep);
  if (!rates) return null;
  return rates.flatMap((rateRps, stepIndex) =>
    Array.from({ length: resolved.repeats }, (_, repeat) => ({
      variant,
      stepIndex,
      repeat,
      rateRps,
    })),
  );
}

export const streamIdOf = (k: Pick<StepKey, 'stepIndex' | 'repeat' | 'rateRps'>) =>
  `step-${k.stepIndex}/repeat-${k.repeat}/rate-${k.rateRps}`;

/** Steps in the whole run, or null when an auto sweep decides as it goes. */
export function totalSteps(resolved: ResolvedScenario): number | null {
  let total = 0;
  for (const v of resolved.variants) {
    const steps = fixedSteps(resolved, v.name);
    if (!steps) return null;
    total += steps.length;
  }
  return total;
}

/** Options for buildPlan, minus the arrival process (a trace is read from its file). */
export function planOptions(
  resolved: ResolvedScenario,
  key: StepKey,
): Omit<PlanOptions, 'arrival'> {
  const step = resolved.step;
  return {
    rateRps: key.rateRps,
    warmupSeconds: step.warmupSeconds,
    ...(step.measureSeconds !== null ? { measureSeconds: step.measureSeconds } : {}),
    ...(step.measureRequests !== null ? { measureRequests: step.measureRequests } : {}),
    promptLength: resolved.workload.promptLength,
    outputLength: resolved.workload.outputLength,
    seed: resolved.workload.seed,
    streamId: streamIdOf(key),
  };
}

/** Seconds of warm-up plus measurement of one step (the drain comes on top). */
export function stepSeconds(resolved: ResolvedScenario, rateRps: number): number {
  const s = resolved.step;
  const measure = s.measureSeconds ?? (s.measureRequests ?? 0) / rateRps;
  return s.warmupSeconds + measure;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

const lengthText = (d: ResolvedScenario['workload']['promptLength']): string => {
  switch (d.kind) {
    case 'fixed':
      return `fixed ${d.value}`;
    case 'uniform':
      return `uniform ${d.min}–${d.max}`;
    case 'normal':
    case 'lognormal':
      return `${d.kind} mean ${d.mean} sd ${d.stdev}`;
    case 'empirical':
      return `empirical (${d.values.length} lengths)`;
  }
};

const endpointText = (v: ResolvedVariant): string =>
  v.server ? `server: ${v.server.command.join(' ')} (port ${v.server.port})` : `target ${v.target}`;

/** What `run --dry-run` prints: the resolved plan and how long it will take. */
export function describePlan(resolved: ResolvedScenario): string {
  const w = resolved.workload;
  const s = resolved.step;
  const rates = sweepRates(resolved.sweep);
  const measure =
    s.measureSeconds !== null
      ? `measure ${s.measureSeconds} s`
      : `measure ${s.measureRequests} requests`;
  const lines = [
    `scenario ${resolved.name}${resolved.scenarioPath ? ` (${resolved.scenarioPath})` : ''}`,
    `  workload: prompt ${lengthText(w.promptLength)}, ` +
      `output ${lengthText(w.outputLength)} tokens; ` +
      `${w.arrival.kind}${w.arrival.kind === 'gamma' ? ` cv ${w.arrival.cv}` : ''} arrivals; ` +
      `seed ${w.seed}`,
    `  step: warm-up ${s.warmupSeconds} s, ${measure}, drain ≤ ${s.drainTimeoutSeconds} s; ` +
      `repeats ${resolved.repeats}` +
      (s.maxConcurrency ? `; max concurrency ${s.maxConcurrency}` : ''),
  ];
  if (resolved.slo) {
    const slo = resolved.slo;
    const bounds = (['ttftMs', 'tpotMs', 'itlMs', 'e2eMs'] as const)
      .filter((k) => slo[k])
      .map((k) => `${k.replace('Ms', '')} p${slo[k]?.percentile} ≤ ${slo[k]?.maxMs} ms`);
    lines.push(`  slo: ${bounds.join(', ')}; attainment ≥ ${slo.attainment}`);
  }
  lines.push(`  variants (${resolved.variants.length}):`);
  for (const v of resolved.variants) {
    const price = `$${v.pricing.gpuHourlyUsd}/GPU-h × ${v.pricing.gpus}`;
    lines.push(
      `    ${v.name}: ${endpointText(v)}; ` +
        `model ${v.model ?? '(from /v1/models)'}; ${v.api}; ${price}`,
    );
  }

  if (!rates) {
    const a = resolved.sweep.kind === 'auto' ? resolved.sweep : null;
    lines.push(
      `  rates: auto from ${a?.start} req/s ×${a?.factor} up to ${a?.max}, ` +
        `then ${a?.bisectSteps} ` +
        `bisections; at most ${a?.maxSteps} rates per variant`,
    );
    const perStep = stepSeconds(resolved, a?.start ?? 1);
    const maxSteps = (a?.maxSteps ?? 1) * resolved.repeats * resolved.variants.length;
    lines.push(`  time: about ${formatDuration(perStep)} per step, at most ${maxSteps} steps`);
    return `${lines.join('\n')}\n`;
  }

  const steps = rates.length * resolved.repeats * resolved.variants.length;
  const perVariant = rates.reduce((sum, r) => sum + stepSeconds(resolved, r) * resolved.repeats, 0);
  const measuredRequests = rates.reduce(
    (sum, r) => sum + (s.measureRequests ?? r * (s.measureSeconds ?? 0)) * resolved.repeats,
    0,
  );
  const drains = rates.length * resolved.repeats * s.drainTimeoutSeconds;
  const variants = resolved.variants.length;
  lines.push(`  rates (req/s): ${rates.join(', ')}`);
  lines.push(
    `  steps: ${variants} variant(s) × ${rates.length} rate(s) × ` +
      `${resolved.repeats} repeat(s) = ${steps}; ` +
      `about ${Math.round(measuredRequests * variants)} measured requests`,
  );
  lines.push(
    `  time: at least ${formatDuration(perVariant * variants)} (warm-up + measure), at most ` +
      `${formatDuration((perVariant + drains) * variants)} if every drain runs to its timeout, ` +
      'plus server start-up',
  );
  return `${lines.join('\n')}\n`;
}
