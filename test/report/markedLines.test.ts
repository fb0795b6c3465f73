/**
 * Marked lines sit at their values, however small: C_naive of a cheap machine is a fraction of
 * a cent per million tokens (the real CPU vLLM's worked example: $0.009 and $0.012 per million).
 * Where each line should be is computed from the rendered y axis's own decade labels.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../../src/analysis/analyzeRun.ts';
import { writeReport } from '../../src/report/writeReport.ts';
import { type SyntheticVariant, writeSyntheticRun } from '../helpers/runDir.ts';

const root = mkdtempSync(join(tmpdir(), 'vcm-marked-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PRICE_USD_PER_H = 0.1;
const variant = (name: string, thetaMaxTokPerS: number): SyntheticVariant => ({
  name,
  thetaMaxTokPerS,
  sharpness: 4,
  deliveryRatio: 1,
  promptTokens: 256,
  requestedOutputTokens: 128,
  gpuHourlyUsd: PRICE_USD_PER_H,
  gpus: 1,
});

let svg: string;
let cNaive: Map<string, number>;
beforeAll(async () => {
  const dir = join(root, 'run');
  await writeSyntheticRun({
    dir,
    measuredSeconds: 20,
    ratesRps: [1, 2, 4, 8, 16, 32, 64],
    variants: [variant('bf16', 3000), variant('fp32', 2200)],
  });
  const analysis = await analyzeRun(dir);
  const written = await writeReport(analysis, join(dir, 'analysis'));
  const path = written.figures.find((f) => f.endsWith('cost-vs-load.svg'));
  svg = readFileSync(path as string, 'utf8');
  cNaive = new Map(analysis.variants.map((v) => [v.name, v.cNaiveUsdPerMTok]));
}, 120_000);

/** y pixel of each labelled y-axis tick (right-aligned text left of the plot). */
function axisTicks(text: string): Array<{ value: number; y: number }> {
  const re = /text-anchor="end"[^>]*transform="translate\([\d.]+ ([\d.]+)\)"[^>]*>([\d.]+)</g;
  return [...text.matchAll(re)].map((m) => ({ value: Number(m[2]), y: Number(m[1]) }));
}

describe('the cost figure on a machine that costs $0.10 an hour', () => {
  it('draws each C_naive where its value is on the log axis', () => {
    const ticks = axisTicks(svg).sort((a, b) => a.value - b.value);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    const lo = ticks[0]!;
    const hi = ticks.at(-1)!;
    const pxPerDecade = (lo.y - hi.y) / Math.log10(hi.value / lo.value);
    const yOf = (usd: number) => lo.y - Math.log10(usd / lo.value) * pxPerDecade;

    // Horizontal dashed marked lines, one per variant, in variant order.
    const lines = [...svg.matchAll(/<path d="M[\d.]+ ([\d.]+)L[\d.]+ \1"[^>]*dasharray="6,3"/g)];
    const ys = lines.map((m) => Number(m[1]));
    expect(ys).toHaveLength(2);
    const expected = ['bf16', 'fp32'].map((name) => {
      // The analyzer's value; what is checked here is where the figure puts it.
      const usd = cNaive.get(name) as number;
      expect(usd).toBeLessThan(0.02);
      return yOf(usd);
    });
    for (const [i, y] of ys.entries()) expect(Math.abs(y - expected[i]!)).toBeLessThan(1.5);
    expect(Math.abs(ys[0]! - ys[1]!)).toBeGreaterThan(10);
  });
});
