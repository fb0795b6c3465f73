import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const SUBCOMMANDS = [
  'run',
  'analyze',
  'compare',
  'check',
  'inspect',
  'meter',
  'paper',
  'sim',
  'whatif',
  'demo',
  'import',
];

describe('vllm-cost-meter CLI', () => {
  it('--help lists every subcommand and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.exitCode).toBe(0);
    for (const name of SUBCOMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });

  it.each(SUBCOMMANDS)('%s --help shows usage and an example, exit 0', async (name) => {
    const result = await runCli([name, '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Usage: vllm-cost-meter ${name}`);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain(`$ vllm-cost-meter ${name}`);
  });

  it('an unknown subcommand exits 2 with one line naming it', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('an unknown flag exits 2 with one line naming it', async () => {
    const result = await runCli(['analyze', 'x', '--no-such-flag']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('a missing argument exits 2', async () => {
    const result = await runCli(['analyze']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("missing required argument 'run-dir'");
  });

  it('--version prints the package version', async () => {
    const result = await runCli(['--version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
