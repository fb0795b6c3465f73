/**
 * Synthetic results directories for analyzer tests and benchmarks: requests generated from a
 * known saturating curve, written exactly as the harness contract (src/harness/records.ts) says,
 * so the analyzer's job is to recover the curve. The curve is computed here with its plain
 * formula, independently of src/analysis/fit.ts.
 *
 * Per step: N = round(λ·T) measured requests; the window receives W = round(θ·T) output tokens,
 * spread over the successful requests; request i of the M successful ones has
 * TTFT = ttft(λ)·(0.5 + i/(M−1)) and TPOT = tpot(λ)·(0.5 + i/(M−1)), so percentiles are easy
 * to compute by hand. Two warm-up requests per step carry absurd latencies and no window tokens:
 * a correct analyzer ignores them.
 */

import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateStepSlo } from '../../src/analysis/slo.ts';
import type { RunManifest, SloSpec, StepRecord } from '../../src/harness/records.ts';
import type { RequestRecord } from '../../src/load/types.ts';
import { emptyLatencyStats, latencyStats } from '../../src/util/stats.ts';

export interface SyntheticVariant {
  name: string;
  thetaMaxTokPerS: number;
  sharpness: number;
  deliveryRatio: number;
  promptTokens: number;
  requestedOutputTokens: number;
  gpuHourlyUsd: number;
  gpus: number;
  /** Median TTFT / TPOT (ms) at λ; defaults grow with load. */
  ttftMs?: (rateRps: number) => number;
  tpotMs?: (rateRps: number) => number;
  /** Fraction of measured requests that fail with HTTP 5xx. */
  failedFraction?: number;
}

export interface SyntheticRunSpec {
  dir: string;
  scenarioName?: string;
  variants: SyntheticVariant[];
  ratesRps: number[];
  repeats?: number;
  measuredSeconds: number;
  slo?: SloSpec | null;
  writeRequests?: boolean;
  /** Multiplicative log-normal noise on θ per step (seeded). */
  noise?: { seed: number; relStdev: number };
  /** Give successful requests per-token ITL and chunk-gap statistics, as real records have. */
  withItl?: boolean;
  /** Last chance to alter a step record before it is written (degraded copies, failures). */
  patchStep?: (step: StepRecord) => void;
}

export interface SyntheticStepTruth {
  variant: string;
  rateRps: number;
  repeat: number;
  measuredRequests: number;
  okRequests: number;
  tokensInWindow: number;
  outputTokPerS: number;
}

/** The saturating curve, written out plainly: a·θmax / (aⁿ + θmaxⁿ)^(1/n), a = s·λ·L. */
export function curveTheta(v: SyntheticVariant, rateRps: number): number {
  const a = v.deliveryRatio * rateRps * v.requestedOutputTokens;
  return (
    (a * v.thetaMaxTokPerS) /
    (a ** v.sharpness + v.thetaMaxTokPerS ** v.sharpness) ** (1 / v.sharpness)
  );
}

function seededNormal(seed: number): () => number {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    // xorshift32: small, deterministic, good enough for test noise.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function itlDetail(tpotMs: number, outputTokens: number): Partial<RequestRecord> {
  const stats = {
    count: outputTokens - 1,
    meanMs: tpotMs,
    p50Ms: tpotMs,
    p90Ms: tpotMs * 1.1,
    p99Ms: tpotMs * 1.2,
    maxMs: tpotMs * 1.5,
  };
  return { itl: stats, chunkGaps: stats, chunks: outputTokens };
}

function manifestOf(spec: SyntheticRunSpec): RunManifest {
  return {
    v: 1,
    tool: { name: 'vllm-cost-meter', version: '0.1.0', gitCommit: null },
    scenarioName: spec.scenarioName ?? 'synthetic',
    scenarioPath: null,
    scenario: { name: spec.scenarioName ?? 'synthetic', ratesRps: spec.ratesRps },
    variants: spec.variants.map((v) => ({
      name: v.name,
      model: `synthetic/${v.name}`,
      api: 'completions',
      baseUrl: 'http://127.0.0.1:1',
      serverArgv: null,
      pricing: { gpuClass: null, gpuHourlyUsd: v.gpuHourlyUsd, gpus: v.gpus, source: 'scenario' },
      quantization: null,
      serverVersion: 'synthetic',
    })),
    host: { hostname: 'test', platform: 'linux', cpus: 'test', cores: 2, memoryGiB: 4 },
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T01:00:00.000Z',
    status: 'completed',
    slo: spec.slo ?? null,
  };
}

function request(
  v: SyntheticVariant,
  labels: { stepIndex: number; repeat: number; rateRps: number },
  seq: number,
  over: Partial<RequestRecord>,
): RequestRecord {
  return {
    v: 1,
    variant: v.name,
    stepIndex: labels.stepIndex,
    repeat: labels.repeat,
    rateRps: labels.rateRps,
    phase: 'measure',
    seq,
    id: `${v.name}-${labels.stepIndex}-${labels.repeat}-${seq}`,
    api: 'completions',
    intendedAtMs: (seq * 1000) / labels.rateRps,
    releasedAtMs: (seq * 1000) / labels.rateRps,
    sentAtMs: (seq * 1000) / labels.rateRps,
    firstByteAtMs: null,
    firstTokenAtMs: null,
    lastTokenAtMs: null,
    endAtMs: (seq * 1000) / labels.rateRps + 5,
    ttftMs: null,
    ttftFromIntendedMs: null,
    e2eMs: null,
    e2eFromIntendedMs: null,
    tpotMs: null,
    capWaitMs: 0,
    sendLagMs: 0,
    itl: null,
    chunkGaps: null,
    chunks: 0,
    promptTokens: v.promptTokens,
    promptTokensSource: 'usage',
    outputTokens: null,
    outputTokensSource: null,
    requestedOutputTokens: v.requestedOutputTokens,
    outputTokensInWindow: 0,
    status: 200,
    finishReason: 'length',
    ok: true,
    error: null,
    ...over,
  };
}

/** Writes manifest.json, steps.jsonl and (by default) requests.jsonl under spec.dir. */
export async function writeSyntheticRun(spec: SyntheticRunSpec): Promise<SyntheticStepTruth[]> {
  mkdirSync(spec.dir, { recursive: true });
  writeFileSync(join(spec.dir, 'manifest.json'), JSON.stringify(manifestOf(spec), null, 2));
  const requests =
    spec.writeRequests === false ? null : createWriteStream(join(spec.dir, 'requests.jsonl'));
  const stepLines: string[] = [];
  const truths: SyntheticStepTruth[] = [];
  const normal = seededNormal(spec.noise?.seed ?? 1);
  const T = spec.measuredSeconds;
  let buffer: string[] = [];
  const flush = async () => {
    if (!requests || buffer.length === 0) return;
    if (!requests.write(buffer.join(''))) await once(requests, 'drain');
    buffer = [];
  };

  for (const v of spec.variants) {
    const ttftOf = v.ttftMs ?? ((rate: number) => 50 + 10 * rate);
    const tpotOf = v.tpotMs ?? ((rate: number) => 10 + rate);
    for (const [stepIndex, rateRps] of spec.ratesRps.entries()) {
      for (let repeat = 0; repeat < (spec.repeats ?? 1); repeat++) {
        const labels = { stepIndex, repeat, rateRps };
        const n = Math.max(1, Math.round(rateRps * T));
        const failed = Math.round((v.failedFraction ?? 0) * n);
        const okCount = n - failed;
        const noise = spec.noise ? Math.exp(spec.noise.relStdev * normal()) : 1;
        const tokens = Math.round(curveTheta(v, rateRps) * noise * T);
        const outputTokens = Math.round(v.deliveryRatio * v.requestedOutputTokens);
        const ttftMed = ttftOf(rateRps);
        const tpotMed = tpotOf(rateRps);
        const measured: RequestRecord[] = [];

        for (const seq of [-2, -1]) {
          const warm = request(v, labels, seq, {
            phase: 'warmup',
            ttftMs: 1e6,
            ttftFromIntendedMs: 1e6,
            e2eMs: 2e6,
            e2eFromIntendedMs: 2e6,
            tpotMs: 1e3,
            outputTokens,
          });
          if (requests) buffer.push(`${JSON.stringify(warm)}\n`);
        }
        for (let i = 0; i < n; i++) {
          let record: RequestRecord;
          if (i < okCount) {
            const spread = okCount > 1 ? 0.5 + i / (okCount - 1) : 1;
            const ttft = ttftMed * spread;
            const tpot = tpotMed * spread;
            const e2e = ttft + tpot * (outputTokens - 1);
            const inWindow = Math.floor(tokens / okCount) + (i < tokens % okCount ? 1 : 0);
            record = request(v, labels, i, {
              endAtMs: (i * 1000) / rateRps + e2e,
              ttftMs: ttft,
              ttftFromIntendedMs: ttft,
              e2eMs: e2e,
              e2eFromIntendedMs: e2e,
              tpotMs: tpot,
              outputTokens,
              outputTokensSource: 'usage',
              outputTokensInWindow: inWindow,
              ...(spec.withItl ? itlDetail(tpot, outputTokens) : {}),
            });
          } else {
            record = request(v, labels, i, {
              ok: false,
              status: 503,
              finishReason: null,
              promptTokens: null,
              error: { class: 'http_5xx', message: 'HTTP 503' },
            });
          }
          measured.push(record);
          if (requests) buffer.push(`${JSON.stringify(record)}\n`);
          if (buffer.length >= 2000) await flush();
        }
        await flush();

        const ok = measured.filter((r) => r.ok);
        const e2e = latencyStats(ok.map((r) => r.e2eMs as number));
        const completedRps = okCount / T;
        // Little's law holds exactly: in flight = λ × mean (end − sent).
        const meanSystemS =
          measured.reduce((acc, r) => acc + r.endAtMs - (r.sentAtMs as number), 0) / n / 1000;
        const inFlight = rateRps * meanSystemS;
        const step: StepRecord = {
          v: 1,
          variant: v.name,
          stepIndex,
          rateRps,
          repeat,
          status: 'ok',
          statusReason: null,
          startedAt: '2026-01-01T00:00:00.000Z',
          endedAt: '2026-01-01T00:01:00.000Z',
          measureStartEpochMs: 0,
          measureEndEpochMs: T * 1000,
          measuredSeconds: T,
          warmupSeconds: 1,
          drainSeconds: 1,
          sent: n + 2,
          measuredRequests: n,
          ok: okCount,
          failed,
          incomplete: 0,
          errorsByClass: failed ? { http_5xx: failed } : {},
          offeredRps: rateRps,
          achievedSendRps: rateRps,
          completedRps,
          meanPromptTokens: v.promptTokens,
          meanOutputTokens: okCount ? outputTokens : null,
          outputTokPerS: tokens / T,
          promptTokPerS: (okCount * v.promptTokens) / T,
          offeredOutputTokPerS: rateRps * v.requestedOutputTokens,
          latency: {
            ttftMs: latencyStats(ok.map((r) => r.ttftMs as number)),
            tpotMs: latencyStats(ok.map((r) => r.tpotMs as number)),
            itlMs: emptyLatencyStats(),
            e2eMs: e2e,
            ttftFromIntendedMs: latencyStats(ok.map((r) => r.ttftFromIntendedMs as number)),
            e2eFromIntendedMs: latencyStats(ok.map((r) => r.e2eFromIntendedMs as number)),
            capWaitMs: latencyStats(measured.map(() => 0)),
          },
          slo: spec.slo ? evaluateStepSlo(measured, spec.slo) : null,
          driver: {
            scheduleLagMs: { p50: 0.1, p99: 1, max: 2 },
            eventLoopDelayMs: { p50: 0.1, p99: 1, max: 2 },
            cpuPercent: 10,
            offeredRps: rateRps,
            achievedSendRps: rateRps,
            valid: true,
            reasons: [],
          },
          inFlight: { mean: inFlight, max: n },
          littlesLaw: { meanInFlight: inFlight, predicted: inFlight, ratio: 1 },
          server: null,
          reconciliation: {
            outputTokens: { client: tokens, server: tokens, diff: 0 },
            promptTokens: { client: 0, server: 0, diff: 0 },
            requests: { client: n, server: n, diff: 0 },
            ttftP50Ms: { client: null, server: null, withinBucket: null },
            ok: true,
            warnings: [],
          },
          gpu: null,
          pricing: {
            gpuClass: null,
            gpuHourlyUsd: v.gpuHourlyUsd,
            gpus: v.gpus,
            source: 'scenario',
          },
        };
        spec.patchStep?.(step);
        stepLines.push(`${JSON.stringify(step)}\n`);
        truths.push({
          variant: v.name,
          rateRps,
          repeat,
          measuredRequests: n,
          okRequests: okCount,
          tokensInWindow: tokens,
          outputTokPerS: tokens / T,
        });
      }
    }
  }

  if (requests) {
    requests.end();
    await once(requests, 'close');
  }
  writeFileSync(join(spec.dir, 'steps.jsonl'), stepLines.join(''));
  return truths;
}
