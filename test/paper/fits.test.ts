/**
 * The saturating fit on each of the paper's 20 configurations reports its error, and the
 * reported error is the one the fitted curve really has on the published points: recomputed
 * here from the CSV read line by line and the model written out again, not through the fit.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCurves } from '../../src/paper/curves.ts';
import { parsePrimaryRuns } from '../../src/paper/data.ts';
import { fitPaperCurve } from '../../src/paper/fits.ts';
import { PAPER_DIR, SKIP_NOTE } from './helpers.ts';

interface CsvPoint {
  rps: number;
  tokPerS: number;
  reqPerS: number;
}

function csvPoints(dir: string): Map<string, CsvPoint[]> {
  const [header, ...rows] = readFileSync(join(dir, 'master_results.csv'), 'utf8')
    .trim()
    .split('\n');
  const column = (name: string) => (header as string).split(',').indexOf(name);
  const [config, rps, tps, req] = ['config', 'rps', 'tps_output', 'request_throughput'].map(column);
  const byConfig = new Map<string, CsvPoint[]>();
  for (const row of rows) {
    const cells = row.split(',');
    const key = cells[config as number] as string;
    const list = byConfig.get(key) ?? [];
    list.push({
      rps: Number(cells[rps as number]),
      tokPerS: Number(cells[tps as number]),
      reqPerS: Number(cells[req as number]),
    });
    byConfig.set(key, list);
  }
  return byConfig;
}

describe.skipIf(!PAPER_DIR)(`saturating fit on the paper's configurations${SKIP_NOTE}`, () => {
  const dir = PAPER_DIR as string;
  const fits = new Map(
    buildCurves(parsePrimaryRuns(dir)).map((curve) => [curve.config, fitPaperCurve(curve)]),
  );
  const points = csvPoints(dir);

  it('fits all 20 configurations', () => {
    expect([...fits.keys()].sort()).toEqual([...points.keys()].sort());
    expect(fits.size).toBe(20);
  });

  it.each([...points.keys()])('%s: the reported RMSE and R² are those of the fitted curve', (c) => {
    const fit = fits.get(c);
    const pts = points.get(c) as CsvPoint[];
    if (!fit) throw new Error(`no fit for ${c}`);
    // L_out: mean output tokens per request over the curve (256 in every paper run).
    const lOut = pts.reduce((acc, p) => acc + p.tokPerS / p.reqPerS, 0) / pts.length;
    const { thetaMaxTokPerS: m, sharpness: n, deliveryRatio: s } = fit;
    const residuals = pts.map((p) => {
      const a = s * p.rps * lOut;
      const model = (a * m) / (a ** n + m ** n) ** (1 / n);
      return Math.log(p.tokPerS) - Math.log(model);
    });
    const ssr = residuals.reduce((acc, r) => acc + r * r, 0);
    const logs = pts.map((p) => Math.log(p.tokPerS));
    const meanLog = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sst = logs.reduce((acc, y) => acc + (y - meanLog) ** 2, 0);

    expect(fit.points).toBe(pts.length);
    expect(fit.rmseLog).toBeCloseTo(Math.sqrt(ssr / pts.length), 9);
    expect(fit.r2Log).toBeCloseTo(1 - ssr / sst, 9);
    const measuredMax = Math.max(...pts.map((p) => p.tokPerS));
    expect(fit.thetaMaxVsMeasured).toBeCloseTo(m / measuredMax - 1, 12);
    // The knee is where the model reaches 90 % of its plateau.
    const a = s * fit.kneeRps * lOut;
    expect((a * m) / (a ** n + m ** n) ** (1 / n) / m).toBeCloseTo(0.9, 9);
  });
});
