/**
 * `check`: does a run regress against a baseline run? Per variant present in the baseline:
 * θ_max may not drop, SLO capacity may not drop, and C_eff at any λ both runs measured may not
 * rise, by more than the allowed fraction. A variant missing from the new run, and (unless
 * allowed) a step whose client and server counts failed to reconcile, are regressions too.
 */

import type { RunAnalysis, VariantAnalysis } from './types.ts';

export interface Finding {
  variant: string;
  check: 'theta-max' | 'slo-capacity' | 'cost' | 'reconciliation' | 'missing';
  rateRps: number | null;
  baseline: number | null;
  current: number | null;
  /** current/baseline − 1; null when not comparable. */
  change: number | null;
  regressed: boolean;
  message: string;
}

export interface RegressionReport {
  maxRegression: number;
  regressed: boolean;
  findings: Finding[];
}

export interface CheckOptions {
  /** Allowed relative change in the bad direction, e.g. 0.05. */
  maxRegression: number;
  allowReconciliationFailure?: boolean;
}

const pctText = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;
const n3 = (x: number) => Number(x.toPrecision(4)).toString();

function compareVariant(base: VariantAnalysis, cur: VariantAnalysis, limit: number): Finding[] {
  const out: Finding[] = [];
  const name = base.name;

  const thetaChange = cur.thetaMaxObservedTokPerS / base.thetaMaxObservedTokPerS - 1;
  out.push({
    variant: name,
    check: 'theta-max',
    rateRps: null,
    baseline: base.thetaMaxObservedTokPerS,
    current: cur.thetaMaxObservedTokPerS,
    change: thetaChange,
    regressed: thetaChange < -limit,
    message:
      `θ_max ${n3(base.thetaMaxObservedTokPerS)} → ${n3(cur.thetaMaxObservedTokPerS)} tok/s ` +
      `(${pctText(thetaChange)})`,
  });

  const capB = base.sloCapacity;
  const capC = cur.sloCapacity;
  if (capB?.rateRps != null) {
    const current = capC?.rateRps ?? null;
    const change = current === null ? null : current / capB.rateRps - 1;
    out.push({
      variant: name,
      check: 'slo-capacity',
      rateRps: null,
      baseline: capB.rateRps,
      current,
      change,
      regressed: change === null || change < -limit,
      message:
        current === null
          ? `SLO capacity ${n3(capB.rateRps)} req/s → ` +
            (capC ? 'fails at the lowest λ' : 'no SLO verdict')
          : `SLO capacity ${n3(capB.rateRps)} → ${n3(current)} req/s ` +
            `(${pctText(change as number)})`,
    });
  }

  for (const p of cur.points) {
    const b = base.points.find(
      (q) => Math.abs(q.rateRps - p.rateRps) <= 1e-9 * Math.max(1, q.rateRps),
    );
    if (!b) continue;
    const change = p.cost.cEffUsdPerMTok / b.cost.cEffUsdPerMTok - 1;
    out.push({
      variant: name,
      check: 'cost',
      rateRps: p.rateRps,
      baseline: b.cost.cEffUsdPerMTok,
      current: p.cost.cEffUsdPerMTok,
      change,
      // NaN (both unbounded) is not a regression; unbounded now and finite before is.
      regressed:
        change > limit ||
        (!Number.isFinite(p.cost.cEffUsdPerMTok) && Number.isFinite(b.cost.cEffUsdPerMTok)),
      message:
        `C_eff at λ=${p.rateRps}: ${n3(b.cost.cEffUsdPerMTok)} → ` +
        `${n3(p.cost.cEffUsdPerMTok)} $/M ` +
        `(${Number.isFinite(change) ? pctText(change) : 'unbounded'})`,
    });
  }
  return out;
}

export function checkRegression(
  current: RunAnalysis,
  baseline: RunAnalysis,
  options: CheckOptions,
): RegressionReport {
  const limit = options.maxRegression;
  const findings: Finding[] = [];
  for (const base of baseline.variants) {
    const cur = current.variants.find((v) => v.name === base.name);
    if (!cur) {
      findings.push({
        variant: base.name,
        check: 'missing',
        rateRps: null,
        baseline: null,
        current: null,
        change: null,
        regressed: true,
        message: `variant '${base.name}' of the baseline is missing from the run`,
      });
      continue;
    }
    findings.push(...compareVariant(base, cur, limit));
  }

  for (const step of current.steps) {
    if (step.reconciliation?.ok !== false) continue;
    findings.push({
      variant: step.variant,
      check: 'reconciliation',
      rateRps: step.rateRps,
      baseline: null,
      current: null,
      change: null,
      regressed: !options.allowReconciliationFailure,
      message:
        `λ=${step.rateRps} repeat ${step.repeat}: client and server counts disagree ` +
        `(${step.reconciliation.warnings.join('; ') || 'reconciliation failed'})`,
    });
  }
  return { maxRegression: limit, regressed: findings.some((f) => f.regressed), findings };
}
