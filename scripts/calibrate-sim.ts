/**
 * Fits the simulator's efficiency factors per hardware class on the paper's vLLM rows, holding
 * whole configurations out, writes them to src/sim/calibration.json and prints the error table
 * (markdown) that the README quotes.
 *
 *   npx tsx scripts/calibrate-sim.ts            fit, write the JSON, print the table
 *   npx tsx scripts/calibrate-sim.ts --check    evaluate the committed factors only
 *   npx tsx scripts/calibrate-sim.ts --refresh  rewrite the JSON's error summary, no fit
 *
 * Options: --paper <csv> (default ../shared/paper/master_results.csv from the repo root),
 * --held-out C4,C6,A4,M3, --max-evals 500, --json (print the comparisons as JSON).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ConfigComparison,
  compareConfig,
  DEFAULT_HELD_OUT,
  fitFactors,
  PAPER_PROTOCOL,
} from '../src/sim/calibrate.ts';
import {
  calibrationMarkdown,
  classSummaries,
  hardwareClassOf,
} from '../src/sim/calibrationTable.ts';
import { type PaperRow, parsePaperCsv, vllmRowsByConfig } from '../src/sim/paperData.ts';
import { type CalibrationFile, PAPER_CONFIGS } from '../src/sim/profiles.ts';
import type { EfficiencyFactors } from '../src/sim/roofline.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const calibrationPath = resolve(root, 'src/sim/calibration.json');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const paperPath = resolve(flag('--paper') ?? resolve(root, '../shared/paper/master_results.csv'));
const heldOut = (flag('--held-out') ?? DEFAULT_HELD_OUT.join(',')).split(',');
const maxEvaluations = Number(flag('--max-evals') ?? 500);
const checkOnly = process.argv.includes('--check');
const refresh = process.argv.includes('--refresh');
// Factors are stored to 6 significant digits; errors are computed with the stored values.
const round = (v: number) => Number(v.toPrecision(6));

let text: string;
try {
  text = readFileSync(paperPath, 'utf8');
} catch {
  process.stderr.write(
    `calibrate-sim: cannot read ${paperPath}; pass --paper <master_results.csv>\n`,
  );
  process.exit(2);
}
const byConfig = vllmRowsByConfig(parsePaperCsv(text, paperPath));
const committed = JSON.parse(readFileSync(calibrationPath, 'utf8')) as CalibrationFile;

const classes = ['h100', 'a100'];
const fitted: Record<string, { factors: EfficiencyFactors; loss: number | null }> = {};
for (const hardwareClass of classes) {
  const configs = Object.keys(PAPER_CONFIGS).filter(
    (c) => hardwareClassOf(PAPER_CONFIGS[c]!) === hardwareClass && byConfig.has(c),
  );
  const train = new Map<string, PaperRow[]>(
    configs.filter((c) => !heldOut.includes(c)).map((c) => [c, byConfig.get(c)!]),
  );
  const start = committed.classes[hardwareClass]!.factors;
  if (checkOnly || refresh) {
    fitted[hardwareClass] = { factors: start, loss: null };
    continue;
  }
  process.stderr.write(`fitting ${hardwareClass} on ${[...train.keys()].join(', ')}\n`);
  const t0 = Date.now();
  const result = fitFactors(train, start, {
    maxEvaluations,
    onProgress: (n, loss) => {
      if (n % 25 === 0)
        process.stderr.write(`  ${hardwareClass} eval ${n} loss ${loss.toFixed(4)}\n`);
    },
  });
  process.stderr.write(
    `  done: loss ${result.loss.toFixed(4)} after ${result.evaluations} evaluations ` +
      `(${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
  );
  const rounded = Object.fromEntries(
    Object.entries(result.factors).map(([k, v]) => [k, round(v)]),
  ) as unknown as EfficiencyFactors;
  fitted[hardwareClass] = { factors: rounded, loss: result.loss };
}

const comparisons: ConfigComparison[] = Object.keys(PAPER_CONFIGS)
  .filter((c) => byConfig.has(c))
  .map((c) => {
    const factors = fitted[hardwareClassOf(PAPER_CONFIGS[c]!)]!.factors;
    return compareConfig(c, byConfig.get(c)!, factors, heldOut.includes(c));
  });
const summaries = classSummaries(comparisons);

if (!checkOnly) {
  const out = {
    version: 1,
    generatedBy: 'scripts/calibrate-sim.ts',
    paper: 'Patil, arXiv 2606.11690, master_results.csv (vLLM rows)',
    protocol: PAPER_PROTOCOL,
    classes: Object.fromEntries(
      classes.map((hardwareClass) => {
        const summary = summaries.find((s) => s.hardwareClass === hardwareClass)!;
        const factors = fitted[hardwareClass]!.factors;
        return [
          hardwareClass,
          {
            factors,
            heldOutConfigs: comparisons
              .filter((c) => c.heldOut && hardwareClassOf(c.profile) === hardwareClass)
              .map((c) => c.config),
            heldOutThetaMapePct: round(summary.heldOutTheta),
            heldOutTtftP50MapePct: round(summary.heldOutTtft),
            fitThetaMapePct: round(summary.fitTheta),
            fitTtftP50MapePct: round(summary.fitTtft),
          },
        ];
      }),
    ),
    table: comparisons.map((c) => ({
      config: c.config,
      profile: c.profile,
      heldOut: c.heldOut,
      thetaMapePct: round(c.thetaMapePct),
      ttftP50MapePct: round(c.ttftP50MapePct),
      tpotP50MapePct: round(c.tpotP50MapePct),
    })),
  };
  writeFileSync(calibrationPath, `${JSON.stringify(out, null, 2)}\n`);
  process.stderr.write(`wrote ${calibrationPath}\n`);
}

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(comparisons, null, 2)}\n`);
} else {
  process.stdout.write(`${calibrationMarkdown(comparisons)}\n`);
}
