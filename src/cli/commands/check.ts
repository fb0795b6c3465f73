import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { analyzeRun } from '../../analysis/analyzeRun.ts';
import { checkRegression, type RegressionReport } from '../../analysis/regression.ts';
import { parseSloFlag } from '../../analysis/sloSpec.ts';
import { contextFrom, withExamples } from '../context.ts';

interface CheckFlags {
  baseline: string;
  maxRegression: number;
  allowReconciliationFailure?: boolean;
  json?: boolean;
  slo?: string;
}

/** `5%` → 0.05; a bare fraction `0.05` is accepted too. */
export function parseFraction(raw: string): number {
  const text = raw.trim();
  const percent = text.endsWith('%');
  const value = Number(percent ? text.slice(0, -1) : text);
  const fraction = percent ? value / 100 : value;
  if (!Number.isFinite(value) || fraction < 0 || fraction >= 1 || (!percent && value >= 1)) {
    throw new InvalidArgumentError(
      `--max-regression must be a percentage like 5% or a fraction like 0.05 (got '${raw}')`,
    );
  }
  return fraction;
}

export function regressionText(report: RegressionReport): string {
  const lines = report.findings.map(
    (f) => `${f.regressed ? 'REGRESSED' : 'ok       '} ${f.variant}: ${f.message}`,
  );
  const bad = report.findings.filter((f) => f.regressed).length;
  lines.push(
    '',
    bad
      ? `${bad} regression(s) beyond ${(report.maxRegression * 100).toFixed(1)}%`
      : `no regression beyond ${(report.maxRegression * 100).toFixed(1)}%`,
  );
  return lines.join('\n');
}

export function register(program: Command): void {
  const command = program
    .command('check')
    .description('exit 1 when a run regresses against a baseline run (for CI)')
    .argument('<run-dir>', 'results directory to check')
    .requiredOption('--baseline <run-dir>', 'results directory of the reference run')
    .option('--max-regression <limit>', 'allowed change in the bad direction', parseFraction, 0.05)
    .option('--allow-reconciliation-failure', 'do not fail when client and server counts disagree')
    .option('--slo <spec>', 'judge both runs against this SLO, e.g. ttft:p99:300,tpot:p99:50')
    .option('--json', 'print the findings as JSON')
    .action(async (runDir: string, flags: CheckFlags, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const slo = flags.slo ? parseSloFlag(flags.slo) : null;
      const baseline = await analyzeRun(flags.baseline, { slo });
      const current = await analyzeRun(runDir, { slo });
      const report = checkRegression(current, baseline, {
        maxRegression: flags.maxRegression,
        allowReconciliationFailure: Boolean(flags.allowReconciliationFailure),
      });
      ctx.stdout(
        flags.json
          ? JSON.stringify(
              report,
              (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
              2,
            )
          : regressionText(report),
      );
      if (report.regressed) process.exitCode = 1;
    });
  withExamples(command, [
    'vllm-cost-meter check results/new --baseline results/old --max-regression 5%',
    'vllm-cost-meter check results/new --baseline results/old --allow-reconciliation-failure',
  ]);
}
