/**
 * Starts the real vLLM server (scripts/vllm-serve) on a free loopback port in its own process
 * group, with its output in a log file; waits for GET /v1/models; stops it with SIGTERM, then
 * SIGKILL to the whole group after a grace period, and reports anything left behind.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { groupMembers, signalGroup } from './processes.ts';
import { SCRIPTS_DIR, TINY_MODEL_DIR, type VllmInstall } from './vllmEnv.ts';

export interface StartOptions {
  install: VllmInstall;
  logPath: string;
  /** Appended to scripts/vllm-serve's flags (later flags win), e.g. ['--dtype', 'float32']. */
  extraArgs?: string[];
  /** Default 600 s: ~85–120 s on an idle 2-core machine, more when it is shared. */
  readyTimeoutMs?: number;
  modelDir?: string;
}

export interface StopReport {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stopMs: number;
  /** SIGKILL was needed because SIGTERM did not end the server within the grace period. */
  forced: boolean;
  /** Group members still alive after the API server exited (killed before returning). */
  leftovers: number[];
}

export interface VllmServer {
  baseUrl: string;
  port: number;
  /** The API server's pid, which is also its process group id. */
  pid: number;
  logPath: string;
  modelDir: string;
  readyAfterMs: number;
  readonly exited: boolean;
  stop(graceMs?: number): Promise<StopReport>;
}

/** The server could not start; whatever it had started has been stopped. */
export class VllmStartError extends Error {
  constructor(
    message: string,
    readonly pid: number,
    readonly logPath: string,
  ) {
    super(message);
    this.name = 'VllmStartError';
  }
}

/** Groups started here and not yet stopped: killed if the test process exits early. */
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
});

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopGroup(child: ChildProcess, pgid: number, graceMs: number): Promise<StopReport> {
  const startedMs = performance.now();
  let forced = false;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, graceMs))) {
      forced = true;
      signalGroup(pgid, 'SIGKILL');
      await waitForExit(child, 10_000);
    }
  }

  // The engine core and worker notice their parent's exit and follow within a few seconds.
  let leftovers = groupMembers(pgid);
  for (let waitedMs = 0; leftovers.length > 0 && waitedMs < 10_000; waitedMs += 200) {
    await sleep(200);
    leftovers = groupMembers(pgid);
  }
  if (leftovers.length > 0) {
    signalGroup(pgid, 'SIGKILL');
    await sleep(500);
  }
  liveGroups.delete(pgid);
  return {
    exitCode: child.exitCode,
    signal: child.signalCode,
    stopMs: performance.now() - startedMs,
    forced,
    leftovers,
  };
}

/** Resolves once GET /v1/models answers 200; on any failure nothing is left running. */
export async function startVllmServer(options: StartOptions): Promise<VllmServer> {
  const port = await freePort();
  const modelDir = options.modelDir ?? TINY_MODEL_DIR;
  mkdirSync(dirname(options.logPath), { recursive: true });
  const logFd = openSync(options.logPath, 'w');
  const startedMs = performance.now();
  const child = spawn(
    join(SCRIPTS_DIR, 'vllm-serve'),
    [String(port), ...(options.extraArgs ?? [])],
    {
      detached: true, // own process group: one signal reaches the engine and worker too
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, VLLM_CPU_ENV: options.install.envDir, TINY_MODEL_DIR: modelDir },
    },
  );
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${SCRIPTS_DIR}/vllm-serve`);
  liveGroups.add(pid);

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = startedMs + (options.readyTimeoutMs ?? 600_000);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  while (!(await answers(`${baseUrl}/v1/models`))) {
    const why = exited
      ? `exited during start-up (code ${child.exitCode}, signal ${child.signalCode})`
      : performance.now() > deadline
        ? `was not ready after ${Math.round((performance.now() - startedMs) / 1000)} s`
        : null;
    if (why !== null) {
      await stopGroup(child, pid, 10_000);
      throw new VllmStartError(
        `vLLM on port ${port} ${why}; log ${options.logPath} ends with:\n` +
          logTail(options.logPath),
        pid,
        options.logPath,
      );
    }
    await sleep(500);
  }

  return {
    baseUrl,
    port,
    pid,
    logPath: options.logPath,
    modelDir,
    readyAfterMs: performance.now() - startedMs,
    get exited() {
      return exited;
    },
    stop: (graceMs = 30_000) => stopGroup(child, pid, graceMs),
  };
}
