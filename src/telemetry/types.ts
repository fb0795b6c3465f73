/**
 * Contracts of the telemetry core. The parser (`promText`), the vLLM metric model (`vllmModel`)
 * and the window maths (`windows`) implement them; the scraper, the meter, the harness and the
 * analyzer consume them. Every field that the server did not expose is `null`, never 0.
 */

/** One exposition sample, label order not significant. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export type PromType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'info'
  | 'stateset'
  | 'gaugehistogram'
  | 'unknown';

export interface PromFamily {
  name: string;
  type: PromType;
  help?: string;
  unit?: string;
  samples: PromSample[];
}

export interface ParsedMetrics {
  format: 'prometheus' | 'openmetrics';
  families: Map<string, PromFamily>;
}

/** Cumulative histogram, already summed across the series it aggregates. */
export interface HistogramData {
  /** Finite upper bounds ascending, with their cumulative counts; +Inf is `count`. */
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

/** The vLLM quantities the tool reads, by concept rather than by metric name. */
export type CounterConcept =
  | 'generationTokens'
  | 'promptTokens'
  | 'requestsFinished'
  | 'preemptions'
  | 'prefixCacheQueries'
  | 'prefixCacheHits';

export type GaugeConcept = 'running' | 'waiting' | 'kvCacheUsage';

export type HistogramConcept =
  | 'ttft'
  | 'itl'
  | 'tpot'
  | 'e2e'
  | 'queue'
  | 'prefill'
  | 'decode'
  | 'promptLength'
  | 'generationLength';

/** One labelled series of a concept, as exposed (already de-duplicated by `pid`). */
export interface SeriesValue {
  labels: Record<string, string>;
  value: number;
}

export interface SeriesHistogram {
  labels: Record<string, string>;
  histogram: HistogramData;
}

/**
 * The per-series values behind a snapshot's sums, keyed by label signature. Prometheus handles a
 * counter reset per series before summing; windows need the parts to do the same, so that one
 * engine restarting neither inflates nor hides the others' increase.
 */
export interface SnapshotSeries {
  counters: Partial<Record<CounterConcept, Record<string, SeriesValue>>>;
  histograms: Partial<Record<HistogramConcept, Record<string, SeriesHistogram>>>;
}

/** Per-model slice of a snapshot (vLLM serves one model per server; routers can mix). */
export interface ModelSlice {
  counters: Record<CounterConcept, number | null>;
  requestsByReason: Record<string, number> | null;
  histograms: Partial<Record<HistogramConcept, HistogramData | null>>;
}

/**
 * One scrape of one server, reduced to concepts. Serialisable as JSON (the harness writes one per
 * line in telemetry.jsonl), so Maps are avoided.
 */
export interface VllmSnapshot {
  /** Wall-clock time of the scrape, Unix ms. */
  timeMs: number;
  engine: 'vllm' | 'sglang' | 'unknown';
  /** Metric name actually used for each concept, or null when absent: flags renames. */
  names: Record<string, string | null>;
  /** Era of the names seen: 'v1' (current), 'v0' (legacy), 'mixed', or null when none. */
  era: 'v1' | 'v0' | 'mixed' | null;
  counters: Record<CounterConcept, number | null>;
  requestsByReason: Record<string, number> | null;
  gauges: {
    running: number | null;
    waiting: number | null;
    kvCacheUsageMax: number | null;
    kvCacheUsageMean: number | null;
  };
  histograms: Record<HistogramConcept, HistogramData | null>;
  byModel: Record<string, ModelSlice>;
  /**
   * Signals of a restart: sum and minimum of the `_created` values of the concept series (a
   * restart moves the minimum; a series created later in the same process does not), and the
   * process start time, when exposed (single-process servers only).
   */
  restartMarkers: {
    createdSum: number | null;
    processStartTimeS: number | null;
    createdMinS?: number | null;
  };
  /** Number of data-parallel engines seen (distinct `engine` labels), or null. */
  engines: number | null;
  /** Per-series parts of `counters` and `histograms`; absent in snapshots built elsewhere. */
  series?: SnapshotSeries;
}

export interface QuantileSummary {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  mean: number | null;
  count: number | null;
}

export interface CounterReset {
  concept: string;
  atMs: number;
  before: number;
  after: number;
}

/**
 * What `inspect --json` prints and what windows of the meter and the scraper carry. Over a
 * window, `latencyMs` and `lengths` come from histogram bucket deltas (quantiles as Prometheus'
 * `histogram_quantile`, means from Δsum/Δcount, `count` = Δcount). For a single snapshot
 * (`windowSeconds` null) rates, increases and Little's law are null, `totals` is filled, and
 * `latencyMs`, `lengths` and `prefixCacheHitRate` cover the server's whole life.
 */
export interface WindowStats {
  windowSeconds: number | null;
  startMs: number | null;
  endMs: number;
  rates: {
    outputTokensPerS: number | null;
    promptTokensPerS: number | null;
    requestsPerS: number | null;
    requestsPerSByReason: Record<string, number> | null;
    arrivalsPerS: number | null;
    preemptionsPerS: number | null;
  };
  /** Increases over the window (reset-safe), for reconciliation against client counts. */
  increases: {
    outputTokens: number | null;
    promptTokens: number | null;
    requests: number | null;
    requestsByReason: Record<string, number> | null;
    preemptions: number | null;
  };
  /** Totals since server start (single sample) — only filled when there is no window. */
  totals: Record<CounterConcept, number | null> | null;
  latencyMs: Record<
    'ttft' | 'itl' | 'tpot' | 'e2e' | 'queue' | 'prefill' | 'decode',
    QuantileSummary
  >;
  lengths: Record<'prompt' | 'generation', QuantileSummary>;
  state: {
    running: number | null;
    waiting: number | null;
    kvCacheUsageMax: number | null;
    kvCacheUsageMean: number | null;
  };
  prefixCacheHitRate: number | null;
  littlesLaw: { meanInFlight: number | null; predicted: number | null; ratio: number | null };
  resets: CounterReset[];
  byModel: Record<string, { outputTokensPerS: number | null; requestsPerS: number | null }>;
  vllmNames: { era: VllmSnapshot['era']; names: Record<string, string | null> };
}

/*
 * Entry points (implemented in this folder):
 *   parsePromText(text: string, options?: { source?; format? }): ParsedMetrics — promText.ts
 *     throws PromParseError (code E_PARSE, with `line`) on malformed input
 *   snapshotFromMetrics(parsed: ParsedMetrics, timeMs: number): VllmSnapshot  — vllmModel.ts
 *   windowBetween(prev: VllmSnapshot | null, cur: VllmSnapshot): WindowStats  — windows.ts
 *   windowOverSnapshots(series: VllmSnapshot[]): WindowStats   — reset-safe across many scrapes
 *   histogramQuantile(q: number, h: HistogramData): number | null         — histogram.ts
 *   scrapeMetrics(url: string, opts: { timeoutMs: number; signal?: AbortSignal })
 *     : Promise<{ text: string; contentType: string | null; elapsedMs: number }> — scrape.ts
 *     throws CostMeterError naming the URL (unreachable, HTTP status, HTML instead of metrics)
 *   closeScrapeAgent(): Promise<void> — closes the shared keep-alive Agent     — scrape.ts
 *   formatWindow(stats: WindowStats, source: string): string — the inspect table — windowTable.ts
 */
