/**
 * A profile is one serving configuration: hardware × GPU count × model × precision, with vLLM's
 * defaults for that device and the efficiency factors fitted for its hardware class. Names read
 * `[Nx]<gpu>-<model>-<precision>`, e.g. `h100-llama3.1-8b-fp16`, `2xh100-mixtral-8x7b-fp8`.
 */

import { findGpu } from '../cost/gpuCatalog.ts';
import { inputError } from '../util/errors.ts';
import calibrationFile from './calibration.json' with { type: 'json' };
import cpuCalibrationFile from './calibration-cpu.json' with { type: 'json' };
import { HARDWARE, type HardwareClass, type HardwareSpec } from './hardware.ts';
import { kvBytesPerToken, MODELS, type ModelId, type ModelSpec } from './models.ts';
import type { EfficiencyFactors } from './roofline.ts';
import type { SchedulerConfig } from './scheduler.ts';

export type Precision = 'fp16' | 'fp8' | 'bf16' | 'fp32';

export interface ProfileCalibration {
  hardwareClass: HardwareClass;
  source: 'fitted' | 'synthetic';
  /** Mean absolute percentage error of θ(λ) on the held-out paper configurations of the class. */
  heldOutThetaMapePct: number | null;
  heldOutTtftP50MapePct: number | null;
  heldOutConfigs: string[];
  note: string;
}

export interface SimProfile {
  name: string;
  hardware: HardwareSpec;
  gpus: number;
  model: ModelSpec;
  precision: Precision;
  bytesPerWeight: number;
  /** vLLM keeps the KV cache in the model dtype unless --kv-cache-dtype says otherwise. */
  bytesPerKvElement: number;
  gpuMemoryUtilization: number;
  scheduler: SchedulerConfig;
  /** KV-cache capacity in tokens (numBlocks × blockSize). */
  kvCacheTokens: number;
  factors: EfficiencyFactors;
  calibration: ProfileCalibration;
  /** The paper's configuration id (C1…M3) this profile reproduces, if any. */
  paperConfig: string | null;
  gpuHourlyUsd: number | null;
}

export interface ProfileOverrides {
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  numGpuBlocks?: number;
  blockSize?: number;
  factors?: Partial<EfficiencyFactors>;
}

/** The paper's vLLM configurations (master_results.csv `config`) and their profiles. */
export const PAPER_CONFIGS: Readonly<Record<string, string>> = {
  C1: 'h100-llama3.1-8b-fp16',
  C2: 'h100-llama3.1-8b-fp8',
  C3: 'h100-qwen3-30b-a3b-fp16',
  C4: 'h100-qwen3-30b-a3b-fp8',
  C5: '2xh100-mixtral-8x7b-fp16',
  C6: '2xh100-mixtral-8x7b-fp8',
  A1: 'a100-llama3.1-8b-fp16',
  A2: 'a100-llama3.1-8b-fp8',
  A3: 'a100-qwen3-30b-a3b-fp16',
  A4: 'a100-qwen3-30b-a3b-fp8',
  M1: '2xa100-mixtral-8x7b-fp16',
  M3: '4xa100-mixtral-8x7b-fp16',
};

const DEMO_FACTORS: EfficiencyFactors = {
  gemmEffFp16: 0.5,
  gemmEffFp8: 0.5,
  memEff: 0.8,
  moeEff: 1,
  moeLayerUs: 0,
  commEff: 1,
  stepOverheadMs: 2,
  perSeqOverheadUs: 150,
  frontendMs: 5,
};

interface CalibrationClass {
  factors: EfficiencyFactors;
  heldOutConfigs: string[];
  heldOutThetaMapePct: number | null;
  heldOutTtftP50MapePct: number | null;
}

export interface CalibrationFile {
  version: number;
  classes: Record<string, CalibrationClass>;
}

const CALIBRATION = calibrationFile as unknown as CalibrationFile;

const NAME_RE = /^(?:(\d+)x)?(h100|a100)-(llama3\.1-8b|qwen3-30b-a3b|mixtral-8x7b)-(fp16|fp8)$/;
const GPU_COUNTS = [1, 2, 4, 8];

/** Profiles fitted to the real CPU vLLM's sweep (scripts/calibrate-sim-cpu). */
export const CPU_PROFILES = ['cpu-tiny-llama-bf16', 'cpu-tiny-llama-fp32'] as const;

/** What scripts/calibrate-sim-cpu writes to calibration-cpu.json, per CPU profile. */
export interface CpuProfileCalibration {
  factors: EfficiencyFactors;
  fittedRatesRps: number[];
  heldOutRatesRps: number[];
  heldOutThetaMapePct: number | null;
  heldOutTtftP50MapePct: number | null;
  source: string;
}

export interface CpuCalibrationFile {
  version: number;
  profiles: Record<string, CpuProfileCalibration>;
}

const CPU_CALIBRATION = cpuCalibrationFile as unknown as CpuCalibrationFile;

/** GiB of KV cache the CPU build gets (VLLM_CPU_KVCACHE_SPACE in scripts/vllm-serve). */
export const CPU_KV_CACHE_GIB = 2;

/** Profiles worth listing: every paper configuration, the real CPU vLLM's, then the demo. */
export function listProfiles(): string[] {
  return [...Object.values(PAPER_CONFIGS), ...CPU_PROFILES, 'demo'];
}

/** GiB of the stored weights: fp8 checkpoints keep the embedding and LM head in 16 bits. */
export function weightBytes(model: ModelSpec, bytesPerWeight: number): number {
  const sixteenBit = 2 * model.embeddingParamsB;
  return ((model.totalParamsB - sixteenBit) * bytesPerWeight + sixteenBit * 2) * 1e9;
}

/** Resolves a profile name; throws an input error listing the known names when it is unknown. */
export function resolveProfile(name: string, overrides: ProfileOverrides = {}): SimProfile {
  const key = name.trim().toLowerCase();
  if (key === 'demo') return buildDemo(overrides);
  if ((CPU_PROFILES as readonly string[]).includes(key)) return buildCpu(key, overrides);
  const match = NAME_RE.exec(key);
  if (!match) {
    throw inputError(
      `unknown simulator profile '${name}': use [Nx]<h100|a100>-<llama3.1-8b|qwen3-30b-a3b|` +
        `mixtral-8x7b>-<fp16|fp8>, e.g. ${listProfiles().slice(0, 3).join(', ')} or demo`,
    );
  }
  const gpus = Number(match[1] ?? 1);
  if (!GPU_COUNTS.includes(gpus)) {
    throw inputError(`profile '${name}': GPU count must be one of ${GPU_COUNTS.join(', ')}`);
  }
  const hardware = HARDWARE[match[2] as HardwareClass];
  const model = MODELS[match[3] as ModelId];
  const precision = match[4] as Precision;
  const fitted = CALIBRATION.classes[hardware.id];
  if (!fitted) throw inputError(`no calibration for hardware class '${hardware.id}'`);
  const canonical = `${gpus > 1 ? `${gpus}x` : ''}${hardware.id}-${model.id}-${precision}`;
  const paperConfig = Object.entries(PAPER_CONFIGS).find(([, p]) => p === canonical)?.[0] ?? null;
  return assemble({
    name: canonical,
    hardware,
    gpus,
    model,
    precision,
    factors: fitted.factors,
    calibration: {
      hardwareClass: hardware.id,
      source: 'fitted',
      heldOutThetaMapePct: fitted.heldOutThetaMapePct,
      heldOutTtftP50MapePct: fitted.heldOutTtftP50MapePct,
      heldOutConfigs: fitted.heldOutConfigs,
      note: `efficiency factors fitted on the paper's vLLM ${hardware.id.toUpperCase()} runs`,
    },
    paperConfig,
    gpuHourlyUsd: findGpu(hardware.id)?.gpuHourlyUsd ?? null,
    overrides,
  });
}

function buildDemo(overrides: ProfileOverrides): SimProfile {
  return assemble({
    name: 'demo',
    hardware: HARDWARE.demo,
    gpus: 1,
    model: MODELS['demo-1b'],
    precision: 'fp16',
    factors: DEMO_FACTORS,
    calibration: {
      hardwareClass: 'demo',
      source: 'synthetic',
      heldOutThetaMapePct: null,
      heldOutTtftP50MapePct: null,
      heldOutConfigs: [],
      note: 'synthetic profile for demos and tests; not calibrated against any hardware',
    },
    paperConfig: null,
    gpuHourlyUsd: 1,
    overrides,
  });
}

/** The tiny model on the CPU build of vLLM, with the factors fitted to its real sweep. */
function buildCpu(name: string, overrides: ProfileOverrides): SimProfile {
  const precision: Precision = name.endsWith('fp32') ? 'fp32' : 'bf16';
  const fitted = CPU_CALIBRATION.profiles[name];
  if (!fitted) throw inputError(`no calibration for profile '${name}' in calibration-cpu.json`);
  const model = MODELS['tiny-llama'];
  const blockSize = overrides.blockSize ?? 16;
  const kvTokens = (CPU_KV_CACHE_GIB * GIB) / kvBytesPerToken(model, bytesPerElement(precision));
  const heldOut = fitted.heldOutRatesRps.map((rate) => `${precision} λ=${rate}`);
  return assemble({
    name,
    hardware: HARDWARE.cpu,
    gpus: 1,
    model,
    precision,
    factors: fitted.factors,
    calibration: {
      hardwareClass: 'cpu',
      source: 'fitted',
      heldOutThetaMapePct: fitted.heldOutThetaMapePct,
      heldOutTtftP50MapePct: fitted.heldOutTtftP50MapePct,
      heldOutConfigs: heldOut,
      note: `factors fitted to the real vLLM 0.32.0 CPU sweep ${fitted.source}`,
    },
    paperConfig: null,
    // The price the scenario states as an assumption for a small 2-vCPU cloud machine.
    gpuHourlyUsd: 0.1,
    overrides: { ...overrides, numGpuBlocks: overrides.numGpuBlocks ?? kvTokens / blockSize },
  });
}

/** Bytes of one stored element: fp8 weights are 1 byte; fp32 models keep 4-byte weights and KV. */
function bytesPerElement(precision: Precision): number {
  return precision === 'fp32' ? 4 : precision === 'fp8' ? 1 : 2;
}

interface Parts {
  name: string;
  hardware: HardwareSpec;
  gpus: number;
  model: ModelSpec;
  precision: Precision;
  factors: EfficiencyFactors;
  calibration: ProfileCalibration;
  paperConfig: string | null;
  gpuHourlyUsd: number | null;
  overrides: ProfileOverrides;
}

const GIB = 1024 ** 3;

function assemble(p: Parts): SimProfile {
  const gpuMemoryUtilization = 0.9;
  const bytesPerWeight = bytesPerElement(p.precision);
  // The KV cache stays in the model's 16-bit dtype under fp8 weights; fp32 keeps it in fp32.
  const bytesPerKvElement = p.precision === 'fp32' ? 4 : 2;
  const blockSize = p.overrides.blockSize ?? 16;
  const perGpuWeights = weightBytes(p.model, bytesPerWeight) / p.gpus;
  const kvPerGpuBytes =
    (p.hardware.memoryGiB * gpuMemoryUtilization - p.hardware.nonKvReserveGiB) * GIB -
    perGpuWeights;
  const kvTokenBytesPerGpu = kvBytesPerToken(p.model, bytesPerKvElement) / p.gpus;
  const fittedBlocks = Math.floor(kvPerGpuBytes / kvTokenBytesPerGpu / blockSize);
  const numBlocks = p.overrides.numGpuBlocks ?? fittedBlocks;
  if (numBlocks * blockSize < 4096) {
    throw inputError(
      `profile '${p.name}': the weights (${(perGpuWeights / GIB).toFixed(1)} GiB per GPU) ` +
        'leave almost no room for a KV cache; use more GPUs or fp8',
    );
  }
  // A model whose native context exceeds the KV cache cannot start with the default length:
  // deployments pass --max-model-len, so the simulated server caps it at the cache size.
  const maxModelLen = Math.min(p.model.maxModelLen, numBlocks * blockSize);
  return {
    name: p.name,
    hardware: p.hardware,
    gpus: p.gpus,
    model: p.model,
    precision: p.precision,
    bytesPerWeight,
    bytesPerKvElement,
    gpuMemoryUtilization,
    scheduler: {
      maxNumSeqs: p.overrides.maxNumSeqs ?? p.hardware.defaultMaxNumSeqs,
      maxNumBatchedTokens: p.overrides.maxNumBatchedTokens ?? p.hardware.defaultMaxNumBatchedTokens,
      blockSize,
      numBlocks,
      maxModelLen,
    },
    kvCacheTokens: numBlocks * blockSize,
    factors: { ...p.factors, ...p.overrides.factors },
    calibration: p.calibration,
    paperConfig: p.paperConfig,
    gpuHourlyUsd: p.gpuHourlyUsd,
  };
}
