import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepAccumulator } from '../../src/analysis/requestStats.ts';
import { driveStep } from '../../src/load/driver.ts';
import { buildPlan } from '../../src/load/schedule.ts';
import type { ErrorClass, RequestRecord, StepDriveOptions } from '../../src/load/types.ts';
import { completionChunk, listen, type Running, sse, usageChunk } from './servers.ts';

const API_KEY = 'sk-test-0123456789abcdef';

/** What the mixed server does for request seq, by seq modulo the list length. */
const MODES = [
  'ok',
  'http429',
  'http400',
  'http503',
  'reset',
  'errorEvent',
  'badJson',
  'noDone',
  'stall',
  'html',
] as const;
const EXPECTED: Record<(typeof MODES)[number], ErrorClass | null> = {
  ok: null,
  http429: 'http_429',
  http400: 'http_4xx',
  http503: 'http_5xx',
  reset: 'reset',
  errorEvent: 'stream_error_event',
  badJson: 'malformed_stream',
  noDone: 'malformed_stream',
  stall: 'timeout',
  html: 'malformed_stream',
};

let mixed: Running;
beforeAll(async () => {
  mixed = await listen((req, res) => {
    const seq = Number(String(req.headers['x-request-id']).split('-').at(-1));
    const mode = MODES[seq % MODES.length]!;
    const json = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const stream = () => res.writeHead(200, { 'content-type': 'text/event-stream' });
    const tokens = (n: number) => {
      for (let i = 0; i < n; i++)
        res.write(sse(completionChunk(' a', i === n - 1 ? 'length' : null)));
    };
    switch (mode) {
      case 'ok':
        stream();
        tokens(3);
        res.end(sse(usageChunk(4, 3)) + sse('[DONE]'));
        return;
      case 'http429':
        // A careless server echoing the Authorization header: the key must not reach a record.
        return json(429, { error: { message: `rate limited for ${req.headers.authorization}` } });
      case 'http400':
        return json(400, {
          object: 'error',
          message: 'context too long',
          type: 'BadRequestError',
          code: 400,
        });
      case 'http503':
        res.writeHead(503);
        return res.end('overloaded');
      case 'reset':
        stream();
        tokens(1);
        setTimeout(() => res.socket?.destroy(), 5);
        return;
      case 'errorEvent':
        stream();
        tokens(2);
        res.end(
          sse({
            error: {
              message: 'KV load failed',
              type: 'InternalServerError',
              param: null,
              code: 500,
            },
          }) + sse('[DONE]'),
        );
        return;
      case 'badJson':
        stream();
        res.end(`${sse(completionChunk(' a', null))}data: {"choices": [oops]}\n\n${sse('[DONE]')}`);
        return;
      case 'noDone':
        stream();
        res.write(sse(completionChunk(' a', null)));
        res.end();
        return;
      case 'stall':
        stream();
        tokens(1);
        return; // never ends: the body timeout must fire
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html>proxy login</html>');
    }
  });
});
afterAll(() => mixed.close());

function options(over: Partial<StepDriveOptions>): StepDriveOptions {
  return {
    baseUrl: mixed.url,
    api: 'completions',
    model: 'm',
    plan: buildPlan({
      arrival: { kind: 'constant' },
      rateRps: 100,
      warmupSeconds: 0,
      measureRequests: 30,
      promptLength: { kind: 'fixed', value: 8 },
      outputLength: { kind: 'fixed', value: 3 },
      seed: 1,
      streamId: 'errors',
    }),
    maxConcurrency: null,
    requestTimeoutMs: 400,
    drainTimeoutMs: 5000,
    shape: {
      ignoreEos: true,
      pinOutputLength: false,
      continuousUsage: false,
      temperature: null,
      extraBody: {},
    },
    prompt: { vocabSize: 1000, tokenizerPath: null, salt: 'err' },
    apiKey: API_KEY,
    labels: { variant: 'v', stepIndex: 2, repeat: 1, rateRps: 100 },
    recordChunks: false,
    ...over,
  };
}

describe('error classes, each from a purpose-built server', () => {
  it('classifies every failure, never stops the run, never counts a failure as success', async () => {
    const records: RequestRecord[] = [];
    const summary = await driveStep(options({ onRecord: (r) => records.push(r) }));

    // 30 requests, seq 0..29: each of the 10 modes three times.
    expect(records).toHaveLength(30);
    expect(summary.sent).toBe(30);
    expect(summary.ok).toBe(3);
    expect(summary.failed).toBe(27);
    for (const r of records) {
      const mode = MODES[r.seq % MODES.length]!;
      expect({ mode, cls: r.error?.class ?? null }).toEqual({ mode, cls: EXPECTED[mode] });
      expect(r.ok).toBe(mode === 'ok');
      if (!r.ok) expect([r.ttftMs, r.e2eMs, r.tpotMs, r.itl]).toEqual([null, null, null, null]);
    }
    expect(summary.errorsByClass).toEqual({
      http_429: 3,
      http_4xx: 3,
      http_5xx: 3,
      reset: 3,
      stream_error_event: 3,
      malformed_stream: 9,
      timeout: 3,
    });

    const byMode = (m: string) => records.find((r) => MODES[r.seq % MODES.length] === m)!;
    expect(byMode('http400').error!.message).toBe(
      'HTTP 400: context too long (BadRequestError 400)',
    );
    expect(byMode('http503').error!.message).toBe('HTTP 503: overloaded');
    expect(byMode('errorEvent').error!.message).toBe('KV load failed (InternalServerError 500)');
    expect(byMode('errorEvent').status).toBe(200);
    expect(byMode('noDone').error!.message).toMatch(/without \[DONE\]/);
    // Successful requests: 3 tokens from usage, 3 chunks.
    expect(byMode('ok')).toMatchObject({ outputTokens: 3, outputTokensSource: 'usage', chunks: 3 });
    // Only ok requests count toward θ here (no request is incomplete); the analyzer agrees.
    const acc = new StepAccumulator(null);
    for (const r of records) acc.add(r);
    expect(acc.finish().outputTokensInWindow).toBe(summary.outputTokensInWindow);
    const okInWindow = records.filter((r) => r.ok).reduce((s, r) => s + r.outputTokensInWindow, 0);
    expect(summary.outputTokensInWindow).toBe(okInWindow);
  });

  it('never lets the API key into records or the summary', async () => {
    const records: RequestRecord[] = [];
    const summary = await driveStep(options({ onRecord: (r) => records.push(r) }));
    const text = JSON.stringify({ records, summary });
    expect(text).not.toContain(API_KEY);
    const limited = records.find((r) => r.error?.class === 'http_429')!;
    expect(limited.error!.message).toBe('HTTP 429: rate limited for Bearer [redacted]');
  });

  it('connection refused is a connect error', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const records: RequestRecord[] = [];
    const summary = await driveStep(
      options({ baseUrl: `http://127.0.0.1:${port}`, onRecord: (r) => records.push(r) }),
    );
    expect(summary.errorsByClass).toEqual({ connect: 30 });
    expect(records.every((r) => r.error!.message.includes('ECONNREFUSED'))).toBe(true);
  });

  it('no response headers within the timeout is a timeout', async () => {
    const silent = await listen(() => {});
    try {
      const summary = await driveStep(options({ baseUrl: silent.url, requestTimeoutMs: 200 }));
      expect(summary.errorsByClass).toEqual({ timeout: 30 });
    } finally {
      await silent.close();
    }
  });
});

describe('drain, abort and the concurrency cap', () => {
  let slow: Running;
  let onArrival: (() => void) | null = null;
  beforeAll(async () => {
    // 5 tokens, one every 40 ms: each request lasts ≈ 200 ms.
    slow = await listen((_req, res) => {
      onArrival?.();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        i++;
        res.write(sse(completionChunk(' b', i === 5 ? 'length' : null)));
        if (i === 5) {
          clearInterval(timer);
          res.end(sse(usageChunk(8, 5)) + sse('[DONE]'));
        }
      }, 40);
    });
  });
  afterAll(() => slow.close());

  it('requests still running at the drain timeout end as incomplete', async () => {
    const records: RequestRecord[] = [];
    const summary = await driveStep(
      options({ baseUrl: slow.url, drainTimeoutMs: 50, onRecord: (r) => records.push(r) }),
    );
    // The last request is sent at 300 ms and needs ≈ 200 ms; the drain allows 50 ms.
    expect(summary.incomplete).toBeGreaterThan(0);
    expect(summary.incomplete + summary.ok).toBe(30);
    expect(summary.failed).toBe(0);
    const cut = records.filter((r) => r.error?.class === 'incomplete');
    expect(cut.every((r) => !r.ok && r.sentAtMs !== null)).toBe(true);
    // Cancelled by the drain timer: 50 ms after the last planned send (300 ms). libuv counts
    // timers in whole milliseconds of its loop time, so one may fire up to 1 ms early.
    expect(cut.every((r) => r.endAtMs >= 300 + 50 - 1)).toBe(true);

    // θ counts the in-window tokens of the cut requests too (the server was serving them), and
    // the analyzer's recompute from the same records gives the same numerator.
    const cutInWindow = cut.reduce((s, r) => s + r.outputTokensInWindow, 0);
    expect(cutInWindow).toBeGreaterThan(0);
    const okInWindow = records.filter((r) => r.ok).reduce((s, r) => s + r.outputTokensInWindow, 0);
    expect(summary.outputTokensInWindow).toBe(okInWindow + cutInWindow);
    const acc = new StepAccumulator(null);
    for (const r of records) acc.add(r);
    expect(acc.finish().outputTokensInWindow).toBe(summary.outputTokensInWindow);
  });

  it('an abort signal stops sending and cancels in-flight requests as aborted', async () => {
    const controller = new AbortController();
    const records: RequestRecord[] = [];
    let arrived = 0;
    onArrival = () => {
      if (++arrived === 10) controller.abort();
    };
    const summary = await driveStep(
      options({ baseUrl: slow.url, signal: controller.signal, onRecord: (r) => records.push(r) }),
    );
    onArrival = null;
    // Aborted when the 10th request reached the server, long before the first could finish.
    expect(summary.sent).toBeGreaterThanOrEqual(10);
    expect(summary.sent).toBeLessThan(30);
    expect(summary.ok).toBe(0);
    expect(summary.sent).toBe(records.length);
    expect(summary.errorsByClass.aborted).toBe(summary.sent - summary.ok);
    expect(summary.health.valid).toBe(false);
    expect(summary.health.reasons).toContain('interrupted');
  });

  it('in-flight mean and max match the records; progress is reported', async () => {
    const records: RequestRecord[] = [];
    const progress: number[] = [];
    const summary = await driveStep(
      options({
        baseUrl: slow.url,
        onRecord: (r) => records.push(r),
        onProgress: (p) => progress.push(p.inFlight),
      }),
    );
    // Independently: each request is in flight over [sent, end]; integrate over the window.
    const [start, end] = [summary.measureStartAtMs, summary.measureEndAtMs];
    let area = 0;
    for (const r of records)
      area += Math.max(0, Math.min(r.endAtMs, end) - Math.max(r.sentAtMs!, start));
    expect(summary.inFlight.mean!).toBeCloseTo(area / (end - start), 6);
    const events = records.flatMap((r) => [
      [r.sentAtMs!, 1],
      [r.endAtMs, -1],
    ]);
    events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let now = 0;
    let max = 0;
    for (const [at, d] of events) {
      now += d!;
      if (at! <= end) max = Math.max(max, now);
    }
    expect(summary.inFlight.max).toBe(max);
    expect(progress.length).toBeGreaterThan(0);
    expect(Math.max(...progress)).toBeLessThanOrEqual(30);
  });

  it('the cap bounds in-flight requests and records the wait separately', async () => {
    const records: RequestRecord[] = [];
    const summary = await driveStep(
      options({ baseUrl: slow.url, maxConcurrency: 2, onRecord: (r) => records.push(r) }),
    );
    expect(summary.ok).toBe(30);
    expect(summary.inFlight.max).toBe(2);
    // 30 requests, two at a time, ≈ 200 ms each: the last ones wait well over a second.
    const waits = records.map((r) => r.capWaitMs);
    expect(Math.max(...waits)).toBeGreaterThan(1000);
    for (const r of records) {
      expect(r.releasedAtMs).toBeGreaterThanOrEqual(r.intendedAtMs);
      expect(r.capWaitMs).toBeCloseTo(r.releasedAtMs - r.intendedAtMs, 9);
      // Coordinated omission corrected: from intended = from sent + wait + send lag.
      expect(r.ttftFromIntendedMs!).toBeCloseTo(r.ttftMs! + r.capWaitMs + r.sendLagMs!, 6);
    }
  });
});
