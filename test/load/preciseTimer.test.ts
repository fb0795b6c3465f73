import { describe, expect, it } from 'vitest';
import { createPreciseTimer } from '../../src/load/preciseTimer.ts';

describe('precise timer', () => {
  it('fires once per deadline, never before it; a new deadline replaces the old one', async () => {
    const fired: bigint[] = [];
    let wake: () => void = () => {};
    const timer = await createPreciseTimer(() => {
      fired.push(process.hrtime.bigint());
      wake();
    });
    try {
      const first = process.hrtime.bigint() + 30_000_000n; // +30 ms
      const replaced = process.hrtime.bigint() + 5_000_000n; // +5 ms, set first, then moved
      timer.armAt(replaced);
      timer.armAt(first);
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      expect(fired).toHaveLength(1);
      expect(fired[0]! >= first).toBe(true);

      // A deadline already past fires at once.
      const past = process.hrtime.bigint() - 1_000_000n;
      timer.armAt(past);
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      expect(fired).toHaveLength(2);
    } finally {
      await timer.close();
    }
  });
});
