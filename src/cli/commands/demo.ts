import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { analyzeRun } from '../../analysis/analyzeRun.ts';
import type { ResolvedScenario } from '../../harness/scenario/resolve.ts';
import { costTableText } from '../../report/costTable.ts';
import { writeReport } from '../../report/writeReport.ts';
import { runError } from '../../util/errors.ts';
import { contextFrom, withExamples } from '../context.ts';
import { loadResolved, runWithSignals } from './run.ts';

interface DemoFlags {
  out: string;
  quick?: boolean;
  quiet?: boolean;
}

const DEMO_SCENARIO = fileURLToPath(new URL('../../../scenarios/demo.yaml', import.meta.url));

/**
 * `--quick` for CI: three rates (below, near and past the demo knee) and short steps, so the
 * whole demo — server start, sweep, analysis, figures — takes well under a minute.
 */
export function quickDemo(resolved: ResolvedScenario): ResolvedScenario {
  return {
    ...resolved,
    name: `${resolved.name}-quick`,
    // A changed plan is not demo.yaml any more: nothing to resume it from.
    scenarioPath: null,
    sweep: { kind: 'list', rates: [1, 4, 8], repeats: 1 },
    repeats: 1,
    step: { ...resolved.step, warmupSeconds: 4, measureSeconds: 5, drainTimeoutSeconds: 5 },
  };
}

export function register(program: Command): void {
  const command = program
    .command('demo')
    .description(
      'start the simulator, run scenarios/demo.yaml, analyze it and print the cost table',
    )
    .option('--out <dir>', 'results root', 'results')
    .option('--quick', 'three short steps instead of the full sweep (for CI)')
    .option('--quiet', 'no live progress bar: one line per step')
    .action(async (flags: DemoFlags, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const full = loadResolved(DEMO_SCENARIO);
      const resolved = flags.quick ? quickDemo(full) : full;
      const started = Date.now();
      const { result, signal } = await runWithSignals(ctx, resolved, {
        out: flags.out,
        resumeDir: null,
        quiet: Boolean(flags.quiet) || ctx.quiet,
      });
      if (result.status === 'interrupted') {
        const how = signal ?? 'signal';
        process.stderr.write(`demo interrupted (${how}); partial results: ${result.dir}\n`);
        process.exitCode = signal === 'SIGTERM' ? 143 : 130;
        return;
      }
      if (result.status === 'failed') {
        const why = result.error?.message ?? 'unknown error';
        throw runError(`demo failed: ${why} (see ${result.dir})`);
      }

      ctx.log.info('analyzing', { dir: result.dir });
      const analysis = await analyzeRun(result.dir);
      for (const warning of analysis.warnings) ctx.log.warn(warning);
      const outDir = join(result.dir, 'analysis');
      const written = await writeReport(analysis, outDir);
      ctx.stdout(
        [
          costTableText(analysis),
          '',
          `results:  ${result.dir}`,
          `report:   ${written.reportHtml}`,
          `figures:  ${join(outDir, 'figures')} (${written.figures.length} files)`,
          `table:    ${written.costTableCsv}`,
          `took ${((Date.now() - started) / 1000).toFixed(0)} s`,
        ].join('\n'),
      );
    });
  withExamples(command, [
    'vllm-cost-meter demo',
    'vllm-cost-meter demo --quick --out /tmp/results',
  ]);
}
