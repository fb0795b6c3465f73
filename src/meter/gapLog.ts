/**
 * The record of what the meter could not see: periods a server (or Prometheus) was unreachable
 * and restarts, newest last. Keeps the last few for display and counts them all.
 */

import type { Gap } from './types.ts';

const KEPT = 20;

export class GapLog {
  #gaps: Gap[] = [];
  #total = 0;
  #open: Gap | null = null;

  get total(): number {
    return this.#total;
  }

  /** The unreachable period in progress, if any. */
  get open(): Gap | null {
    return this.#open;
  }

  /** Copies of the kept gaps, for a reading. */
  list(): Gap[] {
    return this.#gaps.map((g) => ({ ...g }));
  }

  record(gap: Gap): void {
    this.#total += 1;
    this.#gaps.push(gap);
    if (this.#gaps.length > KEPT) this.#gaps.shift();
  }

  /** A failed sample: opens a gap from the last good one, or extends the open gap. */
  failure(atMs: number, lastGoodMs: number | null, message: string): Gap | null {
    if (this.#open) {
      this.#open.failedScrapes += 1;
      return null;
    }
    this.#open = {
      kind: 'unreachable',
      startMs: lastGoodMs ?? atMs,
      endMs: null,
      failedScrapes: 1,
      message,
    };
    this.record(this.#open);
    return this.#open;
  }

  /** A good sample: closes the open gap (returned) at `atMs`. */
  recover(atMs: number): Gap | null {
    const gap = this.#open;
    if (!gap) return null;
    gap.endMs = atMs;
    this.#open = null;
    return gap;
  }

  /** The newest kept gap, still open, whose message names `text`. */
  findOpen(text: string): Gap | null {
    return (
      [...this.#gaps].reverse().find((g) => g.endMs === null && g.message.includes(text)) ?? null
    );
  }
}
