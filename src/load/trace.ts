/**
 * Trace files for replay: one request per row with its send offset and, optionally, its prompt
 * and output lengths. Two formats, chosen by extension:
 *   - CSV with a header row (`offset_ms,prompt_tokens,output_tokens`),
 *   - JSONL with one object per line (`{"offset_ms": 0, "prompt_tokens": 512, …}`).
 * Column aliases cover common published traces: `timestamp` (Mooncake, in ms) or `offsetMs`
 * for the offset; `input_length`/`promptTokens`, `output_length`/`outputTokens` for lengths.
 * Offsets are rebased so the first row is sent at 0, so absolute epoch stamps replay too.
 */

import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { inputError } from '../util/errors.ts';
import type { ArrivalProcess } from './types.ts';

export type TraceArrival = Extract<ArrivalProcess, { kind: 'trace' }>;

const OFFSET_KEYS = ['offset_ms', 'offsetMs', 'timestamp', 'timestamp_ms'];
const PROMPT_KEYS = ['prompt_tokens', 'promptTokens', 'input_length', 'input_tokens'];
const OUTPUT_KEYS = ['output_tokens', 'outputTokens', 'output_length'];

interface Row {
  line: number;
  offsetMs: number;
  promptTokens: number | undefined;
  outputTokens: number | undefined;
}

export async function readTrace(path: string): Promise<TraceArrival> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw inputError(`trace ${path}: cannot read the file; check the path`, err);
  }
  const ext = extname(path).toLowerCase();
  const format = ext === '.csv' ? 'csv' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : null;
  if (!format) throw inputError(`trace ${path}: use a .csv or .jsonl file, got "${ext}"`);
  return parseTrace(text, path, format);
}

/** Parses trace text; `file` only names the source in error messages. */
export function parseTrace(text: string, file: string, format: 'csv' | 'jsonl'): TraceArrival {
  const rows = format === 'csv' ? csvRows(text, file) : jsonlRows(text, file);
  if (rows.length === 0) throw inputError(`trace ${file}: no rows`);

  const hasPrompt = rows.some((r) => r.promptTokens !== undefined);
  const hasOutput = rows.some((r) => r.outputTokens !== undefined);
  const origin = rows[0]!.offsetMs;
  let previous = origin;
  for (const row of rows) {
    if (row.offsetMs < previous) {
      throw inputError(
        `trace ${file}:${row.line}: offset ${row.offsetMs} is before the previous row's ` +
          `${previous}; sort the trace by send time`,
      );
    }
    previous = row.offsetMs;
    if (
      (hasPrompt && row.promptTokens === undefined) ||
      (hasOutput && row.outputTokens === undefined)
    ) {
      throw inputError(`trace ${file}:${row.line}: lengths must be given on every row or none`);
    }
  }

  const trace: TraceArrival = { kind: 'trace', offsetsMs: rows.map((r) => r.offsetMs - origin) };
  if (hasPrompt) trace.promptTokens = rows.map((r) => r.promptTokens!);
  if (hasOutput) trace.outputTokens = rows.map((r) => r.outputTokens!);
  return trace;
}

function csvRows(text: string, file: string): Row[] {
  const lines = text.split(/\r\n|\r|\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const offsetCol = header.findIndex((h) => OFFSET_KEYS.includes(h));
  if (offsetCol < 0) {
    throw inputError(
      `trace ${file}:1: the header needs an offset column (${OFFSET_KEYS.join(', ')})`,
    );
  }
  const promptCol = header.findIndex((h) => PROMPT_KEYS.includes(h));
  const outputCol = header.findIndex((h) => OUTPUT_KEYS.includes(h));

  const rows: Row[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const cells = raw.split(',');
    const line = i + 1;
    const cell = (col: number, name: string) => cellNumber(cells[col], file, line, name);
    rows.push({
      line,
      offsetMs: cell(offsetCol, header[offsetCol]!),
      promptTokens: promptCol < 0 ? undefined : lengthOf(cell(promptCol, 'prompt'), file, line),
      outputTokens: outputCol < 0 ? undefined : lengthOf(cell(outputCol, 'output'), file, line),
    });
  }
  return rows;
}

function jsonlRows(text: string, file: string): Row[] {
  const rows: Row[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const line = i + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch {
      throw inputError(`trace ${file}:${line}: not valid JSON`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw inputError(`trace ${file}:${line}: each line must be a JSON object`);
    }
    const record = obj as Record<string, unknown>;
    const pick = (keys: string[]) => keys.find((k) => record[k] !== undefined);
    const offsetKey = pick(OFFSET_KEYS);
    if (!offsetKey) {
      throw inputError(`trace ${file}:${line}: missing the offset (${OFFSET_KEYS.join(', ')})`);
    }
    const promptKey = pick(PROMPT_KEYS);
    const outputKey = pick(OUTPUT_KEYS);
    const num = (key: string) => cellNumber(String(record[key]), file, line, key);
    rows.push({
      line,
      offsetMs: num(offsetKey),
      promptTokens: promptKey ? lengthOf(num(promptKey), file, line) : undefined,
      outputTokens: outputKey ? lengthOf(num(outputKey), file, line) : undefined,
    });
  }
  return rows;
}

function cellNumber(raw: string | undefined, file: string, line: number, name: string): number {
  const value = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw inputError(`trace ${file}:${line}: ${name} must be a number ≥ 0, got "${raw ?? ''}"`);
  }
  return value;
}

function lengthOf(value: number, file: string, line: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw inputError(`trace ${file}:${line}: token lengths must be integers ≥ 1, got ${value}`);
  }
  return value;
}
