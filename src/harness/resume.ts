/**
 * `run --resume <dir>`: continue a run after the last finished step. A step is finished when
 * its line in steps.jsonl says ok, invalid or failed; an interrupted step (and a partial last
 * line left by a SIGKILL) is dropped together with its requests and telemetry, then run again
 * from scratch with the same seeds — so the finished step list equals an uninterrupted run's.
 */

import { existsSync } from 'node:fs';
import { ioError, usageError } from '../util/errors.ts';
import { filterJsonlFile, readJsonlSync } from './jsonl.ts';
import { readManifest, scenarioHash } from './manifest.ts';
import { stepKeyId } from './plan.ts';
import type { RunManifest, StepRecord } from './records.ts';
import { type RunPaths, runPaths } from './resultsDir.ts';
import type { ResolvedScenario } from './scenario/resolve.ts';

export interface ResumeState {
  paths: RunPaths;
  manifest: RunManifest;
  finished: StepRecord[];
  droppedSteps: number;
  droppedRequests: number;
}

const FINISHED: ReadonlySet<StepRecord['status']> = new Set(['ok', 'invalid', 'failed']);

/** The scenario file a results directory was run from (for `run --resume <dir>` alone). */
export function resumeScenarioPath(dir: string): string {
  const paths = runPaths(dir);
  if (!existsSync(paths.manifest)) {
    throw usageError(`${dir} has no manifest.json: give a results directory written by 'run'`);
  }
  const manifest = readManifest(paths.manifest);
  if (!manifest.scenarioPath)
    throw usageError(`${paths.manifest} names no scenario file to resume`);
  return manifest.scenarioPath;
}

/** Checks the directory against the scenario and trims it back to its finished steps. */
export async function prepareResume(dir: string, resolved: ResolvedScenario): Promise<ResumeState> {
  const paths = runPaths(dir);
  if (!existsSync(paths.manifest)) {
    throw usageError(`${dir} has no manifest.json: give a results directory written by 'run'`);
  }
  const manifest = readManifest(paths.manifest);
  if (manifest.status === 'completed') {
    throw usageError(`${dir} is already complete: nothing to resume`);
  }
  if (manifest.scenarioSha256 !== undefined && manifest.scenarioSha256 !== scenarioHash(resolved)) {
    throw usageError(
      `the scenario changed since ${dir} was started (or is resolved from another directory): ` +
        'resume needs the same plan; start a new run instead',
    );
  }

  const { values } = readJsonlSync<StepRecord>(paths.steps);
  const finished = values.filter((s) => FINISHED.has(s.status));
  const keep = new Set(finished.map(stepKeyId));
  const droppedSteps = values.length - finished.length;
  const inFinishedStep = (v: unknown) => {
    const r = v as { variant?: string; stepIndex?: number | null; repeat?: number | null };
    if (r.stepIndex === null || r.stepIndex === undefined) return true; // idle scrapes
    return keep.has(
      stepKeyId({ variant: r.variant ?? '', stepIndex: r.stepIndex, repeat: r.repeat ?? 0 }),
    );
  };
  try {
    await filterJsonlFile(paths.steps, (v) => keep.has(stepKeyId(v as StepRecord)));
    const requests = await filterJsonlFile(paths.requests, inFinishedStep);
    await filterJsonlFile(paths.telemetry, inFinishedStep);
    await filterJsonlFile(paths.gpu, () => true);
    return { paths, manifest, finished, droppedSteps, droppedRequests: requests.dropped };
  } catch (err) {
    throw ioError(`cannot prepare ${dir} for resuming: check permissions`, err);
  }
}
