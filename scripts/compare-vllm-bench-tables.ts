/**
 * Markdown tables for scripts/compare-vllm-bench, with the tolerances the README states.
 *
 * Against the real server the two clients run one after the other, so their latencies differ
 * by however much the (shared, noisy) machine slowed the server between the runs. Each client
 * is therefore judged against the server's own histograms over its own run, where no machine
 * noise can hide: the client's per-token ITL and e2e means must match the server's within 5%,
 * and its TTFT may exceed the server's only by the request's way in and out (HTTP, SSE).
 */

import { histMeanMs } from './compare-vllm-bench-lib.ts';
import type { ClientFigures, RealComparison } from './compare-vllm-bench-real.ts';
import { ON_SCHEDULE, ZERO_TOKENS, type ZeroRow } from './compare-vllm-bench-zero.ts';

export const TOLERANCE = {
  /** Same schedule, same definition (tokens ÷ duration including the drain). */
  throughputPct: 3,
  /** C_eff = price / θ: it inherits θ's tolerance. */
  cEffPct: 3,
  /** Client mean vs the server's histogram mean over the same run. */
  clientVsServerPct: 5,
  /** Client TTFT mean minus the server's: the HTTP request in, the first SSE event out. */
  ttftOverheadMaxMs: 25,
};

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const signed = (x: number, digits = 1) => `${x >= 0 ? '+' : ''}${f(x, digits)}`;
const pct = (value: number, reference: number) => (100 * (value - reference)) / reference;
const yes = (ok: boolean) => (ok ? 'yes' : 'NO');

function sameSchedule(c: RealComparison): string[] {
  const { bench: b, ours: o } = c;
  const row = (name: string, bv: number, ov: number, digits: number, tolPct: number) => {
    const d = pct(ov, bv);
    const tol = tolPct === 0 ? 'exact' : `±${tolPct}%`;
    return `| ${name} | ${f(bv, digits)} | ${f(ov, digits)} | ${signed(d)}% | ${tol} | ${yes(Math.abs(d) <= tolPct)} |`;
  };
  return [
    '| same schedule | vllm bench serve | ours | ours vs bench | tolerance | agrees |',
    '|---|---|---|---|---|---|',
    row('completed requests', b.completed, o.completed, 0, 0),
    row('output tokens', b.outputTokens, o.outputTokens, 0, 0),
    row(
      'output tok/s (÷ duration incl. drain)',
      b.outputTokPerS,
      o.outputTokPerS,
      1,
      TOLERANCE.throughputPct,
    ),
    row('requests/s (same)', b.requestsPerS, o.requestsPerS, 3, TOLERANCE.throughputPct),
    row(
      'C_eff $/M (import of the bench JSON; analyze of our run)',
      b.cEffUsdPerMTok,
      o.cEffUsdPerMTok,
      5,
      TOLERANCE.cEffPct,
    ),
  ];
}

/** Whether a client's figures match the server's own view of its run. */
export function clientMatchesServer(x: ClientFigures): {
  itl: boolean;
  e2e: boolean;
  ttft: boolean;
  counts: boolean;
} {
  const overheadMs = x.ttftMeanMs - histMeanMs(x.server.ttft);
  return {
    itl:
      Math.abs(pct(x.itlPerTokenMeanMs, histMeanMs(x.server.itl))) <= TOLERANCE.clientVsServerPct,
    e2e: Math.abs(pct(x.e2eMeanMs, histMeanMs(x.server.e2e))) <= TOLERANCE.clientVsServerPct,
    ttft: overheadMs >= -1 && overheadMs <= TOLERANCE.ttftOverheadMaxMs,
    counts:
      x.server.outputTokens === x.outputTokens &&
      x.server.promptTokens === x.promptTokens &&
      x.server.requests === x.completed + x.failed,
  };
}

function againstServer(c: RealComparison): string[] {
  const cols = (x: ClientFigures) => {
    const m = clientMatchesServer(x);
    const s = x.server;
    return {
      ttft: `${f(x.ttftMeanMs)} / ${f(histMeanMs(s.ttft))} (${signed(x.ttftMeanMs - histMeanMs(s.ttft))} ms) ${yes(m.ttft)}`,
      itl: `${f(x.itlPerTokenMeanMs, 2)} / ${f(histMeanMs(s.itl), 2)} (${signed(pct(x.itlPerTokenMeanMs, histMeanMs(s.itl)))}%) ${yes(m.itl)}`,
      e2e: `${f(x.e2eMeanMs, 0)} / ${f(histMeanMs(s.e2e), 0)} (${signed(pct(x.e2eMeanMs, histMeanMs(s.e2e)))}%) ${yes(m.e2e)}`,
      counts: `${x.outputTokens} / ${s.outputTokens}, ${x.promptTokens} / ${s.promptTokens}, ${x.completed + x.failed} / ${s.requests} ${yes(m.counts)}`,
    };
  };
  const b = cols(c.bench);
  const o = cols(c.ours);
  return [
    '| client / the server over the same run | vllm bench serve | ours | tolerance |',
    '|---|---|---|---|',
    `| output tokens, prompt tokens, requests | ${b.counts} | ${o.counts} | exact |`,
    `| TTFT mean, ms | ${b.ttft} | ${o.ttft} | client − server in [−1, ${TOLERANCE.ttftOverheadMaxMs}] ms |`,
    `| ITL mean per token, ms | ${b.itl} | ${o.itl} | ±${TOLERANCE.clientVsServerPct}% |`,
    `| e2e mean, ms | ${b.e2e} | ${o.e2e} | ±${TOLERANCE.clientVsServerPct}% |`,
  ];
}

function clientOnly(c: RealComparison): string[] {
  const { bench: b, ours: o } = c;
  const row = (name: string, bv: number, ov: number, digits: number) =>
    `| ${name} | ${f(bv, digits)} | ${f(ov, digits)} | ${signed(pct(ov, bv))}% |`;
  return [
    '| latency as each client reports it | vllm bench serve | ours | ours vs bench |',
    '|---|---|---|---|',
    row('TTFT p50, ms', b.ttftP50Ms, o.ttftP50Ms, 1),
    row('TTFT p99, ms', b.ttftP99Ms, o.ttftP99Ms, 1),
    row('ITL mean per SSE event ("ITL" in vllm bench), ms', b.chunkGapMeanMs, o.chunkGapMeanMs, 2),
    row('TPOT mean, ms', b.tpotMeanMs, o.tpotMeanMs, 2),
    row('TPOT p50, ms', b.tpotP50Ms, o.tpotP50Ms, 2),
    row(
      "the server's own ITL mean over the run, ms",
      histMeanMs(b.server.itl),
      histMeanMs(o.server.itl),
      2,
    ),
  ];
}

/**
 * Why the two C_eff figures differ: `import` prices vLLM's θ (all tokens ÷ duration including
 * the drain), `analyze` prices ours over the measured window, which ends at the last send. The
 * gap splits exactly into that definition, measured on our own run, and the two runs' θ under
 * one definition.
 */
function cEffSplit(c: RealComparison): string[] {
  const definition = pct(c.oursWindowTokPerS, c.ours.outputTokPerS);
  const runs = pct(c.ours.outputTokPerS, c.bench.outputTokPerS);
  const total = pct(c.ours.cEffUsdPerMTok, c.bench.cEffUsdPerMTok);
  return [
    `- C_eff ours vs bench ${signed(total)}%: θ over our window is ${signed(definition)}% from ` +
      `θ over our whole run (the window leaves out the ${c.oursAfterWindow.outputTokens} ` +
      `tokens streamed in the ${f(c.oursAfterWindow.seconds, 2)} s after the last send), and ` +
      `our run's θ under vLLM's definition is ${signed(runs)}% from the bench's`,
  ];
}

export function realTable(c: RealComparison): string {
  return [
    `### Real server: λ = ${c.spec.rateRps} req/s, ${c.spec.prompts} requests, seed ${c.spec.seed} (ours replays the bench's send times and prompt lengths)`,
    '',
    ...sameSchedule(c),
    '',
    ...againstServer(c),
    '',
    ...clientOnly(c),
    '',
    `- our θ as the tool defines it (tokens inside the window from the first to the last send, ` +
      `no drain): ${f(c.oursWindowTokPerS)} tok/s (${signed(pct(c.oursWindowTokPerS, c.bench.outputTokPerS))}% ` +
      `from the bench's); our step's own reconciliation with the server: ` +
      `${c.oursReconciled ? 'exact' : 'FAILED'}`,
    ...cEffSplit(c),
    `- files: ${c.benchPath}, ${c.oursDir}`,
  ].join('\n');
}

export function zeroTable(rows: ZeroRow[]): string {
  const best = (tool: ZeroRow['tool']) =>
    Math.max(0, ...rows.filter((r) => r.tool === tool && r.onSchedule).map((r) => r.rateRps));
  return [
    `### Zero-work server (${ZERO_TOKENS} one-token chunks per response): how fast each client keeps its schedule`,
    '',
    '| offered λ | client | requests | sent/s | sent ÷ asked | completed/s | TTFT p50 ms | TTFT p99 ms | failed | on schedule |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.rateRps} | ${r.tool} | ${r.requests} | ${f(r.sentRps)} | ${f(100 * r.sendRatio)}% | ` +
        `${f(r.completedRps)} | ${f(r.ttftP50Ms, 2)} | ${f(r.ttftP99Ms, 2)} | ${r.failed} | ` +
        `${r.onSchedule ? 'yes' : 'no'} |`,
    ),
    '',
    `On schedule: sent ≥ ${ON_SCHEDULE.minSendRatio * 100}% of the asked rate, no failure, TTFT ` +
      `p99 < ${ON_SCHEDULE.maxTtftP99Ms} ms. Highest rate on schedule: vllm bench serve ` +
      `${best('vllm bench serve') || 'none'}, ours ${best('ours') || 'none'} req/s.`,
  ].join('\n');
}
