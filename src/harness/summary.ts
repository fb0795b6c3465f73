/**
 * Plain-text views of step records for people: the one line printed when a step ends, and the
 * table printed when a run ends. Costs use the step's own price (C_eff at its measured θ).
 */

import { stepGoodTokenShare } from '../analysis/steps.ts';
import { cEffUsdPerMTok, usdPerMillion } from '../cost/costModel.ts';
import type { StepRecord } from './records.ts';

const num = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);

export function stepCostUsd(step: StepRecord): number {
  return cEffUsdPerMTok(step.pricing, step.outputTokPerS);
}

/**
 * Cost of an SLO-compliant token, or null without SLOs. Goodput θ is θ times the compliant share
 * of tokens, as `analyze` computes it: good requests' tokens that arrive after the window closes
 * must not count, or goodput θ could exceed θ and the goodput cost fall below C_eff.
 */
export function goodputCostUsd(step: StepRecord): number | null {
  const goodShare = stepGoodTokenShare(step);
  if (goodShare === null || step.measuredSeconds <= 0) return null;
  const hourly = step.pricing.gpuHourlyUsd * step.pricing.gpus;
  return usdPerMillion(hourly, step.outputTokPerS * goodShare);
}

const money = (x: number | null) =>
  x === null ? '–' : Number.isFinite(x) ? `$${x.toFixed(2)}` : '∞';

/** `fp16 λ=10 req/s: ok, θ 2450 tok/s, C_eff $0.79/M output tokens, TTFT p50 35 ms p99 …` */
export function stepLine(step: StepRecord, prefix = ''): string {
  const slo = step.slo
    ? `, SLO ${step.slo.met === null ? '–' : step.slo.met ? 'met' : 'missed'}`
    : '';
  const reason = step.statusReason ? ` (${step.statusReason})` : '';
  const repeat = step.repeat > 0 ? ` repeat ${step.repeat + 1}` : '';
  return (
    `${prefix}${step.variant} λ=${step.rateRps} req/s${repeat}: ${step.status}${reason}, ` +
    `θ ${num(step.outputTokPerS)} tok/s, C_eff ${money(stepCostUsd(step))}/M output tokens, ` +
    `TTFT p50 ${num(step.latency.ttftMs.p50Ms)} ms p99 ${num(step.latency.ttftMs.p99Ms)} ms, ` +
    `${step.sent} sent, ${step.failed} failed${failureClasses(step)}${slo}`
  );
}

/** ` (http_429 ×3, timeout ×1)`: which failures, so a fault shows in the line that reports it. */
function failureClasses(step: StepRecord): string {
  const parts = Object.entries(step.errorsByClass)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([cls, n]) => `${cls} ×${n}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c < 2 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

/** The run's steps as a table: λ, θ, cost, goodput cost, latency, status. */
export function stepsTable(steps: readonly StepRecord[]): string {
  const header = [
    'variant',
    'status',
    'λ req/s',
    'θ tok/s',
    'offered tok/s',
    'C_eff $/M',
    'goodput $/M',
    'TTFT p50 ms',
    'TTFT p99 ms',
    'TPOT p50 ms',
    'SLO',
  ];
  const rows = steps.map((s) => [
    s.repeat > 0 ? `${s.variant}#${s.repeat + 1}` : s.variant,
    s.status,
    String(s.rateRps),
    num(s.outputTokPerS),
    num(s.offeredOutputTokPerS),
    money(stepCostUsd(s)).replace('$', ''),
    money(goodputCostUsd(s)).replace('$', ''),
    num(s.latency.ttftMs.p50Ms),
    num(s.latency.ttftMs.p99Ms),
    num(s.latency.tpotMs.p50Ms, 1),
    s.slo ? (s.slo.met === null ? '–' : s.slo.met ? 'met' : 'missed') : '–',
  ]);
  return `${table([header, ...rows])}\n`;
}
