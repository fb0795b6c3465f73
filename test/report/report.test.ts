import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../../src/analysis/analyzeRun.ts';
import type { RunAnalysis } from '../../src/analysis/types.ts';
import { figureSpecs } from '../../src/report/figures.ts';
import { escapeHtml } from '../../src/report/format.ts';
import { type WrittenReport, writeReport } from '../../src/report/writeReport.ts';
import { type SyntheticVariant, writeSyntheticRun } from '../helpers/runDir.ts';

const root = mkdtempSync(join(tmpdir(), 'vcm-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Names as hostile as a scenario file or a server could make them.
const EVIL = '<script>alert("x")</script>&<img src=x onerror=alert(1)>';
const VARIANTS: SyntheticVariant[] = [
  {
    name: `fp16 ${EVIL}`,
    thetaMaxTokPerS: 2000,
    sharpness: 4,
    deliveryRatio: 1,
    promptTokens: 256,
    requestedOutputTokens: 128,
    gpuHourlyUsd: 6.98,
    gpus: 1,
  },
  {
    name: 'fp8',
    thetaMaxTokPerS: 3000,
    sharpness: 3,
    deliveryRatio: 1,
    promptTokens: 256,
    requestedOutputTokens: 128,
    gpuHourlyUsd: 6.98,
    gpus: 1,
  },
];

let analysis: RunAnalysis;
let written: WrittenReport;
beforeAll(async () => {
  const dir = join(root, 'run');
  await writeSyntheticRun({
    dir,
    scenarioName: `demo ${EVIL}`,
    measuredSeconds: 20,
    ratesRps: [1, 2, 4, 8, 16, 32, 64],
    variants: VARIANTS,
    slo: {
      ttftMs: { percentile: 99, maxMs: 400 },
      tpotMs: { percentile: 99, maxMs: 60 },
      attainment: 0.9,
    },
  });
  analysis = await analyzeRun(dir);
  written = await writeReport(analysis, join(dir, 'analysis'));
}, 120_000);

/** Width and height from a PNG's IHDR chunk. */
function pngSize(path: string): { width: number; height: number } {
  const buf = readFileSync(path);
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

describe('report files', () => {
  it('writes one SVG and one PNG per figure (PNG at 2× the 1000 × 560 SVG)', () => {
    const ids = figureSpecs(analysis).map((f) => f.id);
    expect(ids).toEqual([
      'cost-vs-load',
      'throughput-vs-load',
      'latency-ttft',
      'latency-tpot',
      'latency-e2e',
      'penalty-vs-load',
      'variant-comparison',
    ]);
    for (const id of ids) {
      const svg = readFileSync(join(written.outDir, 'figures', `${id}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(pngSize(join(written.outDir, 'figures', `${id}.png`))).toEqual({
        width: 2000,
        height: 1120,
      });
    }
  });

  it('is self-contained: no script, no external resource, hostile names escaped', () => {
    const html = readFileSync(written.reportHtml, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    // url(#…) are the SVG's own clip paths; anything else would be fetched.
    expect(html).not.toMatch(/<link|@import|url\((?!#)|src=["']?https?:/i);
    // The only http(s) strings are SVG namespace names, which browsers never fetch.
    const urls = html.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
    expect(urls.every((u) => u.startsWith('http://www.w3.org/'))).toBe(true);
    expect(html).toContain(escapeHtml(EVIL));
    expect(html).toContain('θ(λ) = a·θmax / (aⁿ + θmaxⁿ)^(1/n)');
    expect((html.match(/<figure /g) ?? []).length).toBe(7);
  });

  it('the cost table CSV carries the analysis numbers at full precision', () => {
    const lines = readFileSync(written.costTableCsv, 'utf8').trim().split('\n');
    const header = lines[0]?.split(',') ?? [];
    const col = header.indexOf('c_eff_usd_per_mtok');
    const fp8At1 = lines.find((l) => l.startsWith('fp8,1,'));
    const p = analysis.variants[1]?.points[0];
    expect(Number(fp8At1?.split(',')[col])).toBe(p?.cost.cEffUsdPerMTok);
  });
});

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.warn(`report render test skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
}

describe.skipIf(!existsSync(CHROMIUM))('report in headless Chromium', () => {
  it('renders every figure with no console error and no network request', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning')
          problems.push(`${msg.type()}: ${msg.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) requests.push(req.url());
      });
      await page.goto(pathToFileURL(written.reportHtml).href, { waitUntil: 'load' });

      const figures = await page.$$eval('figure[data-figure]', (nodes) =>
        nodes.map((node) => {
          const svg = node.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            id: node.getAttribute('data-figure'),
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            paths: svg?.querySelectorAll('path').length ?? 0,
            texts: svg?.querySelectorAll('text').length ?? 0,
          };
        }),
      );
      expect(figures.map((f) => f.id)).toEqual(figureSpecs(analysis).map((f) => f.id));
      for (const f of figures) {
        // Laid out at the page's width and the figure's 1000 × 560 aspect, with drawn content.
        expect(f.width).toBeGreaterThan(800);
        expect(f.height / f.width).toBeCloseTo(0.56, 2);
        expect(f.paths).toBeGreaterThan(10);
        expect(f.texts).toBeGreaterThan(5);
      }
      expect(await page.title()).toContain('demo <script>');
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
