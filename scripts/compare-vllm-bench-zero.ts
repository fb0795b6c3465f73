/**
 * Part (b) of scripts/compare-vllm-bench: how fast each client can go. Both drive a zero-work
 * streaming server (scripts/zero-sse-server.ts: 256 one-token SSE chunks per response, the
 * whole body in one write) at the same open-loop rates with the same request counts, and a rate
 * counts as sustained "on schedule" when the client sent at ≥ 97% of the offered rate, every
 * request succeeded and TTFT p99 stayed under 50 ms.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { driveStep } from '../src/load/driver.ts';
import { exponential, substream } from '../src/load/rng.ts';
import { buildPlan } from '../src/load/schedule.ts';
import type { RequestRecord } from '../src/load/types.ts';
import { percentile, ROOT, runVllmBench, say } from './compare-vllm-bench-lib.ts';

export const ZERO_TOKENS = 256;
export const ON_SCHEDULE = { minSendRatio: 0.97, maxTtftP99Ms: 50 };

export interface ZeroRow {
  tool: 'vllm bench serve' | 'ours';
  rateRps: number;
  requests: number;
  failed: number;
  /** Requests sent per second between the first and the last send. */
  sentRps: number;
  /** sentRps ÷ the rate the schedule asked for over the same requests. */
  sendRatio: number;
  /** Completed requests ÷ (last response end − first send). */
  completedRps: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  onSchedule: boolean;
}

async function startZeroServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(
    join(ROOT, 'scripts', 'zero-sse-server.ts'),
    ['--tokens', String(ZERO_TOKENS), '--write', 'burst'],
    { execArgv: ['--import', 'tsx'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const [message] = (await once(child, 'message')) as [{ type: string; port: number }];
  return { child, port: message.port };
}

function row(
  tool: ZeroRow['tool'],
  rateRps: number,
  requests: number,
  failed: number,
  sendSpanS: number,
  intendedSpanS: number,
  completedSpanS: number,
  ttftsMs: number[],
): ZeroRow {
  const sentRps = (requests - 1) / sendSpanS;
  const sendRatio = intendedSpanS / sendSpanS;
  const ttftP99Ms = percentile(ttftsMs, 99) ?? Number.POSITIVE_INFINITY;
  return {
    tool,
    rateRps,
    requests,
    failed,
    sentRps,
    sendRatio,
    completedRps: (requests - failed) / completedSpanS,
    ttftP50Ms: percentile(ttftsMs, 50) ?? Number.NaN,
    ttftP99Ms,
    onSchedule:
      failed === 0 && sendRatio >= ON_SCHEDULE.minSendRatio && ttftP99Ms < ON_SCHEDULE.maxTtftP99Ms,
  };
}

async function benchAt(port: number, modelDir: string, rateRps: number, n: number, work: string) {
  const b = await runVllmBench(
    [
      ...['--backend', 'openai', '--base-url', `http://127.0.0.1:${port}`],
      ...['--endpoint', '/v1/completions', '--model', 'zero', '--tokenizer', modelDir],
      ...['--dataset-name', 'random', '--random-input-len', '32'],
      ...['--random-output-len', String(ZERO_TOKENS), '--ignore-eos'],
      ...['--request-rate', String(rateRps), '--num-prompts', String(n), '--seed', '1'],
      ...['--percentile-metrics', 'ttft,e2el', '--metric-percentiles', '50,99'],
    ],
    join(work, `zero-bench-${rateRps}.json`),
  );
  const starts = [...b.start_times].sort((x, y) => x - y);
  const ends = b.start_times.map((t, i) => t + (b.latencies[i] ?? 0));
  // vLLM scales its gaps so that the N-th request goes at N/λ: N−1 gaps ≈ (N−1)/λ.
  return row(
    'vllm bench serve',
    rateRps,
    n,
    b.failed,
    starts.at(-1)! - starts[0]!,
    (n - 1) / rateRps,
    Math.max(...ends) - starts[0]!,
    b.ttfts.filter((_, i) => !b.errors[i]).map((s) => s * 1000),
  );
}

/**
 * Poisson send offsets rescaled the way vLLM's bench rescales its own: the n-th request goes at
 * exactly n/λ, so both clients are asked for the same rate, not two random realisations of it.
 */
function poissonOffsetsMs(rateRps: number, n: number, seed: number): number[] {
  const rng = substream(seed, `zero/${rateRps}`);
  const cumulative: number[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += exponential(rng, rateRps);
    cumulative.push(t);
  }
  const scale = n / rateRps / t;
  return cumulative.map((x) => x * scale * 1000);
}

async function oursAt(port: number, rateRps: number, n: number, seed: number): Promise<ZeroRow> {
  const plan = buildPlan({
    arrival: { kind: 'trace', offsetsMs: poissonOffsetsMs(rateRps, n, seed) },
    rateRps,
    warmupSeconds: 0,
    promptLength: { kind: 'fixed', value: 32 },
    outputLength: { kind: 'fixed', value: ZERO_TOKENS },
    seed,
    streamId: `zero/${rateRps}`,
  });
  const records: RequestRecord[] = [];
  await driveStep({
    baseUrl: `http://127.0.0.1:${port}`,
    api: 'completions',
    model: 'zero',
    plan,
    maxConcurrency: null,
    requestTimeoutMs: 60_000,
    drainTimeoutMs: 60_000,
    shape: {
      ignoreEos: true,
      pinOutputLength: false,
      continuousUsage: false,
      temperature: null,
      extraBody: {},
    },
    prompt: { vocabSize: 32_000, tokenizerPath: null, salt: `zero${rateRps}` },
    apiKey: null,
    labels: { variant: 'zero', stepIndex: 0, repeat: 0, rateRps },
    recordChunks: false,
    onRecord: (r) => records.push(r),
  });
  const sent = records.map((r) => r.sentAtMs ?? Number.NaN).sort((x, y) => x - y);
  const intended = records.map((r) => r.intendedAtMs).sort((x, y) => x - y);
  const ends = records.map((r) => r.endAtMs);
  return row(
    'ours',
    rateRps,
    records.length,
    records.filter((r) => !r.ok).length,
    (sent.at(-1)! - sent[0]!) / 1000,
    (intended.at(-1)! - intended[0]!) / 1000,
    (Math.max(...ends) - sent[0]!) / 1000,
    records.filter((r) => r.ok).map((r) => r.ttftMs ?? Number.NaN),
  );
}

/** Both clients at every rate, ours first; N = max(200, λ × seconds) requests per rate. */
export async function compareOnZeroServer(opts: {
  ratesRps: number[];
  seconds: number;
  modelDir: string;
  work: string;
  seed: number;
}): Promise<ZeroRow[]> {
  const { child, port } = await startZeroServer();
  const rows: ZeroRow[] = [];
  try {
    for (const rate of opts.ratesRps) {
      const n = Math.max(200, Math.round(rate * opts.seconds));
      say(`zero-work server, λ=${rate}: ${n} requests from each client`);
      rows.push(await oursAt(port, rate, n, opts.seed));
      rows.push(await benchAt(port, opts.modelDir, rate, n, opts.work));
    }
  } finally {
    child.disconnect();
    child.kill('SIGTERM');
  }
  return rows;
}
