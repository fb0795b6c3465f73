import { Command, CommanderError } from 'commander';
import { describeError, isCostMeterError } from '../util/errors.ts';
import { TOOL_VERSION } from '../util/version.ts';
import { COMMANDS } from './commands/index.ts';

const NAME = 'vllm-cost-meter';

export function buildProgram(): Command {
  const program = new Command(NAME)
    .description(
      'Measure what serving LLMs on vLLM really costs under real load: run λ sweeps, fit\n' +
        'cost-versus-load curves, and meter live servers.',
    )
    .version(TOOL_VERSION, '-V, --version')
    .option('--debug', 'print stack traces and debug logs')
    .option('-q, --quiet', 'log warnings and errors only')
    .option('--log-json', 'write logs to stderr as JSON lines')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI and returns the exit status; prints a one-line error on failure. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code)) {
        return 0;
      }
      const text = err.message.replace(/^error:\s*/, '');
      process.stderr.write(`${NAME}: ${text} (see '${NAME} --help')\n`);
      return 2;
    }
    if (isCostMeterError(err)) {
      process.stderr.write(`${NAME}: ${describeError(err)}\n`);
      if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    process.stderr.write(`${NAME}: unexpected failure: ${describeError(err)}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    else process.stderr.write(`${NAME}: rerun with --debug for the stack trace\n`);
    return 1;
  }
}
