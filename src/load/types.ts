/**
 * Contracts of the load driver. `schedule` builds arrivals, `driver` sends them and produces one
 * `RequestRecord` per request and one `DriveSummary` per step; the harness writes both, the
 * analyzer reads them back. Times are milliseconds; `*AtMs` fields are offsets from the step's
 * monotonic origin (`DriveSummary.originEpochMs` maps them to wall-clock).
 */

export type Api = 'completions' | 'chat';

export type ArrivalProcess =
  | { kind: 'poisson' }
  | { kind: 'gamma'; cv: number } // coefficient of variation of the gaps; 1 = Poisson
  | { kind: 'constant' }
  /**
   * Replay: absolute send offsets (ms from the step start). Per-request lengths, when the trace
   * has them (`readTrace`), override the plan's length distributions.
   */
  | { kind: 'trace'; offsetsMs: number[]; promptTokens?: number[]; outputTokens?: number[] };

/** One planned request: when to send it and what shape it has. */
export interface PlannedRequest {
  seq: number;
  intendedAtMs: number;
  promptTokens: number;
  outputTokens: number;
  phase: 'warmup' | 'measure';
}

export type ErrorClass =
  | 'timeout' // no answer (or no next byte) within the request timeout
  | 'connect' // connection refused / DNS / TLS
  | 'reset' // connection closed mid-stream or before a response
  | 'http_429'
  | 'http_4xx'
  | 'http_5xx'
  | 'malformed_stream' // not SSE, invalid JSON, stream ended without [DONE] and finish_reason
  | 'stream_error_event' // an {"error": …} event on a 200 stream
  | 'incomplete' // still running when the drain timeout cancelled it
  | 'aborted'; // the run was interrupted (Ctrl-C)

export interface LatencyStats {
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** One line of requests.jsonl. */
export interface RequestRecord {
  v: 1;
  variant: string;
  stepIndex: number;
  repeat: number;
  rateRps: number;
  phase: 'warmup' | 'measure';
  seq: number;
  id: string;
  api: Api;
  intendedAtMs: number;
  /** When the concurrency cap let it go (equals intendedAtMs without a cap). */
  releasedAtMs: number;
  sentAtMs: number | null;
  firstByteAtMs: number | null;
  /** First chunk carrying content or reasoning tokens (not role-only, not usage-only). */
  firstTokenAtMs: number | null;
  lastTokenAtMs: number | null;
  endAtMs: number;
  ttftMs: number | null; // firstToken − sent
  ttftFromIntendedMs: number | null; // firstToken − intended (coordinated omission corrected)
  e2eMs: number | null; // lastToken − sent
  e2eFromIntendedMs: number | null;
  tpotMs: number | null; // (e2e − ttft) / (outputTokens − 1), outputTokens > 1
  capWaitMs: number; // releasedAt − intendedAt
  sendLagMs: number | null; // sentAt − releasedAt: how late the driver itself was
  /** Per-token inter-token latency (tokens of one chunk share its arrival). */
  itl: LatencyStats | null;
  /** Per-chunk gaps (inter-chunk latency), the way vllm bench serve counts ITL. */
  chunkGaps: LatencyStats | null;
  chunks: number;
  promptTokens: number | null;
  promptTokensSource: 'usage' | 'planned' | 'tokenizer' | null;
  outputTokens: number | null;
  outputTokensSource: 'usage' | 'continuous_usage' | 'counted' | null;
  requestedOutputTokens: number;
  /** Output tokens whose arrival fell inside the step's measured window (for θ). */
  outputTokensInWindow: number;
  status: number | null;
  finishReason: string | null;
  ok: boolean;
  error: { class: ErrorClass; message: string } | null;
  /** Optional detail (`recordChunks`): arrival offset and token count of every chunk. */
  chunkAtMs?: number[];
  chunkTokens?: number[];
}

/** How the driver judged itself over one step. */
export interface DriverHealth {
  scheduleLagMs: { p50: number | null; p99: number | null; max: number | null };
  eventLoopDelayMs: { p50: number | null; p99: number | null; max: number | null };
  cpuPercent: number | null;
  offeredRps: number;
  achievedSendRps: number | null;
  valid: boolean;
  reasons: string[];
}

export interface DriveSummary {
  originEpochMs: number;
  measureStartAtMs: number;
  measureEndAtMs: number;
  endAtMs: number;
  /** Counts over every request of the step, warm-up included; `failed` excludes incomplete. */
  sent: number;
  ok: number;
  failed: number;
  incomplete: number;
  errorsByClass: Partial<Record<ErrorClass, number>>;
  /** Pooled per-token ITL over measured requests (HDR histogram percentiles). */
  itlPooled: LatencyStats;
  chunkGapsPooled: LatencyStats;
  /** Requests on the wire (sent, not ended) over the measured window: time-weighted mean, max. */
  inFlight: { mean: number | null; max: number };
  /** Σ over successful and `incomplete` requests (any phase) of their in-window tokens. */
  outputTokensInWindow: number;
  health: DriverHealth;
}

/** Token-length distributions of prompts and outputs, sampled with the step's seeded stream. */
export type LengthDist =
  | { kind: 'fixed'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'normal'; mean: number; stdev: number; min?: number; max?: number }
  | { kind: 'lognormal'; mean: number; stdev: number; min?: number; max?: number }
  | { kind: 'empirical'; values: number[] };

export interface PlanOptions {
  arrival: ArrivalProcess;
  rateRps: number;
  warmupSeconds: number;
  /** Exactly one of these bounds the measured phase. */
  measureSeconds?: number;
  measureRequests?: number;
  promptLength: LengthDist;
  outputLength: LengthDist;
  seed: number;
  /** Independent substream per (variant, step, repeat) so steps never share random draws. */
  streamId: string;
}

export interface Plan {
  requests: PlannedRequest[];
  measureStartAtMs: number;
  measureEndAtMs: number;
}

export interface PromptOptions {
  /** Completions: token-id prompts drawn below this vocabulary size. */
  vocabSize: number | null;
  /** Chat: a local tokenizer.json to measure text length exactly; else approximated. */
  tokenizerPath: string | null;
  /** Per-run salt so a warm prefix cache cannot serve these prompts. */
  salt: string;
}

export interface RequestShape {
  ignoreEos: boolean;
  /** Send min_tokens = max_tokens so the output length is what the plan asked for. */
  pinOutputLength: boolean;
  continuousUsage: boolean;
  temperature: number | null;
  extraBody: Record<string, unknown>;
}

export interface DriveProgress {
  elapsedMs: number;
  sent: number;
  ok: number;
  failed: number;
  inFlight: number;
  outputTokPerS: number;
}

export interface StepDriveOptions {
  baseUrl: string;
  api: Api;
  model: string;
  plan: Plan;
  maxConcurrency: number | null;
  requestTimeoutMs: number;
  drainTimeoutMs: number;
  shape: RequestShape;
  prompt: PromptOptions;
  apiKey: string | null;
  labels: { variant: string; stepIndex: number; repeat: number; rateRps: number };
  recordChunks: boolean;
  signal?: AbortSignal;
  /** Called as each request finishes, so the caller can append and flush it at once. */
  onRecord?: (record: RequestRecord) => void;
  /** Called a few times a second while the step runs. */
  onProgress?: (progress: DriveProgress) => void;
  /** Limits of the validity verdict; defaults in `DEFAULT_HEALTH_THRESHOLDS` (health.ts). */
  healthThresholds?: Partial<HealthThresholds>;
}

/** Limits past which a step's driver health marks it invalid. */
export interface HealthThresholds {
  /** p99 of send lag (sent − released) over measured requests: the floor of the bound. */
  lagP99Ms: number;
  /**
   * The p99 bound grows with the mean gap between arrivals (1/λ): a lag of this share of the
   * gap leaves the offered arrival process intact (2 ms at 1 req/s changes nothing).
   */
  lagShareOfGap: number;
  /** Worst single send lag: one long pause means a burst the plan never asked for. */
  lagMaxMs: number;
  /** p99 event-loop delay over the step. */
  loopDelayP99Ms: number;
  /** Achieved ÷ offered send rate over the measured window (not applied under a cap). */
  minSendRatio: number;
  /** Driver process CPU over the step, % of one core. */
  maxCpuPercent: number;
}

/*
 * Entry points (implemented in this folder):
 *   buildPlan(options: PlanOptions): Plan                               — schedule.ts
 *   driveStep(options: StepDriveOptions): Promise<DriveSummary>          — driver.ts
 * driveStep never throws for a failed request; it throws only for bad options.
 */
