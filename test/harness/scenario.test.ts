import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preflight } from '../../src/harness/probe.ts';
import { ScenarioError } from '../../src/harness/scenario/issues.ts';
import { loadScenario, parseScenarioText } from '../../src/harness/scenario/load.ts';
import { resolveScenario, sweepRates } from '../../src/harness/scenario/resolve.ts';

const FILE = 'scenarios/x.yaml';

/**
 * A valid scenario; each test breaks one line of it. Line numbers matter: keep the layout.
 * Columns are 1-based and point at the offending value, e.g. in
 * `  promptTokens: {kind: fixed, value: lots}` the value starts at column 38.
 */
const VALID = `name: t
target: http://127.0.0.1:8000
model: m
workload:
  promptTokens: {kind: fixed, value: 512}
  outputTokens: {kind: fixed, value: 256}
sweep:
  kind: list
  rates: [1, 5, 10]
slo:
  ttft: {percentile: 99, maxMs: 500}
pricing: {gpu: h100}
`;

/** The one-line messages a scenario text produces, or [] when it is valid. */
function problems(text: string): string[] {
  try {
    parseScenarioText(text, FILE);
    return [];
  } catch (err) {
    if (err instanceof ScenarioError) return err.lines;
    throw err;
  }
}

describe('scenario validation: one located line per mistake', () => {
  it('accepts the valid scenario and fills defaults', () => {
    expect(problems(VALID)).toEqual([]);
    const loaded = parseScenarioText(VALID, FILE);
    const resolved = resolveScenario(loaded);
    expect(resolved.workload.arrival).toEqual({ kind: 'poisson' });
    expect(resolved.step.measureSeconds).toBe(60);
    expect(resolved.variants.map((v) => v.name)).toEqual(['default']);
    expect(resolved.variants[0]?.pricing.gpuHourlyUsd).toBe(6.98);
    expect(resolved.slo).toEqual({ attainment: 0.9, ttftMs: { percentile: 99, maxMs: 500 } });
  });

  it('a variant server block overrides only the fields it names', () => {
    const text =
      VALID.replace('target: http://127.0.0.1:8000\n', '') +
      'server:\n  command: [serve, a]\n  readiness: /v1/models\n  stopTimeoutSeconds: 45\n' +
      'variants:\n  - name: a\n  - name: b\n    server: {command: [serve, b]}\n';
    const resolved = resolveScenario(parseScenarioText(text, FILE));
    const servers = resolved.variants.map((v) => v.server);
    expect(servers.map((s) => s?.command)).toEqual([
      ['serve', 'a'],
      ['serve', 'b'],
    ]);
    // Left out in variant b, so inherited — not reset to the defaults (/health, 20 s).
    expect(servers.map((s) => s?.readiness)).toEqual(['/v1/models', '/v1/models']);
    expect(servers.map((s) => s?.stopTimeoutSeconds)).toEqual([45, 45]);
  });

  it('an unknown field names itself, suggests the close one and lists the allowed ones', () => {
    const text = VALID.replace('  rates: [1, 5, 10]', '  rates: [1, 5, 10]\n  rate: 3');
    expect(problems(text)).toEqual([
      `${FILE}:10:3 sweep.rate: unknown field (did you mean 'rates'?); ` +
        'allowed: kind, rates, repeats',
    ]);
  });

  it('an unknown top-level field', () => {
    expect(problems(`${VALID}colour: blue\n`)).toEqual([
      `${FILE}:13:1 colour: unknown field; allowed: name, description, target, server, model, ` +
        'api, apiKeyEnv, apiKeyFile, quantization, workload, sweep, step, slo, pricing, telemetry, ' +
        'variants',
    ]);
  });

  it('a wrong type', () => {
    const text = VALID.replace('{kind: fixed, value: 512}', '{kind: fixed, value: lots}');
    expect(problems(text)).toEqual([
      `${FILE}:5:38 workload.promptTokens.value: must be a number (got "lots")`,
    ]);
    const fractional = VALID.replace('{kind: fixed, value: 512}', '{kind: fixed, value: 1.5}');
    expect(problems(fractional)).toEqual([
      `${FILE}:5:38 workload.promptTokens.value: must be a whole number (got 1.5)`,
    ]);
  });

  it('negative and zero rates, each at its own column', () => {
    const text = VALID.replace('rates: [1, 5, 10]', 'rates: [1, -5, 0]');
    expect(problems(text)).toEqual([
      `${FILE}:9:14 sweep.rates[1]: must be > 0 (got -5)`,
      `${FILE}:9:18 sweep.rates[2]: must be > 0 (got 0)`,
    ]);
  });

  it('an impossible distribution: min above max', () => {
    const text = VALID.replace('{kind: fixed, value: 512}', '{kind: uniform, min: 600, max: 100}');
    expect(problems(text)).toEqual([
      `${FILE}:5:38 workload.promptTokens.min: must be ≤ max (got min 600, max 100)`,
    ]);
  });

  it('an impossible distribution: negative standard deviation', () => {
    const text = VALID.replace(
      '{kind: fixed, value: 256}',
      '{kind: lognormal, mean: 200, stdev: -1}',
    );
    expect(problems(text)).toEqual([
      `${FILE}:6:53 workload.outputTokens.stdev: must be ≥ 0 (got -1)`,
    ]);
  });

  it('an unknown distribution kind lists the known ones', () => {
    const text = VALID.replace('{kind: fixed, value: 512}', '{kind: zipf, value: 512}');
    expect(problems(text)).toEqual([
      `${FILE}:5:24 workload.promptTokens.kind: must be one of fixed, uniform, normal, ` +
        'lognormal, empirical (got "zipf")',
    ]);
  });

  it('an SLO percentile out of range', () => {
    const text = VALID.replace('percentile: 99,', 'percentile: 101,');
    const message = `${FILE}:11:22 slo.ttft.percentile: must be ≤ 100 (got 101)`;
    expect(problems(text)).toEqual([message]);
    expect(problems(VALID.replace('percentile: 99,', 'percentile: 0,'))).toEqual([
      `${FILE}:11:22 slo.ttft.percentile: must be > 0 (got 0)`,
    ]);
  });

  it('a server command given as a shell string', () => {
    const text = VALID.replace(
      'target: http://127.0.0.1:8000',
      'server:\n  command: vllm serve m --port {port}',
    );
    expect(problems(text)).toEqual([
      `${FILE}:3:12 server.command: must be a list of arguments like [vllm, serve, MODEL], ` +
        'not a shell string',
    ]);
  });

  it('a missing required section points at the enclosing map', () => {
    const text = VALID.replace('pricing: {gpu: h100}\n', '');
    expect(problems(text)).toEqual([`${FILE}:1:1 pricing: is required (a map)`]);
  });

  it('a GPU class not in the catalog', () => {
    const text = VALID.replace('{gpu: h100}', '{gpu: h200}');
    expect(problems(text)).toEqual([
      `${FILE}:12:16 pricing.gpu: unknown GPU class "h200" (known: h100, a100); ` +
        'or give gpuHourlyUsd',
    ]);
  });

  it('a YAML syntax error says where', () => {
    const lines = problems(VALID.replace('rates: [1, 5, 10]', 'rates: [1, 5, 10'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^scenarios\/x\.yaml:\d+:\d+ YAML: /);
  });

  it('variants: duplicate names and a target next to a server', () => {
    const text =
      `${VALID}variants:\n  - name: a\n  - name: a\n` +
      '    target: http://127.0.0.1:1\n    server: {command: [x]}\n';
    expect(problems(text)).toEqual([
      `${FILE}:15:11 variants[1].name: duplicate name`,
      `${FILE}:17:13 variants[1].server: give target or server, not both`,
    ]);
  });

  it('every scenario shipped in scenarios/ is valid', () => {
    const dir = new URL('../../scenarios/', import.meta.url).pathname;
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(1);
    for (const f of files) expect(() => loadScenario(`${dir}${f}`), f).not.toThrow();
  });
});

describe('sweep rates', () => {
  it('linear steps include both ends and stay exact in decimal', () => {
    // 0.1, 0.2, …, 0.5 — floating-point accumulation would give 0.30000000000000004.
    expect(sweepRates({ kind: 'linear', start: 0.1, stop: 0.5, step: 0.1, repeats: 1 })).toEqual([
      0.1, 0.2, 0.3, 0.4, 0.5,
    ]);
  });

  it('geometric rates multiply by the same ratio', () => {
    // 1 → 16 in 5 rates: ratio 16^(1/4) = 2.
    expect(sweepRates({ kind: 'geometric', start: 1, stop: 16, count: 5, repeats: 1 })).toEqual([
      1, 2, 4, 8, 16,
    ]);
  });
});

describe('model discovery when the scenario names none', () => {
  let server: Server;
  let models: string[] = [];
  let base = '';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ object: 'list', data: models.map((id) => ({ id })) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('takes the only model listed', async () => {
    models = ['meta-llama/Llama-3.1-8B'];
    expect(await preflight(base, null, null, FILE)).toBe('meta-llama/Llama-3.1-8B');
  });

  it('says what to set when the server lists none', async () => {
    models = [];
    await expect(preflight(base, null, null, FILE)).rejects.toThrow(
      `${FILE} model: not set, and ${base}/v1/models lists no model; add 'model: <name>'`,
    );
  });

  it('says what to set when the server lists several', async () => {
    models = ['a', 'b'];
    await expect(preflight(base, null, null, FILE)).rejects.toThrow(
      `${FILE} model: not set, and ${base}/v1/models lists 2 (a, b); add 'model: <name>'`,
    );
  });
});
