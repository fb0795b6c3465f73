import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DEFAULT_PAPER_DIR } from '../../src/paper/data.ts';

/** The shared data folder (../shared/paper next to the repo), or null when absent. */
export const PAPER_DIR = existsSync(join(DEFAULT_PAPER_DIR, 'master_results.csv'))
  ? DEFAULT_PAPER_DIR
  : null;

/** Suffix for suite names, so a skipped suite says why in the test report. */
export const SKIP_NOTE = PAPER_DIR
  ? ''
  : ` (skipped: ${DEFAULT_PAPER_DIR} is absent; these tests need the paper's CSVs)`;

/**
 * Actual and quoted agree to three significant figures: the actual value lies within half a unit
 * of the quoted value's third significant digit (36.34 matches 36.3; 36.1 does not). A tolerance
 * rather than comparing two roundings, which disagree at ties such as 4.005.
 */
export function expect3sf(actual: number | null | undefined, quoted: number): void {
  expect(actual).toBeTypeOf('number');
  const halfUnit = 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(quoted))) - 2);
  expect(Math.abs((actual as number) - quoted)).toBeLessThanOrEqual(halfUnit * (1 + 1e-9));
}

/**
 * Actual rounds to the quoted text at the text's own precision ("0.2091" → within 5e-5), which
 * is at least three significant figures for every value in the paper note's tables.
 */
export function expectQuoted(actual: number | null | undefined, quoted: string): void {
  expect(actual).toBeTypeOf('number');
  const decimals = quoted.includes('.') ? (quoted.split('.')[1] as string).length : 0;
  const tolerance = 0.5 * 10 ** -decimals * (1 + 1e-9);
  expect(Math.abs((actual as number) - Number(quoted))).toBeLessThanOrEqual(tolerance);
}
