import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunManifest, StepRecord } from '../../src/harness/records.ts';
import { runCli } from '../helpers/cli.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'vcm-demo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const onlyRun = (root: string) => join(root, readdirSync(root)[0] as string);

describe('demo and auto sweep, end to end on the simulator', () => {
  it('demo --quick: server, sweep, analysis, figures and report, then nothing left running', async () => {
    const root = join(work, 'demo');
    const r = await runCli(['demo', '--quick', '--out', root, '--quiet'], { timeoutMs: 170_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const dir = onlyRun(root);
    expect(r.stdout).toContain(`results:  ${dir}`);
    expect(r.stdout).toContain(`report:   ${join(dir, 'analysis', 'report.html')}`);
    expect(existsSync(join(dir, 'analysis', 'report.html'))).toBe(true);
    const steps = readFileSync(join(dir, 'steps.jsonl'), 'utf8').trim().split('\n');
    expect(steps.map((l) => (JSON.parse(l) as StepRecord).rateRps)).toEqual([1, 4, 8]);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RunManifest;
    expect(manifest.status).toBe('completed');
    expect(manifest.variants[0]?.model).toBe('demo-1b');
    expect(manifest.variants[0]?.serverVersion).toMatch(/sim/);
    const log = readFileSync(join(dir, 'server-default.log'), 'utf8');
    const pid = Number(/started server pid=(\d+)/.exec(log)?.[1]);
    expect(() => process.kill(pid, 0)).toThrow();
  }, 180_000);

  it('auto sweep: doubles while the server keeps up and records why it stopped', async () => {
    const file = join(work, 'auto.yaml');
    writeFileSync(
      file,
      `name: auto
server:
  command: [node, bin/vllm-cost-meter.js, sim, --port, "{port}", --profile, demo]
  cwd: ${JSON.stringify(ROOT)}
workload:
  promptTokens: {kind: fixed, value: 32}
  outputTokens: {kind: fixed, value: 8}
  vocabSize: 1000
sweep: {kind: auto, start: 5, max: 100, maxSteps: 3}
step: {warmupSeconds: 1, measureSeconds: 5, drainTimeoutSeconds: 5}
pricing: {gpuHourlyUsd: 1}
telemetry: {enabled: false}
`,
    );
    const root = join(work, 'auto');
    const r = await runCli(['run', file, '--out', root, '--quiet'], { timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    // 8-token answers at 5, 10 and 20 req/s are far below the demo server's capacity (about
    // 80 req/s of them), so each step keeps up and the search doubles until maxSteps stops it.
    // (Windows hold 25+ requests: with a handful, one answer straddling the window's end
    // moves θ by more than the 10% saturation margin.)
    const manifest = JSON.parse(
      readFileSync(join(onlyRun(root), 'manifest.json'), 'utf8'),
    ) as RunManifest;
    expect(manifest.autoSweep).toEqual({
      default: { ratesRps: [5, 10, 20], stopReason: 'reached maxSteps (3)' },
    });
    expect(r.stderr).toContain('auto sweep of default stopped: reached maxSteps (3)');
  }, 130_000);
});
