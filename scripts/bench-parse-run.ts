/**
 * Benchmark of the telemetry core (run it through `scripts/bench-parse`):
 *   1. parse throughput in MB/s on a ~1 MB vLLM /metrics body with many label sets
 *      (8 engines × 4 models of the 0.32 families), in both exposition formats, by CPU time
 *      (robust to other processes on the machine) and by wall time;
 *   2. CPU time of one `inspect` window: parse two bodies, reduce each to a snapshot, compute
 *      the window; and the window step alone.
 * Timing numbers on a shared machine are noisy; the median of several rounds is printed.
 */

import { parsePromText } from '../src/telemetry/promText.ts';
import { snapshotFromMetrics } from '../src/telemetry/vllmModel.ts';
import { windowBetween } from '../src/telemetry/windows.ts';
import { HAVE_SHARED, readShared, toOpenMetrics } from '../test/telemetry/helpers/formats.ts';
import { buildVllmBody } from './bench-parse-body.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** CPU milliseconds (user + system) per call of `fn`, median over rounds of `calls` calls. */
function cpuMsPerCall(fn: () => void, calls: number): number {
  for (let i = 0; i < Math.max(3, calls / 4); i++) fn(); // warm the JIT
  const perRound: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const used = process.cpuUsage(start);
    perRound.push((used.user + used.system) / 1000 / calls);
  }
  return median(perRound);
}

/** Wall milliseconds per call, median over rounds. */
function wallMsPerCall(fn: () => void, calls: number): number {
  for (let i = 0; i < Math.max(3, calls / 4); i++) fn();
  const perRound: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) fn();
    perRound.push((performance.now() - start) / calls);
  }
  return median(perRound);
}

const before = buildVllmBody({ engines: 8, models: 4, progress: 10 });
const after = buildVllmBody({ engines: 8, models: 4, progress: 11 });
const bodies = { 'text 0.0.4': after, 'OpenMetrics 1.0': toOpenMetrics(after) };

console.log(`node ${process.version}, ${ROUNDS} rounds, medians`);
for (const [format, body] of Object.entries(bodies)) {
  const bytes = Buffer.byteLength(body);
  const lines = body.split('\n').length;
  const cpuMs = cpuMsPerCall(() => parsePromText(body), 20);
  const wallMs = wallMsPerCall(() => parsePromText(body), 20);
  const mbPer = (ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
  console.log(
    `parse ${format}: ${(bytes / 1e6).toFixed(2)} MB, ${lines} lines → ` +
      `${cpuMs.toFixed(2)} ms CPU per parse = ${mbPer(cpuMs)} MB/s of CPU time ` +
      `(wall ${wallMs.toFixed(2)} ms = ${mbPer(wallMs)} MB/s)`,
  );
}

const T0 = 1_800_000_000_000;
const full = cpuMsPerCall(() => {
  const a = snapshotFromMetrics(parsePromText(before), T0);
  const b = snapshotFromMetrics(parsePromText(after), T0 + 10_000);
  windowBetween(a, b);
}, 10);
const a = snapshotFromMetrics(parsePromText(before), T0);
const b = snapshotFromMetrics(parsePromText(after), T0 + 10_000);
const windowOnly = cpuMsPerCall(() => windowBetween(a, b), 50);
const snapshotOnly = cpuMsPerCall(() => snapshotFromMetrics(parsePromText(after), T0), 10);
console.log(
  `inspect window on the 1 MB pair: ${full.toFixed(2)} ms CPU in all ` +
    `(parse + snapshot ×2 + window); parse + snapshot of one body ${snapshotOnly.toFixed(2)} ms; ` +
    `window step alone ${windowOnly.toFixed(2)} ms`,
);

if (HAVE_SHARED) {
  // The real vLLM 0.32.0 pair (one engine, ~60 kB each) from ../shared/fixtures/vllm-metrics.
  const realA = readShared('v0.32.0-cpu-chat-burst-a.txt');
  const realB = readShared('v0.32.0-cpu-chat-burst-b.txt');
  const bytes = Buffer.byteLength(realB);
  const parseMs = cpuMsPerCall(() => parsePromText(realB), 200);
  const inspectMs = cpuMsPerCall(() => {
    const x = snapshotFromMetrics(parsePromText(realA), T0);
    windowBetween(x, snapshotFromMetrics(parsePromText(realB), T0 + 10_054));
  }, 100);
  console.log(
    `real 0.32.0 body (${(bytes / 1e3).toFixed(1)} kB): parse ${parseMs.toFixed(3)} ms CPU = ` +
      `${(bytes / 1e6 / (parseMs / 1000)).toFixed(0)} MB/s; inspect window on the real pair ` +
      `${inspectMs.toFixed(2)} ms CPU in all`,
  );
} else {
  console.log('real 0.32.0 pair: skipped (../shared/fixtures/vllm-metrics not found)');
}
