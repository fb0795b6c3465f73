import { afterEach, describe, expect, it } from 'vitest';
import { resolveMeterConfig } from '../../src/meter/config.ts';
import { renderDashboard } from '../../src/meter/dashboard.ts';
import { DirectMeter } from '../../src/meter/directMeter.ts';
import { plainLine } from '../../src/meter/format.ts';
import type { MeterReading } from '../../src/meter/types.ts';
import { closeScrapeAgent } from '../../src/telemetry/scrape.ts';
import { type FakeVllm, freshState, observe, startFakeVllm } from './helpers/fakeVllm.ts';

const T0 = 1_800_000_000_000;

function meterFor(url: string, clock: { t: number }, extra: Record<string, unknown> = {}) {
  const config = resolveMeterConfig({
    url,
    gpuPrice: 6.98,
    interval: '5s',
    windows: '10s,1m',
    listen: false,
    timeout: '2s',
    ...extra,
  });
  return new DirectMeter(config, { now: () => clock.t });
}

const win = (r: MeterReading, i: number) => r.scopes[0]!.windows[i]!;

let servers: FakeVllm[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  await closeScrapeAgent();
});

describe('direct meter against a loopback server', () => {
  it('prices a window from counter deltas, keeps idle time in the average, stays read-only', async () => {
    const server = await startFakeVllm();
    servers.push(server);
    const clock = { t: T0 };
    const meter = meterFor(server.url, clock, { sloTtftP99Ms: 300 });
    Object.assign(server.state, { generationTokens: 1000, promptTokens: 2000 });
    server.state.finished.stop = 10;
    const first = await meter.sampleOnce();
    expect(first.status).toBe('ok');
    expect(win(first, 0).outputTokensPerS).toBeNull(); // one sample: no window yet

    // +12000 output, +24000 prompt, +60 finished (50 stop + 10 length) over 10 s; 100 TTFTs
    // of 0.2 s; running 0→8 and waiting 0→2.
    clock.t = T0 + 10_000;
    server.state.generationTokens += 12_000;
    server.state.promptTokens += 24_000;
    server.state.finished.stop += 50;
    server.state.finished.length = 10;
    observe(server.state.ttft, 0.2, 100);
    Object.assign(server.state, { running: 8, waiting: 2, kvUsage: 0.25 });
    const second = await meter.sampleOnce();
    const w = win(second, 0);

    expect(w.spanSeconds).toBe(10);
    expect(w.filled).toBe(true);
    expect(win(second, 1).filled).toBe(false); // the 1 m window holds 10 s so far
    expect(w.outputTokensPerS).toBe(1200); // 12000 / 10
    expect(w.promptTokensPerS).toBe(2400);
    expect(w.requestsPerS).toBe(6); // 60 / 10
    expect(w.arrivalsPerS).toBe(7); // (60 + (8 + 2) − 0) / 10
    // C_eff = 6.98 × 1e6 / (3600 × 1200) = 6 980 000 / 4 320 000 = 1.615740…
    expect(w.cost.cEffUsdPerMTok).toBeCloseTo(1.6157407407, 9);
    expect(w.cost.usdPerMInputTok).toBeCloseTo(0.8078703704, 9); // 6.98e6 / (3600 × 2400)
    expect(w.cost.usdPerRequest).toBeCloseTo(0.000323148148, 11); // 6.98 / (3600 × 6)
    expect(w.cost.idle).toBe(false);
    // All 100 TTFTs in (0.1, 0.25]: p99 = 0.1 + 0.15 × 99/100 = 0.2485 s; p50 = 0.1 + 0.15 × 0.5.
    expect(w.latencyMs.ttft.p99).toBeCloseTo(248.5, 9);
    expect(w.latencyMs.ttft.p50).toBeCloseTo(175, 9);
    expect(w.latencyMs.ttft.mean).toBeCloseTo(200, 9); // Δsum 20 / Δcount 100
    expect(w.slo?.checks[0]).toMatchObject({ metric: 'ttft', maxMs: 300, ok: true });
    expect(w.slo?.met).toBe(true);
    expect(second.scopes[0]!.state).toEqual({
      running: 8,
      waiting: 2,
      kvCacheUsageMax: 0.25,
      kvCacheUsageMean: 0.25,
    });
    // 10 s of a $6.98/h GPU = 6.98 × 10 / 3600 = $0.019388…, for 12 000 tokens.
    const cum1 = second.scopes[0]!.cumulative!;
    expect(cum1.usd).toBeCloseTo(0.0193888889, 9);
    expect(cum1.outputTokens).toBe(12_000);
    expect(cum1.usdPerMOutputTok).toBeCloseTo(1.6157407407, 9);

    // 10 s more with no traffic: the window is idle and the average doubles.
    clock.t = T0 + 20_000;
    const idle = await meter.sampleOnce();
    expect(win(idle, 0).outputTokensPerS).toBe(0);
    expect(win(idle, 0).cost.idle).toBe(true);
    expect(win(idle, 0).cost.cEffUsdPerMTok).toBe(Number.POSITIVE_INFINITY);
    expect(win(idle, 0).slo?.met).toBeNull(); // no request in the window to judge
    expect(plainLine(idle)).toContain('10s: idle ∞/M');
    // 20 s × 6.98 / 3600 = $0.038777…; over the same 12 000 tokens = $3.2314814…/M.
    expect(idle.scopes[0]!.cumulative!.usdPerMOutputTok).toBeCloseTo(3.2314814815, 9);
    // The 1 m window still spans both samples before it: 12 000 tokens / 20 s.
    expect(win(idle, 1).outputTokensPerS).toBe(600);

    expect(second.serverVersion).toBe('0.32.0');
    for (const line of server.requests) {
      expect(line).toMatch(/^GET \/(metrics|v1\/models|version)$/);
    }
    expect(server.requests.filter((l) => l === 'GET /metrics')).toHaveLength(3);
  });

  it('a restart resets the windows: no negative or spiking rate, and a recorded gap', async () => {
    const server = await startFakeVllm();
    servers.push(server);
    const clock = { t: T0 };
    const meter = meterFor(server.url, clock);
    const restarts: number[] = [];
    meter.on('restart', (e) => restarts.push(e.atMs));
    server.state.generationTokens = 50_000;
    await meter.sampleOnce();
    clock.t += 10_000;
    server.state.generationTokens = 60_000;
    const before = await meter.sampleOnce();
    expect(win(before, 0).outputTokensPerS).toBe(1000);

    // The process restarts: counters start again from 0, and 500 tokens were made since.
    Object.assign(server.state, freshState(), {
      generationTokens: 500,
      processStartS: 1_800_000_025,
    });
    clock.t += 10_000;
    const at = await meter.sampleOnce();
    expect(restarts).toEqual([clock.t]);
    expect(at.gaps).toHaveLength(1);
    expect(at.gaps[0]).toMatchObject({ kind: 'restart', startMs: T0 + 10_000, endMs: T0 + 20_000 });
    expect(at.scopes[0]!.restarts).toBe(1);
    for (const w of at.scopes[0]!.windows) expect(w.outputTokensPerS).toBeNull(); // refilling
    // Cumulative counts what the new process made (500), never the fall (−59 500).
    expect(at.scopes[0]!.cumulative!.outputTokens).toBe(10_000 + 500);

    clock.t += 10_000;
    server.state.generationTokens = 1500;
    const after = await meter.sampleOnce();
    expect(win(after, 0).outputTokensPerS).toBe(100); // (1500 − 500) / 10
    expect(win(after, 1).outputTokensPerS).toBe(100); // the 1 m window restarted too
    expect(win(after, 1).spanSeconds).toBe(10);
  });

  it('an unreachable server opens a gap; the meter recovers by itself', async () => {
    const server = await startFakeVllm();
    servers.push(server);
    const clock = { t: T0 };
    const meter = meterFor(server.url, clock);
    const events: string[] = [];
    meter.on('gap', (g) => events.push(`gap:${g.kind}`));
    meter.on('recovered', (g) => events.push(`recovered:${g.kind}`));
    server.state.generationTokens = 1000;
    await meter.sampleOnce();
    await server.close();

    clock.t += 5_000;
    const down1 = await meter.sampleOnce();
    clock.t += 5_000;
    const down2 = await meter.sampleOnce();
    expect(down1.status).toBe('gap');
    expect(down2.scopes[0]!.up).toBe(false);
    expect(down2.lastError).toContain(server.url);
    expect(down2.gaps).toEqual([
      expect.objectContaining({ kind: 'unreachable', startMs: T0, endMs: null, failedScrapes: 2 }),
    ]);
    // The GPU is still billed while the server is away: 10 s × 6.98 / 3600.
    expect(down2.scopes[0]!.cumulative!.usd).toBeCloseTo(0.0193888889, 9);
    expect(plainLine(down2)).toMatch(/GAP .* down .*gap unreachable since/);

    // Back on the same port as a new process.
    const back = await startFakeVllm(freshState(), server.port);
    servers = [back];
    back.state.processStartS = 1_800_000_100;
    back.state.generationTokens = 200;
    clock.t += 5_000;
    const up = await meter.sampleOnce();
    expect(up.status).toBe('ok');
    expect(up.gaps).toEqual([
      expect.objectContaining({
        kind: 'restart',
        startMs: T0,
        endMs: T0 + 15_000,
        failedScrapes: 2,
      }),
    ]);
    expect(events).toEqual(['gap:unreachable', 'recovered:restart']);
    clock.t += 5_000;
    back.state.generationTokens = 700;
    const next = await meter.sampleOnce();
    expect(win(next, 0).outputTokensPerS).toBe(100); // (700 − 200) / 5
  });

  it('prices against the paper reference the server matches, with its workload protocol', async () => {
    const server = await startFakeVllm(); // serves meta-llama/Llama-3.1-8B-Instruct, vLLM
    servers.push(server);
    const clock = { t: T0 };
    const config = resolveMeterConfig({
      url: server.url,
      gpu: 'h100',
      quantization: 'fp16',
      interval: '5s',
      windows: '10s',
      listen: false,
    });
    const meter = new DirectMeter(config, { now: () => clock.t });
    await meter.sampleOnce();
    clock.t += 10_000;
    server.state.generationTokens = 12_000; // 1200 tok/s
    const reading = await meter.sampleOnce();
    const scope = reading.scopes[0]!;
    // Paper config C1 (vLLM, Llama-3.1-8B FP16, 1×H100): θ_max 6237.6 tok/s, C_naive $0.3108/M
    // at $6.98/h (paper note, C_eff matrix). Penalty at 1200 tok/s = 6237.6 / 1200 = 5.198.
    expect(scope.reference?.thetaMaxTokPerS).toBeCloseTo(6237.6, 1);
    expect(scope.reference?.cNaiveUsdPerMTok).toBeCloseTo(0.3108, 4);
    expect(scope.windows[0]!.cost.penalty).toBeCloseTo(5.198, 3);
    expect(scope.windows[0]!.cost.cNaiveUsdPerMTok).toBeCloseTo(0.3108, 4);
    expect(scope.reference?.protocol).toMatch(/random prompts 512 in \/ 256 out tokens, poisson/);
    expect(scope.reference?.protocol).toContain('paper C1');
    expect(plainLine(reading)).toContain('penalty 5.20×');
  });

  it('names why no reference applies when the precision is not given', async () => {
    const server = await startFakeVllm();
    servers.push(server);
    const meter = meterFor(server.url, { t: T0 }, { gpu: 'h100', gpuPrice: undefined });
    const reading = await meter.sampleOnce();
    expect(reading.scopes[0]!.reference).toBeNull();
    // The paper measured Llama-3.1-8B on 1×H100 in float16 (C1) and fp8; vLLM reports neither.
    expect(reading.scopes[0]!.referenceNote).toBe(
      'the server does not report its precision and the paper measured this setup in float16 ' +
        'and fp8: pass --quantization float16 or fp8',
    );
    expect(renderDashboard(reading, { rows: 40 })).toContain('pass --quantization float16 or fp8');
  });

  it('reads the precision from an FP8 checkpoint served under its own name', async () => {
    const server = await startFakeVllm(freshState('RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8'));
    servers.push(server);
    const meter = meterFor(server.url, { t: T0 }, { gpu: 'h100', gpuPrice: undefined });
    const reading = await meter.sampleOnce();
    // Paper config C2 is vLLM, Llama-3.1-8B FP8, 1×H100: no --quantization needed.
    expect(reading.scopes[0]!.reference?.protocol).toContain('paper C2');
    expect(reading.scopes[0]!.referenceNote).toBeNull();
  });
});
