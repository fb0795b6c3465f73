import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createEventReader,
  type EventFacts,
  newEventFacts,
  readEventSlowly,
} from '../../src/load/openaiEvent.ts';

/** A fresh reader: the first reading of a shape always goes through JSON.parse. */
function fast(data: string): EventFacts {
  return { ...createEventReader().read(data) };
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

  it('a same-shape chunk is read without JSON.parse, and tricky text does not fool it', () => {
    const reader = createEventReader();
    const chunk = (text: string) =>
      JSON.stringify({ choices: [{ index: 0, text, finish_reason: null }] });
    reader.read(chunk('first'));
    const tricky = '"finish_reason":"stop","usage":{"completion_tokens":99}\\';
    expect({ ...reader.read(chunk(tricky)) }).toMatchObject({
      hasText: true,
      finishReason: null,
      usageCompletionTokens: -1,
    });
    expect({ ...reader.read(chunk('')) }).toMatchObject({ hasText: false, kind: 'chunk' });
    expect(reader.fastReads).toBe(2);
  });

  it('a same-shape prefix with broken JSON after it is caught', () => {
    const reader = createEventReader();
    reader.read('{"choices":[{"index":0,"text":"a","finish_reason":null}]}');
    expect(reader.read('{"choices":[{"index":0,"text":"b","finish_reason":null}]').kind).toBe(
      'invalid',
    );
    expect(reader.read('{"choices":[{"index":0,"text":"c","finish_reason":nul}]}').kind).toBe(
      'invalid',
    );
    expect(reader.read('{"choices":[{"index":0,"text":"d","finish_reason":null}]}').kind).toBe(
      'chunk',
    );
    expect(reader.fastReads).toBe(1);
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
  it.skipIf(!haveFixtures)('on every event of the real captures, one reader per stream', () => {
    let n = 0;
    let fastReads = 0;
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.sse'))) {
      const reader = createEventReader();
      const text = readFileSync(join(FIXTURES, file), 'utf8');
      for (const line of text.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data === '[DONE]') continue;
        expect({ ...reader.read(data) }, `${file}: ${data}`).toEqual(slow(data));
        n++;
      }
      fastReads += reader.fastReads;
    }
    expect(n).toBeGreaterThan(20);
    // Every capture has runs of same-shape content chunks (the continuous-usage one too).
    expect(fastReads).toBeGreaterThan(n / 2);
  });

  it('on generated streams with arbitrary text, usage, finish reasons and corruption', () => {
    const text = fc.oneof(
      fc.string(),
      fc.constant(''),
      fc.constant('"text":"x"'),
      fc.string({ unit: 'grapheme' }),
    );
    const event = fc.record({
      text: fc.option(text),
      reasoning: fc.option(text, { freq: 8 }),
      finish: fc.option(fc.constantFrom('stop', 'length'), { freq: 6 }),
      usage: fc.option(fc.record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat() })),
      empty: fc.boolean(),
      cut: fc.option(fc.nat(), { freq: 6 }),
    });
    const stream = fc.record({
      api: fc.constantFrom('chat', 'completions'),
      continuous: fc.boolean(),
      events: fc.array(event, { minLength: 1, maxLength: 12 }),
    });
    fc.assert(
      fc.property(stream, (s) => {
        const reader = createEventReader();
        for (const e of s.events) {
          const choice =
            s.api === 'chat'
              ? {
                  index: 0,
                  delta: { content: e.text, reasoning: e.reasoning },
                  finish_reason: e.finish,
                }
              : { index: 0, text: e.text ?? '', logprobs: null, finish_reason: e.finish };
          const usage = s.continuous
            ? (e.usage ?? { prompt_tokens: 1, completion_tokens: 2 })
            : e.usage;
          let data = JSON.stringify({ id: 'x', choices: e.empty ? [] : [choice], usage });
          if (e.cut !== null) data = data.slice(0, e.cut % data.length);
          expect({ ...reader.read(data) }, data).toEqual(slow(data));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
