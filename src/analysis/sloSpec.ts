/**
 * The `--slo` flag: `ttft:p99:300,tpot:p99:50[,attainment:0.95]` → SloSpec, and back to text.
 * Metrics: ttft, tpot, itl, e2e (e2el accepted, as vllm bench serve spells it); bounds in ms.
 */

import type { SloSpec } from '../harness/records.ts';
import { usageError } from '../util/errors.ts';

/** Attainment when the flag gives none: 90% of requests must meet every bound. */
export const DEFAULT_ATTAINMENT = 0.9;

const METRIC_KEYS: Record<string, 'ttftMs' | 'tpotMs' | 'itlMs' | 'e2eMs'> = {
  ttft: 'ttftMs',
  tpot: 'tpotMs',
  itl: 'itlMs',
  e2e: 'e2eMs',
  e2el: 'e2eMs',
};

export function parseSloFlag(raw: string, flag = '--slo'): SloSpec {
  const spec: SloSpec = { attainment: DEFAULT_ATTAINMENT };
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw usageError(`${flag} is empty (example: ttft:p99:300,tpot:p99:50)`);

  for (const part of parts) {
    const fields = part.split(':');
    if (fields[0] === 'attainment' && fields.length === 2) {
      const value = Number(fields[1]);
      if (!(value > 0 && value <= 1)) {
        throw usageError(`${flag}: attainment must be in (0, 1] (got '${fields[1]}')`);
      }
      spec.attainment = value;
      continue;
    }
    const key = METRIC_KEYS[fields[0] ?? ''];
    const pMatch = /^p(\d+(?:\.\d+)?)$/.exec(fields[1] ?? '');
    const maxMs = Number(fields[2]);
    if (!key || !pMatch || fields.length !== 3 || !(maxMs > 0)) {
      throw usageError(
        `${flag}: cannot read '${part}' — use metric:pNN:ms with metric ttft, tpot, itl or ` +
          'e2e (example: ttft:p99:300), or attainment:0.95',
      );
    }
    const percentile = Number(pMatch[1]);
    if (!(percentile > 0 && percentile <= 100)) {
      throw usageError(`${flag}: percentile in '${part}' must be above 0 and at most 100`);
    }
    spec[key] = { percentile, maxMs };
  }
  return spec;
}

/** `TTFT p99 ≤ 300 ms, TPOT p99 ≤ 50 ms; 90% of requests` */
export function describeSlo(spec: SloSpec): string {
  const names: Array<[keyof SloSpec, string]> = [
    ['ttftMs', 'TTFT'],
    ['tpotMs', 'TPOT'],
    ['itlMs', 'ITL'],
    ['e2eMs', 'E2E'],
  ];
  const bounds = names.flatMap(([key, label]) => {
    const bound = spec[key] as { percentile: number; maxMs: number } | undefined;
    return bound ? [`${label} p${bound.percentile} ≤ ${bound.maxMs} ms`] : [];
  });
  return `${bounds.join(', ')}; ${Math.round(spec.attainment * 1000) / 10}% of requests`;
}
