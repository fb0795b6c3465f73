/**
 * Cost-versus-load figures: R1 C_eff vs λ with C_naive floors, R2 penalty vs λ, R3 throughput
 * saturation with θ_max plateaus and the ideal λ·L_out line, R8 the A100 repeat.
 */

import type { ConfigCurve } from '../curves.ts';
import {
  configLabel,
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

const DATA = 'master_results.csv';
const cost = (c: ConfigCurve) =>
  c.points.map((p) => [p.rateRps, p.cEffUsdPerMTok] as [number, number]);
const pen = (c: ConfigCurve) => c.points.map((p) => [p.rateRps, p.penalty] as [number, number]);

export function r1CostVsLoad(curves: readonly ConfigCurve[]): PaperFigure {
  const series = curves.flatMap((curve, i) => {
    const colour = PALETTE[i % PALETTE.length] as string;
    const name = configLabel(curve);
    return [
      lineSeries(name, cost(curve), colour),
      // Same name as the curve, so the legend toggles the curve and its floor together.
      lineSeries(
        name,
        [
          [1, curve.cNaiveUsdPerMTok],
          [200, curve.cNaiveUsdPerMTok],
        ],
        colour,
        {
          symbol: 'none',
          lineStyle: { width: 1.2, type: 'dashed' },
        },
      ),
    ];
  });
  const values = curves.flatMap((c) => [...cost(c).map((p) => p[1]), c.cNaiveUsdPerMTok]);
  const bounds = logBounds(values);
  const hi = curves
    .flatMap((c) => c.points)
    .reduce((a, b) => (b.cEffUsdPerMTok > a.cEffUsdPerMTok ? b : a));
  const lo = curves
    .flatMap((c) => c.points)
    .reduce((a, b) => (b.cEffUsdPerMTok < a.cEffUsdPerMTok ? b : a));
  return {
    id: 'R1',
    file: 'r1-ceff-vs-load',
    title: 'Effective cost per million output tokens vs offered load (vLLM, H100)',
    caption:
      `C_eff = node price × 10⁶ / (3600 × output tok/s) for C1–C6; dashed lines are each ` +
      `configuration's C_naive floor at θ_max. Range ${sig3(lo.cEffUsdPerMTok)} ` +
      `(${lo.run.config}, λ=${lo.rateRps}) to ${hi.cEffUsdPerMTok.toFixed(2)} USD ` +
      `(${hi.run.config}, λ=${hi.rateRps}); below the knee the cost falls as 1/λ.`,
    widthPx: 960,
    heightPx: 600,
    option: {
      title: titles(
        'R1',
        'Effective cost vs offered load, vLLM on H100',
        'solid: measured C_eff; dashed: C_naive floor (cost at θ_max); ' +
          '512 in / 256 out tokens, Poisson arrivals',
        DATA,
      ),
      legend: legend(62),
      grid: { left: 86, right: 36, top: 122, bottom: 84 },
      xAxis: rateAxis(),
      yAxis: logAxis({
        name: 'C_eff (USD per million output tokens, log scale)',
        ticks: ticks125(bounds.min, bounds.max),
        ...bounds,
      }),
      series,
    },
  };
}

/** Legend label with the value the paper quotes: the penalty at λ = 1. */
function penaltyLabel(curve: ConfigCurve): string {
  const first = curve.points[0];
  return `${configLabel(curve)}: ${sig3(first?.penalty ?? Number.NaN)}× at λ=${first?.rateRps}`;
}

function penaltyPanel(curves: readonly ConfigCurve[], gridIndex: number) {
  return curves.map((curve, i) =>
    lineSeries(penaltyLabel(curve), pen(curve), PALETTE[i % PALETTE.length] as string, {
      xAxisIndex: gridIndex,
      yAxisIndex: gridIndex,
    }),
  );
}

export function r2PenaltyVsLoad(
  vllm: readonly ConfigCurve[],
  sglang: readonly ConfigCurve[],
): PaperFigure {
  const all = [...vllm, ...sglang].flatMap((c) => pen(c).map((p) => p[1]));
  const bounds = logBounds(all);
  const yTicks = ticks125(bounds.min, bounds.max);
  const top = [...vllm].sort(
    (a, b) => (b.points[0]?.penalty ?? 0) - (a.points[0]?.penalty ?? 0),
  )[0];
  const largest = top ? ` (largest: ${top.config} ${sig3(top.points[0]?.penalty ?? 0)}×)` : '';
  return {
    id: 'R2',
    file: 'r2-penalty-vs-load',
    title: 'Underutilisation penalty vs offered load (H100)',
    caption:
      'Penalty = C_eff / C_naive = θ_max / θ(λ) for vLLM (C1–C6, left) and SGLang (S1–S6, ' +
      `right) on H100; the legend gives the value at λ = 1${largest}.`,
    widthPx: 1400,
    heightPx: 620,
    option: {
      title: [
        ...titles(
          'R2',
          'Underutilisation penalty vs offered load, H100',
          'penalty = C_eff / C_naive = θ_max / θ(λ); the legend gives the penalty at λ = 1',
          DATA,
        ),
        { text: 'vLLM 0.19 (C1–C6)', left: 230, top: 96, textStyle: { fontSize: 13 } },
        { text: 'SGLang 0.5.10 (S1–S6)', left: 700, top: 96, textStyle: { fontSize: 13 } },
      ],
      legend: [
        sideLegend(1010, 130, { data: vllm.map(penaltyLabel) }),
        sideLegend(1010, 330, { data: sglang.map(penaltyLabel) }),
      ],
      grid: [
        { left: 90, width: 400, top: 130, bottom: 84 },
        { left: 570, width: 400, top: 130, bottom: 84 },
      ],
      xAxis: [rateAxis({ gridIndex: 0 }), rateAxis({ gridIndex: 1 })],
      yAxis: [0, 1].map((gridIndex) =>
        logAxis({
          name: 'penalty (× C_naive, log scale)',
          gridIndex,
          ticks: yTicks,
          ...bounds,
          nameGap: 44,
        }),
      ),
      series: [...penaltyPanel(vllm, 0), ...penaltyPanel(sglang, 1)],
    },
  };
}

/** The ideal throughput λ·L_out, sampled densely so it draws as a curve on the log λ axis. */
function idealLine(outputTokens: number, cap: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i <= 120; i++) {
    const rate = 10 ** ((i / 120) * Math.log10(200));
    if (rate * outputTokens > cap) {
      out.push([cap / outputTokens, cap]);
      break;
    }
    out.push([rate, rate * outputTokens]);
  }
  return out;
}

export function r3Saturation(curves: readonly ConfigCurve[]): PaperFigure {
  const outputTokens = curves[0]?.outputTokensPerRequest ?? 256;
  const top = Math.ceil(Math.max(...curves.map((c) => c.thetaMaxTokPerS)) / 1000) * 1000;
  const series = curves.map((curve, i) => {
    const colour = PALETTE[i % PALETTE.length] as string;
    return lineSeries(
      configLabel(curve),
      curve.points.map((p) => [p.rateRps, p.outputTokPerS]),
      colour,
      {
        markLine: {
          silent: true,
          symbol: 'none',
          lineStyle: { type: 'dashed', width: 1.2, color: colour },
          label: {
            formatter: `θ_max ${sig3(curve.thetaMaxTokPerS)}`,
            position: 'insideEndTop',
            color: colour,
            fontSize: 11,
          },
          data: [{ yAxis: curve.thetaMaxTokPerS }],
        },
      },
    );
  });
  series.push(
    lineSeries(
      `ideal ${sig3(outputTokens)}·λ (every request served)`,
      idealLine(outputTokens, top),
      '#444',
      {
        symbol: 'none',
        lineStyle: { width: 1.5, type: 'dotted' },
      },
    ),
  );
  return {
    id: 'R3',
    file: 'r3-throughput-saturation',
    title: 'Output throughput saturation (vLLM, H100)',
    caption:
      'Measured output tokens/s per configuration; dashed lines mark θ_max (the largest ' +
      `measured throughput); the dotted line is the ideal ${sig3(outputTokens)} tokens × λ. ` +
      'Throughput follows the ideal line until the knee, then flattens at θ_max.',
    widthPx: 960,
    heightPx: 620,
    option: {
      title: titles(
        'R3',
        'Output throughput vs offered load, vLLM on H100',
        'dashed: θ_max plateau per configuration; dotted: ideal λ × L_out',
        DATA,
      ),
      legend: legend(62),
      grid: { left: 86, right: 36, top: 122, bottom: 84 },
      xAxis: rateAxis(),
      yAxis: valueAxis({ name: 'output throughput θ (tokens/s)', min: 0, max: top }),
      series,
    },
  };
}

export function r8A100(curves: readonly ConfigCurve[]): PaperFigure {
  const costs = curves.flatMap((c) => cost(c).map((p) => p[1]));
  const pens = curves.flatMap((c) => pen(c).map((p) => p[1]));
  const cb = logBounds(costs);
  const pb = logBounds(pens);
  const spreads = curves.map((c) => c.points[0]?.penalty ?? 0);
  const runs = curves.reduce((n, c) => n + c.points.length, 0);
  const panel = (gridIndex: number, value: (c: ConfigCurve) => Array<[number, number]>) =>
    curves.map((curve, i) => {
      const colour = PALETTE[i % PALETTE.length] as string;
      const engine = curve.engine === 'sglang' ? 'SGLang' : 'vLLM';
      const spread = sig3(curve.points[0]?.penalty ?? Number.NaN);
      const label = `${configLabel(curve)} ${engine} (spread ${spread}×)`;
      return lineSeries(label, value(curve), colour, {
        xAxisIndex: gridIndex,
        yAxisIndex: gridIndex,
      });
    });
  return {
    id: 'R8',
    file: 'r8-a100-cross-hardware',
    title: 'Cross-hardware repeat on A100-80GB PCIe',
    caption:
      `C_eff (left) and penalty (right) vs λ for the ${runs} A100 runs ` +
      `(${curves.map((c) => c.config).join(', ')}) at ${curves[0]?.price.gpuHourlyUsd} USD ` +
      'per GPU-hour. The load-driven spread max/min C_eff runs from ' +
      `${sig3(Math.min(...spreads))}× to ${sig3(Math.max(...spreads))}×.`,
    widthPx: 1400,
    heightPx: 620,
    option: {
      title: [
        ...titles(
          'R8',
          'Cross-hardware repeat: A100-80GB PCIe',
          'left: effective cost; right: underutilisation penalty',
          DATA,
        ),
        { text: 'C_eff vs λ', left: 250, top: 96, textStyle: { fontSize: 13 } },
        { text: 'penalty vs λ', left: 720, top: 96, textStyle: { fontSize: 13 } },
      ],
      legend: sideLegend(1010, 130),
      grid: [
        { left: 90, width: 400, top: 130, bottom: 84 },
        { left: 570, width: 400, top: 130, bottom: 84 },
      ],
      xAxis: [rateAxis({ gridIndex: 0 }), rateAxis({ gridIndex: 1 })],
      yAxis: [
        logAxis({
          name: 'C_eff (USD per million output tokens, log)',
          gridIndex: 0,
          ticks: ticks125(cb.min, cb.max),
          ...cb,
        }),
        logAxis({
          name: 'penalty (× C_naive, log)',
          gridIndex: 1,
          ticks: ticks125(pb.min, pb.max),
          ...pb,
          nameGap: 40,
        }),
      ],
      series: [...panel(0, cost), ...panel(1, pen)],
    },
  };
}
