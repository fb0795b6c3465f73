/**
 * The committed reference catalog is exactly what `paper --write-catalog` makes from the CSV, and
 * agrees with the companion repository's own reference_curves.yaml (which rounds θ_max and
 * C_naive) curve by curve.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CATALOG_FILE, loadReferenceCatalog } from '../../src/cost/referenceCurves.ts';
import { buildReferenceCatalog, catalogText } from '../../src/paper/catalog.ts';
import { buildCurves } from '../../src/paper/curves.ts';
import { loadPaperData } from '../../src/paper/data.ts';
import { PAPER_DIR, SKIP_NOTE } from './helpers.ts';

interface YamlCurve {
  engine: string;
  model_id: string;
  quantization: string;
  n_gpus: number;
  gpu_type: string;
  theta_max_tok_s: number;
  c_naive_per_mtok: number;
  source: string;
}

describe.skipIf(!PAPER_DIR)(`reference catalog regenerated from the CSV${SKIP_NOTE}`, () => {
  const data = PAPER_DIR ? loadPaperData(PAPER_DIR) : null;
  const generated = data ? buildReferenceCatalog(data, buildCurves(data.runs)) : (null as never);

  it('equals the committed src/cost/reference-curves.json byte for byte', () => {
    expect(catalogText(generated)).toBe(readFileSync(DEFAULT_CATALOG_FILE, 'utf8'));
  });

  it('matches the companion reference_curves.yaml on every curve (its values are rounded)', () => {
    const yaml = parse(
      readFileSync(join(PAPER_DIR as string, 'reference_curves.yaml'), 'utf8'),
    ) as {
      curves: YamlCurve[];
    };
    expect(yaml.curves).toHaveLength(20);
    for (const theirs of yaml.curves) {
      const ours = generated.curves.find(
        (c) =>
          c.engine === theirs.engine &&
          c.modelId === theirs.model_id &&
          c.precision === theirs.quantization &&
          c.gpus === theirs.n_gpus &&
          c.gpuClass === theirs.gpu_type,
      );
      expect(ours?.paperConfig, theirs.source).toBe(theirs.source.replace('paper-', ''));
      // The YAML keeps one decimal for vLLM/A100 curves and whole numbers for SGLang.
      expect(Math.abs((ours?.thetaMaxTokPerS ?? 0) - theirs.theta_max_tok_s)).toBeLessThanOrEqual(
        0.5,
      );
      // Its S1–S6 C_naive are rounded and off by up to 0.0005 (paper note §4).
      expect(Math.abs((ours?.cNaiveUsdPerMTok ?? 0) - theirs.c_naive_per_mtok)).toBeLessThanOrEqual(
        6e-4,
      );
    }
  });
});

describe('committed reference catalog', () => {
  const catalog = loadReferenceCatalog();

  it('holds the 20 curves with unique ids, each citing the paper and its config', () => {
    expect(catalog.curves).toHaveLength(20);
    expect(new Set(catalog.curves.map((c) => c.id)).size).toBe(20);
    for (const curve of catalog.curves) {
      expect(curve.citation).toContain('arXiv 2606.11690');
      expect(curve.citation).toContain(`config ${curve.paperConfig}`);
      expect(curve.workload.sloBound).toBeNull();
    }
  });

  it('is internally consistent: C_naive = node price·1e6/(3600·θ_max), θ_max = max point', () => {
    for (const c of catalog.curves) {
      const node = c.gpuHourlyUsd * c.gpus;
      expect(c.cNaiveUsdPerMTok).toBeCloseTo((node * 1e6) / (3600 * c.thetaMaxTokPerS), 12);
      expect(c.thetaMaxTokPerS).toBe(Math.max(...c.points.map((p) => p.outputTokPerS)));
    }
  });
});
