/**
 * GPU samples from `nvidia-smi`, for reference next to the cost figures (never their basis: the
 * price is per GPU-hour whatever the utilisation). Parsing is a pure function over the CSV that
 * `--format=csv,noheader,nounits` prints; the sampler polls it while a variant runs.
 */

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import type { GpuSampleLine } from './records.ts';

export const NVIDIA_SMI_QUERY = 'index,name,utilization.gpu,power.draw,memory.used,memory.total';

export const nvidiaSmiArgs = (): string[] => [
  `--query-gpu=${NVIDIA_SMI_QUERY}`,
  '--format=csv,noheader,nounits',
];

/** `N/A`, `[N/A]`, `[Not Supported]`, `[Unknown Error]` and blanks mean "not reported". */
function reading(field: string | undefined): number | null {
  const text = (field ?? '').trim();
  if (text === '' || text.startsWith('[') || /^n\/?a$/i.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * Parses the output of `nvidia-smi --query-gpu=index,name,utilization.gpu,power.draw,
 * memory.used,memory.total --format=csv,noheader,nounits`: one line per GPU. Fields are counted
 * from both ends, so a GPU name that contains a comma still parses. Lines that do not have the
 * six fields (warnings, blank lines) are skipped.
 */
export function parseNvidiaSmi(text: string, timeMs: number): GpuSampleLine {
  const gpus: GpuSampleLine['gpus'] = [];
  for (const raw of text.split(/\r?\n/)) {
    const fields = raw.split(',').map((f) => f.trim());
    if (fields.length < 6) continue;
    const index = reading(fields[0]);
    if (index === null || !Number.isInteger(index)) continue;
    const tail = fields.slice(-4);
    gpus.push({
      index,
      name: fields.slice(1, -4).join(', '),
      utilPercent: reading(tail[0]),
      powerWatts: reading(tail[1]),
      memoryUsedMiB: reading(tail[2]),
      memoryTotalMiB: reading(tail[3]),
    });
  }
  return { v: 1, timeMs, gpus };
}

/** Absolute path of `nvidia-smi` when it is on PATH, else null. */
export function findNvidiaSmi(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'nvidia-smi');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

export interface GpuSampler {
  stop(): Promise<void>;
  samples: GpuSampleLine[];
}

/** Polls nvidia-smi every `intervalMs`, handing each parsed sample to `onSample`. */
export function startGpuSampler(
  binary: string,
  intervalMs: number,
  onSample: (sample: GpuSampleLine) => void,
  onError: (message: string) => void,
): GpuSampler {
  const samples: GpuSampleLine[] = [];
  let stopped = false;
  let failures = 0;
  let running: Promise<void> = Promise.resolve();

  const tick = async () => {
    const timeMs = Date.now();
    const result = await execa(binary, nvidiaSmiArgs(), { reject: false, timeout: 5000 });
    if (result.exitCode !== 0) {
      failures += 1;
      // One message, not one per second, when the GPU tool is broken.
      if (failures === 1)
        onError(`nvidia-smi failed (exit ${result.exitCode}): ${String(result.stderr).trim()}`);
      return;
    }
    const sample = parseNvidiaSmi(String(result.stdout), timeMs);
    samples.push(sample);
    onSample(sample);
  };

  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(tick).catch((err: unknown) => onError(String(err)));
  }, intervalMs);
  timer.unref();

  return {
    samples,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
