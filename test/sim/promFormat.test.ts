import { describe, expect, it } from 'vitest';
import { buckets125, formatLabels, goFloat, pythonFloatRepr } from '../../src/sim/promFormat.ts';

describe('Prometheus text as prometheus_client writes it', () => {
  // Each pair: a value and its text in the real vLLM 0.32.0 captures
  // (../shared/fixtures/vllm-metrics/v0.32.0-cpu-*.txt), written by prometheus_client.
  it.each([
    [0, '0.0'],
    [58460, '58460.0'],
    [1396, '1396.0'],
    [0.02209742400195336, '0.02209742400195336'],
    [2839.0337104797363, '2839.0337104797363'],
    [1796316053.0120409, '1.7963160530120409e+09'],
    [4776366080, '4.77636608e+09'],
    [1796315901.71, '1.79631590171e+09'],
    [0.002600203999918449, '0.002600203999918449'],
  ])('formats %s as %s', (value, text) => {
    expect(goFloat(value)).toBe(text);
  });

  it('writes bucket bounds Go-style and infinities as +Inf', () => {
    expect([0.001, 1, 2.5, 2560, 16384].map(goFloat)).toEqual([
      '0.001',
      '1.0',
      '2.5',
      '2560.0',
      '16384.0',
    ]);
    expect(goFloat(Number.POSITIVE_INFINITY)).toBe('+Inf');
  });

  it('follows Python repr below 1e-4 and from 1e16 on', () => {
    expect(pythonFloatRepr(0.0001)).toBe('0.0001');
    expect(pythonFloatRepr(0.000015)).toBe('1.5e-05');
    expect(pythonFloatRepr(1e16)).toBe('1e+16');
    expect(pythonFloatRepr(123456789012345.6)).toBe('123456789012345.6');
  });

  it('sorts label keys and escapes values', () => {
    expect(formatLabels({ model_name: 'a"b', engine: '0', le: '1.0' })).toBe(
      '{engine="0",le="1.0",model_name="a\\"b"}',
    );
  });

  it('builds vLLM 1-2-5 length buckets up to max_model_len', () => {
    // vllm.md §1.4: max_model_len 4096 → [1, 2, 5, …, 2000]; 32768 ends at 20000.
    expect(buckets125(4096)).toEqual([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]);
    expect(buckets125(32768).at(-1)).toBe(20000);
  });
});
