import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/paper/csv.ts';
import { loadPaperData } from '../../src/paper/data.ts';

describe('parseCsv', () => {
  it('reads a header and rows, keeping line numbers', () => {
    const table = parseCsv('a,b\n1,2\n3,4\n', 'x.csv');
    expect(table.header).toEqual(['a', 'b']);
    expect(table.records).toEqual([
      { line: 2, values: { a: '1', b: '2' } },
      { line: 3, values: { a: '3', b: '4' } },
    ]);
  });

  it('handles CRLF, a byte-order mark, quoted commas, doubled quotes and no final newline', () => {
    const table = parseCsv('\uFEFFname,note\r\n"a,b","say ""hi"""\r\nc,', 'x.csv');
    expect(table.header).toEqual(['name', 'note']);
    expect(table.records.map((r) => r.values)).toEqual([
      { name: 'a,b', note: 'say "hi"' },
      { name: 'c', note: '' },
    ]);
    expect(table.records.map((r) => r.line)).toEqual([2, 3]);
  });

  it('counts lines inside quoted newlines so later rows keep their real line numbers', () => {
    const table = parseCsv('a,b\n"x\ny",1\nz,2\n', 'x.csv');
    expect(table.records.map((r) => r.line)).toEqual([2, 4]);
    expect(table.records[0]?.values.a).toBe('x\ny');
  });

  it('names file and line when a row has the wrong number of fields', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n', 'data/x.csv')).toThrow(
      'data/x.csv:3: 1 fields where the header has 2',
    );
  });

  it('rejects an unclosed quote and an empty file', () => {
    expect(() => parseCsv('a\n"open\n', 'x.csv')).toThrow(
      'x.csv:2: a quoted field is never closed',
    );
    expect(() => parseCsv('', 'x.csv')).toThrow('x.csv: the file is empty');
  });
});

const HEADER =
  'config,engine,model,architecture,active_params,precision,hardware,gpus,rps,' +
  'request_throughput,tps_output,ttft_mean_ms,ttft_p50_ms,ttft_p90_ms,ttft_p99_ms,' +
  'e2el_p50_ms,e2el_p90_ms,e2el_p99_ms,tpot_p50_ms,tpot_p90_ms,gpu_util_pct,gpu_power_w,' +
  'gpu_cost_hr,c_eff_per_mtok,c_naive_per_mtok,underutil_penalty';
const ROW = 'X1,vllm,org/Model-7B,dense,7B,fp8,H100,1,1,1,256,1,1,1,1,1,1,1,1,1,,,6.98,7.57,0.5,15';

describe('loadPaperData errors name the file, line and column', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paper-data-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (body: string) => writeFileSync(join(dir, 'master_results.csv'), body);

  it('a missing primary file', () => {
    expect(() => loadPaperData(join(dir, 'nowhere'))).toThrow(/master_results\.csv not found/);
  });

  it('a value that is not a number', () => {
    write(`${HEADER}\n${ROW.replace(',256,', ',lots,')}\n`);
    expect(() => loadPaperData(dir)).toThrow(
      /master_results\.csv:2: column 'tps_output' is 'lots'/,
    );
  });

  it('a missing column', () => {
    write(`${HEADER.replace(',tps_output', '')}\n${ROW.replace(',256,', ',')}\n`);
    expect(() => loadPaperData(dir)).toThrow(/no column 'tps_output' in the header/);
  });

  it('empty optional columns load as null, and absent companion files as null', () => {
    write(`${HEADER}\n${ROW}\n`);
    const data = loadPaperData(dir);
    expect(data.runs).toHaveLength(1);
    expect(data.runs[0]?.gpuUtilPct).toBeNull();
    expect(data.runs[0]?.activeParamsB).toBe(7);
    expect(data.shapeRuns).toBeNull();
    expect(data.stability).toBeNull();
  });
});
