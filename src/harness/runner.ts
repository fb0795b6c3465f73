/**
 * The sweep runner: for each variant, start its server (or use its target), find the model,
 * scrape telemetry alongside, and run every step of the sweep, writing each result the moment
 * it exists. It returns instead of throwing for failures of the run itself, so the caller can
 * always say where the results are and how to resume.
 */

import { readTrace } from '../load/trace.ts';
import type { ArrivalProcess } from '../load/types.ts';
import { closeScrapeAgent } from '../telemetry/scrape.ts';
import { CostMeterError, describeError, inputError, runError } from '../util/errors.ts';
import { nextAutoRate, observeRate } from './autoSweep.ts';
import type { RunEventSink, StepLabel } from './events.ts';
import { findNvidiaSmi, type GpuSampler, startGpuSampler } from './gpu.ts';
import { JsonlWriter } from './jsonl.ts';
import { newManifest, writeManifest } from './manifest.ts';
import { fixedSteps, type StepKey, stepKeyId, totalSteps } from './plan.ts';
import { discoverModel, serverVersion } from './probe.ts';
import type { RunManifest, StepRecord } from './records.ts';
import { checkWritable, createRunDir, type RunPaths } from './resultsDir.ts';
import { prepareResume } from './resume.ts';
import type { ResolvedScenario, ResolvedVariant } from './scenario/resolve.ts';
import { Scraper } from './scraper.ts';
import { type StartedServer, startServer, substitutePort } from './server.ts';
import { warmupWarning } from './stepRecord.ts';
import { runStep, type StepRunContext } from './stepRun.ts';
import { writeStepsCsv } from './stepsCsv.ts';

export interface RunOptions {
  resolved: ResolvedScenario;
  /** Root under which `<scenario>-<stamp>/` is created (ignored with resumeDir). */
  outRoot: string;
  resumeDir?: string | null;
  signal: AbortSignal;
  onEvent?: RunEventSink;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  dir: string;
  status: 'completed' | 'failed' | 'interrupted';
  steps: StepRecord[];
  manifest: RunManifest;
  error: CostMeterError | null;
}

interface Writers {
  requests: JsonlWriter;
  steps: JsonlWriter;
  telemetry: JsonlWriter;
  gpu: JsonlWriter | null;
}

class Run {
  readonly steps: StepRecord[];
  readonly done: Set<string>;
  ordinal: number;

  constructor(
    readonly o: RunOptions,
    readonly paths: RunPaths,
    readonly manifest: RunManifest,
    readonly writers: Writers,
    finished: StepRecord[],
    readonly total: number | null,
  ) {
    this.steps = [...finished];
    this.done = new Set(finished.map(stepKeyId));
    this.ordinal = finished.length;
  }

  get emit(): RunEventSink {
    return this.o.onEvent ?? (() => {});
  }

  save(): void {
    writeManifest(this.paths.manifest, this.manifest);
  }

  async variant(index: number): Promise<void> {
    const resolved = this.o.resolved;
    const v = resolved.variants[index] as ResolvedVariant;
    const fixed = fixedSteps(resolved, v.name);
    if (fixed?.every((k) => this.done.has(stepKeyId(k)))) return;
    if (!fixed && this.manifest.autoSweep?.[v.name]?.stopReason) return;

    this.emit({ type: 'variant-start', variant: v.name, index, count: resolved.variants.length });
    let server: StartedServer | null = null;
    let scraper: Scraper | null = null;
    let gpu: GpuSampler | null = null;
    try {
      let baseUrl = v.target ?? '';
      if (v.server) {
        server = await startServer(v.server, {
          variant: v.name,
          logPath: this.paths.serverLog(v.name),
          signal: this.o.signal,
          onStatus: (message) => this.emit({ type: 'server-status', variant: v.name, message }),
        });
        baseUrl = server.baseUrl;
      }
      const apiKey = this.apiKey(v);
      const where = resolved.scenarioPath ?? resolved.name;
      const model = v.model ?? (await discoverModel(baseUrl, apiKey, where));
      const version = await serverVersion(baseUrl, apiKey);
      const info = this.manifest.variants[index];
      if (info) {
        Object.assign(info, {
          model,
          baseUrl,
          serverArgv: server?.argv ?? null,
          serverVersion: version,
        });
      }
      this.save();
      this.emit({ type: 'server-ready', variant: v.name, baseUrl, model, version });

      if (v.telemetry.enabled) {
        const url = v.telemetry.metricsUrl
          ? substitutePort(v.telemetry.metricsUrl, server?.port ?? 0)
          : `${baseUrl}/metrics`;
        scraper = new Scraper({
          url,
          intervalMs: v.telemetry.scrapeIntervalSeconds * 1000,
          onLine: (line) => this.writers.telemetry.write(line),
          onWarning: (message) => this.emit({ type: 'warning', variant: v.name, message }),
          context: { variant: v.name, stepIndex: null, repeat: null, phase: 'idle' },
        });
        scraper.start();
      }
      const smi = v.telemetry.gpu === 'auto' ? findNvidiaSmi(this.o.env ?? process.env) : null;
      if (smi) {
        this.writers.gpu ??= new JsonlWriter(this.paths.gpu);
        const gpuWriter = this.writers.gpu;
        gpu = startGpuSampler(
          smi,
          v.telemetry.scrapeIntervalSeconds * 1000,
          (sample) => gpuWriter.write(sample),
          (message) => this.emit({ type: 'warning', variant: v.name, message }),
        );
      }

      const ctx: StepRunContext = {
        resolved,
        variant: v,
        baseUrl,
        model,
        apiKey,
        runId: this.manifest.runId ?? 'run',
        arrival: await arrivalOf(resolved),
        scraper,
        gpu,
        requests: this.writers.requests,
        signal: this.o.signal,
        emit: this.emit,
      };
      if (fixed) {
        for (const key of fixed) {
          if (this.o.signal.aborted) return;
          if (!this.done.has(stepKeyId(key))) await this.step(ctx, key);
        }
      } else {
        await this.autoSweep(ctx);
      }
      if (server?.exited)
        throw runError(`the server of variant '${v.name}' exited during the sweep`);
    } finally {
      await scraper?.stop();
      await gpu?.stop();
      if (server) {
        this.emit({ type: 'server-status', variant: v.name, message: 'stopping the server' });
        await server.stop();
      }
      this.emit({ type: 'variant-end', variant: v.name });
    }
  }

  private apiKey(v: ResolvedVariant): string | null {
    if (!v.apiKeyEnv) return null;
    const key = (this.o.env ?? process.env)[v.apiKeyEnv];
    if (!key) {
      throw inputError(
        `apiKeyEnv: the environment variable ${v.apiKeyEnv} is not set (variant '${v.name}')`,
      );
    }
    return key;
  }

  private async step(ctx: StepRunContext, key: StepKey): Promise<StepRecord> {
    this.ordinal += 1;
    const label: StepLabel = { ...key, ordinal: this.ordinal, total: this.total };
    const record = await runStep(ctx, label);
    this.writers.steps.write(record);
    this.writers.steps.sync();
    this.writers.requests.sync();
    this.writers.telemetry.sync();
    if (record.status !== 'interrupted') {
      this.steps.push(record);
      this.done.add(stepKeyId(record));
    }
    writeStepsCsv(this.paths.stepsCsv, this.steps);
    this.emit({ type: 'step-end', step: label, record });
    const warning = warmupWarning(record);
    if (warning) this.emit({ type: 'warning', variant: record.variant, message: warning });
    return record;
  }

  private async autoSweep(ctx: StepRunContext): Promise<void> {
    const sweep = this.o.resolved.sweep;
    if (sweep.kind !== 'auto') return;
    const repeats = this.o.resolved.repeats;
    const name = ctx.variant.name;
    this.manifest.autoSweep ??= {};
    for (;;) {
      const groups = new Map<number, StepRecord[]>();
      for (const s of this.steps) {
        if (s.variant === name) groups.set(s.stepIndex, [...(groups.get(s.stepIndex) ?? []), s]);
      }
      const ordered = [...groups.entries()].sort((a, b) => a[0] - b[0]);
      this.manifest.autoSweep[name] = {
        ratesRps: ordered.map(([, g]) => (g[0] as StepRecord).rateRps),
        stopReason: null,
      };
      this.save();
      if (this.o.signal.aborted) return;

      const partial = ordered.find(([, g]) => g.length < repeats);
      let stepIndex: number;
      let rateRps: number;
      if (partial) {
        [stepIndex] = partial;
        rateRps = (partial[1][0] as StepRecord).rateRps;
      } else {
        const decision = nextAutoRate(
          sweep,
          ordered.map(([, g]) => observeRate(g)),
        );
        if (decision.kind === 'stop') {
          const entry = this.manifest.autoSweep[name];
          if (entry) entry.stopReason = decision.reason;
          this.save();
          this.emit({ type: 'auto-stop', variant: name, reason: decision.reason });
          return;
        }
        stepIndex = ordered.length;
        rateRps = decision.rateRps;
      }
      for (let repeat = 0; repeat < repeats; repeat++) {
        const key = { variant: name, stepIndex, repeat, rateRps };
        if (this.done.has(stepKeyId(key))) continue;
        const record = await this.step(ctx, key);
        if (record.status === 'interrupted') return;
      }
    }
  }
}

async function arrivalOf(resolved: ResolvedScenario): Promise<ArrivalProcess> {
  const a = resolved.workload.arrival;
  return a.kind === 'trace' ? readTrace(a.file) : a;
}

/** Runs (or resumes) a scenario into a results directory. */
export async function runScenario(o: RunOptions): Promise<RunResult> {
  const resolved = o.resolved;
  let paths: RunPaths;
  let manifest: RunManifest;
  let finished: StepRecord[] = [];
  let droppedSteps = 0;
  if (o.resumeDir) {
    const state = await prepareResume(o.resumeDir, resolved);
    ({ paths, manifest, finished } = state);
    droppedSteps = state.droppedSteps;
    checkWritable(paths.dir);
    manifest.resumes = [
      ...(manifest.resumes ?? []),
      { at: new Date().toISOString(), droppedSteps, droppedRequests: state.droppedRequests },
    ];
    Object.assign(manifest, { status: 'running', endedAt: null, error: null });
  } else {
    paths = createRunDir(o.outRoot, resolved.name);
    manifest = newManifest(resolved, new Date());
  }
  writeManifest(paths.manifest, manifest);

  const writers: Writers = {
    requests: new JsonlWriter(paths.requests),
    steps: new JsonlWriter(paths.steps),
    telemetry: new JsonlWriter(paths.telemetry),
    gpu: null,
  };
  const run = new Run(o, paths, manifest, writers, finished, totalSteps(resolved));
  run.emit({
    type: 'run-start',
    dir: paths.dir,
    total: run.total,
    resumedSteps: finished.length,
    droppedSteps,
  });
  if (finished.length > 0) writeStepsCsv(paths.stepsCsv, run.steps);

  let error: CostMeterError | null = null;
  try {
    for (let i = 0; i < resolved.variants.length && !o.signal.aborted; i++) await run.variant(i);
  } catch (err) {
    error = err instanceof CostMeterError ? err : runError(describeError(err), err);
  } finally {
    for (const w of [writers.requests, writers.steps, writers.telemetry, writers.gpu]) w?.close();
    await closeScrapeAgent();
  }

  const status = o.signal.aborted ? 'interrupted' : error ? 'failed' : 'completed';
  Object.assign(manifest, {
    status,
    endedAt: new Date().toISOString(),
    error: status === 'interrupted' ? 'interrupted by a signal' : (error?.message ?? null),
  });
  writeManifest(paths.manifest, manifest);
  run.emit({ type: 'run-end', dir: paths.dir, status, error: manifest.error ?? null });
  return { dir: paths.dir, status, steps: run.steps, manifest, error };
}
