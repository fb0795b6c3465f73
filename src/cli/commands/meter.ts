import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('meter')
    .description('attach read-only to a vLLM server (or a Prometheus) and show live effective cost')
    .action(() => notImplemented('meter', 'issue #7'));
  withExamples(command, [
    'vllm-cost-meter meter --url http://127.0.0.1:8000 --gpu h100 --gpus 1',
    'vllm-cost-meter meter --prometheus http://127.0.0.1:9090 --gpu-price 6.98',
  ]);
}
