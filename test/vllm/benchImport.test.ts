/**
 * `import` of what `vllm bench serve` wrote gives the same cost figures as our own run of that
 * step. The pair in fixtures/bench-pair was measured on the real CPU vLLM by
 * scripts/compare-vllm-bench (see its PROVENANCE.md): vLLM's bench first, then our `run`
 * replaying the bench's own send times and prompt lengths. No server is needed here.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { readRequests, readSteps } from './helpers/runFiles.ts';

const PAIR = new URL('./fixtures/bench-pair/', import.meta.url).pathname;
const BENCH = join(PAIR, 'bench-5.json');
const OURS = join(PAIR, 'ours');
const PRICE_USD_PER_H = 0.1;
/** The tolerance the README states for θ (and so for C_eff = price / θ) between the clients. */
const TOLERANCE = 0.03;

const work = mkdtempSync(join(tmpdir(), 'vcm-bench-pair-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Point {
  rateRps: number;
  outputTokPerS: { mean: number };
  completedRps: number;
  cost: { cEffUsdPerMTok: number; usdPerRequest: number; nodeHourlyUsd: number };
}

async function analysedPoint(dir: string, out: string): Promise<Point> {
  const r = await runCli(['analyze', dir, '--json', '--out', out], { timeoutMs: 120_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout).variants[0].points[0] as Point;
}

describe('vllm bench serve JSON imported vs our run of the same step (real vLLM 0.32.0)', () => {
  const bench = JSON.parse(readFileSync(BENCH, 'utf8'));

  it('import prices the bench by its own θ, exactly', async () => {
    const imported = join(work, 'imported');
    const r = await runCli(
      ['import', BENCH, '--gpu-price', String(PRICE_USD_PER_H), '--variant', 'bench'].concat([
        '--out',
        imported,
      ]),
      { timeoutMs: 60_000 },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const point = await analysedPoint(imported, join(work, 'imported-analysis'));
    expect(point.rateRps).toBe(bench.request_rate);
    expect(point.outputTokPerS.mean).toBeCloseTo(bench.output_throughput, 9);
    // C_eff = price × 10⁶ / (3600 × θ); $/request = price / (3600 × completed/s).
    expect(point.cost.cEffUsdPerMTok).toBeCloseTo(
      (PRICE_USD_PER_H * 1e6) / (3600 * bench.output_throughput),
      12,
    );
    expect(point.cost.usdPerRequest).toBeCloseTo(
      PRICE_USD_PER_H / (3600 * bench.request_throughput),
      14,
    );
  });

  it('our run of the same schedule gives the same C_eff within the stated tolerance', async () => {
    const imported = await analysedPoint(join(work, 'imported'), join(work, 'again'));
    const ours = await analysedPoint(OURS, join(work, 'ours-analysis'));
    const step = readSteps(OURS)[0]!;
    expect(step.rateRps).toBe(bench.request_rate);
    expect(ours.cost.cEffUsdPerMTok).toBeCloseTo(
      (PRICE_USD_PER_H * 1e6) / (3600 * step.outputTokPerS),
      12,
    );
    expect(Math.abs(ours.cost.cEffUsdPerMTok / imported.cost.cEffUsdPerMTok - 1)).toBeLessThan(
      TOLERANCE,
    );

    // Same requests: the count and every request's prompt length, in send order.
    const records = readRequests(OURS).sort((a, b) => a.intendedAtMs - b.intendedAtMs);
    expect(records.length).toBe(bench.completed);
    const benchOrder = bench.start_times
      .map((t: number, i: number) => [t, bench.input_lens[i]] as const)
      .sort((a: readonly number[], b: readonly number[]) => a[0]! - b[0]!)
      .map((pair: readonly number[]) => pair[1]);
    expect(records.map((r) => r.promptTokens)).toEqual(benchOrder);

    // θ under vLLM's own definition (all tokens ÷ first send to last token), from our records.
    const ok = records.filter((r) => r.ok);
    const tokens = ok.reduce((sum, r) => sum + (r.outputTokens ?? 0), 0);
    expect(tokens).toBe(bench.total_output_tokens);
    const spanS =
      (Math.max(...ok.map((r) => r.lastTokenAtMs ?? 0)) -
        Math.min(...ok.map((r) => r.sentAtMs ?? Number.POSITIVE_INFINITY))) /
      1000;
    expect(Math.abs(tokens / spanS / bench.output_throughput - 1)).toBeLessThan(TOLERANCE);
  });
});
