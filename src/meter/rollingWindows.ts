/**
 * Rolling windows of snapshots for one server. Each push says whether the server restarted
 * since the previous sample; on a restart every window starts again from the new sample, so a
 * window never mixes two server lifetimes (no negative rate, no spike from a reset counter, no
 * latency histogram that subtracts one process's buckets from another's).
 */

import type { CounterReset, VllmSnapshot, WindowStats } from '../telemetry/types.ts';
import { COUNTER_CONCEPTS } from '../telemetry/vllmModel.ts';
import { windowBetween, windowOverSnapshots } from '../telemetry/windows.ts';

export interface PushResult {
  /** The step from the previous sample to this one (null for the first sample). */
  step: WindowStats | null;
  restarted: boolean;
  resets: CounterReset[];
}

export interface WindowedStats {
  windowSeconds: number;
  /** null until the window holds two samples. */
  stats: WindowStats | null;
  spanSeconds: number | null;
  filled: boolean;
}

/** Resets that mean a new server process: its start markers, or a counter that fell. */
const RESTART_SIGNALS = new Set<string>(['processStartTimeS', 'createdMinS', ...COUNTER_CONCEPTS]);

/**
 * A restart shows as a counter that fell, or as a new process start time. A histogram alone
 * going backwards is not taken for one (a server that records a negative duration makes its
 * `_sum` fall); the telemetry core already treats that series' delta as a reset.
 */
export function isRestart(prev: VllmSnapshot, cur: VllmSnapshot, step: WindowStats): boolean {
  if (step.resets.some((r) => RESTART_SIGNALS.has(r.concept))) return true;
  const before = prev.restartMarkers.processStartTimeS;
  const after = cur.restartMarkers.processStartTimeS;
  return before !== null && after !== null && after !== before;
}

/**
 * Windows are computed from their first and last sample only — O(1) per window instead of one
 * step per sample (6.5 ms instead of 108 ms of CPU for a 5 min window of 61 one-megabyte
 * scrapes). That is exact because the buffer never spans a restart: every counter only grows
 * inside it, so the increase between the ends is the sum of the steps. (A histogram whose `_sum`
 * falls because the server recorded a negative duration is even read better this way: a step
 * would take the fall for a reset and count the whole histogram again.)
 */
export class RollingWindows {
  readonly #windowsSeconds: number[];
  readonly #slackMs: number;
  #snapshots: VllmSnapshot[] = [];

  /** `slackMs` (half an interval) lets a window take the sample that sits just at its edge. */
  constructor(windowsSeconds: number[], slackMs: number) {
    this.#windowsSeconds = [...windowsSeconds].sort((a, b) => a - b);
    this.#slackMs = slackMs;
  }

  get size(): number {
    return this.#snapshots.length;
  }

  last(): VllmSnapshot | null {
    return this.#snapshots.at(-1) ?? null;
  }

  clear(): void {
    this.#snapshots = [];
  }

  push(snapshot: VllmSnapshot): PushResult {
    const prev = this.last();
    if (prev && snapshot.timeMs <= prev.timeMs) {
      // A clock step backwards: the old samples can no longer be placed on this timeline.
      this.#snapshots = [snapshot];
      return { step: null, restarted: false, resets: [] };
    }
    const step = prev ? windowBetween(prev, snapshot) : null;
    const restarted = prev !== null && step !== null && isRestart(prev, snapshot, step);
    if (restarted) this.#snapshots = [];
    this.#snapshots.push(snapshot);
    this.#prune(snapshot.timeMs);
    return { step, restarted, resets: step?.resets ?? [] };
  }

  /** The statistics of every configured window, ending at the newest sample. */
  windows(): WindowedStats[] {
    const newest = this.last();
    return this.#windowsSeconds.map((windowSeconds) => {
      if (!newest) return { windowSeconds, stats: null, spanSeconds: null, filled: false };
      const fromMs = newest.timeMs - windowSeconds * 1000 - this.#slackMs;
      const first = this.#snapshots.find((s) => s.timeMs >= fromMs);
      if (!first || first === newest) {
        return { windowSeconds, stats: null, spanSeconds: null, filled: false };
      }
      const spanMs = newest.timeMs - first.timeMs;
      return {
        windowSeconds,
        stats: windowOverSnapshots([first, newest]),
        spanSeconds: spanMs / 1000,
        filled: spanMs >= windowSeconds * 1000 - this.#slackMs,
      };
    });
  }

  #prune(nowMs: number): void {
    const longest = this.#windowsSeconds.at(-1) ?? 0;
    const keepFromMs = nowMs - longest * 1000 - this.#slackMs;
    const firstKept = this.#snapshots.findIndex((s) => s.timeMs >= keepFromMs);
    if (firstKept > 0) this.#snapshots = this.#snapshots.slice(firstKept);
  }
}
