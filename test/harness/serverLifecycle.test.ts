import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedServer } from '../../src/harness/scenario/resolve.ts';
import { startServer } from '../../src/harness/server.ts';

/**
 * The server lifecycle with a real child process: the embedded simulator, started the way a
 * scenario's `server.command` starts it. After every case no process of the group is left.
 */

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vcm-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SIM = ['node', 'bin/vllm-cost-meter.js', 'sim', '--port', '{port}', '--profile', 'demo'];

function spec(over: Partial<ResolvedServer>): ResolvedServer {
  return {
    command: SIM,
    port: 'auto',
    baseUrl: 'http://127.0.0.1:{port}',
    readiness: '/health',
    startupTimeoutSeconds: 60,
    stopTimeoutSeconds: 5,
    env: {},
    cwd: ROOT,
    ...over,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The server's own pid, from the guard's note in the log. */
function serverPid(logPath: string): number {
  const match = /guard: started server pid=(\d+)/.exec(readFileSync(logPath, 'utf8'));
  if (!match) throw new Error(`no server pid in ${logPath}`);
  return Number(match[1]);
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

describe('server lifecycle (the simulator as the scenario’s server command)', () => {
  it('starts, answers, and stops cleanly with SIGTERM', async () => {
    const logPath = join(dir, 'ok.log');
    const server = await startServer(spec({}), { variant: 'ok', logPath });
    const health = await fetch(`${server.baseUrl}/health`);
    expect(health.status).toBe(200);
    const pid = serverPid(logPath);
    expect(alive(pid)).toBe(true);

    await server.stop();
    expect(alive(pid)).toBe(false);
    expect(alive(server.pgid)).toBe(false);
    // The simulator got SIGTERM and shut down by itself (exit 0), well before any SIGKILL.
    expect(readFileSync(logPath, 'utf8')).toMatch(/server pid=\d+ exited \(code 0, signal null\)/);
  });

  it('a server that exits early: a clear error with its last words, nothing left', async () => {
    const logPath = join(dir, 'early.log');
    const command = SIM.map((a) => (a === 'demo' ? 'no-such-profile' : a));
    const error = await startServer(spec({ command }), { variant: 'early', logPath }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^server for variant 'early' exited \(code 2\) after [\d.]+ s, /);
    expect(message).toMatch(/before it was ready; last log line: ".*unknown simulator profile /);
    expect(message).toMatch(/'no-such-profile'.*"; see .*early\.log$/);
    expect(await gone(serverPid(logPath), 2000)).toBe(true);
  });

  it('a server that never becomes ready: a timeout naming the URL, then stopped', async () => {
    const logPath = join(dir, 'never.log');
    const started = Date.now();
    const error = await startServer(spec({ readiness: '/never-ready', startupTimeoutSeconds: 2 }), {
      variant: 'never',
      logPath,
    }).catch((e: Error) => e);
    const message = (error as Error).message;
    expect(message).toMatch(/^server for variant 'never' was not ready at /);
    expect(message).toMatch(/http:\/\/127\.0\.0\.1:\d+\/never-ready within 2 s /);
    expect(message).toMatch(/\(last: (HTTP 404|connection refused)\); raise server\./);
    expect(message).toMatch(/startupTimeoutSeconds if it loads slowly; see .*never\.log$/);
    expect(Date.now() - started).toBeLessThan(15_000);
    const pid = serverPid(logPath);
    expect(alive(pid)).toBe(false);
  });

  it('a missing executable is reported like an early exit', async () => {
    const logPath = join(dir, 'missing.log');
    const error = await startServer(spec({ command: ['no-such-binary-vcm'] }), {
      variant: 'missing',
      logPath,
    }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /exited \(code 127\).*last log line: "cannot start no-such-binary-vcm: spawn .* ENOENT"/,
    );
  });

  it('when the harness itself is SIGKILLed, the guard stops the server', async () => {
    const logPath = join(dir, 'killed.log');
    const harness = execa(
      'node',
      ['--import', 'tsx', 'test/harness/fixtures/start-and-wait.ts', logPath, ROOT],
      {
        cwd: ROOT,
        reject: false,
      },
    );
    const ready = await new Promise<string>((resolve, reject) => {
      harness.stdout?.on('data', (chunk: Buffer) => {
        const line = chunk.toString();
        if (line.startsWith('READY')) resolve(line);
      });
      harness.once('exit', () => reject(new Error('the stand-in harness exited early')));
    });
    const pgid = Number(ready.split(' ')[1]);
    const pid = serverPid(logPath);
    expect(alive(pid)).toBe(true);

    harness.kill('SIGKILL');
    await harness;
    expect(await gone(pid, 10_000)).toBe(true);
    expect(await gone(pgid, 10_000)).toBe(true);
    expect(readFileSync(logPath, 'utf8')).toContain('guard: the harness went away');
  });
});
