import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureFolder } from '../../src/util/folders.ts';
import { runCli } from '../helpers/cli.ts';
import { stackLines } from './helpers/results.ts';

/**
 * `--out` folders that cannot be made. Node's recursive mkdir loops forever under /proc (mkdir
 * answers ENOENT although the parent exists), so every command used to hang there at 100 % CPU;
 * each must instead say one line and exit 1, within seconds.
 */

const work = mkdtempSync(join(tmpdir(), 'vcm-out-folder-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HAS_PROC = existsSync('/proc/self');
const PROC_MESSAGE =
  /^vllm-cost-meter: cannot write in \/proc\/vcm-no-such\/x: this file system does not allow new folders here \(ENOENT\); fix that or choose another --out$/;

async function refusedQuickly(args: string[], message: RegExp): Promise<void> {
  // A hang is killed at 20 s and then fails on the exit code.
  const r = await runCli(args, { timeoutMs: 20_000 });
  expect(r.exitCode, r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(stackLines(r.stderr)).toEqual([]);
  expect(r.stderr.trim()).toMatch(message);
  expect(r.stdout).toBe('');
}

describe('ensureFolder', () => {
  it('creates missing parents one level at a time', () => {
    const dir = join(work, 'a', 'b', 'c');
    ensureFolder(dir);
    expect(readdirSync(join(work, 'a', 'b'))).toEqual(['c']);
    ensureFolder(dir);
  });

  it('names a file given as the folder, once, without the errno text twice', () => {
    const file = join(work, 'plain');
    writeFileSync(file, 'x');
    expect(() => ensureFolder(file)).toThrow(
      `cannot write in ${file}: it is a file, not a folder; fix that or choose another --out`,
    );
  });

  it.skipIf(!HAS_PROC)('refuses /proc at once instead of looping', () => {
    expect(() => ensureFolder('/proc/vcm-no-such/x')).toThrow(
      'cannot write in /proc/vcm-no-such/x: this file system does not allow new folders here',
    );
  });
});

describe.skipIf(!HAS_PROC)('--out under /proc: one line, exit 1, no hang', () => {
  const out = '/proc/vcm-no-such/x';

  it("run (before the scenario's target sees anything)", async () => {
    await refusedQuickly(['run', 'scenarios/demo.yaml', '--out', out, '--quiet'], PROC_MESSAGE);
  });

  it('demo', async () => {
    await refusedQuickly(['demo', '--quick', '--out', out, '--quiet'], PROC_MESSAGE);
  });

  it('import', async () => {
    const bench = new URL('../fixtures/vllm-0.32.0/bench-serve-rate5-n40.json', import.meta.url);
    await refusedQuickly(['import', bench.pathname, '--gpu', 'h100', '--out', out], PROC_MESSAGE);
  });
});

describe('--out naming a file: the reason once', () => {
  it('import', async () => {
    const file = join(work, 'taken');
    writeFileSync(file, 'x');
    const bench = new URL('../fixtures/vllm-0.32.0/bench-serve-rate5-n40.json', import.meta.url);
    await refusedQuickly(
      ['import', bench.pathname, '--gpu', 'h100', '--out', file],
      /^vllm-cost-meter: cannot write in .*taken: it is a file, not a folder; fix that or choose another --out$/,
    );
  });
});
