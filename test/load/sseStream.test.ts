import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSseParser } from '../../src/load/sseStream.ts';

/** Feeds the byte pieces and returns the events and comments seen. */
function parse(pieces: Uint8Array[]): string[] {
  const out: string[] = [];
  const parser = createSseParser({
    onEvent: (data, type) => out.push(type === 'message' ? data : `${type}|${data}`),
    onComment: (text) => out.push(`#${text}`),
  });
  for (const p of pieces) parser.feed(p);
  parser.end();
  return out;
}

/** Every split of the stream into two pieces, plus one byte at a time. */
function everySplit(bytes: Buffer): Uint8Array[][] {
  const splits: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.length; i++) splits.push([bytes.subarray(0, i), bytes.subarray(i)]);
  splits.push([...bytes].map((b) => Uint8Array.of(b)));
  return splits;
}

function expectSameAtEverySplit(stream: string, expected: string[]): void {
  const bytes = Buffer.from(stream, 'utf8');
  expect(parse([bytes])).toEqual(expected);
  for (const pieces of everySplit(bytes)) expect(parse(pieces)).toEqual(expected);
}

const ROLE =
  '{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}';
const TOKEN =
  '{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"日本語 ✓"},"finish_reason":null}]}';
const MULTI =
  '{"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":" three tokens here","finish_reason":"length"}],"usage":{"prompt_tokens":4,"completion_tokens":9,"total_tokens":13}}';
const USAGE =
  '{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":13,"total_tokens":19,"completion_tokens":6}}';
const ERROR = '{"error":{"message":"boom","type":"InternalServerError","param":null,"code":500}}';

describe('SSE framing split at every byte boundary', () => {
  it('role chunk, multi-byte UTF-8 token, several tokens in one chunk, usage, [DONE] (LF)', () => {
    const events = [ROLE, TOKEN, MULTI, USAGE, '[DONE]'];
    expectSameAtEverySplit(events.map((e) => `data: ${e}\n\n`).join(''), events);
  });

  it('CRLF line ends', () => {
    const events = [ROLE, TOKEN, USAGE, '[DONE]'];
    expectSameAtEverySplit(events.map((e) => `data: ${e}\r\n\r\n`).join(''), events);
  });

  it('bare CR line ends', () => {
    const events = [TOKEN, '[DONE]'];
    expectSameAtEverySplit(events.map((e) => `data: ${e}\r\r`).join(''), events);
  });

  it('an error event mid-stream, then [DONE]', () => {
    expectSameAtEverySplit(`data: ${TOKEN}\n\ndata: ${ERROR}\n\ndata: [DONE]\n\n`, [
      TOKEN,
      ERROR,
      '[DONE]',
    ]);
  });

  it('comments, event types, multi-line data, no space after the colon, other fields', () => {
    const stream =
      ': keep-alive\n\nevent: ping\ndata:{"a":1}\n\nid: 7\nretry: 10\ndata: line one\ndata: line two\n\ndata\n\n';
    expectSameAtEverySplit(stream, ['#keep-alive', 'ping|{"a":1}', 'line one\nline two', '']);
  });

  it('mixed terminators and a leading BOM', () => {
    expectSameAtEverySplit('\uFEFFdata: a\r\n\ndata: b\r\rdata: c\n\r\n', ['a', 'b', 'c']);
    // CRLF is one line end: read as two, the second would end the event early.
    expectSameAtEverySplit('data: x\r\ndata: y\r\n\r\n', ['x\ny']);
  });

  it('a last event without its blank line is still delivered at end of stream', () => {
    expectSameAtEverySplit('data: a\n\ndata: [DONE]', ['a', '[DONE]']);
  });
});

// Real captures: ../shared/fixtures/vllm-sse relative to the repository root.
const FIXTURES = new URL('../../../shared/fixtures/vllm-sse/', import.meta.url).pathname;
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) {
  console.warn(`skipping real vLLM SSE captures: ${FIXTURES} is absent (needs ../shared)`);
}

describe.skipIf(!haveFixtures)('real vLLM captures split at every byte boundary', () => {
  const files = haveFixtures ? readdirSync(FIXTURES).filter((f) => f.endsWith('.sse')) : [];
  it.each(files)('%s', (file) => {
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    // Independent reading: each event is one "data: " line followed by a blank line.
    const expected = text
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => block.slice(6));
    expect(expected.length).toBeGreaterThan(2);
    expectSameAtEverySplit(text, expected);
  });
});
