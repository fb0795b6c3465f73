/**
 * Builds a large, realistic vLLM /metrics body for the parse benchmark: the families a vLLM 0.32
 * server exposes (names, bucket grids and label shapes from ../shared/notes/vllm.md §1.4), once
 * per (engine, model) label set, in prometheus_client's text layout with `_created` families.
 */

const LATENCY = [
  0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680,
];
const TTFT = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
  160, 640, 2560,
];
const ITL = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];
const TOKENS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];
const ITERATION = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];

const HISTOGRAMS: Array<[string, number[]]> = [
  ['vllm:request_prompt_tokens', TOKENS],
  ['vllm:request_generation_tokens', TOKENS],
  ['vllm:iteration_tokens_total', ITERATION],
  ['vllm:request_max_num_generation_tokens', TOKENS],
  ['vllm:request_params_max_tokens', TOKENS],
  ['vllm:time_to_first_token_seconds', TTFT],
  ['vllm:inter_token_latency_seconds', ITL],
  ['vllm:request_time_per_output_token_seconds', ITL],
  ['vllm:e2e_request_latency_seconds', LATENCY],
  ['vllm:request_queue_time_seconds', LATENCY],
  ['vllm:request_inference_time_seconds', LATENCY],
  ['vllm:request_prefill_time_seconds', LATENCY],
  ['vllm:request_decode_time_seconds', LATENCY],
  ['vllm:request_prefill_kv_computed_tokens', TOKENS],
];
const COUNTERS = [
  'vllm:prefix_cache_queries',
  'vllm:prefix_cache_hits',
  'vllm:num_preemptions',
  'vllm:prompt_tokens',
  'vllm:generation_tokens',
];
const GAUGES = [
  'vllm:num_requests_running',
  'vllm:num_requests_waiting',
  'vllm:kv_cache_usage_perc',
];
const REASONS = ['stop', 'length', 'abort', 'error', 'repetition'];

/** Go-style float as prometheus_client prints it: integers keep `.0`. */
function goFloat(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

export interface BodyShape {
  engines: number;
  models: number;
  /** Scales the counts, so two bodies built with different `progress` form a window. */
  progress: number;
}

export function buildVllmBody(shape: BodyShape): string {
  const lines: string[] = [];
  const sets: string[] = [];
  for (let m = 0; m < shape.models; m++) {
    for (let e = 0; e < shape.engines; e++) {
      sets.push(`engine="${e}",model_name="org/model-${m}-instruct"`);
    }
  }
  const created = 1.7963160530120409e9;
  const p = shape.progress;

  for (const gauge of GAUGES) {
    lines.push(`# HELP ${gauge} Synthetic gauge.`, `# TYPE ${gauge} gauge`);
    sets.forEach((set, k) => {
      const value = gauge.endsWith('_perc') ? 0.001 * ((k % 97) + 1) : (k % 13) + p;
      lines.push(`${gauge}{${set}} ${goFloat(value)}`);
    });
  }
  for (const counter of COUNTERS) {
    lines.push(`# HELP ${counter}_total Synthetic counter.`, `# TYPE ${counter}_total counter`);
    sets.forEach((set, k) => {
      lines.push(`${counter}_total{${set}} ${goFloat((k + 1) * 1000 * p)}`);
    });
    lines.push(`# HELP ${counter}_created Synthetic counter.`, `# TYPE ${counter}_created gauge`);
    for (const set of sets) lines.push(`${counter}_created{${set}} ${goFloat(created)}`);
  }
  const success = 'vllm:request_success';
  lines.push(`# HELP ${success}_total Finished requests.`, `# TYPE ${success}_total counter`);
  for (const set of sets) {
    const [engine, model] = set.split(',');
    REASONS.forEach((reason, r) => {
      const labels = `${engine},finished_reason="${reason}",${model}`;
      lines.push(`${success}_total{${labels}} ${goFloat(r * 17 * p)}`);
    });
  }
  for (const [name, bounds] of HISTOGRAMS) {
    lines.push(`# HELP ${name} Synthetic histogram.`, `# TYPE ${name} histogram`);
    sets.forEach((set, k) => {
      const [engine, model] = set.split(',');
      let cumulative = 0;
      for (const le of [...bounds, Number.POSITIVE_INFINITY]) {
        cumulative += Math.round((k + 3) * p);
        lines.push(`${name}_bucket{${engine},le="${goFloat(le)}",${model}} ${goFloat(cumulative)}`);
      }
      lines.push(`${name}_count{${set}} ${goFloat(cumulative)}`);
      lines.push(`${name}_sum{${set}} ${goFloat(cumulative * 0.123456789)}`);
    });
    lines.push(`# HELP ${name}_created Synthetic histogram.`, `# TYPE ${name}_created gauge`);
    for (const set of sets) lines.push(`${name}_created{${set}} ${goFloat(created)}`);
  }
  return `${lines.join('\n')}\n`;
}
