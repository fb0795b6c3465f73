/**
 * One step (variant × λ × repeat): plan, scrape, drive, scrape, compute. Requests are appended
 * to requests.jsonl as they finish; the step record comes back to the runner, which writes it.
 */

import { driveStep } from '../load/driver.ts';
import { buildPlan } from '../load/schedule.ts';
import type { ArrivalProcess, RequestRecord } from '../load/types.ts';
import type { VllmSnapshot, WindowStats } from '../telemetry/types.ts';
import { windowOverSnapshots } from '../telemetry/windows.ts';
import type { RunEventSink, StepLabel } from './events.ts';
import type { GpuSampler } from './gpu.ts';
import type { JsonlWriter } from './jsonl.ts';
import { planOptions, stepSeconds } from './plan.ts';
import { clientTotals, reconcileStep } from './reconcile.ts';
import type { Reconciliation, StepRecord } from './records.ts';
import type { ResolvedScenario, ResolvedVariant } from './scenario/resolve.ts';
import type { Scraper } from './scraper.ts';
import { buildStepRecord } from './stepRecord.ts';

export interface StepRunContext {
  resolved: ResolvedScenario;
  variant: ResolvedVariant;
  baseUrl: string;
  model: string;
  apiKey: string | null;
  runId: string;
  arrival: ArrivalProcess;
  scraper: Scraper | null;
  gpu: GpuSampler | null;
  requests: JsonlWriter;
  signal: AbortSignal;
  emit: RunEventSink;
}

/** Server counters can trail the last response by a moment: re-scrape this often on mismatch. */
const RECONCILE_RETRIES = 3;
const RECONCILE_RETRY_MS = 400;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function safeWindow(series: VllmSnapshot[]): WindowStats | null {
  return series.length >= 2 ? windowOverSnapshots(series) : null;
}

/**
 * The server's view of the measured window, or null when the good scrapes in it cover less
 * than half of it (scrapes failed): a rate over a sliver of the window is not the window's.
 */
export function windowCovering(
  series: VllmSnapshot[],
  startMs: number,
  endMs: number,
): WindowStats | null {
  const first = series[0];
  const last = series[series.length - 1];
  if (!first || !last || series.length < 2) return null;
  return last.timeMs - first.timeMs >= 0.5 * (endMs - startMs) ? windowOverSnapshots(series) : null;
}

/** One scrape, tried again once at once if it failed (a scrape fails fast or times out). */
async function edgeScrape(scraper: Scraper): Promise<VllmSnapshot | null> {
  return (await scraper.scrapeNow()) ?? (await scraper.scrapeNow());
}

function ttftBoundsMs(snapshot: VllmSnapshot | null): number[] | null {
  const h = snapshot?.histograms.ttft;
  return h ? h.buckets.map((b) => b.le * 1000) : null;
}

export async function runStep(ctx: StepRunContext, label: StepLabel): Promise<StepRecord> {
  const { resolved, scraper } = ctx;
  const plan = buildPlan({ ...planOptions(resolved, label), arrival: ctx.arrival });
  const plannedSeconds = stepSeconds(resolved, label.rateRps);
  ctx.emit({
    type: 'step-start',
    step: label,
    plannedRequests: plan.requests.length,
    plannedSeconds,
  });

  const context = { variant: ctx.variant.name, stepIndex: label.stepIndex, repeat: label.repeat };
  let pre: VllmSnapshot | null = null;
  if (scraper) {
    scraper.context = { ...context, phase: 'warmup' };
    pre = await edgeScrape(scraper);
  }

  // Phase labels and extra scrapes at the measured window's edges, timed from the step start.
  const timers: NodeJS.Timeout[] = [];
  if (scraper) {
    const at = (ms: number, phase: 'measure' | 'drain') =>
      timers.push(
        setTimeout(() => {
          scraper.context = { ...context, phase };
          void scraper.scrapeNow();
        }, ms),
      );
    at(plan.measureStartAtMs, 'measure');
    at(plan.measureEndAtMs, 'drain');
  }

  const startedAtEpochMs = Date.now();
  const records: RequestRecord[] = [];
  // The edge-scrape timers must not outlive the step, even when the drive throws (full disk).
  const summary = await driveStep({
    baseUrl: ctx.baseUrl,
    api: ctx.variant.api,
    model: ctx.model,
    plan,
    maxConcurrency: resolved.step.maxConcurrency,
    requestTimeoutMs: resolved.step.requestTimeoutSeconds * 1000,
    drainTimeoutMs: resolved.step.drainTimeoutSeconds * 1000,
    shape: resolved.workload.shape,
    prompt: {
      vocabSize: resolved.workload.vocabSize,
      tokenizerPath: resolved.workload.tokenizerPath,
      salt: ctx.runId,
    },
    apiKey: ctx.apiKey,
    labels: { ...context, rateRps: label.rateRps },
    recordChunks: false,
    signal: ctx.signal,
    onRecord: (record) => {
      records.push(record);
      ctx.requests.write(record);
    },
    onProgress: (progress) =>
      ctx.emit({ type: 'step-progress', step: label, progress, plannedSeconds }),
  }).finally(() => {
    for (const timer of timers) clearTimeout(timer);
  });
  const interrupted = ctx.signal.aborted;

  let server: WindowStats | null = null;
  let reconciliation: Reconciliation | null = null;
  const measureStartEpochMs = summary.originEpochMs + summary.measureStartAtMs;
  const measureEndEpochMs = summary.originEpochMs + summary.measureEndAtMs;
  if (scraper) {
    scraper.context = { ...context, phase: 'drain' };
    let post = interrupted ? null : await edgeScrape(scraper);
    // Snapshots from the edge scrapes, allowing for their round trip.
    const slackMs = 250;
    server = windowCovering(
      scraper.between(measureStartEpochMs - slackMs, measureEndEpochMs + slackMs),
      measureStartEpochMs,
      measureEndEpochMs,
    );
    const totals = clientTotals(records);
    if (!interrupted && (!pre || !post)) {
      reconciliation = reconcileStep(totals, null, null);
      const which = pre ? 'just after' : 'just before';
      reconciliation.warnings = [
        `the scrape ${which} the step failed (${scraper.lastError ?? 'unknown error'}): ` +
          'client and server counts not compared',
      ];
    }
    if (pre && post) {
      for (let attempt = 0; ; attempt++) {
        reconciliation = reconcileStep(
          totals,
          safeWindow(scraper.between(pre.timeMs, post.timeMs)),
          ttftBoundsMs(post),
        );
        const countsAgree = [
          reconciliation.outputTokens,
          reconciliation.promptTokens,
          reconciliation.requests,
        ].every((c) => c.diff === null || c.diff === 0);
        if (countsAgree || attempt >= RECONCILE_RETRIES) break;
        await sleep(RECONCILE_RETRY_MS);
        post = (await scraper.scrapeNow()) ?? post;
      }
    }
    scraper.context = { variant: ctx.variant.name, stepIndex: null, repeat: null, phase: 'idle' };
    if (post) scraper.forget(post.timeMs);
  }

  const record = buildStepRecord({
    variant: ctx.variant.name,
    stepIndex: label.stepIndex,
    repeat: label.repeat,
    rateRps: label.rateRps,
    plan,
    records,
    summary,
    startedAtEpochMs,
    endedAtEpochMs: Date.now(),
    slo: resolved.slo,
    pricing: ctx.variant.pricing,
    server,
    reconciliation,
    gpuSamples: ctx.gpu?.samples ?? [],
    interrupted,
  });
  for (const warning of reconciliation?.warnings ?? []) {
    ctx.emit({
      type: 'warning',
      variant: ctx.variant.name,
      message: `λ=${label.rateRps}: ${warning}`,
    });
  }
  return record;
}
