/**
 * What runs beside a variant's steps: the /metrics scraper and, where nvidia-smi exists, the
 * GPU sampler. Both write through the run's output, which never throws at them.
 */

import type { RunEventSink } from './events.ts';
import { findNvidiaSmi, type GpuSampler, startGpuSampler } from './gpu.ts';
import type { RunOutput } from './runOutput.ts';
import type { ResolvedVariant } from './scenario/resolve.ts';
import { Scraper } from './scraper.ts';
import { substitutePort } from './server.ts';

export interface Samplers {
  scraper: Scraper | null;
  gpu: GpuSampler | null;
}

export function startSamplers(
  v: ResolvedVariant,
  where: { baseUrl: string; port: number; env: NodeJS.ProcessEnv },
  out: RunOutput,
  emit: RunEventSink,
): Samplers {
  const warn = (message: string) => emit({ type: 'warning', variant: v.name, message });
  const intervalMs = v.telemetry.scrapeIntervalSeconds * 1000;
  let scraper: Scraper | null = null;
  if (v.telemetry.enabled) {
    scraper = new Scraper({
      url: v.telemetry.metricsUrl
        ? substitutePort(v.telemetry.metricsUrl, where.port)
        : `${where.baseUrl}/metrics`,
      intervalMs,
      onLine: (line) => out.writeTelemetry(line),
      onWarning: warn,
      context: { variant: v.name, stepIndex: null, repeat: null, phase: 'idle' },
    });
    scraper.start();
  }
  const smi = v.telemetry.gpu === 'auto' ? findNvidiaSmi(where.env) : null;
  const gpu = smi ? startGpuSampler(smi, intervalMs, (s) => out.writeGpu(s), warn) : null;
  return { scraper, gpu };
}

export async function stopSamplers(s: Samplers): Promise<void> {
  await s.scraper?.stop();
  await s.gpu?.stop();
}
