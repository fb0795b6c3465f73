/**
 * Tokens and restarts since the fleet meter started, read as `increase(…[range])` and
 * `resets(…[range])`. A meter left running for weeks must not ask Prometheus for weeks of samples
 * every few seconds, so the time since start is cut into closed segments of an hour, each read
 * once when it closes and kept, plus the open segment, read at each sample.
 */

import type { StatTable } from './assemble.ts';

export const SEGMENT_MS = 3_600_000;

/** Reads one grouping's lifetime stats over `rangeS` seconds ending at `atS` (Unix seconds). */
export type LifetimeFetch = (grouping: string, rangeS: number, atS: number) => Promise<StatTable>;

function addInto(into: StatTable, from: StatTable): void {
  for (const [key, stats] of from) {
    let target = into.get(key);
    if (!target) {
      target = new Map();
      into.set(key, target);
    }
    for (const [stat, value] of stats) {
      if (Number.isFinite(value)) target.set(stat, (target.get(stat) ?? 0) + value);
    }
  }
}

export class SegmentedLifetime {
  readonly #segmentMs: number;
  #openFromMs: number;
  /** grouping → totals of the closed segments. */
  #closed = new Map<string, StatTable>();

  constructor(startMs: number, segmentMs = SEGMENT_MS) {
    this.#openFromMs = startMs;
    this.#segmentMs = segmentMs;
  }

  /** Totals per grouping from the start to `atMs`. */
  async totals(
    atMs: number,
    groupings: string[],
    fetch: LifetimeFetch,
  ): Promise<Map<string, StatTable>> {
    while (atMs - this.#openFromMs > this.#segmentMs) {
      const endMs = this.#openFromMs + this.#segmentMs;
      // All groupings first, then commit: a failed read must not count a segment twice.
      const read = await Promise.all(
        groupings.map((g) => fetch(g, this.#segmentMs / 1000, endMs / 1000)),
      );
      groupings.forEach((g, i) => {
        const closed = this.#closed.get(g) ?? new Map();
        addInto(closed, read[i] as StatTable);
        this.#closed.set(g, closed);
      });
      this.#openFromMs = endMs;
    }
    const openS = (atMs - this.#openFromMs) / 1000;
    const open = await Promise.all(groupings.map((g) => fetch(g, openS, atMs / 1000)));
    const out = new Map<string, StatTable>();
    groupings.forEach((g, i) => {
      const total: StatTable = new Map();
      addInto(total, this.#closed.get(g) ?? new Map());
      addInto(total, open[i] as StatTable);
      out.set(g, total);
    });
    return out;
  }
}
