import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSimServer } from '../../src/sim/server.ts';
import { countTextTokens } from '../../src/sim/tokens.ts';
import { jsonOf, postJson, sampleValue, sseData } from './http.ts';

let server: SimServer;
beforeAll(async () => {
  server = await startSimServer({ profile: 'demo', speedup: 20 });
});
afterAll(() => server.close());

describe('OpenAI-compatible endpoints', () => {
  it('streams chat as vLLM does: role chunk, one chunk per token, usage chunk, [DONE]', async () => {
    const res = await postJson(`${server.url}/v1/chat/completions`, {
      model: server.modelName,
      messages: [{ role: 'user', content: 'how much does a token cost' }],
      max_completion_tokens: 5,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseData(await res.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    // Role chunk (empty content, not a token), 5 content chunks, the usage chunk.
    expect(chunks).toHaveLength(7);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks[0].id).toMatch(/^chatcmpl-/);
    expect(chunks.slice(1, 6).every((c) => typeof c.choices[0].delta.content === 'string')).toBe(
      true,
    );
    expect(chunks.slice(1, 5).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect(chunks[5].choices[0].finish_reason).toBe('length');
    // Prompt: 6 words of ≤ 12 characters = 6 tokens + 4 per message + 3 priming = 13.
    expect(chunks[6].choices).toEqual([]);
    expect(chunks[6].usage).toEqual({ prompt_tokens: 13, total_tokens: 18, completion_tokens: 5 });
  });

  it('streams completions with a running usage on every chunk (continuous_usage_stats)', async () => {
    const res = await postJson(`${server.url}/v1/completions`, {
      prompt: [11, 12, 13, 14, 15, 16, 17],
      max_tokens: 3,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
    const events = sseData(await res.text());
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.map((c) => c.usage.completion_tokens)).toEqual([1, 2, 3, 3]);
    const reasons = chunks.map((c) =>
      c.choices.length === 0 ? 'usage' : c.choices[0].finish_reason,
    );
    expect(reasons).toEqual([null, null, 'length', 'usage']);
    expect(chunks[0].object).toBe('text_completion');
    expect(chunks[0].usage.prompt_tokens).toBe(7);
  });

  it('answers without streaming, defaulting to 16 tokens for completions', async () => {
    const res = await postJson(`${server.url}/v1/completions`, {
      prompt: 'one two three',
      ignore_eos: true,
    });
    const body = await jsonOf(res);
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 16, total_tokens: 19 });
    expect(body.choices[0].text.trim().split(' ')).toHaveLength(16);
  });

  it('stops at min_tokens or later when EOS is not ignored, never before', async () => {
    const res = await postJson(`${server.url}/v1/completions`, {
      prompt: [1, 2],
      max_tokens: 40,
      min_tokens: 30,
    });
    const body = await jsonOf(res);
    expect(body.usage.completion_tokens).toBeGreaterThanOrEqual(30);
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(40);
  });

  it('rejects a prompt longer than the context, an unknown model and bad JSON like vLLM', async () => {
    const long = await postJson(`${server.url}/v1/completions`, {
      prompt: new Array(4090).fill(1),
      max_tokens: 10,
    });
    expect(long.status).toBe(400);
    expect((await jsonOf(long)).error).toMatchObject({ type: 'BadRequestError', code: 400 });
    const unknown = await postJson(`${server.url}/v1/completions`, { model: 'gpt-9', prompt: 'x' });
    expect(unknown.status).toBe(404);
    expect((await jsonOf(unknown)).error.message).toContain('gpt-9');
    const bad = await fetch(`${server.url}/v1/completions`, { method: 'POST', body: '{oops' });
    expect(bad.status).toBe(400);
  });

  it('serves /v1/models, /health and /version', async () => {
    const models = await jsonOf(await fetch(`${server.url}/v1/models`));
    expect(models.data[0]).toMatchObject({
      id: 'demo-1b',
      object: 'model',
      owned_by: 'vllm',
      max_model_len: 4096,
    });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(await jsonOf(await fetch(`${server.url}/version`))).toEqual({ version: '0.32.0+sim' });
  });

  it('counts text prompts with the documented rule (one token per started 12 characters)', () => {
    expect(countTextTokens('cost per million output tokens')).toBe(5);
    expect(countTextTokens('underutilisation')).toBe(2); // 16 characters
    expect(countTextTokens('  ')).toBe(0);
  });
});

describe('counters, restarts and data-parallel engines', () => {
  it('counts generated tokens and finished requests exactly, and resets them on restart', async () => {
    const s = await startSimServer({ profile: 'demo', speedup: 20 });
    try {
      const outs = [3, 4, 5];
      await Promise.all(
        outs.map(async (n) =>
          (
            await postJson(`${s.url}/v1/completions`, {
              prompt: [1],
              max_tokens: n,
              ignore_eos: true,
            })
          ).text(),
        ),
      );
      const before = s.metricsText();
      expect(sampleValue(before, 'vllm:generation_tokens_total')).toBe(12);
      expect(sampleValue(before, 'vllm:request_success_total', 'finished_reason="length"')).toBe(3);
      expect(sampleValue(before, 'vllm:time_to_first_token_seconds_count')).toBe(3);
      // Inter-token samples: one per token after the first: 2 + 3 + 4.
      expect(sampleValue(before, 'vllm:inter_token_latency_seconds_count')).toBe(9);
      const createdBefore = sampleValue(before, 'vllm:generation_tokens_created');
      const startBefore = sampleValue(before, 'process_start_time_seconds');

      await new Promise((r) => setTimeout(r, 20));
      await s.restart();
      const after = s.metricsText();
      expect(sampleValue(after, 'vllm:generation_tokens_total')).toBe(0);
      expect(sampleValue(after, 'vllm:request_success_total', 'finished_reason="length"')).toBe(0);
      expect(sampleValue(after, 'vllm:generation_tokens_created')).toBeGreaterThan(createdBefore);
      expect(sampleValue(after, 'process_start_time_seconds')).toBeGreaterThan(startBefore);
    } finally {
      await s.close();
    }
  });

  it('refuses connections during a restart with downtime, then serves again', async () => {
    const s = await startSimServer({ profile: 'demo', speedup: 20 });
    try {
      const restarting = s.restart({ downtimeMs: 300 });
      await new Promise((r) => setTimeout(r, 100));
      await expect(fetch(`${s.url}/health`)).rejects.toThrow();
      await restarting;
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('spreads requests over data-parallel engines, each with its own engine label', async () => {
    const s = await startSimServer({ profile: 'demo', speedup: 20, engines: 2 });
    try {
      await Promise.all(
        Array.from({ length: 6 }, async () =>
          (
            await postJson(`${s.url}/v1/completions`, {
              prompt: [1, 2, 3],
              max_tokens: 4,
              ignore_eos: true,
            })
          ).text(),
        ),
      );
      const text = s.metricsText();
      const e0 = sampleValue(
        text,
        'vllm:request_success_total',
        'engine="0",finished_reason="length"',
      );
      const e1 = sampleValue(
        text,
        'vllm:request_success_total',
        'engine="1",finished_reason="length"',
      );
      expect(e0 + e1).toBe(6);
      expect(e0).toBeGreaterThan(0);
      expect(e1).toBeGreaterThan(0);
      expect(text).toContain('vllm:cache_config_info{_block_size_resolved="True",block_size="16"');
    } finally {
      await s.close();
    }
  });
});
