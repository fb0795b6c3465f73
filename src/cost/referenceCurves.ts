/**
 * The reference catalog: the 20 saturation curves measured by Patil (arXiv 2606.11690), generated
 * from the paper's CSV by `vllm-cost-meter paper --write-catalog` into reference-curves.json.
 * The live meter compares a server with the curve measured on the same model, precision, GPU
 * class and count, and engine. A curve from other hardware or another engine is not a reference:
 * the matcher answers "none" with the reason rather than the nearest-looking first hit.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { inputError } from '../util/errors.ts';
import { findGpu } from './gpuCatalog.ts';

const workloadSchema = z.object({
  client: z.string(),
  dataset: z.string(),
  inputTokensMean: z.number(),
  outputTokensPerRequest: z.number(),
  arrivals: z.string(),
  gammaShape: z.number(),
  prefixCaching: z.boolean(),
  sloBound: z.null(),
  ratesRps: z.array(z.number()),
});

const curveSchema = z.object({
  id: z.string(),
  paperConfig: z.string(),
  engine: z.string(),
  engineVersion: z.string(),
  modelId: z.string(),
  modelAliases: z.array(z.string()),
  architecture: z.string(),
  activeParamsB: z.number(),
  precision: z.string(),
  gpuClass: z.string(),
  gpuLabel: z.string(),
  gpus: z.number().int().positive(),
  gpuHourlyUsd: z.number().positive(),
  thetaMaxTokPerS: z.number().positive(),
  thetaMaxAtRps: z.number(),
  cNaiveUsdPerMTok: z.number().positive(),
  kneeRps: z.number().nullable(),
  points: z.array(
    z.object({ rateRps: z.number(), outputTokPerS: z.number(), cEffUsdPerMTok: z.number() }),
  ),
  workload: workloadSchema,
  citation: z.string(),
});

const catalogSchema = z.object({
  formatVersion: z.literal(1),
  generatedBy: z.string(),
  source: z.object({
    citation: z.string(),
    url: z.string(),
    dataFile: z.string(),
    dataSha256: z.string(),
  }),
  costFormula: z.string(),
  curves: z.array(curveSchema),
});

export type WorkloadProtocol = z.infer<typeof workloadSchema>;
export type ReferenceCurve = z.infer<typeof curveSchema>;
export type ReferenceCatalog = z.infer<typeof catalogSchema>;

export const DEFAULT_CATALOG_FILE = fileURLToPath(
  new URL('./reference-curves.json', import.meta.url),
);

/** Reads and validates a catalog file; errors name the file and the offending field. */
export function loadReferenceCatalog(file = DEFAULT_CATALOG_FILE): ReferenceCatalog {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw inputError(
      `cannot read the reference catalog ${file}: regenerate it with 'paper --write-catalog'`,
      err,
    );
  }
  const parsed = catalogSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw inputError(`${file}: field '${where}': ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

let cached: ReferenceCatalog | null = null;
/** The catalog shipped with the package, read once. */
export function defaultReferenceCatalog(): ReferenceCatalog {
  cached ??= loadReferenceCatalog();
  return cached;
}

/** What is known about a live server; unknown fields are null or absent. */
export interface CurveQuery {
  /** Served model name, Hugging Face id or local path. */
  model: string;
  /** `--dtype` or `--quantization` value: float16, bfloat16, auto, fp8, … */
  precision?: string | null;
  /** GPU class or nvidia-smi name: h100, A100_80GB_PCIe, "NVIDIA H100 80GB HBM3". */
  gpu?: string | null;
  gpus?: number | null;
  engine?: string | null;
}

export interface CurveCandidate {
  curve: ReferenceCurve;
  /** How it differs from the query, e.g. "GPU a100 ≠ h100". */
  differs: string[];
}

export type CurveMatch =
  | { kind: 'match'; curve: ReferenceCurve; why: string[] }
  | { kind: 'none'; why: string[]; candidates: CurveCandidate[] };

const FP8_SUFFIX = /[-_.](fp8([-_.]?(dynamic|e4m3|e5m2))?|w8a8[-_.]?fp8)$/i;

/** Model key: no org or path prefix, no FP8 suffix, lower case, no separators. */
export function modelKey(name: string): { key: string; fp8InName: boolean } {
  const base = name.trim().replace(/\/+$/, '').split('/').pop() ?? '';
  const fp8InName = FP8_SUFFIX.test(base);
  const key = base
    .replace(FP8_SUFFIX, '')
    .toLowerCase()
    .replace(/[-_\s:]+/g, '');
  return { key, fp8InName };
}

/** The paper's precision names: 'float16' (any 16-bit dtype, auto included) or 'fp8'. */
export function normalisePrecision(raw: string): 'float16' | 'fp8' | 'unsupported' {
  const value = raw.trim().toLowerCase();
  if (['float16', 'fp16', 'half', 'bfloat16', 'bf16', 'auto'].includes(value)) return 'float16';
  if (/^fp8(_e4m3|_e5m2)?$/.test(value) || value === 'fp8-dynamic') return 'fp8';
  return 'unsupported';
}

/** The catalog's GPU class for a name: h100, a100, or the lower-cased name itself. */
export function normaliseGpu(raw: string): string {
  const known = findGpu(raw);
  if (known) return known.id;
  const value = raw.trim().toLowerCase();
  if (/\bh100\b/.test(value)) return 'h100';
  if (/\ba100\b/.test(value) && !/40\s*gb/.test(value)) return 'a100';
  return value;
}

interface Wanted {
  precision: string | null;
  gpuClass: string | null;
  gpus: number | null;
  engine: string | null;
}

function differences(curve: ReferenceCurve, wanted: Wanted): string[] {
  const out: string[] = [];
  if (wanted.engine && curve.engine !== wanted.engine) {
    out.push(`engine ${curve.engine} ≠ ${wanted.engine}`);
  }
  if (wanted.precision && curve.precision !== wanted.precision) {
    out.push(`precision ${curve.precision} ≠ ${wanted.precision}`);
  }
  if (wanted.gpuClass && curve.gpuClass !== wanted.gpuClass) {
    out.push(`GPU ${curve.gpuClass} ≠ ${wanted.gpuClass}`);
  }
  if (wanted.gpus !== null && curve.gpus !== wanted.gpus) {
    out.push(`GPU count ${curve.gpus} ≠ ${wanted.gpus}`);
  }
  return out;
}

const describe = (c: ReferenceCurve) =>
  `${c.paperConfig} (${c.engine} ${c.modelId} ${c.precision} ${c.gpus}×${c.gpuLabel})`;

/** Names the dimensions in which the remaining curves still differ. */
function ambiguity(curves: readonly ReferenceCurve[]): string {
  const spread = (label: string, value: (c: ReferenceCurve) => string | number) => {
    const values = [...new Set(curves.map(value))];
    return values.length > 1 ? `${label} (${values.join(', ')})` : null;
  };
  return [
    spread('engine', (c) => c.engine),
    spread('precision', (c) => c.precision),
    spread('GPU class', (c) => c.gpuClass),
    spread('GPU count', (c) => c.gpus),
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * The one curve measured on the query's model, precision, GPU class and count, and engine.
 * Every known field must agree; an unknown field is fine only when all remaining curves agree
 * on it. Otherwise the answer is none, with why and the model's curves with their differences.
 */
export function matchReferenceCurve(
  query: CurveQuery,
  catalog: ReferenceCatalog = defaultReferenceCatalog(),
): CurveMatch {
  const why: string[] = [];
  const { key, fp8InName } = modelKey(query.model);
  const byModel = catalog.curves.filter((c) =>
    [c.modelId, ...c.modelAliases].some((alias) => modelKey(alias).key === key),
  );
  if (key === '' || byModel.length === 0) {
    const models = [...new Set(catalog.curves.map((c) => c.modelId))].join(', ');
    why.push(`no reference curve for model '${query.model}'; the paper measured ${models}`);
    return { kind: 'none', why, candidates: [] };
  }
  why.push(`model '${query.model}' is ${byModel[0]?.modelId}`);

  let precision: string | null = null;
  if (query.precision) {
    const normalised = normalisePrecision(query.precision);
    if (normalised === 'unsupported') {
      why.push(`precision '${query.precision}': the paper measured only float16 and fp8`);
      return { kind: 'none', why, candidates: byModel.map((curve) => ({ curve, differs: [] })) };
    }
    precision = normalised;
  }
  if (fp8InName && precision !== 'fp8') {
    // A pre-quantised checkpoint runs FP8 weights whatever --dtype says.
    precision = 'fp8';
    why.push('precision fp8 taken from the FP8 checkpoint name');
  } else if (precision) {
    why.push(`precision ${precision} (from '${query.precision}')`);
  }

  const wanted: Wanted = {
    precision,
    gpuClass: query.gpu ? normaliseGpu(query.gpu) : null,
    gpus: query.gpus ?? null,
    engine: query.engine ? query.engine.trim().toLowerCase() : null,
  };
  const candidates = byModel.map((curve) => ({ curve, differs: differences(curve, wanted) }));
  const fitting = candidates.filter((c) => c.differs.length === 0).map((c) => c.curve);

  if (fitting.length === 0) {
    why.push('no curve of this model was measured on this setup; closest differ in:');
    for (const c of candidates) why.push(`  ${describe(c.curve)}: ${c.differs.join('; ')}`);
    return { kind: 'none', why, candidates };
  }
  if (fitting.length > 1) {
    why.push(`${fitting.length} curves fit; they differ in ${ambiguity(fitting)}: say which`);
    return { kind: 'none', why, candidates };
  }
  const curve = fitting[0] as ReferenceCurve;
  why.push(
    `measured on ${curve.gpus}×${curve.gpuLabel} with ${curve.engine} ${curve.engineVersion}`,
  );
  for (const [label, known] of [
    ['engine', wanted.engine],
    ['GPU class', wanted.gpuClass],
    ['GPU count', wanted.gpus],
    ['precision', wanted.precision],
  ] as const) {
    if (known === null) why.push(`${label} not given: the only ${label} measured for this model`);
  }
  why.push(
    `paper ${curve.paperConfig}: ${curve.workload.inputTokensMean} in / ` +
      `${curve.workload.outputTokensPerRequest} out tokens, ${curve.workload.arrivals} ` +
      'arrivals, raw saturation without an SLO bound',
  );
  return { kind: 'match', curve, why };
}
