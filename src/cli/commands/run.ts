import type { Command } from 'commander';
import { describePlan } from '../../harness/plan.ts';
import { createProgress } from '../../harness/progress.ts';
import { resumeScenarioPath } from '../../harness/resume.ts';
import { type RunResult, runScenario } from '../../harness/runner.ts';
import { ScenarioError } from '../../harness/scenario/issues.ts';
import { loadScenario } from '../../harness/scenario/load.ts';
import { type ResolvedScenario, resolveScenario } from '../../harness/scenario/resolve.ts';
import { stepsTable } from '../../harness/summary.ts';
import { CostMeterError, runError, usageError } from '../../util/errors.ts';
import { type CliContext, contextFrom, withExamples } from '../context.ts';

interface RunFlags {
  out: string;
  resume?: string;
  quiet?: boolean;
  dryRun?: boolean;
}

const EXIT_ON_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Loads a scenario, printing every located problem on its own line when there are several. */
export function loadResolved(file: string): ResolvedScenario {
  try {
    return resolveScenario(loadScenario(file));
  } catch (err) {
    if (err instanceof ScenarioError && err.issues.length > 1) {
      for (const line of err.lines) process.stderr.write(`${line}\n`);
      throw new CostMeterError(
        'E_SCENARIO',
        `${file}: ${err.issues.length} problems (listed above)`,
      );
    }
    throw err;
  }
}

/**
 * Runs a resolved scenario with Ctrl-C handling and progress on stderr. The first SIGINT or
 * SIGTERM stops sending and lets the runner close the step, stop the server and write the
 * manifest; a second one exits at once (the server guard still stops the server).
 */
export async function runWithSignals(
  ctx: CliContext,
  resolved: ResolvedScenario,
  opts: { out: string; resumeDir: string | null; quiet: boolean },
): Promise<{ result: RunResult; signal: string | null }> {
  const controller = new AbortController();
  let received: string | null = null;
  const onSignal = (name: NodeJS.Signals) => {
    if (received) {
      process.stderr.write(`${name} again: exiting now\n`);
      process.exit(EXIT_ON_SIGNAL[name] ?? 130);
    }
    received = name;
    process.stderr.write(
      `\n${name}: stopping after the current step's in-flight requests are closed…\n`,
    );
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = createProgress({
    stream: process.stderr,
    live: Boolean(process.stderr.isTTY) && !opts.quiet,
    log: ctx.log,
  });
  try {
    const result = await runScenario({
      resolved,
      outRoot: opts.out,
      resumeDir: opts.resumeDir,
      signal: controller.signal,
      onEvent: progress.sink,
    });
    return { result, signal: received };
  } finally {
    progress.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What every run prints at the end, and the exit status it implies. */
export function finishRun(ctx: CliContext, result: RunResult, signal: string | null): void {
  if (result.steps.length > 0) ctx.stdout(stepsTable(result.steps));
  ctx.stdout(`results: ${result.dir}`);
  const resume = `resume with: vllm-cost-meter run --resume ${result.dir}`;
  if (result.status === 'interrupted') {
    process.stderr.write(
      `interrupted (${signal ?? 'signal'}): finished steps are saved; ${resume}\n`,
    );
    process.exitCode = EXIT_ON_SIGNAL[signal ?? 'SIGINT'] ?? 130;
    return;
  }
  if (result.status === 'failed') {
    const why = result.error?.message ?? 'unknown error';
    const err = result.error ?? runError(why);
    // A server the run started that failed its preflight (wrong model): nothing to resume.
    if (result.steps.length === 0 && err.exitCode === 2) throw err;
    throw new CostMeterError(err.code, `${why} (finished steps are saved; ${resume})`);
  }
  const failed = result.steps.filter((s) => s.status === 'failed');
  if (failed.length > 0 && failed.length === result.steps.length) {
    // No step measured anything: a CI gate must not pass such a run.
    const first = failed[0]?.statusReason ?? 'no request succeeded';
    throw runError(`every step failed (${failed.length} of ${failed.length}); first: ${first}`);
  }
}

export function register(program: Command): void {
  const command = program
    .command('run')
    .description(
      'run a scenario: a λ sweep against a server, with telemetry, into a results directory',
    )
    .argument('[scenario]', 'scenario YAML file (optional with --resume)')
    .option('--out <dir>', 'results root: the run goes to <dir>/<scenario>-<UTC stamp>/', 'results')
    .option('--resume <dir>', 'continue an interrupted run after its last finished step')
    .option('--quiet', 'no live progress bar: one line per step')
    .option('--dry-run', 'print the resolved plan (variants × rates × repeats, time) and exit')
    .action(async (scenario: string | undefined, flags: RunFlags, cmd: Command) => {
      const ctx = contextFrom(cmd);
      if (!scenario && !flags.resume) {
        throw usageError("give a scenario file, or --resume <results dir> (see 'run --help')");
      }
      const file = scenario ?? resumeScenarioPath(flags.resume as string);
      const resolved = loadResolved(file);
      if (flags.dryRun) {
        ctx.stdout(describePlan(resolved));
        return;
      }
      const { result, signal } = await runWithSignals(ctx, resolved, {
        out: flags.out,
        resumeDir: flags.resume ?? null,
        quiet: Boolean(flags.quiet) || ctx.quiet,
      });
      finishRun(ctx, result, signal);
    });
  withExamples(command, [
    'vllm-cost-meter run scenarios/demo.yaml',
    'vllm-cost-meter run scenarios/paper-h100-llama8b.yaml --dry-run',
    'vllm-cost-meter run scenarios/bursty.yaml --out /data/results --quiet',
    'vllm-cost-meter run --resume results/demo-20261203T120000Z',
  ]);
}
