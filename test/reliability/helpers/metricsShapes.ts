/**
 * Adversarial /metrics bodies of a chosen size, the shapes that make careless parsers
 * quadratic (a search restarted from the start of a value, a regex that backtracks), and a
 * counter of the string work a parse does — characters inspected, searched and copied through
 * String.prototype — so linearity can be asserted from operation counts instead of the clock.
 * Shared by test/reliability/promFuzz.test.ts and scripts/bench-parse-linear.
 */

const fill = (unit: string, bytes: number) =>
  unit.repeat(Math.max(1, Math.floor(bytes / unit.length)));

/** Shape name → a body of about `bytes` characters. */
export const SHAPES: Record<string, (bytes: number) => string> = {
  'huge label value': (n) => `m{l="${fill('a', n)}"} 1\n`,
  'many escapes in one value': (n) => `m{l="${fill('\\\\\\"\\n', n)}"} 1\n`,
  'unterminated escaped value': (n) => `m{l="${fill('\\"', n)}`,
  'long line, no newline': (n) => `m${fill('_', n)}`,
  'long comment, no newline': (n) => `# ${fill('c', n)}`,
  'one sample repeated': (n) => fill('m{engine="0",model="x"} 1\n', n),
  'distinct families': (n) => {
    const lines: string[] = [];
    for (let i = 0, size = 0; size < n; i++) {
      const line = `# TYPE m${i} counter\nm${i}_total{l="${i}"} ${i}\n`;
      lines.push(line);
      size += line.length;
    }
    return lines.join('');
  },
  'many labels on one sample': (n) => {
    const labels: string[] = [];
    for (let i = 0, size = 0; size < n; i++) {
      labels.push(`l${i}="v"`);
      size += 8;
    }
    return `m{${labels.join(',')}} 1\n`;
  },
  'plain lines, one backslash at the end': (n) => `${fill('m{l="v"} 1\n', n)}x{l="\\\\"} 1\n`,
  'escaped quotes on every line': (n) => fill('m{l="a\\"b\\"c"} 1\n', n),
  'open braces': (n) => `m${fill('{', n)}`,
  'blank space': (n) => fill(' \t', n),
  'long HELP lines': (n) => {
    const lines: string[] = [];
    for (let i = 0, size = 0; size < n; i++) {
      const line = `# HELP m${i} ${'h'.repeat(200)}\n`;
      lines.push(line);
      size += line.length;
    }
    return lines.join('');
  },
};

const COUNTED = [
  'charCodeAt',
  'indexOf',
  'lastIndexOf',
  'startsWith',
  'endsWith',
  'slice',
  'substring',
  'includes',
] as const;

/**
 * Runs `fn` and counts its string work: 1 per charCodeAt, the distance an indexOf searched, the
 * characters a slice copied or a startsWith compared. String.prototype is patched for the call
 * and restored after; the parser uses no regular expression, so nothing escapes the count.
 */
export function countStringWork(fn: () => void): number {
  const proto = String.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = COUNTED.map(
    (name) => [name, proto[name] as (...args: unknown[]) => unknown] as const,
  );
  let work = 0;
  const wrap = (name: string, original: (...args: unknown[]) => unknown) =>
    function (this: string, ...args: unknown[]) {
      const result = original.apply(this, args);
      const from = typeof args[1] === 'number' ? Math.max(0, args[1]) : 0;
      if (name === 'indexOf' || name === 'includes') {
        const at = typeof result === 'number' ? result : -1;
        work += Math.max(1, (at < 0 ? this.length : at) - from);
      } else if (name === 'lastIndexOf') {
        work += Math.max(1, this.length - (typeof result === 'number' && result > 0 ? result : 0));
      } else if (name === 'startsWith' || name === 'endsWith') {
        work += Math.max(1, String(args[0]).length);
      } else if (name === 'slice' || name === 'substring') {
        work += Math.max(1, typeof result === 'string' ? result.length : 1);
      } else {
        work += 1;
      }
      return result;
    };
  try {
    for (const [name, original] of originals) proto[name] = wrap(name, original);
    fn();
  } finally {
    for (const [name, original] of originals) proto[name] = original;
  }
  return work;
}
