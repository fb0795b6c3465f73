/**
 * The `paper` command as a user runs it: --json, --out (files, PNGs, index.html opened in
 * headless Chromium), --write-catalog, and one-line errors with exit 2 when data is missing.
 */

import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG_FILE } from '../../src/cost/referenceCurves.ts';
import { runCli } from '../helpers/cli.ts';
import { PAPER_DIR, SKIP_NOTE } from './helpers.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const FIGURES = [
  'r1-ceff-vs-load',
  'r2-penalty-vs-load',
  'r3-throughput-saturation',
  'r4-fp8-gain',
  'r5-active-params',
  'r6-vllm-vs-sglang',
  'r7-latency-vs-load',
  'r8-a100-cross-hardware',
  'r9a-stability',
  'r9b-workload-shapes',
  'r9c-prefix-and-burstiness',
];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const tmp = mkdtempSync(join(tmpdir(), 'paper-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('paper: missing data', () => {
  it('--data naming a folder without master_results.csv exits 2 with one line', async () => {
    const result = await runCli(['paper', '--json', '--data', tmp]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`${join(tmp, 'master_results.csv')} not found`);
    expect(result.stdout).toBe('');
  });

  it('no --data and no ../shared/paper beside the repo: exit 2 saying so', async () => {
    // A copy of the package whose parent folder has no shared/paper.
    const repo = join(tmp, 'lonely', 'repo');
    mkdirSync(repo, { recursive: true });
    for (const entry of ['bin', 'src', 'assets', 'package.json', 'tsconfig.json']) {
      cpSync(join(REPO, entry), join(repo, entry), { recursive: true });
    }
    symlinkSync(join(REPO, 'node_modules'), join(repo, 'node_modules'));
    const result = await execa('node', [join(repo, 'bin/vllm-cost-meter.js'), 'paper', '--json'], {
      reject: false,
      timeout: 60_000,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`no paper data at ${join(tmp, 'lonely', 'shared', 'paper')}`);
    expect(result.stderr).toContain('--data <dir>');
  });
});

describe.skipIf(!PAPER_DIR)(`paper on the shared data${SKIP_NOTE}`, () => {
  const out = join(tmp, 'out');
  let rendered: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    rendered = await runCli(['paper', '--out', out], { timeoutMs: 240_000 });
  }, 250_000);

  it('--json prints the headline object on stdout and nothing else', async () => {
    const result = await runCli(['paper', '--json']);
    expect(result.exitCode).toBe(0);
    const h = JSON.parse(result.stdout);
    expect(Number(h.h100CeffMin.toPrecision(3))).toBe(0.209);
    expect(h.h100CeffMax.toFixed(2)).toBe('15.25');
    expect(h.maxPenalty.config).toBe('C4');
    expect(Object.keys(h.thetaMax)).toHaveLength(20);
    expect(Object.keys(h.kneeRps)).toHaveLength(20);
    for (const key of ['penaltyAtRps1', 'fp8Gain', 'a100SpreadByConfig'])
      expect(h[key]).toBeTypeOf('object');
  });

  it('--out writes every figure as SVG and non-empty PNG, headline.json and index.html', () => {
    expect(rendered.exitCode, rendered.stderr).toBe(0);
    expect(rendered.stdout).toContain('wrote 24 files');
    for (const stem of FIGURES) {
      const svg = readFileSync(join(out, `${stem}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('2606.11690');
      const png = readFileSync(join(out, `${stem}.png`));
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(statSync(join(out, `${stem}.png`)).size).toBeGreaterThan(50_000);
    }
    const headline = JSON.parse(readFileSync(join(out, 'headline.json'), 'utf8'));
    expect(headline.maxPenalty.value.toFixed(1)).toBe('36.3');
  });

  it('index.html is one self-contained file: inline figures, no scripts, no remote loads', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html.match(/<img src="data:image\/svg\+xml;base64,/g)).toHaveLength(FIGURES.length);
    expect(html).not.toMatch(/<script|src="http|href="http[^"]*\.(css|js)"/i);
    expect(html).toContain("default-src 'none'");
  });

  it.skipIf(!CHROMIUM)(
    'index.html renders every figure in headless Chromium with no console errors',
    async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu'],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
        page.on('pageerror', (e) => problems.push(String(e)));
        page.on(
          'request',
          (r) => /^(file|data):/.test(r.url()) || problems.push(`request ${r.url()}`),
        );
        await page.goto(`file://${join(out, 'index.html')}`);
        const widths = await page.$$eval('figure img', (images) =>
          images.map((img) => (img as { naturalWidth: number }).naturalWidth),
        );
        expect(widths).toHaveLength(FIGURES.length);
        for (const width of widths) expect(width).toBeGreaterThan(900);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    90_000,
  );

  it('--write-catalog <file> writes the same catalog as the committed one', async () => {
    const file = join(tmp, 'catalog.json');
    const result = await runCli(['paper', '--write-catalog', file, '--json']);
    expect(result.exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(DEFAULT_CATALOG_FILE, 'utf8'));
  });

  it('a folder with only the primary CSV works, warning that R9 files are missing', async () => {
    const only = join(tmp, 'primary-only');
    mkdirSync(only, { recursive: true });
    cpSync(join(PAPER_DIR as string, 'master_results.csv'), join(only, 'master_results.csv'));
    const result = await runCli(['paper', '--json', '--data', only]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('companion file missing');
    const h = JSON.parse(result.stdout);
    expect(h.shapes).toBeNull();
    expect(h.stability).toBeNull();
    expect(h.counts.runs).toBe(140);
  });
});
