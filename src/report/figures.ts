/**
 * The report's figures as ECharts options (pure: analysis in, option objects out), and their
 * rendering to SVG + PNG through render.ts. Costs and throughputs span decades across a λ sweep,
 * so an axis is logarithmic when its values span at least a factor 20, linear otherwise.
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

/** Below this max/min ratio a log axis would show one labelled decade at most: go linear. */
const LOG_MIN_SPAN = 20;

function axis(name: string, values: number[], marks: number[], extra: object = {}): object {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  const span = positive.length ? Math.max(...positive) / Math.min(...positive) : 1;
  const log = span >= LOG_MIN_SPAN;
  // Marked lines (SLO bounds, C_naive, capacity) must stay in view even beyond the data.
  const top = Math.max(...positive, ...marks.filter((m) => m > 0));
  const bottom = Math.min(...positive, ...marks.filter((m) => m > 0));
  const markAbove = marks.some((m) => m > Math.max(...positive));
  const markBelow = marks.some((m) => m > 0 && m < Math.min(...positive));
  const range = log
    ? {
        logBase: 10,
        ...(markAbove ? { max: 10 ** Math.ceil(Math.log10(top)) } : {}),
        ...(markBelow ? { min: 10 ** Math.floor(Math.log10(bottom)) } : {}),
      }
    : { min: 0, ...(markAbove ? { max: niceCeil(top * 1.05) } : {}) };
  return {
    type: log ? 'log' : 'value',
    ...range,
    name,
    nameLocation: 'middle',
    nameGap: 34,
    nameTextStyle: { fontSize: 15 },
    axisLabel: FONT,
    splitLine: { show: true, lineStyle: { color: '#e3e3e3' } },
    ...extra,
  };
}

/** The next multiple of a fifth of x's decade: 104 → 120, 0.93 → 1. */
function niceCeil(x: number): number {
  const unit = 10 ** Math.floor(Math.log10(x)) / 5;
  return Number((Math.ceil(x / unit) * unit).toPrecision(12));
}

/** Every [x, y] pair drawn by the series, and the lines they mark. */
function plotted(series: object[]): {
  xs: number[];
  ys: number[];
  markXs: number[];
  markYs: number[];
} {
  const xs: number[] = [];
  const ys: number[] = [];
  const markXs: number[] = [];
  const markYs: number[] = [];
  for (const s of series as Array<{ data?: unknown[]; markLine?: { data?: object[] } }>) {
    for (const point of s.data ?? []) {
      if (!Array.isArray(point)) continue;
      if (typeof point[0] === 'number') xs.push(point[0]);
      if (typeof point[1] === 'number') ys.push(point[1]);
    }
    for (const mark of (s.markLine?.data ?? []) as Array<{ xAxis?: number; yAxis?: number }>) {
      if (typeof mark.xAxis === 'number') markXs.push(mark.xAxis);
      if (typeof mark.yAxis === 'number') markYs.push(mark.yAxis);
    }
  }
  return { xs, ys, markXs, markYs };
}

const LAMBDA_AXIS = 'offered load λ (requests/s)';

export const FIGURE_SIZE = { widthPx: 1000, heightPx: 560 };
// A vertical legend to the right of the plot stays readable however many series there are.
const LEGEND = { orient: 'vertical', right: 10, top: 56, textStyle: FONT, itemGap: 8 };
const GRID = { left: 90, right: 260, top: 56, bottom: 70 };

function frame(title: string, series: object[], yName: string, extra: object = {}): object {
  const { xs, ys, markXs, markYs } = plotted(series);
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 17 } },
    legend: LEGEND,
    grid: GRID,
    xAxis: axis(LAMBDA_AXIS, xs, markXs),
    yAxis: axis(yName, ys, markYs, { nameGap: 62 }),
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
        // ECharts rounds a marked line's value to `precision` decimals (2 by default), which
        // drew every C_naive under $0.005/M at 0 and the real CPU vLLM's at $0.01/M.
        precision: 20,
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
      // The SLO's own percentile, when it is neither p50 nor p99, so its line has a partner.
      if (bound && bound.percentile !== 50 && bound.percentile !== 99) {
        series.push({
          name: `${v.name} p${bound.percentile} (SLO percentile)`,
          type: 'line',
          color,
          symbol: 'diamond',
          symbolSize: 8,
          lineStyle: { type: 'dotted', width: 2 },
          data: measured(
            v.points,
            (p) => p.slo?.checks.find((c) => c.metric === spec.metric)?.valueMs ?? null,
          ),
        });
      }
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
  const [base, ...others] = analysis.variants as [VariantAnalysis, ...VariantAnalysis[]];
  const series = others.map((v, i) => ({
    name: `${v.name} / ${base.name}`,
    type: 'line',
    color: colorOf(i + 1),
    symbol: 'circle',
    symbolSize: 8,
    lineStyle: { width: 2 },
    data: v.points.flatMap((p) => {
      const b = base.points.find((q) => q.rateRps === p.rateRps);
      return b ? [[p.rateRps, y(p.cost.cEffUsdPerMTok / b.cost.cEffUsdPerMTok)]] : [];
    }),
    ...(i === 0
      ? {
          markLine: {
            symbol: 'none',
            silent: true,
            lineStyle: { color: '#444', type: 'solid', width: 1.5 },
            label: { formatter: `${base.name} = 1`, position: 'insideEndTop', fontSize: 12 },
            data: [{ yAxis: 1 }],
          },
        }
      : {}),
  }));
  return {
    id: 'variant-comparison',
    title: `Variant comparison: C_eff relative to ${base.name}`,
    caption:
      `C_eff of each variant divided by that of ${base.name} at the same λ: below 1 is ` +
      'cheaper; the gap usually opens as load approaches the slower variant’s θ_max.',
    option: frame(`C_eff relative to ${base.name}`, series, `C_eff ratio to ${base.name}`),
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
