import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../../src/analysis/analyzeRun.ts';
import type { RunAnalysis } from '../../src/analysis/types.ts';
import { type SyntheticVariant, writeSyntheticRun } from '../helpers/runDir.ts';

const root = mkdtempSync(join(tmpdir(), 'vcm-analyze-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** θ_max 2000 tok/s, n = 4, s = 1, 256 requested tokens, 512 prompt tokens, 1 × 6.98 $/h. */
const H100: SyntheticVariant = {
  name: 'h100',
  thetaMaxTokPerS: 2000,
  sharpness: 4,
  deliveryRatio: 1,
  promptTokens: 512,
  requestedOutputTokens: 256,
  gpuHourlyUsd: 6.98,
  gpus: 1,
};
const RATES = [1, 2, 4, 8, 16, 32];
const SLO = { ttftMs: { percentile: 99, maxMs: 300 }, attainment: 0.9 };

const point = (a: RunAnalysis, rate: number) => {
  const p = a.variants[0]?.points.find((x) => x.rateRps === rate);
  if (!p) throw new Error(`no point at λ=${rate}`);
  return p;
};

describe('analyzeRun on a synthetic run with requests.jsonl', () => {
  let analysis: RunAnalysis;
  beforeAll(async () => {
    const dir = join(root, 'full');
    await writeSyntheticRun({
      dir,
      measuredSeconds: 60,
      ratesRps: RATES,
      variants: [H100],
      slo: SLO,
    });
    analysis = await analyzeRun(dir);
  });

  it('recomputes θ from window tokens and prices it (hand computation)', () => {
    // λ=1: θ(256) = 256·2000/(256⁴+2000⁴)^¼ = 255.9828 tok/s → round(× 60 s) = 15359 tokens
    // in the window → θ = 15359/60 = 255.98333 tok/s.
    // C_eff = 6.98 × 1e6 / (3600 × 255.98333) = 7.574277839 $/M.
    const p1 = point(analysis, 1);
    expect(p1.outputTokPerS.mean).toBeCloseTo(15359 / 60, 10);
    expect(p1.cost.cEffUsdPerMTok).toBeCloseTo(7.574277839269049, 9);
    // λ=32: 119894 tokens → θ = 1998.2333 → C_eff = 0.970301544 $/M, the cheapest: C_naive.
    const p32 = point(analysis, 32);
    expect(p32.cost.cEffUsdPerMTok).toBeCloseTo(0.9703015441417697, 9);
    expect(p1.cost.cNaiveUsdPerMTok).toBeCloseTo(0.9703015441417697, 9);
    // Penalty at λ=1 = θ_max/θ = 119894/15359 = 7.8061.
    expect(p1.cost.penalty).toBeCloseTo(119894 / 15359, 10);
    expect(analysis.variants[0]?.thetaMaxObservedTokPerS).toBeCloseTo(119894 / 60, 10);
  });

  it('per request, per input and total token, and offered output tokens/s', () => {
    const p1 = point(analysis, 1);
    // 60 requests in 60 s → 1 req/s → 6.98 / 3600 = 0.0019389 $ per request.
    expect(p1.cost.usdPerRequest).toBeCloseTo(6.98 / 3600, 12);
    // 60 × 512 prompt tokens / 60 s = 512 tok/s → 6.98e6 / (3600 × 512) = 3.78689 $/M input.
    expect(p1.cost.usdPerMInputTok).toBeCloseTo(6.98e6 / (3600 * 512), 9);
    expect(p1.cost.usdPerMTotalTok).toBeCloseTo(6.98e6 / (3600 * (512 + 15359 / 60)), 9);
    expect(point(analysis, 4).offeredOutputTokPerS).toBe(4 * 256);
  });

  it('ignores warm-up requests in latency (they carry TTFT = 1e6 ms)', () => {
    // 60 requests with TTFT 60 ms × (0.5 + i/59): p99 = 60 × 1.49 = 89.4 ms, p50 = 60 ms.
    const step = analysis.steps.find((s) => s.rateRps === 1);
    expect(step?.source).toBe('requests');
    expect(step?.latency.ttftFromIntendedMs.p99Ms).toBeCloseTo(89.4, 9);
    expect(step?.latency.ttftFromIntendedMs.p50Ms).toBeCloseTo(60, 9);
    expect(step?.measuredRequests).toBe(60);
  });

  it('goodput cost prices only SLO-compliant tokens', () => {
    // λ=16: 960 requests, TTFT 210 × (0.5 + i/959) ≤ 300 ms for i ≤ 890 → 891 good:
    // attainment 891/960 = 0.928125, and good tokens are that share of θ.
    const p16 = point(analysis, 16);
    expect(p16.slo?.attainment).toBeCloseTo(891 / 960, 12);
    expect(p16.cost.goodputUsdPerMTok).toBeCloseTo(
      (p16.cost.cEffUsdPerMTok as number) / (891 / 960),
      9,
    );
    // Below the capacity every request is good: goodput cost equals C_eff.
    const p4 = point(analysis, 4);
    expect(p4.cost.goodputUsdPerMTok).toBeCloseTo(p4.cost.cEffUsdPerMTok, 12);
  });

  it('SLO capacity interpolates TTFT p99 between λ=8 and λ=16', () => {
    // p99 TTFT = 1.49 × (50 + 10λ): 193.7 ms at 8, 312.9 ms at 16; linear in λ, so the
    // crossing of 300 ms is exactly (300/1.49 − 50)/10 = 15.1342 req/s.
    const cap = analysis.variants[0]?.sloCapacity;
    expect(cap?.kind).toBe('interpolated');
    expect(cap?.limitedBy).toBe('TTFT p99');
    expect(cap?.rateRps).toBeCloseTo((300 / 1.49 - 50) / 10, 9);
  });

  it('fit recovers θ_max, n, s and the knee within 2%', () => {
    const fit = analysis.variants[0]?.fit;
    if (!fit?.ok) throw new Error('expected a fit');
    expect(Math.abs(fit.thetaMaxTokPerS / 2000 - 1)).toBeLessThan(0.02);
    expect(Math.abs(fit.sharpness / 4 - 1)).toBeLessThan(0.02);
    expect(Math.abs(fit.deliveryRatio - 1)).toBeLessThan(0.02);
    // Knee: r = 0.9/(1 − 0.9⁴)^¼ = 1.175275, offered 2350.55 tok/s, λ* = 2350.55/256 = 9.1818.
    expect(Math.abs(fit.kneeRps / 9.18183 - 1)).toBeLessThan(0.02);
    expect(fit.equation).toMatch(/θmax = 2000/);
    expect(analysis.variants[0]?.curves?.rateRps[0]).toBe(1);
  });

  it("Little's law holds for the synthetic client (ratio 1)", () => {
    for (const step of analysis.steps) expect(step.littlesLaw.ratio).toBeCloseTo(1, 9);
    expect(analysis.warnings).toEqual([]);
  });
});

describe('analyzeRun fallbacks and re-judging', () => {
  it('without requests.jsonl uses the step records and the run’s own SLO verdicts', async () => {
    const withRequests = join(root, 'with');
    const without = join(root, 'without');
    await writeSyntheticRun({
      dir: withRequests,
      measuredSeconds: 60,
      ratesRps: RATES,
      variants: [H100],
      slo: SLO,
    });
    await writeSyntheticRun({
      dir: without,
      measuredSeconds: 60,
      ratesRps: RATES,
      variants: [H100],
      slo: SLO,
      writeRequests: false,
    });
    const a = await analyzeRun(withRequests);
    const b = await analyzeRun(without);
    expect(b.steps.every((s) => s.source === 'steps' && s.slo?.basis === 'run')).toBe(true);
    for (const rate of RATES) {
      expect(point(b, rate).cost.cEffUsdPerMTok).toBeCloseTo(
        point(a, rate).cost.cEffUsdPerMTok,
        12,
      );
      expect(point(b, rate).cost.goodputUsdPerMTok).toBeCloseTo(
        point(a, rate).cost.goodputUsdPerMTok as number,
        9,
      );
    }
    expect(b.variants[0]?.sloCapacity?.rateRps).toBeCloseTo(
      a.variants[0]?.sloCapacity?.rateRps as number,
      9,
    );
  });

  it('--slo re-judges every request after the fact', async () => {
    const dir = join(root, 'rejudge');
    await writeSyntheticRun({
      dir,
      measuredSeconds: 60,
      ratesRps: RATES,
      variants: [H100],
      slo: SLO,
    });
    const a = await analyzeRun(dir, {
      slo: { ttftMs: { percentile: 99, maxMs: 200 }, attainment: 0.5 },
    });
    expect(a.slo.source).toBe('flag');
    // TTFT p99 1.49 × (50 + 10λ) reaches 200 ms at λ = (200/1.49 − 50)/10 = 8.4228 req/s; the
    // attainment crossing (1 at λ=8 → 0.4521 at λ=16) comes later, at 15.3.
    const cap = a.variants[0]?.sloCapacity;
    expect(cap?.limitedBy).toBe('TTFT p99');
    expect(cap?.rateRps).toBeCloseTo((200 / 1.49 - 50) / 10, 9);
    // λ=8: the slowest TTFT is 130 × 1.5 = 195 ms ≤ 200: all good. λ=16: 960 requests,
    // 210 × (0.5 + i/959) ≤ 200 for i ≤ 433 → 434 good.
    expect(point(a, 8).slo?.attainment).toBe(1);
    expect(point(a, 16).slo?.attainment).toBeCloseTo(434 / 960, 12);
  });

  it('counts failed requests and keeps them out of latency', async () => {
    const dir = join(root, 'failures');
    await writeSyntheticRun({
      dir,
      measuredSeconds: 60,
      ratesRps: [1, 2, 4],
      variants: [{ ...H100, failedFraction: 0.1 }],
    });
    const a = await analyzeRun(dir);
    const step = a.steps.find((s) => s.rateRps === 1);
    // 60 requests, 10% fail: 54 ok, 6 failed with HTTP 5xx.
    expect(step?.ok).toBe(54);
    expect(step?.failed).toBe(6);
    expect(step?.errorsByClass).toEqual({ http_5xx: 6 });
    expect(step?.latency.ttftMs.count).toBe(54);
    // Three λ: a fit with s held at 1.
    const fit = a.variants[0]?.fit;
    expect(fit?.ok && fit.deliveryRatioFitted).toBe(false);
  });

  it('says why there is no fit with fewer than 3 distinct λ', async () => {
    const dir = join(root, 'two');
    await writeSyntheticRun({
      dir,
      measuredSeconds: 10,
      ratesRps: [1, 2],
      repeats: 3,
      variants: [H100],
    });
    const a = await analyzeRun(dir);
    const fit = a.variants[0]?.fit;
    expect(fit?.ok).toBe(false);
    expect(fit && !fit.ok && fit.reason).toMatch(
      /at least 3 distinct λ.*has 2 \(λ = 1, 2 req\/s\)/,
    );
    expect(a.variants[0]?.points[0]?.repeats).toBe(3);
  });
});

describe('analyzeRun warnings', () => {
  it('reports reconciliation failures, invalid and failed steps, Little outliers', async () => {
    const dir = join(root, 'warnings');
    await writeSyntheticRun({
      dir,
      measuredSeconds: 10,
      ratesRps: [1, 2, 4, 8],
      variants: [H100],
      patchStep: (step) => {
        if (step.rateRps === 1 && step.reconciliation) {
          step.reconciliation.ok = false;
          step.reconciliation.warnings = ['server counted 2400 output tokens, client 2560'];
        }
        if (step.rateRps === 2) {
          step.status = 'invalid';
          step.statusReason = 'schedule lag p99 12 ms > 5 ms';
        }
        if (step.rateRps === 4 && step.inFlight.mean !== null) step.inFlight.mean *= 2;
        if (step.rateRps === 8) {
          step.status = 'failed';
          step.statusReason = 'all 80 measured requests failed';
        }
      },
    });
    const a = await analyzeRun(dir);
    expect(a.warnings).toEqual([
      // λ ≤ 4 offers at most 1024 tok/s, below the knee (2350): the fit says so.
      'h100: fit: no step reaches the knee: θ_max is an extrapolation beyond the sweep',
      'h100: fit: s held at 1: only 3 distinct λ',
      'h100 λ=1 repeat 0: reconciliation failed: server counted 2400 output tokens, client 2560',
      'h100 λ=2 repeat 0: driver marked the step invalid (schedule lag p99 12 ms > 5 ms)',
      expect.stringMatching(/^h100 λ=4 repeat 0: Little's law off — .* \(ratio 2\.00\)$/),
      'h100 λ=8 repeat 0: step failed (all 80 measured requests failed); left out',
    ]);
    // The failed step is left out of the load points; the invalid one is kept and counted.
    expect(a.variants[0]?.points.map((p) => [p.rateRps, p.invalidRepeats])).toEqual([
      [1, 0],
      [2, 1],
      [4, 0],
    ]);
  });
});

describe('analyzeRun input errors', () => {
  it('names a missing directory and a missing manifest', async () => {
    await expect(analyzeRun(join(root, 'nope'))).rejects.toThrow(/nope: no such results directory/);
    const dir = join(root, 'empty');
    await writeSyntheticRun({ dir, measuredSeconds: 10, ratesRps: [1], variants: [H100] });
    rmSync(join(dir, 'manifest.json'));
    await expect(analyzeRun(dir)).rejects.toThrow(/manifest\.json: not found/);
  });

  it('names file and line of a malformed steps.jsonl line', async () => {
    const dir = join(root, 'badstep');
    await writeSyntheticRun({ dir, measuredSeconds: 10, ratesRps: [1, 2, 3], variants: [H100] });
    const steps = join(dir, 'steps.jsonl');
    writeFileSync(
      steps,
      `${(await import('node:fs')).readFileSync(steps, 'utf8').split('\n')[0]}\n{"v":1,oops}\n`,
    );
    await expect(analyzeRun(dir)).rejects.toThrow(/steps\.jsonl:2: not valid JSON/);
    writeFileSync(steps, '{"v":1,"variant":"h100"}\n');
    await expect(analyzeRun(dir)).rejects.toThrow(
      /steps\.jsonl:1: field 'stepIndex' must be a number/,
    );
  });

  it('skips a truncated last line of requests.jsonl with a warning', async () => {
    const dir = join(root, 'truncated');
    await writeSyntheticRun({ dir, measuredSeconds: 10, ratesRps: [1, 2, 4], variants: [H100] });
    appendFileSync(join(dir, 'requests.jsonl'), '{"v":1,"variant":"h100","stepIn');
    const a = await analyzeRun(dir);
    expect(a.warnings.some((w) => /requests\.jsonl:\d+: truncated last line skipped/.test(w))).toBe(
      true,
    );
    expect(a.steps[0]?.measuredRequests).toBe(10);
  });
});
