/**
 * How fast is `analyze` on a big run? Writes a synthetic results directory with about a million
 * request records (test/helpers/runDir.ts: two variants, seven λ, ITL statistics on every
 * request, ~1 KB a line), then runs `analyze` on it in a child process and prints the wall time
 * and the child's peak RSS. Targets on 2 cores: < 10 s and < 500 MB.
 *
 *   scripts/bench-analyze [--records 1000000] [--dir /tmp/vcm-bench-analyze] [--keep] [--reuse]
 *
 * --keep leaves the generated run in place; --reuse analyses it again without regenerating.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticRun } from '../test/helpers/runDir.ts';

const args = process.argv.slice(2);

if (args[0] === '--child') {
  // Runs the real CLI in this process, then reports its own wall time and peak RSS.
  const { main } = await import('../src/cli/main.ts');
  const dir = args[1] as string;
  const started = performance.now();
  const code = await main([
    'node',
    'vllm-cost-meter',
    'analyze',
    dir,
    '--quiet',
    '--out',
    join(dir, 'analysis'),
  ]);
  const wallS = (performance.now() - started) / 1000;
  const usage = process.resourceUsage();
  const cpuS = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stderr.write(`${JSON.stringify({ code, wallS, cpuS, maxRssKiB: usage.maxRSS })}\n`);
  process.exit(code);
}

const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
};
const records = Number(flag('records', '1000000'));
const dir = flag('dir', join(tmpdir(), 'vcm-bench-analyze'));
const RATES = [4, 8, 16, 32, 64, 128, 256];
const variants = ['fp16', 'fp8'];
// Records per variant = Σλ × T: pick T to reach the requested count.
const measuredSeconds = Math.max(
  1,
  Math.round(records / (variants.length * RATES.reduce((a, b) => a + b, 0))),
);

const requestsPath = join(dir, 'requests.jsonl');
let t0 = performance.now();
if (args.includes('--reuse') && existsSync(requestsPath)) {
  console.log(`reusing ${dir}`);
} else {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  const truths = await writeSyntheticRun({
    dir,
    measuredSeconds,
    ratesRps: RATES,
    withItl: true,
    slo: {
      ttftMs: { percentile: 99, maxMs: 1500 },
      tpotMs: { percentile: 99, maxMs: 300 },
      attainment: 0.9,
    },
    variants: variants.map((name, i) => ({
      name,
      thetaMaxTokPerS: 8000 * (1 + i / 2),
      sharpness: 4,
      deliveryRatio: 1,
      promptTokens: 512,
      requestedOutputTokens: 128,
      gpuHourlyUsd: 6.98,
      gpus: 1,
    })),
  });
  // Two warm-up records per step come on top of the measured ones.
  const lines = truths.reduce((acc, t) => acc + t.measuredRequests + 2, 0);
  const sizeMiB = statSync(requestsPath).size / 2 ** 20;
  console.log(
    `generated ${lines.toLocaleString('en')} request records (${sizeMiB.toFixed(0)} MiB, ` +
      `T = ${measuredSeconds} s per step) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

t0 = performance.now();
const child = spawnSync(
  process.execPath,
  ['--import', 'tsx', 'scripts/bench-analyze.ts', '--child', dir],
  {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  },
);
const outerS = (performance.now() - t0) / 1000;
const last = child.stderr.trim().split('\n').pop() ?? '{}';
const result = JSON.parse(last) as {
  code?: number;
  wallS?: number;
  cpuS?: number;
  maxRssKiB?: number;
};
if (child.status !== 0 || result.code !== 0) {
  console.error(child.stderr);
  process.exit(1);
}
const rssMiB = (result.maxRssKiB ?? 0) / 1024;
console.log(`analyze (in process, after module load): ${result.wallS?.toFixed(2)} s`);
console.log(`analyze (whole child process):          ${outerS.toFixed(2)} s   target < 10 s`);
// CPU time (all threads, module loading included) is the figure least bent by a busy machine.
console.log(`CPU time of the child (user + system):    ${result.cpuS?.toFixed(2)} s`);
console.log(
  `peak RSS of the child:                    ${rssMiB.toFixed(0)} MiB   target < 500 MiB`,
);
if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${dir}`);
