import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('check')
    .description('exit 1 when a run regresses against a baseline run (for CI)')
    .argument('<run-dir>', 'results directory to check')
    .action(() => notImplemented('check', 'issue #6'));
  withExamples(command, [
    'vllm-cost-meter check results/new --baseline results/old --max-regression 5%',
  ]);
}
