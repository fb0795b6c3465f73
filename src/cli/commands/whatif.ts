import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('whatif')
    .description('predict the cost curve of a hardware/model profile without a server')
    .action(() => notImplemented('whatif', 'issue #8'));
  withExamples(command, [
    'vllm-cost-meter whatif --profile h100-llama3.1-8b-fp16 --rates 1,5,10,25,50',
  ]);
}
