import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('sim')
    .description('serve the embedded vLLM simulator (OpenAI-compatible API and /metrics)')
    .action(() => notImplemented('sim', 'issue #8'));
  withExamples(command, ['vllm-cost-meter sim --port 8000 --profile demo --speedup 10']);
}
