/**
 * The meter on what a real vLLM 0.32.0 served: /metrics scraped just before and just after a
 * `vllm bench serve` run (test/fixtures/vllm-0.32.0, see its PROVENANCE.md), replayed by a
 * loopback server. The benchmark's own result file is the independent reference.
 */

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveMeterConfig } from '../../src/meter/config.ts';
import { DirectMeter } from '../../src/meter/directMeter.ts';
import { closeScrapeAgent } from '../../src/telemetry/scrape.ts';

const DIR = new URL('../fixtures/vllm-0.32.0/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, DIR), 'utf8');
const bench = JSON.parse(read('bench-serve-rate5-n40.json')) as {
  completed: number;
  total_input_tokens: number;
  total_output_tokens: number;
  ttfts: number[];
};

const scrapes = [read('bench-serve-metrics-before.txt'), read('bench-serve-metrics-after.txt')];
const requests: string[] = [];
const server = createServer((req, res) => {
  requests.push(`${req.method} ${req.url}`);
  const body =
    req.url === '/metrics'
      ? (scrapes.shift() ?? '')
      : req.url === '/v1/models'
        ? read('models.json')
        : req.url === '/version'
          ? read('version.json')
          : null;
  res.writeHead(body === null ? 404 : 200, {
    'content-type':
      req.url === '/metrics' ? 'text/plain; version=1.0.0; charset=utf-8' : 'application/json',
  });
  res.end(body ?? '');
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await closeScrapeAgent();
});

describe('meter on real vLLM 0.32.0 scrapes around a vllm bench serve run', () => {
  it('counts exactly what the benchmark sent and prices it', async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clock = { t: 1_800_000_000_000 };
    const meter = new DirectMeter(
      resolveMeterConfig({ url, gpu: 'h100', interval: '5s', windows: '10s', listen: false }),
      { now: () => clock.t },
    );
    await meter.sampleOnce();
    clock.t += 10_000; // the two scrapes are placed 10 s apart on the meter's clock
    const reading = await meter.sampleOnce();
    const w = reading.scopes[0]!.windows[0]!;

    // The benchmark's result: 5120 output and 10 984 input tokens, 40 completed requests.
    expect(w.outputTokensPerS).toBe(bench.total_output_tokens / 10);
    expect(w.promptTokensPerS).toBe(bench.total_input_tokens / 10);
    expect(w.requestsPerS).toBe(bench.completed / 10);
    // C_eff = 6.98 × 1e6 / (3600 × 512) = 3.7868923…
    expect(w.cost.cEffUsdPerMTok).toBeCloseTo(3.7868923611, 9);
    expect(reading.scopes[0]!.cumulative!.outputTokens).toBe(bench.total_output_tokens);

    // Windowed TTFT, by hand from the two scrapes (after − before): cumulative counts 1 (≤0.02),
    // 12 (≤0.04), 20 (≤0.06), 25 (≤0.08), 26 (≤0.1), 35 (≤0.25), 40 (≤0.5) of 40 requests.
    // p50: rank 20 falls at the top of (0.04, 0.06] → 0.04 + 0.02 × 8/8 = 60 ms.
    // p99: rank 39.6 in (0.25, 0.5] → 0.25 + 0.25 × 4.6/5 = 480 ms.
    // mean: (4.717929840087891 − 0.46854424476623535) / 40 s = 106.2346… ms.
    expect(w.latencyMs.ttft.count).toBe(bench.completed);
    expect(w.latencyMs.ttft.p50).toBeCloseTo(60, 9);
    expect(w.latencyMs.ttft.p99).toBeCloseTo(480, 9);
    expect(w.latencyMs.ttft.mean).toBeCloseTo(106.2346399, 6);
    // The client measured more (142 ms mean): network, SSE parsing and its own loop on 2 cores.
    const clientMeanMs = (bench.ttfts.reduce((a, b) => a + b, 0) / bench.ttfts.length) * 1000;
    expect(clientMeanMs).toBeGreaterThan(w.latencyMs.ttft.mean as number);

    expect(reading.serverVersion).toBe('0.32.0');
    expect(reading.vllmEra).toBe('v1');
    expect(reading.scopes[0]!.model).toBe('tiny');
    expect(reading.scopes[0]!.referenceNote).toMatch(/no reference curve for model/);
    expect(requests.every((r) => /^GET \/(metrics|v1\/models|version)$/.test(r))).toBe(true);
  });
});
