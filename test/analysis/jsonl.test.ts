import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../../src/analysis/jsonl.ts';

const root = mkdtempSync(join(tmpdir(), 'vcm-jsonl-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function readAll(path: string) {
  const values: Array<[unknown, number]> = [];
  const result = await readJsonl(path, (value, line) => values.push([value, line]));
  return { values, result };
}

describe('readJsonl', () => {
  it('reads lines that straddle 1 MiB chunks, multi-byte characters included', async () => {
    // 3000 lines of ~1 kB with 'λ' (2 bytes in UTF-8): ~3 MB, so chunk edges fall mid-line and,
    // for some, mid-character.
    const path = join(root, 'big.jsonl');
    const pad = 'λ'.repeat(500);
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad }));
    writeFileSync(path, `${lines.join('\n')}\n`);
    const { values, result } = await readAll(path);
    expect(values).toHaveLength(3000);
    expect(values.every(([v, line], k) => (v as { i: number }).i === k && line === k + 1)).toBe(
      true,
    );
    expect(values.every(([v]) => (v as { pad: string }).pad === pad)).toBe(true);
    expect(result.truncatedLastLine).toBe(false);
  });

  it('accepts a last line without newline, blank lines and CRLF', async () => {
    const path = join(root, 'crlf.jsonl');
    writeFileSync(path, '{"a":1}\r\n\r\n{"a":2}');
    const { values } = await readAll(path);
    expect(values).toEqual([
      [{ a: 1 }, 1],
      [{ a: 2 }, 3],
    ]);
  });

  it('skips a truncated last line and says so', async () => {
    const path = join(root, 'trunc.jsonl');
    writeFileSync(path, '{"a":1}\n{"a":2}\n{"a":');
    const { values, result } = await readAll(path);
    expect(values).toHaveLength(2);
    expect(result).toEqual({ lines: 3, truncatedLastLine: true });
  });

  it('rejects a malformed line in the middle, naming file and line', async () => {
    const path = join(root, 'bad.jsonl');
    writeFileSync(path, '{"a":1}\n{"a":\n{"a":3}\n');
    await expect(readAll(path)).rejects.toThrow(`${path}:2: not valid JSON`);
  });

  it('names a missing file', async () => {
    await expect(readAll(join(root, 'missing.jsonl'))).rejects.toThrow(
      /missing\.jsonl: file not found/,
    );
  });
});
