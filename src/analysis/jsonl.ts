/**
 * Streaming JSONL reader: one JSON value per line, read in large chunks and split on newline
 * bytes, so a million-line requests.jsonl never sits in memory as one string. A last line that
 * does not parse and has no newline after it is what a crash mid-write leaves behind: it is
 * skipped with a warning. Any other malformed line is an input error naming file and line.
 */

import { createReadStream } from 'node:fs';
import { inputError } from '../util/errors.ts';

export interface JsonlReadResult {
  lines: number;
  /** The last line did not parse and was not newline-terminated: a truncated write. */
  truncatedLastLine: boolean;
}

const NEWLINE = 0x0a;

export interface JsonlRange {
  /** First byte to read; must be the start of a line. */
  start?: number;
  /** Byte after the last one to read; must follow a newline, or be the end of the file. */
  end?: number;
}

/**
 * Calls `onValue` for every non-blank line of `path` (or of a byte range of it), in order, with
 * its 1-based number counted from the start of the range.
 */
export async function readJsonl(
  path: string,
  onValue: (value: unknown, lineNumber: number) => void,
  range: JsonlRange = {},
): Promise<JsonlReadResult> {
  if (range.end !== undefined && range.end <= (range.start ?? 0)) {
    return { lines: 0, truncatedLastLine: false };
  }
  const stream = createReadStream(path, {
    highWaterMark: 1 << 20,
    start: range.start,
    end: range.end === undefined ? undefined : range.end - 1,
  });
  let carry: Buffer | null = null;
  let lineNumber = 0;

  const handle = (text: string) => {
    lineNumber += 1;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw inputError(`${path}:${lineNumber}: not valid JSON (${(err as Error).message})`);
    }
    onValue(value, lineNumber);
  };

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      let end = chunk.indexOf(NEWLINE, start);
      while (end !== -1) {
        if (carry) {
          handle(Buffer.concat([carry, chunk.subarray(start, end)]).toString('utf8'));
          carry = null;
        } else {
          handle(chunk.toString('utf8', start, end));
        }
        start = end + 1;
        end = chunk.indexOf(NEWLINE, start);
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        carry = carry ? Buffer.concat([carry, rest]) : Buffer.from(rest);
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw inputError(`${path}: file not found`);
    }
    throw err;
  }

  const last = carry ? carry.toString('utf8') : '';
  if (last.trim() !== '') {
    lineNumber += 1;
    let value: unknown;
    try {
      value = JSON.parse(last);
    } catch {
      return { lines: lineNumber, truncatedLastLine: true };
    }
    onValue(value, lineNumber);
  }
  return { lines: lineNumber, truncatedLastLine: false };
}
