import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { startSimProcess } from './simProcess.ts';

describe('vllm-cost-meter sim', () => {
  it('prints one "listening on" line on stdout, serves, and stops cleanly on SIGTERM', async () => {
    const sim = await startSimProcess(['--profile', 'demo', '--speedup', '10', '--engines', '2']);
    const health = await fetch(`${sim.url}/health`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${sim.url}/metrics`)).text();
    expect(metrics).toContain('vllm:num_requests_running{engine="1",model_name="demo-1b"} 0.0');
    const stopped = await sim.stop();
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stderr).toContain('simulator ready');
  });

  it('explains --speedup in its help and lists the paper profiles', async () => {
    const help = await runCli(['sim', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('behaves like hardware N× faster');
    const list = await runCli(['sim', '--list-profiles']);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain('h100-llama3.1-8b-fp16');
    expect(list.stdout).toContain('2xh100-mixtral-8x7b-fp8');
    expect(list.stdout).toContain('4xa100-mixtral-8x7b-fp16');
    expect(list.stdout).toMatch(/^demo /m);
  });

  it('rejects an unknown profile and a bad fault with exit 2 and one line naming it', async () => {
    const profile = await runCli(['sim', '--profile', 'h200-llama-70b', '--port', '0']);
    expect(profile.exitCode).toBe(2);
    expect(profile.stderr).toContain("unknown simulator profile 'h200-llama-70b'");
    const fault = await runCli(['sim', '--fault', 'http-418:p=1']);
    expect(fault.exitCode).toBe(2);
    expect(fault.stderr).toContain("unknown kind 'http-418'");
    expect(fault.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('vllm-cost-meter whatif', () => {
  it('prints a cost curve whose C_eff and penalty follow the cost model from its own θ', async () => {
    const result = await runCli([
      'whatif',
      '--profile',
      'h100-llama3.1-8b-fp16',
      '--rates',
      '1,10,40',
      '--prompts',
      '200',
      '--slo-ttft-p99-ms',
      '300',
      '--json',
    ]);
    expect(result.exitCode).toBe(0);
    const curve = JSON.parse(result.stdout);
    expect(curve.steps.map((s: { rateRps: number }) => s.rateRps)).toEqual([1, 10, 40]);
    for (const step of curve.steps) {
      // C_eff = 6.98 $/h × 1 GPU × 1e6 / (3600 × θ); penalty = θ_max / θ.
      expect(step.cost.cEffUsdPerMTok).toBeCloseTo((6.98 * 1e6) / (3600 * step.outputTokPerS), 9);
      expect(step.cost.penalty).toBeCloseTo(curve.thetaMaxTokPerS / step.outputTokPerS, 9);
      // Goodput cost counts only requests within the TTFT budget, so it is never cheaper.
      expect(step.cost.goodputUsdPerMTok).toBeGreaterThanOrEqual(step.cost.cEffUsdPerMTok);
      expect(step.sloMet).toBe(step.ttftP99Ms <= 300);
    }
    // Below the knee every request completes: θ ≈ λ × 256 (the run's tail makes it a bit less).
    expect(curve.steps[0].outputTokPerS).toBeGreaterThan(0.97 * 256);
    expect(curve.steps[0].outputTokPerS).toBeLessThanOrEqual(256);
    expect(curve.calibration).toMatchObject({ hardwareClass: 'h100', source: 'fitted' });
  });

  it('states the calibration error next to the numbers', async () => {
    const base = await runCli([
      'whatif',
      '--profile',
      'a100-llama3.1-8b-fp16',
      '--rates',
      '5',
      '--prompts',
      '100',
    ]);
    expect(base.exitCode).toBe(0);
    expect(base.stdout).toMatch(/calibration \(A100 class\): θ\(λ\) MAPE \d+\.\d%/);
    expect(base.stdout).toContain('simulated, not measured');
  });

  it('refuses requests longer than the context, as the vLLM server would (HTTP 400)', async () => {
    // Llama-3.1-8B's published context is 131,072 tokens; the H100's KV cache holds more.
    for (const inputTokens of ['200000', '1000000']) {
      const long = await runCli([
        'whatif',
        '--profile',
        'h100-llama3.1-8b-fp16',
        '--input-tokens',
        inputTokens,
        '--prompts',
        '5',
      ]);
      expect(long.exitCode).toBe(2);
      expect(long.stderr.trim().split('\n')).toHaveLength(1);
      expect(long.stderr).toContain(`--input-tokens ${inputTokens}`);
      expect(long.stderr).toContain('131072 tokens');
      expect(long.stdout).toBe('');
    }
    // The demo profile serves 4,096 tokens: 4,000 in leaves room for 96 out, not 97.
    const demo = ['whatif', '--profile', 'demo', '--rates', '1', '--prompts', '3'];
    const over = await runCli([...demo, '--input-tokens', '4000', '--output-tokens', '97']);
    expect(over.exitCode).toBe(2);
    expect(over.stderr).toContain('--output-tokens 97');
    expect(over.stderr).toContain('at most 96');
    const fits = await runCli([
      ...demo,
      '--input-tokens',
      '4000',
      '--output-tokens',
      '96',
      '--json',
    ]);
    expect(fits.exitCode).toBe(0);
    expect(JSON.parse(fits.stdout).steps[0].outputTokPerS).toBeGreaterThan(0);
  });

  it('rejects bad rates with exit 2, naming the flag', async () => {
    const bad = await runCli(['whatif', '--profile', 'demo', '--rates', '1,-2']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--rates');
  });
});
