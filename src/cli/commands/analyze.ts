import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('analyze')
    .description(
      'turn a results directory into cost-versus-load curves, fits, figures and a report',
    )
    .argument('<run-dir>', 'results directory written by run or import')
    .action(() => notImplemented('analyze', 'issue #6'));
  withExamples(command, [
    'vllm-cost-meter analyze results/demo-20261203T120000Z',
    'vllm-cost-meter analyze results/demo-20261203T120000Z --json',
  ]);
}
