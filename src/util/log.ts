/**
 * The one logger. Only the CLI layer creates one; engines emit events and the CLI decides what
 * to print. Lines go to stderr so that stdout carries results alone.
 *
 * Human format: `17:49:55 WARN  scrape failed url=http://127.0.0.1:8000/metrics attempt=3`.
 * JSON format (`--log-json`): one object per line with `time`, `level`, `msg` and the fields.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  json?: boolean;
  write?: (line: string) => void;
  /** Strings never to print (API keys); replaced with `***`. */
  secrets?: string[];
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text ?? '') ? JSON.stringify(text) : String(text);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  const redact = (line: string) => secrets.reduce((acc, s) => acc.split(s).join('***'), line);

  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (RANK[level] < min) return;
    const now = new Date();
    if (options.json) {
      write(redact(JSON.stringify({ time: now.toISOString(), level, msg, ...fields })));
      return;
    }
    const clock = now.toISOString().slice(11, 19);
    const tail = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(' ');
    write(redact(`${clock} ${level.toUpperCase().padEnd(5)} ${msg}${tail ? ` ${tail}` : ''}`));
  };

  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

/** A logger that drops everything: the default for library code under test. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
