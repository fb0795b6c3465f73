/**
 * Cross-check of the window maths against a real Prometheus: it scrapes a loopback target whose
 * body changes between scrapes (one engine restarting in between), once in the text format and
 * once in OpenMetrics, and answers `increase`, `rate` and `histogram_quantile` over exactly the
 * span between the two scrapes (range = t1 − t0, evaluated at t1: no extrapolation). Skipped
 * when `prometheus` is not on PATH.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromText } from '../../src/telemetry/promText.ts';
import { snapshotFromMetrics } from '../../src/telemetry/vllmModel.ts';
import { windowBetween } from '../../src/telemetry/windows.ts';
import { toOpenMetrics } from './helpers/formats.ts';

function onPath(binary: string): string | null {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(folder, binary), constants.X_OK);
      return join(folder, binary);
    } catch {}
  }
  return null;
}

const PROMETHEUS = onPath('prometheus');
const NOTE = PROMETHEUS ? '' : ' (SKIPPED: prometheus is not on PATH; apt-get install prometheus)';

// Before: both engines running. After: engine 0 went on, engine 1 restarted (everything fell).
const BEFORE = `# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="m"} 5000.0
vllm:generation_tokens_total{engine="1",model_name="m"} 9000.0
# HELP vllm:request_success_total Count of successfully processed requests.
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 40.0
vllm:request_success_total{engine="0",finished_reason="length",model_name="m"} 10.0
vllm:request_success_total{engine="1",finished_reason="stop",model_name="m"} 70.0
vllm:request_success_total{engine="1",finished_reason="length",model_name="m"} 30.0
# HELP vllm:prefix_cache_queries_total Prefix cache queries.
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="m"} 1000.0
vllm:prefix_cache_queries_total{engine="1",model_name="m"} 3000.0
# HELP vllm:prefix_cache_hits_total Prefix cache hits.
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0",model_name="m"} 100.0
vllm:prefix_cache_hits_total{engine="1",model_name="m"} 900.0
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
${histogram(0, [20, 35, 45], 50, 25)}
${histogram(1, [50, 80, 90], 100, 40)}
`;
const AFTER = BEFORE.replace('} 5000.0', '} 5750.0')
  .replace('} 9000.0', '} 420.0')
  .replace('"stop",model_name="m"} 40.0', '"stop",model_name="m"} 52.0')
  .replace('"length",model_name="m"} 10.0', '"length",model_name="m"} 13.0')
  .replace('"stop",model_name="m"} 70.0', '"stop",model_name="m"} 5.0')
  .replace('"length",model_name="m"} 30.0', '"length",model_name="m"} 1.0')
  .replace('} 1000.0', '} 1600.0')
  .replace('} 3000.0', '} 200.0')
  .replace('} 100.0', '} 400.0')
  .replace('} 900.0', '} 50.0')
  .replace(histogram(0, [20, 35, 45], 50, 25), histogram(0, [22, 43, 58], 65, 36.5))
  .replace(histogram(1, [50, 80, 90], 100, 40), histogram(1, [1, 3, 4], 6, 4));

function histogram(engine: number, counts: number[], total: number, sum: number): string {
  const name = 'vllm:time_to_first_token_seconds';
  const lines = ['0.1', '0.5', '1.0', '+Inf'].map(
    (le, i) =>
      `${name}_bucket{engine="${engine}",le="${le}",model_name="m"} ${(counts[i] ?? total).toFixed(1)}`,
  );
  lines.push(`${name}_count{engine="${engine}",model_name="m"} ${total.toFixed(1)}`);
  lines.push(`${name}_sum{engine="${engine}",model_name="m"} ${sum.toFixed(1)}`);
  return lines.join('\n');
}

const TARGETS = {
  text: { body: (after: boolean) => (after ? AFTER : BEFORE), type: 'text/plain; version=0.0.4' },
  om: {
    body: (after: boolean) => toOpenMetrics(after ? AFTER : BEFORE),
    type: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  },
} as const;
type Job = keyof typeof TARGETS;
const BEFORE_SCRAPES = 2;

let target: Server;
let prometheus: ChildProcess | undefined;
let dataDir = '';
let api = '';
const scrapes: Record<Job, number> = { text: 0, om: 0 };

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

async function query(expr: string, time: string) {
  const url = `${api}/api/v1/query?query=${encodeURIComponent(expr)}&time=${time}`;
  const body = (await (await fetch(url)).json()) as {
    status: string;
    error?: string;
    data: { result: Array<{ metric: Record<string, string>; value?: [number, string] }> };
  };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

async function scalar(expr: string, time: string): Promise<number> {
  const [first] = await query(expr, time);
  if (!first?.value) throw new Error(`${expr} has no value at ${time}`);
  return Number(first.value[1]);
}

describe.skipIf(!PROMETHEUS)(`window maths agree with Prometheus 2.x${NOTE}`, () => {
  beforeAll(async () => {
    target = createServer((req, res) => {
      const job = (req.url ?? '').slice(1) as Job;
      if (!(job in TARGETS)) {
        res.writeHead(404).end();
        return;
      }
      scrapes[job]++;
      res.writeHead(200, { 'content-type': TARGETS[job].type });
      res.end(TARGETS[job].body(scrapes[job] > BEFORE_SCRAPES));
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const targetPort = (target.address() as AddressInfo).port;
    const apiPort = await freePort();
    api = `http://127.0.0.1:${apiPort}`;
    dataDir = mkdtempSync(join(tmpdir(), 'prom-crosscheck-'));
    const jobs = (Object.keys(TARGETS) as Job[]).map(
      (job) =>
        `  - job_name: ${job}\n    metrics_path: /${job}\n    static_configs:\n` +
        `      - targets: ['127.0.0.1:${targetPort}']\n`,
    );
    const config = `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n${jobs.join('')}`;
    writeFileSync(join(dataDir, 'prometheus.yml'), config);
    prometheus = spawn(
      PROMETHEUS!,
      [
        `--config.file=${join(dataDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dataDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${apiPort}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    await until('Prometheus to be ready', async () => (await fetch(`${api}/-/ready`)).ok, 30_000);
    await until(
      'both targets to be scraped before and after the change',
      () => scrapes.text >= BEFORE_SCRAPES + 2 && scrapes.om >= BEFORE_SCRAPES + 2,
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let the last scrape land
  }, 90_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    target?.closeAllConnections();
    await new Promise<void>((resolve) => (target ? target.close(() => resolve()) : resolve()));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(Object.keys(TARGETS) as Job[])('%s exposition', async (job) => {
    // The last scrape of the old body (t0) and the first of the new one (t1), as stored.
    const series = await query(
      `vllm:generation_tokens_total{job="${job}",engine="0"}[2m]`,
      String(Date.now() / 1000),
    );
    const points = (series[0] as unknown as { values: Array<[number, string]> })?.values ?? [];
    const afterAt = points.findIndex(([, v]) => v === '5750');
    expect(
      afterAt,
      `targets: ${JSON.stringify(await (await fetch(`${api}/api/v1/targets`)).json())}`,
    ).toBeGreaterThan(0);
    const t0 = points[afterAt - 1]![0];
    const t1 = points[afterAt]![0];
    const rangeMs = Math.round((t1 - t0) * 1000);
    const at = t1.toFixed(3);
    const sel = `{job="${job}"}[${rangeMs}ms]`;

    const ours = windowBetween(
      snapshotFromMetrics(parsePromText(TARGETS[job].body(false)), Math.round(t0 * 1000)),
      snapshotFromMetrics(parsePromText(TARGETS[job].body(true)), Math.round(t1 * 1000)),
    );
    expect(ours.windowSeconds).toBeCloseTo(rangeMs / 1000, 9);

    // Hand check first: engine 0 +750, engine 1 restarted at 420 → 1170 tokens.
    expect(ours.increases.outputTokens).toBe(1170);
    expect(await scalar(`sum(increase(vllm:generation_tokens_total${sel}))`, at)).toBeCloseTo(
      1170,
      9,
    );
    expect(await scalar(`sum(rate(vllm:generation_tokens_total${sel}))`, at)).toBeCloseTo(
      ours.rates.outputTokensPerS!,
      9,
    );
    const byReason = await query(
      `sum by (finished_reason) (increase(vllm:request_success_total${sel}))`,
      at,
    );
    const theirs = Object.fromEntries(
      byReason.map((r) => [r.metric.finished_reason!, Number(r.value![1])]),
    );
    // stop: +12 and 5 after the restart = 17; length: +3 and 1 = 4.
    expect(ours.increases.requestsByReason).toEqual({ stop: 17, length: 4 });
    expect(theirs).toEqual({ stop: 17, length: 4 });
    const hitRate = await scalar(
      `sum(increase(vllm:prefix_cache_hits_total${sel})) / sum(increase(vllm:prefix_cache_queries_total${sel}))`,
      at,
    );
    expect(ours.prefixCacheHitRate).toBeCloseTo(hitRate, 12); // (300 + 50) / (600 + 200)

    for (const q of [0.5, 0.9, 0.99]) {
      const expr = `histogram_quantile(${q}, sum by (le) (increase(vllm:time_to_first_token_seconds_bucket${sel})))`;
      const key = q === 0.5 ? 'p50' : q === 0.9 ? 'p90' : 'p99';
      expect(ours.latencyMs.ttft[key]).toBeCloseTo((await scalar(expr, at)) * 1000, 9);
    }
    const mean = await scalar(
      `sum(increase(vllm:time_to_first_token_seconds_sum${sel})) / sum(increase(vllm:time_to_first_token_seconds_count${sel}))`,
      at,
    );
    expect(ours.latencyMs.ttft.mean).toBeCloseTo(mean * 1000, 9); // (11.5 + 4) / 21 s
    expect(ours.latencyMs.ttft.count).toBe(21);
  });
});
