/**
 * The terminal dashboard: a frame of text the CLI redraws in place (log-update) each interval.
 * One column per window; cost first, then the load that explains it, then latency and state.
 */

import pc from 'picocolors';
import { windowLabel } from './config.ts';
import { costPerM, duration, ms, num, pct, tokens, usd } from './format.ts';
import type { MeterReading, ScopeReading, WindowReading } from './types.ts';

type Row = [string, (w: WindowReading) => string];

const q3 = (s: { p50: number | null; p90: number | null; p99: number | null }) =>
  `${ms(s.p50)} / ${ms(s.p90)} / ${ms(s.p99)}`;

const ROWS: Row[] = [
  ['C_eff (per M output tok)', costPerM],
  ['penalty vs reference', (w) => num(w.cost.penalty, '×')],
  ['$ per M input tok', (w) => usd(w.cost.usdPerMInputTok)],
  ['$ per request', (w) => usd(w.cost.usdPerRequest)],
  ['output tok/s', (w) => num(w.outputTokensPerS)],
  ['input tok/s', (w) => num(w.promptTokensPerS)],
  ['completed req/s', (w) => num(w.requestsPerS)],
  ['arrivals req/s (est.)', (w) => num(w.arrivalsPerS)],
  ['TTFT p50/p90/p99', (w) => q3(w.latencyMs.ttft)],
  ['ITL p50/p90/p99', (w) => q3(w.latencyMs.itl)],
  ['TPOT p50/p90/p99', (w) => q3(w.latencyMs.tpot)],
  ['E2E p50/p90/p99', (w) => q3(w.latencyMs.e2e)],
  ['prompt len p50/p99', (w) => `${num(w.lengths.prompt.p50)} / ${num(w.lengths.prompt.p99)}`],
  [
    'output len p50/p99',
    (w) => `${num(w.lengths.generation.p50)} / ${num(w.lengths.generation.p99)}`,
  ],
  ['preemptions/s', (w) => num(w.preemptionsPerS)],
  ['prefix-cache hit rate', (w) => pct(w.prefixCacheHitRate)],
];

function sloText(w: WindowReading, color: boolean): string {
  if (!w.slo) return '';
  const paint = (ok: boolean | null, text: string) =>
    !color ? text : ok === null ? pc.dim(text) : ok ? pc.green(text) : pc.red(text);
  return w.slo.checks
    .map((c) =>
      paint(
        c.ok,
        `${c.metric} ${ms(c.p99Ms)}≤${ms(c.maxMs)} ${c.ok === null ? '?' : c.ok ? '✓' : '✗'}`,
      ),
    )
    .join(' ');
}

function windowTable(scope: ScopeReading, color: boolean, skip: ReadonlySet<string>): string[] {
  const heads = scope.windows.map((w) => {
    const tag = windowLabel(w.windowSeconds);
    return w.filled || w.spanSeconds === null
      ? tag
      : `${tag} (filling ${Math.round(w.spanSeconds)}s)`;
  });
  const rows: Array<[string, string[]]> = ROWS.filter(([label]) => !skip.has(label)).map(
    ([label, get]) => [label, scope.windows.map(get)],
  );
  if (scope.windows.some((w) => w.slo)) {
    rows.push(['SLO (p99)', scope.windows.map((w) => sloText(w, color))]);
  }
  const labelWidth = Math.max(...rows.map(([l]) => l.length));
  const colWidth = Math.max(
    18,
    ...heads.map((h) => h.length),
    ...rows.flatMap(([, v]) => v.map(visible)),
  );
  const pad = (text: string) => text + ' '.repeat(Math.max(0, colWidth - visible(text)));
  const bold = (t: string) => (color ? pc.bold(t) : t);
  const lines = [`${' '.repeat(labelWidth)}  ${heads.map((h) => bold(pad(h))).join('  ')}`];
  for (const [label, values] of rows) {
    lines.push(`${label.padEnd(labelWidth)}  ${values.map(pad).join('  ')}`);
  }
  return lines;
}

/** Printable width, ignoring ANSI colour codes. */
function visible(text: string): number {
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

function scopeFooter(scope: ScopeReading): string[] {
  const lines = [
    `running ${num(scope.state.running)}   waiting ${num(scope.state.waiting)}   ` +
      `KV cache ${pct(scope.state.kvCacheUsageMax)} (max) ${pct(scope.state.kvCacheUsageMean)} (mean)`,
  ];
  if (scope.cumulative) {
    const c = scope.cumulative;
    lines.push(
      `since start (${duration(c.elapsedSeconds)}): spent ${usd(c.usd)}, ` +
        `${tokens(c.outputTokens)} output tokens → ${usd(c.usdPerMOutputTok)}/M on average` +
        (scope.restarts > 0 ? `   restarts seen: ${scope.restarts}` : ''),
    );
  }
  if (scope.reference) {
    const r = scope.reference;
    lines.push(
      `reference ${r.id}: θ_max ${num(r.thetaMaxTokPerS)} tok/s → C_naive ${usd(r.cNaiveUsdPerMTok)}/M ` +
        `at this price; measured under ${r.protocol}`,
    );
  } else {
    lines.push(`reference: none (${scope.referenceNote ?? 'no paper configuration matches'})`);
  }
  return lines;
}

function replicaTable(reading: MeterReading): string[] {
  const replicas = reading.scopes.filter((s) => s.scope === 'replica' || s.scope === 'model');
  if (replicas.length === 0) return [];
  const lines = [
    '',
    'scope     replica / model                     up  out tok/s   C_eff       run  wait  KV',
  ];
  for (const s of replicas) {
    const w = s.windows[0];
    const name = s.scope === 'replica' ? `${s.replica} ${s.model}` : s.model;
    lines.push(
      `${s.scope.padEnd(9)} ${name.slice(0, 35).padEnd(35)} ${(s.up ? 'yes' : 'NO').padEnd(3)} ` +
        `${(w ? num(w.outputTokensPerS) : '–').padEnd(11)} ${(w ? costPerM(w) : '–').padEnd(11)} ` +
        `${num(s.state.running).padEnd(4)} ${num(s.state.waiting).padEnd(5)} ${pct(s.state.kvCacheUsageMax)}`,
    );
  }
  return lines;
}

/** Rows left out first when the terminal is too short for the whole frame. */
const OPTIONAL_ROWS = [
  'prompt len p50/p99',
  'output len p50/p99',
  '$ per request',
  '$ per M input tok',
  'preemptions/s',
  'ITL p50/p90/p99',
  'prefix-cache hit rate',
  'E2E p50/p90/p99',
  'arrivals req/s (est.)',
  'input tok/s',
];

function header(reading: MeterReading, main: ScopeReading | undefined, color: boolean): string[] {
  const status =
    reading.status === 'ok'
      ? color
        ? pc.green('● live')
        : 'live'
      : reading.status === 'gap'
        ? color
          ? pc.red('● GAP')
          : 'GAP'
        : 'waiting for samples';
  const g = reading.gpu;
  const perServer = `GPU ${g.label} × ${g.gpus} at $${g.gpuHourlyUsd}/GPU-h`;
  return [
    `${color ? pc.bold('vllm-cost-meter') : 'vllm-cost-meter'}  ${status}  ${reading.source}` +
      (reading.serverVersion ? `  vLLM ${reading.serverVersion}` : ''),
    reading.mode === 'prometheus'
      ? `fleet of ${main?.replicas ?? 0} replicas, model ${main?.model ?? '?'}   ${perServer} ` +
        `per replica = ${usd(main?.nodeHourlyUsd ?? 0)}/h in all`
      : `model ${main?.model ?? '?'}   ${perServer} = ${usd(g.gpuHourlyUsd * g.gpus)}/h`,
  ];
}

function gapLines(reading: MeterReading, color: boolean): string[] {
  const open = reading.gaps.at(-1);
  if (!open) return [];
  const at = (ms: number | null) => (ms === null ? 'open' : new Date(ms).toISOString());
  if (reading.status === 'gap') {
    const text = `gap (${open.kind}) since ${at(open.startMs)}: ${reading.lastError ?? open.message}`;
    return ['', color ? pc.red(text) : text];
  }
  return [
    '',
    `last gap: ${open.kind} ${at(open.startMs)} → ${at(open.endMs)} (${reading.gapsTotal} in all)`,
  ];
}

/**
 * One frame. With `rows` (the terminal's height), the least needed rows are left out until the
 * frame fits, and the replica list is cut short, so the cost lines at the top stay in view.
 */
export function renderDashboard(
  reading: MeterReading,
  options: { color?: boolean; rows?: number } = {},
): string {
  const color = options.color ?? true;
  const main =
    reading.scopes.find((s) => s.scope === 'fleet' || s.scope === 'server') ?? reading.scopes[0];
  const frame = (skip: ReadonlySet<string>, replicaLimit: number) => {
    const lines = [...header(reading, main, color), ''];
    if (main) lines.push(...windowTable(main, color, skip), '', ...scopeFooter(main));
    const replicas = replicaTable(reading);
    if (replicas.length > replicaLimit) {
      const more = replicas.length - replicaLimit;
      lines.push(...replicas.slice(0, replicaLimit), `… ${more} more (see /cost)`);
    } else lines.push(...replicas);
    lines.push(...gapLines(reading, color));
    return lines;
  };

  const room = options.rows && options.rows > 0 ? options.rows - 1 : Number.POSITIVE_INFINITY;
  const skip = new Set<string>();
  let lines = frame(skip, Number.POSITIVE_INFINITY);
  for (const label of OPTIONAL_ROWS) {
    if (lines.length <= room) break;
    skip.add(label);
    lines = frame(skip, Number.POSITIVE_INFINITY);
  }
  if (lines.length > room) {
    const over = lines.length - room;
    lines = frame(skip, Math.max(2, replicaTable(reading).length - over - 1));
  }
  return lines.join('\n');
}
