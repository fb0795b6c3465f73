/**
 * The sweep runner: for each variant, start its server (or use its target), find the model,
 * scrape telemetry alongside, and run every step of the sweep, writing each result the moment
 * it exists. It returns instead of throwing for failures of the run itself, so the caller can
 * always say where the results are and how to resume. A server that dies cuts its step short
 * (recorded as interrupted, so `--resume` measures it again) and ends the run; so does the
 * first file that cannot be written (a full disk), leaving every file whole.
 */

import { readTrace } from '../load/trace.ts';
import type { ArrivalProcess } from '../load/types.ts';
import { closeScrapeAgent } from '../telemetry/scrape.ts';
import { CostMeterError, describeError, ioError, runError } from '../util/errors.ts';
import { ensureFolder } from '../util/folders.ts';
import { readApiKeys, redactJson, redactText } from './apiKeys.ts';
import { nextAutoRate, observeRate } from './autoSweep.ts';
import type { RunEventSink, StepLabel } from './events.ts';
import { newManifest } from './manifest.ts';
import { fixedSteps, type StepKey, stepKeyId, totalSteps } from './plan.ts';
import { preflight, serverVersion, unreachable } from './probe.ts';
import type { RunManifest, StepRecord } from './records.ts';
import { checkWritable, createRunDir, type RunPaths } from './resultsDir.ts';
import { prepareResume } from './resume.ts';
import { RunOutput } from './runOutput.ts';
import { type Samplers, startSamplers, stopSamplers } from './samplers.ts';
import type { ResolvedScenario, ResolvedVariant } from './scenario/resolve.ts';
import { describeExit, lastLogLine, type StartedServer, startServer } from './server.ts';
import { warmupWarning } from './stepRecord.ts';
import { runStep, type StepRunContext } from './stepRun.ts';

export interface RunOptions {
  resolved: ResolvedScenario;
  /** Root under which `<scenario>-<stamp>/` is created (ignored with resumeDir). */
  outRoot: string;
  resumeDir?: string | null;
  signal: AbortSignal;
  onEvent?: RunEventSink;
  env?: NodeJS.ProcessEnv;
  /** Refuse to start with less free space in the results root (default MIN_FREE_BYTES). */
  minFreeBytes?: number;
}

export interface RunResult {
  dir: string;
  status: 'completed' | 'failed' | 'interrupted';
  steps: StepRecord[];
  manifest: RunManifest;
  error: CostMeterError | null;
}

class Run {
  readonly steps: StepRecord[];
  readonly done: Set<string>;
  ordinal: number;
  /** The running variant's server, when the scenario starts one. */
  server: StartedServer | null = null;
  readonly emit: RunEventSink;

  constructor(
    readonly o: RunOptions,
    readonly paths: RunPaths,
    readonly manifest: RunManifest,
    readonly out: RunOutput,
    readonly keys: Map<string, string | null>,
    finished: StepRecord[],
    readonly total: number | null,
    /** Models of the targets checked before the run began (preflightTargets). */
    readonly checkedModels: ReadonlyMap<string, string>,
  ) {
    this.steps = [...finished];
    this.done = new Set(finished.map(stepKeyId));
    this.ordinal = finished.length;
    // Events become log lines: no key may reach them (a server can echo one in an error).
    const sink = o.onEvent ?? (() => {});
    this.emit = (event) => sink(redactJson(event, out.secrets));
  }

  save(): void {
    this.out.saveManifest(this.manifest);
  }

  async variant(index: number): Promise<void> {
    const resolved = this.o.resolved;
    const v = resolved.variants[index] as ResolvedVariant;
    const fixed = fixedSteps(resolved, v.name);
    if (variantDone(resolved, this.manifest, this.done, v)) return;

    this.emit({ type: 'variant-start', variant: v.name, index, count: resolved.variants.length });
    let server: StartedServer | null = null;
    let samplers: Samplers = { scraper: null, gpu: null };
    try {
      let baseUrl = v.target ?? '';
      if (v.server) {
        server = await startServer(v.server, {
          variant: v.name,
          logPath: this.paths.serverLog(v.name),
          signal: this.o.signal,
          onStatus: (message) => this.emit({ type: 'server-status', variant: v.name, message }),
          secrets: this.out.secrets,
        });
        this.server = server;
        baseUrl = server.baseUrl;
      }
      const apiKey = this.keys.get(v.name) ?? null;
      const where = resolved.scenarioPath ?? resolved.name;
      const model =
        this.checkedModels.get(v.name) ?? (await preflight(baseUrl, apiKey, v.model, where));
      const answered = await serverVersion(baseUrl, apiKey);
      const version = answered === null ? null : redactText(answered, this.out.secrets);
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

      const env = this.o.env ?? process.env;
      const port = server?.port ?? 0;
      samplers = startSamplers(v, { baseUrl, port, env }, this.out, this.emit);

      const ctx: StepRunContext = {
        resolved,
        variant: v,
        baseUrl,
        model,
        apiKey,
        runId: this.manifest.runId ?? 'run',
        arrival: await arrivalOf(resolved),
        scraper: samplers.scraper,
        gpu: samplers.gpu,
        requests: this.out.requests,
        signal: server ? AbortSignal.any([this.o.signal, server.gone]) : this.o.signal,
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
      this.checkServer(v.name, null);
    } finally {
      await stopSamplers(samplers);
      if (server) {
        this.emit({ type: 'server-status', variant: v.name, message: 'stopping the server' });
        await server.stop();
      }
      this.server = null;
      this.emit({ type: 'variant-end', variant: v.name });
    }
  }

  /** Fails the run when the variant's server is gone (`during`: the step it died in). */
  private checkServer(variant: string, during: StepRecord | null): void {
    const exit = this.server?.exitStatus;
    if (!this.server || !exit || this.o.signal.aborted) return;
    const when = during ? ` during the step at λ=${during.rateRps} req/s` : '';
    throw runError(
      `the server of variant '${variant}' exited${when} (${describeExit(exit)}); last log line: ` +
        `${JSON.stringify(lastLogLine(this.server.logPath))}; see ${this.server.logPath}`,
    );
  }

  private async step(ctx: StepRunContext, key: StepKey): Promise<StepRecord> {
    this.checkServer(key.variant, null);
    this.ordinal += 1;
    const label: StepLabel = { ...key, ordinal: this.ordinal, total: this.total };
    const record = await runStep(ctx, label);
    const died = this.server?.exitStatus;
    // A target that refuses every connection once the step is over has gone away.
    const gone =
      !this.server && record.errorsByClass.connect && !this.o.signal.aborted
        ? await unreachable(ctx.baseUrl, ctx.apiKey)
        : null;
    if ((died || gone) && !this.o.signal.aborted) {
      // Half a step against a dying server is no measurement: resume runs it again.
      record.status = 'interrupted';
      record.statusReason = died
        ? `the server exited during this step (${describeExit(died)})`
        : `the server stopped answering during this step (${gone})`;
    }
    if (this.out.writeFailure) throw this.out.writeFailure;
    if (record.status !== 'interrupted') {
      this.steps.push(record);
      this.done.add(stepKeyId(record));
    }
    this.out.writeStep(record, this.steps);
    this.emit({ type: 'step-end', step: label, record });
    const warning = warmupWarning(record);
    if (warning) this.emit({ type: 'warning', variant: record.variant, message: warning });
    this.checkServer(key.variant, died ? record : null);
    if (gone) {
      throw runError(
        `the server of variant '${key.variant}' at ${ctx.baseUrl} stopped answering during the ` +
          `step at λ=${key.rateRps} req/s (${gone}); start it again, then resume`,
      );
    }
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

/** True when a resumed run has nothing left to measure for this variant. */
function variantDone(
  resolved: ResolvedScenario,
  manifest: RunManifest,
  done: ReadonlySet<string>,
  v: ResolvedVariant,
): boolean {
  const fixed = fixedSteps(resolved, v.name);
  if (fixed) return fixed.every((k) => done.has(stepKeyId(k)));
  return Boolean(manifest.autoSweep?.[v.name]?.stopReason);
}

/**
 * Every `target` the run will measure must answer and serve its model before a results
 * directory exists or a request is sent (servers the run starts are checked once ready).
 * Returns each checked variant's model, so its sweep does not ask again.
 */
async function preflightTargets(
  resolved: ResolvedScenario,
  keys: Map<string, string | null>,
  manifest: RunManifest | null,
  finished: readonly StepRecord[],
): Promise<Map<string, string>> {
  const done = new Set(finished.map(stepKeyId));
  const where = resolved.scenarioPath ?? resolved.name;
  const models = new Map<string, string>();
  for (const v of resolved.variants) {
    if (!v.target || (manifest && variantDone(resolved, manifest, done, v))) continue;
    models.set(v.name, await preflight(v.target, keys.get(v.name) ?? null, v.model, where));
  }
  return models;
}

async function arrivalOf(resolved: ResolvedScenario): Promise<ArrivalProcess> {
  const a = resolved.workload.arrival;
  return a.kind === 'trace' ? readTrace(a.file) : a;
}

/** Runs (or resumes) a scenario into a results directory. */
export async function runScenario(o: RunOptions): Promise<RunResult> {
  const resolved = o.resolved;
  // Keys first: a missing one is known before anything is created or started.
  const keys = readApiKeys(resolved, o.env ?? process.env);
  const secrets = [...keys.values()].filter((k): k is string => k !== null);
  let paths: RunPaths;
  let manifest: RunManifest;
  let finished: StepRecord[] = [];
  let droppedSteps = 0;
  let checkedModels: Map<string, string>;
  if (o.resumeDir) {
    const state = await prepareResume(o.resumeDir, resolved);
    ({ paths, manifest, finished } = state);
    droppedSteps = state.droppedSteps;
    checkWritable(paths.dir, o.minFreeBytes);
    checkedModels = await preflightTargets(resolved, keys, manifest, finished);
    manifest.resumes = [
      ...(manifest.resumes ?? []),
      { at: new Date().toISOString(), droppedSteps, droppedRequests: state.droppedRequests },
    ];
    Object.assign(manifest, { status: 'running', endedAt: null, error: null });
  } else {
    // A bad --out is the user's first mistake to hear about, before any request is sent.
    ensureFolder(o.outRoot);
    checkWritable(o.outRoot, o.minFreeBytes);
    checkedModels = await preflightTargets(resolved, keys, null, finished);
    paths = createRunDir(o.outRoot, resolved.name, new Date(), o.minFreeBytes);
    manifest = newManifest(resolved, new Date());
  }
  const out = new RunOutput(paths, secrets);
  out.saveManifest(manifest);

  const run = new Run(o, paths, manifest, out, keys, finished, totalSteps(resolved), checkedModels);
  run.emit({
    type: 'run-start',
    dir: paths.dir,
    total: run.total,
    resumedSteps: finished.length,
    droppedSteps,
  });

  let error: CostMeterError | null = null;
  try {
    if (finished.length > 0) out.writeStepsCsv(run.steps);
    for (let i = 0; i < resolved.variants.length && !o.signal.aborted; i++) await run.variant(i);
  } catch (err) {
    error = err instanceof CostMeterError ? err : runError(describeError(err), err);
  } finally {
    out.close();
    await closeScrapeAgent();
  }

  const status = o.signal.aborted ? 'interrupted' : error ? 'failed' : 'completed';
  Object.assign(manifest, {
    status,
    endedAt: new Date().toISOString(),
    error: status === 'interrupted' ? 'interrupted by a signal' : (error?.message ?? null),
  });
  try {
    out.saveManifest(manifest);
  } catch (err) {
    // A full disk: the last manifest stays (status running: resumable); report the first cause.
    error ??= err instanceof CostMeterError ? err : ioError(describeError(err));
  }
  run.emit({ type: 'run-end', dir: paths.dir, status, error: manifest.error ?? null });
  const shown = error && new CostMeterError(error.code, redactText(error.message, secrets));
  return {
    dir: paths.dir,
    status: status === 'completed' && error ? 'failed' : status,
    steps: run.steps,
    manifest,
    error: shown,
  };
}
