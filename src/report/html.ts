/**
 * The self-contained HTML report: one file, inline CSS and inline SVG figures, no script, no
 * font or image fetched from anywhere, so it opens offline and prints. Every string that came
 * from a scenario, a server or a file is escaped.
 */

import { describeSlo } from '../analysis/sloSpec.ts';
import type { RunAnalysis, StepAnalysis, VariantAnalysis } from '../analysis/types.ts';
import { capacityText, costRows } from './costTable.ts';
import type { RenderedFigure } from './figures.ts';
import { escapeHtml as e, pct, sig, usd } from './format.ts';

const CSS = `
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1b1b1b; margin: 2em auto;
  max-width: 1100px; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.86em; }
th, td { border: 1px solid #d0d0d0; padding: 3px 7px; text-align: right; vertical-align: top; }
td:not(.t) { white-space: nowrap; }
th { background: #f2f4f7; } td.t, th.t { text-align: left; }
figure { margin: 1.5em 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; max-width: 880px; display: block; }
figcaption { font-size: 0.9em; color: #444; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 0.85em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; white-space: pre-wrap; }
.warn li { color: #8a4b00; } .muted { color: #666; }
@media print { body { max-width: none; } h2 { break-after: avoid; } }
`;

function table(header: string[], rows: string[][], textColumns: number[] = [0]): string {
  const cell = (tag: string, i: number, text: string) =>
    `<${tag}${textColumns.includes(i) ? ' class="t"' : ''}>${e(text)}</${tag}>`;
  const head = `<tr>${header.map((h, i) => cell('th', i, h)).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c, i) => cell('td', i, c)).join('')}</tr>`);
  return `<table>${head}${body.join('')}</table>`;
}

function runSection(a: RunAnalysis): string {
  const r = a.run;
  const rows: string[][] = [
    ['results directory', a.runDir],
    ['scenario', r.scenarioName],
    ['started / ended', `${r.startedAt} / ${r.endedAt ?? '—'}`],
    ['status', r.status],
    ['measured with', `vllm-cost-meter ${r.toolVersion}${r.gitCommit ? ` (${r.gitCommit})` : ''}`],
    ['analysed with', `${a.tool.name} ${a.tool.version} at ${a.generatedAt}`],
    ['host', `${r.host?.hostname ?? '?'} — ${r.host?.cpus ?? '?'}, ${r.host?.cores ?? '?'} cores`],
  ];
  if (r.importedFrom) {
    rows.push(['imported from', `${r.importedFrom.tool}: ${r.importedFrom.files.join(', ')}`]);
  }
  return `<h2>Run</h2>${table(['', ''], rows, [0, 1])}`;
}

function variantsSection(a: RunAnalysis): string {
  const rows = a.variants.map((v) => [
    v.name,
    v.model ?? '—',
    v.quantization ?? '—',
    v.serverVersion ?? '—',
    `${v.pricing.gpuHourlyUsd} $/GPU-h × ${v.pricing.gpus}`,
    v.pricing.source,
  ]);
  return (
    '<h2>Variants and prices</h2>' +
    table(
      ['variant', 'model', 'quantization', 'server', 'price', 'price source'],
      rows,
      [0, 1, 2, 3, 5],
    )
  );
}

function fitCells(v: VariantAnalysis): string[] {
  if (!v.fit.ok) return ['—', '—', '—', '—', '—', v.fit.reason];
  const f = v.fit;
  const pm = (x: number, se: number | null) => (se === null ? sig(x) : `${sig(x)} ± ${sig(se, 2)}`);
  return [
    pm(f.thetaMaxTokPerS, f.thetaMaxSe),
    pm(f.sharpness, f.sharpnessSe),
    f.deliveryRatioFitted ? pm(f.deliveryRatio, f.deliveryRatioSe) : '1 (fixed)',
    sig(f.kneeRps),
    sig(f.r2Log, 4),
    `RMSE ln θ ${sig(f.rmseLog, 2)}`,
  ];
}

function summarySection(a: RunAnalysis): string {
  const rows = a.variants.map((v) => [
    v.name,
    sig(v.thetaMaxObservedTokPerS, 4),
    usd(v.cNaiveUsdPerMTok),
    usd(v.minCEffUsdPerMTok),
    ...fitCells(v),
    capacityText(v.sloCapacity),
  ]);
  const equations = a.variants
    .map(
      (v) =>
        `<li><b>${e(v.name)}</b>: ` +
        `<code>${e(v.fit.ok ? v.fit.equation : `no fit — ${v.fit.reason}`)}</code></li>`,
    )
    .join('');
  const slo = a.slo.spec
    ? `<p>SLO (${e(a.slo.source)}): ${e(describeSlo(a.slo.spec))}. ` +
      'TTFT and E2E are measured from the intended send time.</p>'
    : '<p class="muted">No SLO was set: goodput cost and SLO capacity are not computed.</p>';
  return (
    '<h2>Summary</h2>' +
    table(
      [
        'variant',
        'θ_max obs. tok/s',
        'C_naive $/M',
        'min C_eff $/M',
        'θ_max fit tok/s',
        'n',
        's',
        'knee λ* req/s',
        'R² (ln θ)',
        'fit quality',
        'SLO capacity',
      ],
      rows,
      [0, 9, 10],
    ) +
    slo +
    `<h3>Fitted equations</h3><ul>${equations}</ul>` +
    '<p class="muted">θ(λ) is fitted by least squares on ln θ (Levenberg–Marquardt), ± is one ' +
    'standard error from σ²(JᵀJ)⁻¹. The knee λ* is where the fitted θ reaches 90% of θ_max. ' +
    'C_naive is the cost at the highest mean θ observed; the penalty is C_eff / C_naive.</p>'
  );
}

function costSection(a: RunAnalysis): string {
  const header = [
    'variant',
    'λ req/s',
    'offered tok/s',
    'θ tok/s',
    'C_eff $/M',
    'C_naive $/M',
    'penalty',
    'goodput $/M',
    '$/request',
    'attainment',
    'SLO',
    'repeats',
  ];
  const extra = a.variants.flatMap((v) =>
    v.points.map((p) => [usd(p.cost.usdPerMInputTok), usd(p.cost.usdPerMTotalTok)]),
  );
  const rows = costRows(a).map((row, i) => [...row, ...(extra[i] ?? [])]);
  return (
    '<h2>Cost at each load</h2>' +
    table([...header, '$/M input', '$/M total'], rows, [0, 10]) +
    '<p class="muted">Costs at the mean θ over repeats ' +
    '(± is the sample standard deviation of θ). ' +
    'Offered tok/s = λ × mean requested output length.</p>'
  );
}

function stepRow(s: StepAnalysis): string[] {
  const rec = s.reconciliation;
  return [
    s.variant,
    sig(s.rateRps),
    String(s.repeat),
    s.status,
    s.source,
    sig(s.outputTokPerS, 4),
    usd(s.cost.cEffUsdPerMTok),
    `${s.ok}/${s.measuredRequests}`,
    sig(s.latency.ttftFromIntendedMs.p99Ms),
    sig(s.latency.tpotMs.p99Ms),
    s.littlesLaw.ratio === null ? '—' : sig(s.littlesLaw.ratio),
    rec === null ? '—' : rec.ok === null ? '?' : rec.ok ? 'ok' : 'FAILED',
    pct(s.slo?.attainment),
  ];
}

function stepsSection(a: RunAnalysis): string {
  const header = [
    'variant',
    'λ',
    'repeat',
    'status',
    'source',
    'θ tok/s',
    'C_eff $/M',
    'ok/measured',
    'TTFT p99 ms',
    'TPOT p99 ms',
    'Little ratio',
    'reconciled',
    'attainment',
  ];
  return (
    '<h2>Every step</h2>' +
    table(header, a.steps.map(stepRow), [0, 3, 4, 11]) +
    '<p class="muted">Little ratio: mean requests in flight / (completion rate × mean E2E); ' +
    'near 1 when the client view is consistent.</p>'
  );
}

function warningsSection(a: RunAnalysis): string {
  if (a.warnings.length === 0) return '<h2>Warnings</h2><p>None.</p>';
  const items = a.warnings.map((w) => `<li>${e(w)}</li>`).join('');
  return `<h2>Warnings</h2><ul class="warn">${items}</ul>`;
}

function figuresSection(figures: RenderedFigure[]): string {
  const items = figures.map(
    (f) =>
      `<figure id="fig-${e(f.id)}" data-figure="${e(f.id)}">${f.svg}` +
      `<figcaption><b>${e(f.title)}.</b> ${e(f.caption)}</figcaption></figure>`,
  );
  return `<h2>Figures</h2>${items.join('')}`;
}

export function buildHtmlReport(a: RunAnalysis, figures: RenderedFigure[]): string {
  const scenario = JSON.stringify(a.run.scenario, null, 2) ?? 'null';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${e(`Cost report — ${a.run.scenarioName}`)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>What serving costs under load: ${e(a.run.scenarioName)}</h1>`,
    '<p class="muted">C_eff = price per GPU-hour × GPUs × 10⁶ / (3600 × θ), θ = output tokens ' +
      'per second over the measured wall-clock, idle included.</p>',
    summarySection(a),
    costSection(a),
    figuresSection(figures),
    warningsSection(a),
    runSection(a),
    variantsSection(a),
    stepsSection(a),
    `<h2>Scenario</h2><pre>${e(scenario)}</pre>`,
    '</body></html>',
  ].join('\n');
}
