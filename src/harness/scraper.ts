/**
 * The concurrent /metrics scraper of one variant: every interval (default 1 s) it fetches the
 * server's metrics with the telemetry core, reduces them to a snapshot, hands a TelemetryLine to
 * the caller (who appends it to telemetry.jsonl) and keeps the snapshots for the step's window
 * maths. `scrapeNow()` adds a scrape at a precise moment (just before warm-up, just after the
 * drain, at the measured window's edges). Scrapes never overlap; failures become lines with
 * `ok: false` and one warning per outage, not one per second.
 */

import { parsePromText } from '../telemetry/promText.ts';
import { scrapeMetrics } from '../telemetry/scrape.ts';
import type { VllmSnapshot } from '../telemetry/types.ts';
import { snapshotFromMetrics } from '../telemetry/vllmModel.ts';
import { describeError } from '../util/errors.ts';
import type { TelemetryLine } from './records.ts';

export interface ScrapeContext {
  variant: string;
  stepIndex: number | null;
  repeat: number | null;
  phase: TelemetryLine['phase'];
}

export interface ScraperOptions {
  url: string;
  intervalMs: number;
  onLine: (line: TelemetryLine) => void;
  onWarning: (message: string) => void;
  context: ScrapeContext;
}

export class Scraper {
  private readonly snapshots: VllmSnapshot[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private failing = false;
  /** Why the latest scrape failed; null after a good one. */
  lastError: string | null = null;
  context: ScrapeContext;

  constructor(private readonly options: ScraperOptions) {
    this.context = { ...options.context };
  }

  start(): void {
    this.timer = setInterval(() => {
      // A slow server must not pile scrapes up: skip a tick while one is running.
      if (!this.busy) {
        this.scrapeNow().catch((err: unknown) => this.options.onWarning(describeError(err)));
      }
    }, this.options.intervalMs);
  }

  /** One scrape now, after any running one; resolves with its snapshot (null on failure). */
  scrapeNow(): Promise<VllmSnapshot | null> {
    const run = this.chain.then(() => this.scrapeOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Snapshots taken so far whose time lies in [fromMs, toMs], oldest first. */
  between(fromMs: number, toMs: number): VllmSnapshot[] {
    return this.snapshots.filter((s) => s.timeMs >= fromMs && s.timeMs <= toMs);
  }

  /** Forgets snapshots older than `beforeMs` (memory stays flat over a long sweep). */
  forget(beforeMs: number): void {
    const keepFrom = this.snapshots.findIndex((s) => s.timeMs >= beforeMs);
    this.snapshots.splice(0, keepFrom === -1 ? this.snapshots.length : keepFrom);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.chain;
  }

  private async scrapeOnce(): Promise<VllmSnapshot | null> {
    this.busy = true;
    const context = { ...this.context };
    const url = this.options.url;
    const sentAt = Date.now();
    let line: TelemetryLine;
    let snapshot: VllmSnapshot | null = null;
    try {
      const timeoutMs = Math.max(2000, this.options.intervalMs * 2);
      const result = await scrapeMetrics(url, { timeoutMs });
      // The scrape's moment is the middle of its round trip.
      let timeMs = sentAt + result.elapsedMs / 2;
      const last = this.snapshots[this.snapshots.length - 1];
      if (last && timeMs <= last.timeMs) timeMs = last.timeMs + 0.001;
      snapshot = snapshotFromMetrics(parsePromText(result.text, { source: url }), timeMs);
      this.snapshots.push(snapshot);
      if (this.failing) this.options.onWarning(`scrapes of ${url} work again`);
      this.failing = false;
      this.lastError = null;
      line = { v: 1, ...context, url, ok: true, error: null, scrapeMs: result.elapsedMs, snapshot };
    } catch (err) {
      const message = describeError(err);
      if (!this.failing) this.options.onWarning(`scrape failed: ${message}`);
      this.failing = true;
      this.lastError = message;
      const scrapeMs = Date.now() - sentAt;
      line = { v: 1, ...context, url, ok: false, error: message, scrapeMs, snapshot: null };
    } finally {
      this.busy = false;
    }
    // Outside the try: a sink that throws is the caller's failure, not a failed scrape.
    this.options.onLine(line);
    return snapshot;
  }
}
