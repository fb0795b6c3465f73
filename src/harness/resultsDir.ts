/**
 * The results directory of one run (layout in records.ts). Created up front and checked for
 * write access and free space, so a run never fails at hour three for want of a disk.
 */

import { existsSync, mkdirSync, renameSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ioError, ioReason } from '../util/errors.ts';
import { ensureFolder } from '../util/folders.ts';
import { insideDir, sanitizeName, serverLogName, utcStamp } from './names.ts';

/** Refuse to start with less than this free: requests.jsonl grows ~1 KB per request. */
export const MIN_FREE_BYTES = 200 * 1024 * 1024;

export interface RunPaths {
  dir: string;
  manifest: string;
  requests: string;
  steps: string;
  stepsCsv: string;
  telemetry: string;
  gpu: string;
  serverLog: (variant: string) => string;
}

export function runPaths(dir: string): RunPaths {
  const abs = resolve(dir);
  return {
    dir: abs,
    manifest: join(abs, 'manifest.json'),
    requests: join(abs, 'requests.jsonl'),
    steps: join(abs, 'steps.jsonl'),
    stepsCsv: join(abs, 'steps.csv'),
    telemetry: join(abs, 'telemetry.jsonl'),
    gpu: join(abs, 'gpu.jsonl'),
    serverLog: (variant) => insideDir(abs, serverLogName(variant)),
  };
}

/** Fails with a clear message when `dir` cannot take a run's files. */
export function checkWritable(dir: string, minFreeBytes = MIN_FREE_BYTES): void {
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, 'ok');
    rmSync(probe);
  } catch (err) {
    throw ioError(`cannot write in ${dir}: ${ioReason(err)}; fix that or choose another --out`);
  }
  const fs = statfsSync(dir);
  const freeBytes = fs.bavail * fs.bsize;
  if (freeBytes < minFreeBytes) {
    const mib = (n: number) => `${Math.floor(n / 1024 / 1024)} MiB`;
    throw ioError(
      `only ${mib(freeBytes)} free in ${dir} (need at least ${mib(minFreeBytes)}): ` +
        'free some space or choose another --out',
    );
  }
}

/** Creates `<root>/<scenario>-<stamp>[-n]/` and returns its paths. */
export function createRunDir(
  root: string,
  scenarioName: string,
  now = new Date(),
  minFreeBytes = MIN_FREE_BYTES,
): RunPaths {
  ensureFolder(root);
  checkWritable(root, minFreeBytes);
  const base = `${sanitizeName(scenarioName, 'scenario')}-${utcStamp(now)}`;
  for (let n = 1; n < 1000; n++) {
    const dir = insideDir(root, n === 1 ? base : `${base}-${n}`);
    if (existsSync(dir)) continue;
    mkdirSync(dir);
    return runPaths(dir);
  }
  throw ioError(`too many runs named ${base} in ${root}`);
}

/**
 * Writes a file via a temporary file and rename, so a reader never sees half of it; when the
 * write fails (disk full) the old file stays as it was and the temporary one is removed.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw ioError(`cannot write ${path}: ${ioReason(err)}`);
  }
}

/** Writes JSON atomically (see writeFileAtomic): a reader never sees half a manifest. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
