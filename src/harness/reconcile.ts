/**
 * Client vs server: what the driver counted over a whole step (warm-up, measure and drain)
 * against the increase of the server's own counters between a scrape just before the warm-up
 * and one just after the drain. Agreement is the evidence that θ is right; a mismatch is a
 * warning in the step record and the log, never a silent correction.
 */

import type { RequestRecord } from '../load/types.ts';
import type { WindowStats } from '../telemetry/types.ts';
import { percentile } from '../util/stats.ts';
import type { Reconciliation } from './records.ts';

export interface ClientTotals {
  outputTokens: number;
  promptTokens: number;
  /** Requests the server accepted (HTTP 200): it counts each as finished, aborted ones too. */
  requests: number;
  /** Requests cancelled mid-stream (drain timeout, Ctrl-C, request timeout). */
  cancelled: number;
  ttftP50Ms: number | null;
}

export function clientTotals(records: readonly RequestRecord[]): ClientTotals {
  let outputTokens = 0;
  let promptTokens = 0;
  let requests = 0;
  let cancelled = 0;
  const ttfts: number[] = [];
  for (const r of records) {
    outputTokens += r.outputTokens ?? 0;
    // vLLM counts prompt tokens once the prefill completed, which the first token proves.
    if (r.firstTokenAtMs !== null || r.ok) promptTokens += r.promptTokens ?? 0;
    if (r.status === 200) requests += 1;
    const cls = r.error?.class;
    if (r.status === 200 && (cls === 'incomplete' || cls === 'aborted' || cls === 'timeout')) {
      cancelled += 1;
    }
    if (r.ok && r.ttftMs !== null) ttfts.push(r.ttftMs);
  }
  return { outputTokens, promptTokens, requests, cancelled, ttftP50Ms: percentile(ttfts, 50) };
}

/** Index of the histogram bucket holding `valueMs` (bounds ascending, ms); +Inf is the last. */
export function bucketIndex(boundsMs: readonly number[], valueMs: number): number {
  const i = boundsMs.findIndex((le) => valueMs <= le);
  return i === -1 ? boundsMs.length : i;
}

function compare(
  label: string,
  unit: string,
  client: number,
  server: number | null,
  warnings: string[],
): { client: number; server: number | null; diff: number | null } {
  if (server === null) return { client, server: null, diff: null };
  const diff = server - client;
  if (diff !== 0) {
    const more = diff > 0 ? 'more' : 'fewer';
    warnings.push(
      `server counted ${Math.abs(diff)} ${more} ${unit} than the client ` +
        `(${label}: client ${client}, server ${server})`,
    );
  }
  return { client, server, diff };
}

/**
 * Compares the client's totals with the server's increases over the same step. `ttftBoundsMs`
 * are the finite upper bounds of the server's TTFT histogram in ms; "within one bucket" means
 * the two medians fall in the same or adjacent buckets (client TTFT includes the network).
 */
export function reconcileStep(
  totals: ClientTotals,
  server: WindowStats | null,
  ttftBoundsMs: readonly number[] | null,
): Reconciliation {
  const warnings: string[] = [];
  if (server === null) {
    return {
      outputTokens: { client: totals.outputTokens, server: null, diff: null },
      promptTokens: { client: totals.promptTokens, server: null, diff: null },
      requests: { client: totals.requests, server: null, diff: null },
      ttftP50Ms: { client: totals.ttftP50Ms, server: null, withinBucket: null },
      ok: null,
      warnings: ['no server telemetry around this step: nothing to reconcile'],
    };
  }

  const inc = server.increases;
  const outputTokens = compare(
    'output tokens',
    'output tokens',
    totals.outputTokens,
    inc.outputTokens,
    warnings,
  );
  if (totals.cancelled > 0 && outputTokens.diff !== null && outputTokens.diff > 0) {
    // Tokens generated for a cancelled stream after the client stopped reading are expected.
    warnings[warnings.length - 1] +=
      `; ${totals.cancelled} request(s) were cancelled mid-stream, ` +
      'whose last tokens the client never read';
  }
  const promptTokens = compare(
    'prompt tokens',
    'prompt tokens',
    totals.promptTokens,
    inc.promptTokens,
    warnings,
  );
  const requests = compare(
    'finished requests',
    'finished requests',
    totals.requests,
    inc.requests,
    warnings,
  );
  for (const reset of server.resets) {
    warnings.push(
      `server metric ${reset.concept} looked reset between scrapes (${reset.before} → ` +
        `${reset.after}): did the server restart?`,
    );
  }

  const serverP50 = server.latencyMs.ttft.p50;
  let withinBucket: boolean | null = null;
  if (serverP50 !== null && totals.ttftP50Ms !== null && ttftBoundsMs && ttftBoundsMs.length > 0) {
    const gap = Math.abs(
      bucketIndex(ttftBoundsMs, totals.ttftP50Ms) - bucketIndex(ttftBoundsMs, serverP50),
    );
    withinBucket = gap <= 1;
    if (!withinBucket) {
      warnings.push(
        `TTFT p50 disagrees by ${gap} histogram buckets ` +
          `(client ${totals.ttftP50Ms.toFixed(1)} ms, server ${serverP50.toFixed(1)} ms)`,
      );
    }
  }

  const checks = [outputTokens.diff, promptTokens.diff, requests.diff];
  const known = checks.filter((d): d is number => d !== null);
  const ok =
    known.length === 0 && withinBucket === null
      ? null
      : known.every((d) => d === 0) && withinBucket !== false && server.resets.length === 0;
  return {
    outputTokens,
    promptTokens,
    requests,
    ttftP50Ms: { client: totals.ttftP50Ms, server: serverP50, withinBucket },
    ok,
    warnings,
  };
}
