/**
 * Comparison figures: R4 FP8 gain by architecture, R5 active parameters against saturation
 * economics, R6 vLLM against SGLang per model and precision.
 */

import type { ConfigCurve } from '../curves.ts';
import type { EnginePair, Fp8Pair } from '../pairs.ts';
import {
  FONT_PX,
  legend,
  lineSeries,
  PALETTE,
  type PaperFigure,
  precisionLabel,
  rateAxis,
  shortModel,
  sig3,
  titles,
  valueAxis,
} from './common.ts';

const DATA = 'master_results.csv';
const ARCHITECTURE: Record<string, string> = {
  dense: 'dense',
  ultra_sparse_moe: 'ultra-sparse MoE',
  sparse_moe: 'sparse MoE',
};
const engineName = (engine: string) => (engine === 'sglang' ? 'SGLang' : 'vLLM');
const hardwareName = (hardware: string | null) => (/a100/i.test(hardware ?? '') ? 'A100' : 'H100');
const pct = (fraction: number) => `${fraction >= 0 ? '+' : '−'}${sig3(Math.abs(fraction) * 100)}%`;

/** Models in first-appearance order, each with its architecture and active parameters. */
function models(curves: readonly ConfigCurve[]) {
  const seen = new Map<string, ConfigCurve>();
  for (const c of curves) if (!seen.has(c.modelId)) seen.set(c.modelId, c);
  return [...seen.values()];
}

export function r4Fp8Gain(pairs: readonly Fp8Pair[]): PaperFigure {
  const bases = models(pairs.map((p) => p.base));
  const groups = [
    ...new Set(pairs.map((p) => `${engineName(p.base.engine)} ${hardwareName(p.base.hardware)}`)),
  ];
  const categories = bases.map((m) => {
    const architecture = ARCHITECTURE[m.architecture] ?? m.architecture;
    return `${shortModel(m.modelId)}\n${architecture}, ${m.activeParamsB}B active`;
  });
  const series = groups.map((group, i) => ({
    type: 'bar',
    name: group,
    color: PALETTE[i % PALETTE.length],
    barMaxWidth: 46,
    label: {
      show: true,
      position: 'top',
      fontSize: FONT_PX.tick,
      formatter: (p: { data: { pair: string; value: number } }) =>
        `${pct(p.data.value / 100)}\n${p.data.pair}`,
    },
    data: bases.map((m) => {
      const pair = pairs.find(
        (p) =>
          p.base.modelId === m.modelId &&
          `${engineName(p.base.engine)} ${hardwareName(p.base.hardware)}` === group,
      );
      return pair
        ? { value: pair.gain * 100, pair: `${pair.fp8.config}/${pair.base.config}` }
        : { value: null, pair: '' };
    }),
  }));
  const quoted = pairs
    .filter((p) => p.base.engine === 'vllm' && hardwareName(p.base.hardware) === 'H100')
    .map((p) => `${p.fp8.config}/${p.base.config} ${pct(p.gain)}`)
    .join(', ');
  const gains = pairs.map((p) => p.gain * 100);
  return {
    id: 'R4',
    file: 'r4-fp8-gain',
    title: 'FP8 throughput gain by architecture',
    caption:
      `θ_max(FP8) / θ_max(FP16) − 1 per model, engine and GPU. vLLM on H100: ${quoted}. ` +
      'On A100 (no FP8 tensor cores) dense Llama loses throughput with FP8.',
    widthPx: 1000,
    heightPx: 600,
    option: {
      title: titles(
        'R4',
        'FP8 gain in saturation throughput by architecture',
        'bars: θ_max(FP8) / θ_max(FP16) − 1, same model, engine and node; ' +
          'label: gain and config pair',
        DATA,
      ),
      legend: legend(62),
      grid: { left: 86, right: 36, top: 110, bottom: 110 },
      xAxis: {
        type: 'category',
        data: categories,
        axisLabel: { fontSize: FONT_PX.axis, lineHeight: 18, interval: 0 },
        axisTick: { alignWithLabel: true },
      },
      yAxis: valueAxis({
        name: 'FP8 gain in θ_max over FP16 (%)',
        min: Math.min(0, Math.floor(Math.min(...gains) / 25) * 25),
        max: Math.ceil((Math.max(...gains) + 20) / 25) * 25,
      }),
      series,
    },
  };
}

/** The smallest vLLM node per model, precision and GPU class: the active-parameter series. */
function activeParamSeries(curves: readonly ConfigCurve[]) {
  const groups = new Map<string, ConfigCurve[]>();
  for (const c of curves.filter((x) => x.engine === 'vllm')) {
    const key = `${hardwareName(c.hardware)} ${precisionLabel(c.precision)}`;
    const list = groups.get(key) ?? [];
    const same = list.findIndex((x) => x.modelId === c.modelId);
    if (same < 0) list.push(c);
    else if ((list[same] as ConfigCurve).gpus > c.gpus) list[same] = c;
    groups.set(key, list);
  }
  return [...groups].map(([key, list]) => ({
    key,
    curves: list.sort((a, b) => a.activeParamsB - b.activeParamsB),
  }));
}

export function r5ActiveParams(curves: readonly ConfigCurve[]): PaperFigure {
  const groups = activeParamSeries(curves);
  const panel = (gridIndex: number, value: (c: ConfigCurve) => number) =>
    groups.map((group, i) =>
      lineSeries(
        `vLLM ${group.key}`,
        group.curves.map((c) => ({
          value: [c.activeParamsB, value(c)],
          // A100 labels on the left, H100 on the right: the two nearly coincide at some points.
          label: {
            show: true,
            formatter: `${c.config}`,
            position: group.key.includes('A100') ? 'left' : 'right',
            fontSize: 11,
          },
        })) as never,
        PALETTE[i % PALETTE.length] as string,
        {
          xAxisIndex: gridIndex,
          yAxisIndex: gridIndex,
          symbolSize: 9,
          symbol: group.key.includes('FP8') ? 'triangle' : 'circle',
          lineStyle: { width: 1.5, type: group.key.includes('A100') ? 'dashed' : 'solid' },
        },
      ),
    );
  const xAxis = (gridIndex: number) =>
    valueAxis({ name: 'active parameters (billions)', gridIndex, min: 0, max: 14, nameGap: 30 });
  return {
    id: 'R5',
    file: 'r5-active-params',
    title: 'Active parameters vs saturation economics',
    caption:
      'θ_max per GPU (left) and C_naive, the cost at θ_max (right), against active parameters ' +
      '(Qwen3-30B-A3B 3B, Llama-3.1-8B 8B, Mixtral-8x7B 12.9B), vLLM, smallest node per model. ' +
      'At FP8 the order follows active parameters; at FP16 dense Llama beats Qwen.',
    widthPx: 1200,
    heightPx: 600,
    option: {
      title: [
        ...titles(
          'R5',
          'Active parameters vs saturation economics (vLLM)',
          'Mixtral runs on 2 GPUs: its node price is doubled in C_naive',
          DATA,
        ),
        { text: 'θ_max per GPU', left: 240, top: 100, textStyle: { fontSize: 13 } },
        { text: 'C_naive (cost at θ_max)', left: 790, top: 100, textStyle: { fontSize: 13 } },
      ],
      legend: legend(62),
      grid: [
        { left: 90, width: 470, top: 130, bottom: 84 },
        { left: 680, width: 480, top: 130, bottom: 84 },
      ],
      xAxis: [xAxis(0), xAxis(1)],
      yAxis: [
        valueAxis({ name: 'θ_max per GPU (output tokens/s)', gridIndex: 0, min: 0 }),
        valueAxis({
          name: 'C_naive (USD per million output tokens)',
          gridIndex: 1,
          min: 0,
          nameGap: 46,
        }),
      ],
      series: [
        ...panel(0, (c) => c.thetaMaxTokPerS / c.gpus),
        ...panel(1, (c) => c.cNaiveUsdPerMTok),
      ],
    },
  };
}

export function r6Engines(pairs: readonly EnginePair[]): PaperFigure {
  const shown = pairs.filter((p) => hardwareName(p.vllm.hardware) === 'H100');
  const columns = models(shown.map((p) => p.vllm)).map((m) => m.modelId);
  const rows = [...new Set(shown.map((p) => p.vllm.precision))];
  const cellW = 330;
  const cellH = 215;
  const place = (p: EnginePair) => ({
    col: columns.indexOf(p.vllm.modelId),
    row: rows.indexOf(p.vllm.precision),
  });
  const grid = shown.map((p) => {
    const { col, row } = place(p);
    return {
      left: 90 + col * (cellW + 80),
      top: 140 + row * (cellH + 95),
      width: cellW,
      height: cellH,
    };
  });
  const panelTitles = shown.map((p, i) => ({
    text:
      `${shortModel(p.vllm.modelId)} ${precisionLabel(p.vllm.precision)}: ` +
      `${p.vllm.config} / ${p.sglang.config} θ_max ${sig3(p.ratio)}×`,
    left: (grid[i]?.left ?? 0) + 4,
    top: (grid[i]?.top ?? 0) - 26,
    textStyle: { fontSize: 13 },
  }));
  const series = shown.flatMap((p, i) =>
    [p.vllm, p.sglang].map((curve) =>
      lineSeries(
        `${engineName(curve.engine)}`,
        curve.points.map((pt) => [pt.rateRps, pt.outputTokPerS]),
        curve.engine === 'vllm' ? (PALETTE[0] as string) : (PALETTE[3] as string),
        {
          xAxisIndex: i,
          yAxisIndex: i,
          lineStyle: { width: 2, type: curve.engine === 'vllm' ? 'solid' : 'dashed' },
        },
      ),
    ),
  );
  const ratios = shown.map((p) => p.ratio);
  return {
    id: 'R6',
    file: 'r6-vllm-vs-sglang',
    title: 'vLLM vs SGLang on H100',
    caption:
      'Output throughput vs λ for each model and precision on H100, vLLM 0.19.0 (solid) against ' +
      `SGLang 0.5.10 (dashed). vLLM's θ_max is ${sig3(Math.min(...ratios))}–` +
      `${sig3(Math.max(...ratios))}× ` +
      "SGLang's, a gap large enough to suggest untuned SGLang flags.",
    widthPx: 90 + columns.length * (cellW + 80) + 10,
    heightPx: 140 + rows.length * (cellH + 95) + 30,
    option: {
      title: [
        ...titles(
          'R6',
          'Engine comparison on H100: vLLM vs SGLang',
          'output throughput vs offered load; title: ratio of saturation throughputs',
          DATA,
        ),
        ...panelTitles,
      ],
      legend: legend(62, { data: ['vLLM', 'SGLang'] }),
      grid,
      xAxis: shown.map((_, i) => rateAxis({ gridIndex: i, name: 'λ (requests/s, log)' })),
      yAxis: shown.map((_, i) =>
        valueAxis({ name: 'θ (output tokens/s)', gridIndex: i, min: 0, nameGap: 50 }),
      ),
      series,
    },
  };
}
