import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

/**
 * `sim` cannot listen: a usage problem the user fixes with --port or --host, said in one line
 * with exit 2, as the meter does, instead of "unexpected failure" and exit 1.
 */

let taken: Server;
let takenPort = 0;

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  takenPort = (taken.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
});

async function expectOneLine(args: string[], line: string): Promise<void> {
  const r = await runCli(['sim', ...args], { timeoutMs: 20_000 });
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stderr.trim()).toBe(line);
  expect(r.stdout).toBe('');
}

describe('sim: cannot listen', () => {
  it('a port in use', async () => {
    await expectOneLine(
      ['--port', String(takenPort)],
      `vllm-cost-meter: cannot listen on 127.0.0.1:${takenPort} (address already in use, ` +
        'EADDRINUSE); pass another --port or --host',
    );
  });

  it('a host that does not resolve', async () => {
    // .invalid never resolves (RFC 6761), so no DNS server is needed to see it fail.
    const r = await runCli(['sim', '--host', 'no-such-host.invalid', '--port', '0'], {
      timeoutMs: 20_000,
    });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(
      /^vllm-cost-meter: cannot listen on no-such-host\.invalid:0 \(unknown host, (ENOTFOUND|EAI_AGAIN)\); pass another --port or --host$/,
    );
  });
});
