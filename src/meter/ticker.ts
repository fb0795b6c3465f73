/**
 * Runs a task at origin + k × interval until stopped. A task that overruns skips the ticks it
 * missed instead of queueing them, so a slow server never makes the meter sample in bursts.
 */

export interface Ticker {
  stop(): Promise<void>;
}

export function startTicker(
  intervalMs: number,
  task: () => Promise<unknown>,
  now: () => number = Date.now,
): Ticker {
  const origin = now();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<unknown> | null = null;

  const tick = () => {
    if (stopped) return;
    inFlight = task()
      .catch(() => {})
      .finally(() => {
        inFlight = null;
        if (stopped) return;
        const elapsed = now() - origin;
        const next = (Math.floor(elapsed / intervalMs) + 1) * intervalMs;
        timer = setTimeout(tick, Math.max(0, next - elapsed));
      });
  };
  tick();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}
