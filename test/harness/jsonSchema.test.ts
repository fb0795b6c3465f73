import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchemaText } from '../../src/harness/scenario/jsonSchema.ts';

describe('schema/scenario.schema.json', () => {
  it('is what scripts/gen-schema generates from the zod definitions (rerun it if not)', () => {
    const committed = readFileSync(
      new URL('../../schema/scenario.schema.json', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(scenarioJsonSchemaText());
  });

  it('rejects unknown fields and requires the essentials, like the loader', () => {
    const schema = JSON.parse(scenarioJsonSchemaText()) as {
      additionalProperties: boolean;
      required: string[];
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['name', 'workload', 'sweep', 'pricing']);
  });
});
