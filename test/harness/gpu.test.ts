import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NVIDIA_SMI_QUERY, parseNvidiaSmi } from '../../src/harness/gpu.ts';

/**
 * Output of `nvidia-smi --query-gpu=index,name,utilization.gpu,power.draw,memory.used,
 * memory.total --format=csv,noheader,nounits`, one line per GPU: ", "-separated values without
 * units, with the "not available" spellings drivers print — `[N/A]` (current drivers),
 * `N/A` (older ones) and `[Not Supported]` (boards without a power sensor, MIG slices).
 */
const FIXTURE = readFileSync(new URL('./fixtures/nvidia-smi-query.txt', import.meta.url), 'utf8');

describe('nvidia-smi parsing', () => {
  it('asks for the six fields the parser expects, in that order', () => {
    expect(NVIDIA_SMI_QUERY).toBe('index,name,utilization.gpu,power.draw,memory.used,memory.total');
  });

  it('reads each GPU line, keeping "not available" as null rather than 0', () => {
    const sample = parseNvidiaSmi(FIXTURE, 1234);
    expect(sample.timeMs).toBe(1234);
    expect(sample.gpus).toEqual([
      {
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        utilPercent: 97,
        powerWatts: 612.48,
        memoryUsedMiB: 74215,
        memoryTotalMiB: 81559,
      },
      {
        index: 1,
        name: 'NVIDIA H100 80GB HBM3',
        utilPercent: 95,
        powerWatts: 598.1,
        memoryUsedMiB: 74213,
        memoryTotalMiB: 81559,
      },
      {
        index: 2,
        name: 'NVIDIA A100-SXM4-80GB',
        utilPercent: null,
        powerWatts: null,
        memoryUsedMiB: 40321,
        memoryTotalMiB: 81920,
      },
      {
        index: 3,
        name: 'NVIDIA GeForce RTX 2080',
        utilPercent: 86,
        powerWatts: null,
        memoryUsedMiB: 7199,
        memoryTotalMiB: 7979,
      },
      {
        index: 4,
        name: 'NVIDIA H100 80GB HBM3',
        utilPercent: 0,
        powerWatts: null,
        memoryUsedMiB: 3,
        memoryTotalMiB: 81559,
      },
    ]);
  });

  it('keeps a name that contains a comma and skips lines that are not GPU rows', () => {
    const text =
      'Failed to initialize NVML: Driver/library version mismatch\n\n' +
      '0, Acme, Model X, 10, 50.5, 100, 200\n';
    expect(parseNvidiaSmi(text, 0).gpus).toEqual([
      {
        index: 0,
        name: 'Acme, Model X',
        utilPercent: 10,
        powerWatts: 50.5,
        memoryUsedMiB: 100,
        memoryTotalMiB: 200,
      },
    ]);
  });

  it('handles CRLF line ends and an empty output', () => {
    expect(parseNvidiaSmi('0, G, 1, 2, 3, 4\r\n', 0).gpus).toHaveLength(1);
    expect(parseNvidiaSmi('', 0).gpus).toEqual([]);
  });
});
