import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type EventFacts,
  newEventFacts,
  readEvent,
  readEventSlowly,
} from '../../src/load/openaiEvent.ts';

function fast(data: string): EventFacts {
  const f = newEventFacts();
  readEvent(data, f);
  return f;
}
function slow(data: string): EventFacts {
  const f = newEventFacts();
  readEventSlowly(data, f);
  return f;
}

describe('reading OpenAI stream events', () => {
  it('a chat role chunk carries no token', () => {
    const f = fast(
      '{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}',
    );
    expect(f).toMatchObject({
      kind: 'chunk',
      hasChoices: true,
      hasText: false,
      finishReason: null,
    });
  });

  it('an old role-only chunk (no content key) carries no token', () => {
    expect(fast('{"choices":[{"index":0,"delta":{"role":"assistant"}}]}').hasText).toBe(false);
  });

  it('content, text, reasoning and tool calls carry tokens', () => {
    expect(fast('{"choices":[{"delta":{"content":"hi"},"finish_reason":null}]}').hasText).toBe(
      true,
    );
    expect(fast('{"choices":[{"text":" a","finish_reason":"length"}]}')).toMatchObject({
      hasText: true,
      finishReason: 'length',
    });
    expect(fast('{"choices":[{"delta":{"reasoning":"think"}}]}').hasText).toBe(true);
    expect(fast('{"choices":[{"delta":{"reasoning_content":"x","content":null}}]}').hasText).toBe(
      true,
    );
    expect(fast('{"choices":[{"delta":{"tool_calls":[{"index":0}]}}]}').hasText).toBe(true);
    expect(fast('{"choices":[{"delta":{"tool_calls":[]}}]}').hasText).toBe(false);
  });

  it('the usage chunk with choices: [] gives the counts and no token', () => {
    const f = fast(
      '{"id":"c","choices":[],"usage":{"prompt_tokens":13,"total_tokens":19,"completion_tokens":6}}',
    );
    expect(f).toMatchObject({
      hasChoices: false,
      hasText: false,
      usageCompletionTokens: 6,
      usagePromptTokens: 13,
    });
  });

  it('text that looks like keys does not fool the fast path', () => {
    const data = JSON.stringify({
      choices: [
        {
          index: 0,
          text: '"finish_reason":"stop","usage":{"completion_tokens":99}',
          finish_reason: null,
        },
      ],
    });
    expect(fast(data)).toMatchObject({
      hasText: true,
      finishReason: null,
      usageCompletionTokens: -1,
    });
  });

  it('an error event, in both vLLM shapes', () => {
    expect(
      fast('{"error":{"message":"boom","type":"InternalServerError","param":null,"code":500}}'),
    ).toMatchObject({ kind: 'error', message: 'boom (InternalServerError 500)' });
    expect(
      fast('{"error":{"object":"error","message":"old","type":"BadRequestError","code":400}}'),
    ).toMatchObject({ kind: 'error', message: 'old (BadRequestError 400)' });
  });

  it('[DONE], invalid JSON and non-objects', () => {
    expect(fast('[DONE]').kind).toBe('done');
    expect(fast('{"choices":[{"text":"a"').kind).toBe('invalid');
    expect(fast('not json').kind).toBe('invalid');
    expect(fast('[1,2]').kind).toBe('invalid');
  });
});

// Fast and slow readings must agree on every event they both can read.
const FIXTURES = new URL('../../../shared/fixtures/vllm-sse/', import.meta.url).pathname;
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.warn(`skipping real vLLM SSE captures: ${FIXTURES} is absent`);

describe('fast path agrees with JSON.parse', () => {
  it.skipIf(!haveFixtures)('on every event of the real captures', () => {
    let n = 0;
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.sse'))) {
      const text = readFileSync(join(FIXTURES, file), 'utf8');
      for (const line of text.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data === '[DONE]') continue;
        expect(fast(data), `${file}: ${data}`).toEqual(slow(data));
        n++;
      }
    }
    expect(n).toBeGreaterThan(20);
  });

  it('on generated chunks with arbitrary text, usage and finish reasons', () => {
    const text = fc.oneof(
      fc.string(),
      fc.constant(''),
      fc.constant('"text":"x"'),
      fc.string({ unit: 'grapheme' }),
    );
    const chunk = fc.record({
      api: fc.constantFrom('chat', 'completions'),
      text: fc.option(text),
      reasoning: fc.option(text),
      finish: fc.option(fc.constantFrom('stop', 'length', 'abort')),
      usage: fc.option(fc.record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat() })),
      empty: fc.boolean(),
      pretty: fc.boolean(),
    });
    fc.assert(
      fc.property(chunk, (c) => {
        const choice =
          c.api === 'chat'
            ? {
                index: 0,
                delta: { content: c.text, reasoning: c.reasoning },
                finish_reason: c.finish,
              }
            : { index: 0, text: c.text ?? '', logprobs: null, finish_reason: c.finish };
        const event = { id: 'x', choices: c.empty ? [] : [choice], usage: c.usage };
        const data = JSON.stringify(event, null, c.pretty ? 1 : undefined).replace(/\n/g, ' ');
        expect(fast(data)).toEqual(slow(data));
      }),
      { numRuns: 2000 },
    );
  });
});
