import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/harness/records.ts';
import { escapeHtml } from '../../src/report/format.ts';
import { runCli } from '../helpers/cli.ts';
import { type SyntheticVariant, writeSyntheticRun } from '../helpers/runDir.ts';
import { PAPER_DIR, SKIP_NOTE } from '../paper/helpers.ts';

/**
 * HTML reports escape every string that came from a scenario, a server or a data file. The
 * strings below try to run script four ways (a script element, an event handler on an image,
 * an SVG onload, breaking out of the title); each sets window.__pwned to say which one ran.
 * Checked in the HTML text, in every inlined SVG, and in headless Chromium.
 */

const EVIL = {
  variant: `v <script>window.__pwned='variant'</script>`,
  scenario: `</title><script>window.__pwned='scenario'</script>`,
  model: `<img src=x onerror="window.__pwned='model'">`,
  version: `<svg onload="window.__pwned='version'"></svg>`,
  quantization: `"><img src=x onerror="window.__pwned='quantization'">`,
};

const work = mkdtempSync(join(tmpdir(), 'vcm-rel-html-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Tags that would run something: a script element, or any tag with an on… handler. */
function activeTags(html: string): string[] {
  const tags = html.match(/<[a-zA-Z][^>]*>/g) ?? [];
  return tags.filter((t) => /^<script/i.test(t) || /\son[a-z]+\s*=/i.test(t));
}

/** SVG documents inlined as data: URLs (the paper page), decoded. */
const dataSvgs = (html: string) =>
  [...html.matchAll(/src="data:image\/svg\+xml;base64,([^"]+)"/g)].map((m) =>
    Buffer.from(m[1] as string, 'base64').toString('utf8'),
  );

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`HTML escaping in Chromium skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
}

/** Opens a file in headless Chromium: did any script run, and what text does the page show? */
async function openInChromium(file: string) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.waitForTimeout(200);
    // Expressions as strings: this project's TypeScript has no DOM types.
    return {
      pwned: (await page.evaluate('window.__pwned ?? null')) as string | null,
      scripts: (await page.evaluate('document.scripts.length')) as number,
      text: (await page.evaluate('document.body.innerText')) as string,
      title: await page.title(),
      dialogs,
    };
  } finally {
    await browser.close();
  }
}

describe('analyze report.html', () => {
  let html = '';
  let report = '';

  beforeAll(async () => {
    const dir = join(work, 'run');
    const variant: SyntheticVariant = {
      name: EVIL.variant,
      thetaMaxTokPerS: 2000,
      sharpness: 4,
      deliveryRatio: 1,
      promptTokens: 256,
      requestedOutputTokens: 128,
      gpuHourlyUsd: 6.98,
      gpus: 1,
    };
    await writeSyntheticRun({
      dir,
      scenarioName: EVIL.scenario,
      measuredSeconds: 10,
      ratesRps: [1, 4, 16, 64],
      variants: [variant, { ...variant, name: 'plain' }],
    });
    // What a hostile server would report about itself, as the runner records it.
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as RunManifest;
    for (const v of manifest.variants) {
      Object.assign(v, { model: EVIL.model, serverVersion: EVIL.version });
      v.quantization = EVIL.quantization;
    }
    writeFileSync(path, JSON.stringify(manifest));
    const r = await runCli(['analyze', dir], { timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    report = join(dir, 'analysis', 'report.html');
    html = readFileSync(report, 'utf8');
  }, 150_000);

  it('shows every hostile string as text, escaped, and carries no active tag', () => {
    for (const [where, text] of Object.entries(EVIL)) {
      expect(html.includes(escapeHtml(text)), `${where} escaped`).toBe(true);
    }
    expect(activeTags(html)).toEqual([]);
  });

  it.skipIf(!hasChromium)(
    'the probe works: the same string unescaped does run (a control)',
    async () => {
      const control = join(work, 'control.html');
      writeFileSync(control, `<!DOCTYPE html><html><body>${EVIL.model}</body></html>`);
      expect((await openInChromium(control)).pwned).toBe('model');
    },
    60_000,
  );

  it.skipIf(!hasChromium)(
    'runs no script in Chromium, and shows the strings as text',
    async () => {
      const page = await openInChromium(report);
      expect(page.pwned).toBeNull();
      expect(page.scripts).toBe(0);
      expect(page.dialogs).toEqual([]);
      for (const text of [EVIL.variant, EVIL.model, EVIL.version])
        expect(page.text).toContain(text);
      expect(page.title).toContain(EVIL.scenario);
    },
    60_000,
  );
});

describe.skipIf(!PAPER_DIR)(`paper index.html${SKIP_NOTE}`, () => {
  let html = '';
  let index = '';

  beforeAll(async () => {
    // The paper's data with one configuration's model id replaced by a hostile one.
    const data = join(work, 'paper-data');
    const out = join(work, 'paper-out');
    const source = readFileSync(join(PAPER_DIR as string, 'master_results.csv'), 'utf8').split(
      '\n',
    );
    const header = (source[0] as string).split(',');
    const model = header.indexOf('model');
    const config = header.indexOf('config');
    const rows = source.map((line, i) => {
      const cells = line.split(',');
      if (i === 0 || cells[config] !== 'C1') return line;
      cells[model] = `"${EVIL.model.replaceAll('"', '""')}"`;
      return cells.join(',');
    });
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'master_results.csv'), rows.join('\n'));
    const r = await runCli(['paper', '--data', data, '--out', out], { timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    index = join(out, 'index.html');
    html = readFileSync(index, 'utf8');
  }, 150_000);

  it('escapes the model id in the page and in every figure', () => {
    expect(html).toContain(escapeHtml(EVIL.model));
    expect(
      activeTags(html).filter((t) => !/^<img src="data:image\/svg\+xml;base64,[^"]+"/.test(t)),
    ).toEqual([]);
    const svgs = dataSvgs(html);
    expect(svgs.length).toBeGreaterThan(3);
    expect(svgs.some((svg) => svg.includes(escapeHtml(EVIL.model)))).toBe(true);
    for (const svg of svgs) expect(activeTags(svg)).toEqual([]);
  });

  it.skipIf(!hasChromium)(
    'runs no script in Chromium',
    async () => {
      const page = await openInChromium(index);
      expect(page.pwned).toBeNull();
      expect(page.scripts).toBe(0);
      expect(page.dialogs).toEqual([]);
      expect(page.text).toContain(EVIL.model);
    },
    60_000,
  );
});
