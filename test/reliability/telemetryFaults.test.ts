import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../../src/harness/records.ts';
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
 * /metrics faults and a server restart, one variant each, in one real `run` (1.5 s measured at
 * 20 req/s, scrapes every 0.25 s). The load itself is never touched by a telemetry fault, every
 * failed scrape is a telemetry line with ok=false and the reason, and no window between two good
 * scrapes may show a negative rate or more tokens than the client was sent.
 */

const URL_RE = 'http://127\\.0\\.0\\.1:\\d+/metrics';
const SCRAPE_ERRORS: Record<string, RegExp> = {
  m500: new RegExp(`^${URL_RE} answered HTTP 500; the server may be starting or failing$`),
  garbage: new RegExp(`^${URL_RE}, line 1: expected ',' or '\\}' after label 'engine'`),
  html: new RegExp(`^${URL_RE} returned an HTML page, not metrics text`),
  m404: new RegExp(`^${URL_RE} answered HTTP 404; check that the URL is the server's /metrics`),
  hang: new RegExp(`^${URL_RE} did not answer within 2000 ms; is the server overloaded`),
};
/** Faults that strike every 2nd scrape: the step still gets its edge scrapes (one retry). */
const INTERMITTENT = ['m500', 'garbage', 'html'];
/** Faults that strike every scrape: the step has no server view. */
const PERMANENT = ['m404', 'hang'];

const work = mkdtempSync(join(tmpdir(), 'vcm-rel-tel-'));
const sims: SimServer[] = [];
const proxies: FaultProxy[] = [];
let run: RunFiles;
let cli: Awaited<ReturnType<typeof runCli>>;
let restartedAfter = -1;

beforeAll(async () => {
  const sim = async (kind?: 'metrics-500' | 'metrics-garbage' | 'metrics-html') => {
    const s = await startSimServer({
      profile: 'demo',
      speedup: 20,
      faults: kind ? [{ kind, everyNth: 2 }] : [],
    });
    sims.push(s);
    return s;
  };
  const proxy = async (metrics: '404' | 'hang') => {
    const p = await startFaultProxy((await sim()).url, { metrics });
    proxies.push(p);
    return p.url;
  };
  const restart = await sim();
  const targets = {
    m500: (await sim('metrics-500')).url,
    garbage: (await sim('metrics-garbage')).url,
    html: (await sim('metrics-html')).url,
    m404: await proxy('404'),
    hang: await proxy('hang'),
    restart: restart.url,
  };
  const file = writeScenario(join(work, 'telemetry.yaml'), {
    name: 'telemetry-faults',
    measureSeconds: 1.5,
    targets,
  });
  // Restart the last variant's server mid-step: after its 10th finished request, 0.3 s down.
  const poll = setInterval(() => {
    const m = /vllm:request_success_total\{[^}]*"length"[^}]*\} (\d+)/.exec(restart.metricsText());
    if (restartedAfter < 0 && m && Number(m[1]) >= 10) {
      restartedAfter = Number(m[1]);
      void restart.restart({ downtimeMs: 300 });
    }
  }, 5);
  try {
    cli = await runCli(['run', file, '--out', join(work, 'out'), '--quiet'], {
      timeoutMs: 150_000,
    });
  } finally {
    clearInterval(poll);
  }
  run = readRun(onlyRunDir(join(work, 'out')));
}, 180_000);

afterAll(async () => {
  for (const p of proxies) await p.close();
  for (const s of sims) await s.close();
  rmSync(work, { recursive: true, force: true });
});

const stepOf = (variant: string) => run.steps.find((s) => s.variant === variant) as StepRecord;
const linesOf = (variant: string) => run.telemetry.filter((t) => t.variant === variant);

describe('/metrics faults in a real run', () => {
  it('the run completes (exit 0) with every variant measured', () => {
    expect(cli.exitCode, cli.stderr).toBe(0);
    expect(stackLines(cli.stderr)).toEqual([]);
    expect(run.steps.map((s) => s.variant)).toEqual([...Object.keys(SCRAPE_ERRORS), 'restart']);
  });

  it.each(Object.keys(SCRAPE_ERRORS))('%s: failed scrapes are lines with ok=false', (name) => {
    const bad = linesOf(name).filter((t) => !t.ok);
    expect(bad.length).toBeGreaterThan(0);
    for (const line of bad) {
      expect(line.error).toMatch(SCRAPE_ERRORS[name] as RegExp);
      expect(line.snapshot).toBeNull();
    }
    // The user sees the reason once per outage, on stderr.
    const warning = cli.stderr.split('\n').find((l) => l.includes(`WARN  ${name}: scrape failed`));
    expect(warning?.replace(/^.*scrape failed: /, '')).toMatch(SCRAPE_ERRORS[name] as RegExp);
  });

  it.each(Object.keys(SCRAPE_ERRORS))('%s: the load is untouched: no request failed', (name) => {
    const step = stepOf(name);
    expect(step.failed).toBe(0);
    expect(step.errorsByClass).toEqual({});
    expect(step.ok).toBe(step.measuredRequests);
  });

  it.each(INTERMITTENT)('%s: edge scrapes retried, counts still reconciled', (name) => {
    const lines = linesOf(name);
    expect(lines.filter((t) => t.ok).length).toBeGreaterThan(0);
    const rec = stepOf(name).reconciliation;
    expect(rec?.requests.server).not.toBeNull();
    expect(rec?.outputTokens.server).not.toBeNull();
    const rates = checkTelemetryRates(run.telemetry, name, clientOutputTokens(run.requests, name));
    expect(rates.resets).toBe(0);
    const server = stepOf(name).server;
    if (server)
      expect(server.increases.outputTokens).toBeLessThanOrEqual(
        clientOutputTokens(run.requests, name),
      );
  });

  it.each(PERMANENT)('%s: no server view, and the step says why', (name) => {
    expect(linesOf(name).every((t) => !t.ok)).toBe(true);
    const step = stepOf(name);
    expect(step.server).toBeNull();
    expect(step.reconciliation?.ok).toBeNull();
    expect(step.reconciliation?.warnings).toHaveLength(1);
    const warning = step.reconciliation?.warnings[0] ?? '';
    expect(warning).toMatch(/^the scrape just before the step failed \(/);
    expect(warning).toMatch(/\): client and server counts not compared$/);
    expect(warning.slice('the scrape just before the step failed ('.length)).toMatch(
      SCRAPE_ERRORS[name] as RegExp,
    );
  });
});

describe('server restart mid-step', () => {
  it('happened while the step ran', () => {
    expect(restartedAfter).toBeGreaterThanOrEqual(10);
  });

  it('the counter reset is seen, not read as a rate: no negative, no spike', () => {
    const rates = checkTelemetryRates(
      run.telemetry,
      'restart',
      clientOutputTokens(run.requests, 'restart'),
    );
    expect(rates.resets).toBeGreaterThanOrEqual(1);
    const server = stepOf('restart').server;
    if (server) {
      expect(server.rates.outputTokensPerS).toBeGreaterThanOrEqual(0);
      expect(server.increases.outputTokens).toBeLessThanOrEqual(
        clientOutputTokens(run.requests, 'restart'),
      );
    }
  });

  it('requests refused or cut while it was down are counted by class', () => {
    const step = stepOf('restart');
    expect(step.failed).toBeGreaterThan(0);
    for (const cls of Object.keys(step.errorsByClass)) expect(['connect', 'reset']).toContain(cls);
    const failed = run.requests.filter((r) => r.variant === 'restart' && !r.ok);
    expect(failed).toHaveLength(step.failed);
  });

  it('reconciliation fails with a warning that names the restart, shown to the user', () => {
    const rec = stepOf('restart').reconciliation;
    expect(rec?.ok).toBe(false);
    const warning = rec?.warnings.find((w) => w.includes('looked reset'));
    expect(warning).toMatch(
      /^server metric \w+ looked reset between scrapes .*did the server restart\?$/,
    );
    expect(cli.stderr).toContain(`WARN  restart: λ=20: ${warning}`);
  });
});
