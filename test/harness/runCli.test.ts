import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

  it('a target that does not answer fails the run with the results path and a resume hint', async () => {
    const file = join(work, 'down.yaml');
    writeFileSync(
      file,
      [
        'name: down',
        'target: http://127.0.0.1:9',
        'workload:',
        '  promptTokens: {kind: fixed, value: 8}',
        '  outputTokens: {kind: fixed, value: 8}',
        'sweep: {kind: list, rates: [1]}',
        'step: {warmupSeconds: 0, measureSeconds: 1}',
        'pricing: {gpuHourlyUsd: 1}',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', file, '--out', join(work, 'results'), '--quiet']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /cannot list models at http:\/\/127\.0\.0\.1:9\/v1\/models: connection refused/,
    );
    expect(r.stderr).toMatch(/resume with: vllm-cost-meter run --resume .*down-\d{8}T\d{6}Z/);
  });
});
