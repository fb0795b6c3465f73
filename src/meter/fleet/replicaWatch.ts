/**
 * Per-replica events in fleet mode: a replica whose `up` goes to 0 opens a gap that closes when
 * it comes back; a replica whose token counter reset (resets() grew) records a restart.
 */

import type { GapLog } from '../gapLog.ts';
import type { Gap, ScopeReading } from '../types.ts';

export class ReplicaWatch {
  #up = new Map<string, boolean>();
  #restarts = new Map<string, number>();

  /** Updates the log from this reading's replica scopes; returns the gaps opened and closed. */
  update(
    scopes: ScopeReading[],
    atMs: number,
    lastGoodMs: number | null,
    log: GapLog,
  ): { opened: Gap[]; closed: Gap[] } {
    const opened: Gap[] = [];
    const closed: Gap[] = [];
    for (const s of scopes) {
      if (s.scope !== 'replica') continue;
      const key = `${s.replica}|${s.model}`;
      const message = `replica ${s.replica} is down (up == 0)`;
      const wasUp = this.#up.get(key);
      if (wasUp === true && !s.up) {
        const gap: Gap = {
          kind: 'unreachable',
          startMs: atMs,
          endMs: null,
          failedScrapes: 1,
          message,
        };
        log.record(gap);
        opened.push(gap);
      }
      if (wasUp === false && s.up) {
        const gap = log.findOpen(message);
        if (gap) {
          gap.endMs = atMs;
          closed.push(gap);
        }
      }
      this.#up.set(key, s.up);

      const before = this.#restarts.get(key) ?? 0;
      if (s.restarts > before) {
        log.record({
          kind: 'restart',
          startMs: lastGoodMs ?? atMs,
          endMs: atMs,
          failedScrapes: 0,
          message: `replica ${s.replica} restarted (counter reset)`,
        });
      }
      this.#restarts.set(key, Math.max(before, s.restarts));
    }
    return { opened, closed };
  }
}
