import { describe, expect, it } from 'vitest';
import {
  buildRecord,
  chunkGaps,
  type RecordContext,
  type RequestJob,
  reconcileChunkTokens,
  tokenItl,
  tokensInWindow,
} from '../../src/load/metrics.ts';
import type { StreamOutcome } from '../../src/load/request.ts';

const job: RequestJob = {
  seq: 4,
  id: 'r4',
  phase: 'measure',
  intendedAtMs: 100,
  releasedAtMs: 100,
  plannedPromptTokens: 32,
  promptSource: 'planned',
  requestedOutputTokens: 6,
};
const ctx: RecordContext = {
  api: 'chat',
  labels: { variant: 'v', stepIndex: 1, repeat: 0, rateRps: 5 },
  measureStartAtMs: 0,
  measureEndAtMs: 125,
  recordChunks: true,
};

function outcome(over: Partial<StreamOutcome>): StreamOutcome {
  return {
    status: 200,
    sentAtMs: 100.5,
    firstByteAtMs: 101,
    endAtMs: 140,
    chunkAtMs: Float64Array.of(110.5, 115.5, 130.5),
    chunkTokens: Int32Array.of(1, 3, 2),
    finalUsageTokens: 6,
    runningUsageTokens: 6,
    usagePromptTokens: 40,
    finishReason: 'length',
    sawDone: true,
    error: null,
    ...over,
  };
}

describe('per-request metrics', () => {
  it('per-token ITL gives each chunk gap once, then zeros for the tokens it carried', () => {
    // Chunks of 1, 3, 2 tokens at 110.5, 115.5, 130.5 → gaps 5 and 15; zeros: 2 + 1.
    expect(
      Array.from(tokenItl(Float64Array.of(110.5, 115.5, 130.5), Int32Array.of(1, 3, 2))),
    ).toEqual([5, 0, 0, 15, 0]);
    expect(Array.from(chunkGaps(Float64Array.of(110.5, 115.5, 130.5)))).toEqual([5, 15]);
  });

  it('the record follows the definitions, by hand', () => {
    const { record, itl, gaps } = buildRecord(outcome({}), job, ctx);
    expect(record).toMatchObject({
      ttftMs: 10, // 110.5 − 100.5
      e2eMs: 30, // 130.5 − 100.5
      tpotMs: 4, // (30 − 10) / (6 − 1)
      ttftFromIntendedMs: 10.5,
      e2eFromIntendedMs: 30.5,
      capWaitMs: 0,
      sendLagMs: 0.5,
      chunks: 3,
      outputTokens: 6,
      outputTokensSource: 'usage',
      promptTokens: 40,
      promptTokensSource: 'usage',
      // Window [0, 125]: chunks at 110.5 and 115.5 → 1 + 3 tokens.
      outputTokensInWindow: 4,
      ok: true,
      chunkAtMs: [110.5, 115.5, 130.5],
      chunkTokens: [1, 3, 2],
    });
    // ITL samples 5, 0, 0, 15, 0: mean 4, median 0, max 15.
    expect(record.itl).toMatchObject({ count: 5, meanMs: 4, p50Ms: 0, maxMs: 15 });
    expect(record.chunkGaps).toMatchObject({ count: 2, meanMs: 10, maxMs: 15 });
    expect(itl).toHaveLength(5);
    expect(gaps).toHaveLength(2);
  });

  it('without continuous usage, one token per chunk is corrected to the final usage', () => {
    // 3 chunks counted as 1 each, usage says 6: each chunk carries 2.
    const o = outcome({ chunkTokens: Int32Array.of(1, 1, 1), runningUsageTokens: -1 });
    const { record } = buildRecord(o, job, ctx);
    expect(record.chunkTokens).toEqual([2, 2, 2]);
    expect(record.itl!.count).toBe(5);
  });

  it('counts come from usage, then running usage, then counting', () => {
    const counted = buildRecord(
      outcome({ finalUsageTokens: -1, runningUsageTokens: -1, usagePromptTokens: -1 }),
      job,
      ctx,
    ).record;
    expect(counted).toMatchObject({
      outputTokens: 6,
      outputTokensSource: 'counted',
      promptTokens: 32,
      promptTokensSource: 'planned',
    });
    const running = buildRecord(outcome({ finalUsageTokens: -1 }), job, ctx).record;
    expect(running.outputTokensSource).toBe('continuous_usage');
  });

  it('a failed request keeps its times but no latency figures', () => {
    const { record, itl } = buildRecord(
      outcome({ error: { class: 'stream_error_event', message: 'x' } }),
      job,
      ctx,
    );
    expect(record).toMatchObject({ ok: false, ttftMs: null, e2eMs: null, tpotMs: null, itl: null });
    expect(record.firstTokenAtMs).toBe(110.5);
    expect(itl).toHaveLength(0);
  });

  it('largest-remainder reconciliation sums exactly to the total', () => {
    // 7 tokens over counts 1,1,1: exact shares 7/3 each → 2,2,2 + 1 to the first.
    expect(Array.from(reconcileChunkTokens(Int32Array.of(1, 1, 1), 7))).toEqual([3, 2, 2]);
    expect(Array.from(reconcileChunkTokens(Int32Array.of(2, 1, 1), 2))).toEqual([1, 1, 0]);
    expect(tokensInWindow(Float64Array.of(1, 2, 3), Int32Array.of(1, 2, 4), 2, 3)).toBe(6);
  });
});
