/**
 * The lifecycle of a scenario's `server`: pick the port, start the argv (never through a shell)
 * under serverGuard.mjs in its own process group with its output in server-<variant>.log, wait
 * until the readiness URL answers 200, and stop the whole group afterwards — SIGTERM, then
 * SIGKILL after the grace period. The guard also stops it if this process dies, even by SIGKILL.
 */

import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { execa } from 'execa';
import { redact } from '../load/failures.ts';
import { CostMeterError, runError } from '../util/errors.ts';
import { httpGet, transportReason } from './probe.ts';
import type { ResolvedServer } from './scenario/resolve.ts';

const GUARD = new URL('./serverGuard.mjs', import.meta.url).pathname;
const POLL_MS = 250;

/** Process groups still running, killed outright if this process exits without stopping them. */
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A free TCP port on 127.0.0.1 (closed again at once: the server binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const substitutePort = (text: string, port: number) =>
  text.replaceAll('{port}', String(port));

export interface ServerExit {
  code: number | null;
  signal: string | null;
}

export interface StartedServer {
  baseUrl: string;
  port: number;
  /** The guard's pid, which is also the process group id. */
  pgid: number;
  logPath: string;
  argv: string[];
  /** True once the process has exited. */
  readonly exited: boolean;
  /** How it exited, once it has. */
  readonly exitStatus: ServerExit | null;
  /** Aborts the moment the process exits, for whatever reason (steps stop on it). */
  readonly gone: AbortSignal;
  stop(): Promise<ServerExit>;
}

/** `signal SIGKILL` or `code 1`. */
export const describeExit = (exit: ServerExit) =>
  exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;

export interface StartServerOptions {
  variant: string;
  logPath: string;
  signal?: AbortSignal;
  onStatus?: (message: string) => void;
  /** API keys: masked in the command line this file writes into the server log. */
  secrets?: readonly string[];
}

/** The server's own last line, else the guard's last note (e.g. "cannot start …: ENOENT"). */
export function lastLogLine(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.trim());
    const own = lines.filter((l) => l !== '' && !l.startsWith('#'));
    if (own.length > 0) return own[own.length - 1] as string;
    const notes = lines.filter((l) => / guard: (cannot|server)/.test(l));
    return notes[notes.length - 1]?.replace(/^# \S+ guard: /, '') ?? '(empty log)';
  } catch {
    return '(no log)';
  }
}

/**
 * How the server itself ended, from the guard's note in the log (`server pid=… exited (code
 * null, signal SIGKILL)`): the guard exits with a plain code, which hides a signal.
 */
export function serverExitFromLog(path: string): ServerExit | null {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const notes = [...text.matchAll(/guard: server pid=\d+ exited \(code (\S+), signal (\S+)\)/g)];
  const last = notes[notes.length - 1];
  if (!last) return null;
  const code = last[1] === 'null' ? null : Number(last[1]);
  return {
    code: Number.isFinite(code) ? code : null,
    signal: last[2] === 'null' ? null : (last[2] ?? null),
  };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits `ms`, or less when `signal` aborts; leaves no listener behind either way. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Starts the server and resolves once it is ready; on any failure nothing is left running. */
export async function startServer(
  spec: ResolvedServer,
  options: StartServerOptions,
): Promise<StartedServer> {
  const port = spec.port === 'auto' ? await freePort() : spec.port;
  const argv = spec.command.map((a) => substitutePort(a, port));
  const baseUrl = substitutePort(spec.baseUrl, port).replace(/\/+$/, '');
  const readyUrl = new URL(substitutePort(spec.readiness, port), `${baseUrl}/`).toString();
  const env = Object.fromEntries(
    Object.entries(spec.env).map(([k, v]) => [k, substitutePort(v, port)]),
  );

  const shown = redact(argv.join(' '), [...(options.secrets ?? [])]);
  appendFileSync(
    options.logPath,
    `# ${new Date().toISOString()} vllm-cost-meter: variant ${options.variant}: ` +
      `${shown} (cwd ${spec.cwd})\n`,
  );
  // The child writes to the log itself through an inherited descriptor: piping through this
  // process would lose its last words (and break its stdout) if we were killed. execa's types
  // list only the literal descriptors 3–9, but it hands any descriptor to spawn unchanged.
  const logFd = openSync(options.logPath, 'a') as 3;
  const graceMs = Math.round(spec.stopTimeoutSeconds * 1000);
  const child = execa(process.execPath, [GUARD, String(graceMs), ...argv], {
    cwd: spec.cwd,
    env,
    detached: true,
    cleanup: false,
    reject: false,
    buffer: false,
    stdin: 'pipe',
    stdout: logFd,
    stderr: logFd,
  });
  closeSync(logFd);
  const pgid = child.pid as number;
  liveGroups.add(pgid);
  let exit: ServerExit | null = null;
  const gone = new AbortController();
  const exited = child.then((r) => {
    exit = serverExitFromLog(options.logPath) ?? {
      code: r.exitCode ?? null,
      signal: r.signal ?? null,
    };
    gone.abort('the server exited');
    return exit;
  });
  const startedAt = Date.now();

  const stop = async (): Promise<ServerExit> => {
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pgid, sig);
      } catch {
        // the group is gone
      }
    };
    if (!exit) kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), graceMs);
    const result = await exited;
    clearTimeout(timer);
    // The guard is gone; helpers the server spawned may still hold the group.
    if (groupAlive(pgid)) {
      kill('SIGKILL');
      for (let i = 0; i < 20 && groupAlive(pgid); i++) await sleep(50);
    }
    liveGroups.delete(pgid);
    child.stdin?.destroy();
    return result;
  };

  const fail = async (message: string): Promise<never> => {
    await stop();
    throw runError(`${message}; see ${options.logPath}`);
  };

  const deadline = startedAt + spec.startupTimeoutSeconds * 1000;
  let lastReason = 'no answer yet';
  options.onStatus?.(`waiting for ${readyUrl}`);
  for (;;) {
    if (options.signal?.aborted) {
      await stop();
      throw new CostMeterError(
        'E_RUN',
        `interrupted while the server for '${options.variant}' started`,
      );
    }
    if (exit) {
      const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
      const how = describeExit(exit);
      return fail(
        `server for variant '${options.variant}' exited (${how}) after ${seconds} s, before it ` +
          `was ready; last log line: ${JSON.stringify(lastLogLine(options.logPath))}`,
      );
    }
    if (Date.now() >= deadline) {
      return fail(
        `server for variant '${options.variant}' was not ready at ${readyUrl} within ` +
          `${spec.startupTimeoutSeconds} s (last: ${lastReason}); ` +
          'raise server.startupTimeoutSeconds ' +
          'if it loads slowly',
      );
    }
    try {
      // No run signal here: the loop checks it, and one listener per poll would pile up.
      const answer = await httpGet(readyUrl, 2000);
      if (answer.status === 200) break;
      lastReason = `HTTP ${answer.status}`;
    } catch (err) {
      lastReason = transportReason(err);
    }
    await Promise.race([sleep(POLL_MS, options.signal), exited]);
  }

  options.onStatus?.(`ready after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  return {
    baseUrl,
    port,
    pgid,
    logPath: options.logPath,
    argv,
    get exited() {
      return exit !== null;
    },
    get exitStatus() {
      return exit;
    },
    gone: gone.signal,
    stop,
  };
}
