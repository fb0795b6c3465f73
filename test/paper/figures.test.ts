/** The figures carry the paper's numbers, units on every axis, and a citation. */

import { describe, expect, it } from 'vitest';
import { buildCurves } from '../../src/paper/curves.ts';
import { loadPaperData } from '../../src/paper/data.ts';
import { paperFigures } from '../../src/paper/figures/index.ts';
import { expect3sf, PAPER_DIR, SKIP_NOTE } from './helpers.ts';

interface Series {
  name: string;
  type: string;
  data: Array<[number, number] | { value: number | [number, number] } | number | null>;
  markLine?: { data: Array<{ yAxis: number }> };
}
interface Axis {
  name?: string;
  type: string;
}
const asArray = <T>(value: T | T[]) => (Array.isArray(value) ? value : [value]);

describe.skipIf(!PAPER_DIR)(`paper figures${SKIP_NOTE}`, () => {
  const data = PAPER_DIR ? loadPaperData(PAPER_DIR) : null;
  const curves = data ? buildCurves(data.runs) : [];
  const figures = data ? paperFigures(data, curves) : [];
  const byId = (id: string) => {
    const figure = figures.find((f) => f.id === id);
    if (!figure) throw new Error(`no figure ${id}`);
    return figure.option as {
      series: Series[];
      xAxis: Axis | Axis[];
      yAxis: Axis | Axis[];
      title: Array<{ text: string }>;
    };
  };

  it('R1–R9: eleven figures, each with a citing footer and named axes with units', () => {
    expect(figures.map((f) => f.id)).toEqual([
      'R1',
      'R2',
      'R3',
      'R4',
      'R5',
      'R6',
      'R7',
      'R8',
      'R9a',
      'R9b',
      'R9c',
    ]);
    for (const figure of figures) {
      const option = byId(figure.id);
      expect(option.title.some((t) => t.text.includes('arXiv 2606.11690'))).toBe(true);
      for (const axis of [...asArray(option.yAxis), ...asArray(option.xAxis)]) {
        expect(axis.name ?? '(category labels)').toMatch(/\(|λ|category/);
      }
      expect(figure.caption.length).toBeGreaterThan(40);
    }
  });

  it('R1: one C_eff curve and one dashed C_naive floor per C1–C6, on log axes', () => {
    const option = byId('R1');
    expect(option.series).toHaveLength(12);
    expect((option.xAxis as Axis).type).toBe('log');
    expect((option.yAxis as Axis).type).toBe('log');
    const first = (name: string, index = 0) =>
      (option.series.filter((s) => s.name.startsWith(name))[index]?.data[0] ?? [0, 0]) as [
        number,
        number,
      ];
    expect3sf(first('C4 ', 1)[1], 0.2091);
    expect(first('C5 ')[1].toFixed(2)).toBe('15.25');
  });

  it('R3: θ_max plateaus at 6238 … 9271 and the ideal 256·λ line', () => {
    const plateaus = byId('R3')
      .series.filter((s) => s.markLine)
      .map((s) => Math.round(s.markLine?.data[0]?.yAxis ?? 0));
    expect(plateaus).toEqual([6238, 8155, 5319, 9271, 4454, 7524]);
    const ideal = byId('R3').series.find((s) => s.name.startsWith('ideal 256'));
    const [rate, tokens] = (ideal?.data[10] ?? [0, Number.NaN]) as [number, number];
    expect(tokens).toBeCloseTo(256 * rate, 9);
  });

  it('R4: bars are the FP8 gains in percent (+30.7, +74.3, +68.9 for vLLM on H100)', () => {
    const vllmH100 = byId('R4').series.find((s) => s.name === 'vLLM H100');
    const values = vllmH100?.data.map((d) => (d as { value: number }).value) ?? [];
    expect3sf(values[0], 30.7);
    expect3sf(values[1], 74.3);
    expect3sf(values[2], 68.9);
  });

  it('R8: legends carry the A100 spreads, AS1 7.03× to M3 12.3×', () => {
    const names = byId('R8').series.map((s) => s.name);
    expect(names).toContain('AS1 Llama-3.1-8B FP16 SGLang (spread 7.03×)');
    expect(names).toContain('M3 Mixtral-8x7B FP16 4×GPU vLLM (spread 12.3×)');
  });
});
