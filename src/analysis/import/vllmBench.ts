/**
 * `vllm bench serve --save-result` JSON → ImportedStep. Keys as vLLM writes them (totals,
 * `{mean,median,std,pNN}_{ttft,tpot,itl,e2el}_ms`, and with --save-detailed the per-request
 * arrays `input_lens`, `output_lens`, `ttfts`, `itls`, `start_times`, `errors`, and in recent
 * versions `latencies`). θ is vLLM's own: successful output tokens over the benchmark duration.
 */

import type { ErrorClass, LatencyStats } from '../../load/types.ts';
import { inputError } from '../../util/errors.ts';
import { latencyStats } from '../../util/stats.ts';
import type { ImportedRequest, ImportedStep } from './types.ts';

type Json = Record<string, unknown>;

/** True when the object looks like a vllm bench serve result. */
export const isVllmBenchResult = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  'request_rate' in value &&
  'output_throughput' in value &&
  'duration' in value;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function requireNumber(json: Json, key: string, file: string): number {
  const v = num(json[key]);
  if (v === null)
    throw inputError(`${file}: field '${key}' must be a number (vllm bench serve result)`);
  return v;
}

/** LatencyStats from the summary keys, e.g. mean_ttft_ms, median_ttft_ms, p99_ttft_ms. */
function summaryStats(json: Json, metric: string, count: number): LatencyStats {
  const key = (prefix: string) => num(json[`${prefix}_${metric}_ms`]);
  return {
    count,
    meanMs: key('mean'),
    p50Ms: key('p50') ?? key('median'),
    p90Ms: key('p90'),
    p99Ms: key('p99'),
    maxMs: key('p100'),
  };
}

/** vLLM stores the HTTP reason phrase or an exception text; map it to our error classes. */
export function classifyBenchError(message: string): ErrorClass {
  if (/too many requests|\b429\b/i.test(message)) return 'http_429';
  if (/timeout|timed out/i.test(message)) return 'timeout';
  if (/disconnect|reset|closed|broken pipe/i.test(message)) return 'reset';
  if (/connect|refused|name resolution/i.test(message)) return 'connect';
  if (
    /internal server error|service unavailable|bad gateway|gateway timeout|\b5\d\d\b/i.test(message)
  ) {
    return 'http_5xx';
  }
  if (/bad request|not found|unprocessable|forbidden|unauthorized|\b4\d\d\b/i.test(message)) {
    return 'http_4xx';
  }
  return 'malformed_stream';
}

function arrayOf(json: Json, key: string, n: number): unknown[] | null {
  const v = json[key];
  return Array.isArray(v) && v.length === n ? v : null;
}

function detailedRequests(
  json: Json,
  file: string,
  api: 'completions' | 'chat',
): ImportedRequest[] | null {
  const inputs = json.input_lens;
  if (!Array.isArray(inputs)) return null;
  const n = inputs.length;
  const outputs = arrayOf(json, 'output_lens', n);
  const ttfts = arrayOf(json, 'ttfts', n);
  const itls = arrayOf(json, 'itls', n);
  const starts = arrayOf(json, 'start_times', n);
  const errors = arrayOf(json, 'errors', n);
  const latencies = arrayOf(json, 'latencies', n);
  if (!outputs || !ttfts || !itls || !starts || !errors) {
    throw inputError(
      `${file}: per-request arrays have different lengths or are missing ` +
        '(output_lens, ttfts, itls, start_times, errors must match input_lens)',
    );
  }
  const origin = Math.min(...starts.map((s) => num(s) ?? Number.POSITIVE_INFINITY));

  return inputs.map((input, i): ImportedRequest => {
    const error = typeof errors[i] === 'string' ? (errors[i] as string) : '';
    const ok = error === '';
    const out = num(outputs[i]) ?? 0;
    const gapsMs = (Array.isArray(itls[i]) ? (itls[i] as unknown[]) : []).map(
      (g) => (num(g) ?? 0) * 1000,
    );
    const sentAtMs = ((num(starts[i]) ?? origin) - origin) * 1000;
    const ttftMs = ok ? (num(ttfts[i]) ?? 0) * 1000 : null;
    // E2E: vLLM's own latency when saved, else TTFT plus every chunk gap (the last chunk).
    const savedE2e = latencies ? num(latencies[i]) : null;
    const e2eMs =
      ttftMs === null
        ? null
        : savedE2e !== null
          ? savedE2e * 1000
          : ttftMs + gapsMs.reduce((a, b) => a + b, 0);
    const tpotMs =
      ttftMs !== null && e2eMs !== null && out > 1 ? (e2eMs - ttftMs) / (out - 1) : null;
    return {
      v: 1,
      phase: 'measure',
      seq: i,
      id: `${file}#${i}`,
      api,
      intendedAtMs: sentAtMs,
      releasedAtMs: sentAtMs,
      sentAtMs,
      firstByteAtMs: ttftMs === null ? null : sentAtMs + ttftMs,
      firstTokenAtMs: ttftMs === null ? null : sentAtMs + ttftMs,
      lastTokenAtMs: e2eMs === null ? null : sentAtMs + e2eMs,
      endAtMs: sentAtMs + (e2eMs ?? 0),
      ttftMs,
      ttftFromIntendedMs: ttftMs,
      e2eMs,
      e2eFromIntendedMs: e2eMs,
      tpotMs,
      capWaitMs: 0,
      sendLagMs: null,
      itl: null,
      chunkGaps: gapsMs.length ? latencyStats(gapsMs) : null,
      chunks: gapsMs.length + (ok ? 1 : 0),
      promptTokens: num(input),
      promptTokensSource: 'usage',
      outputTokens: ok ? out : null,
      outputTokensSource: ok ? 'usage' : null,
      requestedOutputTokens: out,
      // The whole benchmark is the window: every token of a successful request counts.
      outputTokensInWindow: ok ? out : 0,
      status: ok ? 200 : null,
      finishReason: null,
      ok,
      error: ok ? null : { class: classifyBenchError(error), message: error.slice(0, 300) },
    };
  });
}

/** '20261203-180540' → Unix ms (vLLM writes local time without a zone; read as UTC). */
function parseBenchDate(value: unknown): number | null {
  const m =
    typeof value === 'string' ? /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(value) : null;
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

export function importVllmBench(json: Json, file: string): ImportedStep {
  const durationS = requireNumber(json, 'duration', file);
  const completed = requireNumber(json, 'completed', file);
  const outputTokens = requireNumber(json, 'total_output_tokens', file);
  const promptTokens = requireNumber(json, 'total_input_tokens', file);
  const numPrompts = num(json.num_prompts) ?? completed;
  const failed = num(json.failed) ?? Math.max(0, numPrompts - completed);
  if (!(durationS > 0)) throw inputError(`${file}: field 'duration' must be greater than 0`);

  const rawRate = json.request_rate;
  let rateRps: number;
  let rateNote: string | null = null;
  if (num(rawRate) !== null && (rawRate as number) > 0) {
    rateRps = rawRate as number;
  } else if (rawRate === 'inf' || rawRate === Number.POSITIVE_INFINITY) {
    rateRps = completed / durationS;
    rateNote = 'request_rate was inf (all requests at t=0): λ shown is the completion rate';
  } else {
    throw inputError(`${file}: field 'request_rate' must be a number or "inf"`);
  }
  if (json.ramp_up_strategy)
    rateNote = `ramp-up ${String(json.ramp_up_strategy)}: λ is the final setting`;

  const api = String(json.endpoint_type ?? json.backend ?? '').includes('chat')
    ? 'chat'
    : 'completions';
  const requests = detailedRequests(json, file, api);
  const ok = requests ? requests.filter((r) => r.ok) : null;
  const fromRequests = (pick: (r: ImportedRequest) => number | null) =>
    latencyStats((ok ?? []).map((r) => pick(r) ?? Number.NaN));

  const model = typeof json.model_id === 'string' ? json.model_id : null;
  const label = typeof json.label === 'string' && json.label ? json.label : null;
  return {
    file,
    tool: 'vllm bench serve',
    variant: label ?? model ?? 'imported',
    model,
    api,
    rateRps,
    rateNote,
    startedAtMs: parseBenchDate(json.date),
    durationS,
    sent: numPrompts,
    ok: completed,
    failed,
    incomplete: 0,
    outputTokens,
    promptTokens,
    latency: ok
      ? {
          ttftMs: fromRequests((r) => r.ttftMs),
          tpotMs: fromRequests((r) => r.tpotMs),
          // vLLM's ITL is per chunk, pooled over successful requests.
          itlMs: latencyStats(
            (json.itls as unknown[]).flatMap((gaps, i) =>
              requests?.[i]?.ok && Array.isArray(gaps) ? gaps.map((g) => (num(g) ?? 0) * 1000) : [],
            ),
          ),
          e2eMs: fromRequests((r) => r.e2eMs),
        }
      : {
          ttftMs: summaryStats(json, 'ttft', completed),
          tpotMs: summaryStats(json, 'tpot', completed),
          itlMs: summaryStats(json, 'itl', completed),
          e2eMs: summaryStats(json, 'e2el', completed),
        },
    maxConcurrentRequests: num(json.max_concurrent_requests),
    requests,
    settings: {
      file,
      request_rate: rawRate,
      burstiness: json.burstiness ?? null,
      max_concurrency: json.max_concurrency ?? null,
      num_prompts: numPrompts,
      backend: json.backend ?? null,
      date: json.date ?? null,
    },
  };
}
