/** Plain-text rendering of `WindowStats` for people (`inspect` without --json). */

import type { QuantileSummary, WindowStats } from './types.ts';

const DASH = '—';

function fixed(x: number | null, digits: number): string {
  return x === null ? DASH : x.toFixed(digits);
}

function percent(x: number | null): string {
  return x === null ? DASH : `${(x * 100).toFixed(2)} %`;
}

function row(label: string, cells: string[], width = 10): string {
  return `  ${label.padEnd(16)}${cells.map((c) => c.padStart(width)).join('')}`;
}

function summaryRow(label: string, s: QuantileSummary, digits: number): string {
  return row(label, [
    fixed(s.p50, digits),
    fixed(s.p90, digits),
    fixed(s.p99, digits),
    fixed(s.mean, digits),
    s.count === null ? DASH : String(Math.round(s.count)),
  ]);
}

function byReason(rates: Record<string, number> | null, digits: number): string {
  if (!rates) return '';
  const parts = Object.entries(rates)
    .filter(([, v]) => v !== 0)
    .map(([reason, v]) => `${reason} ${v.toFixed(digits)}`);
  return parts.length > 0 ? `   (${parts.join(', ')})` : '';
}

/** The table `inspect` prints; `source` names what was read. */
export function formatWindow(stats: WindowStats, source: string): string {
  const lines: string[] = [];
  const windowed = stats.windowSeconds !== null;
  const era = stats.vllmNames.era ?? 'no vLLM names';
  lines.push(
    windowed
      ? `${source}: window of ${stats.windowSeconds!.toFixed(2)} s (names: ${era})`
      : `${source}: one sample, so totals since the server started (names: ${era})`,
  );

  if (windowed) {
    const r = stats.rates;
    lines.push('Rates (per second)');
    lines.push(row('output tokens', [fixed(r.outputTokensPerS, 2)]));
    lines.push(row('prompt tokens', [fixed(r.promptTokensPerS, 2)]));
    lines.push(
      row('requests done', [fixed(r.requestsPerS, 2)]) + byReason(r.requestsPerSByReason, 2),
    );
    lines.push(
      `${row('arrivals (est.)', [fixed(r.arrivalsPerS, 2)])}   (done + growth of running+waiting)`,
    );
    lines.push(row('preemptions', [fixed(r.preemptionsPerS, 2)]));
  } else if (stats.totals) {
    const t = stats.totals;
    lines.push('Totals');
    lines.push(row('output tokens', [fixed(t.generationTokens, 0)]));
    lines.push(row('prompt tokens', [fixed(t.promptTokens, 0)]));
    lines.push(row('requests done', [fixed(t.requestsFinished, 0)]));
    lines.push(row('preemptions', [fixed(t.preemptions, 0)]));
  }

  const since = windowed ? 'in the window' : 'since start';
  lines.push(`Latency, ms (${since}; pXX from buckets, mean from sum/count)`);
  lines.push(row('', ['p50', 'p90', 'p99', 'mean', 'count']));
  for (const [name, s] of Object.entries(stats.latencyMs)) lines.push(summaryRow(name, s, 1));
  lines.push(`Lengths, tokens (${since})`);
  for (const [name, s] of Object.entries(stats.lengths)) lines.push(summaryRow(name, s, 1));

  const st = stats.state;
  lines.push(
    `State now: running ${fixed(st.running, 0)}, waiting ${fixed(st.waiting, 0)}, ` +
      `KV cache used max ${percent(st.kvCacheUsageMax)} mean ${percent(st.kvCacheUsageMean)}`,
  );
  lines.push(`Prefix cache hit rate: ${percent(stats.prefixCacheHitRate)}`);
  const ll = stats.littlesLaw;
  if (windowed) {
    lines.push(
      `Little's law: mean in flight ${fixed(ll.meanInFlight, 1)} vs done/s × mean e2e ` +
        `${fixed(ll.predicted, 1)} (ratio ${fixed(ll.ratio, 2)})`,
    );
  }
  lines.push(
    stats.resets.length === 0
      ? 'Counter resets: none'
      : `Counter resets: ${stats.resets
          .map((r) => `${r.concept} ${r.before} → ${r.after}`)
          .join('; ')}`,
  );
  const models = Object.keys(stats.byModel);
  if (windowed && models.length > 1) {
    lines.push('By model (output tokens/s, requests/s)');
    for (const [model, m] of Object.entries(stats.byModel)) {
      lines.push(
        row(model || '(no model_name)', [fixed(m.outputTokensPerS, 2), fixed(m.requestsPerS, 2)]),
      );
    }
  }
  const missing = Object.entries(stats.vllmNames.names)
    .filter(([, name]) => name === null)
    .map(([concept]) => concept);
  if (missing.length > 0) lines.push(`Not exposed by this server: ${missing.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
