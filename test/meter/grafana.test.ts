import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createExporter } from '../../src/meter/exporter.ts';
import { DASHBOARD, dashboardQueries, type Panel } from './helpers/grafana.ts';

describe('Grafana dashboard', () => {
  it('charts only series the exporter exports, and the main ones all', () => {
    const exported = new Set(
      createExporter()
        .registry.getMetricsAsArray()
        .map((m) => m.name),
    );
    const used = new Set(
      dashboardQueries().flatMap(({ expr }) => expr.match(/vllm_cost_meter_[a-z_]+/g) ?? []),
    );
    for (const name of used) expect(exported, `${name} is not exported`).toContain(name);
    for (const name of [
      'vllm_cost_meter_cost_usd_per_million_output_tokens',
      'vllm_cost_meter_naive_cost_usd_per_million_output_tokens',
      'vllm_cost_meter_underutilization_penalty_ratio',
      'vllm_cost_meter_cumulative_cost_usd_per_million_output_tokens',
      'vllm_cost_meter_spent_usd_total',
      'vllm_cost_meter_output_tokens_per_second',
      'vllm_cost_meter_prompt_tokens_per_second',
      'vllm_cost_meter_completed_requests_per_second',
      'vllm_cost_meter_arrivals_per_second',
      'vllm_cost_meter_latency_seconds',
      'vllm_cost_meter_requests_running',
      'vllm_cost_meter_kv_cache_usage_ratio',
      'vllm_cost_meter_slo_met',
      'vllm_cost_meter_up',
    ]) {
      expect(used, `${name} is not charted`).toContain(name);
    }
  });

  it('every query has a datasource variable and no unknown template variable', () => {
    const text = readFileSync(DASHBOARD, 'utf8');
    const dashboard = JSON.parse(text) as {
      templating: { list: Array<{ name: string }> };
      panels: Array<Panel & { datasource?: { uid: string } }>;
    };
    const variables = new Set(dashboard.templating.list.map((v) => v.name));
    for (const { expr } of dashboardQueries()) {
      for (const [, name] of expr.matchAll(/\$(\w+)/g)) {
        if (!name?.startsWith('__')) expect(variables).toContain(name);
      }
    }
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not JS
      expect(panel.datasource?.uid).toBe('${datasource}');
    }
  });
});
