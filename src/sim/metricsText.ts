/**
 * Renders the simulator's /metrics body. The V1 layout follows a real vLLM 0.32.0 capture
 * (../shared/fixtures/vllm-metrics/v0.32.0-*): same families in the same order, HELP texts,
 * label keys, bucket bounds and separate `_created` gauge families. The V0 layout follows the
 * pre-0.8 engine: `model_name` only, no `_created`, old names and shorter bucket lists.
 */

import type { ExpositionInput } from './metricsCommon.ts';
import { renderV0 } from './metricsV0.ts';
import { renderV1 } from './metricsV1.ts';

export type { EngineView, ExpositionInput } from './metricsCommon.ts';

/** The full /metrics body (Prometheus text format 0.0.4 / 1.0.0, as prometheus_client writes). */
export function renderMetrics(input: ExpositionInput): string {
  const lines = input.era === 'v0' ? renderV0(input) : renderV1(input);
  return `${lines.join('\n')}\n`;
}
