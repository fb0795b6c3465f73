import { describe, expect, it } from 'vitest';
import type { StatTable } from '../../src/meter/fleet/assemble.ts';
import { SegmentedLifetime } from '../../src/meter/fleet/lifetime.ts';

/** A fake Prometheus where replica r1 makes 10 tokens per second: increase over R s = 10 R. */
function fetcher(calls: string[], failAt?: number) {
  return async (grouping: string, rangeS: number, atS: number): Promise<StatTable> => {
    calls.push(`${grouping} ${rangeS}s @${atS}`);
    if (failAt !== undefined && calls.length === failAt) throw new Error('Prometheus went away');
    return new Map([
      [
        'r1',
        new Map([
          ['out_total', 10 * rangeS],
          ['restarts', 0],
        ]),
      ],
    ]);
  };
}

describe('lifetime totals in segments', () => {
  it('reads each closed hour once and the open part each time', async () => {
    const lifetime = new SegmentedLifetime(0, 3_600_000);
    const calls: string[] = [];
    // 2.5 h after the start: two closed hours, then 1800 s open. 10 tok/s × 9000 s = 90 000.
    const totals = await lifetime.totals(9_000_000, ['fleet'], fetcher(calls));
    expect(totals.get('fleet')?.get('r1')?.get('out_total')).toBe(90_000);
    expect(calls).toEqual(['fleet 3600s @3600', 'fleet 3600s @7200', 'fleet 1800s @9000']);

    calls.length = 0;
    const later = await lifetime.totals(9_060_000, ['fleet'], fetcher(calls));
    expect(calls).toEqual(['fleet 1860s @9060']); // closed hours are not read again
    expect(later.get('fleet')?.get('r1')?.get('out_total')).toBe(90_600);
  });

  it('a failure while closing a segment counts nothing twice', async () => {
    const lifetime = new SegmentedLifetime(0, 3_600_000);
    const calls: string[] = [];
    // Two groupings; the second read of the first closing fails.
    await expect(
      lifetime.totals(4_000_000, ['replica', 'fleet'], fetcher(calls, 2)),
    ).rejects.toThrow('went away');
    const totals = await lifetime.totals(4_000_000, ['replica', 'fleet'], fetcher([]));
    // 4000 s × 10 tok/s, the first hour counted once.
    expect(totals.get('replica')?.get('r1')?.get('out_total')).toBe(40_000);
    expect(totals.get('fleet')?.get('r1')?.get('out_total')).toBe(40_000);
  });
});
