import { describe, expect, it } from 'vitest';
import {
  type EngineRequest,
  Scheduler,
  type SchedulerConfig,
  type StepShape,
} from '../../src/sim/scheduler.ts';

const CONFIG: SchedulerConfig = {
  maxNumSeqs: 4,
  maxNumBatchedTokens: 512,
  blockSize: 16,
  numBlocks: 100,
  maxModelLen: 4096,
};

/** A step lasts 10 ms plus 1 ms per scheduled token: easy to add up by hand. */
const stepTimeS = (shape: StepShape) => 0.01 + 0.001 * shape.tokens;

/** Runs the scheduler to idle; returns the tokens scheduled per step. */
function runToIdle(s: Scheduler, startS = 0): { endS: number; stepTokens: number[] } {
  let now = startS;
  const stepTokens: number[] = [];
  for (let plan = s.plan(now); plan !== null; plan = s.plan(now)) {
    now += stepTimeS(plan.shape);
    s.commit(plan, now);
    stepTokens.push(plan.shape.tokens);
  }
  return { endS: now, stepTokens };
}

describe('scheduler (vLLM V1 semantics, simulated time)', () => {
  it('one request: TTFT is the prefill step, then one decode step per token', () => {
    const s = new Scheduler(CONFIG);
    const r = s.add({ id: 0, promptTokens: 100, maxTokens: 5 }, 0);
    const { endS, stepTokens } = runToIdle(s);
    // Prefill 100 tokens: 10 + 100 = 110 ms; four decode steps of 10 + 1 = 11 ms → 154 ms.
    expect(stepTokens).toEqual([100, 1, 1, 1, 1]);
    expect(r.firstTokenS).toBeCloseTo(0.11, 12);
    expect(endS).toBeCloseTo(0.154, 12);
    expect(r.output).toBe(5);
    expect(r.finishReason).toBe('length');
    expect(s.usedBlocks).toBe(0);
  });

  it('never schedules a request into a step that began before it arrived', () => {
    // A late wake-up can plan a step that starts (simulated) before a request reached the
    // engine (wall clock). Queue time must stay ≥ 0, so that request waits for the next step.
    const s = new Scheduler(CONFIG);
    const r = s.add({ id: 0, promptTokens: 10, maxTokens: 2 }, 5);
    expect(s.plan(4)).toBeNull();
    const plan = s.plan(5)!;
    expect(plan.entries.map((e) => e.req)).toEqual([r]);
    s.commit(plan, 5 + stepTimeS(plan.shape));
    expect(r.firstScheduledS).toBe(5);
  });

  it('splits a long prompt into chunks of the token budget (chunked prefill)', () => {
    const s = new Scheduler({ ...CONFIG, maxNumBatchedTokens: 256 });
    const r = s.add({ id: 0, promptTokens: 1000, maxTokens: 2 }, 0);
    const { stepTokens } = runToIdle(s);
    // 1000 = 256 + 256 + 256 + 232; the first token comes with the last chunk, then 1 decode.
    expect(stepTokens).toEqual([256, 256, 256, 232, 1]);
    // Four prefill steps: 3 × (10 + 256) + (10 + 232) = 1040 ms.
    expect(r.firstTokenS).toBeCloseTo(1.04, 12);
  });

  it('running decodes take the budget first; a new prompt gets what is left', () => {
    const s = new Scheduler({ ...CONFIG, maxNumBatchedTokens: 20 });
    const a = s.add({ id: 0, promptTokens: 10, maxTokens: 10 }, 0);
    let plan = s.plan(0)!;
    s.commit(plan, stepTimeS(plan.shape)); // a: prefill 10 → first token
    const b = s.add({ id: 1, promptTokens: 30, maxTokens: 2 }, 0.02);
    plan = s.plan(0.02)!;
    // a decodes 1 token, b gets the remaining 19 of 20.
    expect(plan.entries.map((e) => [e.req.id, e.tokens])).toEqual([
      [0, 1],
      [1, 19],
    ]);
    s.commit(plan, 0.05);
    plan = s.plan(0.05)!;
    expect(plan.entries.map((e) => [e.req.id, e.tokens])).toEqual([
      [0, 1],
      [1, 11],
    ]);
    s.commit(plan, 0.08);
    expect(b.output).toBe(1);
    expect(a.output).toBe(3);
  });

  it('admits at most max_num_seqs requests; the rest wait for a slot', () => {
    const s = new Scheduler({ ...CONFIG, maxNumSeqs: 2 });
    const reqs = [0, 1, 2].map((id) => s.add({ id, promptTokens: 10, maxTokens: 3 }, 0));
    const first = s.plan(0)!;
    expect(first.entries.map((e) => e.req.id)).toEqual([0, 1]);
    expect(s.numRunning).toBe(2);
    expect(s.numWaiting).toBe(1);
    s.commit(first, 0.03);
    runToIdle(s, 0.03);
    // r0 and r1 finish after 3 steps (prefill 30 ms, then 2 × 12 ms = 54 ms); r2 starts there.
    expect(reqs[0]!.finishedS).toBeCloseTo(0.054, 12);
    expect(reqs[2]!.firstScheduledS).toBeCloseTo(0.054, 12);
  });

  it('preempts the last admitted request when KV blocks run out, and recomputes it later', () => {
    // 6 blocks of 4 tokens = 24 token slots; two requests of 8 prompt + 10 output tokens.
    const s = new Scheduler({ ...CONFIG, blockSize: 4, numBlocks: 6 });
    const r0 = s.add({ id: 0, promptTokens: 8, maxTokens: 10 }, 0);
    const r1 = s.add({ id: 1, promptTokens: 8, maxTokens: 10 }, 0);
    let now = 0;
    const step = () => {
      const plan = s.plan(now)!;
      now += stepTimeS(plan.shape);
      return s.commit(plan, now);
    };
    // Step 1: both prefill 8 tokens (2 blocks each). Step 2: each decodes its 9th token and takes
    // a 3rd block: free = 0. Steps 3–5 fit in 3 blocks (12 slots). Step 6: r0 needs a 4th block
    // for its 13th token → the last admitted, r1, is preempted and its 3 blocks freed.
    for (let i = 0; i < 5; i++) step();
    expect([r0.output, r1.output]).toEqual([5, 5]);
    expect(s.usedBlocks).toBe(6);
    const sixth = step();
    expect(sixth.preempted).toEqual([r1]);
    expect(r1.status).toBe('waiting');
    expect(r1.computed).toBe(0);
    expect(r1.output).toBe(5); // generated tokens are kept and recomputed, not lost
    expect(r1.preemptions).toBe(1);
    expect(r0.output).toBe(6);
    expect(s.usedBlocks).toBe(4);
    // The step that preempted admits nothing; r1 then waits for 4 blocks (13 tokens to redo).
    expect(sixth.sampled).toEqual([r0]);

    while (!s.idle) step();
    expect([r0.output, r1.output]).toEqual([10, 10]);
    expect([r0.finishReason, r1.finishReason]).toEqual(['length', 'length']);
    expect(s.totalPreemptions).toBe(1);
    expect(s.usedBlocks).toBe(0);
  });

  it('stops at the natural EOS unless ignored, and abort frees the blocks', () => {
    const s = new Scheduler(CONFIG);
    const natural = s.add({ id: 0, promptTokens: 20, maxTokens: 50, stopAtTokens: 3 }, 0);
    const aborted: EngineRequest = s.add({ id: 1, promptTokens: 40, maxTokens: 50 }, 0);
    const plan = s.plan(0)!;
    s.commit(plan, 0.07);
    // 20 tokens → 2 blocks, 40 tokens → 3 blocks.
    expect(s.usedBlocks).toBe(5);
    s.abort(aborted, 0.07);
    expect(aborted.finishReason).toBe('abort');
    expect(s.usedBlocks).toBe(2);
    runToIdle(s, 0.07);
    expect(natural.output).toBe(3);
    expect(natural.finishReason).toBe('stop');
  });
});
