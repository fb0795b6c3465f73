/**
 * Plumbing for scripts/compare-vllm-bench: start the tiny CPU vLLM, run `vllm bench serve`
 * through scripts/vllm-bench-serve, run our CLI, read server counters, and summarise samples.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePromText } from '../src/telemetry/promText.ts';
import { scrapeMetrics } from '../src/telemetry/scrape.ts';
import { snapshotFromMetrics } from '../src/telemetry/vllmModel.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'vllm-cost-meter.js');

export const say = (text: string) => process.stderr.write(`compare-vllm-bench: ${text}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fields of a `vllm bench serve --save-result --save-detailed` JSON that we read. */
export interface BenchJson {
  duration: number;
  completed: number;
  failed: number;
  total_input_tokens: number;
  total_output_tokens: number;
  request_throughput: number;
  output_throughput: number;
  mean_ttft_ms: number;
  median_ttft_ms: number;
  p99_ttft_ms: number;
  mean_itl_ms: number;
  median_itl_ms: number;
  mean_tpot_ms: number;
  mean_e2el_ms: number;
  median_tpot_ms: number;
  input_lens: number[];
  output_lens: number[];
  ttfts: number[];
  start_times: number[];
  itls: number[][];
  latencies: number[];
  errors: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export interface RunningVllm {
  url: string;
  modelDir: string;
  stop(): Promise<void>;
}

/** Starts scripts/vllm-serve in its own process group and waits for /v1/models. */
export async function startVllm(logPath: string, extraArgs: string[]): Promise<RunningVllm> {
  const port = await freePort();
  mkdirSync(dirname(logPath), { recursive: true });
  const log = openSync(logPath, 'w');
  const child = spawn(join(ROOT, 'scripts', 'vllm-serve'), [String(port), ...extraArgs], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const pgid = child.pid as number;
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pgid, signal);
    } catch {
      // already gone
    }
  };
  process.once('exit', () => kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  const startedMs = Date.now();
  while (!(await answers(`${url}/v1/models`))) {
    if (child.exitCode !== null) throw new Error(`vLLM exited during start-up; see ${logPath}`);
    if (Date.now() - startedMs > 900_000) {
      kill('SIGKILL');
      throw new Error(`vLLM was not ready after 900 s; see ${logPath}`);
    }
    await sleep(1_000);
  }
  say(`vLLM ready at ${url} after ${((Date.now() - startedMs) / 1000).toFixed(0)} s`);
  return {
    url,
    modelDir: await modelRoot(url),
    stop: () => stopGroup(child, kill),
  };
}

async function stopGroup(child: ChildProcess, kill: (s: NodeJS.Signals) => void): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** The model directory a running tiny-model server loaded (the tokenizer vLLM's bench needs). */
export async function modelRoot(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/models`);
  const body = (await res.json()) as { data: Array<{ root: string }> };
  const root = body.data[0]?.root;
  if (!root) throw new Error(`${url}/v1/models lists no model`);
  return root;
}

export interface ServerCounters {
  outputTokens: number;
  promptTokens: number;
  requests: number;
  /** Sums (seconds) and counts of vLLM's own TTFT, inter-token and e2e histograms. */
  ttft: { sum: number; count: number };
  itl: { sum: number; count: number };
  e2e: { sum: number; count: number };
}

/** vLLM's own totals, read by the telemetry core from one scrape. */
export async function serverCounters(url: string): Promise<ServerCounters> {
  const { text } = await scrapeMetrics(`${url}/metrics`, { timeoutMs: 10_000 });
  const snap = snapshotFromMetrics(parsePromText(text), Date.now());
  const c = snap.counters;
  const h = (concept: 'ttft' | 'itl' | 'e2e') => ({
    sum: snap.histograms[concept]?.sum ?? Number.NaN,
    count: snap.histograms[concept]?.count ?? Number.NaN,
  });
  return {
    outputTokens: c.generationTokens ?? Number.NaN,
    promptTokens: c.promptTokens ?? Number.NaN,
    requests: c.requestsFinished ?? Number.NaN,
    ttft: h('ttft'),
    itl: h('itl'),
    e2e: h('e2e'),
  };
}

const histDelta = (a: { sum: number; count: number }, b: { sum: number; count: number }) => ({
  sum: b.sum - a.sum,
  count: b.count - a.count,
});

export const counterDelta = (a: ServerCounters, b: ServerCounters): ServerCounters => ({
  outputTokens: b.outputTokens - a.outputTokens,
  promptTokens: b.promptTokens - a.promptTokens,
  requests: b.requests - a.requests,
  ttft: histDelta(a.ttft, b.ttft),
  itl: histDelta(a.itl, b.itl),
  e2e: histDelta(a.e2e, b.e2e),
});

/** Mean of a histogram delta in ms (Δsum / Δcount). */
export const histMeanMs = (h: { sum: number; count: number }) =>
  h.count > 0 ? (1000 * h.sum) / h.count : Number.NaN;

function exec(file: string, args: string[], logPath: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const text = `${stdout}\n${stderr}`;
      if (err) {
        const tail = text.trim().split('\n').slice(-15).join('\n');
        fail(new Error(`${file} ${args[0] ?? ''} failed (log ${logPath}):\n${tail}`));
      } else done(text);
    });
  });
}

/** Runs `vllm bench serve` with these arguments and returns the JSON it saved. */
export async function runVllmBench(args: string[], resultPath: string): Promise<BenchJson> {
  const text = await exec(
    join(ROOT, 'scripts', 'vllm-bench-serve'),
    [
      ...args,
      '--save-result',
      '--save-detailed',
      '--result-dir',
      dirname(resultPath),
      '--result-filename',
      resultPath.slice(dirname(resultPath).length + 1),
    ],
    resultPath,
  );
  writeFileSync(resultPath.replace(/\.json$/, '.log'), text);
  return JSON.parse(readFileSync(resultPath, 'utf8')) as BenchJson;
}

/** Runs our CLI; throws with its last lines when it fails. */
export function runOurs(args: string[], logPath: string): Promise<string> {
  return exec(process.execPath, [BIN, ...args], logPath);
}

export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  // Linear interpolation between closest ranks, as numpy.percentile (vLLM's bench) does.
  const at = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export const mean = (values: number[]) =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
