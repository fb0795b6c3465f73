import { describe, expect, it } from 'vitest';
import { parseDurationMs, resolveMeterConfig, windowLabel } from '../../src/meter/config.ts';
import { CostMeterError } from '../../src/util/errors.ts';

const base = { url: 'http://127.0.0.1:8000', gpuPrice: 6.98 };

function usage(raw: Record<string, unknown>): string {
  try {
    resolveMeterConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(CostMeterError);
    expect((err as CostMeterError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('meter settings', () => {
  it('parses durations with units, bare numbers as seconds', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('5s')).toBe(5000);
    expect(parseDurationMs('1.5m')).toBe(90_000);
    expect(parseDurationMs('2h')).toBe(7_200_000);
    expect(parseDurationMs('7')).toBe(7000);
    for (const bad of ['', '0', '-1s', '5x', 's', '1e3s']) expect(parseDurationMs(bad)).toBeNull();
    expect([60, 90, 3600, 300].map(windowLabel)).toEqual(['1m', '90s', '1h', '5m']);
  });

  it('defaults: 5 s interval, 1 and 5 min windows, endpoint on 127.0.0.1:9464', () => {
    const config = resolveMeterConfig({ ...base, url: 'http://h:8000/metrics/' });
    expect(config).toMatchObject({
      mode: 'direct',
      url: 'http://h:8000',
      intervalMs: 5000,
      windowsSeconds: [60, 300],
      scrapeTimeoutMs: 5000,
      listen: { host: '127.0.0.1', port: 9464 },
      slo: null,
      log: null,
    });
    expect(config.price).toMatchObject({ label: 'custom', gpuHourlyUsd: 6.98, gpus: 1 });
  });

  it('takes the price from the catalog, or --gpu-price over it', () => {
    const catalog = resolveMeterConfig({ url: base.url, gpu: 'H100', gpus: 2 }).price;
    expect(catalog).toMatchObject({ label: 'h100', gpuClass: 'h100', gpuHourlyUsd: 6.98, gpus: 2 });
    expect(catalog.priceSource).toMatch(/^catalog:h100/);
    const own = resolveMeterConfig({ url: base.url, gpu: 'a100', gpuPrice: 1.5 }).price;
    expect(own).toMatchObject({ label: 'a100', gpuClass: 'a100', gpuHourlyUsd: 1.5 });
    const other = resolveMeterConfig({ url: base.url, gpu: 'L40S', gpuPrice: 1.1 }).price;
    expect(other).toMatchObject({ label: 'l40s', gpuClass: null });
  });

  it('binds where asked, and --no-listen turns the endpoint off', () => {
    expect(resolveMeterConfig({ ...base, listen: '0' }).listen).toEqual({
      host: '127.0.0.1',
      port: 0,
    });
    expect(resolveMeterConfig({ ...base, listen: '9000', bind: '0.0.0.0' }).listen).toEqual({
      host: '0.0.0.0',
      port: 9000,
    });
    expect(resolveMeterConfig({ ...base, listen: '[::1]:9000' }).listen).toEqual({
      host: '::1',
      port: 9000,
    });
    expect(resolveMeterConfig({ ...base, listen: false }).listen).toBeNull();
  });

  it('rejects bad combinations with a message naming the flag', () => {
    expect(usage({ gpuPrice: 1 })).toMatch(/--url .* or --prometheus/);
    expect(usage({ ...base, prometheus: 'http://p:9090' })).toMatch(/exactly one/);
    expect(usage({ url: base.url })).toMatch(/--gpu-price .* or --gpu/);
    expect(usage({ url: base.url, gpu: 'tpu' })).toMatch(/--gpu 'tpu' is not in the price catalog/);
    expect(usage({ ...base, url: 'ftp://x' })).toMatch(/--url must use http or https/);
    expect(usage({ ...base, url: 'not a url' })).toMatch(/--url must be an http\(s\) URL/);
    expect(usage({ ...base, interval: 'fast' })).toMatch(/--interval must be a duration/);
    expect(usage({ ...base, interval: '50ms' })).toMatch(/at least 100ms/);
    expect(usage({ ...base, windows: '5s', interval: '5s' })).toMatch(/shorter than two/);
    expect(usage({ ...base, windows: '1m,x' })).toMatch(/--windows must list/);
    expect(usage({ ...base, log: 'out.txt' })).toMatch(/--log must name a \.csv or \.jsonl/);
    expect(usage({ ...base, listen: 'a:b' })).toMatch(/--listen must be PORT or HOST:PORT/);
    expect(usage({ ...base, listen: '1.2.3.4:9', bind: '::' })).toMatch(/disagree/);
    expect(usage({ ...base, selector: 'job="x"' })).toMatch(/--prometheus mode only/);
    const fleet = { prometheus: 'http://p:9090', gpuPrice: 1 };
    expect(usage({ ...fleet, selector: 'job=x' })).toMatch(/--selector must be label matchers/);
    // What an unquoted job="vllm" becomes after the shell: the message says how to quote it.
    expect(usage({ ...fleet, selector: 'job=vllm' })).toContain(`--selector 'job="vllm"'`);
    expect(usage({ ...fleet, replicaLabel: 'a-b' })).toMatch(/--replica-label/);
  });

  it('accepts fleet selectors with or without braces', () => {
    const fleet = { prometheus: 'http://p:9090/', gpuPrice: 1 };
    const config = resolveMeterConfig({ ...fleet, selector: '{job="vllm", ns=~"a,b"}' });
    expect(config.selector).toBe('job="vllm",ns=~"a,b"');
    expect(config.url).toBe('http://p:9090');
    expect(config.mode).toBe('prometheus');
  });

  it('collects the SLO bounds given', () => {
    expect(resolveMeterConfig({ ...base, sloTtftP99Ms: 300 }).slo).toEqual({
      ttftP99Ms: 300,
      tpotP99Ms: null,
      e2eP99Ms: null,
    });
  });
});
