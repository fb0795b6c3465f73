import { execa } from 'execa';

const BIN = new URL('../../bin/vllm-cost-meter.js', import.meta.url).pathname;

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the real executable as a user would, never throwing on a non-zero exit. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; input?: string } = {},
): Promise<CliResult> {
  const result = await execa('node', [BIN, ...args], {
    cwd: options.cwd,
    env: options.env,
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    input: options.input,
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
}
