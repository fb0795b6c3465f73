/**
 * Part (a) of scripts/compare-vllm-bench: one λ against the real server, measured twice on the
 * same schedule. `vllm bench serve` goes first (Poisson, seed, random prompts of 128–384 tokens,
 * 128 output tokens with ignore_eos); its saved send times and prompt lengths become a trace
 * that our `run` replays, so both clients send the same requests at the same offsets. Each run
 * is checked against the server's own counters, and the bench JSON is imported and analysed to
 * compare the cost figures.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepRecord } from '../src/harness/records.ts';
import type { RequestRecord } from '../src/load/types.ts';
import {
  type BenchJson,
  counterDelta,
  mean,
  percentile,
  runOurs,
  runVllmBench,
  type ServerCounters,
  say,
  serverCounters,
  sleep,
} from './compare-vllm-bench-lib.ts';

export interface RealSpec {
  url: string;
  modelDir: string;
  rateRps: number;
  prompts: number;
  seed: number;
  gpuHourlyUsd: number;
  work: string;
}

/** One client's figures, every one under vLLM's bench definitions. */
export interface ClientFigures {
  completed: number;
  failed: number;
  outputTokens: number;
  promptTokens: number;
  /** Output tokens ÷ (last response end − first send): vLLM's `output_throughput`. */
  outputTokPerS: number;
  requestsPerS: number;
  ttftMeanMs: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  /** Mean gap between SSE events carrying tokens, pooled over requests (vLLM's "ITL"). */
  chunkGapMeanMs: number;
  /** Mean gap per token after the first, pooled: what a per-token ITL averages to. */
  itlPerTokenMeanMs: number;
  tpotMeanMs: number;
  tpotP50Ms: number;
  e2eMeanMs: number;
  /** C_eff from `analyze` of the results directory. */
  cEffUsdPerMTok: number;
  server: ServerCounters;
}

export interface RealComparison {
  spec: RealSpec;
  bench: ClientFigures;
  ours: ClientFigures;
  /** θ of our step as the tool defines it: tokens inside the window [first send, last send]. */
  oursWindowTokPerS: number;
  /** What that window leaves out of our run: tokens streamed after it, and how long that took. */
  oursAfterWindow: { outputTokens: number; seconds: number };
  oursReconciled: boolean;
  benchPath: string;
  oursDir: string;
}

const ms = (seconds: number) => seconds * 1000;

function benchFigures(b: BenchJson, cEff: number, server: ServerCounters): ClientFigures {
  const ok = b.errors.map((e) => !e);
  // vLLM's per-request "itls" are the gaps between its SSE events, in seconds.
  const spansS = b.itls.filter((_, i) => ok[i]).map((g) => g.reduce((a, x) => a + x, 0));
  const tokensAfterFirst = b.output_lens.filter((_, i) => ok[i]).map((n) => n - 1);
  return {
    completed: b.completed,
    failed: b.failed,
    outputTokens: b.total_output_tokens,
    promptTokens: b.total_input_tokens,
    outputTokPerS: b.output_throughput,
    requestsPerS: b.request_throughput,
    ttftMeanMs: b.mean_ttft_ms,
    ttftP50Ms: b.median_ttft_ms,
    ttftP99Ms: b.p99_ttft_ms,
    chunkGapMeanMs: b.mean_itl_ms,
    itlPerTokenMeanMs:
      ms(spansS.reduce((a, x) => a + x, 0)) / tokensAfterFirst.reduce((a, x) => a + x, 0),
    tpotMeanMs: b.mean_tpot_ms,
    tpotP50Ms: b.median_tpot_ms,
    e2eMeanMs: b.mean_e2el_ms,
    cEffUsdPerMTok: cEff,
    server,
  };
}

function ourFigures(records: RequestRecord[], cEff: number, server: ServerCounters): ClientFigures {
  const ok = records.filter((r) => r.ok);
  const firstSend = Math.min(...records.map((r) => r.sentAtMs ?? Number.POSITIVE_INFINITY));
  const lastEnd = Math.max(...ok.map((r) => r.lastTokenAtMs ?? 0));
  const durationS = (lastEnd - firstSend) / 1000;
  const outputTokens = ok.reduce((a, r) => a + (r.outputTokens ?? 0), 0);
  const span = ok.reduce((a, r) => a + ((r.lastTokenAtMs ?? 0) - (r.firstTokenAtMs ?? 0)), 0);
  const ttfts = ok.map((r) => r.ttftMs ?? Number.NaN);
  const tpots = ok.filter((r) => (r.outputTokens ?? 0) > 1).map((r) => r.tpotMs ?? Number.NaN);
  return {
    completed: ok.length,
    failed: records.length - ok.length,
    outputTokens,
    promptTokens: ok.reduce((a, r) => a + (r.promptTokens ?? 0), 0),
    outputTokPerS: outputTokens / durationS,
    requestsPerS: ok.length / durationS,
    ttftMeanMs: mean(ttfts) ?? Number.NaN,
    ttftP50Ms: percentile(ttfts, 50) ?? Number.NaN,
    ttftP99Ms: percentile(ttfts, 99) ?? Number.NaN,
    chunkGapMeanMs: span / ok.reduce((a, r) => a + Math.max(0, r.chunks - 1), 0),
    itlPerTokenMeanMs: span / ok.reduce((a, r) => a + Math.max(0, (r.outputTokens ?? 1) - 1), 0),
    tpotMeanMs: mean(tpots) ?? Number.NaN,
    tpotP50Ms: percentile(tpots, 50) ?? Number.NaN,
    e2eMeanMs: mean(ok.map((r) => r.e2eMs ?? Number.NaN)) ?? Number.NaN,
    cEffUsdPerMTok: cEff,
    server,
  };
}

/** The part of our run that the measured window (which ends at the last send) leaves out. */
function afterWindow(records: RequestRecord[], step: StepRecord) {
  const ok = records.filter((r) => r.ok);
  // Request times are ms from the step's origin; the plan opens the window after the warm-up.
  const windowEndMs = 1000 * (step.warmupSeconds + step.measuredSeconds);
  return {
    outputTokens: ok.reduce((a, r) => a + (r.outputTokens ?? 0) - r.outputTokensInWindow, 0),
    seconds: (Math.max(...ok.map((r) => r.lastTokenAtMs ?? 0)) - windowEndMs) / 1000,
  };
}

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);

/** C_eff of the single step in a results directory, as `analyze --json` reports it. */
async function analysedCEff(dir: string, logPath: string): Promise<number> {
  const out = await runOurs(['analyze', dir, '--json'], logPath);
  const analysis = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1));
  return analysis.variants[0].points[0].cost.cEffUsdPerMTok as number;
}

function writeTraceScenario(spec: RealSpec, bench: BenchJson, dir: string): string {
  const first = Math.min(...bench.start_times);
  const order = bench.start_times.map((t, i) => [t, i] as const).sort((a, b) => a[0] - b[0]);
  const rows = order.map(([t, i]) =>
    JSON.stringify({
      offset_ms: (t - first) * 1000,
      prompt_tokens: bench.input_lens[i],
      output_tokens: 128,
    }),
  );
  const lastOffsetMs = (Math.max(...bench.start_times) - first) * 1000;
  const measureS = (Math.floor(lastOffsetMs) + 1) / 1000;
  const trace = join(dir, `trace-${spec.rateRps}.jsonl`);
  writeFileSync(trace, `${rows.join('\n')}\n`);
  const scenario = join(dir, `ours-${spec.rateRps}.yaml`);
  writeFileSync(
    scenario,
    [
      `name: ours-rate${spec.rateRps}`,
      `target: ${spec.url}`,
      'model: tiny',
      'workload:',
      '  vocabSize: 2048',
      '  promptTokens: { kind: fixed, value: 256 } # replaced by the trace lengths',
      '  outputTokens: { kind: fixed, value: 128 }',
      `  arrival: { kind: trace, file: ${JSON.stringify(trace)} }`,
      `  seed: ${spec.seed}`,
      `sweep: { kind: list, rates: [${spec.rateRps}] }`,
      // Measured from the first send to just after the last: the trace's whole span.
      `step: { warmupSeconds: 0, measureSeconds: ${measureS}, drainTimeoutSeconds: 300 }`,
      `pricing: { gpuHourlyUsd: ${spec.gpuHourlyUsd} }`,
      // The window's edges are scraped whatever the interval; the periodic scrapes (~16 KB a
      // line) would only grow the results directory, which --fixture keeps.
      'telemetry: { scrapeIntervalSeconds: 10 }',
      '',
    ].join('\n'),
  );
  return scenario;
}

export async function compareOnRealServer(spec: RealSpec): Promise<RealComparison> {
  const benchPath = join(spec.work, `bench-${spec.rateRps}.json`);
  say(`λ=${spec.rateRps}: vllm bench serve, ${spec.prompts} requests (its import takes ~30 s)`);
  const before = await serverCounters(spec.url);
  const bench = await runVllmBench(
    [
      ...['--backend', 'openai', '--base-url', spec.url, '--endpoint', '/v1/completions'],
      ...['--model', 'tiny', '--tokenizer', spec.modelDir, '--dataset-name', 'random'],
      ...['--random-input-len', '256', '--random-range-ratio', '{"input":0.5,"output":0}'],
      ...['--random-output-len', '128', '--ignore-eos', '--request-rate', String(spec.rateRps)],
      ...['--num-prompts', String(spec.prompts), '--seed', String(spec.seed)],
      ...['--percentile-metrics', 'ttft,tpot,itl,e2el', '--metric-percentiles', '50,90,99'],
    ],
    benchPath,
  );
  await sleep(1_000); // the last request's stats land just after its stream ends
  const benchServer = counterDelta(before, await serverCounters(spec.url));

  say(`λ=${spec.rateRps}: our driver on the same schedule`);
  const scenario = writeTraceScenario(spec, bench, spec.work);
  const runLog = join(spec.work, `ours-${spec.rateRps}.log`);
  const beforeOurs = await serverCounters(spec.url);
  const runOut = await runOurs(['run', scenario, '--out', spec.work, '--quiet'], runLog);
  writeFileSync(runLog, runOut);
  await sleep(1_000);
  const oursServer = counterDelta(beforeOurs, await serverCounters(spec.url));
  const oursDir = /^results: (.+)$/m.exec(runOut)?.[1]?.trim() ?? '';
  const step = readJsonl<StepRecord>(join(oursDir, 'steps.jsonl'))[0]!;
  const records = readJsonl<RequestRecord>(join(oursDir, 'requests.jsonl'));

  const importDir = join(spec.work, `imported-${spec.rateRps}`);
  await runOurs(
    ['import', benchPath, '--gpu-price', String(spec.gpuHourlyUsd), '--variant', 'bench'].concat([
      '--out',
      importDir,
    ]),
    runLog,
  );
  const rec = step.reconciliation;
  return {
    spec,
    bench: benchFigures(bench, await analysedCEff(importDir, runLog), benchServer),
    ours: ourFigures(records, await analysedCEff(oursDir, runLog), oursServer),
    oursWindowTokPerS: step.outputTokPerS,
    oursAfterWindow: afterWindow(records, step),
    oursReconciled:
      rec !== null &&
      rec.outputTokens.diff === 0 &&
      rec.promptTokens.diff === 0 &&
      rec.requests.diff === 0,
    benchPath,
    oursDir,
  };
}
