/**
 * Regenerates schema/scenario.schema.json from the zod scenario schema.
 * Usage: scripts/gen-schema [--check]   (--check exits 1 when the file is stale)
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchemaText } from '../src/harness/scenario/jsonSchema.ts';

const target = fileURLToPath(new URL('../schema/scenario.schema.json', import.meta.url));
const text = scenarioJsonSchemaText();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    process.stderr.write(`${target} is stale: run scripts/gen-schema\n`);
    process.exit(1);
  }
  process.stdout.write(`${target} is up to date\n`);
} else {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
