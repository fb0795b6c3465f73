import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSimServer } from '../../src/sim/server.ts';
import { familyShapes } from './expositionShape.ts';

const FIXTURES = resolve(import.meta.dirname, '../../../shared/fixtures/vllm-metrics');
const CAPTURE = resolve(FIXTURES, 'v0.32.0-cpu-chat-burst-a.txt');
const haveShared = existsSync(CAPTURE);
if (!haveShared) {
  console.warn(`skipping exposition comparison: ${CAPTURE} not found (../shared is absent)`);
}

const ENUMERATED = ['finished_reason', 'source', 'reason', 'sleep_state'];

async function complete(server: SimServer, tokens: number): Promise<void> {
  const res = await fetch(`${server.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: [5, 6, 7, 8], max_tokens: tokens, ignore_eos: true }),
  });
  expect(res.status).toBe(200);
  await res.text();
}

describe.skipIf(!haveShared)('/metrics compared with a real vLLM 0.32.0 capture', () => {
  let server: SimServer;
  let ours: ReturnType<typeof familyShapes>;
  let real: ReturnType<typeof familyShapes>;
  let contentType: string | null;

  beforeAll(async () => {
    // The demo model's max_model_len (4096) gives the same 1-2-5 length buckets (≤ 2000) as the
    // capture's 2048; the speedup keeps the test short.
    server = await startSimServer({ profile: 'demo', speedup: 20, servedModelName: 'tiny' });
    await Promise.all([complete(server, 3), complete(server, 5)]);
    const res = await fetch(`${server.url}/metrics`);
    contentType = res.headers.get('content-type');
    ours = familyShapes(await res.text());
    real = familyShapes(readFileSync(CAPTURE, 'utf8'));
  });
  afterAll(() => server.close());

  it('serves Prometheus text', () => {
    expect(contentType).toMatch(/^text\/plain; version=(0\.0\.4|1\.0\.0); charset=utf-8$/);
  });

  it('has exactly the capture’s vllm:* families, with the same types and HELP texts', () => {
    const names = (m: typeof ours) => [...m.keys()].filter((n) => n.startsWith('vllm:')).sort();
    expect(names(real).length).toBeGreaterThan(60); // 39 families, 38 with a _created twin
    expect(names(ours)).toEqual(names(real));
    for (const name of names(real)) {
      expect({ name, type: ours.get(name)!.type }).toEqual({ name, type: real.get(name)!.type });
      expect({ name, help: ours.get(name)!.help }).toEqual({ name, help: real.get(name)!.help });
    }
  });

  it('uses the same sample names, label keys, enumerations and bucket bounds', () => {
    for (const [name, shape] of real) {
      if (!name.startsWith('vllm:')) continue;
      const mine = ours.get(name)!;
      expect({ name, shapes: [...mine.sampleShapes].sort() }).toEqual({
        name,
        shapes: [...shape.sampleShapes].sort(),
      });
      expect({ name, bounds: mine.bounds }).toEqual({ name, bounds: shape.bounds });
      for (const key of ENUMERATED) {
        const theirs = shape.labelValues.get(key);
        if (theirs)
          expect({ name, key, values: mine.labelValues.get(key) }).toEqual({
            name,
            key,
            values: theirs,
          });
      }
    }
  });

  it('has the restart markers and HTTP counters a scraper reads', () => {
    for (const name of [
      'process_start_time_seconds',
      'http_requests_total',
      'http_requests_created',
    ]) {
      expect({ name, type: ours.get(name)?.type, help: ours.get(name)?.help }).toEqual({
        name,
        type: real.get(name)!.type,
        help: real.get(name)!.help,
      });
    }
  });
});

describe.skipIf(!haveShared)('V0-era names compared with V0 captures', () => {
  it('matches the V0 gauges’ HELP texts, the model_name-only labels and the old TTFT buckets', async () => {
    const server = await startSimServer({ profile: 'demo', speedup: 20, era: 'v0' });
    try {
      await complete(server, 2);
      const ours = familyShapes(server.metricsText());
      const noSamples = familyShapes(
        readFileSync(resolve(FIXTURES, 'v0.5.4-functionary-pr263-no-samples.txt'), 'utf8'),
      );
      for (const name of [
        'vllm:num_requests_running',
        'vllm:num_requests_waiting',
        'vllm:num_requests_swapped',
        'vllm:gpu_cache_usage_perc',
        'vllm:cpu_cache_usage_perc',
      ]) {
        expect({ name, help: ours.get(name)?.help }).toEqual({
          name,
          help: noSamples.get(name)!.help,
        });
      }
      // v0.5.3 (issue 8115) TTFT buckets stop at 10.0, labels are model_name (+ le) only.
      const v053 = readFileSync(resolve(FIXTURES, 'v0.5.3.post1-issue8115.txt'), 'utf8');
      const oldBounds = [...v053.matchAll(/le="([^"]+)"/g)].map((m) => m[1]);
      const ttft = ours.get('vllm:time_to_first_token_seconds')!;
      expect(ttft.bounds.slice(-oldBounds.length)).toEqual(oldBounds);
      expect([...ttft.sampleShapes].sort()).toEqual([
        '_bucket|le,model_name',
        '_count|model_name',
        '_sum|model_name',
      ]);
      expect([...ours.keys()].some((n) => n.endsWith('_created'))).toBe(false);
      expect(ours.has('vllm:time_per_output_token_seconds')).toBe(true);
      expect(ours.has('vllm:kv_cache_usage_perc')).toBe(false);
    } finally {
      await server.close();
    }
  });
});
