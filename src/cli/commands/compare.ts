import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('compare')
    .description('compare variants or runs side by side, with ratios at each λ')
    .argument('<run-dir...>', 'one or more results directories')
    .action(() => notImplemented('compare', 'issue #6'));
  withExamples(command, ['vllm-cost-meter compare results/quantization-compare-20261203T120000Z']);
}
