/**
 * Shared pieces of the paper's figures: the figure record, log axes with readable ticks,
 * a title block with a source footer that cites the paper, and config labels and colours.
 * Everything here builds plain ECharts option objects; rendering happens in src/report.
 */

import { PAPER_SHORT } from '../citation.ts';
import type { ConfigCurve } from '../curves.ts';

export interface PaperFigure {
  /** R1 … R9c, the paper note's reconstruction numbering. */
  id: string;
  /** File stem: `<stem>.svg` and `<stem>.png`. */
  file: string;
  title: string;
  /** One or two sentences for the HTML page: what is shown and where the data comes from. */
  caption: string;
  option: object;
  widthPx: number;
  heightPx: number;
}

/** The paper's λ grid, used as tick positions on log rate axes. */
export const RATE_TICKS = [1, 5, 10, 25, 50, 100, 200];

/** Okabe–Ito colours (distinguishable with colour-blindness), then a grey. */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#000000',
  '#999999',
];

export const FONT_PX = { title: 17, axis: 13, tick: 12, legend: 12, footer: 11 };

/** "meta-llama/Meta-Llama-3.1-8B-Instruct" → "Llama-3.1-8B". */
export function shortModel(modelId: string): string {
  const base = modelId.split('/').pop() ?? modelId;
  return base
    .replace(/^Meta-/, '')
    .replace(/-Instruct.*$/, '')
    .replace(/-v\d+(\.\d+)*$/, '');
}

export const precisionLabel = (precision: string) => (precision === 'fp8' ? 'FP8' : 'FP16');

/** "Llama-3.1-8B FP8", plus "2×" when the node has more than one GPU. */
export function setupLabel(curve: ConfigCurve): string {
  const gpus = curve.gpus > 1 ? ` ${curve.gpus}×GPU` : '';
  return `${shortModel(curve.modelId)} ${precisionLabel(curve.precision)}${gpus}`;
}

export const configLabel = (curve: ConfigCurve) => `${curve.config} ${setupLabel(curve)}`;

/** Three significant figures, without exponent notation for the paper's ranges. */
export function sig3(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}

/** Title, subtitle and a footer line naming the source, as an ECharts title array. */
export function titles(id: string, title: string, subtitle: string, dataFile: string) {
  return [
    {
      text: `${id}. ${title}`,
      subtext: subtitle,
      left: 16,
      top: 8,
      textStyle: { fontSize: FONT_PX.title },
      subtextStyle: { fontSize: FONT_PX.tick, color: '#444' },
    },
    {
      text:
        `Reconstructed figure ${id}; data: ${dataFile} of ${PAPER_SHORT}; ` +
        'recomputed by vllm-cost-meter',
      left: 16,
      bottom: 6,
      textStyle: { fontSize: FONT_PX.footer, fontWeight: 'normal', color: '#555' },
    },
  ];
}

export interface AxisOptions {
  name: string;
  gridIndex?: number;
  ticks?: number[];
  min?: number;
  max?: number;
  nameGap?: number;
}

const axisText = { fontSize: FONT_PX.axis, color: '#222' };

/** Offered rate λ on a log axis labelled at the paper's grid points. */
export function rateAxis(options: Partial<AxisOptions> = {}) {
  return logAxis({
    name: 'offered rate λ (requests/s, log scale)',
    ticks: RATE_TICKS,
    min: 1,
    max: 200,
    nameGap: 28,
    ...options,
  });
}

/** A log axis; with `ticks` the labels sit at those values instead of only at powers of ten. */
export function logAxis(options: AxisOptions) {
  const custom = options.ticks ? { customValues: options.ticks } : {};
  return {
    type: 'log',
    logBase: 10,
    gridIndex: options.gridIndex ?? 0,
    name: options.name,
    nameLocation: 'middle',
    nameGap: options.nameGap ?? 52,
    nameTextStyle: axisText,
    min: options.min,
    max: options.max,
    axisLabel: { fontSize: FONT_PX.tick, formatter: (v: number) => sig3(v), ...custom },
    axisTick: { ...custom },
    splitLine: { show: true, lineStyle: { color: '#ddd' } },
    minorTick: { show: !options.ticks },
    minorSplitLine: { show: !options.ticks, lineStyle: { color: '#f1f1f1' } },
  };
}

export function valueAxis(options: AxisOptions) {
  return {
    type: 'value',
    gridIndex: options.gridIndex ?? 0,
    name: options.name,
    nameLocation: 'middle',
    nameGap: options.nameGap ?? 56,
    nameTextStyle: axisText,
    min: options.min,
    max: options.max,
    axisLabel: { fontSize: FONT_PX.tick, formatter: (v: number) => sig3(v) },
    splitLine: { show: true, lineStyle: { color: '#ddd' } },
  };
}

/**
 * A centred legend row. The gap is wide because ECharts measures text with its own font
 * metrics, narrower than the DejaVu Sans that resvg draws with.
 */
export function legend(top = 58, extra: object = {}) {
  return { top, left: 'center', textStyle: { fontSize: FONT_PX.legend }, itemGap: 30, ...extra };
}

/** A vertical legend in a column at the right edge, for figures with long or many labels. */
export function sideLegend(left: number, top: number, extra: object = {}) {
  return {
    orient: 'vertical',
    left,
    top,
    textStyle: { fontSize: FONT_PX.legend },
    itemGap: 10,
    ...extra,
  };
}

/** Ticks for a log value axis: 1-2-5 steps covering [lo, hi]. */
export function ticks125(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let decade = Math.floor(Math.log10(lo)); decade <= Math.ceil(Math.log10(hi)); decade++) {
    for (const step of [1, 2, 5]) {
      const value = Number((step * 10 ** decade).toPrecision(3));
      if (value >= lo * 0.999 && value <= hi * 1.001) out.push(value);
    }
  }
  return out;
}

/** Log-axis bounds rounded outwards to 1-2-5 steps. */
export function logBounds(values: number[]): { min: number; max: number } {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const down = (v: number) => {
    const d = 10 ** Math.floor(Math.log10(v));
    return [5, 2, 1].map((s) => s * d).find((c) => c <= v) ?? d;
  };
  const up = (v: number) => {
    const d = 10 ** Math.floor(Math.log10(v));
    return [1, 2, 5, 10].map((s) => s * d).find((c) => c >= v) ?? 10 * d;
  };
  return { min: Number(down(lo).toPrecision(3)), max: Number(up(hi).toPrecision(3)) };
}

/** A line series of one curve's points. */
export function lineSeries(
  name: string,
  data: Array<[number, number]>,
  colour: string,
  extra: object = {},
) {
  return {
    type: 'line',
    name,
    data,
    color: colour,
    symbol: 'circle',
    symbolSize: 6,
    lineStyle: { width: 2 },
    ...extra,
  };
}
