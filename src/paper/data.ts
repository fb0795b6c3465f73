/**
 * The paper's data files, read into typed rows. Patil, "Beyond Per-Token Pricing" (arXiv
 * 2606.11690) publishes three CSVs: the 140-run primary corpus, the 32-run workload-shape
 * tranche and the C2 replicate statistics. Every number the `paper` command prints is computed
 * from these raw columns; the CSV's own derived columns are kept only to cross-check ours.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputError } from '../util/errors.ts';
import { type CsvRecord, parseCsv } from './csv.ts';

export const PRIMARY_FILE = 'master_results.csv';
export const SHAPES_FILE = 'master_results_v2.csv';
export const STABILITY_FILE = 'c2_stability_cv.csv';

/** The derived columns the paper ships, used only to check our own computation. */
export interface PublishedCost {
  cEffUsdPerMTok: number;
  cNaiveUsdPerMTok: number;
  penalty: number;
}

/** One benchmark run (one configuration at one offered rate). */
export interface PaperRun {
  file: string;
  line: number;
  config: string;
  engine: string;
  modelId: string;
  architecture: string;
  activeParamsB: number;
  precision: string;
  /** GPU class as the CSV spells it (H100, A100_80GB_PCIe); null in the v2 file. */
  hardware: string | null;
  gpus: number;
  rateRps: number;
  completedRps: number;
  outputTokPerS: number;
  ttftMeanMs: number;
  ttftP50Ms: number;
  ttftP90Ms: number;
  ttftP99Ms: number;
  e2eP50Ms: number;
  e2eP90Ms: number;
  e2eP99Ms: number;
  tpotP50Ms: number;
  tpotP90Ms: number;
  gpuUtilPct: number | null;
  gpuPowerW: number | null;
  /** `gpu_cost_hr`: despite its name it holds the whole node's price (see nodePrice). */
  nodeHourlyUsd: number;
  published: PublishedCost;
}

/** A run of the workload-shape tranche: the same columns plus the workload variant. */
export interface ShapeRun extends PaperRun {
  ioShape: string;
  prefixCaching: boolean;
  /** vLLM's burstiness: the Gamma shape k of inter-arrival times (CV = 1/√k), not a CV. */
  gammaShape: number;
  harnessVersion: string;
}

/** Replicate statistics of C2 at one rate: means and coefficients of variation (σ/μ·100). */
export interface StabilityRow {
  line: number;
  rateRps: number;
  tpsMean: number;
  tpsCvPct: number;
  cEffMeanUsdPerMTok: number;
  cEffCvPct: number;
  ttftP50MeanMs: number;
  ttftP50CvPct: number;
  e2eP50MeanMs: number;
  e2eP50CvPct: number;
  replicates: number;
}

export interface PaperData {
  dir: string;
  runs: PaperRun[];
  /** Null when the directory lacks the file: the figures that need it are skipped. */
  shapeRuns: ShapeRun[] | null;
  stability: StabilityRow[] | null;
}

/** Field reader over one record that names file, line and column in every error. */
function fieldsOf(file: string, record: CsvRecord) {
  const raw = (column: string): string => {
    const value = record.values[column];
    if (value === undefined) throw inputError(`${file}: no column '${column}' in the header`);
    return value;
  };
  const num = (column: string): number => {
    const text = raw(column);
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) {
      throw inputError(`${file}:${record.line}: column '${column}' is '${text}', not a number`);
    }
    return value;
  };
  // Throughputs and GPU counts divide costs: a zero or negative one would make infinite or
  // negative axes downstream (the chart code then tries to allocate an absurd array).
  const positive = (column: string): number => {
    const value = num(column);
    if (value <= 0) {
      throw inputError(`${file}:${record.line}: column '${column}' is ${value}, must be > 0`);
    }
    return value;
  };
  const optionalNum = (column: string): number | null => (raw(column) === '' ? null : num(column));
  const text = (column: string): string => {
    const value = raw(column);
    if (value === '') throw inputError(`${file}:${record.line}: column '${column}' is empty`);
    return value;
  };
  return { num, positive, optionalNum, text };
}

/** "12.9B" → 12.9 (billions of active parameters). */
function billions(file: string, line: number, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*B$/i.exec(text);
  if (!match) throw inputError(`${file}:${line}: active_params '${text}' is not like '8B'`);
  return Number(match[1]);
}

function runFrom(file: string, record: CsvRecord, hasHardware: boolean): PaperRun {
  const { num, positive, optionalNum, text } = fieldsOf(file, record);
  return {
    file,
    line: record.line,
    config: text('config'),
    engine: text('engine'),
    modelId: text('model'),
    architecture: text('architecture'),
    activeParamsB: billions(file, record.line, text('active_params')),
    precision: text('precision'),
    hardware: hasHardware ? text('hardware') : null,
    gpus: positive('gpus'),
    rateRps: positive('rps'),
    completedRps: positive('request_throughput'),
    outputTokPerS: positive('tps_output'),
    ttftMeanMs: num('ttft_mean_ms'),
    ttftP50Ms: num('ttft_p50_ms'),
    ttftP90Ms: num('ttft_p90_ms'),
    ttftP99Ms: num('ttft_p99_ms'),
    e2eP50Ms: num('e2el_p50_ms'),
    e2eP90Ms: num('e2el_p90_ms'),
    e2eP99Ms: num('e2el_p99_ms'),
    tpotP50Ms: num('tpot_p50_ms'),
    tpotP90Ms: num('tpot_p90_ms'),
    gpuUtilPct: optionalNum('gpu_util_pct'),
    gpuPowerW: optionalNum('gpu_power_w'),
    nodeHourlyUsd: num('gpu_cost_hr'),
    published: {
      cEffUsdPerMTok: num('c_eff_per_mtok'),
      cNaiveUsdPerMTok: num('c_naive_per_mtok'),
      penalty: num('underutil_penalty'),
    },
  };
}

function readTable(dir: string, name: string) {
  const path = join(dir, name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw inputError(`cannot read ${path}: check --data points at the paper's data folder`, err);
  }
  return parseCsv(text, path);
}

export function parsePrimaryRuns(dir: string): PaperRun[] {
  const table = readTable(dir, PRIMARY_FILE);
  return table.records.map((record) => runFrom(join(dir, PRIMARY_FILE), record, true));
}

export function parseShapeRuns(dir: string): ShapeRun[] {
  const file = join(dir, SHAPES_FILE);
  return readTable(dir, SHAPES_FILE).records.map((record) => {
    const { num, text } = fieldsOf(file, record);
    const prefix = num('prefix_caching');
    if (prefix !== 0 && prefix !== 1) {
      throw inputError(`${file}:${record.line}: prefix_caching is ${prefix}, expected 0 or 1`);
    }
    return {
      ...runFrom(file, record, false),
      ioShape: text('io_shape'),
      prefixCaching: prefix === 1,
      gammaShape: num('burstiness'),
      harnessVersion: text('harness_version'),
    };
  });
}

export function parseStability(dir: string): StabilityRow[] {
  const file = join(dir, STABILITY_FILE);
  return readTable(dir, STABILITY_FILE).records.map((record) => {
    const { num } = fieldsOf(file, record);
    return {
      line: record.line,
      rateRps: num('rps'),
      tpsMean: num('tps_mean'),
      tpsCvPct: num('tps_cv_pct'),
      cEffMeanUsdPerMTok: num('ceff_mean'),
      cEffCvPct: num('ceff_cv_pct'),
      ttftP50MeanMs: num('ttft_p50_mean_ms'),
      ttftP50CvPct: num('ttft_p50_cv_pct'),
      e2eP50MeanMs: num('e2el_p50_mean_ms'),
      e2eP50CvPct: num('e2el_p50_cv_pct'),
      replicates: num('n_reps'),
    };
  });
}

/** Reads the folder: the primary corpus is required, the two companion files are optional. */
export function loadPaperData(dir: string): PaperData {
  if (!existsSync(join(dir, PRIMARY_FILE))) {
    throw inputError(
      `${join(dir, PRIMARY_FILE)} not found: --data must name the folder holding it`,
    );
  }
  const runs = parsePrimaryRuns(dir);
  if (runs.length === 0) throw inputError(`${join(dir, PRIMARY_FILE)} holds no runs`);
  return {
    dir,
    runs,
    shapeRuns: existsSync(join(dir, SHAPES_FILE)) ? parseShapeRuns(dir) : null,
    stability: existsSync(join(dir, STABILITY_FILE)) ? parseStability(dir) : null,
  };
}

/**
 * The shared data folder next to the repository (`../shared/paper/` from the repo root),
 * found from this module's location so that the working directory does not matter.
 */
export const DEFAULT_PAPER_DIR = fileURLToPath(new URL('../../../shared/paper/', import.meta.url));

/** The default folder when it holds the primary corpus, else null. */
export function findDefaultPaperDir(): string | null {
  return existsSync(join(DEFAULT_PAPER_DIR, PRIMARY_FILE)) ? DEFAULT_PAPER_DIR : null;
}
