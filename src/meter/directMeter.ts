/**
 * Direct mode: one server, scraped every interval. Emits a `reading` per sample and `gap`,
 * `recovered` and `restart` as they happen; never logs. An unreachable server opens a gap and
 * the meter keeps sampling; a restart resets the windows (see RollingWindows) and is recorded as
 * a gap between the last sample of the old process and the first of the new one.
 */

import { EventEmitter } from 'node:events';
import { nodeHourlyUsd } from '../cost/costModel.ts';
import { parsePromText } from '../telemetry/promText.ts';
import { scrapeMetrics } from '../telemetry/scrape.ts';
import type { CounterReset, VllmSnapshot } from '../telemetry/types.ts';
import { snapshotFromMetrics } from '../telemetry/vllmModel.ts';
import { describeError } from '../util/errors.ts';
import type { MeterConfig } from './config.ts';
import { advanceCumulative, startCumulative } from './cumulative.ts';
import { GapLog } from './gapLog.ts';
import { emptyFigures, figuresFromStats, priceWindow } from './reading.ts';
import { lookupReference, referenceNote } from './reference.ts';
import { RollingWindows } from './rollingWindows.ts';
import { fetchServerInfo, type ServerInfo } from './serverInfo.ts';
import { startTicker, type Ticker } from './ticker.ts';
import type { Cumulative, Gap, MeterReading, ReferenceInfo, ScopeReading } from './types.ts';

export interface DirectMeterEvents {
  reading: [MeterReading];
  gap: [Gap];
  recovered: [Gap];
  restart: [{ atMs: number; resets: CounterReset[] }];
  reference: [{ reference: ReferenceInfo | null; why: string[] }];
  warning: [string];
}

export interface DirectMeterOptions {
  /** Wall clock, for tests. */
  now?: () => number;
  /** Scrapes the body; defaults to the telemetry core's scraper. */
  scrape?: (url: string, signal: AbortSignal) => Promise<string>;
  /** Server metadata; defaults to GET /v1/models and /version. */
  serverInfo?: (baseUrl: string) => Promise<ServerInfo>;
}

export class DirectMeter extends EventEmitter<DirectMeterEvents> {
  readonly config: MeterConfig;
  latest: MeterReading | null = null;

  readonly #now: () => number;
  readonly #scrape: (url: string, signal: AbortSignal) => Promise<string>;
  readonly #serverInfo: (baseUrl: string) => Promise<ServerInfo>;
  readonly #windows: RollingWindows;
  readonly #hourlyUsd: number;
  #cumulative: Cumulative;
  #gaps = new GapLog();
  #lastGoodMs: number | null = null;
  #lastError: string | null = null;
  #restarts = 0;
  #info: ServerInfo | null = null;
  #reference: ReferenceInfo | null = null;
  #referenceNote: string | null = null;
  #warnedNoVllm = false;
  #ticker: Ticker | null = null;
  #abort = new AbortController();

  constructor(config: MeterConfig, options: DirectMeterOptions = {}) {
    super();
    this.config = config;
    this.#now = options.now ?? Date.now;
    this.#scrape =
      options.scrape ??
      (async (url, signal) =>
        (await scrapeMetrics(url, { timeoutMs: config.scrapeTimeoutMs, signal })).text);
    this.#serverInfo =
      options.serverInfo ?? ((base) => fetchServerInfo(base, config.scrapeTimeoutMs));
    this.#windows = new RollingWindows(config.windowsSeconds, config.intervalMs / 2);
    this.#hourlyUsd = nodeHourlyUsd(config.price);
    this.#cumulative = startCumulative(this.#now());
  }

  /** Samples every interval until stopped (see startTicker). */
  start(): void {
    this.#ticker ??= startTicker(this.config.intervalMs, () => this.sampleOnce(), this.#now);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#ticker?.stop();
  }

  /** One sample: scrape, window, price, emit. Never throws: failures become gaps. */
  async sampleOnce(): Promise<MeterReading> {
    let snapshot: VllmSnapshot;
    try {
      const url = `${this.config.url}/metrics`;
      const text = await this.#scrape(url, this.#abort.signal);
      snapshot = snapshotFromMetrics(parsePromText(text, { source: url }), this.#now());
    } catch (err) {
      // Stopping cancels the scrape in flight: that is no gap in the server's record.
      if (this.#abort.signal.aborted && this.latest) return this.latest;
      return this.#emitReading(this.#failed(describeError(err)));
    }
    return this.#emitReading(await this.#succeeded(snapshot));
  }

  #failed(message: string): MeterReading {
    const nowMs = this.#now();
    this.#lastError = message;
    const opened = this.#gaps.failure(nowMs, this.#lastGoodMs, message);
    if (opened) this.emit('gap', opened);
    this.#cumulative = advanceCumulative(this.#cumulative, nowMs, this.#hourlyUsd, null);
    const scope = this.#scope(null, false);
    return this.#reading(nowMs, 'gap', scope);
  }

  async #succeeded(snapshot: VllmSnapshot): Promise<MeterReading> {
    const pushed = this.#windows.push(snapshot);
    const closing = this.#gaps.recover(snapshot.timeMs);
    if (pushed.restarted) {
      this.#restarts += 1;
      if (closing) closing.kind = 'restart';
      else {
        this.#gaps.record({
          kind: 'restart',
          startMs: this.#lastGoodMs ?? snapshot.timeMs,
          endMs: snapshot.timeMs,
          failedScrapes: 0,
          message: 'counters reset: the server restarted; windows start again',
        });
      }
      this.emit('restart', { atMs: snapshot.timeMs, resets: pushed.resets });
    }
    if (closing) this.emit('recovered', closing);
    if (this.#info === null || pushed.restarted) await this.#refreshInfo(snapshot);
    if (snapshot.engine === 'unknown' && snapshot.era === null && !this.#warnedNoVllm) {
      this.#warnedNoVllm = true;
      this.emit('warning', `${this.config.url}/metrics has no vLLM or SGLang metrics`);
    }

    this.#lastGoodMs = snapshot.timeMs;
    this.#lastError = null;
    const step = pushed.step?.increases ?? null;
    this.#cumulative = advanceCumulative(this.#cumulative, snapshot.timeMs, this.#hourlyUsd, step);
    return this.#reading(snapshot.timeMs, 'ok', this.#scope(snapshot, true));
  }

  async #refreshInfo(snapshot: VllmSnapshot): Promise<void> {
    this.#info = await this.#serverInfo(this.config.url).catch(() => ({
      models: [],
      version: null,
    }));
    const served = this.#info.models[0];
    const lookup = lookupReference(
      {
        model: this.config.model ?? served?.root ?? served?.id ?? this.#modelName(snapshot),
        precision: this.config.quantization,
        gpu: this.config.price.gpuClass,
        gpus: this.config.price.gpus,
        engine: snapshot.engine === 'unknown' ? null : snapshot.engine,
      },
      this.#hourlyUsd,
    );
    this.#reference = lookup.reference;
    this.#referenceNote = referenceNote(lookup);
    this.emit('reference', lookup);
  }

  #modelName(snapshot: VllmSnapshot | null): string {
    if (this.config.model) return this.config.model;
    const labelled = snapshot ? Object.keys(snapshot.byModel) : [];
    if (labelled.length > 0) return labelled.join(',');
    return this.#info?.models.map((m) => m.id).join(',') || 'unknown';
  }

  #scope(snapshot: VllmSnapshot | null, up: boolean): ScopeReading {
    const price = this.config.price;
    const windows = up
      ? this.#windows.windows().map(figuresFromStats)
      : this.config.windowsSeconds.map(emptyFigures);
    return {
      scope: 'server',
      replica: new URL(this.config.url).host,
      model: this.#modelName(snapshot ?? this.#windows.last()),
      replicas: 1,
      nodeHourlyUsd: this.#hourlyUsd,
      up,
      state: {
        running: snapshot?.gauges.running ?? null,
        waiting: snapshot?.gauges.waiting ?? null,
        kvCacheUsageMax: snapshot?.gauges.kvCacheUsageMax ?? null,
        kvCacheUsageMean: snapshot?.gauges.kvCacheUsageMean ?? null,
      },
      windows: windows.map((f) => priceWindow(f, price, this.#reference, this.config.slo)),
      cumulative: this.#cumulative,
      reference: this.#reference,
      referenceNote: this.#referenceNote,
      restarts: this.#restarts,
    };
  }

  #reading(timeMs: number, status: MeterReading['status'], scope: ScopeReading): MeterReading {
    const price = this.config.price;
    const last = this.#windows.last();
    return {
      timeMs,
      mode: 'direct',
      source: this.config.url,
      status,
      gpu: {
        label: price.label,
        gpuHourlyUsd: price.gpuHourlyUsd,
        gpus: price.gpus,
        priceSource: price.priceSource,
      },
      scopes: [scope],
      gaps: this.#gaps.list(),
      gapsTotal: this.#gaps.total,
      lastError: this.#lastError,
      serverVersion: this.#info?.version ?? null,
      vllmEra: last?.era ?? null,
    };
  }

  #emitReading(reading: MeterReading): MeterReading {
    this.latest = reading;
    this.emit('reading', reading);
    return reading;
  }
}
