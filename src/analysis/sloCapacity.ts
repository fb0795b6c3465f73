/**
 * SLO capacity: the largest λ at which the SLO still holds. Between the last passing step and
 * the first failing one, each constraint that fails is interpolated linearly in λ to where it
 * meets its bound (attainment down to its target, a percentile up to its limit); the capacity is
 * the earliest of those crossings. Capacity is the first crossing: a step that passes again at a
 * higher λ is noted, not trusted, since load only adds queueing.
 */

import type { SloSpec } from '../harness/records.ts';
import type { LoadPoint, SloCapacity } from './types.ts';

const LABELS: Record<string, string> = {
  ttftMs: 'TTFT',
  tpotMs: 'TPOT',
  itlMs: 'ITL',
  e2eMs: 'E2E',
};

interface Constraint {
  name: string;
  value: (p: LoadPoint) => number | null;
  holds: (v: number) => boolean;
  bound: number;
}

function constraintsOf(slo: SloSpec, sample: LoadPoint): Constraint[] {
  const out: Constraint[] = [
    {
      name: 'attainment',
      value: (p) => p.slo?.attainment ?? null,
      holds: (v) => v >= slo.attainment,
      bound: slo.attainment,
    },
  ];
  (sample.slo?.checks ?? []).forEach((check, i) => {
    out.push({
      name: `${LABELS[check.metric] ?? check.metric} p${check.percentile}`,
      value: (p) => p.slo?.checks[i]?.valueMs ?? null,
      holds: (v) => v <= check.maxMs,
      bound: check.maxMs,
    });
  });
  return out;
}

const describe = (p: LoadPoint, constraints: Constraint[]): string | null => {
  const failing = constraints.filter((c) => {
    const v = c.value(p);
    return v !== null && !c.holds(v);
  });
  return failing.length ? failing.map((c) => c.name).join(', ') : null;
};

/** SLO capacity of one variant from its load points (ascending λ); null without SLO verdicts. */
export function sloCapacity(points: LoadPoint[], slo: SloSpec): SloCapacity | null {
  const judged = points.filter((p) => p.slo && p.slo.met !== null);
  if (judged.length === 0) return null;
  const constraints = constraintsOf(slo, judged[0] as LoadPoint);

  const first = judged[0] as LoadPoint;
  if (first.slo?.met === false) {
    return {
      rateRps: null,
      kind: 'below-range',
      limitedBy: describe(first, constraints),
      note: `the SLO fails already at the lowest λ measured (${first.rateRps} req/s)`,
    };
  }
  const failIndex = judged.findIndex((p) => p.slo?.met === false);
  if (failIndex === -1) {
    const last = judged[judged.length - 1] as LoadPoint;
    return {
      rateRps: last.rateRps,
      kind: 'above-range',
      limitedBy: null,
      note: `the SLO holds at every λ measured; capacity is at least ${last.rateRps} req/s`,
    };
  }

  const pass = judged[failIndex - 1] as LoadPoint;
  const fail = judged[failIndex] as LoadPoint;
  let best = { rate: fail.rateRps, name: describe(fail, constraints) };
  let crossed = false;
  for (const c of constraints) {
    const v0 = c.value(pass);
    const v1 = c.value(fail);
    if (v0 === null || v1 === null || !c.holds(v0) || c.holds(v1) || v1 === v0) continue;
    const t = (c.bound - v0) / (v1 - v0);
    const rate = pass.rateRps + Math.min(1, Math.max(0, t)) * (fail.rateRps - pass.rateRps);
    if (!crossed || rate < best.rate) best = { rate, name: c.name };
    crossed = true;
  }
  if (!crossed) {
    // The means pass but a single repeat failed: no bound to interpolate against.
    best = { rate: pass.rateRps, name: 'a failing repeat' };
  }

  const again = judged.slice(failIndex + 1).find((p) => p.slo?.met === true);
  return {
    rateRps: best.rate,
    kind: 'interpolated',
    limitedBy: best.name,
    note: again
      ? `the SLO holds again at λ = ${again.rateRps} req/s (noise?); the first crossing is used`
      : null,
  };
}
