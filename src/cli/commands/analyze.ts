import { join } from 'node:path';
import type { Command } from 'commander';
import { analysisToJson, analyzeRun } from '../../analysis/analyzeRun.ts';
import { parseSloFlag } from '../../analysis/sloSpec.ts';
import { costTableText } from '../../report/costTable.ts';
import { writeReport } from '../../report/writeReport.ts';
import { contextFrom, withExamples } from '../context.ts';

interface AnalyzeFlags {
  json?: boolean;
  out?: string;
  slo?: string;
}

export function register(program: Command): void {
  const command = program
    .command('analyze')
    .description(
      'turn a results directory into cost-versus-load curves, fits, figures and a report',
    )
    .argument('<run-dir>', 'results directory written by run or import')
    .option('--json', 'print the analysis object (JSON) instead of the cost table')
    .option('--out <dir>', 'where to write the analysis (default: <run-dir>/analysis)')
    .option(
      '--slo <spec>',
      're-judge the run against this SLO, e.g. ttft:p99:300,tpot:p99:50,attainment:0.95',
    )
    .action(async (runDir: string, flags: AnalyzeFlags, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const slo = flags.slo ? parseSloFlag(flags.slo) : null;
      // Load the chart library (~0.8 s) while requests.jsonl is read by worker threads.
      void import('echarts').catch(() => undefined);
      const analysis = await analyzeRun(runDir, { slo });
      for (const warning of analysis.warnings) ctx.log.warn(warning);

      const outDir = flags.out ?? join(runDir, 'analysis');
      const written = await writeReport(analysis, outDir);
      if (flags.json) {
        ctx.stdout(analysisToJson(analysis));
        return;
      }
      ctx.stdout(
        [
          costTableText(analysis),
          '',
          `analysis: ${written.analysisJson}`,
          `table:    ${written.costTableCsv}`,
          `report:   ${written.reportHtml}`,
          `figures:  ${join(outDir, 'figures')} (${written.figures.length} files)`,
        ].join('\n'),
      );
    });
  withExamples(command, [
    'vllm-cost-meter analyze results/demo-20261203T120000Z',
    'vllm-cost-meter analyze results/demo-20261203T120000Z --json',
    'vllm-cost-meter analyze results/demo-20261203T120000Z --slo ttft:p99:300,tpot:p99:50',
  ]);
}
