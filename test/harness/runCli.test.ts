import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSimServer } from '../../src/sim/server.ts';
import { runCli } from '../helpers/cli.ts';

const work = mkdtempSync(join(tmpdir(), 'vcm-runcli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('run command', () => {
  it('--dry-run prints the resolved plan and its duration without starting anything', async () => {
    const r = await runCli(['run', 'scenarios/demo.yaml', '--dry-run']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('  rates (req/s): 1, 2, 3, 4, 5, 6, 8\n');
    // 7 rates × 10 s measured: (1+2+3+4+5+6+8) × 10 = 290 requests.
    expect(r.stdout).toContain(
      '  steps: 1 variant(s) × 7 rate(s) × 1 repeat(s) = 7; about 290 measured requests\n',
    );
    // (6 s warm-up + 10 s measure) × 7 = 112 s; with every 8 s drain: 112 + 56 = 168 s.
    expect(r.stdout).toContain('  time: at least 1m52s (warm-up + measure), at most 2m48s');
  });

  it('a scenario with several mistakes: one located line each, exit 2', async () => {
    const file = join(work, 'bad.yaml');
    writeFileSync(
      file,
      [
        'name: bad',
        'target: http://127.0.0.1:8000',
        'workload:',
        '  promptTokens: {kind: fixed, value: 0}',
        '  outputTokens: {kind: fixed, value: 8}',
        'sweep: {kind: list, rates: [1, -2]}',
        'pricing: {gpuHourlyUsd: 1}',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:4:38 workload.promptTokens.value: must be ≥ 1 (got 0)`,
      `${file}:6:32 sweep.rates[1]: must be > 0 (got -2)`,
      `vllm-cost-meter: ${file}: 2 problems (listed above)`,
    ]);
  });

  it('missing sections, each named on its own line', async () => {
    const file = join(work, 'one.yaml');
    writeFileSync(file, 'name: one\n');
    const r = await runCli(['run', file]);
    expect(r.exitCode).toBe(2);
    // Missing sections are reported at the top of the file, one per line.
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:1:1 workload: is required (a map)`,
      `${file}:1:1 sweep: is required (a map)`,
      `${file}:1:1 pricing: is required (a map)`,
      `vllm-cost-meter: ${file}: 3 problems (listed above)`,
    ]);
    const single = join(work, 'single.yaml');
    writeFileSync(
      single,
      'name: one\ntarget: http://127.0.0.1:8000\nworkload:\n' +
        '  promptTokens: {kind: fixed, value: 8}\n  outputTokens: {kind: fixed, value: 8}\n' +
        'sweep: {kind: list, rates: [0]}\npricing: {gpuHourlyUsd: 1}\n',
    );
    const one = await runCli(['run', single, '--dry-run']);
    expect(one.exitCode).toBe(2);
    expect(one.stderr).toBe(
      // `sweep: {kind: list, rates: [0]}`: the 0 is in column 29.
      `vllm-cost-meter: ${single}:6:29 sweep.rates[0]: must be > 0 (got 0)`,
    );
  });

  it('--dry-run refuses a step larger than the plan limit, as run would (B12)', async () => {
    const file = join(work, 'huge.yaml');
    const lines = (rate: string) =>
      [
        'name: huge',
        'target: http://127.0.0.1:9',
        'workload:',
        '  promptTokens: {kind: fixed, value: 8}',
        '  outputTokens: {kind: fixed, value: 8}',
        `sweep: {kind: list, rates: [1, ${rate}]}`,
        'step: {warmupSeconds: 5, measureSeconds: 60}',
        'pricing: {gpuHourlyUsd: 1}',
        '',
      ].join('\n');
    writeFileSync(file, lines('1e12'));
    const r = await runCli(['run', file, '--dry-run']);
    expect(r.exitCode).toBe(2);
    // (5 s warm-up + 60 s measured) × 10¹² req/s = 6.5 × 10¹³ planned requests.
    expect(r.stderr).toBe(
      `vllm-cost-meter: ${file}:6:32 sweep.rates[1]: at 1000000000000 req/s one step plans ` +
        'about 65000000000000 requests, more than 5000000; lower the rate or shorten ' +
        'step.warmupSeconds/measureSeconds',
    );
    // 65 s × 76,923 req/s = 4,999,995 requests: just inside the limit.
    writeFileSync(file, lines('76923'));
    expect((await runCli(['run', file, '--dry-run'])).exitCode).toBe(0);
  });

  it('needs a scenario or --resume', async () => {
    const r = await runCli(['run']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('give a scenario file, or --resume <results dir>');
  });

  it('--resume of a directory that holds no run says so', async () => {
    const r = await runCli(['run', '--resume', work]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${work} has no manifest.json`);
  });
});

/** A one-step scenario against `target`, with `model:` when given. */
function targetScenario(name: string, target: string, model: string | null): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      `target: ${target}`,
      ...(model ? [`model: ${model}`] : []),
      'workload:',
      '  promptTokens: {kind: fixed, value: 8}',
      '  outputTokens: {kind: fixed, value: 8}',
      'sweep: {kind: list, rates: [4]}',
      'step: {warmupSeconds: 0, measureSeconds: 1, drainTimeoutSeconds: 2}',
      'pricing: {gpuHourlyUsd: 1}',
      '',
    ].join('\n'),
  );
  return file;
}

describe('run preflight: the target and its model, before anything is created', () => {
  let sim: SimServer;
  let failing: SimServer;
  beforeAll(async () => {
    sim = await startSimServer({ profile: 'demo', speedup: 20 });
    failing = await startSimServer({
      profile: 'demo',
      speedup: 20,
      faults: [{ kind: 'http-500', everyNth: 1 }],
    });
  });
  afterAll(async () => {
    await sim.close();
    await failing.close();
  });

  it('an unreachable target: one line, exit 2, no results directory (B6)', async () => {
    const out = join(work, 'down-results');
    for (const model of [null, 'm']) {
      const file = targetScenario('down', 'http://127.0.0.1:9', model);
      const r = await runCli(['run', file, '--out', out, '--quiet']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toBe('vllm-cost-meter: cannot reach http://127.0.0.1:9: connection refused');
      // The --out root is checked (and made) first; no run directory goes in it.
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    }
  });

  it('a model the server does not serve: one line naming both, exit 2 (B7)', async () => {
    const out = join(work, 'wrong-results');
    const file = targetScenario('wrong', sim.url, 'wrong-model');
    const r = await runCli(['run', file, '--out', out, '--quiet']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      `vllm-cost-meter: model 'wrong-model' is not served at ${sim.url}: ` +
        `it serves ${sim.modelName}; fix 'model:' in ${file}`,
    );
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('a run in which every step failed exits 1 (B7)', async () => {
    const out = join(work, 'failing-results');
    const file = targetScenario('failing', failing.url, failing.modelName);
    const r = await runCli(['run', file, '--out', out, '--quiet']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/vllm-cost-meter: every step failed \(1 of 1\); first: all \d+ /);
    // The results are still written and named.
    expect(readdirSync(out)).toHaveLength(1);
    expect(r.stdout).toContain(`results: ${join(out, readdirSync(out)[0] as string)}`);
  });
});
