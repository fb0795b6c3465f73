/**
 * The `paper` command's work: data folder in; headline.json, one SVG and PNG per figure and
 * index.html out. Rendering is the only slow part (ECharts loads lazily), so callers that only
 * want numbers call computeHeadline directly.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart } from '../report/render.ts';
import { ioError } from '../util/errors.ts';
import { ensureFolder } from '../util/folders.ts';
import { buildCurves } from './curves.ts';
import type { PaperData } from './data.ts';
import { paperFigures } from './figures/index.ts';
import { computeHeadline, type Headline } from './headline.ts';
import { renderIndexHtml } from './html.ts';

export interface PaperOutputs {
  headline: Headline;
  /** Every file written, relative to the output folder. */
  files: string[];
}

function write(dir: string, name: string, content: string | Buffer): void {
  try {
    writeFileSync(join(dir, name), content);
  } catch (err) {
    throw ioError(`cannot write ${join(dir, name)}`, err);
  }
}

export async function writePaperOutputs(
  data: PaperData,
  outDir: string,
  onFigure: (id: string, file: string) => void = () => {},
): Promise<PaperOutputs> {
  ensureFolder(outDir);
  const curves = buildCurves(data.runs);
  const headline = computeHeadline(data, curves);
  const files: string[] = [];

  const rendered = [];
  for (const figure of paperFigures(data, curves)) {
    const chart = await renderChart(figure.option, {
      widthPx: figure.widthPx,
      heightPx: figure.heightPx,
    });
    write(outDir, `${figure.file}.svg`, chart.svg);
    write(outDir, `${figure.file}.png`, chart.png);
    files.push(`${figure.file}.svg`, `${figure.file}.png`);
    rendered.push({ ...figure, svg: chart.svg });
    onFigure(figure.id, join(outDir, `${figure.file}.png`));
  }

  write(outDir, 'headline.json', `${JSON.stringify(headline, null, 2)}\n`);
  write(outDir, 'index.html', renderIndexHtml(headline, curves, rendered));
  files.push('headline.json', 'index.html');
  return { headline, files };
}
