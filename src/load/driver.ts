/**
 * Drives one step: sends the plan open-loop against a monotonic clock and reports one record
 * per request plus the step's summary.
 *
 * Timing: offsets are absolute from the step origin, so a late send never delays the next one.
 * Between sends a worker thread sleeps until the next deadline (preciseTimer.ts): Node's own
 * timers are 1 ms coarse, and spinning would burn the core whose CPU the step reports. Under
 * load the event loop is busy with response data, so every network chunk also checks whether a
 * send is due: sends then go out between two chunks instead of waiting for the next loop turn.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { Pool } from 'undici';
import { bodyBuilder, validateDriveOptions } from './driveOptions.ts';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  histogramStats,
  InFlightMeter,
  judgeHealth,
  newLatencyHistogram,
  recordMs,
} from './health.ts';
import {
  buildRecord,
  countsInTheta,
  type RecordContext,
  type RequestJob,
  unsentRecord,
} from './metrics.ts';
import { createPreciseTimer } from './preciseTimer.ts';
import { createPromptSource, type Prompt } from './prompts.ts';
import { CancelReason, type StreamHandle, type StreamOutcome, startStream } from './request.ts';
import type {
  DriveSummary,
  ErrorClass,
  PlannedRequest,
  RequestRecord,
  StepDriveOptions,
} from './types.ts';

const PROGRESS_INTERVAL_MS = 250;
/** How long before a send the scheduler stops sleeping and polls the loop. */
const SPIN_MS = 0.25;
/** Event-loop delay sampling interval: finer sampling wakes the loop more than it tells. */
const LOOP_SAMPLE_MS = 10;

export async function driveStep(options: StepDriveOptions): Promise<DriveSummary> {
  const { origin, pathPrefix } = validateDriveOptions(options);
  // Each step of a run draws its own prompts: with the run's salt alone, request k of every
  // step repeated request k of the steps before it, and vLLM's prefix cache served up to a
  // quarter of the prompt tokens of later steps (hit rate 0%, 5%, 25% over three steps).
  const { variant, stepIndex, repeat } = options.labels;
  const prompts = await createPromptSource(options.api, {
    ...options.prompt,
    salt: `${options.prompt.salt}/${variant}/${stepIndex}/${repeat}`,
  });
  const plan = options.plan;
  const planned = plan.requests;
  const thresholds = { ...DEFAULT_HEALTH_THRESHOLDS, ...options.healthThresholds };

  const timer = await createPreciseTimer(() => pump());
  const itlHist = await newLatencyHistogram();
  const gapHist = await newLatencyHistogram();
  const pool = new Pool(origin, {
    pipelining: 1,
    // Well under the 5 s after which vLLM's server (uvicorn) closes an idle connection: a
    // request written on a socket the server is closing, e.g. after an event-loop stall, fails
    // with "other side closed" before the server ever saw it.
    keepAliveTimeout: 2_000,
    connect: { timeout: options.requestTimeoutMs },
  });
  const headers = ['content-type', 'application/json', 'accept', 'text/event-stream'];
  if (options.apiKey) headers.push('authorization', `Bearer ${options.apiKey}`);

  // performance.now() and hrtime tick on the same monotonic clock; hrtime is shared by threads.
  const startHrNs = process.hrtime.bigint();
  const startPerfMs = performance.now();
  const clock = () => performance.now() - startPerfMs;
  const deadlineNs = (atMs: number) => startHrNs + BigInt(Math.round(atMs * 1e6));
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  loopDelay.enable();
  const cpuStart = process.cpuUsage();

  const recordCtx: RecordContext = {
    api: options.api,
    labels: options.labels,
    measureStartAtMs: plan.measureStartAtMs,
    measureEndAtMs: plan.measureEndAtMs,
    recordChunks: options.recordChunks,
  };
  const idPrefix = `vcm-${options.prompt.salt}-${options.labels.stepIndex}-${options.labels.repeat}`;
  const endpoint = `${pathPrefix}/v1/${options.api === 'chat' ? 'chat/completions' : 'completions'}`;
  const bodyFor = bodyBuilder(options);

  // Step state.
  let next = 0;
  let stopped = false; // no more sends: plan done, drain timed out, or aborted
  let immediate: NodeJS.Immediate | null = null;
  let finished = false;
  let drainTimer: NodeJS.Timeout | null = null;
  let inlineQueued = false;
  let callbackError: unknown = null;
  const active = new Set<StreamHandle>();
  const capQueue = new Map<PlannedRequest, number>(); // request → time it reached the cap
  const limit = options.maxConcurrency === null ? null : pLimit(options.maxConcurrency);
  const inFlight = new InFlightMeter(plan.measureStartAtMs, plan.measureEndAtMs);
  const lags: number[] = [];
  const errorsByClass: Partial<Record<ErrorClass, number>> = {};
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let incomplete = 0;
  let outputTokensInWindow = 0;
  let measuredSent = 0;
  let lastMeasuredSentAt = Number.NEGATIVE_INFINITY;
  let completedTokens = 0;

  let resolveDone!: () => void;
  const allDone = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  const ctx = {
    dispatcher: pool,
    path: endpoint,
    headers,
    clock,
    requestTimeoutMs: options.requestTimeoutMs,
    continuousUsage: options.shape.continuousUsage,
    secrets: options.apiKey ? [options.apiKey] : [],
    onChunk: (nowMs: number) => {
      // Between two chunks of a busy loop: send what is due right after this callback.
      if (!inlineQueued && next < planned.length && planned[next]!.intendedAtMs <= nowMs) {
        inlineQueued = true;
        queueMicrotask(sendDue);
      }
    },
  };

  function emit(record: RequestRecord): void {
    try {
      options.onRecord?.(record);
    } catch (err) {
      callbackError ??= err;
      abortAll('aborted', 'the onRecord callback threw; the step was stopped');
    }
  }

  function complete(job: RequestJob, outcome: StreamOutcome): void {
    const { record, itl, gaps } = buildRecord(outcome, job, recordCtx);
    sent++;
    count(record);
    if (job.phase === 'measure') {
      lags.push(record.sendLagMs ?? 0);
      measuredSent++;
      if (outcome.sentAtMs > lastMeasuredSentAt) lastMeasuredSentAt = outcome.sentAtMs;
      if (record.ok) {
        recordMs(itlHist, itl);
        recordMs(gapHist, gaps);
      }
    }
    if (countsInTheta(record)) outputTokensInWindow += record.outputTokensInWindow;
    if (record.ok) completedTokens += record.outputTokens ?? 0;
    emit(record);
  }

  function count(record: RequestRecord): void {
    if (record.ok) ok++;
    else {
      const cls = record.error?.class ?? 'malformed_stream';
      errorsByClass[cls] = (errorsByClass[cls] ?? 0) + 1;
      if (cls === 'incomplete') incomplete++;
      else failed++;
    }
  }

  function launch(req: PlannedRequest, releasedAtMs: number, onEnd?: () => void): void {
    const id = `${idPrefix}-${req.seq}`;
    const prompt: Prompt = prompts.promptFor(req.seq, req.promptTokens);
    const job: RequestJob = {
      seq: req.seq,
      id,
      phase: req.phase,
      intendedAtMs: req.intendedAtMs,
      releasedAtMs,
      plannedPromptTokens: req.promptTokens,
      promptSource: prompt.source,
      requestedOutputTokens: req.outputTokens,
    };
    let ended = false;
    let handle: StreamHandle | null = null;
    handle = startStream(ctx, id, bodyFor(prompt, req.outputTokens), req.outputTokens, (o) => {
      ended = true;
      // A request that failed inside dispatch was never counted in flight.
      if (handle) {
        active.delete(handle);
        inFlight.change(o.endAtMs, -1);
      }
      complete(job, o);
      onEnd?.();
      maybeFinish();
    });
    if (!ended) {
      active.add(handle);
      inFlight.change(handle.sentAtMs, +1);
    }
  }

  function release(req: PlannedRequest): void {
    if (!limit) {
      launch(req, req.intendedAtMs);
      return;
    }
    const queued = limit.activeCount + limit.pendingCount >= (options.maxConcurrency ?? 0);
    capQueue.set(req, clock());
    limit(
      () =>
        new Promise<void>((resolve) => {
          if (capQueue.delete(req)) launch(req, queued ? clock() : req.intendedAtMs, resolve);
          else resolve(); // cancelled while waiting
        }),
    );
  }

  function sendDue(): void {
    inlineQueued = false;
    if (stopped) return;
    const now = clock();
    while (next < planned.length && planned[next]!.intendedAtMs <= now) release(planned[next++]!);
  }

  function pump(): void {
    sendDue();
    if (stopped) return;
    if (next >= planned.length) {
      startDrain();
      return;
    }
    // The worker wakes us a little early (thread wake-ups take tens of µs, more on a busy
    // machine); the last stretch is a short setImmediate spin.
    const atMs = planned[next]!.intendedAtMs;
    if (atMs - clock() <= SPIN_MS) immediate ??= setImmediate(spin);
    else timer.armAt(deadlineNs(atMs - SPIN_MS));
  }

  function spin(): void {
    immediate = null;
    pump();
  }

  function startDrain(): void {
    stopped = true;
    drainTimer = setTimeout(() => {
      const why = `still running ${options.drainTimeoutMs} ms after the last planned send`;
      abortAll('incomplete', why);
    }, options.drainTimeoutMs);
    maybeFinish();
  }

  function abortAll(cls: 'incomplete' | 'aborted', message: string): void {
    stopped = true;
    if (immediate) clearImmediate(immediate);
    const now = clock();
    for (const [req, queuedAt] of capQueue) {
      const job: RequestJob = {
        seq: req.seq,
        id: `${idPrefix}-${req.seq}`,
        phase: req.phase,
        intendedAtMs: req.intendedAtMs,
        releasedAtMs: queuedAt,
        plannedPromptTokens: req.promptTokens,
        promptSource: 'planned',
        requestedOutputTokens: req.outputTokens,
      };
      const record = unsentRecord(job, recordCtx, now, { class: cls, message });
      count(record);
      emit(record);
    }
    capQueue.clear();
    limit?.clearQueue();
    for (const handle of [...active]) handle.cancel(new CancelReason(cls, message));
    maybeFinish();
  }

  function maybeFinish(): void {
    if (finished || !stopped || active.size > 0 || capQueue.size > 0) return;
    finished = true;
    resolveDone();
  }

  // The reason says why when the caller gave one in words ('SIGINT', 'the server exited').
  const onAbort = () => {
    const reason = options.signal?.reason;
    const why = typeof reason === 'string' ? ` (${reason})` : '';
    abortAll('aborted', `the run was interrupted${why}`);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const progress = options.onProgress
    ? setInterval(() => {
        const elapsedMs = clock();
        try {
          options.onProgress?.({
            elapsedMs,
            sent: sent + active.size,
            ok,
            failed: failed + incomplete,
            inFlight: active.size,
            outputTokPerS: elapsedMs > 0 ? (completedTokens * 1000) / elapsedMs : 0,
          });
        } catch (err) {
          callbackError ??= err;
          abortAll('aborted', 'the onProgress callback threw; the step was stopped');
        }
      }, PROGRESS_INTERVAL_MS)
    : null;

  if (!stopped) pump();
  await allDone;

  const endAtMs = clock();
  if (drainTimer) clearTimeout(drainTimer);
  if (progress) clearInterval(progress);
  options.signal?.removeEventListener('abort', onAbort);
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuStart);
  await timer.close();
  await pool.destroy();
  const itlPooled = histogramStats(itlHist);
  const chunkGapsPooled = histogramStats(gapHist);
  itlHist.destroy();
  gapHist.destroy();
  if (callbackError) throw callbackError;

  const windowMs = plan.measureEndAtMs - plan.measureStartAtMs;
  const plannedMeasured = planned.filter((r) => r.phase === 'measure').length;
  const sendSpanMs = Math.max(plan.measureEndAtMs, lastMeasuredSentAt) - plan.measureStartAtMs;
  const offeredRps = windowMs > 0 ? (plannedMeasured * 1000) / windowMs : 0;
  const achievedSendRps = sendSpanMs > 0 ? (measuredSent * 1000) / sendSpanMs : null;
  // The monitor records each sampling interval whole; the delay is what exceeds the interval.
  const nsToMs = (ns: number) => Math.max(0, ns / 1e6 - LOOP_SAMPLE_MS);
  const loopStats =
    loopDelay.count > 0
      ? {
          p50: nsToMs(loopDelay.percentile(50)),
          p99: nsToMs(loopDelay.percentile(99)),
          max: nsToMs(loopDelay.max),
        }
      : { p50: null, p99: null, max: null };

  return {
    originEpochMs: performance.timeOrigin + startPerfMs,
    measureStartAtMs: plan.measureStartAtMs,
    measureEndAtMs: plan.measureEndAtMs,
    endAtMs,
    sent,
    ok,
    failed,
    incomplete,
    errorsByClass,
    itlPooled,
    chunkGapsPooled,
    inFlight: inFlight.summary(endAtMs),
    outputTokensInWindow,
    health: judgeHealth(
      {
        lagMs: Float64Array.from(lags),
        loopDelayMs: loopStats,
        cpuPercent: endAtMs > 0 ? ((cpu.user + cpu.system) / 1000 / endAtMs) * 100 : null,
        offeredRps,
        achievedSendRps,
        capped: limit !== null,
        errorsByClass,
      },
      thresholds,
    ),
  };
}
