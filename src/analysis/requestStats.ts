/**
 * Step statistics recomputed from requests.jsonl, one pass, constant memory per request: only
 * the latency numbers needed for exact percentiles are kept, never the records. The SLO verdict
 * is the one of slo.ts (same good-request rule, same percentile checks), fed incrementally.
 */

import type { SloSpec, StepSlo } from '../harness/records.ts';
import type { ErrorClass, LatencyStats, RequestRecord } from '../load/types.ts';
import { inputError } from '../util/errors.ts';
import { latencyStats, percentileSorted, sortedFinite } from '../util/stats.ts';
import { readJsonl } from './jsonl.ts';
import { isGoodRequest, requestMetricMs } from './slo.ts';

const SLO_METRICS = ['ttftMs', 'tpotMs', 'itlMs', 'e2eMs'] as const;
type SloMetric = (typeof SLO_METRICS)[number];

export interface RecomputedStep {
  records: number;
  measuredRequests: number;
  ok: number;
  /** Measured requests that did not succeed, incomplete ones included (as steps.jsonl). */
  failed: number;
  incomplete: number;
  errorsByClass: Partial<Record<ErrorClass, number>>;
  /** Over every record of the step, warm-up included: tokens that landed in the window. */
  outputTokensInWindow: number;
  /** Output tokens of the successful measured requests, wherever they arrived. */
  measuredOutputTokens: number;
  meanPromptTokens: number | null;
  meanOutputTokens: number | null;
  meanRequestedOutputTokens: number | null;
  /** Mean of end − sent over measured requests that were sent: Little's W. */
  meanTimeInSystemS: number | null;
  latency: {
    ttftMs: LatencyStats;
    ttftFromIntendedMs: LatencyStats;
    tpotMs: LatencyStats;
    e2eMs: LatencyStats;
    e2eFromIntendedMs: LatencyStats;
  };
  slo: StepSlo | null;
}

export const stepKey = (variant: string, stepIndex: number, repeat: number): string =>
  `${variant}\u0000${stepIndex}\u0000${repeat}`;

const pushFinite = (into: number[], value: number | null | undefined) => {
  if (typeof value === 'number' && Number.isFinite(value)) into.push(value);
};

/** Accumulates one step's requests; `finish()` gives the statistics. */
export class StepAccumulator {
  private records = 0;
  private measured = 0;
  private ok = 0;
  private failed = 0;
  private incomplete = 0;
  private readonly errors: Partial<Record<ErrorClass, number>> = {};
  private tokensInWindow = 0;
  private promptSum = 0;
  private promptCount = 0;
  private outputSum = 0;
  private outputCount = 0;
  private requestedSum = 0;
  private systemSumMs = 0;
  private systemCount = 0;
  private good = 0;
  private goodTokens = 0;
  private readonly values = {
    ttftMs: [] as number[],
    ttftFromIntendedMs: [] as number[],
    tpotMs: [] as number[],
    e2eMs: [] as number[],
    e2eFromIntendedMs: [] as number[],
  };
  private readonly sloValues = new Map<SloMetric, number[]>();

  constructor(private readonly slo: SloSpec | null) {
    if (slo) for (const m of SLO_METRICS) if (slo[m]) this.sloValues.set(m, []);
  }

  add(record: RequestRecord): void {
    this.records += 1;
    this.tokensInWindow += record.outputTokensInWindow;
    if (record.phase !== 'measure') return;

    this.measured += 1;
    this.requestedSum += record.requestedOutputTokens;
    if (record.sentAtMs !== null) {
      this.systemSumMs += record.endAtMs - record.sentAtMs;
      this.systemCount += 1;
    }
    if (this.slo && isGoodRequest(record, this.slo)) {
      this.good += 1;
      this.goodTokens += record.outputTokens ?? 0;
    }
    if (!record.ok) {
      const cls = record.error?.class ?? 'malformed_stream';
      this.errors[cls] = (this.errors[cls] ?? 0) + 1;
      this.failed += 1;
      if (cls === 'incomplete') this.incomplete += 1;
      return;
    }

    this.ok += 1;
    if (record.promptTokens !== null) {
      this.promptSum += record.promptTokens;
      this.promptCount += 1;
    }
    if (record.outputTokens !== null) {
      this.outputSum += record.outputTokens;
      this.outputCount += 1;
    }
    const v = this.values;
    pushFinite(v.ttftMs, record.ttftMs);
    pushFinite(v.ttftFromIntendedMs, record.ttftFromIntendedMs);
    pushFinite(v.tpotMs, record.tpotMs);
    pushFinite(v.e2eMs, record.e2eMs);
    pushFinite(v.e2eFromIntendedMs, record.e2eFromIntendedMs);
    for (const [metric, into] of this.sloValues) pushFinite(into, requestMetricMs(record, metric));
  }

  finish(): RecomputedStep {
    const v = this.values;
    return {
      records: this.records,
      measuredRequests: this.measured,
      ok: this.ok,
      failed: this.failed,
      incomplete: this.incomplete,
      errorsByClass: { ...this.errors },
      outputTokensInWindow: this.tokensInWindow,
      measuredOutputTokens: this.outputSum,
      meanPromptTokens: this.promptCount ? this.promptSum / this.promptCount : null,
      meanOutputTokens: this.outputCount ? this.outputSum / this.outputCount : null,
      meanRequestedOutputTokens: this.measured ? this.requestedSum / this.measured : null,
      meanTimeInSystemS: this.systemCount ? this.systemSumMs / this.systemCount / 1000 : null,
      latency: {
        ttftMs: latencyStats(v.ttftMs),
        ttftFromIntendedMs: latencyStats(v.ttftFromIntendedMs),
        tpotMs: latencyStats(v.tpotMs),
        e2eMs: latencyStats(v.e2eMs),
        e2eFromIntendedMs: latencyStats(v.e2eFromIntendedMs),
      },
      slo: this.slo ? this.sloVerdict(this.slo) : null,
    };
  }

  /** Same verdict as evaluateStepSlo in slo.ts, from the incrementally kept values. */
  private sloVerdict(slo: SloSpec): StepSlo {
    const checks = [...this.sloValues].map(([metric, values]) => {
      const bound = slo[metric] as { percentile: number; maxMs: number };
      const valueMs = percentileSorted(sortedFinite(values), bound.percentile);
      return {
        metric,
        percentile: bound.percentile,
        valueMs,
        maxMs: bound.maxMs,
        ok: valueMs === null ? null : valueMs <= bound.maxMs,
      };
    });
    const attainment = this.measured ? this.good / this.measured : null;
    const met =
      attainment === null
        ? null
        : attainment >= slo.attainment && checks.every((check) => check.ok !== false);
    return {
      goodRequests: this.good,
      measuredRequests: this.measured,
      attainment,
      goodOutputTokens: this.goodTokens,
      met,
      checks,
    };
  }
}

function checkRecord(value: unknown, path: string, line: number): RequestRecord {
  const fail = (field: string, want: string) =>
    inputError(`${path}:${line}: field '${field}' must be ${want}`);
  if (typeof value !== 'object' || value === null) throw fail('(record)', 'a JSON object');
  const r = value as Record<string, unknown>;
  if (typeof r.variant !== 'string') throw fail('variant', 'a string');
  if (typeof r.stepIndex !== 'number') throw fail('stepIndex', 'a number');
  if (typeof r.repeat !== 'number') throw fail('repeat', 'a number');
  if (r.phase !== 'measure' && r.phase !== 'warmup') throw fail('phase', "'measure' or 'warmup'");
  if (typeof r.ok !== 'boolean') throw fail('ok', 'true or false');
  if (typeof r.outputTokensInWindow !== 'number') throw fail('outputTokensInWindow', 'a number');
  if (typeof r.requestedOutputTokens !== 'number') throw fail('requestedOutputTokens', 'a number');
  return value as RequestRecord;
}

export interface RequestsPass {
  byStep: Map<string, RecomputedStep>;
  lines: number;
  truncatedLastLine: boolean;
}

/** Streams requests.jsonl once and returns per-step statistics keyed by `stepKey`. */
export async function recomputeFromRequests(
  path: string,
  slo: SloSpec | null,
): Promise<RequestsPass> {
  const accumulators = new Map<string, StepAccumulator>();
  const result = await readJsonl(path, (value, line) => {
    const record = checkRecord(value, path, line);
    const key = stepKey(record.variant, record.stepIndex, record.repeat);
    let acc = accumulators.get(key);
    if (!acc) {
      acc = new StepAccumulator(slo);
      accumulators.set(key, acc);
    }
    acc.add(record);
  });
  const byStep = new Map<string, RecomputedStep>();
  for (const [key, acc] of accumulators) byStep.set(key, acc.finish());
  return { byStep, lines: result.lines, truncatedLastLine: result.truncatedLastLine };
}
