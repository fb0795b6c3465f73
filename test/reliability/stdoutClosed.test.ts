import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSimServer } from '../../src/sim/server.ts';
import { stackLines } from './helpers/results.ts';

/**
 * `meter … | head -1`: the reader leaves after one line. The meter's next write gets EPIPE,
 * which used to surface as an unhandled 'error' event (25-line stack, exit 1). It must stop as
 * for Ctrl-C instead: --log flushed and whole, no stack trace, exit 0.
 */

const BIN = new URL('../../bin/vllm-cost-meter.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'vcm-stdout-closed-'));
let sim: SimServer;

beforeAll(async () => {
  sim = await startSimServer({ profile: 'demo', speedup: 10 });
});

afterAll(async () => {
  await sim.close();
  rmSync(work, { recursive: true, force: true });
});

describe('stdout closed by its reader', () => {
  it('meter stops quietly, exit 0, with its --log whole', async () => {
    const log = join(work, 'cost.csv');
    const child = execa(
      'node',
      [
        BIN,
        'meter',
        '--url',
        sim.url,
        '--gpu',
        'h100',
        '--interval',
        '200ms',
        '--no-listen',
      ].concat(['--log', log]),
      { reject: false, timeout: 30_000, buffer: { stdout: false } },
    );
    // Like `head -1`: read the first line, then close the pipe's reading end.
    child.stdout?.once('data', () => child.stdout?.destroy());
    const r = await child;

    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.timedOut).toBe(false);
    expect(stackLines(String(r.stderr))).toEqual([]);
    expect(String(r.stderr)).not.toMatch(/EPIPE|unexpected failure/);
    expect(String(r.stderr)).toMatch(/stopped reason="stdout closed"/);

    // Flushed before exit: a header and at least the reading that was printed, all whole lines.
    const text = readFileSync(log, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^[a-z_]+(,[a-z0-9_]+)+$/);
  });
});
