/**
 * `inspect` of the live server through the real CLI: two scrapes ten seconds apart with three
 * requests in between, read back as JSON. Every concept of vLLM's V1 metrics must be found and
 * must move by exactly what the three requests did.
 */

import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { captureStream } from './helpers/streamCapture.ts';
import { REPO_ROOT, SERVED_MODEL } from './helpers/vllmEnv.ts';

const vllm = inject('vllm');
const ready = vllm.status === 'ready' ? vllm : null;

const REQUESTS = 3;
const OUTPUT_TOKENS = 16;

interface Quantiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  mean: number | null;
  count: number;
}

describe.skipIf(ready === null)('real vLLM (CPU build) — inspect through the CLI', () => {
  const server = ready!;

  it('finds every V1 concept and reports exactly the requests sent inside its window', async () => {
    const cli = execa(
      'node',
      [`${REPO_ROOT}/bin/vllm-cost-meter.js`, 'inspect', `${server.baseUrl}/metrics`, '--json'],
      { reject: false, timeout: 120_000 },
    );
    // The CLI logs when its first scrape is done: the window (10 s for a URL) starts there.
    const windowOpen = new Promise<void>((resolve) => {
      cli.stderr?.on('data', (chunk: Buffer) => {
        if (/again in \d+ s/.test(chunk.toString())) resolve();
      });
    });
    await windowOpen;
    const promptTokens: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const stream = await captureStream(server.baseUrl, '/v1/completions', {
        model: SERVED_MODEL,
        prompt: `Request number ${i} sent inside the inspect window.`,
        max_tokens: OUTPUT_TOKENS,
        ignore_eos: true,
        stream: true,
        stream_options: { include_usage: true },
      });
      promptTokens.push((stream.json.at(-1)!.usage as { prompt_tokens: number }).prompt_tokens);
    }
    const result = await cli;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const report = JSON.parse(String(result.stdout));

    expect(report.vllmNames.era).toBe('v1');
    for (const [concept, name] of Object.entries(report.vllmNames.names)) {
      expect(name, concept).not.toBeNull();
    }
    // The window's increases are the three requests, token for token (their own usage).
    const promptSum = promptTokens.reduce((a, b) => a + b, 0);
    expect(report.increases).toMatchObject({
      outputTokens: REQUESTS * OUTPUT_TOKENS,
      promptTokens: promptSum,
      requests: REQUESTS,
      requestsByReason: { length: REQUESTS, stop: 0, abort: 0 },
      preemptions: 0,
    });
    for (const [rate, value] of Object.entries(report.rates)) {
      expect(value, `rate ${rate}`).not.toBeNull();
    }
    expect(report.rates.outputTokensPerS).toBeCloseTo(
      (REQUESTS * OUTPUT_TOKENS) / report.windowSeconds,
      6,
    );
    // Each latency histogram counted each request once (ITL: once per token after the first).
    const latency = report.latencyMs as Record<string, Quantiles>;
    for (const concept of ['ttft', 'e2e', 'tpot', 'queue', 'prefill', 'decode']) {
      expect(latency[concept]!.count, concept).toBe(REQUESTS);
      expect(latency[concept]!.p50, concept).not.toBeNull();
      expect(latency[concept]!.mean, concept).not.toBeNull();
    }
    expect(latency.itl!.count).toBe(REQUESTS * (OUTPUT_TOKENS - 1));
    const lengths = report.lengths as Record<string, Quantiles>;
    expect(lengths.generation!.count).toBe(REQUESTS);
    expect(lengths.generation!.mean).toBe(OUTPUT_TOKENS);
    expect(lengths.prompt!.mean).toBeCloseTo(promptSum / REQUESTS, 9);
    expect(report.state).toEqual({
      running: 0,
      waiting: 0,
      kvCacheUsageMax: 0,
      kvCacheUsageMean: 0,
    });
    expect(report.resets).toEqual([]);
    expect(Object.keys(report.byModel)).toEqual([SERVED_MODEL]);
  });
});
