import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDashboard } from '../../src/meter/dashboard.ts';
import { emptyFigures, priceWindow } from '../../src/meter/reading.ts';
import type { MeterReading, ReferenceInfo } from '../../src/meter/types.ts';
import { type FakeVllm, startFakeVllm } from './helpers/fakeVllm.ts';

const BIN = new URL('../../bin/vllm-cost-meter.js', import.meta.url).pathname;
const hasScript = spawnSync('script', ['--version']).status === 0;

const reference: ReferenceInfo = {
  id: 'vllm/llama/float16/1xh100',
  thetaMaxTokPerS: 6000,
  cNaiveUsdPerMTok: 6.98e6 / (3600 * 6000),
  paperCNaiveUsdPerMTok: null,
  protocol: 'random prompts 512 in / 256 out tokens',
  citation: 'test',
};

function reading(): MeterReading {
  const price = { gpuHourlyUsd: 6.98, gpus: 1 };
  const slo = { ttftP99Ms: 300, tpotP99Ms: null, e2eP99Ms: null };
  const busy = { ...emptyFigures(60), spanSeconds: 60, filled: true, outputTokensPerS: 1500 };
  busy.latencyMs.ttft = { p50: 80, p90: 200, p99: 420, mean: 95, count: 300 };
  const idle = { ...emptyFigures(300), spanSeconds: 120, filled: false, outputTokensPerS: 0 };
  return {
    timeMs: 1_800_000_000_000,
    mode: 'direct',
    source: 'http://10.0.0.5:8000',
    status: 'ok',
    gpu: { label: 'h100', gpuHourlyUsd: 6.98, gpus: 1, priceSource: 'catalog' },
    scopes: [
      {
        scope: 'server',
        replica: '10.0.0.5:8000',
        model: 'llama',
        replicas: 1,
        nodeHourlyUsd: 6.98,
        up: true,
        state: { running: 12, waiting: 3, kvCacheUsageMax: 0.5, kvCacheUsageMean: 0.25 },
        windows: [
          priceWindow(busy, price, reference, slo),
          priceWindow(idle, price, reference, slo),
        ],
        cumulative: {
          sinceMs: 0,
          elapsedSeconds: 3600,
          usd: 6.98,
          outputTokens: 2e6,
          promptTokens: 0,
          usdPerMOutputTok: 3.49,
        },
        reference,
        referenceNote: null,
        restarts: 1,
      },
    ],
    gaps: [
      {
        kind: 'restart',
        startMs: 1_799_999_000_000,
        endMs: 1_799_999_010_000,
        failedScrapes: 2,
        message: 'x',
      },
    ],
    gapsTotal: 1,
    lastError: null,
    serverVersion: '0.32.0',
    vllmEra: 'v1',
  };
}

describe('terminal dashboard', () => {
  it('shows cost, penalty, SLO verdict, state, the average since start and the reference', () => {
    const text = renderDashboard(reading(), { color: false });
    // C_eff at 1500 tok/s: 6.98e6 / (3600 × 1500) = 1.2925…; penalty 6000 / 1500 = 4.
    expect(text).toMatch(/C_eff \(per M output tok\)\s+\$1\.29\/M\s+idle ∞\/M/);
    expect(text).toMatch(/penalty vs reference\s+4×\s+∞/);
    expect(text).toMatch(/5m \(filling 120s\)/);
    expect(text).toMatch(/TTFT p50\/p90\/p99\s+80ms \/ 200ms \/ 420ms/);
    expect(text).toContain('ttft 420ms≤300ms ✗');
    expect(text).toContain('running 12   waiting 3   KV cache 50% (max) 25% (mean)');
    expect(text).toContain('since start (1h00m): spent $6.98, 2M output tokens → $3.49/M');
    expect(text).toContain('restarts seen: 1');
    expect(text).toContain('measured under random prompts 512 in / 256 out tokens');
    expect(text).toContain('last gap: restart');
  });
});

describe.skipIf(!hasScript)('dashboard on a terminal', () => {
  let server: FakeVllm;
  let ticking: NodeJS.Timeout;
  beforeAll(async () => {
    server = await startFakeVllm();
    ticking = setInterval(() => {
      server.state.generationTokens += 50;
    }, 50);
  });
  afterAll(async () => {
    clearInterval(ticking);
    await server.close();
  });

  it('fits a short terminal by leaving out the least needed rows', () => {
    const full = renderDashboard(reading(), { color: false }).split('\n');
    const short = renderDashboard(reading(), { color: false, rows: 24 }).split('\n');
    expect(full.length).toBeGreaterThan(24);
    expect(short.length).toBeLessThanOrEqual(23);
    expect(short[0]).toContain('vllm-cost-meter');
    expect(short.join('\n')).toContain('C_eff (per M output tok)');
    expect(short.join('\n')).not.toContain('prompt len p50/p99');
  });

  it('redraws the frame in place instead of printing lines', async () => {
    // A 40-row terminal, as an operator's would be; a bare pseudo-terminal has no size.
    const command = [
      'stty rows 40 cols 160;',
      'node',
      BIN,
      'meter',
      '--url',
      server.url,
      '--gpu',
      'h100',
      '--interval',
      '250ms',
      '--windows',
      '1s',
      '--duration',
      '1.6s',
      '--no-listen',
    ].join(' ');
    // util-linux `script` gives the command a pseudo-terminal, as an operator's shell would.
    const result = await execa('script', ['-q', '-e', '-c', command, '/dev/null'], {
      reject: false,
      timeout: 30_000,
    });
    expect(result.exitCode).toBe(0);
    const out = String(result.stdout);
    expect(out).toContain('C_eff (per M output tok)');
    expect(out).toMatch(/\u001b\[\d+A/); // cursor up: the previous frame is overwritten
    expect(out).not.toMatch(/Z ok \| /); // no plain lines on a terminal
  });
});
