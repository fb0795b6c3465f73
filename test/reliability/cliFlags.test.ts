import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * Out-of-range and malformed flag values, for every command that takes a number, a duration, a
 * list, a port or a GPU class: exit 2 and one line that names the flag. Run in-process through
 * the CLI's own entry point (nothing starts: the values are refused first); a few of them also
 * through the real executable.
 */

const URL = ['--url', 'http://127.0.0.1:1'];
const METER = ['meter', ...URL, '--gpu', 'h100'];
const WHATIF = ['whatif', '--profile', 'h100-llama3.1-8b-fp16'];

/** [arguments, what the one line must say]. */
const CASES: Array<[string[], RegExp]> = [
  [['sim', '--port', '70000'], /--port must be a port number 0–65535 \(got '70000'\)/],
  [['sim', '--port', '-1'], /--port must be a port number/],
  [['sim', '--port', '80.5'], /--port must be a port number/],
  [['sim', '--speedup', '0'], /--speedup must be a number greater than 0/],
  [['sim', '--speedup', '-2'], /--speedup must be a number greater than 0/],
  [['sim', '--engines', '0'], /--engines must be a whole number greater than 0/],
  [['sim', '--engines', '1.5'], /--engines must be a whole number/],
  [['sim', '--seed', '-1'], /--seed must be a whole number/],
  [['sim', '--max-num-seqs', '0'], /--max-num-seqs must be a whole number/],
  [['sim', '--max-num-batched-tokens', 'x'], /--max-num-batched-tokens must be a whole number/],
  [['sim', '--restart-every', '0'], /--restart-every must be a number greater than 0/],
  [['sim', '--fault', 'http-500:p=2'], /p must be between 0 and 1/],
  [['sim', '--fault', 'http-500:every=0'], /every must be a whole number ≥ 1/],
  [['sim', '--fault', 'hang:every=-1'], /'every=-1' must be key=<number ≥ 0>/],
  [['sim', '--fault', 'explode:p=1'], /unknown kind 'explode'/],
  [['sim', '--profile', 'nope'], /unknown simulator profile 'nope'/],
  [['meter', ...URL, '--gpu-price', '0'], /--gpu-price must be a number greater than 0/],
  [['meter', ...URL, '--gpu-price', '-3'], /--gpu-price must be a number greater than 0/],
  [['meter', ...URL, '--gpu', 'tpu'], /--gpu 'tpu' is not in the price catalog/],
  [[...METER, '--gpus', '0'], /--gpus must be a whole number greater than 0/],
  [[...METER, '--interval', '0'], /--interval must be a duration/],
  [[...METER, '--interval', '-5s'], /--interval must be a duration/],
  [[...METER, '--interval', '50ms'], /--interval must be at least 100ms/],
  [[...METER, '--windows', '1m,,5m'], /--windows must list whole-second durations/],
  [[...METER, '--windows', '0s'], /--windows must list/],
  [[...METER, '--windows', '1m,-5m'], /--windows must list/],
  [[...METER, '--windows', '1s'], /--windows 1s is shorter than two --interval periods/],
  [[...METER, '--timeout', '0'], /--timeout must be a duration/],
  [[...METER, '--duration', '-1s'], /--duration must be a duration/],
  [[...METER, '--listen', '70000'], /--listen must be PORT or HOST:PORT/],
  [[...METER, '--listen', 'host:99999'], /--listen must be PORT or HOST:PORT/],
  [[...METER, '--listen', '-1'], /--listen must be PORT or HOST:PORT/],
  [[...METER, '--slo-ttft-p99-ms', '0'], /--slo-ttft-p99-ms must be a number greater than 0/],
  [[...METER, '--slo-tpot-p99-ms', '-1'], /--slo-tpot-p99-ms must be a number greater than 0/],
  [[...METER, '--slo-e2e-p99-ms', 'NaN'], /--slo-e2e-p99-ms must be a number greater than 0/],
  [['meter', '--url', 'ftp://x', '--gpu', 'h100'], /--url must use http or https/],
  [[...WHATIF, '--rates', '1,,2'], /--rates must be a comma-separated list of numbers > 0/],
  [[...WHATIF, '--rates', '1,-2'], /--rates must be a comma-separated list/],
  [[...WHATIF, '--rates', 'a'], /--rates must be a comma-separated list/],
  [[...WHATIF, '--input-tokens', '0'], /--input-tokens must be a whole number greater than 0/],
  [[...WHATIF, '--output-tokens', '1.5'], /--output-tokens must be a whole number/],
  [[...WHATIF, '--prompts', '0'], /--prompts must be a whole number greater than 0/],
  [[...WHATIF, '--gpu-price', '-1'], /--gpu-price must be a number greater than 0/],
  [[...WHATIF, '--seed', '-1'], /--seed must be a whole number ≥ 0/],
  [[...WHATIF, '--slo-ttft-p99-ms', '0'], /--slo-ttft-p99-ms must be a number greater than 0/],
  [['whatif', '--profile', 'nope'], /unknown simulator profile 'nope'/],
  [['import', 'x.json', '--gpus', '0'], /--gpus must be a whole number greater than 0/],
  [['import', 'x.json', '--gpu-price', '-1'], /--gpu-price must be a number greater than 0/],
  [['import', 'x.json', '--gpu', 'tpu'], /--gpu 'tpu' is not in the price catalog/],
  [['inspect', 'x.txt', '--elapsed', '0'], /--elapsed must be a number greater than 0/],
  [['inspect', 'x.txt', '--timeout', '-1'], /--timeout must be a number greater than 0/],
  [['check', 'a', '--baseline', 'b', '--max-regression', '150%'], /--max-regression must be/],
  [['check', 'a', '--baseline', 'b', '--max-regression', '-1'], /--max-regression must be/],
  [['check', 'a', '--baseline', 'b', '--slo', 'ttft:p99:-5'], /--slo: cannot read 'ttft:p99:-5'/],
  [['analyze', 'x', '--slo', 'ttft:p0:300'], /--slo: percentile in 'ttft:p0:300' must be above 0/],
  [['analyze', 'x', '--slo', 'ttft:p101:300'], /--slo: percentile in 'ttft:p101:300'/],
  [['analyze', 'x', '--slo', 'attainment:0'], /--slo: attainment must be in \(0, 1\]/],
  [['analyze', 'x', '--slo', 'attainment:2'], /--slo: attainment must be in \(0, 1\]/],
  [['compare', 'a', 'b', '--slo', 'e2e:p99:0'], /--slo: cannot read 'e2e:p99:0'/],
];

let restore: (() => void) | null = null;
afterEach(() => restore?.());

/** Runs the CLI in this process; returns its exit status and what it wrote to stderr. */
async function inProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  restore = () => spy.mockRestore();
  const code = await main(['node', 'vllm-cost-meter', ...args]);
  spy.mockRestore();
  return { code, stderr };
}

describe('flag values out of range', () => {
  it.each(CASES)('%j: exit 2, one line naming the problem', async (args, message) => {
    const { code, stderr } = await inProcess(args);
    expect(code, stderr).toBe(2);
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vllm-cost-meter: /);
    expect(lines[0]).toMatch(message);
  });

  it('the real executable says the same, with nothing on stdout', async () => {
    for (const index of [0, 21, 29, 38, 56]) {
      const [args, message] = CASES[index] as [string[], RegExp];
      const r = await runCli(args);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);
});
