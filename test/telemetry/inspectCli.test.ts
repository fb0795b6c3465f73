import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowStats } from '../../src/telemetry/types.ts';
import { runCli } from '../helpers/cli.ts';
import {
  HAVE_SHARED,
  METRICS_DIR,
  SHARED_METRICS_DIR,
  SHARED_SKIP_NOTE,
} from './helpers/formats.ts';

const DP_A = join(METRICS_DIR, 'dp2-a.txt');
const DP_B = join(METRICS_DIR, 'dp2-b.txt');

let dir = '';
let server: Server;
let base = '';
let scrapes = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inspect-test-'));
  writeFileSync(join(dir, 'page.html'), '<!DOCTYPE html>\n<html><body>Welcome</body></html>\n');
  writeFileSync(join(dir, 'models.json'), '{"object": "list", "data": []}\n');
  writeFileSync(join(dir, 'empty.txt'), '');
  writeFileSync(join(dir, 'untimed.txt'), 'vllm:generation_tokens_total{model_name="m"} 5\n');
  // Each scrape of /metrics has generated 100 tokens more than the one before.
  server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(
      '# TYPE vllm:generation_tokens_total counter\n' +
        `vllm:generation_tokens_total{engine="0",model_name="m"} ${100 * scrapes}.0\n` +
        '# TYPE vllm:num_requests_running gauge\n' +
        'vllm:num_requests_running{engine="0",model_name="m"} 3.0\n',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('vllm-cost-meter inspect', () => {
  it('a file pair with timestamps: --json carries the window fields', async () => {
    const r = await runCli(['inspect', DP_B, '--previous', DP_A, '--json']);
    expect(r.exitCode).toBe(0);
    const w = JSON.parse(r.stdout) as WindowStats;
    // Values worked out in windows.test.ts: 1800 tokens and 20 requests in 10 s.
    expect(w.windowSeconds).toBe(10);
    expect(w.rates).toMatchObject({ outputTokensPerS: 180, requestsPerS: 2, preemptionsPerS: 0.2 });
    expect(w.rates.requestsPerSByReason).toEqual({ stop: 1.4, length: 0.6, abort: 0 });
    expect(Object.keys(w.latencyMs)).toEqual([
      'ttft',
      'itl',
      'tpot',
      'e2e',
      'queue',
      'prefill',
      'decode',
    ]);
    expect(w.latencyMs.ttft).toMatchObject({ p50: 500, p90: 1000, count: 20 });
    expect(Object.keys(w.lengths)).toEqual(['prompt', 'generation']);
    expect(w.state).toEqual({
      running: 10,
      waiting: 4,
      kvCacheUsageMax: 0.7,
      kvCacheUsageMean: 0.5,
    });
    expect(w.prefixCacheHitRate).toBeCloseTo(0.3, 12);
    expect(w.resets).toEqual([]);
    expect(w.byModel).toEqual({ 'org/m': { outputTokensPerS: 180, requestsPerS: 2 } });
    expect(w.vllmNames.era).toBe('v1');
  });

  it('--elapsed overrides the timestamps; the table is for people', async () => {
    const r = await runCli(['inspect', DP_B, '--previous', DP_A, '--elapsed', '20']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('window of 20.00 s');
    expect(r.stdout).toMatch(/output tokens\s+90\.00/); // 1800 / 20
    expect(r.stdout).toMatch(/requests done\s+1\.00\s+\(stop 0\.70, length 0\.30\)/);
    expect(r.stdout).toMatch(/ttft\s+500\.0\s+1000\.0\s+1000\.0\s+440\.0\s+20/);
    expect(r.stdout).toContain('KV cache used max 70.00 % mean 50.00 %');
  });

  it('one file: totals since the server started', async () => {
    const r = await runCli(['inspect', DP_A, '--json']);
    expect(r.exitCode).toBe(0);
    const w = JSON.parse(r.stdout) as WindowStats;
    expect(w.windowSeconds).toBeNull();
    expect(w.rates.outputTokensPerS).toBeNull();
    expect(w.totals?.generationTokens).toBe(4000);
  });

  it.skipIf(!HAVE_SHARED)(
    `the real 0.32.0 burst pair with --elapsed${SHARED_SKIP_NOTE}`,
    async () => {
      const a = join(SHARED_METRICS_DIR, 'v0.32.0-cpu-chat-burst-a.txt');
      const b = join(SHARED_METRICS_DIR, 'v0.32.0-cpu-chat-burst-b.txt');
      const r = await runCli(['inspect', b, '--previous', a, '--elapsed', '10.054', '--json']);
      expect(r.exitCode).toBe(0);
      const w = JSON.parse(r.stdout) as WindowStats;
      // 19529 generated tokens and 181 finished requests in 10.054 s (realFixtures.test.ts).
      expect(w.rates.outputTokensPerS).toBeCloseTo(19529 / 10.054, 9);
      expect(w.rates.requestsPerS).toBeCloseTo(181 / 10.054, 9);
    },
  );

  it('files without timestamps need --elapsed (exit 2, one line)', async () => {
    const untimed = join(dir, 'untimed.txt');
    const r = await runCli(['inspect', untimed, '--previous', untimed]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--elapsed is required');
  });

  it.each([
    ['not metrics text', 'models.json', "models.json, line 1: expected a metric name or '#'"],
    ['an HTML page', 'page.html', 'page.html, line 1: this is an HTML page'],
    ['a missing file', 'absent.txt', 'absent.txt: no such file'],
    ['an empty file', 'empty.txt', 'empty.txt is empty'],
  ])('%s: exit 2 with one line', async (_what, file, message) => {
    const r = await runCli(['inspect', join(dir, file)]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it('an unreachable URL: exit 2 with one line', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/metrics`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await runCli(['inspect', url]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`cannot reach ${url}`);
  });

  it('a URL is sampled twice, --elapsed apart, and the clock gives the window', async () => {
    const before = scrapes;
    const r = await runCli(['inspect', `${base}/metrics`, '--elapsed', '0.5', '--json']);
    expect(r.exitCode).toBe(0);
    expect(scrapes - before).toBe(2);
    expect(r.stderr).toContain('again in 0.5 s');
    const w = JSON.parse(r.stdout) as WindowStats;
    // The server added exactly 100 tokens between the two scrapes.
    expect(w.increases.outputTokens).toBe(100);
    expect(w.windowSeconds).toBeGreaterThanOrEqual(0.5);
    expect(w.rates.outputTokensPerS).toBeCloseTo(100 / w.windowSeconds!, 9);
    expect(w.state.running).toBe(3);
  });

  it('a URL that answers 404: exit 2 naming it', async () => {
    const r = await runCli(['inspect', `${base}/wrong`]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${base}/wrong answered HTTP 404`);
  });
});
