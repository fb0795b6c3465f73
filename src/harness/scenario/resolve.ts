/**
 * From a scenario as written to the plain settings the runner uses: defaults applied, variant
 * overrides merged, relative paths made absolute, prices looked up. The result is JSON (it is
 * written into manifest.json) and fully determines the run, so `--resume` can compare it.
 */

import { isAbsolute, resolve as resolvePath } from 'node:path';
import { findGpu } from '../../cost/gpuCatalog.ts';
import type { Api, LengthDist, RequestShape } from '../../load/types.ts';
import type { Pricing, SloSpec } from '../records.ts';
import { keyOfPath, type LoadedScenario } from './load.ts';
import {
  DEFAULT_MEASURE_SECONDS,
  type PricingSpec,
  type Scenario,
  type SloInput,
  type SweepSpec,
} from './schema.ts';

export interface ResolvedServer {
  command: string[];
  port: number | 'auto';
  baseUrl: string;
  readiness: string;
  startupTimeoutSeconds: number;
  stopTimeoutSeconds: number;
  env: Record<string, string>;
  cwd: string;
}

export interface ResolvedTelemetry {
  enabled: boolean;
  scrapeIntervalSeconds: number;
  metricsUrl: string | null;
  gpu: 'auto' | 'off';
}

export interface ResolvedVariant {
  name: string;
  /** Base URL of a running server; null when `server` starts one (URL known once started). */
  target: string | null;
  server: ResolvedServer | null;
  model: string | null;
  api: Api;
  apiKeyEnv: string | null;
  /** Absolute path of the file holding the API key (read when the run starts). */
  apiKeyFile: string | null;
  quantization: string | null;
  pricing: Pricing;
  telemetry: ResolvedTelemetry;
}

export type ArrivalSpec =
  | { kind: 'poisson' }
  | { kind: 'gamma'; cv: number }
  | { kind: 'constant' }
  | { kind: 'trace'; file: string };

export interface ResolvedStep {
  warmupSeconds: number;
  measureSeconds: number | null;
  measureRequests: number | null;
  drainTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  maxConcurrency: number | null;
}

export interface ResolvedScenario {
  name: string;
  description: string | null;
  scenarioPath: string | null;
  workload: {
    promptLength: LengthDist;
    outputLength: LengthDist;
    arrival: ArrivalSpec;
    seed: number;
    vocabSize: number | null;
    tokenizerPath: string | null;
    shape: RequestShape;
  };
  step: ResolvedStep;
  sweep: SweepSpec;
  repeats: number;
  slo: SloSpec | null;
  variants: ResolvedVariant[];
}

export function resolvePricing(p: PricingSpec): Pricing {
  const gpu = p.gpu === undefined ? undefined : findGpu(p.gpu);
  if (p.gpuHourlyUsd !== undefined) {
    return {
      gpuClass: gpu?.id ?? p.gpu ?? null,
      gpuHourlyUsd: p.gpuHourlyUsd,
      gpus: p.gpus,
      source: 'scenario',
    };
  }
  if (!gpu) throw new Error(`unknown GPU class ${p.gpu}`); // the loader already rejected it
  return {
    gpuClass: gpu.id,
    gpuHourlyUsd: gpu.gpuHourlyUsd,
    gpus: p.gpus,
    source: `catalog:${gpu.id} (${gpu.source}, ${gpu.asOf})`,
  };
}

export function resolveSlo(slo: SloInput | undefined): SloSpec | null {
  if (!slo) return null;
  const out: SloSpec = { attainment: slo.attainment };
  if (slo.ttft) out.ttftMs = { ...slo.ttft };
  if (slo.tpot) out.tpotMs = { ...slo.tpot };
  if (slo.itl) out.itlMs = { ...slo.itl };
  if (slo.e2e) out.e2eMs = { ...slo.e2e };
  return out;
}

/** The fixed list of rates of a non-auto sweep, rounded to 1e-9 so 0.1 steps stay exact. */
export function sweepRates(sweep: SweepSpec): number[] | null {
  const round = (x: number) => Math.round(x * 1e9) / 1e9;
  switch (sweep.kind) {
    case 'list':
      return [...sweep.rates];
    case 'linear': {
      const count = Math.floor((sweep.stop - sweep.start) / sweep.step + 1e-9) + 1;
      return Array.from({ length: count }, (_, i) => round(sweep.start + i * sweep.step));
    }
    case 'geometric': {
      const ratio = sweep.stop / sweep.start;
      return Array.from({ length: sweep.count }, (_, i) =>
        round(sweep.start * ratio ** (i / (sweep.count - 1))),
      );
    }
    case 'auto':
      return null;
  }
}

export function resolveScenario(loaded: LoadedScenario): ResolvedScenario {
  const s: Scenario = loaded.scenario;
  const abs = (p: string) => (isAbsolute(p) ? p : resolvePath(loaded.baseDir, p));
  const lengths = (d: Scenario['workload']['promptTokens'], field: string): LengthDist => {
    if (d.kind !== 'empirical') return { ...d };
    const fromFile = loaded.empiricalValues.get(keyOfPath(['workload', field, 'file']));
    return { kind: 'empirical', values: d.values ?? fromFile ?? [] };
  };
  const w = s.workload;
  const telemetry = (over: Partial<Scenario['telemetry']> = {}): ResolvedTelemetry => {
    const t = { ...s.telemetry, ...over };
    return {
      enabled: t.enabled,
      scrapeIntervalSeconds: t.scrapeIntervalSeconds,
      metricsUrl: t.metricsUrl ?? null,
      gpu: t.gpu,
    };
  };

  const base: ResolvedVariant = {
    name: 'default',
    target: s.target ?? null,
    server: s.server
      ? { ...s.server, env: s.server.env ?? {}, cwd: abs(s.server.cwd ?? process.cwd()) }
      : null,
    model: s.model ?? null,
    api: s.api,
    apiKeyEnv: s.apiKeyEnv ?? null,
    apiKeyFile: s.apiKeyFile === undefined ? null : abs(s.apiKeyFile),
    quantization: s.quantization ?? null,
    pricing: resolvePricing(s.pricing),
    telemetry: telemetry(),
  };

  const variants = (s.variants ?? [{ name: 'default' }]).map((v): ResolvedVariant => {
    const over = 'server' in v ? v.server : undefined;
    let server: ResolvedServer | null = null;
    if (!('target' in v && v.target)) {
      const merged = { ...(s.server ?? {}), ...(over ?? {}) } as Partial<ResolvedServer>;
      if (merged.command) {
        server = {
          command: merged.command,
          port: merged.port ?? 'auto',
          baseUrl: merged.baseUrl ?? 'http://127.0.0.1:{port}',
          readiness: merged.readiness ?? '/health',
          startupTimeoutSeconds: merged.startupTimeoutSeconds ?? 900,
          stopTimeoutSeconds: merged.stopTimeoutSeconds ?? 20,
          env: { ...(s.server?.env ?? {}), ...(over?.env ?? {}) },
          cwd: abs(over?.cwd ?? s.server?.cwd ?? process.cwd()),
        };
      }
    }
    const full = v as Partial<NonNullable<Scenario['variants']>[number]>;
    return {
      ...base,
      name: v.name,
      target: full.target ?? (server ? null : base.target),
      server: full.target ? null : server,
      model: full.model ?? base.model,
      api: full.api ?? base.api,
      // A variant's own key source replaces the top-level one entirely.
      ...(full.apiKeyEnv !== undefined || full.apiKeyFile !== undefined
        ? {
            apiKeyEnv: full.apiKeyEnv ?? null,
            apiKeyFile: full.apiKeyFile === undefined ? null : abs(full.apiKeyFile),
          }
        : { apiKeyEnv: base.apiKeyEnv, apiKeyFile: base.apiKeyFile }),
      quantization: full.quantization ?? base.quantization,
      pricing: full.pricing ? resolvePricing(full.pricing) : base.pricing,
      telemetry: telemetry(full.telemetry),
    };
  });

  return {
    name: s.name,
    description: s.description ?? null,
    scenarioPath: loaded.absolutePath,
    workload: {
      promptLength: lengths(w.promptTokens, 'promptTokens'),
      outputLength: lengths(w.outputTokens, 'outputTokens'),
      arrival:
        w.arrival.kind === 'trace'
          ? { kind: 'trace', file: abs(w.arrival.file) }
          : { ...w.arrival },
      seed: w.seed,
      vocabSize: w.vocabSize ?? null,
      tokenizerPath: w.tokenizer === undefined ? null : abs(w.tokenizer),
      shape: {
        ignoreEos: w.ignoreEos,
        pinOutputLength: w.pinOutputLength,
        continuousUsage: w.continuousUsage,
        temperature: w.temperature ?? null,
        extraBody: w.extraBody ?? {},
      },
    },
    step: {
      warmupSeconds: s.step.warmupSeconds,
      measureSeconds:
        s.step.measureSeconds ??
        (s.step.measureRequests === undefined ? DEFAULT_MEASURE_SECONDS : null),
      measureRequests: s.step.measureRequests ?? null,
      drainTimeoutSeconds: s.step.drainTimeoutSeconds,
      requestTimeoutSeconds: s.step.requestTimeoutSeconds,
      maxConcurrency: s.step.maxConcurrency ?? null,
    },
    sweep: s.sweep,
    repeats: s.sweep.repeats,
    slo: resolveSlo(s.slo),
    variants,
  };
}

const SECRET_KEY = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i;

/** The scenario as written into manifest.json: environment values that look secret masked. */
export function redactScenario(resolved: ResolvedScenario): ResolvedScenario {
  const copy = structuredClone(resolved);
  for (const v of copy.variants) {
    if (!v.server) continue;
    for (const key of Object.keys(v.server.env)) {
      if (SECRET_KEY.test(key)) v.server.env[key] = '***';
    }
  }
  return copy;
}
