/**
 * How fast can the driver go and stay exact? Runs driveStep at increasing open-loop rates
 * against scripts/zero-sse-server.ts (a separate process) and prints, per rate, the achieved
 * send rate, schedule lag, event-loop delay, CPU, and the timing error against the server's own
 * write times. The true TTFT is the server's first write − the driver's send, on one clock (the
 * server's epoch clock shifted by an IPC ping-pong offset), as in test/load/driver.timing.test.ts:
 * the TTFT error is then how late the driver saw the first token it was sent. The span error
 * compares first-to-last-token spans, a difference that needs no common clock. The request's
 * own transit into the server (its arrival − our send) is printed for information: it is part
 * of every client's TTFT, not an error. A rate passes when achieved ≥ 97% of offered, lag p99
 * < 1 ms, TTFT error p99 < 1 ms and span error p99 < 1 ms, with every request successful. The
 * first rate of a run also pays for JIT compilation and heap growth: list a throw-away rate
 * first for steady-state figures.
 *
 *   scripts/bench-driver [--rates 200,400,800,1000] [--duration 10] [--warmup 2]
 *                        [--tokens 256] [--arrival poisson|constant] [--step-ms 0] [--seed 1]
 *                        [--write burst|stepped]   (how the server writes; see zero-sse-server.ts)
 * SERVER_NODE_FLAGS="…" passes Node flags to the zero-work server (e.g. heap sizes).
 * Profile: NODE_OPTIONS=--cpu-prof scripts/bench-driver --rates 1000
 */

import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { driveStep } from '../src/load/driver.ts';
import { buildPlan } from '../src/load/schedule.ts';
import type { DriveSummary } from '../src/load/types.ts';
import { percentile } from '../src/util/stats.ts';

if (process.argv.includes('--help')) {
  console.log(
    'usage: scripts/bench-driver [--rates 200,400,800,1000] [--duration 10] [--warmup 2]\n' +
      '                            [--tokens 256] [--arrival poisson|constant] [--step-ms 0] [--seed 1]\n' +
      '                            [--write burst|stepped]\n' +
      'Runs driveStep at each open-loop rate against a zero-work SSE server in another process.',
  );
  process.exit(0);
}

const flags = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) {
  flags.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
}
const rates = (flags.get('rates') ?? '200,400,600,800,1000,1200').split(',').map(Number);
const durationS = Number(flags.get('duration') ?? 10);
const warmupS = Number(flags.get('warmup') ?? 2);
const tokens = Number(flags.get('tokens') ?? 256);
const arrival = flags.get('arrival') === 'constant' ? 'constant' : 'poisson';
const seed = Number(flags.get('seed') ?? 1);

/** Server wall-clock times: request arrival, first and last token write. */
type Stamp = [arrivalMs: number, firstMs: number, lastMs: number];

async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const url = new URL('./zero-sse-server.ts', import.meta.url);
  const child = fork(
    url.pathname,
    [
      '--tokens',
      String(tokens),
      '--step-ms',
      flags.get('step-ms') ?? '0',
      '--write',
      flags.get('write') ?? 'burst',
    ],
    {
      execArgv: (process.env.SERVER_NODE_FLAGS ?? '')
        .split(' ')
        .filter(Boolean)
        .concat(['--import', 'tsx']),
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  const [msg] = (await once(child, 'message')) as [{ type: string; port: number }];
  return { child, port: msg.port };
}

function ask<T>(child: ChildProcess, message: object, type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

/** Server clock minus ours, from the ping with the shortest round trip. */
async function clockOffsetMs(child: ChildProcess): Promise<number> {
  let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
  for (let i = 0; i < 50; i++) {
    const t1 = performance.timeOrigin + performance.now();
    const { t2 } = await ask<{ t2: number }>(child, { type: 'clock', t1 }, 'clock');
    const t4 = performance.timeOrigin + performance.now();
    if (t4 - t1 < best.rtt) best = { rtt: t4 - t1, offset: t2 - (t1 + t4) / 2 };
  }
  return best.offset;
}

interface Row {
  rate: number;
  summary: DriveSummary;
  ttftErrP50: number | null;
  ttftErrP99: number | null;
  transitP99: number | null;
  spanErrP99: number | null;
  serverCpu: number;
  pass: boolean;
}

async function runRate(child: ChildProcess, port: number, rate: number, offset: number) {
  const plan = buildPlan({
    arrival: { kind: arrival },
    rateRps: rate,
    warmupSeconds: warmupS,
    measureSeconds: durationS,
    promptLength: { kind: 'fixed', value: 32 },
    outputLength: { kind: 'fixed', value: tokens },
    seed,
    streamId: `bench/${rate}`,
  });
  // Only what the error figures need, in flat arrays: retaining whole records would promote
  // them to the old generation and time the bench's own major GCs, not the driver's.
  const ids: string[] = [];
  const times = new Float64Array(3 * plan.requests.length);
  await ask(child, { type: 'stamps' }, 'stamps'); // clears the server's stamps and CPU mark
  const summary = await driveStep({
    baseUrl: `http://127.0.0.1:${port}`,
    api: 'completions',
    model: 'zero',
    plan,
    maxConcurrency: null,
    requestTimeoutMs: 30_000,
    drainTimeoutMs: 30_000,
    shape: {
      ignoreEos: true,
      pinOutputLength: false,
      continuousUsage: false,
      temperature: null,
      extraBody: {},
    },
    prompt: { vocabSize: 32_000, tokenizerPath: null, salt: `bench${rate}` },
    apiKey: null,
    labels: { variant: 'bench', stepIndex: 0, repeat: 0, rateRps: rate },
    recordChunks: false,
    onRecord: (r) => {
      if (
        r.phase !== 'measure' ||
        !r.ok ||
        r.sentAtMs === null ||
        r.firstTokenAtMs === null ||
        r.lastTokenAtMs === null
      ) {
        return;
      }
      const at = 3 * ids.length;
      ids.push(r.id);
      times[at] = r.sentAtMs;
      times[at + 1] = r.firstTokenAtMs;
      times[at + 2] = r.lastTokenAtMs;
    },
  });
  const { stamps, cpuMs } = await ask<{ stamps: Record<string, Stamp>; cpuMs: number }>(
    child,
    { type: 'stamps' },
    'stamps',
  );

  // Server times converted to our clock: ours = theirs − offset.
  const ttftErr: number[] = [];
  const spanErr: number[] = [];
  const transitMs: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const s = stamps[ids[i] as string];
    if (!s) continue;
    const sentAtMs = times[3 * i] as number;
    const firstTokenAtMs = times[3 * i + 1] as number;
    const lastTokenAtMs = times[3 * i + 2] as number;
    const toOurs = (serverEpochMs: number) => serverEpochMs - offset - summary.originEpochMs;
    const trueTtft = toOurs(s[1]) - sentAtMs;
    ttftErr.push(Math.abs(firstTokenAtMs - sentAtMs - trueTtft));
    spanErr.push(Math.abs(lastTokenAtMs - firstTokenAtMs - (s[2] - s[1])));
    transitMs.push(toOurs(s[0]) - sentAtMs);
  }
  const h = summary.health;
  const ttftErrP99 = percentile(ttftErr, 99);
  const spanErrP99 = percentile(spanErr, 99);
  const pass =
    summary.failed + summary.incomplete === 0 &&
    (h.achievedSendRps ?? 0) >= 0.97 * h.offeredRps &&
    (h.scheduleLagMs.p99 ?? Number.POSITIVE_INFINITY) < 1 &&
    (ttftErrP99 ?? Number.POSITIVE_INFINITY) < 1 &&
    (spanErrP99 ?? Number.POSITIVE_INFINITY) < 1;
  const wallMs = summary.endAtMs;
  return {
    rate,
    summary,
    ttftErrP50: percentile(ttftErr, 50),
    ttftErrP99,
    spanErrP99,
    transitP99: percentile(transitMs, 99),
    serverCpu: (cpuMs / wallMs) * 100,
    pass,
  } satisfies Row;
}

const f = (x: number | null, digits = 2) => (x === null ? '—' : x.toFixed(digits));

async function main(): Promise<void> {
  const { child, port } = await startServer();
  const offset = await clockOffsetMs(child);
  console.log(
    `zero-work server on 127.0.0.1:${port}, ${tokens} one-token chunks per response, ` +
      `${arrival} arrivals, ${warmupS} s warm-up + ${durationS} s measured per rate; ` +
      `clock offset to server ${offset.toFixed(3)} ms`,
  );
  const header = [
    'rate/s',
    'achieved/s',
    'ach%',
    'lag p50',
    'lag p99',
    'lag max',
    'loop p99',
    'cpu%',
    'cpu µs/req',
    'srv cpu%',
    'ttft err p50',
    'ttft err p99',
    'span err p99',
    'req transit p99',
    'ok',
    'fail',
    'pass',
  ];
  console.log(header.join('\t'));
  let best: number | null = null;
  for (const rate of rates) {
    const row = await runRate(child, port, rate, offset);
    const h = row.summary.health;
    console.log(
      [
        rate,
        f(h.achievedSendRps, 1),
        f(h.achievedSendRps === null ? null : (100 * h.achievedSendRps) / h.offeredRps, 1),
        f(h.scheduleLagMs.p50, 3),
        f(h.scheduleLagMs.p99, 3),
        f(h.scheduleLagMs.max, 2),
        f(h.eventLoopDelayMs.p99, 2),
        f(h.cpuPercent, 0),
        f(
          h.cpuPercent === null
            ? null
            : (h.cpuPercent * 10 * row.summary.endAtMs) / row.summary.sent,
          0,
        ),
        f(row.serverCpu, 0),
        f(row.ttftErrP50, 3),
        f(row.ttftErrP99, 3),
        f(row.spanErrP99, 3),
        f(row.transitP99, 3),
        row.summary.ok,
        row.summary.failed + row.summary.incomplete,
        row.pass ? 'yes' : 'no',
      ].join('\t'),
    );
    if (row.pass) best = Math.max(best ?? 0, rate);
  }
  console.log(`highest passing rate: ${best === null ? 'none' : `${best} req/s`}`);
  child.disconnect();
}

await main();
