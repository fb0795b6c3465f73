import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMeterConfig } from '../../src/meter/config.ts';
import { FleetMeter } from '../../src/meter/fleet/fleetMeter.ts';
import type { MeterReading } from '../../src/meter/types.ts';

/**
 * A stand-in Prometheus that knows one counter and answers every query with one sample per
 * replica present (value 1), labelled by the query's first `by (…)` and tagged like the query.
 */
const present = new Set<string>();
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  let body: unknown;
  if (url.pathname.startsWith('/api/v1/label/')) {
    const names = url.pathname.includes('__name__') ? ['vllm:generation_tokens_total'] : [];
    body = { status: 'success', data: names };
  } else {
    const query = url.searchParams.get('query') ?? '';
    const by = (/by \(([^)]*)\)/.exec(query)?.[1] ?? '').split(', ').filter(Boolean);
    const tags = [...query.matchAll(/"meter_stat", "([^"]+)"/g)].map((m) => m[1] as string);
    const result = [...present].flatMap((instance) =>
      (tags.length ? tags : [null]).map((tag) => ({
        metric: Object.fromEntries([
          ...by.map((l) => [l, l === 'instance' ? instance : 'm']),
          ...(tag ? [['meter_stat', tag]] : []),
        ]),
        value: [Number(url.searchParams.get('time')), '1'],
      })),
    );
    body = { status: 'success', data: { resultType: 'vector', result } };
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const spent = (r: MeterReading, scope: string, replica = 'all') =>
  r.scopes.find((s) => s.scope === scope && s.replica === replica)?.cumulative?.usd;

describe('fleet billing', () => {
  it('bills a replica while it is there, and stops when it is scaled away', async () => {
    const T0 = 1_800_000_000_000;
    const clock = { t: T0 };
    // $3.60 per replica-hour = $0.001 per replica-second.
    const config = resolveMeterConfig({
      prometheus: url,
      gpuPrice: 3.6,
      interval: '5s',
      listen: false,
    });
    const meter = new FleetMeter(config, { now: () => clock.t });
    const at = async (seconds: number, replicas: string[]) => {
      present.clear();
      for (const r of replicas) present.add(r);
      return meter.sampleOnce(T0 + seconds * 1000);
    };
    const r1 = await at(10, ['a:1', 'b:1']); // both billed from the start: 10 s each
    expect(spent(r1, 'fleet')).toBeCloseTo(0.02, 12);
    await at(70, ['a:1', 'b:1']); // +60 s each → 0.07 each
    await at(130, ['a:1']); // b gone: a 0.13, b stays 0.07
    const r4 = await at(190, ['a:1', 'b:1']); // b back: billed again only from now
    expect(spent(r4, 'replica', 'b:1')).toBeCloseTo(0.07, 12);
    const r5 = await at(250, ['a:1', 'b:1']);
    expect(spent(r5, 'replica', 'a:1')).toBeCloseTo(0.25, 12);
    expect(spent(r5, 'replica', 'b:1')).toBeCloseTo(0.13, 12);
    expect(spent(r5, 'fleet')).toBeCloseTo(0.38, 12);
    expect(spent(r5, 'model')).toBeCloseTo(0.38, 12); // both serve model 'm'
    await meter.stop();
  });
});
