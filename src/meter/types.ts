/**
 * What the live meter produces. One `MeterReading` per interval, in direct mode (one scraped
 * server) and in fleet mode (PromQL over a Prometheus that scrapes many replicas). Every output —
 * dashboard, plain line, exporter, /cost, log — renders a reading and nothing else.
 *
 * Unbounded costs (an idle window) are `Infinity` in memory; JSON writers turn them into null
 * with `idle: true` beside them (see `toJsonReading`).
 */

import type { QuantileSummary } from '../telemetry/types.ts';

export const LATENCY_KEYS = ['ttft', 'itl', 'tpot', 'e2e', 'queue', 'prefill', 'decode'] as const;
export type LatencyKey = (typeof LATENCY_KEYS)[number];
export const LENGTH_KEYS = ['prompt', 'generation'] as const;
export type LengthKey = (typeof LENGTH_KEYS)[number];

/** The SLO bounds an operator declared, in milliseconds, at p99 of the window. */
export interface MeterSlo {
  ttftP99Ms: number | null;
  tpotP99Ms: number | null;
  e2eP99Ms: number | null;
}

export interface SloCheck {
  metric: 'ttft' | 'tpot' | 'e2e';
  p99Ms: number | null;
  maxMs: number;
  /** null when the window saw no request to judge. */
  ok: boolean | null;
}

export interface SloStatus {
  checks: SloCheck[];
  /** true when every check with data passed, false when one failed, null when none had data. */
  met: boolean | null;
}

/** The paper's saturation reference matched to the watched server. */
export interface ReferenceInfo {
  id: string;
  thetaMaxTokPerS: number;
  /** C_naive at the meter's own price (so the penalty is θ_max / θ whatever the price). */
  cNaiveUsdPerMTok: number;
  /** C_naive as published, at the paper's price. */
  paperCNaiveUsdPerMTok: number | null;
  /** Short human label of the workload the reference was measured under. */
  protocol: string;
  citation: string;
}

export interface WindowCost {
  /** C_eff; Infinity when the window produced no output token (idle). */
  cEffUsdPerMTok: number | null;
  usdPerMInputTok: number | null;
  usdPerRequest: number | null;
  cNaiveUsdPerMTok: number | null;
  penalty: number | null;
  idle: boolean;
}

export interface WindowReading {
  /** The configured length, seconds. */
  windowSeconds: number;
  /** Time actually covered by the samples in the window (less while it fills), seconds. */
  spanSeconds: number | null;
  filled: boolean;
  outputTokensPerS: number | null;
  promptTokensPerS: number | null;
  requestsPerS: number | null;
  arrivalsPerS: number | null;
  preemptionsPerS: number | null;
  latencyMs: Record<LatencyKey, QuantileSummary>;
  lengths: Record<LengthKey, QuantileSummary>;
  prefixCacheHitRate: number | null;
  cost: WindowCost;
  slo: SloStatus | null;
}

export interface ServerState {
  running: number | null;
  waiting: number | null;
  kvCacheUsageMax: number | null;
  kvCacheUsageMean: number | null;
}

/** Money and tokens since the meter started: idle hours included in the average. */
export interface Cumulative {
  sinceMs: number;
  elapsedSeconds: number;
  usd: number;
  outputTokens: number;
  promptTokens: number;
  /** usd / outputTokens × 1e6; Infinity before the first token. */
  usdPerMOutputTok: number;
}

export interface Gap {
  kind: 'unreachable' | 'restart';
  /** Last good sample before the gap (or the first failure when there was none). */
  startMs: number;
  /** First good sample after it; null while the gap is open. */
  endMs: number | null;
  failedScrapes: number;
  message: string;
}

/** One server (direct), one replica, one model or the whole fleet. */
export interface ScopeReading {
  scope: 'server' | 'replica' | 'model' | 'fleet';
  /** host:port (direct), the instance or pod label (fleet), or 'all'. */
  replica: string;
  model: string;
  replicas: number;
  nodeHourlyUsd: number;
  up: boolean;
  state: ServerState;
  windows: WindowReading[];
  cumulative: Cumulative | null;
  reference: ReferenceInfo | null;
  /** Why no reference matched (the matcher's last reason), when none did. */
  referenceNote: string | null;
  /** Counter resets seen since the meter started (server restarts). */
  restarts: number;
}

export interface MeterReading {
  timeMs: number;
  mode: 'direct' | 'prometheus';
  source: string;
  status: 'ok' | 'gap' | 'waiting';
  gpu: { label: string; gpuHourlyUsd: number; gpus: number; priceSource: string };
  scopes: ScopeReading[];
  /** The most recent gaps (at most 20), newest last. */
  gaps: Gap[];
  /** Every gap since the meter started, including those no longer listed. */
  gapsTotal: number;
  lastError: string | null;
  serverVersion: string | null;
  vllmEra: string | null;
}
