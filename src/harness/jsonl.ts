/**
 * Durable JSONL: each record is serialised to one line and handed to the kernel with a single
 * write(2) on an O_APPEND descriptor before the call returns. A SIGKILL therefore loses nothing
 * already written and can leave at most the last line partial — which readers skip. Only a
 * power cut can lose more; `sync()` at step ends narrows even that. A write that fails (disk
 * full) is cut back to the last whole line before the error is thrown, so the file stays valid.
 */

import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { ioError, ioReason } from '../util/errors.ts';

export class JsonlWriter {
  private fd: number | null;
  /** Bytes of whole lines in the file: where a failed write is cut back to. */
  private size: number;
  lines = 0;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'a');
      this.size = fstatSync(this.fd).size;
    } catch (err) {
      throw ioError(`cannot open ${path} for appending: ${ioReason(err)}`);
    }
  }

  /** Appends one record as one line; returns only once the kernel holds the whole line. */
  write(record: unknown): void {
    if (this.fd === null) throw ioError(`${this.path} is already closed`);
    const buf = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    let offset = 0;
    try {
      while (offset < buf.length) offset += writeSync(this.fd, buf, offset);
    } catch (err) {
      if (offset > 0) this.cutBack();
      throw ioError(`cannot append to ${this.path}: ${ioReason(err)}`);
    }
    this.size += buf.length;
    this.lines += 1;
  }

  /** Drops the part of a line that a failed write left behind. */
  private cutBack(): void {
    try {
      if (this.fd !== null) ftruncateSync(this.fd, this.size);
    } catch {
      // Nothing more to do: readers skip a partial last line.
    }
  }

  /** Flushes to the disk itself (not just the kernel); called at step boundaries. */
  sync(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}

export interface JsonlContents<T> {
  values: T[];
  /** A last line that did not parse and had no newline: what a crash mid-write leaves. */
  partialLastLine: boolean;
}

/** Reads a small JSONL file whole (steps.jsonl); a missing file is empty. */
export function readJsonlSync<T>(path: string): JsonlContents<T> {
  if (!existsSync(path)) return { values: [], partialLastLine: false };
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const values: T[] = [];
  let partialLastLine = false;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      values.push(JSON.parse(line) as T);
    } catch (err) {
      if (i === lines.length - 1) {
        partialLastLine = true;
        return;
      }
      throw ioError(`${path}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
  });
  return { values, partialLastLine };
}

/**
 * Rewrites a JSONL file keeping only the records `keep` accepts, streaming (requests.jsonl can
 * be large). A partial last line is dropped. The new file replaces the old one by rename, so a
 * crash during the rewrite leaves the old file intact.
 */
export async function filterJsonlFile(
  path: string,
  keep: (value: unknown) => boolean,
): Promise<{ kept: number; dropped: number }> {
  if (!existsSync(path)) return { kept: 0, dropped: 0 };
  const tmp = `${path}.resume-tmp`;
  const out = createWriteStream(tmp);
  const lines = createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let kept = 0;
  let dropped = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      dropped += 1; // only a crash's partial last line can fail here
      continue;
    }
    if (!keep(value)) {
      dropped += 1;
      continue;
    }
    kept += 1;
    if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  renameSync(tmp, path);
  return { kept, dropped };
}
