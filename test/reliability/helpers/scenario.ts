/**
 * Small scenario files for the reliability runs: short constant-rate steps (no warm-up, so every
 * request is measured and "every Nth request fails" gives exact counts) against simulators the
 * test started itself.
 */

import { writeFileSync } from 'node:fs';

export const ROOT = new URL('../../..', import.meta.url).pathname;
export const BIN = `${ROOT}bin/vllm-cost-meter.js`;

export interface ScenarioOptions {
  name: string;
  /** Variant name → base URL of a running server. */
  targets?: Record<string, string>;
  /** YAML lines placed at the top level verbatim (server:, telemetry:, …). */
  extra?: string[];
  rates?: number[];
  measureRequests?: number;
  measureSeconds?: number;
  warmupSeconds?: number;
  requestTimeoutSeconds?: number;
  drainTimeoutSeconds?: number;
  outputTokens?: number;
  scrapeIntervalSeconds?: number;
}

export function scenarioYaml(o: ScenarioOptions): string {
  const measure =
    o.measureSeconds !== undefined
      ? `measureSeconds: ${o.measureSeconds}`
      : `measureRequests: ${o.measureRequests ?? 12}`;
  const variants = Object.entries(o.targets ?? {}).map(
    ([name, url]) => `  - {name: ${name}, target: ${JSON.stringify(url)}}`,
  );
  return [
    `name: ${o.name}`,
    'workload:',
    '  promptTokens: {kind: fixed, value: 16}',
    `  outputTokens: {kind: fixed, value: ${o.outputTokens ?? 8}}`,
    '  arrival: {kind: constant}',
    '  vocabSize: 1000',
    `sweep: {kind: list, rates: [${(o.rates ?? [20]).join(', ')}]}`,
    `step: {warmupSeconds: ${o.warmupSeconds ?? 0}, ${measure}, ` +
      `drainTimeoutSeconds: ${o.drainTimeoutSeconds ?? 5}, ` +
      `requestTimeoutSeconds: ${o.requestTimeoutSeconds ?? 5}}`,
    'pricing: {gpuHourlyUsd: 2}',
    `telemetry: {scrapeIntervalSeconds: ${o.scrapeIntervalSeconds ?? 0.25}, gpu: off}`,
    ...(o.extra ?? []),
    ...(variants.length > 0 ? ['variants:', ...variants] : []),
    '',
  ].join('\n');
}

export function writeScenario(path: string, o: ScenarioOptions): string {
  writeFileSync(path, scenarioYaml(o));
  return path;
}
