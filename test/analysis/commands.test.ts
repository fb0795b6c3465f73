import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { type SyntheticVariant, writeSyntheticRun } from '../helpers/runDir.ts';

const root = mkdtempSync(join(tmpdir(), 'vcm-cmd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const BASE: SyntheticVariant = {
  name: 'fp16',
  thetaMaxTokPerS: 2000,
  sharpness: 4,
  deliveryRatio: 1,
  promptTokens: 256,
  requestedOutputTokens: 128,
  gpuHourlyUsd: 6.98,
  gpus: 1,
};
const FP8: SyntheticVariant = { ...BASE, name: 'fp8', thetaMaxTokPerS: 3000 };
const RATES = [1, 4, 16, 64];
const SLO = { ttftMs: { percentile: 99, maxMs: 600 }, attainment: 0.9 };
const run = (name: string) => join(root, name);
// Each case starts the real CLI (tsx) once or twice: slow on a busy 2-core machine.
const CLI_TIMEOUT_MS = 90_000;

beforeAll(async () => {
  await writeSyntheticRun({
    dir: run('base'),
    measuredSeconds: 20,
    ratesRps: RATES,
    variants: [BASE, FP8],
    slo: SLO,
  });
  // The same run again: a self-check must pass.
  await writeSyntheticRun({
    dir: run('same'),
    measuredSeconds: 20,
    ratesRps: RATES,
    variants: [BASE, FP8],
    slo: SLO,
  });
  // θ_max 10% lower for fp16: θ_max, cost at high λ and SLO capacity stay, except θ.
  await writeSyntheticRun({
    dir: run('degraded'),
    measuredSeconds: 20,
    ratesRps: RATES,
    variants: [{ ...BASE, thetaMaxTokPerS: 1800 }, FP8],
    slo: SLO,
  });
  await writeSyntheticRun({
    dir: run('unreconciled'),
    measuredSeconds: 20,
    ratesRps: RATES,
    variants: [BASE, FP8],
    slo: SLO,
    patchStep: (step) => {
      if (step.variant === 'fp8' && step.rateRps === 16 && step.reconciliation) {
        step.reconciliation.ok = false;
        step.reconciliation.warnings = ['client counted 5000 output tokens, server 4000'];
      }
    },
  });
});

describe('check', { timeout: CLI_TIMEOUT_MS }, () => {
  it('passes a run against itself (exit 0)', async () => {
    const r = await runCli(['check', run('same'), '--baseline', run('base')]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/no regression beyond 5\.0%/);
    expect(r.stdout).not.toMatch(/REGRESSED/);
  });

  it('fails a degraded copy (exit 1) and says what regressed', async () => {
    const r = await runCli([
      'check',
      run('degraded'),
      '--baseline',
      run('base'),
      '--max-regression',
      '5%',
    ]);
    expect(r.exitCode).toBe(1);
    // θ_max fp16 at λ=64 (8192 offered tok/s): 2000/(1 + (2000/8192)⁴)^¼ = 1998.2 before,
    // 1800/(1 + (1800/8192)⁴)^¼ = 1798.9 after: −10.0%, and C_eff up by 1998.2/1798.9 = +11.1%.
    expect(r.stdout).toMatch(/REGRESSED fp16: θ_max 1998 → 1799 tok\/s \(−10\.0%\)/);
    expect(r.stdout).toMatch(/REGRESSED fp16: C_eff at λ=64: .* \(\+11\.1%\)/);
    expect(r.stdout).toMatch(/ok {8}fp8: θ_max/);
    // With a 15% allowance the same run passes.
    const lenient = await runCli([
      'check',
      run('degraded'),
      '--baseline',
      run('base'),
      '--max-regression',
      '0.15',
    ]);
    expect(lenient.exitCode).toBe(0);
  });

  it('fails on a reconciliation failure unless allowed', async () => {
    const r = await runCli(['check', run('unreconciled'), '--baseline', run('base'), '--json']);
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.findings.filter((f: { regressed: boolean }) => f.regressed)).toEqual([
      expect.objectContaining({ variant: 'fp8', check: 'reconciliation', rateRps: 16 }),
    ]);
    const allowed = await runCli([
      'check',
      run('unreconciled'),
      '--baseline',
      run('base'),
      '--allow-reconciliation-failure',
    ]);
    expect(allowed.exitCode).toBe(0);
  });

  it('rejects a bad --max-regression with exit 2', async () => {
    const r = await runCli([
      'check',
      run('same'),
      '--baseline',
      run('base'),
      '--max-regression',
      'lots',
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--max-regression must be a percentage like 5%/);
  });
});

describe('analyze, compare and import from the command line', { timeout: CLI_TIMEOUT_MS }, () => {
  it('analyze writes the report files and prints the cost table and paths', async () => {
    const out = join(root, 'analysis-out');
    const r = await runCli(['analyze', run('base'), '--out', out]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^variant\s+λ req\/s/m);
    expect(r.stdout).toContain(`report:   ${join(out, 'report.html')}`);
    for (const f of [
      'analysis.json',
      'cost-table.csv',
      'report.html',
      'figures/cost-vs-load.png',
    ]) {
      expect(existsSync(join(out, f))).toBe(true);
    }
    const csv = readFileSync(join(out, 'cost-table.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 2 * RATES.length);
  });

  it('analyze --json prints the analysis; a bad steps line exits 2 naming file:line', async () => {
    const r = await runCli(['analyze', run('same'), '--json', '--slo', 'ttft:p99:300']);
    expect(r.exitCode).toBe(0);
    const analysis = JSON.parse(r.stdout);
    expect(analysis.slo).toEqual({
      spec: { attainment: 0.9, ttftMs: { percentile: 99, maxMs: 300 } },
      source: 'flag',
    });
    expect(analysis.variants.map((v: { name: string }) => v.name)).toEqual(['fp16', 'fp8']);

    const broken = run('broken');
    await writeSyntheticRun({ dir: broken, measuredSeconds: 5, ratesRps: [1], variants: [BASE] });
    writeFileSync(join(broken, 'steps.jsonl'), '{"v":1,\n');
    const bad = await runCli(['analyze', broken]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain(`${join(broken, 'steps.jsonl')}:1: not valid JSON`);
  });

  it('compare prints ratios at each λ against the first variant', async () => {
    const r = await runCli(['compare', run('base'), '--json']);
    expect(r.exitCode).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.baseline).toBe('fp16');
    const fp8 = c.against[0];
    // At λ=64 both are saturated: θ ratio ≈ 3000/2000 → cost ratio ≈ 2/3.
    const at64 = fp8.atRate.find((x: { rateRps: number }) => x.rateRps === 64);
    expect(at64.costRatio).toBeCloseTo(at64.baselineTokPerS / at64.tokPerS, 12);
    expect(fp8.thetaMaxRatio).toBeGreaterThan(1.45);
    const twoRuns = await runCli([
      'compare',
      run('base'),
      run('degraded'),
      '--baseline',
      'degraded/fp16',
    ]);
    expect(twoRuns.exitCode).toBe(0);
    expect(twoRuns.stdout).toMatch(/^base\/fp16 vs degraded\/fp16$/m);
  });

  it('import needs a price and names an unknown GPU class (exit 2)', async () => {
    const file = join(root, 'b.json');
    writeFileSync(file, '{}');
    const noPrice = await runCli(['import', file, '--out', join(root, 'imp')]);
    expect(noPrice.exitCode).toBe(2);
    expect(noPrice.stderr).toMatch(/pass --gpu h100\|a100 or --gpu-price/);
    const unknown = await runCli(['import', file, '--gpu', 'b200', '--out', join(root, 'imp')]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/--gpu 'b200' is not in the price catalog/);
  });
});
