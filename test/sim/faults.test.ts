import { describe, expect, it } from 'vitest';
import { FaultPicker, parseFaultSpec } from '../../src/sim/faults.ts';
import { type SimServerOptions, startSimServer } from '../../src/sim/server.ts';
import { jsonOf, postJson, sampleValue, sseData } from './http.ts';

async function withServer(
  options: SimServerOptions,
  body: (url: string, metrics: () => string) => Promise<void>,
) {
  const server = await startSimServer({ profile: 'demo', speedup: 20, ...options });
  try {
    await body(server.url, () => server.metricsText());
  } finally {
    await server.close();
  }
}

const streamBody = (maxTokens: number) => ({
  prompt: [1, 2, 3],
  max_tokens: maxTokens,
  ignore_eos: true,
  stream: true,
});

describe('fault specs', () => {
  it('parses kinds and options, and names the problem in errors', () => {
    expect(parseFaultSpec('http-429:every=5,retry-after=2')).toEqual({
      kind: 'http-429',
      everyNth: 5,
      retryAfterS: 2,
    });
    expect(parseFaultSpec('close-mid-stream:p=0.25,after=3')).toEqual({
      kind: 'close-mid-stream',
      probability: 0.25,
      afterTokens: 3,
    });
    expect(() => parseFaultSpec('explode:p=1')).toThrow(/unknown kind 'explode'/);
    expect(() => parseFaultSpec('hang')).toThrow(/give p=<probability> or every=<N>/);
    expect(() => parseFaultSpec('hang:p=2')).toThrow(/between 0 and 1/);
  });

  it('fires every Nth request, or with the configured probability', () => {
    const every = new FaultPicker([{ kind: 'http-500', everyNth: 3 }]);
    expect(Array.from({ length: 6 }, () => every.pick('request') !== null)).toEqual([
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    const sometimes = new FaultPicker([{ kind: 'http-500', probability: 0.3 }], 42);
    const hits = Array.from({ length: 2000 }, () => sometimes.pick('request')).filter(
      Boolean,
    ).length;
    // Binomial(2000, 0.3): mean 600, sd 20.5 — ±5 sd.
    expect(hits).toBeGreaterThan(500);
    expect(hits).toBeLessThan(700);
    expect(every.pick('metrics')).toBeNull();
  });
});

describe('request faults on the wire', () => {
  it('answers 429 with Retry-After on every 2nd request and 503 when asked', async () => {
    await withServer(
      { faults: [{ kind: 'http-429', everyNth: 2, retryAfterS: 2 }] },
      async (url) => {
        const first = await postJson(`${url}/v1/completions`, { prompt: [1], max_tokens: 2 });
        expect(first.status).toBe(200);
        await first.text();
        const second = await postJson(`${url}/v1/completions`, { prompt: [1], max_tokens: 2 });
        expect(second.status).toBe(429);
        expect(second.headers.get('retry-after')).toBe('2');
        expect((await jsonOf(second)).error).toMatchObject({
          code: 429,
          type: 'TooManyRequestsError',
        });
      },
    );
    await withServer({ faults: [{ kind: 'http-503', probability: 1 }] }, async (url) => {
      const res = await postJson(`${url}/v1/completions`, { prompt: [1] });
      expect(res.status).toBe(503);
      await res.text();
    });
  });

  it('sends an error event mid-stream, then [DONE], and counts finished_reason="error"', async () => {
    await withServer(
      { faults: [{ kind: 'error-event', everyNth: 1, afterTokens: 2 }] },
      async (url, metrics) => {
        const res = await postJson(`${url}/v1/completions`, streamBody(10));
        expect(res.status).toBe(200);
        const events = sseData(await res.text());
        // Two token chunks, the error event, [DONE].
        expect(events).toHaveLength(4);
        expect(JSON.parse(events[0]!).choices[0].text).toBeTypeOf('string');
        expect(JSON.parse(events[2]!).error).toMatchObject({
          type: 'InternalServerError',
          code: 500,
        });
        expect(events[3]).toBe('[DONE]');
        expect(
          sampleValue(metrics(), 'vllm:request_success_total', 'finished_reason="error"'),
        ).toBe(1);
        expect(sampleValue(metrics(), 'vllm:generation_tokens_total')).toBe(3);
      },
    );
  });

  it('closes the connection mid-stream after the given tokens; the engine counts an abort', async () => {
    await withServer(
      { faults: [{ kind: 'close-mid-stream', everyNth: 1, afterTokens: 1 }] },
      async (url, metrics) => {
        const res = await postJson(`${url}/v1/completions`, streamBody(10));
        await expect(res.text()).rejects.toThrow();
        await new Promise((r) => setTimeout(r, 50));
        expect(
          sampleValue(metrics(), 'vllm:request_success_total', 'finished_reason="abort"'),
        ).toBe(1);
        expect(sampleValue(metrics(), 'vllm:num_requests_running')).toBe(0);
      },
    );
  });

  it('never answers a hanging request until the client gives up', async () => {
    await withServer({ faults: [{ kind: 'hang', everyNth: 1 }] }, async (url) => {
      const started = performance.now();
      await expect(
        postJson(`${url}/v1/completions`, { prompt: [1] }, AbortSignal.timeout(300)),
      ).rejects.toThrow();
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    });
  });
});

describe('/metrics faults', () => {
  it('fails every 2nd scrape with 500, and can answer garbage or an HTML page', async () => {
    await withServer({ faults: [{ kind: 'metrics-500', everyNth: 2 }] }, async (url) => {
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${url}/metrics`);
        statuses.push(res.status);
        await res.text();
      }
      expect(statuses).toEqual([200, 500, 200, 500]);
    });
    await withServer({ faults: [{ kind: 'metrics-garbage', everyNth: 1 }] }, async (url) => {
      const body = await (await fetch(`${url}/metrics`)).text();
      expect(body).not.toContain('# TYPE');
      expect(body).toContain('\u0000');
    });
    await withServer({ faults: [{ kind: 'metrics-html', everyNth: 1 }] }, async (url) => {
      const res = await fetch(`${url}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toMatch(/^<!DOCTYPE html>/);
    });
  });

  it('answers a slow scrape only after the delay, with a normal body', async () => {
    await withServer(
      { faults: [{ kind: 'metrics-slow', everyNth: 1, delayMs: 300 }] },
      async (url) => {
        const started = performance.now();
        const res = await fetch(`${url}/metrics`);
        const body = await res.text();
        expect(performance.now() - started).toBeGreaterThanOrEqual(290);
        expect(body).toContain('# TYPE vllm:generation_tokens_total counter');
      },
    );
  });
});
