import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveStep } from '../../src/load/driver.ts';
import { buildPlan } from '../../src/load/schedule.ts';
import type { Api, DriveSummary, RequestRecord, StepDriveOptions } from '../../src/load/types.ts';
import type { TimedOptions, Truth } from './servers.ts';

// 100 req/s for 3 s against a server that writes chunks of 1, 1, 2, 1, 3, 1, 1 tokens
// (10 tokens) 12 ms after arrival and then every 4 ms.
const CHUNK_TOKENS = [1, 1, 2, 1, 3, 1, 1];
const TOTAL = 10;

let child: ChildProcess;
let url: string;
beforeAll(async () => {
  const options: TimedOptions = {
    ttftMs: 12,
    itlMs: 4,
    chunkTokens: CHUNK_TOKENS,
    promptTokens: 21,
  };
  child = fork(
    new URL('./timedServer.child.ts', import.meta.url).pathname,
    [JSON.stringify(options)],
    {
      execArgv: ['--import', 'tsx'],
    },
  );
  const [message] = (await once(child, 'message')) as [{ url: string }];
  url = message.url;
  // A throwaway step first: JIT compilation and the first connections of a cold process cost
  // tens of milliseconds that belong to no driver under test.
  await run('completions', false, 1);
});
afterAll(() => {
  child.disconnect();
});

/** Server clock minus ours (ms), from the IPC ping with the shortest round trip. */
async function clockOffsetMs(): Promise<number> {
  let best = { rttMs: Number.POSITIVE_INFINITY, offsetMs: 0 };
  for (let i = 0; i < 30; i++) {
    const t1 = performance.timeOrigin + performance.now();
    child.send({ type: 'clock', t1 });
    const [message] = (await once(child, 'message')) as [{ t2: number }];
    const t4 = performance.timeOrigin + performance.now();
    if (t4 - t1 < best.rttMs) best = { rttMs: t4 - t1, offsetMs: message.t2 - (t1 + t4) / 2 };
  }
  return best.offsetMs;
}

async function serverTruth(): Promise<Map<string, Truth>> {
  child.send({ type: 'truth' });
  const [message] = (await once(child, 'message')) as [{ truth: Record<string, Truth> }];
  return new Map(Object.entries(message.truth));
}

async function run(api: Api, continuousUsage: boolean, measureSeconds = 2.5) {
  const plan = buildPlan({
    arrival: { kind: 'poisson' },
    rateRps: 100,
    warmupSeconds: 0.5,
    measureSeconds,
    promptLength: { kind: 'fixed', value: 21 },
    outputLength: { kind: 'fixed', value: TOTAL },
    seed: 3,
    streamId: `timing/${api}/${continuousUsage}`,
  });
  const records: RequestRecord[] = [];
  const options: StepDriveOptions = {
    baseUrl: url,
    api,
    model: 'm',
    plan,
    maxConcurrency: null,
    requestTimeoutMs: 5000,
    drainTimeoutMs: 5000,
    shape: {
      ignoreEos: true,
      pinOutputLength: true,
      continuousUsage,
      temperature: 0,
      extraBody: {},
    },
    prompt: { vocabSize: 32_000, tokenizerPath: null, salt: 'timing' },
    apiKey: null,
    labels: { variant: 'v', stepIndex: 0, repeat: 0, rateRps: 100 },
    recordChunks: true,
    onRecord: (r) => records.push(r),
  };
  const summary = await driveStep(options);
  return { summary, records, plan, truth: await serverTruth(), offsetMs: await clockOffsetMs() };
}

/**
 * Share of the last 10 s in which some task waited for a CPU (Linux PSI), or null where the
 * kernel does not report it. Above 20% the 1 ms bars measure the machine more than the driver.
 */
function cpuPressure(): number | null {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? '';
    const match = /avg10=([\d.]+)/.exec(line);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Waits up to `limitMs` for the CPU pressure to fall to `bar`%: the test runs right after the
 * main suite, whose load lingers in the 10 s average. Returns the last reading.
 */
async function quietCpu(bar: number, limitMs: number): Promise<number | null> {
  const until = Date.now() + limitMs;
  let pressure = cpuPressure();
  while (pressure !== null && pressure > bar && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    pressure = cpuPressure();
  }
  return pressure;
}

/** Fraction of values within 1 ms, and the median absolute value. */
function accuracy(errors: number[]): { within1ms: number; medianAbs: number } {
  const abs = errors.map(Math.abs).sort((a, b) => a - b);
  return {
    within1ms: abs.filter((e) => e < 1).length / abs.length,
    medianAbs: abs[Math.floor(abs.length / 2)]!,
  };
}

function check(
  summary: DriveSummary,
  records: RequestRecord[],
  planned: number,
  truths: Map<string, Truth>,
  offsetMs: number,
) {
  expect(records).toHaveLength(planned);
  expect(summary.ok).toBe(planned);
  expect(summary.failed + summary.incomplete).toBe(0);

  const ttftErrors: number[] = [];
  const itlErrors: number[] = [];
  let itlSamples = 0;
  let inWindow = 0;
  for (const r of records) {
    const truth = truths.get(r.id)!;
    expect(r.outputTokens).toBe(TOTAL);
    // θ counts every token that arrived inside the window, warm-up requests' too.
    inWindow += r.chunkAtMs!.reduce(
      (sum, t, i) =>
        t >= summary.measureStartAtMs && t <= summary.measureEndAtMs
          ? sum + r.chunkTokens![i]!
          : sum,
      0,
    );
    if (r.phase === 'warmup') continue;
    expect(r.chunks).toBe(CHUNK_TOKENS.length);
    expect(r.chunkTokens).toEqual(CHUNK_TOKENS);
    // TTFT truth: the server's first content write − the driver's send, on one clock (the chat
    // role chunk is not a token). The request's own transit is real latency, part of the truth;
    // the error is how late the driver stamps what it received.
    const sentEpochMs = summary.originEpochMs + r.sentAtMs! + offsetMs;
    ttftErrors.push(r.ttftMs! - (truth.writes[0]!.at - sentEpochMs));
    // Per-token ITL truth: gap between writes, then zeros for the chunk's other tokens.
    const truthItl: number[] = [];
    const clientItl: number[] = [];
    const at = r.chunkAtMs!;
    for (let i = 0; i < truth.writes.length; i++) {
      if (i > 0) {
        truthItl.push(truth.writes[i]!.at - truth.writes[i - 1]!.at);
        clientItl.push(at[i]! - at[i - 1]!);
      }
      for (let k = 1; k < truth.writes[i]!.tokens; k++) {
        truthItl.push(0);
        clientItl.push(0);
      }
    }
    expect(truthItl).toHaveLength(TOTAL - 1);
    expect(r.itl!.count).toBe(TOTAL - 1);
    for (let i = 0; i < truthItl.length; i++) itlErrors.push(clientItl[i]! - truthItl[i]!);
    itlSamples += TOTAL - 1;
    // TPOT by definition: (E2E − TTFT) / (10 − 1).
    expect(r.tpotMs!).toBeCloseTo((r.e2eMs! - r.ttftMs!) / 9, 9);
  }
  const ttft = accuracy(ttftErrors);
  const itl = accuracy(itlErrors);
  console.log(
    `TTFT error: median ${ttft.medianAbs.toFixed(3)} ms, ${(100 * ttft.within1ms).toFixed(1)}% ` +
      `within 1 ms; ITL error: median ${itl.medianAbs.toFixed(3)} ms, ` +
      `${(100 * itl.within1ms).toFixed(1)}% within 1 ms (n = ${records.length})`,
  );
  // Within 1 ms of the truth; a shared 2-core machine may stall a few requests, so the bar is
  // the median and 90% of samples rather than every one (measured here with a CPU vLLM busy on
  // the same cores: 95-99% within 1 ms).
  expect(ttft.medianAbs).toBeLessThan(1);
  expect(ttft.within1ms).toBeGreaterThan(0.9);
  expect(itl.medianAbs).toBeLessThan(1);
  expect(itl.within1ms).toBeGreaterThan(0.9);

  expect(summary.itlPooled.count).toBe(itlSamples);
  // Pooled percentiles (HDR, 3 significant digits, µs) against exact nearest-rank values.
  const pooled = records
    .filter((r) => r.phase === 'measure')
    .flatMap((r) => {
      const out: number[] = [];
      r.chunkAtMs!.forEach((t, i) => {
        if (i > 0) out.push(t - r.chunkAtMs![i - 1]!);
        for (let k = 1; k < r.chunkTokens![i]!; k++) out.push(0);
      });
      return out;
    })
    .sort((a, b) => a - b);
  expect(pooled).toHaveLength(itlSamples);
  for (const [p, value] of [
    [50, summary.itlPooled.p50Ms!],
    [90, summary.itlPooled.p90Ms!],
    [99, summary.itlPooled.p99Ms!],
  ] as const) {
    const exact = pooled[Math.ceil((p / 100) * pooled.length) - 1]!;
    expect(Math.abs(value - exact)).toBeLessThanOrEqual(exact * 0.001 + 0.001);
  }
  expect(summary.outputTokensInWindow).toBe(inWindow);
}

// One retry: a 2-core machine shared with other jobs can stall a whole run for milliseconds.
describe('timing against a server that writes tokens at known times, 100 req/s', {
  retry: 1,
}, () => {
  it('completions with continuous usage: TTFT and per-token ITL within 1 ms', async () => {
    await quietCpu(20, 60_000);
    const { summary, records, plan, truth, offsetMs } = await run('completions', true);
    check(summary, records, plan.requests.length, truth, offsetMs);
    expect(records.every((r) => r.outputTokensSource === 'usage')).toBe(true);
    expect(records.every((r) => r.promptTokens === 21 && r.promptTokensSource === 'usage')).toBe(
      true,
    );
  });

  it('chat: the role chunk is not the first token', async () => {
    await quietCpu(20, 60_000);
    const { summary, records, plan, truth, offsetMs } = await run('chat', true);
    check(summary, records, plan.requests.length, truth, offsetMs);
    // The role chunk came 1 ms after arrival, the first token 12 ms after: TTFT must be ≈ 12.
    const ttfts = records.map((r) => r.ttftMs!).sort((a, b) => a - b);
    expect(ttfts[Math.floor(ttfts.length / 2)]!).toBeGreaterThan(11);
  });
});
