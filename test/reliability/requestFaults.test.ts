import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../../src/harness/records.ts';
import type { ErrorClass } from '../../src/load/types.ts';
import type { FaultSpec } from '../../src/sim/faults.ts';
import { type SimServer, startSimServer } from '../../src/sim/server.ts';
import { runCli } from '../helpers/cli.ts';
import { type FaultProxy, startFaultProxy } from './helpers/faultProxy.ts';
import {
  checkTelemetryRates,
  clientOutputTokens,
  onlyRunDir,
  type RunFiles,
  readRun,
  stackLines,
} from './helpers/results.ts';
import { writeScenario } from './helpers/scenario.ts';

/**
 * Request faults, one variant each, in one real `run` of 12 requests per variant (20 req/s,
 * constant arrivals, no warm-up: every request is measured). Each fault strikes every Nth
 * request as its server receives them, so the count of each class is known by hand:
 * 12 requests, every 3rd → 4 failures; every 4th → 3.
 */

interface Row {
  fault: string;
  /** Simulator fault, or a proxy break in front of a clean simulator. */
  sim?: FaultSpec;
  proxy?: 'malformed-sse' | 'invalid-json';
  cls: ErrorClass;
  failures: number;
  /** What the record's message says. */
  message: RegExp;
}

const ROWS: Record<string, Row> = {
  close: {
    fault: 'connection closed mid-stream',
    sim: { kind: 'close-mid-stream', everyNth: 3, afterTokens: 2 },
    cls: 'reset',
    failures: 4,
    message: /UND_ERR_SOCKET|ECONNRESET|other side closed/,
  },
  e500: {
    fault: 'HTTP 500',
    sim: { kind: 'http-500', everyNth: 4 },
    cls: 'http_5xx',
    failures: 3,
    message: /^HTTP 500: simulated fault: HTTP 500 \(InternalServerError 500\)$/,
  },
  e503: {
    fault: 'HTTP 503 with Retry-After',
    sim: { kind: 'http-503', everyNth: 4, retryAfterS: 1 },
    cls: 'http_5xx',
    failures: 3,
    message: /^HTTP 503 \(Retry-After: 1\): simulated fault/,
  },
  e429: {
    fault: 'HTTP 429 with Retry-After',
    sim: { kind: 'http-429', everyNth: 4, retryAfterS: 2 },
    cls: 'http_429',
    failures: 3,
    message: /^HTTP 429 \(Retry-After: 2\): simulated fault: HTTP 429 \(TooManyRequestsError/,
  },
  hang: {
    fault: 'never answers',
    sim: { kind: 'hang', everyNth: 4 },
    cls: 'timeout',
    failures: 3,
    message: /UND_ERR_HEADERS_TIMEOUT/,
  },
  errev: {
    fault: 'error event mid-stream on a 200',
    sim: { kind: 'error-event', everyNth: 3, afterTokens: 2 },
    cls: 'stream_error_event',
    failures: 4,
    message: /^simulated engine failure after \d+ tokens \(InternalServerError 500\)$/,
  },
  sse: {
    fault: 'malformed SSE',
    proxy: 'malformed-sse',
    cls: 'malformed_stream',
    failures: 4,
    message: /^stream ended without \[DONE\] and without a finish_reason$/,
  },
  json: {
    fault: 'invalid JSON event',
    proxy: 'invalid-json',
    cls: 'malformed_stream',
    failures: 4,
    message: /^event is not valid JSON: \{"choices": \[\{"text": " b",\}\]$/,
  },
};
const REQUESTS = 12;

const work = mkdtempSync(join(tmpdir(), 'vcm-rel-req-'));
const sims: SimServer[] = [];
const proxies: Record<string, FaultProxy> = {};
let run: RunFiles;
let cli: Awaited<ReturnType<typeof runCli>>;

beforeAll(async () => {
  const targets: Record<string, string> = {};
  for (const [name, row] of Object.entries(ROWS)) {
    const sim = await startSimServer({
      profile: 'demo',
      speedup: 20,
      faults: row.sim ? [row.sim] : [],
    });
    sims.push(sim);
    targets[name] = sim.url;
    if (row.proxy) {
      proxies[name] = await startFaultProxy(sim.url, { everyNth: 3, stream: row.proxy });
      targets[name] = (proxies[name] as FaultProxy).url;
    }
  }
  const file = writeScenario(join(work, 'faults.yaml'), {
    name: 'request-faults',
    measureRequests: REQUESTS,
    requestTimeoutSeconds: 1,
    targets,
  });
  cli = await runCli(['run', file, '--out', join(work, 'out'), '--quiet'], { timeoutMs: 120_000 });
  run = readRun(onlyRunDir(join(work, 'out')));
}, 150_000);

afterAll(async () => {
  for (const p of Object.values(proxies)) await p.close();
  for (const s of sims) await s.close();
  rmSync(work, { recursive: true, force: true });
});

const stepOf = (variant: string) => run.steps.find((s) => s.variant === variant) as StepRecord;

describe('request faults in a real run', () => {
  it('the run completes (exit 0): failures are data, not a crash', () => {
    expect(cli.exitCode, cli.stderr).toBe(0);
    expect(stackLines(cli.stderr)).toEqual([]);
    expect(run.manifest.status).toBe('completed');
    expect(run.steps.map((s) => s.variant)).toEqual(Object.keys(ROWS));
  });

  it.each(Object.entries(ROWS))('%s: counted with its class in every record', (name, row) => {
    const step = stepOf(name);
    // By hand: every Nth of the 12 requests fails (see ROWS), the rest succeed.
    expect(step.errorsByClass).toEqual({ [row.cls]: row.failures });
    expect([step.measuredRequests, step.ok, step.failed]).toEqual([
      REQUESTS,
      REQUESTS - row.failures,
      row.failures,
    ]);
    const records = run.requests.filter((r) => r.variant === name);
    expect(records).toHaveLength(REQUESTS);
    const failed = records.filter((r) => !r.ok);
    expect(failed.map((r) => r.error?.class)).toEqual(Array(row.failures).fill(row.cls));
    for (const r of failed) {
      expect(r.error?.message).toMatch(row.message);
      expect([r.ttftMs, r.e2eMs, r.tpotMs]).toEqual([null, null, null]);
    }

    // θ counts only the tokens of requests that succeeded: recomputed from the records.
    const okTokens = records.filter((r) => r.ok).reduce((s, r) => s + r.outputTokensInWindow, 0);
    expect(step.outputTokPerS).toBeCloseTo(okTokens / step.measuredSeconds, 9);
    expect(['ok', 'invalid']).toContain(step.status);
  });

  it.each(Object.keys(ROWS))('%s: the step line says how many failed and why', (name) => {
    const row = ROWS[name] as Row;
    const line = cli.stderr.split('\n').find((l) => l.includes(`] ${name} λ=20 req/s:`));
    expect(line).toContain(
      `${REQUESTS} sent, ${row.failures} failed (${row.cls} ×${row.failures})`,
    );
  });

  it.each(Object.keys(ROWS))('%s: no telemetry window has a negative or spiking rate', (name) => {
    const rates = checkTelemetryRates(run.telemetry, name, clientOutputTokens(run.requests, name));
    expect(rates.windows).toBeGreaterThan(0);
    expect(rates.resets).toBe(0);
  });

  it('a broken proxy shows in reconciliation: the server never saw the broken requests', () => {
    for (const name of ['sse', 'json']) {
      const rec = stepOf(name).reconciliation;
      // The proxy answered 4 requests itself with HTTP 200: the client counts them as
      // finished, the simulator behind it never received them.
      expect(rec?.requests).toMatchObject({ client: REQUESTS, server: REQUESTS - 4, diff: -4 });
      expect(rec?.ok).toBe(false);
      expect(rec?.warnings).toContain(
        'server counted 4 fewer finished requests than the client ' +
          `(finished requests: client ${REQUESTS}, server ${REQUESTS - 4})`,
      );
    }
    expect(proxies.sse?.broken).toBe(4);
    expect(proxies.json?.broken).toBe(4);
  });
});
