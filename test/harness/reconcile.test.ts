import { describe, expect, it } from 'vitest';
import { bucketIndex, clientTotals, reconcileStep } from '../../src/harness/reconcile.ts';
import type { WindowStats } from '../../src/telemetry/types.ts';
import { request } from './records.ts';

const q = (p50: number | null) => ({ p50, p90: null, p99: null, mean: null, count: null });

function window(
  inc: { outputTokens: number; promptTokens: number; requests: number },
  ttftP50: number | null,
): WindowStats {
  return {
    windowSeconds: 10,
    startMs: 0,
    endMs: 10_000,
    rates: {
      outputTokensPerS: null,
      promptTokensPerS: null,
      requestsPerS: null,
      requestsPerSByReason: null,
      arrivalsPerS: null,
      preemptionsPerS: null,
    },
    increases: { ...inc, requestsByReason: null, preemptions: 0 },
    totals: null,
    latencyMs: {
      ttft: q(ttftP50),
      itl: q(null),
      tpot: q(null),
      e2e: q(null),
      queue: q(null),
      prefill: q(null),
      decode: q(null),
    },
    lengths: { prompt: q(null), generation: q(null) },
    state: { running: null, waiting: null, kvCacheUsageMax: null, kvCacheUsageMean: null },
    prefixCacheHitRate: null,
    littlesLaw: { meanInFlight: null, predicted: null, ratio: null },
    resets: [],
    byModel: {},
    vllmNames: { era: 'v1', names: {} },
  };
}

// vLLM's TTFT buckets in ms (0.001 … 2.5 s, a subset is enough here).
const BOUNDS = [1, 5, 10, 20, 40, 60, 80, 100, 250, 500, 750, 1000, 2500];

const RECORDS = [
  request({ outputTokens: 100, promptTokens: 50, ttftMs: 30 }),
  request({ outputTokens: 100, promptTokens: 70, ttftMs: 50 }),
  // Cancelled by the drain timeout after 40 tokens; its prefill had completed.
  request({
    outputTokens: 40,
    promptTokens: 60,
    ok: false,
    firstTokenAtMs: 5,
    error: { class: 'incomplete', message: 'drain' },
  }),
  // Refused before the server took it: not counted by the server at all.
  request({
    outputTokens: null,
    promptTokens: null,
    ok: false,
    status: null,
    firstTokenAtMs: null,
    error: { class: 'connect', message: 'ECONNREFUSED' },
  }),
];

describe('client vs server reconciliation', () => {
  it('adds up what the client saw over the whole step', () => {
    // Output 100 + 100 + 40; prompts of prefilled requests 50 + 70 + 60; HTTP 200s: 3;
    // TTFT p50 of the two successes (30, 50) = 40.
    expect(clientTotals(RECORDS)).toEqual({
      outputTokens: 240,
      promptTokens: 180,
      requests: 3,
      cancelled: 1,
      ttftP50Ms: 40,
    });
  });

  it('agrees when the server counters match and the medians share a bucket', () => {
    const r = reconcileStep(
      clientTotals(RECORDS),
      window({ outputTokens: 240, promptTokens: 180, requests: 3 }, 35),
      BOUNDS,
    );
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([]);
    expect(r.ttftP50Ms).toEqual({ client: 40, server: 35, withinBucket: true });
  });

  it('warns with both numbers on a mismatch, explaining cancelled streams', () => {
    // 40 ms sits in bucket (20, 40] (index 4); 300 ms in (250, 500] (index 9): 5 buckets apart.
    const r = reconcileStep(
      clientTotals(RECORDS),
      window({ outputTokens: 245, promptTokens: 180, requests: 2 }, 300),
      BOUNDS,
    );
    expect(r.ok).toBe(false);
    expect(r.outputTokens).toEqual({ client: 240, server: 245, diff: 5 });
    expect(r.requests).toEqual({ client: 3, server: 2, diff: -1 });
    expect(r.warnings).toEqual([
      'server counted 5 more output tokens than the client ' +
        '(output tokens: client 240, server 245); ' +
        '1 request(s) were cancelled mid-stream, whose last tokens the client never read',
      'server counted 1 fewer finished requests than the client ' +
        '(finished requests: client 3, server 2)',
      'TTFT p50 disagrees by 5 histogram buckets (client 40.0 ms, server 300.0 ms)',
    ]);
  });

  it('places values in buckets the way Prometheus does (le is inclusive, +Inf last)', () => {
    expect(bucketIndex(BOUNDS, 40)).toBe(4);
    expect(bucketIndex(BOUNDS, 40.001)).toBe(5);
    expect(bucketIndex(BOUNDS, 99_999)).toBe(BOUNDS.length);
  });

  it('says so when there was no telemetry', () => {
    const r = reconcileStep(clientTotals(RECORDS), null, null);
    expect(r.ok).toBeNull();
    expect(r.outputTokens).toEqual({ client: 240, server: null, diff: null });
  });
});
