/** The calibration error table, as printed by scripts/calibrate-sim and quoted in the README. */

import type { ConfigComparison } from './calibrate.ts';

const pct = (value: number) => `${value.toFixed(1)}%`;
const round = (value: number) => Math.round(value).toLocaleString('en-US');

/** One markdown row per configuration, held-out ones marked, then the per-class averages. */
export function calibrationMarkdown(comparisons: ConfigComparison[]): string {
  const lines = [
    '| config | profile | set | θ(λ) MAPE | TTFT p50 MAPE | TPOT p50 MAPE | θ_max paper | θ_max sim |',
    '|---|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const c of comparisons) {
    lines.push(
      `| ${c.config} | ${c.profile} | ${c.heldOut ? '**held out**' : 'fit'} | ` +
        `${pct(c.thetaMapePct)} | ${pct(c.ttftP50MapePct)} | ${pct(c.tpotP50MapePct)} | ` +
        `${round(c.thetaMaxObs)} | ${round(c.thetaMaxSim)} |`,
    );
  }
  lines.push('');
  for (const summary of classSummaries(comparisons)) {
    lines.push(
      `- ${summary.hardwareClass.toUpperCase()}: held-out θ(λ) MAPE ${pct(summary.heldOutTheta)}, ` +
        `held-out TTFT p50 MAPE ${pct(summary.heldOutTtft)}; fitted configurations θ(λ) ` +
        `${pct(summary.fitTheta)}, TTFT p50 ${pct(summary.fitTtft)}`,
    );
  }
  return lines.join('\n');
}

export interface ClassSummary {
  hardwareClass: string;
  heldOutTheta: number;
  heldOutTtft: number;
  fitTheta: number;
  fitTtft: number;
}

/** Mean MAPE per hardware class, split into held-out and fitted configurations. */
export function classSummaries(comparisons: ConfigComparison[]): ClassSummary[] {
  const classes = [...new Set(comparisons.map((c) => hardwareClassOf(c.profile)))];
  const mean = (values: number[]) =>
    values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  return classes.map((hardwareClass) => {
    const mine = comparisons.filter((c) => hardwareClassOf(c.profile) === hardwareClass);
    const held = mine.filter((c) => c.heldOut);
    const fit = mine.filter((c) => !c.heldOut);
    return {
      hardwareClass,
      heldOutTheta: mean(held.map((c) => c.thetaMapePct)),
      heldOutTtft: mean(held.map((c) => c.ttftP50MapePct)),
      fitTheta: mean(fit.map((c) => c.thetaMapePct)),
      fitTtft: mean(fit.map((c) => c.ttftP50MapePct)),
    };
  });
}

export const hardwareClassOf = (profile: string): string =>
  profile.replace(/^\d+x/, '').split('-')[0] ?? profile;
