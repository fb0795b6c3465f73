/**
 * Number formatting shared by the dashboard and the plain line, and the plain line itself: one
 * line per interval, greppable, no colour, same fields every time.
 */

import { windowLabel } from './config.ts';
import type { MeterReading, ScopeReading, WindowReading } from './types.ts';

const DASH = '–';

/** Three significant figures, never exponent notation for the magnitudes the meter shows. */
export function sig3(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Number.isInteger(value)) return String(value);
  const digits = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  return value.toFixed(Math.min(digits, 6));
}

export function usd(value: number | null): string {
  if (value === null || Number.isNaN(value)) return DASH;
  if (!Number.isFinite(value)) return '∞';
  return `$${sig3(value)}`;
}

export function num(value: number | null, unit = ''): string {
  if (value === null || Number.isNaN(value)) return DASH;
  if (!Number.isFinite(value)) return '∞';
  return `${sig3(value)}${unit}`;
}

export function ms(value: number | null): string {
  if (value === null || Number.isNaN(value)) return DASH;
  return value >= 10_000 ? `${sig3(value / 1000)}s` : `${sig3(value)}ms`;
}

export function pct(value: number | null): string {
  if (value === null || Number.isNaN(value)) return DASH;
  return `${sig3(value * 100)}%`;
}

export function tokens(value: number): string {
  if (value >= 1e9) return `${sig3(value / 1e9)}G`;
  if (value >= 1e6) return `${sig3(value / 1e6)}M`;
  if (value >= 1e4) return `${sig3(value / 1e3)}k`;
  return String(Math.round(value));
}

export function duration(seconds: number): string {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

/** '$0.412/M' or 'idle ∞/M' or '–' while the window has no rate yet. */
export function costPerM(w: WindowReading): string {
  if (w.outputTokensPerS === null) return DASH;
  if (w.cost.idle) return 'idle ∞/M';
  return `${usd(w.cost.cEffUsdPerMTok)}/M`;
}

function windowTag(w: WindowReading): string {
  const label = windowLabel(w.windowSeconds);
  if (w.filled || w.spanSeconds === null) return label;
  return `${label}(${Math.round(w.spanSeconds)}s)`;
}

function plainWindow(w: WindowReading): string {
  if (w.outputTokensPerS === null) return `${windowTag(w)}: no data`;
  const parts = [
    `${windowTag(w)}: ${costPerM(w)}`,
    `out ${num(w.outputTokensPerS)} tok/s`,
    `in ${num(w.promptTokensPerS)} tok/s`,
    `done ${num(w.requestsPerS)} req/s`,
    `arr ${num(w.arrivalsPerS)} req/s`,
    `ttft p99 ${ms(w.latencyMs.ttft.p99)}`,
    `tpot p99 ${ms(w.latencyMs.tpot.p99)}`,
  ];
  if (w.cost.penalty !== null) parts.push(`penalty ${num(w.cost.penalty, '×')}`);
  if (w.slo?.met === true) parts.push('slo ok');
  if (w.slo?.met === false) {
    const failed = w.slo.checks.filter((c) => c.ok === false).map((c) => c.metric);
    parts.push(`slo BREACH ${failed.join(',')}`);
  }
  return parts.join(' ');
}

function plainScope(scope: ScopeReading): string {
  const head =
    scope.scope === 'server'
      ? scope.model
      : scope.scope === 'replica'
        ? `replica ${scope.replica} ${scope.model}`
        : scope.scope === 'model'
          ? `model ${scope.model} ×${scope.replicas}`
          : `fleet of ${scope.replicas}`;
  const state = `run ${num(scope.state.running)} wait ${num(scope.state.waiting)} kv ${pct(
    scope.state.kvCacheUsageMax,
  )}`;
  const cum = scope.cumulative
    ? `spent ${usd(scope.cumulative.usd)} ${tokens(scope.cumulative.outputTokens)} tok ` +
      `avg ${usd(scope.cumulative.usdPerMOutputTok)}/M`
    : '';
  const windows = scope.up ? scope.windows.map(plainWindow).join(' | ') : 'down';
  return [head, windows, state, cum].filter(Boolean).join(' | ');
}

/** One line per interval; fleet mode prints the fleet total with the replica count. */
export function plainLine(reading: MeterReading): string {
  const time = new Date(reading.timeMs).toISOString().replace(/\.\d+Z$/, 'Z');
  const status = reading.status === 'ok' ? 'ok' : reading.status.toUpperCase();
  const main =
    reading.scopes.find((s) => s.scope === 'fleet' || s.scope === 'server') ?? reading.scopes[0];
  const parts = [`${time} ${status}`];
  if (main) parts.push(plainScope(main));
  if (reading.mode === 'prometheus') {
    const replicas = reading.scopes.filter((s) => s.scope === 'replica');
    parts.push(`replicas ${replicas.filter((r) => r.up).length}/${replicas.length} up`);
  }
  const open = reading.gaps.at(-1);
  if (reading.status === 'gap' && open) {
    parts.push(`gap ${open.kind} since ${new Date(open.startMs).toISOString()}`);
  }
  if (reading.lastError && reading.status !== 'ok') parts.push(`error: ${reading.lastError}`);
  return parts.join(' | ');
}
