import { describe, expect, it } from 'vitest';
import { RollingWindows } from '../../src/meter/rollingWindows.ts';
import { parsePromText } from '../../src/telemetry/promText.ts';
import type { VllmSnapshot } from '../../src/telemetry/types.ts';
import { snapshotFromMetrics } from '../../src/telemetry/vllmModel.ts';
import { type FakeState, freshState, metricsText, observe } from './helpers/fakeVllm.ts';

const T0 = 1_800_000_000_000;
const snap = (state: FakeState, atS: number): VllmSnapshot =>
  snapshotFromMetrics(parsePromText(metricsText(state)), T0 + atS * 1000);

describe('rolling windows', () => {
  it('a window is the increase between its first and last sample over their span', () => {
    const windows = new RollingWindows([30, 60], 5000);
    const state = freshState();
    const increments = [100, 300, 0, 50, 250, 700];
    windows.push(snap(state, 0));
    increments.forEach((inc, i) => {
      state.generationTokens += inc;
      windows.push(snap(state, (i + 1) * 10));
    });
    const [w30, w60] = windows.windows();
    // 30 s window: samples at 30 … 60 s → (50 + 250 + 700) / 30 s = 33.33… tok/s.
    expect(w30?.spanSeconds).toBe(30);
    expect(w30?.filled).toBe(true);
    expect(w30?.stats?.rates.outputTokensPerS).toBeCloseTo(1000 / 30, 12);
    // 60 s window: all 1400 tokens over 60 s.
    expect(w60?.stats?.rates.outputTokensPerS).toBeCloseTo(1400 / 60, 12);
    // Older samples are dropped: 0 s is the oldest still needed by the 60 s window.
    expect(windows.size).toBe(7);
    state.generationTokens += 10;
    windows.push(snap(state, 70));
    expect(windows.size).toBe(7);
  });

  it('a duration histogram whose sum falls is no restart, and counts each observation once', () => {
    const windows = new RollingWindows([60], 5000);
    const state = freshState();
    windows.push(snap(state, 0));
    observe(state.ttft, 0.2, 10); // 10 observations, sum 2 s
    windows.push(snap(state, 10));
    observe(state.ttft, -0.5, 1); // a server bug: a negative duration; sum 1.5 s
    const pushed = windows.push(snap(state, 20));
    expect(pushed.restarted).toBe(false);
    const [w] = windows.windows();
    // 11 observations in the window, mean (2 − 0.5) / 11 s = 136.36… ms.
    expect(w?.stats?.latencyMs.ttft.count).toBe(11);
    expect(w?.stats?.latencyMs.ttft.mean).toBeCloseTo(1500 / 11, 9);
  });

  it('a counter that falls restarts every window from the new sample', () => {
    const windows = new RollingWindows([60], 5000);
    const state = freshState();
    state.generationTokens = 5000;
    windows.push(snap(state, 0));
    state.generationTokens = 6000;
    windows.push(snap(state, 10));
    state.generationTokens = 40; // the counter fell: a new process
    const pushed = windows.push(snap(state, 20));
    expect(pushed.restarted).toBe(true);
    expect(pushed.resets.map((r) => r.concept)).toContain('generationTokens');
    expect(windows.size).toBe(1);
    expect(windows.windows()[0]?.stats).toBeNull();
    state.generationTokens = 240;
    windows.push(snap(state, 30));
    expect(windows.windows()[0]?.stats?.rates.outputTokensPerS).toBe(20); // 200 / 10 s
  });

  it('a new process start time is a restart even when counters did not fall', () => {
    const windows = new RollingWindows([60], 5000);
    const state = freshState();
    windows.push(snap(state, 0));
    state.processStartS += 100;
    state.generationTokens = 10;
    expect(windows.push(snap(state, 10)).restarted).toBe(true);
  });

  it('a clock that steps back starts the windows again', () => {
    const windows = new RollingWindows([60], 5000);
    const state = freshState();
    windows.push(snap(state, 10));
    windows.push(snap(state, 20));
    expect(windows.push(snap(state, 5)).step).toBeNull();
    expect(windows.size).toBe(1);
  });
});
