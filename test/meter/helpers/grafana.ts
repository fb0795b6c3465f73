/** Reads the shipped Grafana dashboard's panel queries, for the tests that check them. */

import { readFileSync } from 'node:fs';

export const DASHBOARD = new URL('../../../grafana/vllm-cost-meter.json', import.meta.url);

export interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}

export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
  );
}

/** A panel query as Prometheus would receive it with every variable on "All". */
export function withAllVariables(expr: string): string {
  return expr
    .replace(/\$__range|\$__rate_interval/g, '1m')
    .replace(/\$(scope|replica|model|window)\b/g, '.*');
}
