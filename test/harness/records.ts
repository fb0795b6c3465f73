import type { DriveSummary, RequestRecord } from '../../src/load/types.ts';
import { emptyLatencyStats } from '../../src/util/stats.ts';

/** A successful measured request with round numbers; tests override what they examine. */
export function request(over: Partial<RequestRecord>): RequestRecord {
  return {
    v: 1,
    variant: 'v',
    stepIndex: 0,
    repeat: 0,
    rateRps: 1,
    phase: 'measure',
    seq: 0,
    id: 'r',
    api: 'completions',
    intendedAtMs: 0,
    releasedAtMs: 0,
    sentAtMs: 0,
    firstByteAtMs: 0,
    firstTokenAtMs: 0,
    lastTokenAtMs: 0,
    endAtMs: 0,
    ttftMs: null,
    ttftFromIntendedMs: null,
    e2eMs: null,
    e2eFromIntendedMs: null,
    tpotMs: null,
    capWaitMs: 0,
    sendLagMs: 0,
    itl: null,
    chunkGaps: null,
    chunks: 1,
    promptTokens: null,
    promptTokensSource: 'usage',
    outputTokens: null,
    outputTokensSource: 'usage',
    requestedOutputTokens: 10,
    outputTokensInWindow: 0,
    status: 200,
    finishReason: 'length',
    ok: true,
    error: null,
    ...over,
  };
}

export function summary(over: Partial<DriveSummary>): DriveSummary {
  return {
    originEpochMs: 1_000_000,
    measureStartAtMs: 1000,
    measureEndAtMs: 3000,
    endAtMs: 3600,
    sent: 0,
    ok: 0,
    failed: 0,
    incomplete: 0,
    errorsByClass: {},
    itlPooled: emptyLatencyStats(),
    chunkGapsPooled: emptyLatencyStats(),
    inFlight: { mean: 1.2, max: 3 },
    outputTokensInWindow: 0,
    health: {
      scheduleLagMs: { p50: 0.1, p99: 0.5, max: 0.6 },
      eventLoopDelayMs: { p50: 1, p99: 2, max: 3 },
      cpuPercent: 5,
      offeredRps: 1.5,
      achievedSendRps: 1.5,
      valid: true,
      reasons: [],
    },
    ...over,
  };
}
