import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkTemplate } from '../../src/load/chunkTemplate.ts';
import { driveStep } from '../../src/load/driver.ts';
import { createEventReader } from '../../src/load/openaiEvent.ts';
import { buildPlan } from '../../src/load/schedule.ts';
import type { RequestRecord } from '../../src/load/types.ts';
import { completionChunk, listen, type Running, sse, usageChunk } from './servers.ts';

const event = (text: string) => JSON.stringify(completionChunk(text, null));

function learned() {
  const reader = createEventReader();
  reader.read(event('first'));
  const shape = reader.shape!;
  return chunkTemplate(shape.prefix, shape.suffix, reader.shapeVersion);
}

describe('byte template of a learned chunk shape', () => {
  it('matches same-shape chunks and measures their text', () => {
    const t = learned();
    expect(t.match(Buffer.from(sse(event(' hello'))))).toBe(true);
    expect(t.textBytes).toBe(6);
    expect(t.match(Buffer.from(sse(event('é'))))).toBe(true);
    expect(t.textBytes).toBe(2);
    expect(t.match(Buffer.from(sse(event(''))))).toBe(true);
    expect(t.textBytes).toBe(0);
  });

  it('leaves everything it cannot vouch for to the parser', () => {
    const t = learned();
    const reject = (s: string) => expect(t.match(Buffer.from(s)), s).toBe(false);
    reject(sse(event('say "hi"'))); // a quote in the text
    reject(sse(event('ends with \\'))); // escaped backslash before the closing quote
    reject(sse(JSON.stringify(completionChunk('x', 'length')))); // finish chunk
    reject(`${sse(event('a'))}${sse(event('b'))}`); // two events in one chunk
    reject(sse(event('a')).replace('\n\n', '\r\n\r\n')); // other line ends
    reject(sse(event('a')).slice(0, -1)); // event not finished
    reject(sse(event('a')).replace('"index":0', '"index":1')); // another shape
    reject(`data: ${event('a').replace('"text":"a"', '"text":"a\nb"')}\n\n`); // raw line break
  });
});

describe('the driver reads tricky streams the same with and without the template', () => {
  const TEXTS = [' a', '', ' "quoted"', ' back\\slash\\', ' 日本', ' \\"', ' x', ' tab\t', ' y'];
  let server: Running;
  beforeAll(async () => {
    server = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const text of TEXTS) res.write(sse(completionChunk(text, null)));
      res.write(sse(completionChunk(' end', 'length')));
      res.end(sse(usageChunk(3, TEXTS.length + 1)) + sse('[DONE]'));
    });
  });
  afterAll(() => server.close());

  it('counts one token per non-empty chunk, then takes the usage total', async () => {
    const records: RequestRecord[] = [];
    await driveStep({
      baseUrl: server.url,
      api: 'completions',
      model: 'm',
      plan: buildPlan({
        arrival: { kind: 'constant' },
        rateRps: 50,
        warmupSeconds: 0,
        measureRequests: 5,
        promptLength: { kind: 'fixed', value: 3 },
        outputLength: { kind: 'fixed', value: 10 },
        seed: 1,
        streamId: 'tricky',
      }),
      maxConcurrency: null,
      requestTimeoutMs: 2000,
      drainTimeoutMs: 2000,
      shape: {
        ignoreEos: false,
        pinOutputLength: false,
        continuousUsage: false,
        temperature: null,
        extraBody: {},
      },
      prompt: { vocabSize: 100, tokenizerPath: null, salt: 't' },
      apiKey: null,
      labels: { variant: 'v', stepIndex: 0, repeat: 0, rateRps: 50 },
      recordChunks: true,
      onRecord: (r) => records.push(r),
    });
    expect(records).toHaveLength(5);
    for (const r of records) {
      // 10 chunks with text (the empty one carries none), usage says 10 tokens.
      expect(r).toMatchObject({ ok: true, chunks: 9, outputTokens: 10, finishReason: 'length' });
      // 9 counted, 10 reported: largest remainder gives the first chunk the extra token.
      expect(r.chunkTokens).toEqual([2, 1, 1, 1, 1, 1, 1, 1, 1]);
    }
  });
});
