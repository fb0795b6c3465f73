/**
 * Reads the reference paper's `master_results.csv` (one row per configuration × offered rate) into
 * the few columns the calibration compares against. The file is data published with the paper;
 * callers pass its text (I/O stays at the edges).
 */

import { inputError } from '../util/errors.ts';

export interface PaperRow {
  config: string;
  engine: string;
  rateRps: number;
  gpus: number;
  outputTokPerS: number;
  requestsPerS: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  tpotP50Ms: number;
  e2eP50Ms: number;
}

const NEEDED = [
  'config',
  'engine',
  'rps',
  'gpus',
  'tps_output',
  'request_throughput',
  'ttft_p50_ms',
  'ttft_p99_ms',
  'tpot_p50_ms',
  'e2el_p50_ms',
] as const;

/** Parses the CSV (no quoted fields in this file); names the file and column on bad input. */
export function parsePaperCsv(text: string, fileLabel: string): PaperRow[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').split(',');
  const index = new Map(header.map((name, i) => [name.trim(), i]));
  for (const column of NEEDED) {
    if (!index.has(column)) throw inputError(`${fileLabel}: missing column '${column}'`);
  }
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    const cell = (column: (typeof NEEDED)[number]) => cells[index.get(column)!] ?? '';
    const num = (column: (typeof NEEDED)[number]) => {
      const value = Number(cell(column));
      if (!Number.isFinite(value)) {
        throw inputError(`${fileLabel}:${i + 2}: column '${column}' is not a number`);
      }
      return value;
    };
    return {
      config: cell('config'),
      engine: cell('engine'),
      rateRps: num('rps'),
      gpus: num('gpus'),
      outputTokPerS: num('tps_output'),
      requestsPerS: num('request_throughput'),
      ttftP50Ms: num('ttft_p50_ms'),
      ttftP99Ms: num('ttft_p99_ms'),
      tpotP50Ms: num('tpot_p50_ms'),
      e2eP50Ms: num('e2el_p50_ms'),
    };
  });
}

/** vLLM rows grouped by configuration id, each group sorted by offered rate. */
export function vllmRowsByConfig(rows: PaperRow[]): Map<string, PaperRow[]> {
  const groups = new Map<string, PaperRow[]>();
  for (const row of rows) {
    if (row.engine !== 'vllm') continue;
    const group = groups.get(row.config) ?? [];
    group.push(row);
    groups.set(row.config, group);
  }
  for (const group of groups.values()) group.sort((a, b) => a.rateRps - b.rateRps);
  return groups;
}
