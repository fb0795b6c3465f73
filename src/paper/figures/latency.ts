/** R7: client-side latency against offered load, vLLM and SGLang on H100. */

import type { ConfigCurve } from '../curves.ts';
import type { PaperRun } from '../data.ts';
import {
  legend,
  lineSeries,
  logAxis,
  logBounds,
  PALETTE,
  type PaperFigure,
  rateAxis,
  setupLabel,
  sig3,
  ticks125,
  titles,
} from './common.ts';

const METRICS: Array<{ label: string; value: (run: PaperRun) => number }> = [
  { label: 'TTFT p99', value: (run) => run.ttftP99Ms },
  { label: 'TPOT p90', value: (run) => run.tpotP90Ms },
  { label: 'E2E latency p50', value: (run) => run.e2eP50Ms },
];

export function r7Latency(
  vllm: readonly ConfigCurve[],
  sglang: readonly ConfigCurve[],
): PaperFigure {
  const rows = [
    { name: 'vLLM 0.19', curves: vllm },
    { name: 'SGLang 0.5.10', curves: sglang },
  ].filter((row) => row.curves.length > 0);
  const cellW = 330;
  const cellH = 230;
  const cells = rows.flatMap((row, r) => METRICS.map((metric, m) => ({ row, r, metric, m })));
  const grid = cells.map(({ r, m }) => ({
    left: 96 + m * (cellW + 90),
    top: 150 + r * (cellH + 100),
    width: cellW,
    height: cellH,
  }));
  // One y range per metric, shared by both engines, so the rows compare at a glance.
  const boundsByMetric = METRICS.map((metric) =>
    logBounds(
      rows.flatMap((row) => row.curves.flatMap((c) => c.points.map((p) => metric.value(p.run)))),
    ),
  );
  const c3At50 = vllm.find((c) => c.config === 'C3')?.points.find((p) => p.rateRps === 50);
  const example = c3At50 ? ` (C3 at λ=50: ${sig3(c3At50.run.ttftP99Ms / 1000)} s)` : '';
  return {
    id: 'R7',
    file: 'r7-latency-vs-load',
    title: 'Latency vs offered load (H100)',
    caption:
      'Client-side TTFT p99, TPOT p90 and median end-to-end latency per configuration; top ' +
      'row vLLM (C1–C6), bottom row SGLang (S1–S6). Past the knee the open-loop runs queue: ' +
      `TTFT reaches seconds${example}.`,
    widthPx: 96 + METRICS.length * (cellW + 90),
    heightPx: 150 + rows.length * (cellH + 100) + 20,
    option: {
      title: [
        ...titles(
          'R7',
          'Latency vs offered load on H100',
          'rows: engine; columns: latency metric; both axes log scale',
          'master_results.csv',
        ),
        ...cells.map(({ row, metric }, i) => ({
          text: `${row.name}: ${metric.label}`,
          left: (grid[i]?.left ?? 0) + 4,
          top: (grid[i]?.top ?? 0) - 26,
          textStyle: { fontSize: 13 },
        })),
      ],
      legend: legend(62, { data: vllm.map(setupLabel), width: 1200 }),
      grid,
      xAxis: cells.map((_, i) => rateAxis({ gridIndex: i, name: 'λ (requests/s, log)' })),
      yAxis: cells.map(({ m, metric }, i) => {
        const bounds = boundsByMetric[m] as { min: number; max: number };
        return logAxis({
          name: `${metric.label} (ms, log)`,
          gridIndex: i,
          ticks: ticks125(bounds.min, bounds.max).filter(
            (_, k, all) => all.length <= 8 || k % 2 === 0,
          ),
          ...bounds,
          nameGap: 54,
        });
      }),
      series: cells.flatMap(({ row, metric }, i) =>
        row.curves.map((curve, k) =>
          lineSeries(
            setupLabel(curve),
            curve.points.map((p) => [p.rateRps, metric.value(p.run)]),
            PALETTE[k % PALETTE.length] as string,
            {
              xAxisIndex: i,
              yAxisIndex: i,
              symbolSize: 5,
            },
          ),
        ),
      ),
    },
  };
}
