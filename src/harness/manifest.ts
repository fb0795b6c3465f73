/**
 * manifest.json: what was run, with what, where and when — enough to reproduce a run or to
 * distrust it. Written at the start (status `running`) and rewritten atomically as it changes.
 */

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, hostname, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execaSync } from 'execa';
import { ioError } from '../util/errors.ts';
import { TOOL_VERSION } from '../util/version.ts';
import type { RunManifest, VariantInfo } from './records.ts';
import { writeJsonAtomic } from './resultsDir.ts';
import { type ResolvedScenario, type ResolvedVariant, redactScenario } from './scenario/resolve.ts';

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The commit this tool runs from, or null outside a git checkout. */
export function toolGitCommit(): string | null {
  try {
    const result = execaSync('git', ['rev-parse', 'HEAD'], {
      cwd: PACKAGE_ROOT,
      reject: false,
      timeout: 5000,
    });
    const out = String(result.stdout).trim();
    return result.exitCode === 0 && /^[0-9a-f]{40}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

export function hostInfo(): RunManifest['host'] {
  const list = cpus();
  return {
    hostname: hostname(),
    platform: `${platform()} ${release()}`,
    cpus: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  };
}

/** Hash of the resolved scenario: `--resume` continues only the very same plan. */
export function scenarioHash(resolved: ResolvedScenario): string {
  return createHash('sha256').update(JSON.stringify(resolved)).digest('hex');
}

export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

/** What is known of a variant before its server starts; filled in once it answers. */
export function plannedVariantInfo(v: ResolvedVariant): VariantInfo {
  return {
    name: v.name,
    model: v.model ?? '(discovered when the server answers)',
    api: v.api,
    baseUrl: v.target ?? '',
    serverArgv: v.server?.command ?? null,
    pricing: v.pricing,
    quantization: v.quantization,
    serverVersion: null,
  };
}

export function newManifest(resolved: ResolvedScenario, startedAt: Date): RunManifest {
  return {
    v: 1,
    tool: { name: 'vllm-cost-meter', version: TOOL_VERSION, gitCommit: toolGitCommit() },
    scenarioName: resolved.name,
    scenarioPath: resolved.scenarioPath,
    scenario: redactScenario(resolved),
    variants: resolved.variants.map(plannedVariantInfo),
    host: hostInfo(),
    startedAt: startedAt.toISOString(),
    endedAt: null,
    status: 'running',
    slo: resolved.slo,
    runId: newRunId(),
    scenarioSha256: scenarioHash(resolved),
    resumes: [],
    error: null,
  };
}

export function readManifest(path: string): RunManifest {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunManifest;
  } catch (err) {
    throw ioError(`cannot read ${path}: is this a results directory written by 'run'?`, err);
  }
}

export const writeManifest = (path: string, manifest: RunManifest) =>
  writeJsonAtomic(path, manifest);
