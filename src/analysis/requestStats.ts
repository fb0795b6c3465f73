/**
 * Step statistics recomputed from requests.jsonl, one pass, constant memory per request: only
 * the latency numbers needed for exact percentiles are kept (in growable Float64Arrays), never
 * the records. The SLO verdict is the one of slo.ts (same good-request rule, same percentile
 * checks), fed incrementally. Accumulators can be shipped between threads (`toState`) and
 * merged, so several workers can read parts of one file.
 */

import type { SloSpec, StepSlo } from '../harness/records.ts';
import { countsInTheta } from '../load/metrics.ts';
import type { ErrorClass, LatencyStats, RequestRecord } from '../load/types.ts';
import { inputError } from '../util/errors.ts';
import { mean, percentileSorted } from '../util/stats.ts';
import { goodRequestTest, requestMetricMs } from './slo.ts';

const SLO_METRICS = ['ttftMs', 'tpotMs', 'itlMs', 'e2eMs'] as const;
type SloMetric = (typeof SLO_METRICS)[number];
const LATENCY_FIELDS = [
  'ttftMs',
  'ttftFromIntendedMs',
  'tpotMs',
  'e2eMs',
  'e2eFromIntendedMs',
] as const;
type LatencyField = (typeof LATENCY_FIELDS)[number];

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
  latency: Record<LatencyField, LatencyStats>;
  slo: StepSlo | null;
}

export const stepKey = (variant: string, stepIndex: number, repeat: number): string =>
  `${variant}\u0000${stepIndex}\u0000${repeat}`;

/** Append-only numbers in a Float64Array that doubles when full. */
class Values {
  buffer: Float64Array;
  length = 0;

  constructor(initial: Float64Array = new Float64Array(64), length = 0) {
    this.buffer = initial;
    this.length = length;
  }

  push(value: number | null | undefined): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) return;
    if (this.length === this.buffer.length) {
      const grown = new Float64Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = value;
  }

  /** Appends several arrays with one allocation of the exact final size (merging workers). */
  appendAll(others: Float64Array[]): void {
    const total = others.reduce((sum, other) => sum + other.length, this.length);
    if (total > this.buffer.length) {
      const grown = new Float64Array(total);
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    for (const other of others) {
      this.buffer.set(other, this.length);
      this.length += other.length;
    }
  }

  /** The values, sorted ascending in place. */
  sorted(): Float64Array {
    return this.buffer.subarray(0, this.length).sort();
  }

  /** A compact copy, for shipping to another thread. */
  compact(): Float64Array {
    return this.buffer.slice(0, this.length);
  }
}

/** count, mean, p50, p90, p99, max — what util/stats latencyStats gives for the same values. */
function statsOf(values: Values): LatencyStats {
  const sorted = values.sorted();
  return {
    count: sorted.length,
    meanMs: mean(sorted),
    p50Ms: percentileSorted(sorted, 50),
    p90Ms: percentileSorted(sorted, 90),
    p99Ms: percentileSorted(sorted, 99),
    maxMs: sorted.length ? (sorted[sorted.length - 1] as number) : null,
  };
}

const COUNTERS = [
  'records',
  'measured',
  'ok',
  'failed',
  'incomplete',
  'tokensInWindow',
  'promptSum',
  'promptCount',
  'outputSum',
  'outputCount',
  'requestedSum',
  'systemSumMs',
  'systemCount',
  'good',
  'goodTokens',
] as const;
type Counters = Record<(typeof COUNTERS)[number], number>;

/** Everything an accumulator holds, as plain data (structured-clone friendly). */
export interface AccumulatorState {
  counters: Counters;
  errors: Partial<Record<ErrorClass, number>>;
  values: Record<LatencyField, Float64Array>;
  sloValues: Array<[SloMetric, Float64Array]>;
}

/** Accumulates one step's requests; `finish()` gives the statistics. */
export class StepAccumulator {
  private readonly c: Counters = Object.fromEntries(COUNTERS.map((k) => [k, 0])) as Counters;
  private readonly errors: Partial<Record<ErrorClass, number>> = {};
  private readonly values = Object.fromEntries(
    LATENCY_FIELDS.map((f) => [f, new Values()]),
  ) as Record<LatencyField, Values>;
  private readonly sloValues = new Map<SloMetric, Values>();
  private readonly isGood: ((record: RequestRecord) => boolean) | null;

  constructor(private readonly slo: SloSpec | null) {
    this.isGood = slo ? goodRequestTest(slo) : null;
    if (slo) for (const m of SLO_METRICS) if (slo[m]) this.sloValues.set(m, new Values());
  }

  add(record: RequestRecord): void {
    const c = this.c;
    c.records += 1;
    // θ's numerator: the driver's rule, so analyze and the run's step line agree.
    if (countsInTheta(record)) c.tokensInWindow += record.outputTokensInWindow;
    if (record.phase !== 'measure') return;

    c.measured += 1;
    c.requestedSum += record.requestedOutputTokens;
    if (record.sentAtMs !== null) {
      c.systemSumMs += record.endAtMs - record.sentAtMs;
      c.systemCount += 1;
    }
    if (this.isGood?.(record)) {
      c.good += 1;
      c.goodTokens += record.outputTokens ?? 0;
    }
    if (!record.ok) {
      const cls = record.error?.class ?? 'malformed_stream';
      this.errors[cls] = (this.errors[cls] ?? 0) + 1;
      c.failed += 1;
      if (cls === 'incomplete') c.incomplete += 1;
      return;
    }

    c.ok += 1;
    if (record.promptTokens !== null) {
      c.promptSum += record.promptTokens;
      c.promptCount += 1;
    }
    if (record.outputTokens !== null) {
      c.outputSum += record.outputTokens;
      c.outputCount += 1;
    }
    for (const field of LATENCY_FIELDS) this.values[field].push(record[field]);
    for (const [metric, into] of this.sloValues) into.push(requestMetricMs(record, metric));
  }

  toState(): AccumulatorState {
    return {
      counters: { ...this.c },
      errors: { ...this.errors },
      values: Object.fromEntries(
        LATENCY_FIELDS.map((f) => [f, this.values[f].compact()]),
      ) as AccumulatorState['values'],
      sloValues: [...this.sloValues].map(([m, v]) => [m, v.compact()]),
    };
  }

  /** Adds other accumulators' states (same SLO) to this one. */
  merge(states: AccumulatorState[]): void {
    for (const state of states) {
      for (const k of COUNTERS) this.c[k] += state.counters[k];
      for (const [cls, n] of Object.entries(state.errors) as Array<[ErrorClass, number]>) {
        this.errors[cls] = (this.errors[cls] ?? 0) + n;
      }
    }
    // One exact allocation per field: a million-record run must not hold doubled buffers.
    for (const f of LATENCY_FIELDS) this.values[f].appendAll(states.map((s) => s.values[f]));
    for (const [metric, into] of this.sloValues) {
      into.appendAll(
        states.flatMap((s) => s.sloValues.filter(([m]) => m === metric).map(([, v]) => v)),
      );
    }
  }

  finish(): RecomputedStep {
    const c = this.c;
    return {
      records: c.records,
      measuredRequests: c.measured,
      ok: c.ok,
      failed: c.failed,
      incomplete: c.incomplete,
      errorsByClass: { ...this.errors },
      outputTokensInWindow: c.tokensInWindow,
      measuredOutputTokens: c.outputSum,
      meanPromptTokens: c.promptCount ? c.promptSum / c.promptCount : null,
      meanOutputTokens: c.outputCount ? c.outputSum / c.outputCount : null,
      meanRequestedOutputTokens: c.measured ? c.requestedSum / c.measured : null,
      meanTimeInSystemS: c.systemCount ? c.systemSumMs / c.systemCount / 1000 : null,
      latency: Object.fromEntries(
        LATENCY_FIELDS.map((f) => [f, statsOf(this.values[f])]),
      ) as RecomputedStep['latency'],
      slo: this.slo ? this.sloVerdict(this.slo) : null,
    };
  }

  /** Same verdict as evaluateStepSlo in slo.ts, from the incrementally kept values. */
  private sloVerdict(slo: SloSpec): StepSlo {
    const checks = [...this.sloValues].map(([metric, values]) => {
      const bound = slo[metric] as { percentile: number; maxMs: number };
      const valueMs = percentileSorted(values.sorted(), bound.percentile);
      return {
        metric,
        percentile: bound.percentile,
        valueMs,
        maxMs: bound.maxMs,
        ok: valueMs === null ? null : valueMs <= bound.maxMs,
      };
    });
    const measured = this.c.measured;
    const attainment = measured ? this.c.good / measured : null;
    const met =
      attainment === null
        ? null
        : attainment >= slo.attainment && checks.every((check) => check.ok !== false);
    return {
      goodRequests: this.c.good,
      measuredRequests: measured,
      attainment,
      goodOutputTokens: this.c.goodTokens,
      met,
      checks,
    };
  }
}

const badField = (path: string, line: number, field: string, want: string) =>
  inputError(`${path}:${line}: field '${field}' must be ${want}`);

/**
 * The fields the analyzer reads, checked once per line; errors name file, line and field. No
 * closure is created per call: this runs a million times on a big run.
 */
export function checkRecord(value: unknown, path: string, line: number): RequestRecord {
  if (typeof value !== 'object' || value === null) {
    throw badField(path, line, '(record)', 'a JSON object');
  }
  const r = value as Record<string, unknown>;
  if (typeof r.variant !== 'string') throw badField(path, line, 'variant', 'a string');
  if (typeof r.stepIndex !== 'number') throw badField(path, line, 'stepIndex', 'a number');
  if (typeof r.repeat !== 'number') throw badField(path, line, 'repeat', 'a number');
  if (r.phase !== 'measure' && r.phase !== 'warmup') {
    throw badField(path, line, 'phase', "'measure' or 'warmup'");
  }
  if (typeof r.ok !== 'boolean') throw badField(path, line, 'ok', 'true or false');
  if (typeof r.outputTokensInWindow !== 'number') {
    throw badField(path, line, 'outputTokensInWindow', 'a number');
  }
  if (typeof r.requestedOutputTokens !== 'number') {
    throw badField(path, line, 'requestedOutputTokens', 'a number');
  }
  return value as RequestRecord;
}

/** Routes records to one accumulator per step. */
export class StepAccumulators {
  readonly byKey = new Map<string, StepAccumulator>();

  constructor(private readonly slo: SloSpec | null) {}

  private get(key: string): StepAccumulator {
    let acc = this.byKey.get(key);
    if (!acc) {
      acc = new StepAccumulator(this.slo);
      this.byKey.set(key, acc);
    }
    return acc;
  }

  // Records of one step come in runs: remember the last step to skip building its key.
  private last: {
    variant: string;
    stepIndex: number;
    repeat: number;
    acc: StepAccumulator;
  } | null = null;

  add(record: RequestRecord): void {
    const last = this.last;
    if (
      last &&
      last.stepIndex === record.stepIndex &&
      last.repeat === record.repeat &&
      last.variant === record.variant
    ) {
      last.acc.add(record);
      return;
    }
    const acc = this.get(stepKey(record.variant, record.stepIndex, record.repeat));
    this.last = {
      variant: record.variant,
      stepIndex: record.stepIndex,
      repeat: record.repeat,
      acc,
    };
    acc.add(record);
  }

  /** Merges the states of several workers, each step's in one go. */
  merge(states: Array<[string, AccumulatorState]>): void {
    const byKey = new Map<string, AccumulatorState[]>();
    for (const [key, state] of states) {
      const list = byKey.get(key);
      if (list) list.push(state);
      else byKey.set(key, [state]);
    }
    for (const [key, list] of byKey) this.get(key).merge(list);
  }

  states(): Array<[string, AccumulatorState]> {
    return [...this.byKey].map(([key, acc]) => [key, acc.toState()]);
  }

  finish(): Map<string, RecomputedStep> {
    return new Map([...this.byKey].map(([key, acc]) => [key, acc.finish()]));
  }
}
