/**
 * The captures in test/fixtures/vllm-0.32.0 (scripts/vllm-capture-fixtures), checked without a
 * server: they are what the telemetry core and the importer are tested against, so they must be
 * whole and consistent with each other. The numbers asserted come from the server's own
 * counters in the same captures, or from the requests the capture script sent.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSseParser } from '../../src/load/sseStream.ts';
import { parsePromText } from '../../src/telemetry/promText.ts';
import { snapshotFromMetrics } from '../../src/telemetry/vllmModel.ts';
import { windowBetween } from '../../src/telemetry/windows.ts';

const DIR = new URL('../fixtures/vllm-0.32.0/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, DIR), 'utf8');
// Scrape times are not part of the captures; windows only need them in order.
const snapshotOf = (name: string, timeMs = 0) =>
  snapshotFromMetrics(parsePromText(read(name)), timeMs);

function events(name: string): Array<Record<string, unknown> | '[DONE]'> {
  const out: Array<Record<string, unknown> | '[DONE]'> = [];
  const parser = createSseParser({
    onEvent: (data) => out.push(data === '[DONE]' ? data : JSON.parse(data)),
  });
  parser.feed(readFileSync(new URL(name, DIR)));
  parser.end();
  return out;
}

describe('vLLM 0.32.0 captures', () => {
  it('idle /metrics: every V1 concept present and at zero', () => {
    const idle = snapshotOf('metrics-idle.txt');
    expect(idle.era).toBe('v1');
    for (const [concept, value] of Object.entries(idle.counters)) {
      expect(value, concept).toBe(0);
    }
    expect(idle.histograms.ttft).toMatchObject({ count: 0, sum: 0 });
    expect(read('metrics-idle.headers')).toMatch(
      /^content-type: text\/plain; version=1\.0\.0; charset=utf-8\r?$/m,
    );
  });

  it('the four captured streams moved the counters by exactly their usage', () => {
    const streams = [
      'completions-usage.sse',
      'chat-usage.sse',
      'completions-continuous-usage.sse',
      'chat-no-usage.sse',
    ];
    // The capture asked for 16, 16, 8 and 8 output tokens with ignore_eos.
    const window = windowBetween(
      snapshotOf('metrics-idle.txt'),
      snapshotOf('metrics-after-4-requests.txt', 1000),
    );
    expect(window.increases.outputTokens).toBe(16 + 16 + 8 + 8);
    expect(window.increases.requests).toBe(streams.length);

    // chat-no-usage has no usage chunk; the other three give their prompt lengths.
    const prompts = streams.slice(0, 3).map((name) => {
      const usage = events(name).findLast((e) => e !== '[DONE]' && 'usage' in e) as {
        usage: { prompt_tokens: number };
      };
      return usage.usage.prompt_tokens;
    });
    const chatNoUsagePrompt = window.increases.promptTokens! - prompts.reduce((a, b) => a + b);
    // Same chat messages as chat-usage, so the same prompt length.
    expect(chatNoUsagePrompt).toBe(prompts[1]);
  });

  it('every stream ends with [DONE] after its finish chunk', () => {
    for (const name of ['completions-usage.sse', 'chat-usage.sse', 'chat-no-usage.sse']) {
      const all = events(name);
      expect(all.at(-1), name).toBe('[DONE]');
      const finishes = all.filter(
        (e) =>
          e !== '[DONE]' &&
          (e.choices as Array<{ finish_reason: string | null }>).some((c) => c.finish_reason),
      );
      expect(finishes, name).toHaveLength(1);
    }
  });

  it('vllm bench serve result: totals equal the server counter deltas over the run', () => {
    const result = JSON.parse(read('bench-serve-rate5-n40.json')) as Record<string, number>;
    const window = windowBetween(
      snapshotOf('bench-serve-metrics-before.txt'),
      snapshotOf('bench-serve-metrics-after.txt', 1000),
    );
    expect(result.completed).toBe(40);
    expect(result.failed).toBe(0);
    // 40 requests × 128 tokens (fixed output length, ignore_eos).
    expect(result.total_output_tokens).toBe(40 * 128);
    expect(window.increases.outputTokens).toBe(result.total_output_tokens);
    expect(window.increases.promptTokens).toBe(result.total_input_tokens);
    expect(window.increases.requests).toBe(result.completed);
  });
});
