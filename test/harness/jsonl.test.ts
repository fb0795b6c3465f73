import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filterJsonlFile, JsonlWriter, readJsonlSync } from '../../src/harness/jsonl.ts';
import { insideDir, sanitizeName, utcStamp } from '../../src/harness/names.ts';

const dirs: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vcm-jsonl-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('durable JSONL', () => {
  it('writes one whole line per record, readable at once', () => {
    const path = join(tmp(), 'a.jsonl');
    const w = new JsonlWriter(path);
    w.write({ a: 1 });
    w.write({ b: 'x\ny' }); // a newline inside a value stays escaped on one line
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"b":"x\\ny"}\n');
    w.close();
  });

  it('skips a partial last line (left by a SIGKILL mid-write), not a broken middle one', () => {
    const path = join(tmp(), 'b.jsonl');
    appendFileSync(path, '{"a":1}\n{"a":2}\n{"a":');
    expect(readJsonlSync(path)).toEqual({ values: [{ a: 1 }, { a: 2 }], partialLastLine: true });
    appendFileSync(path, '\n{"a":4}\n');
    expect(() => readJsonlSync(path)).toThrow(/b\.jsonl:3: not valid JSON/);
  });

  it('filters a file in place, dropping a partial last line', async () => {
    const path = join(tmp(), 'c.jsonl');
    appendFileSync(path, '{"k":1}\n{"k":2}\n{"k":3}\n{"k":');
    expect(await filterJsonlFile(path, (v) => (v as { k: number }).k !== 2)).toEqual({
      kept: 2,
      dropped: 2,
    });
    expect(readFileSync(path, 'utf8')).toBe('{"k":1}\n{"k":3}\n');
  });
});

describe('names that become paths', () => {
  it('sanitises to letters, digits, dot, dash and underscore', () => {
    expect(sanitizeName('fp8 / H100')).toBe('fp8-H100');
    expect(sanitizeName('../../etc/passwd')).toBe('etc-passwd');
    expect(sanitizeName('...')).toBe('unnamed');
    expect(sanitizeName('qwen3:30b-a3b')).toBe('qwen3-30b-a3b');
  });

  it('never joins a path outside the directory', () => {
    expect(insideDir('/r', 'server-a.log')).toBe('/r/server-a.log');
    expect(() => insideDir('/r', '../x')).toThrow(/would leave \/r/);
    expect(() => insideDir('/r', '/etc/passwd')).toThrow(/would leave/);
  });

  it('stamps in UTC without separators', () => {
    expect(utcStamp(new Date(Date.UTC(2026, 11, 3, 12, 0, 5, 123)))).toBe('20261203T120005Z');
  });
});
