import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ScenarioError } from '../../src/harness/scenario/issues.ts';
import { parseScenarioText } from '../../src/harness/scenario/load.ts';
import { resolveScenario } from '../../src/harness/scenario/resolve.ts';
import { CostMeterError } from '../../src/util/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { stackLines } from './helpers/results.ts';
import { ROOT } from './helpers/scenario.ts';

/**
 * Random and mutated scenario files never produce a stack trace: the loader either accepts a
 * file (and resolves it) or rejects it with located one-line issues and exit status 2. Volume
 * runs in-process; a handful of the same kind of files go through the real CLI.
 */

const work = mkdtempSync(join(tmpdir(), 'vcm-rel-scen-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const FILE = join(work, 'fuzz.yaml');

const SHIPPED = readdirSync(join(ROOT, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(join(ROOT, 'scenarios', f), 'utf8'));

/** Values a careless or hostile hand puts after a key. */
const NASTY = [
  '-1',
  '0',
  '1e309',
  '-.inf',
  '.nan',
  'null',
  '~',
  'true',
  '[]',
  '{}',
  "''",
  '"\\u0000"',
  '"\\u001b[2J"',
  '[1, -2, x]',
  '{kind: nope}',
  '&anchor 3',
  '*nowhere',
  '!!binary AAAA',
  '!!js/function "x"',
  '99999999999999999999999',
  '0x1F',
  '1.5',
  '"../../etc/passwd"',
  '/abs/path',
  `"${'x'.repeat(5000)}"`,
  '|\n  block\n  text',
  '"a\\nb"',
  '? [complex]\n: key',
];

type Mutation = (lines: string[]) => string[];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map(
    (i): Mutation =>
      (l) =>
        l.filter((_, j) => j !== i % Math.max(1, l.length)),
  ),
  fc.nat().map(
    (i): Mutation =>
      (l) => {
        const at = i % Math.max(1, l.length);
        return [...l.slice(0, at + 1), l[at] ?? '', ...l.slice(at + 1)];
      },
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...NASTY)).map(
    ([i, value]): Mutation =>
      (l) => {
        const at = i % Math.max(1, l.length);
        return l.map((line, j) => (j === at ? line.replace(/:\s.*$|:$/, `: ${value}`) : line));
      },
  ),
  fc.tuple(fc.nat(), fc.nat(), fc.string({ unit: 'binary', maxLength: 12 })).map(
    ([i, k, text]): Mutation =>
      (l) => {
        const at = i % Math.max(1, l.length);
        return l.map((line, j) =>
          j === at
            ? line.slice(0, k % (line.length + 1)) + text + line.slice(k % (line.length + 1))
            : line,
        );
      },
  ),
  fc.tuple(fc.nat(), fc.constantFrom('  ', '\t', '')).map(
    ([i, indent]): Mutation =>
      (l) => {
        const at = i % Math.max(1, l.length);
        return l.map((line, j) => (j === at ? indent + line.trimStart() : line));
      },
  ),
  fc.tuple(fc.nat(), fc.nat()).map(
    ([i, k]): Mutation =>
      (l) => {
        const a = i % Math.max(1, l.length);
        const b = k % Math.max(1, l.length);
        const out = [...l];
        [out[a], out[b]] = [out[b] ?? '', out[a] ?? ''];
        return out;
      },
  ),
  fc.nat().map(
    (i): Mutation =>
      (l) =>
        l.slice(0, i % (l.length + 1)),
  ),
);

const mutatedScenario = fc
  .tuple(fc.constantFrom(...SHIPPED), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([text, ms]) => ms.reduce((lines, m) => m(lines), text.split('\n')).join('\n'));

const randomYaml = fc.oneof(
  fc.anything({ maxDepth: 4 }).map((v) => {
    try {
      return stringify(v) ?? ''; // undefined for undefined
    } catch {
      return String(v);
    }
  }),
  fc
    .dictionary(
      fc.constantFrom('name', 'target', 'workload', 'sweep', 'step', 'pricing', 'variants', 'slo'),
      fc.jsonValue({ maxDepth: 3 }),
    )
    .map((v) => stringify(v)),
);

const rawText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('utf8')),
);

/** Accepts, or rejects with exit-2 one-line issues; anything else fails the property. */
function loadsOrExplains(text: string): 'valid' | 'rejected' {
  try {
    resolveScenario(parseScenarioText(text, FILE));
    return 'valid';
  } catch (err) {
    if (!(err instanceof CostMeterError)) throw err;
    expect(err.exitCode).toBe(2);
    const lines = err instanceof ScenarioError ? err.lines : [err.message];
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.startsWith(FILE), line).toBe(true);
      expect(line, 'an issue is one line').not.toMatch(/[\n\r]/);
      // No raw control characters (a terminal would obey them).
      expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }
    return 'rejected';
  }
}

describe('scenario files, random and mutated', () => {
  it('mutations of the shipped scenarios: accepted, or one located line per issue', () => {
    const seen = { valid: 0, rejected: 0 };
    fc.assert(
      fc.property(mutatedScenario, (text) => {
        seen[loadsOrExplains(text)] += 1;
      }),
      { numRuns: 1000, seed: 9 },
    );
    // The property met both outcomes many times, so both paths were exercised.
    expect(seen.valid).toBeGreaterThan(20);
    expect(seen.rejected).toBeGreaterThan(200);
  });

  it('random YAML documents and raw text: never anything but a scenario error', () => {
    fc.assert(
      fc.property(fc.oneof(randomYaml, rawText), (text) => {
        loadsOrExplains(text);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });

  it.each([
    ['an alias bomb', aliasBomb()],
    ['an alias to no anchor', 'name: *nowhere\n'],
    ['a complex key', '? [a, b]\n: c\nname: x\n'],
    ['a key with a newline and an escape', '"a\\nb\\u001b[2J": 1\nname: x\n'],
    ['two documents', 'name: a\n---\nname: b\n'],
  ])('%s is a scenario error, and nothing else is printed', async (_what, text) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      expect(loadsOrExplains(text)).toBe('rejected');
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted a tick later
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });
});

function aliasBomb(): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) {
    lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  }
  return `${lines.join('\n')}\nname: *a9\n`;
}

describe('through the real CLI', () => {
  it('a few random and mutated files: a plan (exit 0), or issue lines (exit 2)', async () => {
    const texts = [
      ...fc.sample(mutatedScenario, { numRuns: 4, seed: 5 }),
      ...fc.sample(rawText, { numRuns: 1, seed: 5 }),
      aliasBomb(),
      '"a\\nb\\u001b[2J": 1\n',
      '? [a, b]\n: c\nname: x\n',
    ];
    for (const [i, text] of texts.entries()) {
      const file = join(work, `cli-${i}.yaml`);
      writeFileSync(file, text);
      const r = await runCli(['run', file, '--dry-run', '--out', join(work, 'never')]);
      expect(stackLines(r.stderr), r.stderr).toEqual([]);
      expect(r.stderr).not.toMatch(/unexpected failure|--debug/);
      if (r.exitCode === 0) {
        expect(r.stdout).toMatch(/steps: \d+ variant\(s\)/);
        continue;
      }
      expect(r.exitCode, r.stderr).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines.at(-1)).toMatch(/^vllm-cost-meter: /);
      for (const line of lines.slice(0, -1)) expect(line.startsWith(file)).toBe(true);
    }
  }, 60_000);
});
