/**
 * Chart rendering without a browser: ECharts renders an option object to an SVG string on the
 * server, and resvg rasterises that SVG to PNG with the font shipped in assets/fonts, so figures
 * look the same on every machine. ECharts is imported lazily (it takes ~0.8 s to load).
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Font } from 'opentype.js';

export const FONT_FAMILY = 'DejaVu Sans';
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) =>
  fileURLToPath(new URL(`../../assets/fonts/${file}`, import.meta.url)),
);

export interface RenderOptions {
  widthPx?: number;
  heightPx?: number;
  /** PNG scale factor over the SVG size (2 = crisp when printed). */
  pngScale?: number;
}

export interface RenderedChart {
  svg: string;
  png: Buffer;
}

type EChartsModule = typeof import('echarts');
let echartsPromise: Promise<EChartsModule> | null = null;

/**
 * ECharts lays out legends and labels from text widths it measures itself; without a canvas it
 * guesses, and resvg then draws the real font wider, so labels collide. Measure with the glyph
 * advances of the very font resvg draws with.
 */
async function loadECharts(): Promise<EChartsModule> {
  echartsPromise ??= (async () => {
    const [echarts, { default: opentype }] = await Promise.all([
      // One pre-bundled file: loading the package's module tree costs ~2 s under tsx.
      import('echarts/dist/echarts.esm.min.mjs') as Promise<EChartsModule>,
      import('opentype.js'),
    ]);
    const toArrayBuffer = (file: string) => {
      const bytes = readFileSync(file);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    };
    const [regular, bold] = FONT_FILES.map((file) => opentype.parse(toArrayBuffer(file)));
    // Per-character advances, cached: opentype.js's shaper rejects DejaVu's ccmp lookups, and
    // chart labels need neither kerning nor ligatures to be laid out.
    const advanceEm = new Map<string, number>();
    const widthEm = (face: Font, key: string, text: string) => {
      let total = 0;
      for (const char of text) {
        const cacheKey = key + char;
        let em = advanceEm.get(cacheKey);
        if (em === undefined) {
          em = (face.charToGlyph(char).advanceWidth ?? face.unitsPerEm * 0.6) / face.unitsPerEm;
          advanceEm.set(cacheKey, em);
        }
        total += em;
      }
      return total;
    };
    echarts.setPlatformAPI({
      measureText(text: string, font?: string) {
        const sizePx = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? '')?.[1] ?? 12);
        const isBold = /\b(bold|[6-9]00)\b/.test(font ?? '');
        const face = (isBold ? bold : regular) ?? regular;
        return { width: widthEm(face as Font, isBold ? 'b' : 'r', text) * sizePx };
      },
    });
    return echarts;
  })();
  return echartsPromise;
}

/** Renders an ECharts option to SVG. Animation is forced off: SSR draws one frame. */
export async function renderSvg(option: object, options: RenderOptions = {}): Promise<string> {
  const echarts = await loadECharts();
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: options.widthPx ?? 880,
    height: options.heightPx ?? 520,
  });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: FONT_FAMILY },
      ...option,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** Rasterises an SVG string to PNG with the shipped font only (no system fonts). */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
  });
  return resvg.render().asPng();
}

export async function renderChart(
  option: object,
  options: RenderOptions = {},
): Promise<RenderedChart> {
  const svg = await renderSvg(option, options);
  return { svg, png: await svgToPng(svg, options.pngScale ?? 2) };
}
