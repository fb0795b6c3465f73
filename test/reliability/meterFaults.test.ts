import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMeterConfig } from '../../src/meter/config.ts';
import { DirectMeter } from '../../src/meter/directMeter.ts';
import { createExporter } from '../../src/meter/exporter.ts';
import { openLogSink } from '../../src/meter/logSink.ts';
import type { MeterReading } from '../../src/meter/types.ts';
import { parsePromText } from '../../src/telemetry/promText.ts';
import { type FakeVllm, freshState, startFakeVllm } from '../meter/helpers/fakeVllm.ts';
import { type FaultProxy, type MetricsBreak, startFaultProxy } from './helpers/faultProxy.ts';

/**
 * The meter against /metrics faults and a restart, sample by sample on a test clock: a fake
 * vLLM whose counters the test moves by exactly 1000 output tokens per second, behind a proxy
 * that breaks /metrics on cue. Every rate the meter shows is then known by hand: 1000 tok/s, or
 * no figure while a window refills — never negative, never a spike, and every failure counted.
 */

const T0 = 1_800_000_000_000;
/** One sample per clock second; null: forwarded untouched; 'restart': counters reset first. */
const SCRIPT: Array<MetricsBreak | null | 'restart'> = [
  null,
  null,
  null,
  'garbage',
  'html',
  '404',
  '500',
  'hang',
  null,
  null,
  'restart',
  null,
];
const ERRORS: Record<MetricsBreak, RegExp> = {
  garbage: /^http:\/\/127\.0\.0\.1:\d+\/metrics, line 1: /,
  html: /returned an HTML page, not metrics text/,
  '404': /answered HTTP 404; check that the URL is the server's \/metrics endpoint/,
  '500': /answered HTTP 500; the server may be starting or failing/,
  hang: /did not answer within 300 ms/,
};

const work = mkdtempSync(join(tmpdir(), 'vcm-rel-meter-'));
let fake: FakeVllm;
let proxy: FaultProxy;
const readings: MeterReading[] = [];
const exported: number[] = [];

beforeAll(async () => {
  fake = await startFakeVllm(freshState());
  proxy = await startFaultProxy(fake.url, {});
  const config = resolveMeterConfig({
    url: proxy.url,
    gpuPrice: 2,
    interval: '1s',
    windows: '2s,4s',
    timeout: '300ms',
    listen: false,
    log: join(work, 'meter.csv'),
  });
  let nowMs = T0;
  const meter = new DirectMeter(config, { now: () => nowMs });
  const exporter = createExporter();
  const sink = openLogSink(join(work, 'meter.csv'), 'csv');
  for (const [i, step] of SCRIPT.entries()) {
    nowMs = T0 + i * 1000;
    if (step === 'restart') {
      // A new process: counters start again (500 tokens so far), a new start time.
      fake.state = { ...freshState(), processStartS: fake.state.processStartS + 60 };
      fake.state.generationTokens = 500;
    } else if (i > 0) {
      fake.state.generationTokens += 1000;
      fake.state.finished.length += 4;
    }
    proxy.setMetrics(step === 'restart' ? null : step);
    const reading = await meter.sampleOnce();
    readings.push(reading);
    sink.write(reading);
    exporter.update(reading);
    const text = await exporter.metrics();
    const family = parsePromText(text).families.get('vllm_cost_meter_output_tokens_total');
    exported.push(family?.samples[0]?.value ?? Number.NaN);
  }
  sink.close();
  await meter.stop();
}, 60_000);

afterAll(async () => {
  await proxy.close();
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

const windows = (r: MeterReading) => r.scopes[0]?.windows ?? [];

describe('the meter through /metrics faults and a restart', () => {
  it('marks each failed sample as a gap with the reason', () => {
    expect(readings.map((r) => r.status)).toEqual(
      SCRIPT.map((s) => (s === null || s === 'restart' ? 'ok' : 'gap')),
    );
    SCRIPT.forEach((step, i) => {
      if (step === null || step === 'restart') expect(readings[i]?.lastError).toBeNull();
      else expect(readings[i]?.lastError).toMatch(ERRORS[step]);
    });
  });

  it('shows 1000 tok/s or no figure: never negative, never a spike', () => {
    for (const r of readings) {
      for (const w of windows(r)) {
        if (w.outputTokensPerS === null) continue;
        // By hand: 1000 tokens per 1000 ms in every window the meter can compute.
        expect(w.outputTokensPerS).toBeCloseTo(1000, 9);
        // C_eff = 2 $/h × 1e6 / (3600 s/h × 1000 tok/s) = 0.5556 $/M.
        expect(w.cost.cEffUsdPerMTok).toBeCloseTo(2e6 / 3.6e6, 9);
      }
    }
    // Right after the restart every window starts again: no figure yet, then 1000 again.
    expect(windows(readings[10] as MeterReading).map((w) => w.outputTokensPerS)).toEqual([
      null,
      null,
    ]);
    expect(windows(readings[11] as MeterReading)[0]?.outputTokensPerS).toBeCloseTo(1000, 9);
  });

  it('counts the outage and the restart as gaps, and the restart on the scope', () => {
    const last = readings.at(-1) as MeterReading;
    expect(last.gapsTotal).toBe(2);
    expect(last.gaps.map((g) => [g.kind, g.failedScrapes, g.startMs - T0, g.endMs])).toEqual([
      ['unreachable', 5, 2000, T0 + 8000],
      ['restart', 0, 9000, T0 + 10_000],
    ]);
    expect(last.scopes[0]?.restarts).toBe(1);
  });

  it('keeps every token: cumulative and exported totals only grow', () => {
    // 2 × 1000 (samples 1, 2) + 6000 over the outage (read at sample 8) + 1000 (sample 9)
    // + 500 across the reset (the new process's count) + 1000 (sample 11) = 10500.
    const totals = readings.map((r) => r.scopes[0]?.cumulative?.outputTokens ?? 0);
    expect(totals.at(-1)).toBe(10_500);
    for (let i = 1; i < totals.length; i++) {
      expect(totals[i]).toBeGreaterThanOrEqual(totals[i - 1] as number);
      expect(exported[i]).toBeGreaterThanOrEqual(exported[i - 1] as number);
    }
    expect(exported.at(-1)).toBe(10_500);
  });

  it('logs every sample, gaps included, one whole CSV row each', () => {
    const rows = readFileSync(join(work, 'meter.csv'), 'utf8').trimEnd().split('\n');
    const header = (rows[0] as string).split(',');
    const status = header.indexOf('status');
    // Two windows per sample: 12 samples × 2 rows, after the header.
    expect(rows).toHaveLength(1 + SCRIPT.length * 2);
    const gapRows = rows.slice(1).filter((r) => r.split(',')[status] === 'gap');
    expect(gapRows).toHaveLength(5 * 2);
  });
});
