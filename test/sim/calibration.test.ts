import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compareConfig,
  DEFAULT_HELD_OUT,
  fitFactors,
  PAPER_PROTOCOL,
} from '../../src/sim/calibrate.ts';
import calibration from '../../src/sim/calibration.json' with { type: 'json' };
import { nelderMead } from '../../src/sim/nelderMead.ts';
import { simulateBench } from '../../src/sim/offline.ts';
import { type PaperRow, parsePaperCsv, vllmRowsByConfig } from '../../src/sim/paperData.ts';
import { resolveProfile } from '../../src/sim/profiles.ts';
import type { EfficiencyFactors } from '../../src/sim/roofline.ts';

const CSV = resolve(import.meta.dirname, '../../../shared/paper/master_results.csv');
const haveShared = existsSync(CSV);
if (!haveShared)
  console.warn(`skipping calibration error checks: ${CSV} not found (../shared is absent)`);

type Classes = Record<
  string,
  { factors: EfficiencyFactors; heldOutThetaMapePct: number; heldOutTtftP50MapePct: number }
>;
const classes = (calibration as unknown as { classes: Classes }).classes;

describe.skipIf(!haveShared)(
  'calibration against the paper (master_results.csv, vLLM rows)',
  () => {
    const byConfig = haveShared
      ? vllmRowsByConfig(parsePaperCsv(readFileSync(CSV, 'utf8'), CSV))
      : new Map();

    it('holds whole configurations out: θ(λ) MAPE under 10 % per hardware class', () => {
      for (const hardwareClass of ['h100', 'a100']) {
        const heldOut = DEFAULT_HELD_OUT.filter(
          (c) => (hardwareClass === 'h100') === c.startsWith('C'),
        );
        const comparisons = heldOut.map((c) =>
          compareConfig(c, byConfig.get(c)!, classes[hardwareClass]!.factors, true),
        );
        const thetaMape = comparisons.reduce((s, c) => s + c.thetaMapePct, 0) / comparisons.length;
        const ttftMape = comparisons.reduce((s, c) => s + c.ttftP50MapePct, 0) / comparisons.length;
        expect({ hardwareClass, below10: thetaMape < 10 }).toEqual({
          hardwareClass,
          below10: true,
        });
        // The numbers the README quotes (and whatif prints) are what the committed factors give.
        expect(thetaMape).toBeCloseTo(classes[hardwareClass]!.heldOutThetaMapePct, 2);
        expect(ttftMape).toBeCloseTo(classes[hardwareClass]!.heldOutTtftP50MapePct, 2);
      }
    });

    it('replays the protocol the rows imply: N = 500 requests, θ = 256·N / duration', () => {
      // C1 at λ = 1 measured 255.147 tok/s; 500 requests end at 500 s + the last one's E2E.
      const c1 = byConfig.get('C1')!.find((r: PaperRow) => r.rateRps === 1)!;
      const sim = simulateBench(resolveProfile('h100-llama3.1-8b-fp16'), {
        rateRps: 1,
        ...PAPER_PROTOCOL,
      });
      expect(sim.outputTokens).toBe(500 * 256);
      expect(sim.outputTokPerS).toBeCloseTo((500 * 256) / sim.durationS, 9);
      expect(Math.abs(sim.outputTokPerS / c1.outputTokPerS - 1)).toBeLessThan(0.005);
    });
  },
);

describe('fitting machinery', () => {
  it('Nelder–Mead finds the minimum of the Rosenbrock valley', () => {
    const rosenbrock = ([x, y]: number[]) => (1 - x!) ** 2 + 100 * (y! - x! ** 2) ** 2;
    const result = nelderMead(rosenbrock, [-1.2, 1], {
      initialStep: 0.5,
      maxEvaluations: 2000,
      tolerance: 1e-14,
    });
    expect(result.x[0]).toBeCloseTo(1, 3);
    expect(result.x[1]).toBeCloseTo(1, 3);
  });

  it('recovers a known efficiency from rows the simulator itself produced', () => {
    // Rows generated with gemmEffFp16 = 0.5 (everything else as committed); the fit starts at
    // 0.25 with every other factor fixed and must land back on 0.5.
    const truth = { ...classes.h100!.factors, gemmEffFp16: 0.5 };
    const profile = resolveProfile('h100-llama3.1-8b-fp16', { factors: truth });
    const rows: PaperRow[] = [25, 200].map((rateRps) => {
      const sim = simulateBench(profile, { rateRps, ...PAPER_PROTOCOL });
      return {
        config: 'C1',
        engine: 'vllm',
        rateRps,
        gpus: 1,
        outputTokPerS: sim.outputTokPerS,
        requestsPerS: sim.requestsPerS,
        ttftP50Ms: sim.ttft.p50Ms!,
        ttftP99Ms: sim.ttft.p99Ms!,
        tpotP50Ms: sim.tpot.p50Ms!,
        e2eP50Ms: sim.e2e.p50Ms!,
      };
    });
    const fixed = (Object.keys(truth) as (keyof EfficiencyFactors)[]).filter(
      (k) => k !== 'gemmEffFp16',
    );
    const fit = fitFactors(
      new Map([['C1', rows]]),
      { ...truth, gemmEffFp16: 0.25 },
      { maxEvaluations: 60, fixed },
    );
    expect(fit.factors.gemmEffFp16).toBeCloseTo(0.5, 2);
    expect(fit.loss).toBeLessThan(0.01);
  });
});
