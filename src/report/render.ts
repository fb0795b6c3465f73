/**
 * Chart rendering without a browser: ECharts renders an option object to an SVG string on the
 * server, and resvg rasterises that SVG to PNG with the font shipped in assets/fonts, so figures
 * look the same on every machine. ECharts is imported lazily (it takes ~0.8 s to load).
 */

import { fileURLToPath } from 'node:url';

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
const loadECharts = () => {
  echartsPromise ??= import('echarts');
  return echartsPromise;
};

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
