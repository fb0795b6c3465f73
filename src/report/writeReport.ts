/**
 * Writes everything `analyze` produces into one folder: analysis.json, cost-table.csv,
 * figures/<id>.svg and .png, report.html.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysisToJson } from '../analysis/analyzeRun.ts';
import type { RunAnalysis } from '../analysis/types.ts';
import { ioError } from '../util/errors.ts';
import { ensureFolder } from '../util/folders.ts';
import { costTableCsv } from './costTable.ts';
import { figureSpecs, renderFigures } from './figures.ts';
import { buildHtmlReport } from './html.ts';

export interface WrittenReport {
  outDir: string;
  analysisJson: string;
  costTableCsv: string;
  reportHtml: string;
  figures: string[];
}

function write(path: string, data: string | Buffer): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    throw ioError(`${path}: cannot write (${(err as Error).message})`, err);
  }
}

export async function writeReport(analysis: RunAnalysis, outDir: string): Promise<WrittenReport> {
  const figuresDir = join(outDir, 'figures');
  ensureFolder(figuresDir); // and outDir, its parent

  const paths: WrittenReport = {
    outDir,
    analysisJson: join(outDir, 'analysis.json'),
    costTableCsv: join(outDir, 'cost-table.csv'),
    reportHtml: join(outDir, 'report.html'),
    figures: [],
  };
  write(paths.analysisJson, analysisToJson(analysis));
  write(paths.costTableCsv, costTableCsv(analysis));

  const figures = await renderFigures(figureSpecs(analysis));
  for (const figure of figures) {
    const base = join(figuresDir, figure.id);
    write(`${base}.svg`, figure.svg);
    write(`${base}.png`, figure.png);
    paths.figures.push(`${base}.svg`, `${base}.png`);
  }
  write(paths.reportHtml, buildHtmlReport(analysis, figures));
  return paths;
}
