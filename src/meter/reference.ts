/**
 * Matches the watched server with one of the paper's saturation references (θ_max) and prices
 * it at the meter's own price, so the penalty C_eff / C_naive = θ_max / θ does not depend on
 * which price the paper used. The workload protocol travels with it: a penalty against a curve
 * measured with 512-in / 256-out random prompts says little about a RAG workload.
 */

import { usdPerMillion } from '../cost/costModel.ts';
import {
  type CurveCandidate,
  type CurveQuery,
  matchReferenceCurve,
  type ReferenceCatalog,
  type ReferenceCurve,
} from '../cost/referenceCurves.ts';
import { describeError } from '../util/errors.ts';
import type { ReferenceInfo } from './types.ts';

export interface ReferenceLookup {
  reference: ReferenceInfo | null;
  /** Why it matched or why not, for the log. */
  why: string[];
}

export function protocolLabel(curve: ReferenceCurve): string {
  const w = curve.workload;
  return (
    `${w.client}, ${w.dataset} prompts ${w.inputTokensMean} in / ${w.outputTokensPerRequest} ` +
    `out tokens, ${w.arrivals} arrivals, prefix cache ${w.prefixCaching ? 'on' : 'off'}, ` +
    `no SLO bound (${curve.engine} ${curve.engineVersion}, paper ${curve.paperConfig})`
  );
}

export function referenceInfo(curve: ReferenceCurve, nodeHourlyUsd: number): ReferenceInfo {
  return {
    id: curve.id,
    thetaMaxTokPerS: curve.thetaMaxTokPerS,
    cNaiveUsdPerMTok: usdPerMillion(nodeHourlyUsd, curve.thetaMaxTokPerS),
    paperCNaiveUsdPerMTok: curve.cNaiveUsdPerMTok,
    protocol: protocolLabel(curve),
    citation: curve.citation,
  };
}

/** Looks the server up in the catalog; a missing or unreadable catalog means no reference. */
export function lookupReference(
  query: CurveQuery,
  nodeHourlyUsd: number,
  catalog?: ReferenceCatalog,
): ReferenceLookup {
  try {
    const match = matchReferenceCurve(query, catalog);
    if (match.kind === 'match') {
      return { reference: referenceInfo(match.curve, nodeHourlyUsd), why: match.why };
    }
    return { reference: null, why: [...match.why, ...precisionHint(query, match.candidates)] };
  } catch (err) {
    return { reference: null, why: [`reference catalog unavailable: ${describeError(err)}`] };
  }
}

/**
 * vLLM reports its weights' precision nowhere the meter reads (not /v1/models, /version nor
 * /metrics: cache_config_info carries only the KV cache dtype), and an online `--quantization
 * fp8` leaves the model name as it was. Only an FP8 checkpoint name shows it, which the matcher
 * already reads; otherwise the user has to say, so the note names the flag.
 */
function precisionHint(query: CurveQuery, candidates: CurveCandidate[]): string[] {
  if (query.precision) return [];
  const fitting = candidates.filter((c) => c.differs.length === 0);
  const precisions = [...new Set(fitting.map((c) => c.curve.precision))].sort();
  if (precisions.length < 2) return [];
  return [
    `the server does not report its precision and the paper measured this setup in ` +
      `${precisions.join(' and ')}: pass --quantization ${precisions.join(' or ')}`,
  ];
}

/** One line saying why nothing matched (the matcher's last unindented reason). */
export function referenceNote(lookup: ReferenceLookup): string | null {
  if (lookup.reference) return null;
  return lookup.why.filter((line) => !line.startsWith(' ')).at(-1) ?? null;
}

/** Lookups per served model, made once each: a fleet asks for the same few models every time. */
export class ReferenceCache {
  readonly #query: Omit<CurveQuery, 'model'>;
  readonly #nodeHourlyUsd: number;
  #byModel = new Map<string, { info: ReferenceInfo | null; note: string | null }>();

  constructor(query: Omit<CurveQuery, 'model'>, nodeHourlyUsd: number) {
    this.#query = query;
    this.#nodeHourlyUsd = nodeHourlyUsd;
  }

  get(model: string): { info: ReferenceInfo | null; note: string | null } {
    let found = this.#byModel.get(model);
    if (!found) {
      const lookup = lookupReference({ ...this.#query, model }, this.#nodeHourlyUsd);
      found = { info: lookup.reference, note: referenceNote(lookup) };
      this.#byModel.set(model, found);
    }
    return found;
  }
}
