/**
 * Latency SLOs: which requests are "good" and whether a step meets its objective.
 *
 * A request is good when it succeeded and every bound holds for it: TTFT, TPOT and E2E measured
 * from the intended send time (so a late driver or a concurrency cap cannot hide queueing), and
 * its own inter-token latency at the SLO's percentile. A step meets the SLO when the fraction of
 * good requests reaches `attainment` and each metric's percentile over the step is within its
 * bound. Goodput tokens are the output tokens of good requests only.
 */

import type { SloSpec, StepSlo } from '../harness/records.ts';
import type { RequestRecord } from '../load/types.ts';
import { percentileSorted, sortedFinite } from '../util/stats.ts';

type Bound = { percentile: number; maxMs: number };

const METRICS = ['ttftMs', 'tpotMs', 'itlMs', 'e2eMs'] as const;
type SloMetric = (typeof METRICS)[number];

/** The value of one SLO metric for one request, or null when it has none (failed, 1 token). */
export function requestMetricMs(record: RequestRecord, metric: SloMetric): number | null {
  switch (metric) {
    case 'ttftMs':
      return record.ttftFromIntendedMs;
    case 'e2eMs':
      return record.e2eFromIntendedMs;
    case 'tpotMs':
      return record.tpotMs;
    case 'itlMs':
      return record.itl?.p99Ms ?? null;
  }
}

function boundsOf(slo: SloSpec): Array<[SloMetric, Bound]> {
  return METRICS.flatMap((m) => (slo[m] ? [[m, slo[m] as Bound] as [SloMetric, Bound]] : []));
}

/** True when the request succeeded and meets every bound; a missing TPOT (≤ 1 token) passes. */
export function isGoodRequest(record: RequestRecord, slo: SloSpec): boolean {
  if (!record.ok) return false;
  for (const [metric, bound] of boundsOf(slo)) {
    const value = requestMetricMs(record, metric);
    if (value === null) {
      if (metric === 'tpotMs' || metric === 'itlMs') continue;
      return false;
    }
    if (value > bound.maxMs) return false;
  }
  return true;
}

/** SLO verdict of one step over its measured requests. */
export function evaluateStepSlo(measured: RequestRecord[], slo: SloSpec): StepSlo {
  let goodRequests = 0;
  let goodOutputTokens = 0;
  for (const record of measured) {
    if (!isGoodRequest(record, slo)) continue;
    goodRequests += 1;
    goodOutputTokens += record.outputTokens ?? 0;
  }

  const checks = boundsOf(slo).map(([metric, bound]) => {
    // Failed requests have no latency; they count against attainment instead.
    const values = sortedFinite(
      measured.filter((r) => r.ok).map((r) => requestMetricMs(r, metric) ?? Number.NaN),
    );
    const valueMs = percentileSorted(values, bound.percentile);
    return {
      metric,
      percentile: bound.percentile,
      valueMs,
      maxMs: bound.maxMs,
      ok: valueMs === null ? null : valueMs <= bound.maxMs,
    };
  });

  const attainment = measured.length ? goodRequests / measured.length : null;
  const met =
    attainment === null
      ? null
      : attainment >= slo.attainment && checks.every((check) => check.ok !== false);
  return {
    goodRequests,
    measuredRequests: measured.length,
    attainment,
    goodOutputTokens,
    met,
    checks,
  };
}

/**
 * `isGoodRequest` with the bounds looked up once: the same rule, for a caller judging a million
 * requests against one SLO.
 */
export function goodRequestTest(slo: SloSpec): (record: RequestRecord) => boolean {
  const bounds = boundsOf(slo);
  return (record) => {
    if (!record.ok) return false;
    for (const [metric, bound] of bounds) {
      const value = requestMetricMs(record, metric);
      if (value === null) {
        if (metric === 'tpotMs' || metric === 'itlMs') continue;
        return false;
      }
      if (value > bound.maxMs) return false;
    }
    return true;
  };
}
