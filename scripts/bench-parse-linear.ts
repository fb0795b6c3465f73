/**
 * Times parsePromText on the adversarial shapes of test/reliability/helpers/metricsShapes.ts at
 * 64 KiB to 4 MiB and prints, per shape and size, nanoseconds per byte, the ratio to the 64 KiB
 * figure, and the string work per byte (operation counts, machine-independent). The test suite
 * asserts only the work counts; these timings are for a quiet machine.
 * Usage: scripts/bench-parse-linear [--sizes 65536,262144,…]   BENCH_ROUNDS=N
 */

import { PromParseError, parsePromText } from '../src/telemetry/promText.ts';
import { countStringWork, SHAPES } from '../test/reliability/helpers/metricsShapes.ts';

if (process.argv.includes('--help')) {
  process.stdout.write(
    'usage: scripts/bench-parse-linear [--sizes 65536,262144,1048576,4194304]\n',
  );
  process.exit(0);
}
const sizesArg = process.argv[process.argv.indexOf('--sizes') + 1];
const SIZES =
  process.argv.includes('--sizes') && sizesArg
    ? sizesArg.split(',').map(Number)
    : [65_536, 262_144, 1_048_576, 4_194_304];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function parseOnce(body: string): string {
  try {
    parsePromText(body);
    return 'parsed';
  } catch (err) {
    if (err instanceof PromParseError) return 'rejected';
    throw err;
  }
}

function medianMs(body: string): number {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = process.hrtime.bigint();
    parseOnce(body);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const kib = (n: number) => `${Math.round(n / 1024)} KiB`;
process.stdout.write(
  `parsePromText, median of ${ROUNDS} rounds; ` +
    `ratio = ns/byte ÷ ns/byte at ${kib(SIZES[0] ?? 0)}\n\n`,
);
process.stdout.write(
  `${'shape'.padEnd(40)}${'size'.padStart(10)}${'ns/byte'.padStart(10)}${'ratio'.padStart(8)}` +
    `${'work/byte'.padStart(11)}  outcome\n`,
);
let worst = 0;
for (const [name, make] of Object.entries(SHAPES)) {
  let first = 0;
  for (const size of SIZES) {
    const body = make(size);
    parseOnce(body); // warm-up
    const nsPerByte = (medianMs(body) * 1e6) / body.length;
    if (first === 0) first = nsPerByte;
    const ratio = nsPerByte / first;
    worst = Math.max(worst, ratio);
    const work = countStringWork(() => parseOnce(body)) / body.length;
    process.stdout.write(
      `${name.padEnd(40)}${kib(body.length).padStart(10)}${nsPerByte.toFixed(2).padStart(10)}` +
        `${ratio.toFixed(2).padStart(8)}${work.toFixed(2).padStart(11)}  ${parseOnce(body)}\n`,
    );
  }
}
process.stdout.write(
  `\nlargest ratio: ${worst.toFixed(2)} ` +
    `(quadratic would be ~${((SIZES.at(-1) ?? 1) / (SIZES[0] ?? 1)).toFixed(0)})\n`,
);
