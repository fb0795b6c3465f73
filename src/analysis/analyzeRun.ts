/**
 * A results directory in, a RunAnalysis out: step rows (from requests.jsonl when present),
 * load points per variant × λ, θ_max, fits, SLO capacity, curves and warnings. No files are
 * written here; src/report does that.
 */

import type { SloSpec, StepRecord } from '../harness/records.ts';
import { TOOL_VERSION } from '../util/version.ts';
import { loadPoints, usableStep } from './aggregate.ts';
import { stepKey } from './requestStats.ts';
import { type RequestsPass, recomputeFromRequests } from './requestsPass.ts';
import { loadRunFiles } from './runFiles.ts';
import { sloCapacity } from './sloCapacity.ts';
import { analyzeStep, withThetaMax } from './steps.ts';
import { fitVariant, variantCurves } from './throughputFit.ts';
import type { RunAnalysis, StepAnalysis, VariantAnalysis } from './types.ts';

export interface AnalyzeOptions {
  /** An SLO to judge the run against instead of the one it was run with. */
  slo?: SloSpec | null;
  /** Read requests.jsonl when present (default true). */
  readRequests?: boolean;
}

/** Little's-law ratios outside this band get a warning: the client's view is inconsistent. */
const LITTLE_BAND = [0.8, 1.25] as const;

const stepLabel = (s: { variant: string; rateRps: number; repeat: number }) =>
  `${s.variant} λ=${s.rateRps} repeat ${s.repeat}`;

function variantNames(steps: StepRecord[], declared: string[]): string[] {
  const names = [...declared];
  for (const step of steps) if (!names.includes(step.variant)) names.push(step.variant);
  return names.filter((name) => steps.some((s) => s.variant === name));
}

function stepWarnings(rows: StepAnalysis[]): string[] {
  const out: string[] = [];
  for (const row of rows) {
    if (row.status === 'failed' || row.status === 'interrupted') {
      out.push(
        `${stepLabel(row)}: step ${row.status} (${row.statusReason ?? 'no reason'}); left out`,
      );
    } else if (row.status === 'invalid') {
      out.push(`${stepLabel(row)}: driver marked the step invalid (${row.statusReason ?? '?'})`);
    } else if (row.statusReason) {
      out.push(`${stepLabel(row)}: ${row.statusReason}`);
    }
    if (row.reconciliation?.ok === false) {
      const why = row.reconciliation.warnings.join('; ') || 'client and server counts differ';
      out.push(`${stepLabel(row)}: reconciliation failed: ${why}`);
    } else {
      for (const w of row.reconciliation?.warnings ?? []) out.push(`${stepLabel(row)}: ${w}`);
    }
    const ratio = row.littlesLaw.ratio;
    if (ratio !== null && (ratio < LITTLE_BAND[0] || ratio > LITTLE_BAND[1])) {
      out.push(
        `${stepLabel(row)}: Little's law off — mean in flight ` +
          `${row.littlesLaw.meanInFlight?.toFixed(2)}` +
          ` vs rate × mean E2E ${row.littlesLaw.predicted?.toFixed(2)} (ratio ${ratio.toFixed(2)})`,
      );
    }
  }
  return out;
}

export async function analyzeRun(dir: string, options: AnalyzeOptions = {}): Promise<RunAnalysis> {
  const files = await loadRunFiles(dir);
  const { manifest } = files;
  const warnings = [...files.warnings];
  const slo = options.slo ?? manifest.slo ?? null;
  const sloSource = options.slo ? 'flag' : manifest.slo ? 'manifest' : null;

  let pass: RequestsPass | null = null;
  if (files.requestsPath && options.readRequests !== false) {
    pass = await recomputeFromRequests(files.requestsPath, slo);
    if (pass.truncatedLastLine) {
      warnings.push(
        `${files.requestsPath}:${pass.lines}: truncated last line skipped (interrupted write)`,
      );
    }
  } else if (options.slo && !files.requestsPath) {
    warnings.push(
      'requests.jsonl is absent: --slo is judged on step percentiles only (no attainment, ' +
        'no goodput cost)',
    );
  }

  const rows = files.steps.map((step) => {
    const recomputed = pass?.byStep.get(stepKey(step.variant, step.stepIndex, step.repeat));
    if (pass && !recomputed && usableStep({ status: step.status } as StepAnalysis)) {
      warnings.push(`${stepLabel(step)}: no request records; using steps.jsonl values`);
    }
    return analyzeStep({
      step,
      recomputed: recomputed ?? null,
      slo,
      sloIsRunOwn: sloSource === 'manifest',
    });
  });

  const finalRows: StepAnalysis[] = [];
  const variants: VariantAnalysis[] = [];
  for (const name of variantNames(
    files.steps,
    manifest.variants.map((v) => v.name),
  )) {
    const info = manifest.variants.find((v) => v.name === name);
    const own = rows.filter((r) => r.variant === name);
    const provisional = loadPoints(own, null);
    const thetaMax = Math.max(0, ...provisional.map((p) => p.outputTokPerS.mean));
    const updated = own.map((r) => withThetaMax(r, thetaMax));
    finalRows.push(...updated);

    const points = loadPoints(updated, thetaMax);
    const pricing = info?.pricing ?? (own[0] as StepAnalysis).pricing;
    const hourly = pricing.gpuHourlyUsd * pricing.gpus;
    const fit = fitVariant(updated.filter(usableStep));
    if (fit.ok) for (const w of fit.warnings) warnings.push(`${name}: fit: ${w}`);
    else warnings.push(`${name}: no fit: ${fit.reason}`);
    const cheapest = Math.min(...points.map((p) => p.cost.cEffUsdPerMTok));
    const requested = updated.map((r) => r.meanRequestedOutputTokens).filter((v) => v !== null);

    variants.push({
      name,
      model: info?.model ?? null,
      quantization: info?.quantization ?? null,
      serverVersion: info?.serverVersion ?? null,
      pricing,
      thetaMaxObservedTokPerS: thetaMax,
      cNaiveUsdPerMTok: (hourly * 1e6) / (3600 * thetaMax),
      minCEffUsdPerMTok: cheapest,
      meanRequestedOutputTokens: requested.length
        ? requested.reduce((a, b) => a + b, 0) / requested.length
        : null,
      fit,
      sloCapacity: slo ? sloCapacity(points, slo) : null,
      curves: variantCurves(fit, points, hourly),
      points,
    });
  }
  warnings.push(...stepWarnings(finalRows));

  return {
    v: 1,
    runDir: dir,
    generatedAt: new Date().toISOString(),
    tool: { name: 'vllm-cost-meter', version: TOOL_VERSION },
    run: {
      scenarioName: manifest.scenarioName,
      startedAt: manifest.startedAt,
      endedAt: manifest.endedAt ?? null,
      status: manifest.status,
      toolVersion: manifest.tool?.version ?? 'unknown',
      gitCommit: manifest.tool?.gitCommit ?? null,
      importedFrom: manifest.importedFrom ?? null,
      host: manifest.host,
      scenario: manifest.scenario ?? null,
    },
    slo: { spec: slo, source: sloSource },
    variants,
    steps: finalRows,
    warnings,
  };
}

/** JSON with unbounded costs (Infinity) written as null, as the records contract does. */
export function analysisToJson(analysis: RunAnalysis): string {
  return JSON.stringify(
    analysis,
    (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
    2,
  );
}
