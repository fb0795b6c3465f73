import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MeterReading } from '../../src/meter/types.ts';
import { type FakeVllm, startFakeVllm } from '../meter/helpers/fakeVllm.ts';
import { onlyRunDir, readJsonl, readRun, stackLines } from './helpers/results.ts';
import { BIN, writeScenario } from './helpers/scenario.ts';

/**
 * Signals to the runner and to the meter. SIGINT and SIGKILL of the runner mid-step, with
 * resume, are proven in test/harness/killResume.test.ts, and SIGINT/SIGTERM of the meter in
 * test/meter/cli.test.ts; here: SIGTERM of the runner and SIGKILL of the meter with its log.
 */

const work = mkdtempSync(join(tmpdir(), 'vcm-rel-sig-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function eventually(check: () => boolean, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

/** Starts a run whose scenario starts the simulator; resolves once requests are arriving. */
async function startedRun(name: string): Promise<{ child: ResultPromise; root: string }> {
  const file = writeScenario(join(work, `${name}.yaml`), {
    name,
    rates: [10, 20],
    measureSeconds: 3,
    extra: [
      'server:',
      `  command: [node, ${JSON.stringify(BIN)}, sim, --port, "{port}", --speedup, "20"]`,
      '  startupTimeoutSeconds: 60',
      '  stopTimeoutSeconds: 5',
    ],
  });
  const root = join(work, name);
  const child = execa('node', [BIN, 'run', file, '--out', root, '--quiet'], {
    reject: false,
    timeout: 90_000,
  });
  const arriving = await eventually(() => {
    try {
      return readFileSync(join(onlyRunDir(root), 'requests.jsonl'), 'utf8').split('\n').length > 5;
    } catch {
      return false;
    }
  }, 60_000);
  expect(arriving).toBe(true);
  return { child, root };
}

const serverPid = (dir: string) =>
  Number(
    /started server pid=(\d+)/.exec(readFileSync(join(dir, 'server-default.log'), 'utf8'))?.[1],
  );

describe('signals to the runner', () => {
  it('SIGTERM mid-step: exit 143, one line with the resume command, files whole', async () => {
    const { child, root } = await startedRun('sigterm');
    child.kill('SIGTERM');
    const result = await child;
    const dir = onlyRunDir(root);
    expect(result.exitCode).toBe(143);
    expect(stackLines(String(result.stderr))).toEqual([]);
    expect(String(result.stderr)).toContain(
      'interrupted (SIGTERM): finished steps are saved; ' +
        `resume with: vllm-cost-meter run --resume ${dir}`,
    );
    const run = readRun(dir);
    expect(run.manifest.status).toBe('interrupted');
    expect(run.steps.map((s) => [s.stepIndex, s.status])).toEqual([[0, 'interrupted']]);
    const cut = run.requests.filter((r) => !r.ok);
    for (const r of cut) {
      expect(r.error).toEqual({
        class: 'aborted',
        message: 'the run was interrupted (SIGTERM)',
      });
    }
    // The scenario's server was stopped with the run.
    expect(await eventually(() => !alive(serverPid(dir)), 10_000)).toBe(true);
  }, 120_000);
});

describe('SIGKILL of the meter', () => {
  let server: FakeVllm;
  let ticking: NodeJS.Timeout;
  beforeAll(async () => {
    server = await startFakeVllm();
    ticking = setInterval(() => {
      server.state.generationTokens += 50;
      server.state.finished.length += 1;
    }, 50);
  });
  afterAll(async () => {
    clearInterval(ticking);
    await server.close();
  });

  it('loses nothing it printed: every logged line parses but at most a cut last one', async () => {
    const log = join(work, 'meter.jsonl');
    const meter = execa(
      'node',
      [
        BIN,
        'meter',
        '--url',
        server.url,
        '--gpu-price',
        '2',
        '--interval',
        '200ms',
        '--windows',
        '1s',
        '--no-listen',
        '--log',
        log,
      ],
      { reject: false, timeout: 30_000 },
    );
    let printed = '';
    meter.stdout?.on('data', (chunk) => {
      printed += String(chunk);
    });
    expect(await eventually(() => printed.split('\n').length > 5, 20_000)).toBe(true);
    meter.kill('SIGKILL');
    const result = await meter;
    expect(result.signal).toBe('SIGKILL');

    // Each reading is appended to the log before it is printed: the log holds all printed ones.
    const lines = printed.split('\n').filter((l) => l.trim() !== '');
    const { values } = readJsonl<MeterReading>(log);
    expect(values.length).toBeGreaterThanOrEqual(lines.length);
    for (const reading of values) {
      for (const w of reading.scopes[0]?.windows ?? []) {
        if (w.outputTokensPerS !== null) expect(w.outputTokensPerS).toBeGreaterThanOrEqual(0);
      }
    }
  }, 60_000);
});
