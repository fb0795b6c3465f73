/** The matcher picks the curve of the same model, precision, GPU class and count, and engine. */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CurveQuery,
  loadReferenceCatalog,
  matchReferenceCurve,
  modelKey,
  normaliseGpu,
  normalisePrecision,
} from '../../src/cost/referenceCurves.ts';

const config = (query: CurveQuery) => {
  const result = matchReferenceCurve(query);
  return result.kind === 'match' ? result.curve.paperConfig : null;
};

describe('matchReferenceCurve', () => {
  it('finds C1 from another org prefix, a bf16 dtype and an nvidia-smi GPU name', () => {
    const result = matchReferenceCurve({
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      precision: 'bfloat16',
      gpu: 'NVIDIA H100 80GB HBM3',
      gpus: 1,
      engine: 'vllm',
    });
    expect(result.kind).toBe('match');
    if (result.kind !== 'match') return;
    expect(result.curve.paperConfig).toBe('C1');
    expect(result.why.join('\n')).toContain("precision float16 (from 'bfloat16')");
  });

  it('reads FP8 from a pre-quantised checkpoint name even when the dtype says auto', () => {
    const query = { model: 'RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8', precision: 'auto', gpus: 1 };
    expect(config({ ...query, gpu: 'h100', engine: 'vllm' })).toBe('C2');
    expect(
      config({
        ...query,
        model: '/models/Qwen3-30B-A3B-Instruct-2507-FP8',
        gpu: 'h100',
        engine: 'vllm',
      }),
    ).toBe('C4');
  });

  it('never crosses hardware or engines: the model on A100 or SGLang gets its own curve', () => {
    const llama = { model: 'Meta-Llama-3.1-8B-Instruct', gpus: 1 };
    expect(config({ ...llama, precision: 'fp8', gpu: 'A100_80GB_PCIe', engine: 'vllm' })).toBe(
      'A2',
    );
    expect(config({ ...llama, precision: 'fp8', gpu: 'h100', engine: 'sglang' })).toBe('S2');
    expect(
      config({ ...llama, precision: 'float16', gpu: 'NVIDIA A100 80GB PCIe', engine: 'sglang' }),
    ).toBe('AS1');
    const mixtral = {
      model: 'MISTRALAI/mixtral-8x7b-instruct-v0.1',
      precision: 'fp16',
      gpu: 'a100',
    };
    expect(config({ ...mixtral, gpus: 4, engine: 'vllm' })).toBe('M3');
    expect(config({ ...mixtral, gpus: 2, engine: 'vllm' })).toBe('M1');
    expect(config({ ...mixtral, gpus: 2, engine: 'sglang' })).toBe('M2');
  });

  it('answers none, listing what differs, when the setup was not measured', () => {
    const result = matchReferenceCurve({
      model: 'llama-3.1-8b',
      precision: 'fp8',
      gpu: 'a100',
      gpus: 1,
      engine: 'sglang',
    });
    expect(result.kind).toBe('none');
    if (result.kind !== 'none') return;
    const a2 = result.candidates.find((c) => c.curve.paperConfig === 'A2');
    expect(a2?.differs).toEqual(['engine vllm ≠ sglang']);
    expect(result.candidates.every((c) => c.differs.length > 0)).toBe(true);

    const tp2 = matchReferenceCurve({
      model: 'llama-3.1-8b',
      precision: 'fp16',
      gpu: 'h100',
      gpus: 2,
      engine: 'vllm',
    });
    expect(tp2.kind).toBe('none');
    expect(tp2.why.join('\n')).toContain('GPU count 1 ≠ 2');
  });

  it('answers none when unknown fields leave several curves, naming the dimensions', () => {
    const result = matchReferenceCurve({ model: 'llama-3.1-8b' });
    expect(result.kind).toBe('none');
    const why = result.why.join('\n');
    // Llama-3.1-8B was measured as C1, C2, S1, S2, A1, A2 and AS1.
    expect(why).toContain('7 curves fit');
    expect(why).toContain('engine (vllm, sglang)');
    expect(why).toContain('GPU class (h100, a100)');
  });

  it('accepts an unknown field when every remaining curve agrees on it, and says so', () => {
    // Mixtral FP8 under vLLM was measured only on 2×H100 (C6).
    const result = matchReferenceCurve({
      model: 'mixtral-8x7b-instruct',
      precision: 'fp8',
      engine: 'vllm',
    });
    expect(result.kind).toBe('match');
    if (result.kind !== 'match') return;
    expect(result.curve.paperConfig).toBe('C6');
    expect(result.why.join('\n')).toContain('GPU class not given');
  });

  it('answers none for a model or precision the paper did not measure', () => {
    const other = matchReferenceCurve({
      model: 'Qwen/Qwen2.5-7B-Instruct',
      precision: 'fp16',
      gpu: 'h100',
    });
    expect(other.kind).toBe('none');
    expect(other.why[0]).toContain('the paper measured meta-llama/Meta-Llama-3.1-8B-Instruct');
    const awq = matchReferenceCurve({
      model: 'llama-3.1-8b',
      precision: 'awq',
      gpu: 'h100',
      gpus: 1,
      engine: 'vllm',
    });
    expect(awq.kind).toBe('none');
    expect(awq.why.join('\n')).toContain('the paper measured only float16 and fp8');
  });
});

describe('normalisers', () => {
  it('model keys ignore org, path, case, separators and an FP8 suffix', () => {
    expect(modelKey('meta-llama/Meta-Llama-3.1-8B-Instruct')).toEqual({
      key: 'metallama3.18binstruct',
      fp8InName: false,
    });
    expect(modelKey('/srv/models/Meta-Llama-3.1-8B-Instruct-FP8-dynamic/')).toEqual({
      key: 'metallama3.18binstruct',
      fp8InName: true,
    });
  });

  it('precisions and GPU names', () => {
    expect(['fp16', 'BF16', 'half', 'auto'].map(normalisePrecision)).toEqual(
      Array(4).fill('float16'),
    );
    expect(['fp8', 'fp8_e4m3'].map(normalisePrecision)).toEqual(['fp8', 'fp8']);
    expect(normalisePrecision('gptq')).toBe('unsupported');
    expect(normaliseGpu('NVIDIA A100-SXM4-80GB')).toBe('a100');
    expect(normaliseGpu('NVIDIA A100-SXM4-40GB')).toBe('nvidia a100-sxm4-40gb');
    expect(normaliseGpu('H200')).toBe('h200');
  });
});

describe('loadReferenceCatalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file and the invalid field', () => {
    const file = join(dir, 'bad.json');
    const good = loadReferenceCatalog();
    const broken = structuredClone(good) as unknown as { curves: Array<Record<string, unknown>> };
    (broken.curves[3] as Record<string, unknown>).thetaMaxTokPerS = 'fast';
    writeFileSync(file, JSON.stringify(broken));
    expect(() => loadReferenceCatalog(file)).toThrow(`${file}: field 'curves.3.thetaMaxTokPerS'`);
    expect(() => loadReferenceCatalog(join(dir, 'missing.json'))).toThrow(/paper --write-catalog/);
  });
});
