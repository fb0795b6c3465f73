/**
 * One benchmark step read from another tool's result file, before it becomes a StepRecord.
 * Importers fill it from their format; writeImported turns it into a results directory.
 */

import type { Api, LatencyStats, RequestRecord } from '../../load/types.ts';

/** A request as the other tool saw it; the run-level labels are added when written. */
export type ImportedRequest = Omit<RequestRecord, 'variant' | 'stepIndex' | 'repeat' | 'rateRps'>;

export interface ImportedStep {
  file: string;
  tool: 'vllm bench serve' | 'guidellm';
  /** Default variant name (label, model); `--variant` overrides it. */
  variant: string;
  model: string | null;
  api: Api;
  rateRps: number;
  /** Set when λ was not a fixed offered rate (rate inf, concurrency or sweep strategies). */
  rateNote: string | null;
  startedAtMs: number | null;
  durationS: number;
  sent: number;
  ok: number;
  failed: number;
  incomplete: number;
  outputTokens: number;
  promptTokens: number;
  latency: { ttftMs: LatencyStats; tpotMs: LatencyStats; itlMs: LatencyStats; e2eMs: LatencyStats };
  maxConcurrentRequests: number | null;
  /** Per-request detail when the file has it (vllm bench serve --save-detailed). */
  requests: ImportedRequest[] | null;
  /** The load settings the tool recorded, kept in the manifest's scenario. */
  settings: Record<string, unknown>;
}
