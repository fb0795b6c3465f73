import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CATALOG_FILE } from '../../cost/referenceCurves.ts';
import { buildReferenceCatalog, writeReferenceCatalog } from '../../paper/catalog.ts';
import { buildCurves } from '../../paper/curves.ts';
import {
  DEFAULT_PAPER_DIR,
  findDefaultPaperDir,
  loadPaperData,
  type PaperData,
} from '../../paper/data.ts';
import { computeHeadline, type Headline } from '../../paper/headline.ts';
import { writePaperOutputs } from '../../paper/reproduce.ts';
import { inputError } from '../../util/errors.ts';
import { type CliContext, contextFrom, withExamples } from '../context.ts';

interface PaperOptions {
  data?: string;
  out?: string;
  json?: boolean;
  writeCatalog?: string | boolean;
}

const DEFAULT_OUT = 'results/paper';

function dataDir(options: PaperOptions): string {
  if (options.data) return resolve(options.data);
  const found = findDefaultPaperDir();
  if (!found) {
    throw inputError(
      `no paper data at ${DEFAULT_PAPER_DIR} (../shared/paper next to the repository); ` +
        'pass --data <dir> naming the folder that holds master_results.csv',
    );
  }
  return found;
}

const n3 = (value: number) => Number(value.toPrecision(3)).toString();

function summary(h: Headline, data: PaperData): string[] {
  const lines = [
    `paper data: ${data.dir} (${h.counts.runs} runs, ${h.counts.configs} configurations)`,
    `H100 C_eff: ${n3(h.h100CeffMin)} (${h.h100CeffMinAt.config}, λ=${h.h100CeffMinAt.rps}) to ` +
      `${h.h100CeffMax.toFixed(2)} (${h.h100CeffMaxAt.config}, λ=${h.h100CeffMaxAt.rps}) ` +
      'USD per million output tokens',
    `largest penalty: ${n3(h.maxPenalty.value)}× (${h.maxPenalty.config}, λ=${h.maxPenalty.rps})`,
    `θ_max (tok/s): ${Object.entries(h.thetaMax)
      .map(([config, value]) => `${config} ${Math.round(value)}`)
      .join(', ')}`,
    `FP8 gain: ${Object.entries(h.fp8Gain)
      .map(([pair, gain]) => `${pair} ${gain >= 0 ? '+' : ''}${n3(gain * 100)}%`)
      .join(', ')}`,
    "check: C_eff agrees with the CSV's c_eff_per_mtok to " +
      `${h.check.maxRelDiffCEff.toExponential(1)} (relative) over ${h.check.rows} rows`,
  ];
  return lines;
}

async function runPaper(ctx: CliContext, options: PaperOptions): Promise<void> {
  const dir = dataDir(options);
  const data = loadPaperData(dir);
  ctx.log.debug('paper data loaded', { dir, runs: data.runs.length });
  for (const missing of [
    data.shapeRuns ? null : 'master_results_v2.csv',
    data.stability ? null : 'c2_stability_cv.csv',
  ]) {
    if (missing) ctx.log.warn('companion file missing; its figures are skipped', { file: missing });
  }

  if (options.writeCatalog !== undefined) {
    const file =
      typeof options.writeCatalog === 'string'
        ? resolve(options.writeCatalog)
        : DEFAULT_CATALOG_FILE;
    writeReferenceCatalog(buildReferenceCatalog(data, buildCurves(data.runs)), file);
    ctx.log.info('reference catalog written', { file });
  }

  const renderFigures =
    options.out !== undefined || (!options.json && options.writeCatalog === undefined);
  let headline: Headline;
  if (renderFigures) {
    const outDir = resolve(options.out ?? DEFAULT_OUT);
    const outputs = await writePaperOutputs(data, outDir, (id, file) =>
      ctx.log.debug('figure written', { id, file }),
    );
    headline = outputs.headline;
    if (!options.json) {
      for (const line of summary(headline, data)) ctx.stdout(line);
      ctx.stdout(`wrote ${outputs.files.length} files to ${outDir} (open index.html)`);
    }
  } else {
    headline = computeHeadline(data);
    if (!options.json) for (const line of summary(headline, data)) ctx.stdout(line);
  }
  if (options.json) ctx.stdout(JSON.stringify(headline, null, 2));
}

export function register(program: Command): void {
  const command = program
    .command('paper')
    .description("regenerate the reference paper's figures and headline numbers from its data")
    .option('--data <dir>', 'folder holding master_results.csv (default: ../shared/paper)')
    .option(
      '--out <dir>',
      `write figures, headline.json and index.html here (default: ${DEFAULT_OUT})`,
    )
    .option('--json', 'print the headline numbers as JSON (figures only with --out)')
    .option(
      '--write-catalog [file]',
      'write the reference-curve catalog (default: src/cost/reference-curves.json)',
    )
    .action(async (options: PaperOptions, cmd: Command) => runPaper(contextFrom(cmd), options));
  withExamples(command, [
    'vllm-cost-meter paper --data ../shared/paper --out results/paper',
    'vllm-cost-meter paper --json',
    'vllm-cost-meter paper --write-catalog',
  ]);
}
