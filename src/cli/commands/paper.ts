import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('paper')
    .description("regenerate the reference paper's figures and headline numbers from its data")
    .action(() => notImplemented('paper', 'issue #6'));
  withExamples(command, [
    'vllm-cost-meter paper --data ../shared/paper --out results/paper',
    'vllm-cost-meter paper --json',
  ]);
}
