import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('import')
    .description('turn vllm bench serve or GuideLLM result JSON into a results directory')
    .argument('<file...>', 'result JSON files')
    .action(() => notImplemented('import', 'issue #6'));
  withExamples(command, [
    'vllm-cost-meter import bench-5qps.json bench-10qps.json --out results/imported',
  ]);
}
