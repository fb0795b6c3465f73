import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('demo')
    .description(
      'start the simulator, run scenarios/demo.yaml, analyze it and print the cost table',
    )
    .action(() => notImplemented('demo', 'issue #8'));
  withExamples(command, ['vllm-cost-meter demo']);
}
