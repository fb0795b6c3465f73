import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PromParseError, parsePromText } from '../../src/telemetry/promText.ts';
import type { VllmSnapshot } from '../../src/telemetry/types.ts';
import { snapshotFromMetrics } from '../../src/telemetry/vllmModel.ts';
import { windowBetween } from '../../src/telemetry/windows.ts';
import { countStringWork, SHAPES } from './helpers/metricsShapes.ts';
import { ROOT } from './helpers/scenario.ts';

/**
 * The /metrics parser against random, mutated and adversarial bodies: it returns, or throws its
 * own PromParseError — nothing else — and what it returns can always be reduced to a snapshot
 * and windowed without a negative rate. Its work grows linearly with the body: counted in string
 * operations per byte (see metricsShapes.ts), which do not depend on the machine's speed.
 * Timings per byte are printed by scripts/bench-parse-linear.
 */

const FIXTURES = [
  'test/fixtures/vllm-0.32.0/metrics-after-4-requests.txt',
  'test/fixtures/vllm-0.32.0/metrics-idle.txt',
  'test/fixtures/metrics/dp2-a.txt',
].map((f) => readFileSync(`${ROOT}${f}`, 'utf8'));

const BASE = snapshotFromMetrics(parsePromText(FIXTURES[0] as string), 1_000);

/** Parses or fails only with PromParseError; a parsed body is reduced and windowed. */
function parsesOrExplains(text: string): 'parsed' | 'rejected' {
  let parsed: ReturnType<typeof parsePromText>;
  try {
    parsed = parsePromText(text, { source: 'fuzz' });
  } catch (err) {
    if (!(err instanceof PromParseError)) throw err;
    expect(err.message).toMatch(/^fuzz, line \d+: /);
    expect(err.line).toBeGreaterThanOrEqual(1);
    return 'rejected';
  }
  const snapshot: VllmSnapshot = snapshotFromMetrics(parsed, 2_000);
  const window = windowBetween(BASE, snapshot);
  for (const [name, rate] of Object.entries(window.rates)) {
    if (typeof rate === 'number') expect(rate, name).toBeGreaterThanOrEqual(0);
  }
  for (const [name, inc] of Object.entries(window.increases)) {
    if (typeof inc === 'number') expect(inc, name).toBeGreaterThanOrEqual(0);
  }
  return 'parsed';
}

const PIECES = [
  '"',
  '\\',
  '{',
  '}',
  ',',
  '=',
  '#',
  '\n',
  '\r',
  ' ',
  '\t',
  '\u0000',
  'NaN',
  '+Inf',
  '-1',
  '1e400',
  '0x1',
  '# EOF\n',
  '# TYPE x counter\n',
  '# HELP x y\n',
  '_total',
  '_bucket',
  'le="+Inf"',
  '<html>',
  '\u00e9',
  '\ud83d',
];

const edit = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom(...PIECES)).map(
    ([at, piece]) =>
      (t: string) =>
        t.slice(0, at % (t.length + 1)) + piece + t.slice(at % (t.length + 1)),
  ),
  fc.tuple(fc.nat(), fc.nat({ max: 40 })).map(
    ([at, len]) =>
      (t: string) =>
        t.slice(0, at % (t.length + 1)) + t.slice((at % (t.length + 1)) + len),
  ),
  fc.nat().map((at) => (t: string) => t.slice(0, at % (t.length + 1))),
  fc.nat().map((i) => (t: string) => {
    const lines = t.split('\n');
    const k = i % lines.length;
    return [...lines.slice(0, k + 1), lines[k], ...lines.slice(k + 1)].join('\n');
  }),
  fc
    .tuple(fc.nat(), fc.constantFrom('-5', '1e308', 'NaN', '-Inf', '0', '3.5', 'x'))
    .map(([i, value]) => (t: string) => {
      const lines = t.split('\n');
      const k = i % lines.length;
      lines[k] = (lines[k] ?? '').replace(/ [^ ]+$/, ` ${value}`);
      return lines.join('\n');
    }),
);

const mutated = fc
  .tuple(fc.constantFrom(...FIXTURES), fc.array(edit, { minLength: 1, maxLength: 5 }))
  .map(([text, edits]) => edits.reduce((t, e) => e(t), text));

const random = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc
    .array(fc.constantFrom(...PIECES, 'm', 'vllm:x', 'a', '1', '2.5'), { maxLength: 80 })
    .map((parts) => parts.join('')),
);

describe('the /metrics parser on hostile input', () => {
  it('mutated real bodies: parsed and windowed without a negative rate, or PromParseError', () => {
    const seen = { parsed: 0, rejected: 0 };
    fc.assert(
      fc.property(mutated, (text) => {
        seen[parsesOrExplains(text)] += 1;
      }),
      { numRuns: 600, seed: 3 },
    );
    expect(seen.parsed).toBeGreaterThan(50);
    expect(seen.rejected).toBeGreaterThan(50);
  });

  it('random text: never anything but PromParseError', () => {
    fc.assert(
      fc.property(random, (text) => {
        parsesOrExplains(text);
      }),
      { numRuns: 2000, seed: 4 },
    );
  });
});

describe('parse work is linear in the body size', () => {
  const SIZES = [16_384, 65_536, 262_144, 1_048_576];

  it.each(Object.keys(SHAPES))(
    '%s: completes, with the same work per byte at every size',
    (name) => {
      const make = SHAPES[name] as (bytes: number) => string;
      const perByte = SIZES.map((size) => {
        const body = make(size);
        let outcome = '';
        const work = countStringWork(() => {
          try {
            parsePromText(body);
            outcome = 'parsed';
          } catch (err) {
            if (!(err instanceof PromParseError)) throw err;
            outcome = 'rejected';
          }
        });
        expect(outcome).not.toBe('');
        return work / body.length;
      });
      // Quadratic work would grow 4× per step here (each size is 4× the previous).
      for (let i = 1; i < perByte.length; i++) {
        expect(perByte[i] as number).toBeLessThan((perByte[i - 1] as number) * 1.1);
      }
      expect(Math.max(...perByte)).toBeLessThan(8);
    },
  );

  it('the counter sees quadratic work when there is some (a control)', () => {
    // Every line searched for from the start: the classic accidental O(n²).
    const quadratic = (text: string) => {
      let from = 0;
      while (from < text.length) {
        const end = text.indexOf('\n', from);
        if (end < 0) break;
        text.indexOf('\u0000'); // a search of the whole body per line
        from = end + 1;
      }
    };
    const perByte = [4096, 16_384].map((size) => {
      const body = (SHAPES['one sample repeated'] as (n: number) => string)(size);
      return countStringWork(() => quadratic(body)) / body.length;
    });
    expect((perByte[1] as number) / (perByte[0] as number)).toBeGreaterThan(3);
  });

  it('the parser modules use no regular expression (nothing can backtrack)', () => {
    for (const file of ['src/telemetry/promText.ts', 'src/telemetry/promScan.ts']) {
      const code = readFileSync(`${ROOT}${file}`, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/new RegExp|\.match\(|\.replace\(\/|\.split\(\/|\.test\(/);
      expect(code, file).not.toMatch(/[=(,:]\s*\/[^/*\s][^/\n]*\/[gimsuy]*/);
    }
  });
});
