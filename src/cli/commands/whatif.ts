import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { finiteOrNull } from '../../cost/costModel.ts';
import { resolveProfile, type SimProfile } from '../../sim/profiles.ts';
import { predictCostCurve, type WhatIfResult } from '../../sim/whatif.ts';
import { usageError } from '../../util/errors.ts';
import {
  contextFrom,
  numberList,
  positiveInteger,
  positiveNumber,
  withExamples,
} from '../context.ts';

const seedParser = (raw: string): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`--seed must be a whole number ≥ 0 (got '${raw}')`);
  }
  return value;
};

interface WhatIfOptions {
  profile: string;
  rates: number[];
  sloTtftP99Ms?: number;
  sloTpotP99Ms?: number;
  inputTokens: number;
  outputTokens: number;
  prompts: number;
  gpuPrice?: number;
  seed: number;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('whatif')
    .description(
      'predict the cost curve of a hardware/model profile without a server: the simulator ' +
        "replays the paper's benchmark protocol offline at each rate (a prediction, not a " +
        'measurement)',
    )
    .requiredOption(
      '--profile <name>',
      'simulator profile (see `vllm-cost-meter sim --list-profiles`)',
    )
    .option(
      '--rates <list>',
      'offered request rates, req/s',
      numberList('--rates'),
      [1, 5, 10, 25, 50],
    )
    .option(
      '--slo-ttft-p99-ms <ms>',
      'TTFT budget per request and for the p99',
      positiveNumber('--slo-ttft-p99-ms'),
    )
    .option(
      '--slo-tpot-p99-ms <ms>',
      'TPOT budget per request and for the p99',
      positiveNumber('--slo-tpot-p99-ms'),
    )
    .option(
      '--input-tokens <n>',
      'prompt tokens per request',
      positiveInteger('--input-tokens'),
      512,
    )
    .option(
      '--output-tokens <n>',
      'output tokens per request (ignore_eos)',
      positiveInteger('--output-tokens'),
      256,
    )
    .option(
      '--prompts <n>',
      'requests per rate (the paper ran about 500)',
      positiveInteger('--prompts'),
      500,
    )
    .option(
      '--gpu-price <usd>',
      'USD per GPU-hour (default: the catalogue price of the GPU)',
      positiveNumber('--gpu-price'),
    )
    .option('--seed <n>', 'seed of the arrival times (0 is the calibration’s)', seedParser, 0)
    .option('--json', 'print the prediction as JSON')
    .action((options: WhatIfOptions, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const profile = resolveProfile(options.profile);
      const gpuHourlyUsd = options.gpuPrice ?? profile.gpuHourlyUsd;
      if (gpuHourlyUsd === null) {
        throw usageError(
          `profile '${profile.name}' has no catalogue price: pass --gpu-price <usd>`,
        );
      }
      checkContextLength(profile, options.inputTokens, options.outputTokens);
      const result = predictCostCurve({
        profile,
        ratesRps: options.rates,
        inputTokens: options.inputTokens,
        outputTokens: options.outputTokens,
        prompts: options.prompts,
        gpuHourlyUsd,
        sloTtftP99Ms: options.sloTtftP99Ms ?? null,
        sloTpotP99Ms: options.sloTpotP99Ms ?? null,
        seed: options.seed,
      });
      ctx.stdout(options.json ? JSON.stringify(jsonView(result), null, 2) : textView(result));
    });
  withExamples(command, [
    'vllm-cost-meter whatif --profile h100-llama3.1-8b-fp16 --rates 1,5,10,25,50',
    'vllm-cost-meter whatif --profile 2xh100-mixtral-8x7b-fp8 --rates 5,10,20 --slo-ttft-p99-ms 300 --slo-tpot-p99-ms 50',
    'vllm-cost-meter whatif --profile a100-qwen3-30b-a3b-fp8 --output-tokens 1024 --gpu-price 2.1 --json',
  ]);
}

/** Refuses what a vLLM server with this profile's --max-model-len would refuse (HTTP 400). */
function checkContextLength(profile: SimProfile, inputTokens: number, outputTokens: number): void {
  const limit = profile.scheduler.maxModelLen;
  if (inputTokens >= limit) {
    throw usageError(
      `--input-tokens ${inputTokens} leaves no room for output in the context length of ` +
        `profile '${profile.name}' (${limit} tokens); pass at most ${limit - 1}`,
    );
  }
  if (inputTokens + outputTokens > limit) {
    throw usageError(
      `--output-tokens ${outputTokens} with --input-tokens ${inputTokens} exceeds the context ` +
        `length of profile '${profile.name}' (${limit} tokens); pass at most ${limit - inputTokens}`,
    );
  }
}

function calibrationLine(r: WhatIfResult): string {
  const c = r.calibration;
  if (c.source === 'synthetic') return `calibration: none (${c.note})`;
  const theta = c.heldOutThetaMapePct === null ? 'n/a' : `${c.heldOutThetaMapePct.toFixed(1)}%`;
  const ttft = c.heldOutTtftP50MapePct === null ? 'n/a' : `${c.heldOutTtftP50MapePct.toFixed(1)}%`;
  // The CPU profiles were fitted to this project's own real sweep, not to the paper's runs.
  const heldOut =
    c.hardwareClass === 'cpu'
      ? `held-out real steps ${c.heldOutConfigs.join(', ')} (${c.note})`
      : `held-out paper configurations ${c.heldOutConfigs.join(', ')} (512 in / 256 out only)`;
  return (
    `calibration (${c.hardwareClass.toUpperCase()} class): θ(λ) MAPE ${theta}, TTFT p50 MAPE ${ttft} ` +
    `on ${heldOut}`
  );
}

const money = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : `$${v.toFixed(3)}`);
const num = (v: number | null, digits = 0) =>
  v === null || !Number.isFinite(v)
    ? '—'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits });

function textView(r: WhatIfResult): string {
  const hasSlo = r.steps.some((s) => s.sloMet !== null);
  const head = [
    `whatif ${r.profile}: ${r.gpus} GPU(s) at $${r.gpuHourlyUsd}/GPU-h, ${r.inputTokens} in / ` +
      `${r.outputTokens} out, ${r.prompts} Poisson requests per rate (simulated, not measured)`,
    `predicted θ_max ${num(r.thetaMaxTokPerS)} tok/s → C_naive ${money(r.steps[0]?.cost.cNaiveUsdPerMTok ?? null)}/M output tokens`,
    calibrationLine(r),
    '',
  ];
  const columns = [
    'λ req/s',
    'θ tok/s',
    'C_eff $/Mtok',
    'penalty',
    'TTFT p50 ms',
    'TTFT p99 ms',
    'TPOT p99 ms',
  ];
  if (hasSlo) columns.push('good %', 'goodput $/Mtok', 'SLO p99');
  const rows = r.steps.map((s) => {
    const cells = [
      num(s.rateRps, 2),
      num(s.outputTokPerS),
      money(s.cost.cEffUsdPerMTok),
      `${num(s.cost.penalty, 2)}×`,
      num(s.ttftP50Ms),
      num(s.ttftP99Ms),
      num(s.tpotP99Ms, 1),
    ];
    if (hasSlo) {
      cells.push(
        num((s.goodFraction ?? 0) * 100, 1),
        money(s.cost.goodputUsdPerMTok),
        s.sloMet ? 'met' : 'missed',
      );
    }
    return cells;
  });
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [...head, line(columns), ...rows.map(line)].join('\n');
}

function jsonView(r: WhatIfResult) {
  return {
    ...r,
    steps: r.steps.map((s) => ({
      ...s,
      cost: Object.fromEntries(Object.entries(s.cost).map(([k, v]) => [k, finiteOrNull(v)])),
    })),
  };
}
