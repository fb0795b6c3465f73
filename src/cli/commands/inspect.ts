import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('inspect')
    .description('read a vLLM /metrics body (file or URL) and print rates, latencies and state')
    .argument('<current>', 'metrics file or http(s) URL of a /metrics endpoint')
    .action(() => notImplemented('inspect', 'issue #3'));
  withExamples(command, [
    'vllm-cost-meter inspect http://127.0.0.1:8000/metrics',
    'vllm-cost-meter inspect b.txt --previous a.txt --elapsed 10 --json',
  ]);
}
