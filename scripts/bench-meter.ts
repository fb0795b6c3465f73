/**
 * Benchmark of the live meter (run it through `scripts/bench-meter`): the CPU time of one sample
 * on a ~1 MB vLLM /metrics body with many label sets (8 engines × 4 models, the families of
 * vLLM 0.32), in steady state — 1 m and 5 m windows already full at a 5 s interval. A sample is
 * what the meter does each interval: parse the body, reduce it to a snapshot, compute the step
 * and every window, price them, update the Prometheus exporter. The HTTP fetch is left out (a
 * body is handed over in memory) and reported apart, as is rendering the exporter's own /metrics.
 * CPU time (user + system) is robust to other processes; medians of several rounds are printed.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveMeterConfig } from '../src/meter/config.ts';
import { DirectMeter } from '../src/meter/directMeter.ts';
import { createExporter } from '../src/meter/exporter.ts';
import { plainLine } from '../src/meter/format.ts';
import { RollingWindows } from '../src/meter/rollingWindows.ts';
import { parsePromText } from '../src/telemetry/promText.ts';
import { closeScrapeAgent, scrapeMetrics } from '../src/telemetry/scrape.ts';
import { snapshotFromMetrics } from '../src/telemetry/vllmModel.ts';
import { buildVllmBody } from './bench-parse-body.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PER_ROUND = 10;
const INTERVAL_MS = 5000;
const T0 = 1_800_000_000_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

// Distinct bodies so that every sample parses new values; 61 fill the 5 m window first.
const FILL = 61;
const bodies = Array.from({ length: FILL + ROUNDS * PER_ROUND + PER_ROUND }, (_, i) =>
  buildVllmBody({ engines: 8, models: 4, progress: 10 + i }),
);
const bytes = Buffer.byteLength(bodies[0] as string);

let next = 0;
const clock = { t: T0 };
const config = resolveMeterConfig({
  url: 'http://127.0.0.1:1',
  gpu: 'h100',
  interval: '5s',
  windows: '1m,5m',
  listen: false,
  sloTtftP99Ms: 300,
});
const meter = new DirectMeter(config, {
  now: () => clock.t,
  scrape: async () => bodies[next++] as string,
  serverInfo: async () => ({ models: [], version: null }),
});
const exporter = createExporter();
meter.on('reading', (r) => exporter.update(r));

for (let i = 0; i < FILL; i++) {
  await meter.sampleOnce();
  clock.t += INTERVAL_MS;
}
const series = meter.latest?.scopes[0]?.windows.map((w) => w.filled);
if (!series?.every(Boolean)) throw new Error('windows not full after the fill');

const perSample: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const start = process.cpuUsage();
  for (let i = 0; i < PER_ROUND; i++) {
    await meter.sampleOnce();
    clock.t += INTERVAL_MS;
  }
  perSample.push(cpuMs(start) / PER_ROUND);
}

// The parts, on the same kind of body.
const body = bodies.at(-1) as string;
const part = (fn: () => void) => {
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < PER_ROUND; i++) fn();
    rounds.push(cpuMs(start) / PER_ROUND);
  }
  return median(rounds);
};
const parseMs = part(() => parsePromText(body));
const parsed = parsePromText(body);
const snapshotMs = part(() => snapshotFromMetrics(parsed, T0));
const windows = new RollingWindows([60, 300], INTERVAL_MS / 2);
for (let i = 0; i < FILL; i++) {
  windows.push(snapshotFromMetrics(parsePromText(bodies[i] as string), T0 + i * INTERVAL_MS));
}
const windowsMs = part(() => windows.windows());
const reading = meter.latest;
if (!reading) throw new Error('no reading');
const exporterMs = part(() => exporter.update(reading));
const lineMs = part(() => plainLine(reading));
const renderRounds: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const start = process.cpuUsage();
  for (let i = 0; i < PER_ROUND; i++) await exporter.metrics();
  renderRounds.push(cpuMs(start) / PER_ROUND);
}

// One real loopback fetch of the same body through the telemetry core's scraper.
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  res.end(body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
const fetchRounds: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const start = process.cpuUsage();
  for (let i = 0; i < PER_ROUND; i++) await scrapeMetrics(url, { timeoutMs: 10_000 });
  fetchRounds.push(cpuMs(start) / PER_ROUND);
}
await closeScrapeAgent();
server.close();

const sample = median(perSample);
console.log(`node ${process.version}, ${ROUNDS} rounds × ${PER_ROUND} samples, medians, CPU time`);
console.log(
  `body ${(bytes / 1e6).toFixed(2)} MB, ${body.split('\n').length} lines (8 engines × 4 models)`,
);
console.log(
  `meter sample (parse + snapshot + step + 1m/5m windows + price + exporter): ` +
    `${sample.toFixed(1)} ms CPU = ${((sample / INTERVAL_MS) * 100).toFixed(2)}% of one core ` +
    `at a 5 s interval`,
);
console.log(
  `  parts: parse ${parseMs.toFixed(1)} ms, snapshot ${snapshotMs.toFixed(1)} ms, ` +
    `two windows ${windowsMs.toFixed(1)} ms, exporter update ${exporterMs.toFixed(2)} ms, ` +
    `plain line ${lineMs.toFixed(3)} ms`,
);
console.log(
  `apart: loopback fetch of the body ${median(fetchRounds).toFixed(1)} ms CPU; ` +
    `rendering the meter's own /metrics ${median(renderRounds).toFixed(2)} ms CPU`,
);
