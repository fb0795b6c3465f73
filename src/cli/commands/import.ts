import { join } from 'node:path';
import type { Command } from 'commander';
import { writeImported } from '../../analysis/import/writeImported.ts';
import { findGpu, knownGpuIds } from '../../cost/gpuCatalog.ts';
import type { Pricing } from '../../harness/records.ts';
import { usageError } from '../../util/errors.ts';
import { contextFrom, positiveInteger, positiveNumber, withExamples } from '../context.ts';

interface ImportFlags {
  out?: string;
  gpu?: string;
  gpuPrice?: number;
  gpus: number;
  variant?: string;
}

/** Price of the node the benchmark ran on: a catalog class, an explicit price, or both. */
export function pricingFromFlags(flags: {
  gpu?: string;
  gpuPrice?: number;
  gpus: number;
}): Pricing {
  const gpu = flags.gpu ? findGpu(flags.gpu) : undefined;
  if (flags.gpu && !gpu && flags.gpuPrice === undefined) {
    throw usageError(
      `--gpu '${flags.gpu}' is not in the price catalog (${knownGpuIds().join(', ')}): ` +
        'pass --gpu-price <usd per GPU-hour>',
    );
  }
  if (flags.gpuPrice !== undefined) {
    return {
      gpuClass: gpu?.id ?? flags.gpu ?? null,
      gpuHourlyUsd: flags.gpuPrice,
      gpus: flags.gpus,
      source: 'flag --gpu-price',
    };
  }
  if (!gpu) {
    throw usageError('the files carry no price: pass --gpu h100|a100 or --gpu-price <usd>');
  }
  return {
    gpuClass: gpu.id,
    gpuHourlyUsd: gpu.gpuHourlyUsd,
    gpus: flags.gpus,
    source: `catalog:${gpu.id} (${gpu.source}, ${gpu.asOf})`,
  };
}

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

export function register(program: Command): void {
  const command = program
    .command('import')
    .description('turn vllm bench serve or GuideLLM result JSON into a results directory')
    .argument('<file...>', 'result JSON files')
    .option('--out <dir>', 'results directory to create (default: results/imported-<UTC stamp>)')
    .option('--gpu <class>', 'GPU class from the price catalog (h100, a100)')
    .option(
      '--gpu-price <usd>',
      'USD per GPU-hour (overrides the catalog)',
      positiveNumber('--gpu-price'),
    )
    .option('--gpus <n>', 'GPUs the server occupied', positiveInteger('--gpus'), 1)
    .option('--variant <name>', 'one variant name for all files (default: label or model id)')
    .action((files: string[], flags: ImportFlags, cmd: Command) => {
      const ctx = contextFrom(cmd);
      const pricing = pricingFromFlags(flags);
      const outDir = flags.out ?? join('results', `imported-${stamp(new Date())}`);
      const summary = writeImported(files, {
        outDir,
        pricing,
        ...(flags.variant ? { variant: flags.variant } : {}),
      });
      for (const step of summary.steps) {
        if (step.statusReason)
          ctx.log.warn(`${step.variant} λ=${step.rateRps}: ${step.statusReason}`);
      }
      ctx.stdout(
        `imported ${summary.steps.length} step(s)` +
          `${summary.requests ? ` and ${summary.requests} requests` : ''} ` +
          `into ${summary.outDir}\n` +
          `next: vllm-cost-meter analyze ${summary.outDir}`,
      );
    });
  withExamples(command, [
    'vllm-cost-meter import bench-5qps.json bench-10qps.json --gpu h100 --out results/imported',
    'vllm-cost-meter import guidellm-benchmarks.json --gpu-price 2.49 --gpus 2',
  ]);
}
