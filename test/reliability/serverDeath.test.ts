import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimServer } from '../../src/sim/server.ts';
import { runCli } from '../helpers/cli.ts';
import {
  checkTelemetryRates,
  clientOutputTokens,
  onlyRunDir,
  readRun,
  stackLines,
} from './helpers/results.ts';
import { BIN, writeScenario } from './helpers/scenario.ts';

/**
 * The server process dies during a run: the scenario starts the simulator itself, and the test
 * SIGKILLs it (the server, not its guard) while the first of three steps is being measured.
 * The run must stop at once with one line naming the death, keep every line already written,
 * record the cut step as interrupted (so it is never taken for a measurement), and resume.
 * A target the run did not start is judged by its answers: refused after the step, it is gone.
 */

/** Resolves once `dir`'s requests.jsonl holds more than `lines` lines (the run is mid-step). */
async function midStep(root: string, lines: number): Promise<string> {
  for (let i = 0; i < 1200; i++) {
    await sleep(50);
    try {
      const dir = onlyRunDir(root);
      if (readFileSync(join(dir, 'requests.jsonl'), 'utf8').split('\n').length > lines) return dir;
    } catch {
      // not there yet
    }
  }
  throw new Error(`the run in ${root} never got going`);
}

const work = mkdtempSync(join(tmpdir(), 'vcm-rel-death-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the server process dies during a run', () => {
  it('ends the run with one line, keeps what was measured, and resumes', async () => {
    const file = writeScenario(join(work, 'death.yaml'), {
      name: 'death',
      rates: [10, 20, 30],
      measureSeconds: 2,
      extra: [
        'server:',
        `  command: [node, ${JSON.stringify(BIN)}, sim, --port, "{port}", --speedup, "20"]`,
        '  startupTimeoutSeconds: 60',
        '  stopTimeoutSeconds: 5',
      ],
    });
    const root = join(work, 'out');
    const child = execa('node', [BIN, 'run', file, '--out', root, '--quiet'], {
      reject: false,
      timeout: 120_000,
    });

    // Once 8 requests of the first step are written, kill the simulator itself.
    let serverPid = 0;
    for (let i = 0; i < 1200 && serverPid === 0; i++) {
      await sleep(50);
      try {
        const dir = onlyRunDir(root);
        if (readFileSync(join(dir, 'requests.jsonl'), 'utf8').split('\n').length > 8) {
          const log = readFileSync(join(dir, 'server-default.log'), 'utf8');
          serverPid = Number(/started server pid=(\d+)/.exec(log)?.[1]);
          process.kill(serverPid, 'SIGKILL');
        }
      } catch {
        // not there yet
      }
    }
    expect(serverPid).toBeGreaterThan(0);
    const result = await child;
    const dir = onlyRunDir(root);

    // What the user sees: exit 1 and one line naming the death, the results and how to resume.
    expect(result.exitCode).toBe(1);
    expect(stackLines(String(result.stderr))).toEqual([]);
    const last = String(result.stderr).trim().split('\n').at(-1);
    expect(last).toMatch(
      new RegExp(
        "^vllm-cost-meter: the server of variant 'default' exited during the step at " +
          'λ=10 req/s \\(signal SIGKILL\\); last log line: .*; see .*server-default\\.log ' +
          `\\(finished steps are saved; resume with: vllm-cost-meter run --resume ${dir}\\)$`,
      ),
    );

    // Nothing written is lost or cut, and the cut step is not a measurement.
    const run = readRun(dir);
    expect(run.steps.map((s) => [s.stepIndex, s.status, s.statusReason])).toEqual([
      [0, 'interrupted', 'the server exited during this step (signal SIGKILL)'],
    ]);
    expect(run.manifest.status).toBe('failed');
    expect(run.manifest.error).toMatch(/exited during the step at λ=10 req\/s \(signal SIGKILL\)/);
    const requests = run.requests.filter((r) => r.stepIndex === 0);
    expect(requests.filter((r) => r.ok).length).toBeGreaterThanOrEqual(7);
    const classes = new Set(requests.filter((r) => !r.ok).map((r) => r.error?.class));
    for (const cls of classes) expect(['connect', 'reset', 'aborted']).toContain(cls);
    const aborted = requests.find((r) => r.error?.class === 'aborted');
    if (aborted) expect(aborted.error?.message).toBe('the run was interrupted (the server exited)');
    // The run stops at once; any scrape that still hit the dead server says so.
    for (const t of run.telemetry.filter((line) => !line.ok)) {
      expect(t.error).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/metrics/);
    }
    expect(alive(serverPid)).toBe(false);
    checkTelemetryRates(run.telemetry, 'default', clientOutputTokens(run.requests, 'default'));

    // Resume starts a new server and measures every step, the cut one again from scratch.
    const resumed = await runCli(['run', '--resume', dir, '--quiet'], { timeoutMs: 120_000 });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const after = readRun(dir);
    expect(after.steps.map((s) => [s.stepIndex, s.status === 'interrupted'])).toEqual([
      [0, false],
      [1, false],
      [2, false],
    ]);
    expect(after.manifest.resumes?.[0]?.droppedSteps).toBe(1);
    const guards = readdirSync(dir).filter((f) => f.startsWith('server-'));
    expect(guards).toEqual(['server-default.log']);
  }, 180_000);

  it('a target that stops answering mid-step: the same stop; resume once it is back', async () => {
    let sim = await startSimServer({ profile: 'demo', speedup: 20 });
    const port = sim.port;
    const file = writeScenario(join(work, 'gone.yaml'), {
      name: 'gone',
      rates: [10, 20],
      measureSeconds: 2,
      targets: { t: sim.url },
    });
    const root = join(work, 'gone');
    const child = execa('node', [BIN, 'run', file, '--out', root, '--quiet'], {
      reject: false,
      timeout: 120_000,
    });
    const dir = await midStep(root, 8);
    await sim.close();
    const result = await child;

    expect(result.exitCode).toBe(1);
    expect(String(result.stderr).trim().split('\n').at(-1)).toBe(
      `vllm-cost-meter: the server of variant 't' at http://127.0.0.1:${port} stopped answering ` +
        'during the step at λ=10 req/s (connection refused); start it again, then resume ' +
        `(finished steps are saved; resume with: vllm-cost-meter run --resume ${dir})`,
    );
    const run = readRun(dir);
    expect(run.steps.map((s) => [s.stepIndex, s.status, s.statusReason])).toEqual([
      [0, 'interrupted', 'the server stopped answering during this step (connection refused)'],
    ]);

    sim = await startSimServer({ profile: 'demo', speedup: 20, port });
    try {
      const resumed = await runCli(['run', '--resume', dir, '--quiet'], { timeoutMs: 120_000 });
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(readRun(dir).steps.map((s) => [s.stepIndex, s.status === 'interrupted'])).toEqual([
        [0, false],
        [1, false],
      ]);
    } finally {
      await sim.close();
    }
  }, 180_000);
});
