import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrace, readTrace } from '../../src/load/trace.ts';

describe('trace files', () => {
  const dirP = mkdtemp(join(tmpdir(), 'trace-'));
  afterAll(async () => rm(await dirP, { recursive: true, force: true }));

  it('reads CSV with a header, rebasing offsets to the first row', async () => {
    const file = join(await dirP, 't.csv');
    await writeFile(file, 'timestamp,input_length,output_length\r\n1000,12,30\r\n1250,7,5\r\n\r\n');
    expect(await readTrace(file)).toEqual({
      kind: 'trace',
      offsetsMs: [0, 250],
      promptTokens: [12, 7],
      outputTokens: [30, 5],
    });
  });

  it('reads JSONL with offsets only', async () => {
    const file = join(await dirP, 't.jsonl');
    await writeFile(file, '{"offset_ms": 5}\n{"offset_ms": 8.5}\n');
    expect(await readTrace(file)).toEqual({ kind: 'trace', offsetsMs: [0, 3.5] });
  });

  it('names the file and line of a bad row', () => {
    expect(() => parseTrace('offset_ms,prompt_tokens\n0,4\n5,x\n', 'a.csv', 'csv')).toThrow(
      'trace a.csv:3: prompt must be a number ≥ 0, got "x"',
    );
    expect(() => parseTrace('{"offset_ms":0}\n{oops\n', 'b.jsonl', 'jsonl')).toThrow(
      'trace b.jsonl:2: not valid JSON',
    );
    expect(() => parseTrace('offset_ms\n10\n5\n', 'c.csv', 'csv')).toThrow(/c\.csv:3: .*sort/);
    expect(() => parseTrace('when,len\n1,2\n', 'd.csv', 'csv')).toThrow(/d\.csv:1: .*offset/);
    expect(() => parseTrace('offset_ms,output_tokens\n0,1.5\n', 'e.csv', 'csv')).toThrow(
      /e\.csv:2: token lengths must be integers/,
    );
  });

  it('refuses unknown extensions and missing files with the path', async () => {
    await expect(readTrace('/nonexistent/trace.csv')).rejects.toThrow(/\/nonexistent\/trace\.csv/);
    const file = join(await dirP, 't.txt');
    await writeFile(file, '');
    await expect(readTrace(file)).rejects.toThrow(/\.csv or \.jsonl/);
  });
});
