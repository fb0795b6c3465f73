/**
 * The pieces of the simulator's /metrics body shared by both eras: what the renderers are given,
 * a writer that emits families the way prometheus_client does (`_created` as a separate gauge
 * family), and the process and HTTP families.
 */

import type { EngineMetrics, Histogram } from './metricsState.ts';
import { goFloat, header, type Labels, sampleLine } from './promFormat.ts';

export interface EngineView {
  metrics: EngineMetrics;
  running: number;
  waiting: number;
  kvUsage: number;
}

export interface ExpositionInput {
  era: 'v1' | 'v0';
  modelName: string;
  engines: EngineView[];
  cache: {
    blockSize: number;
    numGpuBlocks: number;
    gpuMemoryUtilization: number;
    kvCacheMemoryBytes: number;
    maxModelLen: number;
  };
  process: { startTimeS: number; residentBytes: number; cpuSeconds: number };
  http: Array<{ handler: string; method: string; status: string; count: number; createdS: number }>;
  /** V0's averaged throughput gauges, tokens/s over the last logging interval. */
  v0Throughput: { promptTokPerS: number; generationTokPerS: number };
}

export type Child = { labels: Labels; value: number; createdS: number };

export class Writer {
  readonly lines: string[] = [];
  constructor(private readonly withCreated: boolean) {}

  scalar(base: string, type: 'counter' | 'gauge', help: string, children: Child[]): void {
    const name = type === 'counter' ? `${base}_total` : base;
    this.lines.push(...header(name, type, help));
    for (const c of children) this.lines.push(sampleLine(name, c.labels, c.value));
    if (type === 'counter') this.created(base, help, children);
  }

  histogram(
    base: string,
    help: string,
    children: Array<{ labels: Labels; h: Histogram; createdS: number }>,
  ): void {
    this.lines.push(...header(base, 'histogram', help));
    for (const { labels, h } of children) {
      const cumulative = h.cumulative();
      h.bounds.forEach((bound, i) => {
        this.lines.push(
          sampleLine(`${base}_bucket`, { ...labels, le: goFloat(bound) }, cumulative[i]!),
        );
      });
      this.lines.push(sampleLine(`${base}_bucket`, { ...labels, le: '+Inf' }, h.count));
      this.lines.push(sampleLine(`${base}_count`, labels, h.count));
      this.lines.push(sampleLine(`${base}_sum`, labels, h.sum));
    }
    this.created(
      base,
      help,
      children.map((c) => ({ ...c, value: 0 })),
    );
  }

  private created(base: string, help: string, children: Child[]): void {
    if (!this.withCreated) return;
    this.lines.push(...header(`${base}_created`, 'gauge', help));
    for (const c of children) this.lines.push(sampleLine(`${base}_created`, c.labels, c.createdS));
  }
}

export function renderProcess(w: Writer, input: ExpositionInput): void {
  const p = input.process;
  w.lines.push(
    ...header('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.'),
  );
  w.lines.push(sampleLine('process_resident_memory_bytes', {}, p.residentBytes));
  w.lines.push(
    ...header(
      'process_start_time_seconds',
      'gauge',
      'Start time of the process since unix epoch in seconds.',
    ),
  );
  w.lines.push(sampleLine('process_start_time_seconds', {}, p.startTimeS));
  w.lines.push(
    ...header(
      'process_cpu_seconds_total',
      'counter',
      'Total user and system CPU time spent in seconds.',
    ),
  );
  w.lines.push(sampleLine('process_cpu_seconds_total', {}, p.cpuSeconds));
}

export function renderHttp(w: Writer, input: ExpositionInput): void {
  w.scalar(
    'http_requests',
    'counter',
    'Total number of requests by method, status and handler.',
    input.http.map((h) => ({
      labels: { handler: h.handler, method: h.method, status: h.status },
      value: h.count,
      createdS: h.createdS,
    })),
  );
}
