import type { Command } from 'commander';
import { notImplemented, withExamples } from '../context.ts';

export function register(program: Command): void {
  const command = program
    .command('run')
    .description(
      'run a scenario: a λ sweep against a server, with telemetry, into a results directory',
    )
    .argument('<scenario>', 'scenario YAML file')
    .action(() => notImplemented('run', 'issue #5'));
  withExamples(command, [
    'vllm-cost-meter run scenarios/demo.yaml',
    'vllm-cost-meter run --resume results/demo-20261203T120000Z',
  ]);
}
