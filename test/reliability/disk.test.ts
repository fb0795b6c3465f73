import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { finishRun } from '../../src/cli/commands/run.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { runScenario } from '../../src/harness/runner.ts';
import { loadScenario } from '../../src/harness/scenario/load.ts';
import { resolveScenario } from '../../src/harness/scenario/resolve.ts';
import { openLogSink } from '../../src/meter/logSink.ts';
import type { MeterReading } from '../../src/meter/types.ts';
import { type SimServer, startSimServer } from '../../src/sim/server.ts';
import { CostMeterError } from '../../src/util/errors.ts';
import { silentLogger } from '../../src/util/log.ts';
import { runCli } from '../helpers/cli.ts';
import { onlyRunDir, readJsonl, readRun, stackLines } from './helpers/results.ts';
import { writeScenario } from './helpers/scenario.ts';
import { isMounted, type Mounted, mountTmpfs } from './helpers/tmpfs.ts';

/**
 * The results directory cannot take the run: not a folder, read-only, too small, or it fills up
 * mid-run. Where that can be known it is said before anything starts (the target server sees
 * no request); a disk that fills later stops the run with the file and the reason, and leaves
 * every file whole and the run resumable.
 */

const work = mkdtempSync(join(tmpdir(), 'vcm-rel-disk-'));
const mounts: Mounted[] = [];
let requestsSeen = 0;
let target: Server;
let scenario: string;

beforeAll(async () => {
  target = createServer((_req, res) => {
    requestsSeen += 1;
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  scenario = writeScenario(join(work, 'disk.yaml'), { name: 'disk', targets: { a: url } });
});

afterAll(async () => {
  for (const m of mounts) m.unmount();
  await new Promise((resolve) => target.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

/** Runs the CLI into `out`: exit 1, one line with `message`, and no request ever sent. */
async function refused(out: string, message: RegExp): Promise<void> {
  const before = requestsSeen;
  const r = await runCli(['run', scenario, '--out', out, '--quiet']);
  expect(r.exitCode, r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(stackLines(r.stderr)).toEqual([]);
  expect(r.stderr.trim()).toMatch(message);
  expect(requestsSeen).toBe(before);
}

/** Mounts a tmpfs for the running test, or skips the test saying why it cannot. */
function tmpfs(test: TestContext, name: string, options: string): Mounted {
  const m = mountTmpfs(join(work, name), options);
  if (isMounted(m)) {
    mounts.push(m);
    return m;
  }
  console.warn(`disk test skipped: ${m.skip}`);
  return test.skip(m.skip);
}

describe('a results directory that cannot be written', () => {
  it('--out under a file: one line before anything starts', async () => {
    const file = join(work, 'plain-file');
    writeFileSync(file, 'not a folder');
    await refused(
      join(file, 'results'),
      new RegExp(
        '^vllm-cost-meter: cannot write in .*plain-file/results: ' +
          'a part of the path is a file, not a folder \\(ENOTDIR\\); fix that or choose another --out$',
      ),
    );
  });

  it('a read-only or write-protected folder: one line, nothing made', async (test) => {
    let dir = join(work, 'protected');
    if (process.getuid?.() === 0) {
      // Root writes through permission bits: only a read-only mount stops it.
      dir = tmpfs(test, 'readonly', 'ro,size=1m').dir;
    } else {
      mkdirSync(dir);
      chmodSync(dir, 0o555);
    }
    await refused(
      dir,
      new RegExp(
        '^vllm-cost-meter: cannot write in .*: (the file system is read-only \\(EROFS\\)|' +
          'permission denied \\(EACCES\\)); fix that or choose another --out$',
      ),
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('too little free space: refused before the run starts', async (test) => {
    tmpfs(test, 'small', 'size=1m');
    await refused(
      join(work, 'small'),
      new RegExp(
        '^vllm-cost-meter: only [01] MiB free in .*small \\(need at least 200 MiB\\): ' +
          'free some space or choose another --out$',
      ),
    );
    expect(readdirSync(join(work, 'small'))).toEqual([]);
  });
});

describe('the disk fills up mid-run', () => {
  let sim: SimServer | null = null;
  afterAll(async () => sim?.close());

  it('stops naming the file and why; files whole; resumes once there is room', async (test) => {
    const disk = tmpfs(test, 'full', 'size=256k');
    sim = await startSimServer({ profile: 'demo', speedup: 20 });
    const file = writeScenario(join(work, 'fill.yaml'), {
      name: 'fill',
      rates: [10, 20, 30],
      measureSeconds: 1.5,
      targets: { a: sim.url },
    });
    const resolved = resolveScenario(loadScenario(file));
    const root = join(work, 'full');
    const signal = new AbortController().signal;
    // 256 KiB hold one step and part of the next (telemetry lines are ~10 KB each).
    const result = await runScenario({ resolved, outRoot: root, signal, minFreeBytes: 0 });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(
      new RegExp(
        '^cannot (append to|write) .*/(requests|telemetry|steps)\\.(jsonl|csv): ' +
          'the disk is full \\(ENOSPC\\)$',
      ),
    );

    // Every line whole (no half line left by the failed write), no temporary file, and the
    // finished steps intact; the manifest could not be rewritten, so it still says running.
    const dir = onlyRunDir(root);
    const run = readRun(dir);
    expect(run.steps.length).toBeGreaterThanOrEqual(1);
    expect(run.steps.length).toBeLessThan(3);
    for (const s of run.steps) expect(['ok', 'invalid']).toContain(s.status);
    expect(['running', 'failed']).toContain(run.manifest.status);

    // What the user sees: the reason, then where the results are and how to resume.
    const printed: string[] = [];
    const ctx: CliContext = {
      log: silentLogger,
      debug: false,
      quiet: true,
      stdout: (t) => printed.push(t),
    };
    let shown: unknown = null;
    try {
      finishRun(ctx, result, null);
    } catch (err) {
      shown = err;
    }
    expect(shown).toBeInstanceOf(CostMeterError);
    expect((shown as CostMeterError).exitCode).toBe(1);
    expect((shown as CostMeterError).message).toBe(
      `${result.error?.message} (finished steps are saved; ` +
        `resume with: vllm-cost-meter run --resume ${dir})`,
    );
    expect(printed.at(-1)).toBe(`results: ${dir}`);

    // Room again: resume keeps the finished steps and measures the rest.
    disk.remount('size=32m');
    const resumed = await runScenario({
      resolved,
      outRoot: root,
      resumeDir: dir,
      signal,
      minFreeBytes: 0,
    });
    expect(resumed.status, resumed.error?.message).toBe('completed');
    const after = readRun(dir);
    expect(after.steps.map((s) => s.rateRps)).toEqual([10, 20, 30]);
    expect(after.steps[0]).toEqual(run.steps[0]);
    expect(existsSync(join(dir, 'manifest.json.tmp'))).toBe(false);
  }, 60_000);
});

describe("the meter's log on a full disk", () => {
  it('refuses the record that does not fit, and keeps whole lines', (test) => {
    tmpfs(test, 'meterlog', 'size=64k');
    const path = join(work, 'meterlog', 'meter.jsonl');
    const sink = openLogSink(path, 'jsonl');
    // Readings of ~3 KB each; 64 KiB take about twenty.
    const reading = { timeMs: 0, status: 'ok', lastError: 'x'.repeat(3000) };
    let written = 0;
    let failure: unknown = null;
    for (let i = 0; i < 100 && failure === null; i++) {
      try {
        sink.write({ ...reading, timeMs: i } as unknown as MeterReading);
        written += 1;
      } catch (err) {
        failure = err;
      }
    }
    sink.close();
    expect(failure).toBeInstanceOf(CostMeterError);
    expect((failure as CostMeterError).message).toBe(
      `cannot append to log file ${path}: the disk is full (ENOSPC)`,
    );
    const { values, partialLast } = readJsonl<{ timeMs: number }>(path);
    expect(partialLast).toBe('');
    expect(values.map((v) => v.timeMs)).toEqual(Array.from({ length: written }, (_, i) => i));
  });
});
