import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPaperData, PRIMARY_FILE } from '../../src/paper/data.ts';
import { runCli } from '../helpers/cli.ts';
import { PAPER_DIR, SKIP_NOTE } from './helpers.ts';

/**
 * A throughput of zero or less in the paper's CSV. Costs divide by it, so it used to reach the
 * chart code as an infinite axis and crash V8 (exit 133); `--json` printed null silently. It
 * must be refused at the boundary with file:line, the column and the rule, exit 2.
 */

const tmp = mkdtempSync(join(tmpdir(), 'paper-data-errors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the data folder with `column` of the first data row set to `value`. */
function dataWith(column: string, value: string): string {
  const dir = mkdtempSync(join(tmp, `${column}-`));
  for (const name of readdirSync(PAPER_DIR as string)) {
    copyFileSync(join(PAPER_DIR as string, name), join(dir, name));
  }
  const file = join(dir, PRIMARY_FILE);
  const lines = readFileSync(file, 'utf8').split('\n');
  const header = (lines[0] as string).split(',');
  const row = (lines[1] as string).split(',');
  row[header.indexOf(column)] = value;
  lines[1] = row.join(',');
  writeFileSync(file, lines.join('\n'));
  return dir;
}

describe.skipIf(!PAPER_DIR)(`paper data: throughputs must be > 0${SKIP_NOTE}`, () => {
  for (const [column, value] of [
    ['tps_output', '-6217.1'],
    ['tps_output', '0'],
    ['request_throughput', '0'],
    ['request_throughput', '-1.5'],
  ] as const) {
    it(`${column} = ${value}: refused naming file:2 and the column`, () => {
      const dir = dataWith(column, value);
      expect(() => loadPaperData(dir)).toThrow(
        `${join(dir, PRIMARY_FILE)}:2: column '${column}' is ${Number(value)}, must be > 0`,
      );
    });
  }

  it('the executable: one line, exit 2, nothing on stdout (was exit 0 with null)', async () => {
    const dir = dataWith('tps_output', '0');
    const r = await runCli(['paper', '--json', '--data', dir]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(
      `vllm-cost-meter: ${join(dir, PRIMARY_FILE)}:2: column 'tps_output' is 0, must be > 0`,
    );
    expect(r.stdout).toBe('');
  });
});
