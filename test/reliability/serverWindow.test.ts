import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { windowCovering } from '../../src/harness/stepRun.ts';
import { parsePromText } from '../../src/telemetry/promText.ts';
import { snapshotFromMetrics } from '../../src/telemetry/vllmModel.ts';
import { ROOT } from './helpers/scenario.ts';

/**
 * When scrapes fail, the good ones left may cover only a sliver of a step's measured window.
 * A rate over that sliver is not the window's rate, so the step gets no server view instead.
 */

const body = readFileSync(`${ROOT}test/fixtures/vllm-0.32.0/metrics-idle.txt`, 'utf8');
const at = (timeMs: number) => snapshotFromMetrics(parsePromText(body), timeMs);

describe('the server view of a measured window', () => {
  it('needs good scrapes spanning at least half of the window', () => {
    // Window [10 000, 20 000] ms: 10 s long, so at least 5 s between the first and last scrape.
    expect(windowCovering([at(10_000), at(14_999)], 10_000, 20_000)).toBeNull();
    expect(windowCovering([at(9_900), at(15_000)], 10_000, 20_000)?.windowSeconds).toBeCloseTo(
      5.1,
      9,
    );
    expect(windowCovering([at(10_000), at(20_000)], 10_000, 20_000)?.windowSeconds).toBe(10);
  });

  it('has none with fewer than two good scrapes', () => {
    expect(windowCovering([], 0, 1000)).toBeNull();
    expect(windowCovering([at(500)], 0, 1000)).toBeNull();
  });
});
