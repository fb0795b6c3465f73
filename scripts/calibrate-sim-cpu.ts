/**
 * Fits the simulator's CPU profiles (cpu-tiny-llama-bf16, cpu-tiny-llama-fp32) to a real sweep
 * of scenarios/vllm-cpu.yaml, holding some rates out, writes src/sim/calibration-cpu.json and
 * prints the error table (markdown) that the README quotes beside the paper calibration.
 *
 *   scripts/calibrate-sim-cpu <results dir>            fit, write the JSON, print the table
 *   scripts/calibrate-sim-cpu <results dir> --check    evaluate the committed factors only
 *
 * Options: --held-out 2,8,16,25 (rates kept out of the fit), --prompts 300 (whatif requests per
 * rate), --max-evals 300.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunManifest, StepRecord } from '../src/harness/records.ts';
import {
  type CpuProtocol,
  compareCpuSteps,
  fitCpuFactors,
  type MeasuredStep,
  mape,
  type StepComparison,
} from '../src/sim/calibrateCpu.ts';
import type { CpuCalibrationFile } from '../src/sim/profiles.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const calibrationPath = join(root, 'src', 'sim', 'calibration-cpu.json');

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runDir = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!runDir || args.includes('--help')) {
  console.error(
    'usage: scripts/calibrate-sim-cpu <results dir> [--check] [--held-out 2,8,16,25] ' +
      '[--prompts 300] [--max-evals 300]',
  );
  process.exit(runDir ? 0 : 2);
}
const heldOut = (flag('--held-out') ?? '2,8,16,25').split(',').map(Number);
const prompts = Number(flag('--prompts') ?? 300);
const maxEvaluations = Number(flag('--max-evals') ?? 300);
const checkOnly = args.includes('--check');
const round = (v: number) => Number(v.toPrecision(6));

const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as RunManifest;
const steps = readFileSync(join(runDir, 'steps.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as StepRecord)
  .filter((s) => s.status === 'ok' || s.status === 'invalid');
const calibration = JSON.parse(readFileSync(calibrationPath, 'utf8')) as CpuCalibrationFile;

/** Mean of a fixed or uniform length distribution of the scenario; null for other kinds. */
function distMean(field: 'promptTokens' | 'outputTokens'): number | null {
  const workload = (manifest.scenario as { workload?: Record<string, unknown> }).workload ?? {};
  const key = field === 'promptTokens' ? 'promptLength' : 'outputLength';
  const d = workload[key] as { kind?: string; value?: number; min?: number; max?: number };
  if (d?.kind === 'fixed' && d.value !== undefined) return d.value;
  if (d?.kind === 'uniform' && d.min !== undefined && d.max !== undefined) {
    return (d.min + d.max) / 2;
  }
  return null;
}

/** A variant is the fp32 profile when its name or server command says float32. */
const profileOf = (variant: RunManifest['variants'][number]) =>
  /fp32|float32/.test(`${variant.name} ${(variant.serverArgv ?? []).join(' ')}`)
    ? 'cpu-tiny-llama-fp32'
    : 'cpu-tiny-llama-bf16';

const tables: string[] = [];
const f = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const signed = (x: number) => `${x >= 0 ? '+' : ''}${f(x, 1)}%`;

for (const variant of manifest.variants) {
  const profile = profileOf(variant);
  const mine = steps.filter((s) => s.variant === variant.name);
  const measured: MeasuredStep[] = mine.map((s) => ({
    rateRps: s.rateRps,
    outputTokPerS: s.outputTokPerS,
    ttftP50Ms: s.latency.ttftMs.p50Ms ?? Number.NaN,
    tpotP50Ms: s.latency.tpotMs.p50Ms ?? Number.NaN,
  }));
  const meanOf = (pick: (s: StepRecord) => number | null) =>
    mine.reduce((a, s) => a + (pick(s) ?? 0), 0) / mine.length;
  const protocol: CpuProtocol = {
    // whatif sends one prompt length: the mean of the scenario's distribution.
    inputTokens: Math.round(distMean('promptTokens') ?? meanOf((s) => s.meanPromptTokens)),
    outputTokens: Math.round(distMean('outputTokens') ?? meanOf((s) => s.meanOutputTokens)),
    prompts,
    seed: 0,
    gpuHourlyUsd: variant.pricing.gpuHourlyUsd,
  };
  const entry = calibration.profiles[profile]!;
  let factors = entry.factors;
  if (!checkOnly) {
    process.stderr.write(`fitting ${profile} on ${variant.name} (${measured.length} steps)\n`);
    const fit = fitCpuFactors(profile, factors, measured, heldOut, protocol, maxEvaluations);
    factors = Object.fromEntries(
      Object.entries(fit.factors).map(([k, v]) => [k, round(v)]),
    ) as unknown as typeof factors;
    process.stderr.write(`  loss ${fit.loss.toFixed(4)} after ${fit.evaluations} evaluations\n`);
  }
  const rows = compareCpuSteps(profile, factors, measured, heldOut, protocol);
  const held = rows.filter((r) => r.heldOut);
  const fitRows = rows.filter((r) => !r.heldOut);
  const summary = {
    heldOutTheta: mape(held.map((r) => r.thetaErrPct)),
    heldOutTtft: mape(held.map((r) => r.ttftErrPct)),
    fitTheta: mape(fitRows.map((r) => r.thetaErrPct)),
  };
  calibration.profiles[profile] = {
    factors,
    fittedRatesRps: fitRows.map((r) => r.rateRps),
    heldOutRatesRps: held.map((r) => r.rateRps),
    heldOutThetaMapePct: summary.heldOutTheta === null ? null : round(summary.heldOutTheta),
    heldOutTtftP50MapePct: summary.heldOutTtft === null ? null : round(summary.heldOutTtft),
    source: relative(root, resolve(runDir)),
  };
  tables.push(table(profile, variant.name, rows, protocol, summary));
}

function table(
  profile: string,
  variant: string,
  rows: StepComparison[],
  p: CpuProtocol,
  s: { heldOutTheta: number | null; heldOutTtft: number | null; fitTheta: number | null },
): string {
  const pctText = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)}%`);
  return [
    `#### ${profile} against the real ${variant} steps`,
    '',
    '| λ req/s | role | θ measured | θ whatif | error | TTFT p50 measured | whatif | TPOT p50 measured | whatif |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.rateRps} | ${r.heldOut ? 'held out' : 'fitted'} | ${f(r.outputTokPerS)} | ` +
        `${f(r.thetaSim)} | ${signed(r.thetaErrPct)} | ${f(r.ttftP50Ms, 1)} ms | ` +
        `${f(r.ttftP50Sim, 1)} ms | ${f(r.tpotP50Ms, 1)} ms | ${f(r.tpotP50Sim, 1)} ms |`,
    ),
    '',
    `Held-out θ MAPE ${pctText(s.heldOutTheta)} (fitted rates ${pctText(s.fitTheta)}), held-out ` +
      `TTFT p50 MAPE ${pctText(s.heldOutTtft)}. Predictions: \`vllm-cost-meter whatif --profile ` +
      `${profile} --rates ${rows.map((r) => r.rateRps).join(',')} --input-tokens ${p.inputTokens} ` +
      `--output-tokens ${p.outputTokens} --prompts ${p.prompts}\``,
  ].join('\n');
}

if (!checkOnly) {
  writeFileSync(calibrationPath, `${JSON.stringify(calibration, null, 2)}\n`);
  process.stderr.write(`wrote ${calibrationPath}\n`);
}
process.stdout.write(`${tables.join('\n\n')}\n`);
