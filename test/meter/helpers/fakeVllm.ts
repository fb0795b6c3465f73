/**
 * A tiny stand-in for a vLLM server on a loopback port: /metrics in vLLM V1's names and shapes
 * from counters the test sets, /v1/models and /version. It records every request it receives,
 * so tests can prove the meter is read-only.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TTFT_BOUNDS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

export interface FakeHistogram {
  /** Cumulative counts per finite bound, same length as the bounds. */
  cumulative: number[];
  count: number;
  sum: number;
}

export interface FakeState {
  model: string;
  generationTokens: number;
  promptTokens: number;
  /** finished_reason → count */
  finished: { stop: number; length: number; abort: number };
  preemptions: number;
  prefixQueries: number;
  prefixHits: number;
  running: number;
  waiting: number;
  kvUsage: number;
  ttft: FakeHistogram;
  processStartS: number;
}

export function freshState(model = 'meta-llama/Llama-3.1-8B-Instruct'): FakeState {
  return {
    model,
    generationTokens: 0,
    promptTokens: 0,
    finished: { stop: 0, length: 0, abort: 0 },
    preemptions: 0,
    prefixQueries: 0,
    prefixHits: 0,
    running: 0,
    waiting: 0,
    kvUsage: 0,
    ttft: { cumulative: TTFT_BOUNDS.map(() => 0), count: 0, sum: 0 },
    processStartS: 1_700_000_000,
  };
}

/** Adds `n` observations of `valueS` to a histogram with the TTFT bounds. */
export function observe(h: FakeHistogram, valueS: number, n = 1): void {
  TTFT_BOUNDS.forEach((le, i) => {
    if (valueS <= le) h.cumulative[i] = (h.cumulative[i] as number) + n;
  });
  h.count += n;
  h.sum += valueS * n;
}

const fmt = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));

export function metricsText(s: FakeState): string {
  const l = `engine="0",model_name="${s.model}"`;
  const lines: string[] = [
    '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${fmt(s.processStartS)}`,
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running{${l}} ${fmt(s.running)}`,
    '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting{${l}} ${fmt(s.waiting)}`,
    '# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.',
    '# TYPE vllm:kv_cache_usage_perc gauge',
    `vllm:kv_cache_usage_perc{${l}} ${fmt(s.kvUsage)}`,
    '# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.',
    '# TYPE vllm:prefix_cache_queries_total counter',
    `vllm:prefix_cache_queries_total{${l}} ${fmt(s.prefixQueries)}`,
    '# HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.',
    '# TYPE vllm:prefix_cache_hits_total counter',
    `vllm:prefix_cache_hits_total{${l}} ${fmt(s.prefixHits)}`,
    '# HELP vllm:num_preemptions_total Cumulative number of preemption from the engine.',
    '# TYPE vllm:num_preemptions_total counter',
    `vllm:num_preemptions_total{${l}} ${fmt(s.preemptions)}`,
    '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.',
    '# TYPE vllm:prompt_tokens_total counter',
    `vllm:prompt_tokens_total{${l}} ${fmt(s.promptTokens)}`,
    '# HELP vllm:generation_tokens_total Number of generation tokens processed.',
    '# TYPE vllm:generation_tokens_total counter',
    `vllm:generation_tokens_total{${l}} ${fmt(s.generationTokens)}`,
    '# HELP vllm:request_success_total Count of successfully processed requests.',
    '# TYPE vllm:request_success_total counter',
    ...Object.entries(s.finished).map(
      ([reason, n]) =>
        `vllm:request_success_total{engine="0",finished_reason="${reason}",model_name="${s.model}"} ${fmt(n)}`,
    ),
    '# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.',
    '# TYPE vllm:time_to_first_token_seconds histogram',
    ...TTFT_BOUNDS.map(
      (le, i) =>
        `vllm:time_to_first_token_seconds_bucket{${l},le="${fmt(le)}"} ${fmt(s.ttft.cumulative[i] as number)}`,
    ),
    `vllm:time_to_first_token_seconds_bucket{${l},le="+Inf"} ${fmt(s.ttft.count)}`,
    `vllm:time_to_first_token_seconds_count{${l}} ${fmt(s.ttft.count)}`,
    `vllm:time_to_first_token_seconds_sum{${l}} ${fmt(s.ttft.sum)}`,
  ];
  return `${lines.join('\n')}\n`;
}

export interface FakeVllm {
  url: string;
  port: number;
  state: FakeState;
  /** Every request received: `METHOD /path`. */
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeVllm(state: FakeState = freshState(), port = 0): Promise<FakeVllm> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(metricsText(fake.state));
    } else if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: [{ id: fake.state.model, object: 'model', root: fake.state.model }],
        }),
      );
    } else if (req.method === 'GET' && path === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ version: '0.32.0' }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  const fake: FakeVllm = {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    state,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}
