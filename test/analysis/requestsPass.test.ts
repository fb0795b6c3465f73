import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recomputeFromRequests } from '../../src/analysis/requestsPass.ts';
import { writeSyntheticRun } from '../helpers/runDir.ts';

const root = mkdtempSync(join(tmpdir(), 'vcm-pass-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const path = join(root, 'run', 'requests.jsonl');
const slo = {
  ttftMs: { percentile: 99, maxMs: 200 },
  tpotMs: { percentile: 90, maxMs: 30 },
  attainment: 0.9,
};

beforeAll(async () => {
  await writeSyntheticRun({
    dir: join(root, 'run'),
    measuredSeconds: 30,
    ratesRps: [1, 5, 20],
    withItl: true,
    variants: [
      {
        name: 'a',
        thetaMaxTokPerS: 1500,
        sharpness: 3,
        deliveryRatio: 1,
        promptTokens: 100,
        requestedOutputTokens: 64,
        gpuHourlyUsd: 3.67,
        gpus: 1,
        failedFraction: 0.05,
      },
    ],
  });
});

/** Equal up to the last bits of floating sums, whose order depends on how the file was cut. */
function expectClose(actual: unknown, expected: unknown, where = ''): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected), where).toBeLessThanOrEqual(
      1e-12 * Math.max(1, Math.abs(expected)),
    );
  } else if (expected && typeof expected === 'object') {
    for (const key of Object.keys(expected)) {
      expectClose(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${where}.${key}`,
      );
    }
  } else {
    expect(actual, where).toEqual(expected);
  }
}

describe('recomputeFromRequests', () => {
  it('worker threads over byte ranges give what one serial pass gives', async () => {
    const serial = await recomputeFromRequests(path, slo, { workers: 1 });
    // 3 workers on a small file: the cuts fall at arbitrary lines of different steps.
    const parallel = await recomputeFromRequests(path, slo, { workers: 3, parallelMinBytes: 0 });
    expect(parallel.lines).toBe(serial.lines);
    // 30 s × (1 + 5 + 20) req/s measured + 2 warm-ups per step = 780 + 6 lines.
    expect(serial.lines).toBe(786);
    expect([...parallel.byStep.keys()].sort()).toEqual([...serial.byStep.keys()].sort());
    for (const [key, step] of serial.byStep) expectClose(parallel.byStep.get(key), step, key);
  }, 60_000);

  it('falls back to the serial pass when a worker runs out of heap', async () => {
    const serial = await recomputeFromRequests(path, slo, { workers: 1 });
    // 1 MB of old generation cannot even load the worker's modules.
    const starved = await recomputeFromRequests(path, slo, {
      workers: 2,
      parallelMinBytes: 0,
      workerHeapMb: 1,
    });
    expect(starved.lines).toBe(786);
    for (const [key, step] of serial.byStep) expectClose(starved.byStep.get(key), step, key);
  }, 60_000);

  it('names the line of a malformed record in the whole file, from any worker', async () => {
    const broken = join(root, 'broken.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[700] = '{"v":1,"variant":"a","stepIndex":2,"repeat":0,"phase":"measure"}';
    writeFileSync(broken, lines.join('\n'));
    await expect(
      recomputeFromRequests(broken, slo, { workers: 3, parallelMinBytes: 0 }),
    ).rejects.toThrow(`${broken}:701: field 'ok' must be true or false`);
    await expect(recomputeFromRequests(broken, slo, { workers: 1 })).rejects.toThrow(
      `${broken}:701: field 'ok' must be true or false`,
    );
  }, 60_000);

  it('skips a truncated last line in the last range', async () => {
    const truncated = join(root, 'truncated.jsonl');
    writeFileSync(truncated, readFileSync(path));
    appendFileSync(truncated, '{"v":1,"variant":"a","step');
    const result = await recomputeFromRequests(truncated, slo, { workers: 2, parallelMinBytes: 0 });
    expect(result.truncatedLastLine).toBe(true);
    expect(result.lines).toBe(787);
  }, 60_000);
});
