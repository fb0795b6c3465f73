import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, openLogSink } from '../../src/meter/logSink.ts';
import { emptyFigures, priceWindow } from '../../src/meter/reading.ts';
import type { MeterReading } from '../../src/meter/types.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'meter-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const price = { gpuHourlyUsd: 6.98, gpus: 1 };

/** RFC 4180 records with a header row, read independently of csv-stringify. */
function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  const [header = [], ...rows] = records;
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

/** A reading with a busy 1 m window (720 tok/s) and an idle 10 s one. */
function reading(timeMs: number): MeterReading {
  const busy = { ...emptyFigures(60), spanSeconds: 60, filled: true, outputTokensPerS: 720 };
  const idle = { ...emptyFigures(10), spanSeconds: 10, filled: true, outputTokensPerS: 0 };
  return {
    timeMs,
    mode: 'direct',
    source: 'http://127.0.0.1:8000',
    status: 'ok',
    gpu: { label: 'h100', gpuHourlyUsd: 6.98, gpus: 1, priceSource: 'test' },
    scopes: [
      {
        scope: 'server',
        replica: '127.0.0.1:8000',
        model: 'm, with a comma',
        replicas: 1,
        nodeHourlyUsd: 6.98,
        up: true,
        state: { running: 3, waiting: 0, kvCacheUsageMax: 0.5, kvCacheUsageMean: 0.5 },
        windows: [priceWindow(idle, price, null, null), priceWindow(busy, price, null, null)],
        cumulative: null,
        reference: null,
        referenceNote: null,
        restarts: 0,
      },
    ],
    gaps: [],
    gapsTotal: 0,
    lastError: null,
    serverVersion: null,
    vllmEra: 'v1',
  };
}

describe('--log', () => {
  it('appends CSV rows per scope and window under one header, also across reopenings', () => {
    const file = join(dir, 'cost.csv');
    const first = openLogSink(file, 'csv');
    first.write(reading(1_800_000_000_000));
    first.close();
    const second = openLogSink(file, 'csv');
    second.write(reading(1_800_000_005_000));
    second.close();

    const rows = parseCsv(readFileSync(file, 'utf8'));
    expect(Object.keys(rows[0] ?? {})).toEqual(CSV_HEADER);
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => r.window_s)).toEqual(['10', '60', '10', '60']);
    expect(rows[0]).toMatchObject({
      c_eff_usd_per_mtok: 'inf',
      idle: 'true',
      model: 'm, with a comma',
    });
    // 720 tok/s: 6.98e6 / (3600 × 720) = 2.6929012…
    expect(Number(rows[1]?.c_eff_usd_per_mtok)).toBeCloseTo(2.6929012, 6);
    expect(rows[1]).toMatchObject({ idle: 'false', time: '2027-01-15T08:00:00.000Z' });
    expect(rows[3]?.time).toBe('2027-01-15T08:00:05.000Z');
  });

  it('refuses a CSV with other columns rather than mixing layouts', () => {
    const file = join(dir, 'other.csv');
    writeFileSync(file, 'a,b\n1,2\n');
    expect(() => openLogSink(file, 'csv')).toThrow(/other\.csv has other CSV columns/);
  });

  it('writes one JSON reading per line, infinities as null', () => {
    const file = join(dir, 'cost.jsonl');
    const sink = openLogSink(file, 'jsonl');
    sink.write(reading(1));
    sink.write(reading(2));
    sink.close();
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.timeMs)).toEqual([1, 2]);
    expect(lines[0].scopes[0].windows[0].cost).toMatchObject({ cEffUsdPerMTok: null, idle: true });
  });

  it('names the file when it cannot be opened', () => {
    const file = join(dir, 'missing', 'x.csv');
    expect(() => openLogSink(file, 'csv')).toThrow(
      `cannot open --log ${file}: the folder does not exist (ENOENT); give another --log`,
    );
  });

  it('the executable: one line, exit 2, before any request', async () => {
    const file = join(dir, 'missing', 'x.csv');
    const r = await runCli(
      ['meter', '--url', 'http://127.0.0.1:1', '--gpu', 'h100', '--no-listen'].concat([
        '--log',
        file,
      ]),
    );
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(
      `vllm-cost-meter: cannot open --log ${file}: the folder does not exist (ENOENT); ` +
        'give another --log',
    );
  });
});
