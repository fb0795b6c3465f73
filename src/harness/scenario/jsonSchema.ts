/**
 * schema/scenario.schema.json, generated from the zod definitions so editors complete and check
 * scenario files (`# yaml-language-server: $schema=…`). scripts/gen-schema.ts writes it; a test
 * fails when the committed file is stale.
 */

import * as z from 'zod';
import { scenarioSchema } from './schema.ts';

export const SCHEMA_ID =
  'https://github.com/vllm-cost-meter/vllm-cost-meter/schema/scenario.schema.json';

/** The JSON Schema text, as committed (input shape: defaults are optional). */
export function scenarioJsonSchemaText(): string {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
  const doc = {
    ...schema,
    $id: SCHEMA_ID,
    title: 'vllm-cost-meter scenario',
    description:
      'A load sweep against an OpenAI-compatible server: workload, rates, SLOs, pricing and ' +
      'server variants. Generated from src/harness/scenario/schema.ts; do not edit.',
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
