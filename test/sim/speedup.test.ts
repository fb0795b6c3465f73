import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveEngine } from '../../src/sim/liveEngine.ts';
import { EngineMetrics } from '../../src/sim/metricsState.ts';
import { simulateBench } from '../../src/sim/offline.ts';
import { resolveProfile } from '../../src/sim/profiles.ts';
import { postJson, sampleValue } from './http.ts';
import { startSimProcess } from './simProcess.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('--speedup: a speedup-N server behaves like hardware N× faster, in wall-clock', () => {
  it.each([1, 4, 20])(
    'speedup %i: token times are the offline prediction divided by N',
    (speedup) => {
      // Fake timers make the wall clock exact, so the engine's own arithmetic is what is tested.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const profile = resolveProfile('h100-llama3.1-8b-fp16');
      const offline = simulateBench(profile, {
        rateRps: 1,
        prompts: 1,
        inputTokens: 512,
        outputTokens: 64,
      });
      const clockS = () => Date.now() / 1000;
      const metrics = new EngineMetrics(clockS(), profile.scheduler.maxModelLen);
      const engine = new LiveEngine(profile, speedup, clockS, metrics);
      const arrivalS = clockS();
      const tokenTimesS: number[] = [];
      engine.submit(
        { promptTokens: 512, maxTokens: 64, maxTokensParam: 64, stopAtTokens: null, arrivalS },
        { onToken: (_n, atS) => tokenTimesS.push(atS - arrivalS) },
      );
      vi.runAllTimers();
      expect(tokenTimesS).toHaveLength(64);
      // Fake timers fire on whole milliseconds; steps chain at their exact end times, so the
      // error stays under one millisecond per token instead of adding up.
      expect(Math.abs(tokenTimesS[0]! * 1e3 - offline.ttft.p50Ms! / speedup)).toBeLessThan(1);
      expect(Math.abs(tokenTimesS[63]! * 1e3 - offline.e2e.p50Ms! / speedup)).toBeLessThan(1);
      // The engine's own histograms hold the same wall-clock numbers.
      expect(metrics.hist.ttft.sum).toBeCloseTo(tokenTimesS[0]!, 9);
      expect(metrics.hist.e2e.sum).toBeCloseTo(tokenTimesS[63]!, 9);
      engine.stop();
    },
  );

  it("over HTTP, the server's TTFT and E2E histograms agree with the client's clock", async () => {
    const sim = await startSimProcess(['--profile', 'demo', '--speedup', '4']);
    try {
      const client: Array<{ ttftMs: number; e2eMs: number }> = [];
      const scrape = async () => (await fetch(`${sim.url}/metrics`)).text();
      let before = '';
      // Two warm-up requests (connection, lazy module loading), then 8 measured ones.
      for (let i = 0; i < 10; i++) {
        if (i === 2) before = await scrape();
        const sent = performance.now();
        const res = await postJson(`${sim.url}/v1/completions`, {
          prompt: new Array(128).fill(3),
          max_tokens: 32,
          ignore_eos: true,
          stream: true,
        });
        const reader = res.body!.getReader();
        let first: number | null = null;
        for (;;) {
          const { done } = await reader.read();
          if (done) break;
          first ??= performance.now();
        }
        if (i >= 2) client.push({ ttftMs: first! - sent, e2eMs: performance.now() - sent });
      }
      const metrics = await scrape();
      const delta = (name: string) => sampleValue(metrics, name) - sampleValue(before, name);
      const meanMs = (name: string) => (1000 * delta(`${name}_sum`)) / delta(`${name}_count`);
      const mean = (k: 'ttftMs' | 'e2eMs') => client.reduce((s, c) => s + c[k], 0) / client.length;
      expect(delta('vllm:e2e_request_latency_seconds_count')).toBe(8);
      // Causality: each request's server span (handler → last write) lies inside the client's
      // (send → last read), so the server's means cannot exceed the client's, however busy the
      // machine. And the server reports wall-clock seconds: in simulated seconds its E2E would be
      // 4× the client's; halving or quartering it by mistake would fail the lower bound.
      expect(meanMs('vllm:time_to_first_token_seconds')).toBeLessThanOrEqual(mean('ttftMs'));
      expect(meanMs('vllm:e2e_request_latency_seconds')).toBeLessThanOrEqual(mean('e2eMs'));
      expect(meanMs('vllm:e2e_request_latency_seconds')).toBeGreaterThan(0.5 * mean('e2eMs'));
    } finally {
      await sim.stop();
    }
  });
});
