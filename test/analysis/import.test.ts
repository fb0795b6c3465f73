import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../../src/analysis/analyzeRun.ts';
import { classifyBenchError } from '../../src/analysis/import/vllmBench.ts';
import { writeImported } from '../../src/analysis/import/writeImported.ts';
import type { Pricing } from '../../src/harness/records.ts';
import { runCli } from '../helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'vcm-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const H100: Pricing = { gpuClass: 'h100', gpuHourlyUsd: 6.98, gpus: 1, source: 'test' };
let n = 0;
const outDir = () => join(root, `out-${n++}`);

function writeJson(name: string, value: unknown): string {
  const path = join(root, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

/** A vllm bench serve result with the keys of notes/vllm.md §5.4, summary only. */
function benchSummary(over: Record<string, unknown> = {}) {
  return {
    date: '20261203-120000',
    endpoint_type: 'openai',
    backend: 'openai',
    label: null,
    model_id: 'org/model',
    tokenizer_id: 'org/model',
    num_prompts: 100,
    request_rate: 4,
    burstiness: 1,
    max_concurrency: null,
    duration: 25,
    completed: 100,
    failed: 0,
    total_input_tokens: 51200,
    total_output_tokens: 12800,
    request_throughput: 4,
    request_goodput: null,
    output_throughput: 512,
    total_token_throughput: 2560,
    max_output_tokens_per_s: 700,
    max_concurrent_requests: 12,
    mean_ttft_ms: 80,
    median_ttft_ms: 75,
    std_ttft_ms: 10,
    p99_ttft_ms: 140,
    mean_tpot_ms: 20,
    median_tpot_ms: 19,
    std_tpot_ms: 2,
    p99_tpot_ms: 30,
    mean_itl_ms: 20,
    median_itl_ms: 19,
    std_itl_ms: 3,
    p99_itl_ms: 40,
    ...over,
  };
}

describe('import: vllm bench serve', () => {
  it('gives the cost figures computed by hand from the file’s fields', async () => {
    const file = writeJson('bench-4qps.json', benchSummary());
    const dir = outDir();
    writeImported([file], { outDir: dir, pricing: H100 });
    expect(existsSync(join(dir, 'requests.jsonl'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.importedFrom).toEqual({ tool: 'vllm bench serve', files: [file] });

    const a = await analyzeRun(dir);
    const p = a.variants[0]?.points[0];
    expect(a.variants[0]?.name).toBe('org/model');
    expect(p?.rateRps).toBe(4);
    // θ = total_output_tokens / duration = 12800 / 25 = 512 tok/s (= output_throughput).
    // C_eff = 6.98 × 1e6 / (3600 × 512) = 3.786892 $/M output tokens.
    expect(p?.outputTokPerS.mean).toBe(512);
    expect(p?.cost.cEffUsdPerMTok).toBeCloseTo(3.7868923611111, 10);
    // Input: 51200 / 25 = 2048 tok/s → 6.98e6 / (3600 × 2048) = 0.946723 $/M.
    expect(p?.cost.usdPerMInputTok).toBeCloseTo(0.94672309027778, 10);
    // Per request: completed / duration = 4 req/s → 6.98 / (3600 × 4) = 0.000484722 $.
    expect(p?.cost.usdPerRequest).toBeCloseTo(0.00048472222222, 12);
    // Offered output tokens: λ × mean delivered length = 4 × 128 = 512 tok/s.
    expect(p?.offeredOutputTokPerS).toBe(512);
    expect(p?.latencyMs.ttftP99).toBe(140);
    expect(p?.latencyMs.tpotP50).toBe(19);
  });

  it('with --save-detailed arrays writes requests.jsonl and recomputes TPOT and E2E', async () => {
    // Two requests sent at t=0 and t=0.5 s; request 0: TTFT 0.1 s, 4 tokens in chunks with gaps
    // 0.02, 0.03, 0.05 s → E2E = 0.1 + 0.1 = 0.2 s, TPOT = (200 − 100)/(4 − 1) = 33.33 ms.
    // Request 1 failed (empty output, reason phrase): it counts against attainment.
    const file = writeJson(
      'bench-detail.json',
      benchSummary({
        num_prompts: 2,
        completed: 1,
        failed: 1,
        duration: 2,
        total_input_tokens: 10,
        total_output_tokens: 4,
        input_lens: [10, 12],
        output_lens: [4, 0],
        ttfts: [0.1, 0],
        itls: [[0.02, 0.03, 0.05], []],
        start_times: [100.0, 100.5],
        generated_texts: ['abcd', ''],
        errors: ['', 'Service Unavailable'],
      }),
    );
    const dir = outDir();
    const summary = writeImported([file], { outDir: dir, pricing: H100, variant: 'tiny' });
    expect(summary.requests).toBe(2);
    const a = await analyzeRun(dir, {
      slo: { ttftMs: { percentile: 99, maxMs: 150 }, attainment: 0.5 },
    });
    const step = a.steps[0];
    expect(step?.source).toBe('requests');
    expect(step?.latency.tpotMs.p50Ms).toBeCloseTo(100 / 3, 9);
    expect(step?.latency.e2eMs.p50Ms).toBeCloseTo(200, 9);
    expect(step?.errorsByClass).toEqual({ http_5xx: 1 });
    // θ = 4 tokens / 2 s = 2 tok/s; attainment 1 good of 2 measured = 0.5.
    expect(step?.outputTokPerS).toBe(2);
    expect(step?.slo?.attainment).toBe(0.5);
  });

  it('groups files into one variant, sorted by λ, equal λ as repeats', async () => {
    const files = [
      writeJson('b8.json', benchSummary({ request_rate: 8, total_output_tokens: 25000 })),
      writeJson('b2.json', benchSummary({ request_rate: 2, total_output_tokens: 6400 })),
      writeJson('b2b.json', benchSummary({ request_rate: 2, total_output_tokens: 6600 })),
    ];
    const dir = outDir();
    const { steps } = writeImported(files, { outDir: dir, pricing: H100 });
    expect(steps.map((s) => [s.rateRps, s.stepIndex, s.repeat])).toEqual([
      [2, 0, 0],
      [2, 0, 1],
      [8, 1, 0],
    ]);
    const a = await analyzeRun(dir);
    // λ=2: mean θ of 6400/25 = 256 and 6600/25 = 264 → 260 tok/s.
    expect(a.variants[0]?.points[0]?.outputTokPerS.mean).toBe(260);
    expect(readFileSync(join(dir, 'steps.csv'), 'utf8').split('\n')[0]).toMatch(
      /^variant,step_index/,
    );
    expect(() => writeImported(files, { outDir: dir, pricing: H100 })).toThrow(
      /already holds a run/,
    );
  });

  it('reads request_rate "inf" as the completion rate and says so', () => {
    const file = writeJson('inf.json', benchSummary({ request_rate: 'inf' }));
    const { steps } = writeImported([file], { outDir: outDir(), pricing: H100 });
    expect(steps[0]?.rateRps).toBe(4);
    expect(steps[0]?.statusReason).toMatch(/inf/);
  });

  it('names the file and field of what it cannot read', () => {
    const bad = writeJson('bad.json', { hello: 1 });
    expect(() => writeImported([bad], { outDir: outDir(), pricing: H100 })).toThrow(
      /bad\.json: neither a vllm bench serve result/,
    );
    const noDuration = writeJson('nodur.json', benchSummary({ duration: 'x' }));
    expect(() => writeImported([noDuration], { outDir: outDir(), pricing: H100 })).toThrow(
      /nodur\.json: field 'duration' must be a number/,
    );
  });

  it('an empty file: exit 2 with one line naming it, and no folder left behind', async () => {
    const empty = join(root, 'zero.json');
    writeFileSync(empty, '');
    const out = outDir();
    const r = await runCli(['import', empty, '--gpu', 'h100', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`vllm-cost-meter: ${empty}: empty file`);
    expect(existsSync(out)).toBe(false);

    // Blank lines only (as --append-result leaves after a failed run) are just as empty.
    writeFileSync(empty, '\n \n');
    expect(() => writeImported([empty], { outDir: out, pricing: H100 })).toThrow(
      `${empty}: empty file`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('classifies vLLM error texts', () => {
    expect(classifyBenchError('Service Unavailable')).toBe('http_5xx');
    expect(classifyBenchError('Bad Request')).toBe('http_4xx');
    expect(classifyBenchError('Too Many Requests')).toBe('http_429');
    expect(classifyBenchError('ServerDisconnectedError')).toBe('reset');
  });
});

const FIXTURES = new URL('../fixtures/vllm-0.32.0/', import.meta.url).pathname;
const realFiles = existsSync(FIXTURES)
  ? readdirSync(FIXTURES).filter((f) => /^bench-serve-.*\.json$/.test(f))
  : [];

describe.skipIf(realFiles.length === 0)('import: a real vLLM 0.32.0 bench serve result', () => {
  it.each(realFiles)(
    '%s: C_eff from output_throughput, θ recomputed from the arrays',
    async (name) => {
      const file = join(FIXTURES, name);
      const json = JSON.parse(readFileSync(file, 'utf8'));
      const dir = outDir();
      writeImported([file], { outDir: dir, pricing: H100 });
      const a = await analyzeRun(dir);
      const p = a.variants[0]?.points[0];
      // vLLM: output_throughput = Σ output tokens of successful requests / duration.
      const theta = json.total_output_tokens / json.duration;
      expect(theta).toBeCloseTo(json.output_throughput, 9);
      expect(p?.outputTokPerS.mean).toBeCloseTo(json.output_throughput, 9);
      expect(p?.cost.cEffUsdPerMTok).toBeCloseTo((6.98 * 1e6) / (3600 * json.output_throughput), 9);
      expect(p?.cost.usdPerRequest).toBeCloseTo(6.98 / (3600 * json.request_throughput), 12);
      // Our TTFT median from the arrays equals vLLM's own.
      expect(a.steps[0]?.latency.ttftMs.p50Ms).toBeCloseTo(json.median_ttft_ms, 6);
      if (Array.isArray(json.latencies)) {
        expect(a.steps[0]?.latency.e2eMs.meanMs).toBeCloseTo(json.mean_e2el_ms, 6);
      }
      expect(a.steps[0]?.latency.tpotMs.meanMs).toBeCloseTo(json.mean_tpot_ms, 6);
    },
  );
});

describe('import: GuideLLM report', () => {
  /** Shape of GenerativeBenchmarksReport (guidellm src/guidellm/benchmark/schemas/generative). */
  const dist = (
    mean: number,
    p50: number,
    p99: number,
    count: number,
    totalSum = mean * count,
  ) => ({
    successful: {
      mean,
      median: p50,
      mode: p50,
      variance: 1,
      std_dev: 1,
      min: 0,
      max: p99 * 1.1,
      count,
      total_sum: totalSum,
      percentiles: {
        p001: 0,
        p01: 0,
        p05: 0,
        p10: 0,
        p25: 0,
        p50,
        p75: 0,
        p90: p99 * 0.9,
        p95: 0,
        p99,
        p999: 0,
      },
    },
    incomplete: { mean: 0, median: 0, max: 0, count: 0, total_sum: 0, percentiles: {} },
    errored: { mean: 0, median: 0, max: 0, count: 0, total_sum: 0, percentiles: {} },
  });
  const benchmark = (type: string, rate: number | null, outputTotal: number) => ({
    type_: 'generative_benchmark',
    config: { strategy: { type_: type, ...(rate === null ? {} : { rate }) } },
    start_time: 1_780_000_000,
    end_time: 1_780_000_030,
    duration: 30,
    metrics: {
      request_totals: { successful: 60, incomplete: 0, errored: 0, total: 60 },
      requests_per_second: dist(2, 2, 3, 60),
      request_concurrency: dist(5, 5, 9, 60),
      request_latency: dist(2.5, 2.4, 4, 60),
      prompt_token_count: dist(512, 512, 512, 60),
      output_token_count: dist(
        outputTotal / 60,
        outputTotal / 60,
        outputTotal / 60,
        60,
        outputTotal,
      ),
      time_to_first_token_ms: dist(90, 85, 200, 60),
      time_per_output_token_ms: dist(15, 14, 25, 60),
      inter_token_latency_ms: dist(15, 14, 25, 60),
    },
  });

  it('reads each benchmark as a step, θ from output tokens over the duration', async () => {
    const file = writeJson('guidellm.json', {
      args: { model: 'org/guided' },
      benchmarks: [benchmark('constant', 2, 7680), benchmark('synchronous', null, 3000)],
    });
    const dir = outDir();
    const { steps } = writeImported([file], { outDir: dir, pricing: { ...H100, gpus: 2 } });
    // synchronous: no set rate → λ is the achieved requests_per_second mean (2), with a note.
    expect(steps.map((s) => s.statusReason === null)).toEqual([true, false]);
    const a = await analyzeRun(dir);
    expect(a.variants[0]?.name).toBe('org/guided');
    const step = a.steps.find((s) => s.statusReason === null);
    // θ = 7680 tokens / 30 s = 256 tok/s on 2 × H100: C_eff = 13.96e6 / (3600 × 256) = 15.1476.
    expect(step?.outputTokPerS).toBe(256);
    expect(step?.cost.cEffUsdPerMTok).toBeCloseTo(15.147569444444, 9);
    // request_latency is in seconds: p99 4 s → 4000 ms.
    expect(step?.latency.e2eMs.p99Ms).toBe(4000);
    expect(step?.latency.ttftMs.p50Ms).toBe(85);
  });
});
