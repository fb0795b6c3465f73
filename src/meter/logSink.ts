/**
 * `--log FILE`: one record per interval, appended and handed to the OS at once (synchronous
 * writes), so an interrupted meter loses nothing already shown. CSV has one row per scope and
 * window; JSONL has the whole reading per line. An existing CSV is appended to only when its
 * header matches, so a file never mixes two column layouts.
 */

import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { inputError, ioError, ioReason } from '../util/errors.ts';
import { readingToJson } from './endpoint.ts';
import type { MeterReading, ScopeReading, WindowReading } from './types.ts';

type Cell = string | number | boolean | null;

const COLUMNS: Array<[string, (r: MeterReading, s: ScopeReading, w: WindowReading) => Cell]> = [
  ['time', (r) => new Date(r.timeMs).toISOString()],
  ['status', (r) => r.status],
  ['scope', (_r, s) => s.scope],
  ['replica', (_r, s) => s.replica],
  ['model', (_r, s) => s.model],
  ['gpu', (r) => r.gpu.label],
  ['gpus', (r) => r.gpu.gpus],
  ['node_usd_per_hour', (_r, s) => s.nodeHourlyUsd],
  ['up', (_r, s) => s.up],
  ['window_s', (_r, _s, w) => w.windowSeconds],
  ['span_s', (_r, _s, w) => w.spanSeconds],
  ['c_eff_usd_per_mtok', (_r, _s, w) => w.cost.cEffUsdPerMTok],
  ['idle', (_r, _s, w) => (w.outputTokensPerS === null ? null : w.cost.idle)],
  ['c_naive_usd_per_mtok', (_r, _s, w) => w.cost.cNaiveUsdPerMTok],
  ['penalty', (_r, _s, w) => w.cost.penalty],
  ['usd_per_m_input_tok', (_r, _s, w) => w.cost.usdPerMInputTok],
  ['usd_per_request', (_r, _s, w) => w.cost.usdPerRequest],
  ['output_tok_per_s', (_r, _s, w) => w.outputTokensPerS],
  ['prompt_tok_per_s', (_r, _s, w) => w.promptTokensPerS],
  ['completed_per_s', (_r, _s, w) => w.requestsPerS],
  ['arrivals_per_s', (_r, _s, w) => w.arrivalsPerS],
  ['preemptions_per_s', (_r, _s, w) => w.preemptionsPerS],
  ...(['ttft', 'itl', 'tpot', 'e2e'] as const).flatMap((m) =>
    (['p50', 'p90', 'p99'] as const).map(
      (q) =>
        [
          `${m}_${q}_ms`,
          (_r: MeterReading, _s: ScopeReading, w: WindowReading) => w.latencyMs[m][q],
        ] as [string, (r: MeterReading, s: ScopeReading, w: WindowReading) => Cell],
    ),
  ),
  ['prompt_len_p50', (_r, _s, w) => w.lengths.prompt.p50],
  ['generation_len_p50', (_r, _s, w) => w.lengths.generation.p50],
  ['prefix_cache_hit_rate', (_r, _s, w) => w.prefixCacheHitRate],
  ['slo_met', (_r, _s, w) => w.slo?.met ?? null],
  ['running', (_r, s) => s.state.running],
  ['waiting', (_r, s) => s.state.waiting],
  ['kv_cache_usage_max', (_r, s) => s.state.kvCacheUsageMax],
  ['cum_usd', (_r, s) => s.cumulative?.usd ?? null],
  ['cum_output_tokens', (_r, s) => s.cumulative?.outputTokens ?? null],
  ['cum_usd_per_mtok', (_r, s) => s.cumulative?.usdPerMOutputTok ?? null],
  ['reference', (_r, s) => s.reference?.id ?? null],
  ['restarts', (_r, s) => s.restarts],
  ['gaps_total', (r) => r.gapsTotal],
  ['last_error', (r) => r.lastError],
];

export const CSV_HEADER = COLUMNS.map(([name]) => name);

/** Empty for unknown, 'inf' for unbounded (an idle window's cost). */
function cell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(Number(value.toPrecision(8)));
  }
  return String(value);
}

export function csvRows(reading: MeterReading): string[][] {
  const rows: string[][] = [];
  for (const scope of reading.scopes) {
    for (const w of scope.windows)
      rows.push(COLUMNS.map(([, get]) => cell(get(reading, scope, w))));
  }
  return rows;
}

export interface LogSink {
  write(reading: MeterReading): void;
  close(): void;
}

function firstLine(fd: number): string {
  const buffer = Buffer.alloc(4096);
  const bytes = readSync(fd, buffer, 0, buffer.length, 0);
  return buffer.subarray(0, bytes).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export function openLogSink(path: string, format: 'csv' | 'jsonl'): LogSink {
  let fd: number;
  try {
    fd = openSync(path, 'a+');
  } catch (err) {
    // The user chose the path: a wrong one is bad input (exit 2), said once, without Node's text.
    throw inputError(`cannot open --log ${path}: ${ioReason(err)}; give another --log`);
  }
  const header = stringify([CSV_HEADER]);
  if (format === 'csv') {
    if (fstatSync(fd).size === 0) writeSync(fd, header);
    else if (firstLine(fd) !== header.trimEnd()) {
      closeSync(fd);
      throw ioError(`log file ${path} has other CSV columns; give a new file to --log`);
    }
  }
  let open = true;
  // Bytes of whole records: a write that fails (disk full) is cut back to here.
  let size = fstatSync(fd).size;
  return {
    write(reading) {
      if (!open) return;
      const text = format === 'csv' ? stringify(csvRows(reading)) : `${readingToJson(reading)}\n`;
      const bytes = Buffer.from(text, 'utf8');
      try {
        let offset = 0;
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      } catch (err) {
        try {
          ftruncateSync(fd, size);
        } catch {
          // Nothing more to do: readers of a log skip a partial last line.
        }
        throw ioError(`cannot append to log file ${path}: ${ioReason(err)}`);
      }
      size += bytes.length;
    },
    close() {
      if (!open) return;
      open = false;
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}
