import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveStep } from '../../src/load/driver.ts';
import { buildPlan } from '../../src/load/schedule.ts';
import type { DriveSummary, RequestRecord } from '../../src/load/types.ts';
import { TTFT_BUCKETS } from '../../src/sim/metricsState.ts';
import { parsePromText } from '../../src/telemetry/promText.ts';
import { closeScrapeAgent, scrapeMetrics } from '../../src/telemetry/scrape.ts';
import type { VllmSnapshot } from '../../src/telemetry/types.ts';
import { snapshotFromMetrics } from '../../src/telemetry/vllmModel.ts';
import { windowBetween } from '../../src/telemetry/windows.ts';
import { type SimProcess, startSimProcess } from './simProcess.ts';

/**
 * Acceptance of issue #8: the load driver and the telemetry core, run against the simulator,
 * agree — completed requests and generated tokens exactly, throughput within 2 %, TTFT p50
 * within one histogram bucket. The simulator runs as its own process (as the harness starts
 * it) with speedup 4: the demo hardware made 4× faster, so 100 requests at 20 req/s, below
 * the knee, take about 5 s.
 */

const REQUESTS = 100;
const OUTPUT = 32;

let sim: SimProcess;
let records: RequestRecord[];
let summary: DriveSummary;
let before: VllmSnapshot;
let after: VllmSnapshot;
/** Scrapes taken while the step ran, stamped at the midpoint of each scrape. */
const during: VllmSnapshot[] = [];

async function snapshot(): Promise<VllmSnapshot> {
  const sentMs = Date.now();
  const scraped = await scrapeMetrics(`${sim.url}/metrics`, { timeoutMs: 5000 });
  const midMs = (sentMs + Date.now()) / 2;
  return snapshotFromMetrics(parsePromText(scraped.text), midMs);
}

beforeAll(async () => {
  sim = await startSimProcess(['--profile', 'demo', '--speedup', '4']);
  records = [];
  before = await snapshot();
  let scraping = true;
  const scraper = (async () => {
    while (scraping) {
      during.push(await snapshot());
      await new Promise((r) => setTimeout(r, 400));
    }
  })();
  summary = await driveStep({
    baseUrl: sim.url,
    api: 'completions',
    model: 'demo-1b',
    plan: buildPlan({
      arrival: { kind: 'poisson' },
      rateRps: 20,
      warmupSeconds: 0,
      measureRequests: REQUESTS,
      promptLength: { kind: 'fixed', value: 64 },
      outputLength: { kind: 'fixed', value: OUTPUT },
      seed: 7,
      streamId: 'sim-agreement',
    }),
    maxConcurrency: null,
    requestTimeoutMs: 30_000,
    drainTimeoutMs: 30_000,
    shape: {
      ignoreEos: true,
      pinOutputLength: false,
      continuousUsage: false,
      temperature: null,
      extraBody: {},
    },
    prompt: { vocabSize: 32_000, tokenizerPath: null, salt: 'agree' },
    apiKey: null,
    labels: { variant: 'sim', stepIndex: 0, repeat: 0, rateRps: 20 },
    recordChunks: true,
    onRecord: (r) => records.push(r),
  });
  scraping = false;
  await scraper;
  after = await snapshot();
}, 90_000);

afterAll(async () => {
  await closeScrapeAgent();
  const stopped = await sim.stop();
  expect(stopped.exitCode).toBe(0);
});

/** Index of the TTFT bucket holding a value (first bound ≥ it). */
const bucketOf = (seconds: number) => {
  const i = TTFT_BUCKETS.findIndex((bound) => seconds <= bound);
  return i < 0 ? TTFT_BUCKETS.length : i;
};

describe('driver and telemetry agree when run against the simulator', () => {
  it('completed requests and generated tokens match exactly', () => {
    const window = windowBetween(before, after);
    const ok = records.filter((r) => r.ok);
    expect(summary.ok).toBe(REQUESTS);
    expect(summary.failed).toBe(0);
    expect(window.increases.requests).toBe(ok.length);
    expect(window.increases.requestsByReason).toEqual({
      stop: 0,
      length: REQUESTS,
      abort: 0,
      error: 0,
      repetition: 0,
    });
    const clientTokens = ok.reduce((sum, r) => sum + (r.outputTokens ?? 0), 0);
    expect(clientTokens).toBe(REQUESTS * OUTPUT);
    expect(window.increases.outputTokens).toBe(clientTokens);
    // Token-id prompts are counted exactly by the server too.
    expect(window.increases.promptTokens).toBe(REQUESTS * 64);
  });

  it('throughput over the same window agrees within 2 %', () => {
    // Two scrapes taken while the step was running bound the window; the client's tokens in
    // it are counted from chunk arrival times, the server's from its counter increase.
    expect(during.length).toBeGreaterThanOrEqual(6);
    const a = during[1]!;
    const b = during[during.length - 2]!;
    const seconds = (b.timeMs - a.timeMs) / 1000;
    const serverTokPerS = windowBetween(a, b).increases.outputTokens! / seconds;
    let clientTokens = 0;
    for (const r of records) {
      for (const at of r.chunkAtMs ?? []) {
        const epochMs = summary.originEpochMs + at;
        if (epochMs > a.timeMs && epochMs <= b.timeMs) clientTokens += 1;
      }
    }
    const clientTokPerS = clientTokens / seconds;
    expect(clientTokPerS).toBeGreaterThan(300);
    expect(Math.abs(serverTokPerS / clientTokPerS - 1)).toBeLessThan(0.02);
  });

  it('TTFT p50 falls within one histogram bucket', () => {
    const window = windowBetween(before, after);
    const ttfts = records.map((r) => r.ttftMs!).sort((x, y) => x - y);
    const clientP50S = (ttfts[49]! + ttfts[50]!) / 2 / 1000;
    const serverP50S = window.latencyMs.ttft.p50! / 1000;
    expect(window.latencyMs.ttft.count).toBe(REQUESTS);
    expect(Math.abs(bucketOf(clientP50S) - bucketOf(serverP50S))).toBeLessThanOrEqual(1);
  });
});
