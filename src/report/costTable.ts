/**
 * The cost table: one row per variant × λ (repeats aggregated), for the terminal and as CSV,
 * plus one summary line per variant (θ_max, fit, knee, SLO capacity).
 */

import { stringify } from 'csv-stringify/sync';
import { describeSlo } from '../analysis/sloSpec.ts';
import type { LoadPoint, RunAnalysis, SloCapacity, VariantAnalysis } from '../analysis/types.ts';
import { pct, sig, textTable, usd } from './format.ts';

const sloCell = (p: LoadPoint): string =>
  p.slo === null ? '—' : p.slo.met === null ? '?' : p.slo.met ? 'met' : 'missed';

export function costRows(analysis: RunAnalysis): string[][] {
  return analysis.variants.flatMap((v) =>
    v.points.map((p) => [
      v.name,
      sig(p.rateRps),
      sig(p.offeredOutputTokPerS),
      p.outputTokPerS.stdev === null
        ? sig(p.outputTokPerS.mean, 4)
        : `${sig(p.outputTokPerS.mean, 4)} ± ${sig(p.outputTokPerS.stdev, 2)}`,
      usd(p.cost.cEffUsdPerMTok),
      usd(p.cost.cNaiveUsdPerMTok),
      `${sig(p.cost.penalty)}×`,
      usd(p.cost.goodputUsdPerMTok),
      sig(p.cost.usdPerRequest, 3),
      pct(p.slo?.attainment),
      sloCell(p),
      `${p.repeats}${p.invalidRepeats ? ` (${p.invalidRepeats} invalid)` : ''}`,
    ]),
  );
}

const HEADER = [
  'variant',
  'λ req/s',
  'offered tok/s',
  'θ tok/s',
  'C_eff $/M',
  'C_naive $/M',
  'penalty',
  'goodput $/M',
  '$/request',
  'attain',
  'SLO',
  'repeats',
];

export function capacityText(c: SloCapacity | null): string {
  if (!c) return 'no SLO';
  if (c.kind === 'below-range') return `below the lowest λ (${c.limitedBy ?? 'SLO'} fails)`;
  if (c.kind === 'above-range') return `≥ ${sig(c.rateRps)} req/s (held at every λ)`;
  return `${sig(c.rateRps)} req/s (limited by ${c.limitedBy})`;
}

export function variantSummary(v: VariantAnalysis): string {
  const lines = [
    `${v.name}: θ_max (observed) ${sig(v.thetaMaxObservedTokPerS, 4)} tok/s, ` +
      `C_naive ${usd(v.cNaiveUsdPerMTok)} $/M, cheapest C_eff ${usd(v.minCEffUsdPerMTok)} $/M, ` +
      `SLO capacity ${capacityText(v.sloCapacity)}`,
  ];
  if (v.fit.ok) {
    lines.push(`  fit: ${v.fit.equation}`);
    lines.push(
      `  knee λ* (θ = 90% θ_max) ${sig(v.fit.kneeRps)} req/s; R² (ln θ) ${sig(v.fit.r2Log, 4)}, ` +
        `RMSE (ln θ) ${sig(v.fit.rmseLog, 2)}`,
    );
  } else {
    lines.push(`  no fit: ${v.fit.reason}`);
  }
  return lines.join('\n');
}

/** What `analyze` prints: the table, one summary per variant, the SLO used. */
export function costTableText(analysis: RunAnalysis): string {
  const parts = [textTable(HEADER, costRows(analysis)), ''];
  for (const v of analysis.variants) parts.push(variantSummary(v));
  if (analysis.slo.spec) {
    parts.push(`SLO (${analysis.slo.source}): ${describeSlo(analysis.slo.spec)}`);
  }
  return parts.join('\n');
}

const finite = (v: number | null | undefined): number | string =>
  v === null || v === undefined || !Number.isFinite(v) ? '' : v;

/** cost-table.csv: full precision, empty cells for unknown or unbounded values. */
export function costTableCsv(analysis: RunAnalysis): string {
  const rows = analysis.variants.flatMap((v) =>
    v.points.map((p) => ({
      variant: v.name,
      rate_rps: p.rateRps,
      repeats: p.repeats,
      invalid_repeats: p.invalidRepeats,
      offered_output_tok_per_s: finite(p.offeredOutputTokPerS),
      output_tok_per_s_mean: finite(p.outputTokPerS.mean),
      output_tok_per_s_min: finite(p.outputTokPerS.min),
      output_tok_per_s_max: finite(p.outputTokPerS.max),
      output_tok_per_s_stdev: finite(p.outputTokPerS.stdev),
      c_eff_usd_per_mtok: finite(p.cost.cEffUsdPerMTok),
      c_eff_min_usd_per_mtok: finite(p.cEffRangeUsdPerMTok.min),
      c_eff_max_usd_per_mtok: finite(p.cEffRangeUsdPerMTok.max),
      c_naive_usd_per_mtok: finite(p.cost.cNaiveUsdPerMTok),
      penalty: finite(p.cost.penalty),
      goodput_usd_per_mtok: finite(p.cost.goodputUsdPerMTok),
      usd_per_request: finite(p.cost.usdPerRequest),
      usd_per_m_input_tok: finite(p.cost.usdPerMInputTok),
      usd_per_m_total_tok: finite(p.cost.usdPerMTotalTok),
      slo_attainment: finite(p.slo?.attainment),
      slo_met: p.slo?.met ?? '',
      ttft_p99_ms: finite(p.latencyMs.ttftP99),
      tpot_p99_ms: finite(p.latencyMs.tpotP99),
      e2e_p99_ms: finite(p.latencyMs.e2eP99),
      littles_law_ratio: finite(p.littlesLawRatio),
      gpu_hourly_usd: v.pricing.gpuHourlyUsd,
      gpus: v.pricing.gpus,
    })),
  );
  return stringify(rows, { header: true });
}
