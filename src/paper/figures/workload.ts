/**
 * R9: stability and workload sensitivity. R9a the C2 replicate CVs (c2_stability_cv.csv),
 * R9b penalty and cost by I/O shape, R9c prefix caching and bursty arrivals
 * (master_results_v2.csv).
 */

import type { ConfigCurve } from '../curves.ts';
import type { ShapeRun, StabilityRow } from '../data.ts';
import {
  FONT_PX,
  legend,
  lineSeries,
  logAxis,
  logBounds,
  PALETTE,
  type PaperFigure,
  rateAxis,
  sideLegend,
  sig3,
  ticks125,
  titles,
  valueAxis,
} from './common.ts';

const SHAPES_FILE = 'master_results_v2.csv';

export function r9aStability(rows: readonly StabilityRow[]): PaperFigure {
  const metrics: Array<{ label: string; value: (r: StabilityRow) => number }> = [
    { label: 'output throughput', value: (r) => r.tpsCvPct },
    { label: 'C_eff', value: (r) => r.cEffCvPct },
    { label: 'TTFT p50', value: (r) => r.ttftP50CvPct },
    { label: 'E2E latency p50', value: (r) => r.e2eP50CvPct },
  ];
  const bounds = logBounds(rows.flatMap((r) => metrics.map((m) => m.value(r))));
  const replicates = rows[0]?.replicates ?? 0;
  return {
    id: 'R9a',
    file: 'r9a-stability',
    title: 'Run-to-run stability of C2',
    caption:
      `Coefficient of variation (σ/μ) over ${replicates} replicates of C2 (Llama-3.1-8B FP8, ` +
      'vLLM, H100). Throughput and C_eff vary by at most ' +
      `${sig3(Math.max(...rows.map((r) => r.tpsCvPct)))}%; ` +
      'median TTFT varies far more once the server queues (λ ≥ 50).',
    widthPx: 960,
    heightPx: 560,
    option: {
      title: titles(
        'R9a',
        'Stability: coefficient of variation over replicates, C2',
        'σ/μ in % per metric and offered rate (throughput and C_eff coincide); dashed: 1 %',
        'c2_stability_cv.csv',
      ),
      legend: legend(62),
      grid: { left: 86, right: 36, top: 110, bottom: 90 },
      xAxis: {
        type: 'category',
        name: 'offered rate λ (requests/s)',
        nameLocation: 'middle',
        nameGap: 30,
        nameTextStyle: { fontSize: FONT_PX.axis, color: '#222' },
        data: rows.map((r) => String(r.rateRps)),
        axisLabel: { fontSize: FONT_PX.tick },
        boundaryGap: true,
      },
      yAxis: logAxis({
        name: 'coefficient of variation (%, log scale)',
        ticks: ticks125(bounds.min, bounds.max),
        ...bounds,
      }),
      // Points joined per metric rather than bars: bars on a log axis would hang from 1 %.
      series: metrics.map((metric, i) => ({
        type: 'line',
        name: metric.label,
        color: PALETTE[i],
        symbol: ['circle', 'triangle', 'rect', 'diamond'][i],
        symbolSize: 10,
        lineStyle: { width: 2, type: i === 1 ? 'dashed' : 'solid' },
        data: rows.map((r) => metric.value(r)),
        label: {
          // C_eff's CV equals throughput's, so only one of the pair is labelled.
          show: i !== 1,
          position: i === 2 ? 'bottom' : 'top',
          fontSize: 11,
          formatter: (p: { value: number }) => sig3(p.value),
        },
        ...(i === 0
          ? {
              markLine: {
                silent: true,
                symbol: 'none',
                data: [{ yAxis: 1 }],
                lineStyle: { type: 'dashed', color: '#555' },
                label: { formatter: '1 %', position: 'insideStartTop' },
              },
            }
          : {}),
      })),
    },
  };
}

const SHAPE_COLOUR: Record<string, string> = {
  chat: '#0072B2',
  rag: '#E69F00',
  agentic: '#009E73',
};

function shapeLabel(curve: ConfigCurve<ShapeRun>): string {
  const run = curve.points[0]?.run as ShapeRun;
  const cache = run.prefixCaching ? ', prefix cache on' : '';
  return `${curve.config} ${run.ioShape} (${sig3(curve.outputTokensPerRequest)} out${cache})`;
}

export function r9bShapes(curves: ReadonlyArray<ConfigCurve<ShapeRun>>): PaperFigure {
  // The full sweeps: every shape measured from λ = 1, Poisson arrivals.
  const shown = curves.filter(
    (c) => c.points[0]?.rateRps === 1 && c.points[0]?.run.gammaShape === 1,
  );
  const panel = (
    gridIndex: number,
    value: (p: { penalty: number; cEffUsdPerMTok: number }) => number,
  ) =>
    shown.map((curve) => {
      const run = curve.points[0]?.run as ShapeRun;
      return lineSeries(
        shapeLabel(curve),
        curve.points.map((p) => [p.rateRps, value(p)]),
        SHAPE_COLOUR[run.ioShape] ?? '#999',
        {
          xAxisIndex: gridIndex,
          yAxisIndex: gridIndex,
          symbol: curve.config === 'C2' ? 'circle' : 'triangle',
          symbolSize: 8,
          lineStyle: { width: 2, type: curve.config === 'C2' ? 'solid' : 'dashed' },
        },
      );
    });
  const pb = logBounds(shown.flatMap((c) => c.points.map((p) => p.penalty)));
  const cb = logBounds(shown.flatMap((c) => c.points.map((p) => p.cEffUsdPerMTok)));
  return {
    id: 'R9b',
    file: 'r9b-workload-shapes',
    title: 'Workload shape: penalty and cost by output length',
    caption:
      'Penalty (left) and C_eff (right) vs λ for chat (256 output tokens), rag (1024) and ' +
      'agentic (4096) workloads on C2 (solid) and C4 (dashed), vLLM on one H100. Long outputs ' +
      'fill the batch even at λ = 1, so their penalty collapses; θ_max is per shape.',
    widthPx: 1400,
    heightPx: 620,
    option: {
      title: [
        ...titles(
          'R9b',
          'Workload shape: penalty and cost vs offered load',
          'C2 Llama-3.1-8B FP8 (solid) and C4 Qwen3-30B-A3B FP8 (dashed), one H100',
          SHAPES_FILE,
        ),
        { text: 'penalty vs λ', left: 250, top: 96, textStyle: { fontSize: 13 } },
        { text: 'C_eff vs λ', left: 730, top: 96, textStyle: { fontSize: 13 } },
      ],
      legend: {
        orient: 'vertical',
        left: 1010,
        top: 130,
        textStyle: { fontSize: FONT_PX.legend },
        itemGap: 10,
      },
      grid: [
        { left: 90, width: 400, top: 130, bottom: 84 },
        { left: 580, width: 400, top: 130, bottom: 84 },
      ],
      xAxis: [rateAxis({ gridIndex: 0 }), rateAxis({ gridIndex: 1 })],
      yAxis: [
        logAxis({
          name: 'penalty (× C_naive of the shape, log)',
          gridIndex: 0,
          ticks: ticks125(pb.min, pb.max),
          ...pb,
          nameGap: 44,
        }),
        logAxis({
          name: 'C_eff (USD per million output tokens, log)',
          gridIndex: 1,
          ticks: ticks125(cb.min, cb.max),
          ...cb,
          nameGap: 44,
        }),
      ],
      series: [...panel(0, (p) => p.penalty), ...panel(1, (p) => p.cEffUsdPerMTok)],
    },
  };
}

function variantLabel(curve: ConfigCurve<ShapeRun>): string {
  const run = curve.points[0]?.run as ShapeRun;
  const arrivals =
    run.gammaShape === 1
      ? 'Poisson'
      : `bursty (Gamma k=${run.gammaShape}, CV ${sig3(1 / Math.sqrt(run.gammaShape))})`;
  return `prefix cache ${run.prefixCaching ? 'on' : 'off'}, ${arrivals}`;
}

export function r9cVariants(
  curves: ReadonlyArray<ConfigCurve<ShapeRun>>,
  config = 'C4',
): PaperFigure {
  const variants = curves.filter((c) => c.config === config && c.points[0]?.run.ioShape === 'chat');
  // The rates every variant was measured at.
  const rates = (variants[0]?.points ?? [])
    .map((p) => p.rateRps)
    .filter((rate) => variants.every((v) => v.points.some((p) => p.rateRps === rate)));
  const bars = (gridIndex: number, value: (run: ShapeRun) => number) =>
    variants.map((curve, i) => ({
      type: 'bar',
      name: variantLabel(curve),
      color: PALETTE[i],
      xAxisIndex: gridIndex,
      yAxisIndex: gridIndex,
      data: rates.map((rate) =>
        value(curve.points.find((p) => p.rateRps === rate)?.run as ShapeRun),
      ),
      label: {
        show: true,
        position: 'top',
        fontSize: 10,
        formatter: (p: { value: number }) => sig3(p.value),
      },
    }));
  const category = (gridIndex: number) => ({
    type: 'category',
    gridIndex,
    name: 'offered rate λ (requests/s)',
    nameLocation: 'middle',
    nameGap: 30,
    nameTextStyle: { fontSize: FONT_PX.axis, color: '#222' },
    data: rates.map(String),
    axisLabel: { fontSize: FONT_PX.tick },
  });
  const ttft = logBounds(variants.flatMap((v) => v.points.map((p) => p.run.ttftP99Ms)));
  return {
    id: 'R9c',
    file: 'r9c-prefix-and-burstiness',
    title: 'Prefix caching and bursty arrivals (C4 chat)',
    caption:
      'Output throughput (left) and TTFT p99 (right) for ' +
      `${config} chat at λ = ${rates.join(', ')} ` +
      'with prefix caching on or off and Poisson or bursty arrivals. The burstiness column ' +
      'holds the Gamma shape k (CV = 1/√k), not the CV its README names.',
    widthPx: 1200,
    heightPx: 600,
    option: {
      title: [
        ...titles(
          'R9c',
          `Prefix caching and bursty arrivals, ${config} chat (vLLM, H100)`,
          'bars per offered rate; labels: measured value',
          SHAPES_FILE,
        ),
        { text: 'output throughput θ', left: 230, top: 116, textStyle: { fontSize: 13 } },
        { text: 'TTFT p99', left: 820, top: 116, textStyle: { fontSize: 13 } },
      ],
      legend: sideLegend(560, 52, { itemGap: 6 }),
      grid: [
        { left: 90, width: 470, top: 146, bottom: 84 },
        { left: 680, width: 480, top: 146, bottom: 84 },
      ],
      xAxis: [category(0), category(1)],
      yAxis: [
        valueAxis({ name: 'θ (output tokens/s)', gridIndex: 0, min: 0 }),
        logAxis({
          name: 'TTFT p99 (ms, log scale)',
          gridIndex: 1,
          ticks: ticks125(ttft.min, ttft.max),
          ...ttft,
          nameGap: 50,
        }),
      ],
      series: [...bars(0, (run) => run.outputTokPerS), ...bars(1, (run) => run.ttftP99Ms)],
    },
  };
}
