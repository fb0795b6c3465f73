import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { CostMeterError } from '../util/errors.ts';
import { createLogger, type Logger } from '../util/log.ts';

/** What every command action receives: the logger and the global flags. */
export interface CliContext {
  log: Logger;
  debug: boolean;
  quiet: boolean;
  /** Where results go; tests swap it for a buffer. */
  stdout: (text: string) => void;
}

export function contextFrom(command: Command): CliContext {
  const globals = command.optsWithGlobals() as {
    debug?: boolean;
    quiet?: boolean;
    logJson?: boolean;
  };
  const debug = Boolean(globals.debug);
  const quiet = Boolean(globals.quiet);
  return {
    debug,
    quiet,
    log: createLogger({
      level: debug ? 'debug' : quiet ? 'warn' : 'info',
      json: Boolean(globals.logJson),
      secrets: secretsFromEnv(),
    }),
    stdout: (text) => {
      guardStdout();
      if (!stdoutClosed) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
  };
}

let stdoutClosed = false;
let stdoutGuarded = false;
const stdoutClosedListeners = new Set<() => void>();

/**
 * A reader that went away (`meter … | head -1`) is not a failure: the next write gets EPIPE,
 * which Node raises as an unhandled 'error' with a stack trace. Writes after that are dropped
 * and listeners (the meter) stop quietly after flushing their own files.
 */
function guardStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (stdoutClosed) return;
    stdoutClosed = true;
    for (const listener of stdoutClosedListeners) listener();
  });
}

/** Calls `listener` once stdout's reader has gone away; returns the function that unsubscribes. */
export function onStdoutClosed(listener: () => void): () => void {
  guardStdout();
  if (stdoutClosed) {
    listener();
    return () => {};
  }
  stdoutClosedListeners.add(listener);
  return () => stdoutClosedListeners.delete(listener);
}

/** Values of environment variables that look like credentials, so the logger can redact them. */
export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(env)
    .filter(([key, value]) => /KEY|TOKEN|SECRET|PASSWORD/i.test(key) && Boolean(value))
    .map(([, value]) => value as string);
}

/** Example lines shown under a command's --help. */
export function withExamples(command: Command, examples: string[]): Command {
  return command.addHelpText(
    'after',
    `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`,
  );
}

/** Argument parsers that reject bad values with exit 2 and a message naming the flag. */
export function positiveNumber(flag: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      throw new InvalidArgumentError(`${flag} must be a number greater than 0 (got '${raw}')`);
    }
    return value;
  };
}

export function nonNegativeNumber(flag: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`${flag} must be a number ≥ 0 (got '${raw}')`);
    }
    return value;
  };
}

export function positiveInteger(flag: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) {
      throw new InvalidArgumentError(
        `${flag} must be a whole number greater than 0 (got '${raw}')`,
      );
    }
    return value;
  };
}

export function port(flag: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      throw new InvalidArgumentError(`${flag} must be a port number 0–65535 (got '${raw}')`);
    }
    return value;
  };
}

/** Comma-separated list of positive numbers: `1,5,10`. */
export function numberList(flag: string) {
  return (raw: string): number[] => {
    const parts = raw.split(',').map((p) => p.trim());
    const values = parts.map(Number);
    if (parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v) || v <= 0)) {
      throw new InvalidArgumentError(
        `${flag} must be a comma-separated list of numbers > 0 (got '${raw}')`,
      );
    }
    return values;
  };
}

export function notImplemented(name: string, issue: string): never {
  throw new CostMeterError(
    'E_NOT_IMPLEMENTED',
    `'${name}' is not implemented yet (tracked in ${issue})`,
  );
}
