/**
 * Fault injection for the simulated server, the fixture factory of the reliability and
 * telemetry tests. Each fault fires with a probability or on every Nth request it applies to.
 * Spec text (CLI `--fault`): `<kind>[:key=value,…]`, e.g. `http-429:every=5,retry-after=2`,
 * `close-mid-stream:p=0.1,after=3`, `metrics-slow:every=1,delay-ms=2000`.
 */

import { usageError } from '../util/errors.ts';
import { seededUniform } from './random.ts';

export const REQUEST_FAULTS = [
  'close-mid-stream',
  'error-event',
  'http-500',
  'http-503',
  'http-429',
  'hang',
] as const;
export const METRICS_FAULTS = [
  'metrics-slow',
  'metrics-500',
  'metrics-garbage',
  'metrics-html',
] as const;

export type RequestFaultKind = (typeof REQUEST_FAULTS)[number];
export type MetricsFaultKind = (typeof METRICS_FAULTS)[number];

export interface FaultSpec {
  kind: RequestFaultKind | MetricsFaultKind;
  /** Fire with this probability (0–1)… */
  probability?: number;
  /** …or on every Nth request (1 = every request). */
  everyNth?: number;
  /** Mid-stream faults: tokens sent before the fault (default 1). */
  afterTokens?: number;
  /** 429 / 503: value of the Retry-After header in seconds. */
  retryAfterS?: number;
  /** metrics-slow: delay before answering. */
  delayMs?: number;
}

const KINDS: readonly string[] = [...REQUEST_FAULTS, ...METRICS_FAULTS];

/** Parses one `--fault` value; errors name the spec and what is allowed. */
export function parseFaultSpec(text: string): FaultSpec {
  const [kind = '', rest = ''] = text.split(':', 2);
  if (!KINDS.includes(kind)) {
    throw usageError(`--fault '${text}': unknown kind '${kind}' (one of ${KINDS.join(', ')})`);
  }
  const spec: FaultSpec = { kind: kind as FaultSpec['kind'] };
  for (const part of rest.split(',').filter(Boolean)) {
    const [key, raw] = part.split('=', 2);
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value < 0) {
      throw usageError(`--fault '${text}': '${part}' must be key=<number ≥ 0>`);
    }
    if (key === 'p') spec.probability = value;
    else if (key === 'every') spec.everyNth = value;
    else if (key === 'after') spec.afterTokens = value;
    else if (key === 'retry-after') spec.retryAfterS = value;
    else if (key === 'delay-ms') spec.delayMs = value;
    else
      throw usageError(
        `--fault '${text}': unknown key '${key}' (p, every, after, retry-after, delay-ms)`,
      );
  }
  validateFault(spec, text);
  return spec;
}

export function validateFault(spec: FaultSpec, label: string = spec.kind): void {
  if (!KINDS.includes(spec.kind as string)) throw usageError(`fault '${label}': unknown kind`);
  if (spec.probability !== undefined && (spec.probability < 0 || spec.probability > 1)) {
    throw usageError(`fault '${label}': p must be between 0 and 1`);
  }
  if (spec.everyNth !== undefined && !(Number.isInteger(spec.everyNth) && spec.everyNth >= 1)) {
    throw usageError(`fault '${label}': every must be a whole number ≥ 1`);
  }
  if (spec.probability === undefined && spec.everyNth === undefined) {
    throw usageError(`fault '${label}': give p=<probability> or every=<N>`);
  }
}

export const isRequestFault = (spec: FaultSpec): spec is FaultSpec & { kind: RequestFaultKind } =>
  (REQUEST_FAULTS as readonly string[]).includes(spec.kind);

/** Decides, request by request, which fault (if any) applies. Deterministic for a seed. */
export class FaultPicker {
  private readonly counters: number[];
  private readonly uniform: () => number;

  constructor(
    private readonly specs: FaultSpec[],
    seed = 1,
  ) {
    this.counters = specs.map(() => 0);
    this.uniform = seededUniform(seed);
  }

  /** The first configured fault of the given family that fires for this request, or null. */
  pick(family: 'request' | 'metrics'): FaultSpec | null {
    let chosen: FaultSpec | null = null;
    this.specs.forEach((spec, i) => {
      if (isRequestFault(spec) !== (family === 'request')) return;
      this.counters[i]! += 1;
      const fires =
        spec.everyNth !== undefined
          ? this.counters[i]! % spec.everyNth === 0
          : this.uniform() < (spec.probability ?? 0);
      if (fires && chosen === null) chosen = spec;
    });
    return chosen;
  }
}
