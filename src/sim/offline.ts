/**
 * The paper's measurement protocol replayed offline, with no HTTP: `vllm bench serve` sends N
 * requests at gamma-distributed arrival times (Poisson by default) and reports throughput over
 * the whole run, from the start of the schedule until the last response ends, and latency
 * percentiles over the requests. Here the requests go straight into the scheduler and every
 * step lasts what the profile's roofline says.
 */

import { inputError } from '../util/errors.ts';
import { mean, percentileLinear } from './percentile.ts';
import type { SimProfile } from './profiles.ts';
import { benchArrivalsS } from './random.ts';
import { stepCostModel } from './roofline.ts';
import { type EngineRequest, Scheduler } from './scheduler.ts';

export interface BenchSpec {
  rateRps: number;
  prompts: number;
  inputTokens: number;
  outputTokens: number;
  /** Gamma shape of the arrival gaps; 1 = Poisson (vllm bench serve's --burstiness). */
  burstiness?: number;
  seed?: number;
}

export interface LatencySummary {
  meanMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

export interface BenchResult {
  rateRps: number;
  prompts: number;
  durationS: number;
  completed: number;
  outputTokens: number;
  promptTokens: number;
  outputTokPerS: number;
  requestsPerS: number;
  ttft: LatencySummary;
  tpot: LatencySummary;
  e2e: LatencySummary;
  /** Per request, in arrival order: what goodput under SLOs needs. */
  requests: Array<{ ttftMs: number; tpotMs: number; e2eMs: number; outputTokens: number }>;
  maxRunning: number;
  preemptions: number;
  steps: number;
}

/** Runs one λ step of the protocol on a profile; deterministic for a given seed. */
export function simulateBench(profile: SimProfile, spec: BenchSpec): BenchResult {
  // vLLM refuses such a request with HTTP 400; replayed here it would never finish (a prompt
  // larger than the KV cache is never scheduled) or finish with no output.
  const contextTokens = profile.scheduler.maxModelLen;
  if (spec.inputTokens + spec.outputTokens > contextTokens) {
    throw inputError(
      `${spec.inputTokens} prompt + ${spec.outputTokens} output tokens exceed the context ` +
        `length of profile '${profile.name}' (${contextTokens} tokens)`,
    );
  }
  const arrivals = benchArrivalsS(spec.prompts, spec.rateRps, spec.burstiness ?? 1, spec.seed ?? 0);
  const frontendS = profile.factors.frontendMs / 1e3;
  const scheduler = new Scheduler(profile.scheduler);
  const cost = stepCostModel(profile);
  const requests: EngineRequest[] = [];

  let nowS = 0;
  let next = 0;
  let finished = 0;
  let maxRunning = 0;
  let steps = 0;
  while (finished < spec.prompts) {
    while (next < arrivals.length && arrivals[next]! + frontendS <= nowS) {
      const req = scheduler.add(
        { id: next, promptTokens: spec.inputTokens, maxTokens: spec.outputTokens },
        arrivals[next]! + frontendS,
      );
      requests.push(req);
      next += 1;
    }
    const plan = scheduler.plan(nowS);
    if (plan === null) {
      nowS = arrivals[next]! + frontendS;
      continue;
    }
    nowS += cost.stepTimeS(plan.shape);
    const outcome = scheduler.commit(plan, nowS);
    finished += outcome.finished.length;
    steps += 1;
    if (scheduler.numRunning > maxRunning) maxRunning = scheduler.numRunning;
  }
  return summarise(spec, arrivals, requests, {
    durationS: nowS,
    maxRunning,
    steps,
    preemptions: scheduler.totalPreemptions,
  });
}

function summarise(
  spec: BenchSpec,
  arrivals: number[],
  requests: EngineRequest[],
  run: { durationS: number; maxRunning: number; steps: number; preemptions: number },
): BenchResult {
  const rows = requests.map((req) => {
    const arrival = arrivals[req.id]!;
    const ttftMs = ((req.firstTokenS ?? Number.NaN) - arrival) * 1e3;
    const e2eMs = ((req.finishedS ?? Number.NaN) - arrival) * 1e3;
    const tpotMs = req.output > 1 ? (e2eMs - ttftMs) / (req.output - 1) : 0;
    return { ttftMs, tpotMs, e2eMs, outputTokens: req.output };
  });
  const outputTokens = rows.reduce((sum, r) => sum + r.outputTokens, 0);
  return {
    rateRps: spec.rateRps,
    prompts: spec.prompts,
    durationS: run.durationS,
    completed: rows.length,
    outputTokens,
    promptTokens: rows.length * spec.inputTokens,
    outputTokPerS: outputTokens / run.durationS,
    requestsPerS: rows.length / run.durationS,
    ttft: summary(rows.map((r) => r.ttftMs)),
    // vllm bench serve takes TPOT only over requests with more than one output token.
    tpot: summary(rows.filter((r) => r.outputTokens > 1).map((r) => r.tpotMs)),
    e2e: summary(rows.map((r) => r.e2eMs)),
    requests: rows,
    maxRunning: run.maxRunning,
    preemptions: run.preemptions,
    steps: run.steps,
  };
}

function summary(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    meanMs: mean(sorted),
    p50Ms: percentileLinear(sorted, 50),
    p90Ms: percentileLinear(sorted, 90),
    p99Ms: percentileLinear(sorted, 99),
  };
}
