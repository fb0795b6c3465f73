/**
 * The report's figures as ECharts options (pure: analysis in, option objects out), and their
 * rendering to SVG + PNG through render.ts. Costs and throughputs span decades across a λ sweep,
 * so λ, cost, throughput, penalty and latency axes are logarithmic.
 */

import type { LoadPoint, RunAnalysis, VariantAnalysis } from '../analysis/types.ts';
import { renderChart } from './render.ts';

export interface FigureSpec {
  id: string;
  title: string;
  caption: string;
  option: object;
}

export interface RenderedFigure {
  id: string;
  title: string;
  caption: string;
  svg: string;
  png: Buffer;
}

const PALETTE = ['#1f5fbf', '#d1495b', '#2e933c', '#8e44ad', '#e08a00', '#00838f', '#6d4c41'];
const colorOf = (i: number) => PALETTE[i % PALETTE.length] as string;
const FONT = { fontSize: 14 };

/** Non-finite values (unbounded costs) become gaps instead of breaking a log axis. */
const y = (v: number | null | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;

function logAxis(name: string, extra: object = {}): object {
  return {
    type: 'log',
    logBase: 10,
    name,
    nameLocation: 'middle',
    nameGap: 34,
    nameTextStyle: { fontSize: 15 },
    axisLabel: FONT,
    splitLine: { show: true, lineStyle: { color: '#e3e3e3' } },
    minorSplitLine: { show: false },
    ...extra,
  };
}

const LAMBDA_AXIS = 'offered load λ (requests/s)';

export const FIGURE_SIZE = { widthPx: 1000, heightPx: 560 };
// A vertical legend to the right of the plot stays readable however many series there are.
const LEGEND = { orient: 'vertical', right: 10, top: 56, textStyle: FONT, itemGap: 8 };
const GRID = { left: 90, right: 260, top: 56, bottom: 70 };

function frame(title: string, series: object[], yName: string, extra: object = {}): object {
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 17 } },
    legend: LEGEND,
    grid: GRID,
    xAxis: logAxis(LAMBDA_AXIS),
    yAxis: logAxis(yName, { nameGap: 62 }),
    series,
    ...extra,
  };
}

const measured = (points: LoadPoint[], value: (p: LoadPoint) => number | null) =>
  points.map((p) => [p.rateRps, y(value(p))]);

function costFigure(analysis: RunAnalysis): FigureSpec {
  const series: object[] = [];
  analysis.variants.forEach((v, i) => {
    const color = colorOf(i);
    const marks: object[] = [];
    if (Number.isFinite(v.cNaiveUsdPerMTok)) {
      marks.push({
        yAxis: v.cNaiveUsdPerMTok,
        name: `C_naive ${v.name}`,
        label: { position: 'insideStartTop' },
      });
    }
    if (v.sloCapacity?.rateRps != null) {
      marks.push({
        xAxis: v.sloCapacity.rateRps,
        name: `SLO cap. ${v.name}`,
        label: { position: 'insideEndTop', offset: [0, 0] },
        lineStyle: { type: 'solid', color, width: 1.5 },
      });
    }
    series.push({
      name: `${v.name} C_eff (measured)`,
      type: 'line',
      color,
      symbol: 'circle',
      symbolSize: 8,
      lineStyle: { width: 2 },
      data: measured(v.points, (p) => p.cost.cEffUsdPerMTok),
      markLine: {
        symbol: 'none',
        silent: true,
        label: { show: true, formatter: '{b}', fontSize: 12 },
        lineStyle: { type: 'dashed', color, width: 1.5 },
        data: marks,
      },
    });
    if (v.curves) {
      series.push({
        name: `${v.name} C_eff (fit)`,
        type: 'line',
        color,
        showSymbol: false,
        lineStyle: { width: 1.5, type: [6, 4], opacity: 0.8 },
        data: v.curves.rateRps.map((r, k) => [r, y(v.curves?.cEffUsdPerMTok[k])]),
      });
      if (v.curves.goodputUsdPerMTok) {
        series.push({
          name: `${v.name} goodput cost`,
          type: 'line',
          color,
          showSymbol: false,
          lineStyle: { width: 2, type: 'dotted' },
          data: v.curves.rateRps.map((r, k) => [r, y(v.curves?.goodputUsdPerMTok?.[k])]),
        });
      }
    }
  });
  return {
    id: 'cost-vs-load',
    title: 'Effective cost per million output tokens vs load',
    caption:
      'C_eff at each measured λ (points), the fitted curve (dashed), goodput cost when an SLO ' +
      'is set (dotted); horizontal lines: C_naive at θ_max; vertical lines: SLO capacity.',
    option: frame('C_eff vs λ', series, 'USD per million output tokens'),
  };
}

function throughputFigure(analysis: RunAnalysis): FigureSpec {
  const series: object[] = [];
  analysis.variants.forEach((v, i) => {
    const color = colorOf(i);
    const repeats = analysis.steps
      .filter((s) => s.variant === v.name && (s.status === 'ok' || s.status === 'invalid'))
      .map((s) => [s.rateRps, y(s.outputTokPerS)]);
    series.push({
      name: `${v.name} θ (each repeat)`,
      type: 'scatter',
      color,
      symbolSize: 7,
      data: repeats,
    });
    if (v.curves) {
      series.push({
        name: `${v.name} θ (fit)`,
        type: 'line',
        color,
        showSymbol: false,
        lineStyle: { width: 2 },
        data: v.curves.rateRps.map((r, k) => [r, y(v.curves?.outputTokPerS[k])]),
      });
    }
    series.push({
      name: `${v.name} ideal λ × L_out`,
      type: 'line',
      color,
      showSymbol: false,
      lineStyle: { width: 1.5, type: 'dotted' },
      data: v.points.map((p) => [p.rateRps, y(p.offeredOutputTokPerS)]),
    });
  });
  return {
    id: 'throughput-vs-load',
    title: 'Output throughput vs load',
    caption:
      'θ (output tokens/s inside the measured window, idle included) for each repeat, the ' +
      'saturating fit, and the ideal line λ × L_out where every requested token is served.',
    option: frame('θ vs λ', series, 'output throughput θ (tokens/s)'),
  };
}

const LATENCY = [
  { id: 'ttft', label: 'TTFT', metric: 'ttftMs', p50: 'ttftP50', p99: 'ttftP99' },
  { id: 'tpot', label: 'TPOT', metric: 'tpotMs', p50: 'tpotP50', p99: 'tpotP99' },
  { id: 'e2e', label: 'E2E latency', metric: 'e2eMs', p50: 'e2eP50', p99: 'e2eP99' },
] as const;

function latencyFigures(analysis: RunAnalysis): FigureSpec[] {
  return LATENCY.map((spec) => {
    const series: object[] = [];
    const bound = analysis.slo.spec?.[spec.metric];
    analysis.variants.forEach((v, i) => {
      const color = colorOf(i);
      series.push({
        name: `${v.name} p50`,
        type: 'line',
        color,
        symbol: 'circle',
        symbolSize: 7,
        data: measured(v.points, (p) => p.latencyMs[spec.p50]),
      });
      series.push({
        name: `${v.name} p99`,
        type: 'line',
        color,
        symbol: 'triangle',
        symbolSize: 8,
        lineStyle: { type: 'dashed' },
        data: measured(v.points, (p) => p.latencyMs[spec.p99]),
        ...(bound && i === 0
          ? {
              markLine: {
                symbol: 'none',
                silent: true,
                lineStyle: { color: '#444', type: 'solid', width: 1.5 },
                label: {
                  formatter: `SLO p${bound.percentile} ${bound.maxMs} ms`,
                  position: 'insideEndTop',
                  fontSize: 12,
                },
                data: [{ yAxis: bound.maxMs }],
              },
            }
          : {}),
      });
    });
    const fromIntended = spec.id === 'tpot' ? '' : ', from the intended send time';
    return {
      id: `latency-${spec.id}`,
      title: `${spec.label} percentiles vs load`,
      caption: `${spec.label} p50 (solid) and p99 (dashed)${fromIntended}; the SLO bound when set.`,
      option: frame(`${spec.label} vs λ`, series, `${spec.label} (ms)`),
    };
  });
}

function penaltyFigure(analysis: RunAnalysis): FigureSpec {
  const series = analysis.variants.map((v, i) => ({
    name: v.name,
    type: 'line',
    color: colorOf(i),
    symbol: 'circle',
    symbolSize: 8,
    lineStyle: { width: 2 },
    data: measured(v.points, (p) => p.cost.penalty),
  }));
  return {
    id: 'penalty-vs-load',
    title: 'Underutilisation penalty vs load',
    caption:
      'Penalty U⁻¹ = C_eff / C_naive = θ_max / θ: how much a naive estimate understates cost.',
    option: frame('penalty vs λ', series, 'penalty C_eff / C_naive (×)'),
  };
}

function comparisonFigure(analysis: RunAnalysis): FigureSpec {
  const rates = [...new Set(analysis.variants.flatMap((v) => v.points.map((p) => p.rateRps)))].sort(
    (a, b) => a - b,
  );
  const series = analysis.variants.map((v: VariantAnalysis, i) => ({
    name: v.name,
    type: 'bar',
    color: colorOf(i),
    data: rates.map((rate) => y(v.points.find((p) => p.rateRps === rate)?.cost.cEffUsdPerMTok)),
  }));
  return {
    id: 'variant-comparison',
    title: 'Variant comparison: C_eff at each λ',
    caption: 'C_eff of each variant side by side at every λ measured (lower is cheaper).',
    option: {
      title: { text: 'C_eff by variant and λ', left: 'center', textStyle: { fontSize: 17 } },
      legend: LEGEND,
      grid: GRID,
      xAxis: {
        type: 'category',
        name: LAMBDA_AXIS,
        nameLocation: 'middle',
        nameGap: 34,
        nameTextStyle: { fontSize: 15 },
        axisLabel: FONT,
        data: rates.map(String),
      },
      yAxis: logAxis('USD per million output tokens', { nameGap: 62 }),
      series,
    },
  };
}

/** Every figure of the report, in reading order. */
export function figureSpecs(analysis: RunAnalysis): FigureSpec[] {
  const specs = [
    costFigure(analysis),
    throughputFigure(analysis),
    ...latencyFigures(analysis),
    penaltyFigure(analysis),
  ];
  if (analysis.variants.length > 1) specs.push(comparisonFigure(analysis));
  return specs;
}

export async function renderFigures(specs: FigureSpec[]): Promise<RenderedFigure[]> {
  const out: RenderedFigure[] = [];
  for (const spec of specs) {
    const { svg, png } = await renderChart(spec.option, FIGURE_SIZE);
    out.push({ id: spec.id, title: spec.title, caption: spec.caption, svg, png });
  }
  return out;
}
