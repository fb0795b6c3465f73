import { spawnSync } from 'node:child_process';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMeterConfig } from '../../src/meter/config.ts';
import { DirectMeter } from '../../src/meter/directMeter.ts';
import { type MeterEndpoint, startEndpoint } from '../../src/meter/endpoint.ts';
import { createExporter, type MeterExporter } from '../../src/meter/exporter.ts';
import type { MeterReading } from '../../src/meter/types.ts';
import { closeScrapeAgent } from '../../src/telemetry/scrape.ts';
import { type FakeVllm, observe, startFakeVllm } from './helpers/fakeVllm.ts';

const T0 = 1_800_000_000_000;
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

let server: FakeVllm;
let exporter: MeterExporter;
let endpoint: MeterEndpoint;
let readings: MeterReading[] = [];

/** The value of one exposition line whose name and labels contain every given fragment. */
function sampleValue(text: string, name: string, ...fragments: string[]): string | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && fragments.every((f) => l.includes(f)));
  return line?.slice(line.lastIndexOf(' ') + 1);
}

beforeAll(async () => {
  server = await startFakeVllm();
  const clock = { t: T0 };
  const config = resolveMeterConfig({
    url: server.url,
    gpu: 'h100',
    interval: '5s',
    windows: '10s,1m',
    listen: false,
    sloTtftP99Ms: 250,
  });
  const meter = new DirectMeter(config, { now: () => clock.t });
  exporter = createExporter();
  meter.on('reading', (r) => {
    readings.push(r);
    exporter.update(r);
  });
  endpoint = await startEndpoint({
    host: '127.0.0.1',
    port: 0,
    exporter,
    latest: () => meter.latest,
  });
  await meter.sampleOnce();
  // 5000 output tokens and 10 requests in 10 s; 10 TTFTs of 0.3 s (bucket 0.25–0.5).
  clock.t += 10_000;
  server.state.generationTokens = 5000;
  server.state.finished.stop = 10;
  observe(server.state.ttft, 0.3, 10);
  await meter.sampleOnce();
  // Then 10 idle seconds.
  clock.t += 10_000;
  await meter.sampleOnce();
  readings = readings.slice();
});

afterAll(async () => {
  await endpoint.close();
  await server.close();
  await closeScrapeAgent();
});

const get = async (path: string, method = 'GET') => {
  const res = await request(`${endpoint.url}${path}`, { method: method as 'GET' });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
};

describe('exporter and endpoint', () => {
  it('exports the cost series with model and GPU labels, +Inf when idle', async () => {
    const { status, headers, body } = await get('/metrics');
    expect(status).toBe(200);
    expect(headers['content-type']).toContain('text/plain');
    const labels = `replica="127.0.0.1:${server.port}",model="meta-llama/Llama-3.1-8B-Instruct",gpu="h100"`;
    // Last reading: the 10 s window is idle; the 1 m window spans 20 s with 5000 tokens.
    expect(
      sampleValue(
        body,
        'vllm_cost_meter_cost_usd_per_million_output_tokens',
        labels,
        'window="10s"',
      ),
    ).toBe('+Inf');
    expect(sampleValue(body, 'vllm_cost_meter_idle', 'window="10s"')).toBe('1');
    // 5000 / 20 = 250 tok/s → 6.98e6 / (3600 × 250) = 7.7555…
    expect(
      Number(
        sampleValue(body, 'vllm_cost_meter_cost_usd_per_million_output_tokens', 'window="1m"'),
      ),
    ).toBeCloseTo(7.7555555556, 9);
    expect(sampleValue(body, 'vllm_cost_meter_output_tokens_per_second', 'window="1m"')).toBe(
      '250',
    );
    // TTFT p99 over 1 m: 10 obs in (0.25, 0.5] → 0.25 + 0.25 × 9.9/10 = 0.4975 s; bound 0.25 s.
    expect(
      Number(
        sampleValue(
          body,
          'vllm_cost_meter_latency_seconds',
          'window="1m"',
          'metric="ttft"',
          'stat="p99"',
        ),
      ),
    ).toBeCloseTo(0.4975, 12);
    expect(sampleValue(body, 'vllm_cost_meter_slo_met', 'window="1m"', 'metric="ttft"')).toBe('0');
    expect(sampleValue(body, 'vllm_cost_meter_slo_bound_seconds', 'metric="ttft"')).toBe('0.25');
    // 20 s of $6.98/h = $0.0387777…; 5000 tokens since start.
    expect(Number(sampleValue(body, 'vllm_cost_meter_spent_usd_total', labels))).toBeCloseTo(
      0.0387777778,
      9,
    );
    expect(sampleValue(body, 'vllm_cost_meter_output_tokens_total', labels)).toBe('5000');
    expect(sampleValue(body, 'vllm_cost_meter_node_cost_usd_per_hour', labels)).toBe('6.98');
  });

  it.skipIf(!hasPromtool)('passes promtool check metrics', async () => {
    const { body } = await get('/metrics');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });
  if (!hasPromtool)
    it.skip('promtool is not installed (apt-get install prometheus): lint skipped', () => {});

  it('serves the latest reading as JSON at /cost, unbounded cost as null with idle: true', async () => {
    const { status, headers, body } = await get('/cost');
    expect(status).toBe(200);
    expect(headers['content-type']).toContain('application/json');
    const json = JSON.parse(body);
    const w10 = json.scopes[0].windows[0];
    expect(w10.windowSeconds).toBe(10);
    expect(w10.cost).toMatchObject({ cEffUsdPerMTok: null, idle: true });
    expect(json.scopes[0].cumulative.outputTokens).toBe(5000);
    expect(json.timeMs).toBe(T0 + 20_000);
  });

  it('answers GET and HEAD only', async () => {
    const head = await get('/metrics', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await get('/metrics', method);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
    }
    expect((await get('/cost', 'POST')).status).toBe(405);
    expect((await get('/nothing')).status).toBe(404);
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('counters only grow between updates', async () => {
    const total = (text: string) =>
      Number(sampleValue(text, 'vllm_cost_meter_spent_usd_total', 'scope="server"'));
    const before = total(await exporter.metrics());
    const last = readings.at(-1) as MeterReading;
    exporter.update({
      ...last,
      scopes: last.scopes.map((s) => ({
        ...s,
        cumulative: { ...s.cumulative!, usd: s.cumulative!.usd + 1 },
      })),
    });
    const after = total(await exporter.metrics());
    expect(after).toBeCloseTo(before + 1, 9);
  });
});
