/**
 * Typed errors with a stable code. The CLI maps `exitCode` to the process exit status and prints
 * `message` as one line; nothing else in the codebase prints errors.
 */

export type ErrorCode =
  | 'E_USAGE' // unknown flag, bad flag value, missing argument
  | 'E_INPUT' // a file, URL or field the user gave is unusable
  | 'E_SCENARIO' // a scenario file failed validation
  | 'E_PARSE' // a /metrics body or stream is not what it claims to be
  | 'E_NETWORK' // a server could not be reached
  | 'E_SERVER' // a server answered, but not as a vLLM-like server should
  | 'E_IO' // the results directory or a log file cannot be written
  | 'E_RUN' // the job started and failed
  | 'E_NOT_IMPLEMENTED';

/** Exit status: 1 when the job failed, 2 when the input or usage was wrong. */
const EXIT_BY_CODE: Record<ErrorCode, 1 | 2> = {
  E_USAGE: 2,
  E_INPUT: 2,
  E_SCENARIO: 2,
  E_PARSE: 2,
  E_NETWORK: 2,
  E_SERVER: 1,
  E_IO: 1,
  E_RUN: 1,
  E_NOT_IMPLEMENTED: 1,
};

export class CostMeterError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: 1 | 2;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CostMeterError';
    this.code = code;
    this.exitCode = EXIT_BY_CODE[code];
  }
}

export const usageError = (message: string) => new CostMeterError('E_USAGE', message);
export const inputError = (message: string, cause?: unknown) =>
  new CostMeterError('E_INPUT', message, { cause });
export const ioError = (message: string, cause?: unknown) =>
  new CostMeterError('E_IO', message, { cause });
export const runError = (message: string, cause?: unknown) =>
  new CostMeterError('E_RUN', message, { cause });

export function isCostMeterError(err: unknown): err is CostMeterError {
  return err instanceof CostMeterError;
}

const IO_REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'the folder does not exist',
};

/** Why a file operation failed, in words, with the system's code: `the disk is full (ENOSPC)`. */
export function ioReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return `${IO_REASONS[code] ?? 'I/O error'} (${code})`;
  return describeError(err);
}

/** A short, single-line description of any thrown value, for logs and error records. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`.replace(/\s*\n\s*/g, ' ');
  }
  return String(err).replace(/\s*\n\s*/g, ' ');
}
