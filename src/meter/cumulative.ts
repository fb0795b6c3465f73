/**
 * Dollars spent and tokens produced since the meter started. The GPU is billed for every
 * second the meter watches — idle, unreachable or restarting — so idle hours raise the average
 * cost per token instead of vanishing from it (the companion meter's blind spot).
 */

import { usdPerMillion } from '../cost/costModel.ts';
import type { Cumulative } from './types.ts';

export function startCumulative(sinceMs: number): Cumulative {
  return {
    sinceMs,
    elapsedSeconds: 0,
    usd: 0,
    outputTokens: 0,
    promptTokens: 0,
    usdPerMOutputTok: Number.POSITIVE_INFINITY,
  };
}

/**
 * Advances the total to `nowMs` at `nodeHourlyUsd`, adding the tokens of one step (reset-safe
 * increases from the telemetry core; null when the server did not expose the counter).
 */
export function advanceCumulative(
  total: Cumulative,
  nowMs: number,
  nodeHourlyUsd: number,
  step: { outputTokens: number | null; promptTokens: number | null } | null,
): Cumulative {
  const elapsedSeconds = Math.max(total.elapsedSeconds, (nowMs - total.sinceMs) / 1000);
  const usd = (nodeHourlyUsd * elapsedSeconds) / 3600;
  const outputTokens = total.outputTokens + Math.max(0, step?.outputTokens ?? 0);
  const promptTokens = total.promptTokens + Math.max(0, step?.promptTokens ?? 0);
  // $/M over the whole watch = hourly × 1e6 / (3600 × tokens / elapsed) = usd × 1e6 / tokens.
  const usdPerMOutputTok =
    elapsedSeconds > 0
      ? usdPerMillion(nodeHourlyUsd, outputTokens / elapsedSeconds)
      : Number.POSITIVE_INFINITY;
  return { ...total, elapsedSeconds, usd, outputTokens, promptTokens, usdPerMOutputTok };
}
