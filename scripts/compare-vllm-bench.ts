/**
 * Our driver beside vLLM's own benchmark, `vllm bench serve`, with the same λ, lengths, seed
 * and request count, printed as markdown tables (also written to <out>/table.md).
 *
 *   (a) against the real CPU vLLM: the bench's saved schedule is replayed by our `run`, so both
 *       send the same requests at the same offsets; throughput, TTFT, ITL and TPOT side by side
 *       under vLLM's definitions, each client's token counts against the server's counters, and
 *       C_eff from `import` of the bench JSON beside C_eff from `analyze` of our run.
 *   (b) against a zero-work streaming server: the highest rate each client keeps on schedule.
 *
 *   scripts/compare-vllm-bench [--part real|zero|both] [--rates 5,15] [--prompts 200]
 *     [--zero-rates 50,100,200,400,800] [--zero-seconds 5] [--price 0.10] [--seed 1]
 *     [--url http://127.0.0.1:PORT (a running scripts/vllm-serve; default: start one)]
 *     [--out DIR (default .cache/compare-vllm-bench/<UTC stamp>)]
 *     [--fixture DIR (keep the first λ's bench JSON and our run there, with a PROVENANCE.md)]
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeBenchPairFixture } from './compare-vllm-bench-fixture.ts';
import { modelRoot, ROOT, type RunningVllm, say, startVllm } from './compare-vllm-bench-lib.ts';
import { compareOnRealServer } from './compare-vllm-bench-real.ts';
import { realTable, zeroTable } from './compare-vllm-bench-tables.ts';
import { compareOnZeroServer } from './compare-vllm-bench-zero.ts';

const USAGE =
  'usage: scripts/compare-vllm-bench [--part real|zero|both] [--rates 5,15] [--prompts 200]\n' +
  '  [--zero-rates 50,100,200,400,800] [--zero-seconds 5] [--price 0.10] [--seed 1]\n' +
  '  [--url http://127.0.0.1:PORT] [--out DIR] [--fixture DIR]';

const flags = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i]!;
  if (arg === '--help' || arg === '-h') {
    console.log(USAGE);
    process.exit(0);
  }
  const value = process.argv[i + 1];
  if (!arg.startsWith('--') || value === undefined) {
    console.error(`compare-vllm-bench: unexpected '${arg}'\n${USAGE}`);
    process.exit(2);
  }
  flags.set(arg.slice(2), value);
  i++;
}

function numbers(name: string, fallback: string): number[] {
  const list = (flags.get(name) ?? fallback).split(',').map(Number);
  if (list.some((x) => !(x > 0))) {
    console.error(
      `compare-vllm-bench: --${name} must be positive numbers (got ${flags.get(name)})`,
    );
    process.exit(2);
  }
  return list;
}

const part = flags.get('part') ?? 'both';
if (!['real', 'zero', 'both'].includes(part)) {
  console.error(`compare-vllm-bench: --part must be real, zero or both\n${USAGE}`);
  process.exit(2);
}
const rates = numbers('rates', '5,15');
const [prompts] = numbers('prompts', '200');
const zeroRates = numbers('zero-rates', '50,100,200,400,800');
const [zeroSeconds] = numbers('zero-seconds', '5');
const [price] = numbers('price', '0.10');
const seed = Number(flags.get('seed') ?? 1);
const stamp = new Date()
  .toISOString()
  .replace(/[-:]/g, '')
  .replace(/\.\d+Z$/, 'Z');
const fixture = flags.get('fixture');
if (fixture !== undefined && part === 'zero') {
  console.error(
    'compare-vllm-bench: --fixture keeps a real-server pair; it needs --part real|both',
  );
  process.exit(2);
}
// Absolute: the trace file is named in a scenario, whose relative paths are its own folder's.
const out = resolve(flags.get('out') ?? join(ROOT, '.cache', 'compare-vllm-bench', stamp));
mkdirSync(out, { recursive: true });

async function main(): Promise<void> {
  const sections: string[] = [];
  let vllm: RunningVllm | null = null;
  const given = flags.get('url');
  try {
    let url = given ?? '';
    let modelDir = given ? await modelRoot(given) : '';
    if (part !== 'zero' && !given) {
      vllm = await startVllm(join(out, 'server.log'), []);
      ({ url, modelDir } = vllm);
    }
    if (part !== 'zero') {
      for (const rateRps of rates) {
        const c = await compareOnRealServer({
          url,
          modelDir,
          rateRps,
          prompts: prompts!,
          seed,
          gpuHourlyUsd: price!,
          work: out,
        });
        sections.push(realTable(c));
        writeFileSync(join(out, `real-${rateRps}.json`), JSON.stringify(c, null, 2));
        console.log(`${sections.at(-1)}\n`);
        if (fixture !== undefined && rateRps === rates[0]) {
          const command = ['scripts/compare-vllm-bench', ...process.argv.slice(2)].join(' ');
          await writeBenchPairFixture(fixture, c, command);
          say(`λ=${rateRps}: the pair is kept in ${fixture}`);
        }
      }
    }
    if (part !== 'real') {
      // vLLM's bench needs a tokenizer for its random prompts: the tiny model's will do.
      modelDir ||= execFileSync(join(ROOT, 'scripts', 'make-tiny-model'), [
        join(ROOT, '.cache', 'tiny-model'),
      ])
        .toString()
        .trim();
      const rows = await compareOnZeroServer({
        ratesRps: zeroRates,
        seconds: zeroSeconds!,
        modelDir,
        work: out,
        seed,
      });
      sections.push(zeroTable(rows));
      writeFileSync(join(out, 'zero.json'), JSON.stringify(rows, null, 2));
      console.log(`${sections.at(-1)}\n`);
    }
  } finally {
    await vllm?.stop();
  }
  writeFileSync(join(out, 'table.md'), `${sections.join('\n\n')}\n`);
  say(`tables in ${join(out, 'table.md')}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
