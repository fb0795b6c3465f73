import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest, StepRecord } from '../../src/harness/records.ts';
import type { RequestRecord } from '../../src/load/types.ts';

/**
 * The acceptance test of durable results: a real run (CLI, simulator as the scenario's server)
 * is stopped mid-step by SIGINT, and separately by SIGKILL. Every line written before parses
 * (after SIGKILL at most the last one is partial), no server is left behind, and `--resume`
 * finishes the run with the same steps and the same request schedule as an uninterrupted run.
 */

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/vllm-cost-meter.js');
const work = mkdtempSync(join(tmpdir(), 'vcm-kill-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SCENARIO = join(work, 'kill.yaml');
writeFileSync(
  SCENARIO,
  `name: kill-test
server:
  command: [node, bin/vllm-cost-meter.js, sim, --port, "{port}", --profile, demo, --speedup, "20"]
  cwd: ${JSON.stringify(ROOT)}
  startupTimeoutSeconds: 60
  stopTimeoutSeconds: 5
workload:
  promptTokens: {kind: uniform, min: 16, max: 64}
  outputTokens: {kind: fixed, value: 16}
  seed: 3
  vocabSize: 1000
sweep: {kind: list, rates: [6, 12]}
step: {warmupSeconds: 0.5, measureSeconds: 2.5, drainTimeoutSeconds: 5, requestTimeoutSeconds: 10}
pricing: {gpuHourlyUsd: 2}
telemetry: {scrapeIntervalSeconds: 0.5}
variants: [{name: a}, {name: b}]
`,
);

interface Parsed<T> {
  values: T[];
  partialLast: boolean;
}

/** Parses every line; only the very last may fail, and only when `allowPartial`. */
function lines<T>(path: string, allowPartial: boolean): Parsed<T> {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { values: [], partialLast: false };
  }
  const rows = text.split('\n');
  const last = rows.pop() as string; // after the final newline: '' unless cut mid-line
  const values = rows.map((row, i) => {
    try {
      return JSON.parse(row) as T;
    } catch {
      throw new Error(`${path}:${i + 1} does not parse: ${row.slice(0, 80)}`);
    }
  });
  if (last !== '' && !allowPartial) throw new Error(`${path}: last line has no newline`);
  return { values, partialLast: last !== '' };
}

const stepKeys = (steps: StepRecord[]) =>
  steps.map((s) => `${s.variant}/${s.stepIndex}/${s.repeat}@${s.rateRps}`);

/** Per step, the schedule as sent: (seq, intended offset, requested tokens). */
function schedules(requests: RequestRecord[]): Record<string, string> {
  const byStep: Record<string, RequestRecord[]> = {};
  for (const r of requests) {
    const key = `${r.variant}/${r.stepIndex}/${r.repeat}`;
    byStep[key] = [...(byStep[key] ?? []), r];
  }
  return Object.fromEntries(
    Object.entries(byStep).map(([k, rs]) => [
      k,
      rs
        .sort((x, y) => x.seq - y.seq)
        .map((r) => `${r.seq}:${r.intendedAtMs.toFixed(6)}:${r.requestedOutputTokens}`)
        .join(' '),
    ]),
  );
}

function runDirIn(root: string): string {
  const dirs = readdirSync(root);
  if (dirs.length !== 1) throw new Error(`expected one run in ${root}, found ${dirs.join(', ')}`);
  return join(root, dirs[0] as string);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function serverPids(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('server-'))
    .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/started server pid=(\d+)/g)])
    .map((m) => Number(m[1]));
}

async function eventually(check: () => boolean, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** Starts a run and sends `signal` once requests of `variant`'s step `stepIndex` are arriving. */
async function interruptedRun(
  root: string,
  signal: 'SIGINT' | 'SIGKILL',
  variant: string,
  stepIndex: number,
) {
  const child = execa('node', [BIN, 'run', SCENARIO, '--out', root, '--quiet'], {
    reject: false,
    cwd: work,
  });
  const marker = `"variant":"${variant}","stepIndex":${stepIndex}`;
  const reached = await eventually(() => {
    try {
      return readFileSync(join(runDirIn(root), 'requests.jsonl'), 'utf8').includes(marker);
    } catch {
      return false;
    }
  }, 90_000);
  if (!reached) {
    child.kill('SIGKILL');
    const r = await child;
    throw new Error(`the run never reached ${variant} step ${stepIndex}: ${String(r.stderr)}`);
  }
  child.kill(signal);
  return await child;
}

const resume = (dir: string) =>
  execa('node', [BIN, 'run', '--resume', dir, '--quiet'], {
    reject: false,
    cwd: work,
    timeout: 120_000,
  });

let reference: { steps: StepRecord[]; schedule: Record<string, string> };

describe('kill and resume', () => {
  beforeAll(async () => {
    const root = join(work, 'reference');
    const result = await execa('node', [BIN, 'run', SCENARIO, '--out', root, '--quiet'], {
      reject: false,
      cwd: work,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const dir = runDirIn(root);
    reference = {
      steps: lines<StepRecord>(join(dir, 'steps.jsonl'), false).values,
      schedule: schedules(lines<RequestRecord>(join(dir, 'requests.jsonl'), false).values),
    };
  }, 180_000);

  it('the uninterrupted run finished every variant × rate', () => {
    expect(stepKeys(reference.steps)).toEqual(['a/0/0@6', 'a/1/0@12', 'b/0/0@6', 'b/1/0@12']);
    for (const s of reference.steps) expect(['ok', 'invalid']).toContain(s.status);
  });

  it('SIGINT mid-step: exit 130, whole lines, step interrupted; resume completes', async () => {
    const root = join(work, 'sigint');
    const run = await await interruptedRun(root, 'SIGINT', 'a', 1);
    const dir = runDirIn(root);
    expect(run.exitCode).toBe(130);
    expect(run.stderr).toContain(`resume with: vllm-cost-meter run --resume ${dir}`);

    const steps = lines<StepRecord>(join(dir, 'steps.jsonl'), false).values;
    expect(stepKeys(steps)).toEqual(['a/0/0@6', 'a/1/0@12']);
    expect(steps.map((s) => s.status).at(-1)).toBe('interrupted');
    // Stopped mid-step: fewer requests than planned, each finished or marked aborted.
    const requests = lines<RequestRecord>(join(dir, 'requests.jsonl'), false).values;
    const cut = requests.filter((r) => r.variant === 'a' && r.stepIndex === 1);
    const planned = (reference.schedule['a/1/0'] ?? '').split(' ').length;
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.length).toBeLessThan(planned);
    for (const r of cut) expect(r.ok || r.error?.class === 'aborted').toBe(true);
    lines(join(dir, 'telemetry.jsonl'), false);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RunManifest;
    expect(manifest.status).toBe('interrupted');
    for (const pid of serverPids(dir)) expect(alive(pid)).toBe(false);

    const resumed = await resume(dir);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const final = lines<StepRecord>(join(dir, 'steps.jsonl'), false).values;
    expect(stepKeys(final)).toEqual(stepKeys(reference.steps));
    expect(schedules(lines<RequestRecord>(join(dir, 'requests.jsonl'), false).values)).toEqual(
      reference.schedule,
    );
    const after = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RunManifest;
    expect(after.status).toBe('completed');
    expect(after.resumes).toHaveLength(1);
    expect(after.resumes?.[0]?.droppedSteps).toBe(1);
  }, 240_000);

  it('SIGKILL mid-step: only the last line may be partial, no server left', async () => {
    const root = join(work, 'sigkill');
    const run = await interruptedRun(root, 'SIGKILL', 'b', 0);
    const dir = runDirIn(root);
    expect(run.signal).toBe('SIGKILL');

    // Every line before the last parses; the guard stops the orphaned simulator by itself.
    for (const f of ['steps.jsonl', 'requests.jsonl', 'telemetry.jsonl']) lines(join(dir, f), true);
    expect(stepKeys(lines<StepRecord>(join(dir, 'steps.jsonl'), true).values)).toEqual([
      'a/0/0@6',
      'a/1/0@12',
    ]);
    const pids = serverPids(dir);
    expect(pids.length).toBe(2);
    expect(await eventually(() => pids.every((p) => !alive(p)), 15_000)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RunManifest;
    expect(manifest.status).toBe('running');

    const resumed = await resume(dir);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(stepKeys(lines<StepRecord>(join(dir, 'steps.jsonl'), false).values)).toEqual(
      stepKeys(reference.steps),
    );
    expect(schedules(lines<RequestRecord>(join(dir, 'requests.jsonl'), false).values)).toEqual(
      reference.schedule,
    );
  }, 240_000);
});
