/**
 * Builds the reference catalog (src/cost/reference-curves.json) from the primary corpus. θ_max,
 * C_naive, the knee and the points come from the CSV; what the CSV does not hold — engine
 * versions, input length, arrival process, aliases — comes from the paper's companion repository
 * as digested in the project's paper note (§1.3, §1.4), and is stated here once.
 */

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  normaliseGpu,
  type ReferenceCatalog,
  type ReferenceCurve,
} from '../cost/referenceCurves.ts';
import { ioError } from '../util/errors.ts';
import { COST_FORMULA, PAPER_CITATION, PAPER_URL } from './citation.ts';
import type { ConfigCurve } from './curves.ts';
import { type PaperData, PRIMARY_FILE } from './data.ts';

const ENGINE_VERSIONS: Record<string, string> = { vllm: '0.19.0', sglang: '0.5.10' };
const CLIENTS: Record<string, string> = {
  vllm: 'vllm bench serve',
  sglang: 'sglang.bench_serving',
};

/** Names a server may be started under for each of the paper's models (org prefix optional). */
const MODEL_ALIASES: Record<string, string[]> = {
  'meta-llama/Meta-Llama-3.1-8B-Instruct': [
    'meta-llama/Llama-3.1-8B-Instruct',
    'Llama-3.1-8B-Instruct',
    'llama-3.1-8b',
    'llama3.1-8b-instruct',
  ],
  'Qwen/Qwen3-30B-A3B-Instruct-2507': ['Qwen3-30B-A3B-Instruct-2507', 'qwen3-30b-a3b-instruct'],
  'mistralai/Mixtral-8x7B-Instruct-v0.1': ['Mixtral-8x7B-Instruct-v0.1', 'mixtral-8x7b-instruct'],
};

/** The primary corpus's protocol (paper note §1.3); the output length is measured per curve. */
const PROTOCOL = {
  dataset: 'random',
  inputTokensMean: 512,
  arrivals: 'poisson',
  gammaShape: 1,
  prefixCaching: false,
  sloBound: null,
} as const;

const slug = (modelId: string) => (modelId.split('/').pop() ?? modelId).toLowerCase();

function referenceCurve(curve: ConfigCurve): ReferenceCurve {
  const gpuClass = normaliseGpu(curve.hardware ?? '');
  return {
    id: `${curve.engine}/${slug(curve.modelId)}/${curve.precision}/${curve.gpus}x${gpuClass}`,
    paperConfig: curve.config,
    engine: curve.engine,
    engineVersion: ENGINE_VERSIONS[curve.engine] ?? 'unknown',
    modelId: curve.modelId,
    modelAliases: MODEL_ALIASES[curve.modelId] ?? [],
    architecture: curve.architecture,
    activeParamsB: curve.activeParamsB,
    precision: curve.precision,
    gpuClass,
    gpuLabel: curve.hardware ?? 'unknown',
    gpus: curve.gpus,
    gpuHourlyUsd: curve.price.gpuHourlyUsd,
    thetaMaxTokPerS: curve.thetaMaxTokPerS,
    thetaMaxAtRps: curve.thetaMaxRateRps,
    cNaiveUsdPerMTok: curve.cNaiveUsdPerMTok,
    kneeRps: curve.kneeRps,
    points: curve.points.map((p) => ({
      rateRps: p.rateRps,
      outputTokPerS: p.outputTokPerS,
      cEffUsdPerMTok: p.cEffUsdPerMTok,
    })),
    workload: {
      client: CLIENTS[curve.engine] ?? curve.engine,
      ...PROTOCOL,
      outputTokensPerRequest: curve.outputTokensPerRequest,
      ratesRps: curve.points.map((p) => p.rateRps),
    },
    citation: `${PAPER_CITATION}, ${PRIMARY_FILE} config ${curve.config}`,
  };
}

export function buildReferenceCatalog(
  data: PaperData,
  curves: readonly ConfigCurve[],
): ReferenceCatalog {
  const bytes = readFileSync(join(data.dir, PRIMARY_FILE));
  return {
    formatVersion: 1,
    generatedBy: 'vllm-cost-meter paper --write-catalog',
    source: {
      citation: PAPER_CITATION,
      url: PAPER_URL,
      dataFile: PRIMARY_FILE,
      dataSha256: createHash('sha256').update(bytes).digest('hex'),
    },
    costFormula: COST_FORMULA,
    curves: curves.map(referenceCurve),
  };
}

/** The file's exact text: two-space JSON and a final newline, so regeneration is byte-stable. */
export const catalogText = (catalog: ReferenceCatalog) => `${JSON.stringify(catalog, null, 2)}\n`;

export function writeReferenceCatalog(catalog: ReferenceCatalog, file: string): void {
  try {
    writeFileSync(file, catalogText(catalog));
  } catch (err) {
    throw ioError(`cannot write the reference catalog to ${file}`, err);
  }
}
