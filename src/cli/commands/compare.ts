import type { Command } from 'commander';
import { analyzeRun } from '../../analysis/analyzeRun.ts';
import { type Comparison, compareSeries, seriesOf } from '../../analysis/compare.ts';
import { parseSloFlag } from '../../analysis/sloSpec.ts';
import { sig, textTable, usd } from '../../report/format.ts';
import { contextFrom, withExamples } from '../context.ts';

interface CompareFlags {
  baseline?: string;
  json?: boolean;
  slo?: string;
}

const times = (x: number | null) => (x === null ? '—' : `${sig(x)}×`);
const gain = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;

export function comparisonText(c: Comparison): string {
  const parts = [`baseline: ${c.baseline}`];
  for (const s of c.against) {
    parts.push('', `${s.label} vs ${c.baseline}`);
    parts.push(
      textTable(
        ['λ req/s', 'θ base tok/s', 'θ tok/s', 'throughput', 'cost ratio', 'goodput cost ratio'],
        s.atRate.map((r) => [
          sig(r.rateRps),
          sig(r.baselineTokPerS, 4),
          sig(r.tokPerS, 4),
          gain(r.throughputGain),
          times(r.costRatio),
          times(r.goodputCostRatio),
        ]),
      ),
    );
    if (s.atRate.length === 0) parts.push('(no λ in common)');
    parts.push(
      `θ_max ratio ${times(s.thetaMaxRatio)}, C_naive ratio ${times(s.cNaiveRatio)}, ` +
        `SLO capacity ratio ${times(s.sloCapacityRatio)}` +
        `${s.sloCapacityNote ? ` (${s.sloCapacityNote})` : ''}, ` +
        `knee ratio ${times(s.kneeRatio)}`,
    );
  }
  return parts.join('\n');
}

export function register(program: Command): void {
  const command = program
    .command('compare')
    .description('compare variants or runs side by side, with ratios at each λ')
    .argument('<run-dir...>', 'one or more results directories')
    .option('--baseline <label>', 'the series to compare against (default: the first)')
    .option('--json', 'print the comparison as JSON')
    .option('--slo <spec>', 'judge every run against this SLO, e.g. ttft:p99:300,tpot:p99:50')
    .action(async (runDirs: string[], flags: CompareFlags, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const slo = flags.slo ? parseSloFlag(flags.slo) : null;
      const analyses = [];
      for (const dir of runDirs) analyses.push(await analyzeRun(dir, { slo }));
      const comparison = compareSeries(seriesOf(analyses), flags.baseline);
      if (flags.json) {
        ctx.stdout(
          JSON.stringify(
            comparison,
            (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
            2,
          ),
        );
        return;
      }
      const cheapest = analyses
        .flatMap((a) => a.variants)
        .map((v) => `${v.name} ${usd(v.cNaiveUsdPerMTok)} $/M`);
      ctx.stdout(`${comparisonText(comparison)}\n\nC_naive: ${cheapest.join(', ')}`);
    });
  withExamples(command, [
    'vllm-cost-meter compare results/quantization-compare-20261203T120000Z',
    'vllm-cost-meter compare results/h100-run results/a100-run --baseline h100-run/llama',
  ]);
}
