/**
 * index.html for the reproduced paper: one self-contained file (figures inlined as data URLs,
 * no scripts, a CSP that forbids every network fetch), every text from data escaped.
 */

import { PAPER_CITATION, PAPER_URL } from './citation.ts';
import type { ConfigCurve } from './curves.ts';
import { RATE_TICKS } from './figures/common.ts';
import { fitPaperCurve } from './fits.ts';
import type { Headline } from './headline.ts';

export interface HtmlFigure {
  id: string;
  file: string;
  title: string;
  caption: string;
  svg: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] as string);

const num = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : Number(value.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });

function headlineRows(h: Headline): Array<[string, string]> {
  const gains = Object.entries(h.fp8Gain)
    .map(([pair, gain]) => `${pair} ${gain >= 0 ? '+' : ''}${num(gain * 100)}%`)
    .join(', ');
  const spreads = Object.entries(h.a100SpreadByConfig)
    .map(([config, spread]) => `${config} ${num(spread)}×`)
    .join(', ');
  const rows: Array<[string, string]> = [
    ['Runs / configurations', `${h.counts.runs} / ${h.counts.configs}`],
    [
      'H100 C_eff range (USD / M output tokens)',
      `${num(h.h100CeffMin)} (${h.h100CeffMinAt.config}, λ=${h.h100CeffMinAt.rps}) to ` +
        `${num(h.h100CeffMax, 4)} (${h.h100CeffMaxAt.config}, λ=${h.h100CeffMaxAt.rps})`,
    ],
    [
      'Largest penalty',
      `${num(h.maxPenalty.value)}× (${h.maxPenalty.config}, λ=${h.maxPenalty.rps})`,
    ],
    [
      'Penalty at λ = 1',
      Object.entries(h.penaltyAtRps1)
        .map(([config, value]) => `${config} ${num(value)}×`)
        .join(', '),
    ],
    ['FP8 gain in θ_max', gains],
    ['A100 spread max/min C_eff', spreads],
  ];
  if (h.shapes) {
    const top = h.shapes.maxPenalty;
    rows.push([
      'Largest penalty, workload tranche',
      `${num(top.value, 4)}× (${top.config}, λ=${top.rps})`,
    ]);
  }
  rows.push([
    'Check against the CSV’s own columns',
    `largest relative difference: C_eff ${h.check.maxRelDiffCEff.toExponential(1)}, ` +
      `penalty ${h.check.maxRelDiffPenalty.toExponential(1)} over ${h.check.rows} rows`,
  ]);
  return rows;
}

function matrix(curves: readonly ConfigCurve[]): string {
  const head = ['config', 'engine', 'model', 'precision', 'node', 'USD/h']
    .concat(
      RATE_TICKS.map((rate) => `λ=${rate}`),
      ['θ_max tok/s', 'C_naive', 'knee λ', 'fit θ_max', 'fit knee λ', 'fit RMSE ln θ'],
    )
    .map((cell) => `<th>${escapeHtml(cell)}</th>`)
    .join('');
  const body = curves
    .map((c) => {
      const cells = [c.config, c.engine, c.modelId.split('/').pop() ?? c.modelId, c.precision]
        .concat(`${c.gpus}×${c.hardware ?? '?'}`, num(c.price.gpuHourlyUsd * c.gpus, 4))
        .concat(
          RATE_TICKS.map((rate) => num(c.points.find((p) => p.rateRps === rate)?.cEffUsdPerMTok)),
        )
        .concat(num(c.thetaMaxTokPerS, 5), num(c.cNaiveUsdPerMTok), num(c.kneeRps));
      const fit = fitPaperCurve(c);
      const se = fit.thetaMaxSe === null ? '' : ` ± ${num(fit.thetaMaxSe, 2)}`;
      cells.push(`${num(fit.thetaMaxTokPerS, 5)}${se}`, num(fit.kneeRps), num(fit.rmseLog, 2));
      return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table class="matrix"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Nothing may be fetched: figures are data URLs and the style is inline. */
const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

const STYLE = `body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1500px;
color:#222;line-height:1.45;padding:0 16px}h1{font-size:1.5em}table{border-collapse:collapse;
margin:12px 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:.9em;text-align:left}
.matrix td{text-align:right}figure{margin:28px 0;border-top:1px solid #ddd;padding-top:12px}
figure img{max-width:100%;height:auto}figcaption{max-width:1000px}.note{color:#444}`;

export function renderIndexHtml(
  headline: Headline,
  curves: readonly ConfigCurve[],
  figures: readonly HtmlFigure[],
): string {
  const summary = headlineRows(headline)
    .map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('\n');
  const figureHtml = figures
    .map((f) => {
      const src = `data:image/svg+xml;base64,${Buffer.from(f.svg).toString('base64')}`;
      return [
        `<figure id="${escapeHtml(f.id.toLowerCase())}">`,
        `<img src="${src}" alt="${escapeHtml(`${f.id}. ${f.title}`)}">`,
        `<figcaption><strong>${escapeHtml(`${f.id}. ${f.title}.`)}</strong>`,
        ` ${escapeHtml(f.caption)} Files: <a href="${escapeHtml(f.file)}.png">PNG</a>,`,
        ` <a href="${escapeHtml(f.file)}.svg">SVG</a>.</figcaption>`,
        '</figure>',
      ].join('\n');
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${escapeHtml('Reference paper reproduced: cost versus load')}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Reference paper reproduced from its data</h1>
<p>${escapeHtml(PAPER_CITATION)} — <a href="${escapeHtml(PAPER_URL)}">${escapeHtml(PAPER_URL)}</a>.
The figures are reconstructions (the paper's body text was not available): numbering R1–R9
follows the project's paper note. Every number is recomputed from the published CSVs.</p>
<p class="note">${escapeHtml(headline.source.costFormula)}.</p>
<h2>Headline numbers</h2>
<table>${summary}</table>
<h2>Figures</h2>
${figureHtml}
<h2>C_eff by configuration and offered rate (USD per million output tokens)</h2>
${matrix(curves)}
</body>
</html>
`;
}
