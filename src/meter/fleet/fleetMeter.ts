/**
 * Fleet mode: the same figures as direct mode, read through PromQL from the Prometheus that
 * scrapes the replicas, per replica (instance or pod label, and model), per model and for the
 * whole fleet. Prometheus does the collection and the reset-safe rate maths; the meter prices
 * the answers. All queries of one reading are evaluated at the same instant.
 */

import { EventEmitter } from 'node:events';
import pLimit from 'p-limit';
import { nodeHourlyUsd } from '../../cost/costModel.ts';
import { describeError } from '../../util/errors.ts';
import type { MeterConfig } from '../config.ts';
import { GapLog } from '../gapLog.ts';
import { priceWindow } from '../reading.ts';
import { ReferenceCache } from '../reference.ts';
import { startTicker, type Ticker } from '../ticker.ts';
import type { Gap, MeterReading, ReferenceInfo, ScopeReading } from '../types.ts';
import { fleetFigures, fleetState, tableFrom } from './assemble.ts';
import { type Grouping, queryTables, type Tables } from './fleetTables.ts';
import { SegmentedLifetime } from './lifetime.ts';
import { PromqlClient } from './promqlClient.ts';
import {
  type FleetNames,
  lifetimeQuery,
  type QueryContext,
  range,
  resolveFleetNames,
  upQuery,
} from './queries.ts';
import { ReplicaWatch } from './replicaWatch.ts';

const MODEL_LABEL = 'model_name';
const NAMES_REFRESH_MS = 60_000;

export interface FleetMeterEvents {
  reading: [MeterReading];
  gap: [Gap];
  recovered: [Gap];
  warning: [string];
}

export class FleetMeter extends EventEmitter<FleetMeterEvents> {
  readonly config: MeterConfig;
  readonly client: PromqlClient;
  latest: MeterReading | null = null;

  readonly #now: () => number;
  readonly #startMs: number;
  readonly #hourlyUsd: number;
  #names: FleetNames | null = null;
  #namesAtMs = 0;
  #replicaLabel = 'instance';
  /** Per replica key (`replica|model`): dollars accrued and when last accrued. */
  #billing = new Map<string, { usd: number; lastMs: number }>();
  #present = new Set<string>();
  #replicas = new ReplicaWatch();
  #gaps = new GapLog();
  #lastGoodMs: number | null = null;
  #references: ReferenceCache | null = null;
  #ticker: Ticker | null = null;
  readonly #lifetime: SegmentedLifetime;

  constructor(config: MeterConfig, options: { now?: () => number; client?: PromqlClient } = {}) {
    super();
    this.config = config;
    this.#now = options.now ?? Date.now;
    this.#startMs = this.#now();
    this.#lifetime = new SegmentedLifetime(this.#startMs);
    this.#hourlyUsd = nodeHourlyUsd(config.price);
    this.client = options.client ?? new PromqlClient(config.url, config.scrapeTimeoutMs);
  }

  start(): void {
    this.#ticker ??= startTicker(this.config.intervalMs, () => this.sampleOnce(), this.#now);
  }

  async stop(): Promise<void> {
    await this.#ticker?.stop();
    await this.client.close();
  }

  /** One reading evaluated at `atMs` (now by default). Never throws: failures become gaps. */
  async sampleOnce(atMs: number = this.#now()): Promise<MeterReading> {
    let reading: MeterReading;
    try {
      const scopes = await this.#read(atMs);
      const recovered = this.#gaps.recover(atMs);
      if (recovered) this.emit('recovered', recovered);
      this.#lastGoodMs = atMs;
      reading = this.#reading(atMs, scopes.length > 0 ? 'ok' : 'waiting', scopes, null);
    } catch (err) {
      reading = this.#failed(atMs, describeError(err));
    }
    this.latest = reading;
    this.emit('reading', reading);
    return reading;
  }

  async #resolveNames(atMs: number): Promise<FleetNames> {
    if (this.#names && atMs - this.#namesAtMs < NAMES_REFRESH_MS) return this.#names;
    const lookbackS = atMs / 1000 - Math.max(...this.config.windowsSeconds) - 300;
    const metric = (m: string) =>
      this.config.selector ? `{__name__=~"${m}",${this.config.selector}}` : `{__name__=~"${m}"}`;
    const available = await this.client.labelValues(
      '__name__',
      [metric('vllm:.+|sglang:.+')],
      lookbackS,
    );
    const names = resolveFleetNames(available);
    if (!names.counters.generationTokens) {
      this.emit(
        'warning',
        `Prometheus at ${this.config.url} holds no vLLM or SGLang token counter`,
      );
    }
    if (this.config.replicaLabel === 'auto' && names.counters.generationTokens) {
      const pods = await this.client.labelValues(
        'pod',
        [metric(names.counters.generationTokens)],
        lookbackS,
      );
      this.#replicaLabel = pods.length > 0 ? 'pod' : 'instance';
    } else if (this.config.replicaLabel !== 'auto') {
      this.#replicaLabel = this.config.replicaLabel;
    }
    this.#names = names;
    this.#namesAtMs = atMs;
    return names;
  }

  #groupings(): Grouping[] {
    return [
      { scope: 'replica', by: [this.#replicaLabel, MODEL_LABEL] },
      { scope: 'model', by: [MODEL_LABEL] },
      { scope: 'fleet', by: [] },
    ];
  }

  async #read(atMs: number): Promise<ScopeReading[]> {
    const names = await this.#resolveNames(atMs);
    const limit = pLimit(6);
    const request = {
      client: this.client,
      limit,
      names,
      selector: this.config.selector,
      replicaLabel: this.#replicaLabel,
      windowsSeconds: this.config.windowsSeconds,
      evalS: atMs / 1000,
    };
    const groupings = this.#groupings();
    const perGrouping = await Promise.all(groupings.map((g) => queryTables(request, g)));
    const lifetimes = await this.#lifetime.totals(
      atMs,
      groupings.map((g) => g.scope),
      async (scope, rangeS, atS) => {
        const by = groupings.find((g) => g.scope === scope)?.by ?? [];
        const ctx: QueryContext = { selector: this.config.selector, by };
        const q = lifetimeQuery(names, ctx, range(rangeS), this.#replicaLabel);
        return q ? tableFrom(await limit(() => this.client.query(q, atS)), by) : new Map();
      },
    );
    groupings.forEach((g, i) => {
      (perGrouping[i] as Tables).lifetime = lifetimes.get(g.scope) ?? new Map();
    });
    const upQ = upQuery({ selector: this.config.selector, by: [] }, this.#replicaLabel);
    const upSamples = await limit(() => this.client.query(upQ, atMs / 1000));
    const up = new Map(upSamples.map((s) => [s.labels[this.#replicaLabel] ?? '', s.value === 1]));

    const replicaTables = perGrouping[0] as Tables;
    this.#bill(
      new Set([...replicaTables.state.keys(), ...(replicaTables.counters[0]?.keys() ?? [])]),
      atMs,
    );
    const scopes: ScopeReading[] = [];
    groupings.forEach((g, i) => {
      const tables = perGrouping[i] as Tables;
      const keys = new Set([...tables.state.keys(), ...(tables.counters[0]?.keys() ?? [])]);
      for (const key of [...keys].sort()) {
        scopes.push(this.#scope(g, key, tables, up, atMs));
      }
    });
    const { opened, closed } = this.#replicas.update(scopes, atMs, this.#lastGoodMs, this.#gaps);
    for (const gap of opened) this.emit('gap', gap);
    for (const gap of closed) this.emit('recovered', gap);
    return scopes;
  }

  #scope(
    g: Grouping,
    key: string,
    tables: Tables,
    up: Map<string, boolean>,
    atMs: number,
  ): ScopeReading {
    const [first = '', second = ''] = key.split('|');
    const replica = g.scope === 'replica' ? first : 'all';
    const model = g.scope === 'replica' ? second : g.scope === 'model' ? first : this.#fleetModel();
    const state = tables.state.get(key);
    const replicas = Math.max(1, state?.get('replicas') ?? 1);
    const price = {
      gpuHourlyUsd: this.config.price.gpuHourlyUsd,
      gpus: this.config.price.gpus * replicas,
    };
    const { info: reference, note } = this.#reference(model, replicas);
    const windows = this.config.windowsSeconds.map((w, i) => {
      const histograms: Record<string, Map<string, number>> = {};
      for (const [k, table] of Object.entries(tables.histograms[i] ?? {})) {
        const stats = table.get(key);
        if (stats) histograms[k] = stats;
      }
      const figures = fleetFigures(w, tables.counters[i]?.get(key), histograms);
      return priceWindow(figures, price, reference, this.config.slo);
    });

    const lifetime = tables.lifetime.get(key);
    const outputTokens = Math.max(0, lifetime?.get('out_total') ?? 0) || 0;
    const promptTokens = Math.max(0, lifetime?.get('in_total') ?? 0) || 0;
    const usd = this.#spentUsd(g, key);
    const elapsedSeconds = (atMs - this.#startMs) / 1000;
    return {
      scope: g.scope,
      replica,
      model,
      replicas,
      nodeHourlyUsd: this.#hourlyUsd * replicas,
      up: g.scope === 'replica' ? up.get(replica) !== false : true,
      state: fleetState(state),
      windows,
      cumulative: {
        sinceMs: this.#startMs,
        elapsedSeconds,
        usd,
        outputTokens,
        promptTokens,
        usdPerMOutputTok: outputTokens > 0 ? (usd * 1e6) / outputTokens : Number.POSITIVE_INFINITY,
      },
      reference,
      referenceNote: note,
      restarts: Math.round(Math.max(0, lifetime?.get('restarts') ?? 0) || 0),
    };
  }

  /**
   * A replica is billed while Prometheus has its series — across a Prometheus outage too, when
   * it is there before and after — and no longer once it is gone (scaled down). Replicas there
   * at the first reading are billed from the meter's start, as the lifetime token totals count
   * their tokens from then; later ones from when they appear.
   */
  #bill(present: Set<string>, atMs: number): void {
    for (const key of present) {
      const entry = this.#billing.get(key) ?? { usd: 0, lastMs: atMs };
      if (this.#lastGoodMs === null) entry.lastMs = this.#startMs;
      else if (!this.#present.has(key)) entry.lastMs = atMs;
      entry.usd += (this.#hourlyUsd * Math.max(0, atMs - entry.lastMs)) / 3_600_000;
      entry.lastMs = atMs;
      this.#billing.set(key, entry);
    }
    this.#present = present;
  }

  #spentUsd(g: Grouping, key: string): number {
    let usd = 0;
    for (const [replicaKey, entry] of this.#billing) {
      const model = replicaKey.split('|')[1] ?? '';
      const member =
        g.scope === 'fleet' || (g.scope === 'model' ? model === key : replicaKey === key);
      if (member) usd += entry.usd;
    }
    return usd;
  }

  /** The fleet's model when every replica present serves the same one, else 'all'. */
  #fleetModel(): string {
    const models = new Set([...this.#present].map((k) => k.split('|')[1] ?? ''));
    return models.size === 1 ? ([...models][0] as string) : 'all';
  }

  #reference(model: string, replicas: number): { info: ReferenceInfo | null; note: string | null } {
    if (model === 'all' || model === '') {
      return { info: null, note: 'replicas serve different models' };
    }
    const sglang = this.#names?.counters.generationTokens?.startsWith('sglang:');
    this.#references ??= new ReferenceCache(
      {
        precision: this.config.quantization,
        gpu: this.config.price.gpuClass,
        gpus: this.config.price.gpus,
        engine: sglang ? 'sglang' : 'vllm',
      },
      this.#hourlyUsd,
    );
    const found = this.#references.get(this.config.model ?? model);
    // n replicas saturate at n × θ_max for n × the price: C_naive is unchanged.
    const info = found.info && {
      ...found.info,
      thetaMaxTokPerS: found.info.thetaMaxTokPerS * replicas,
    };
    return { info, note: found.note };
  }

  #failed(atMs: number, message: string): MeterReading {
    const opened = this.#gaps.failure(atMs, this.#lastGoodMs, message);
    if (opened) this.emit('gap', opened);
    return this.#reading(atMs, 'gap', [], message);
  }

  #reading(
    atMs: number,
    status: MeterReading['status'],
    scopes: ScopeReading[],
    lastError: string | null,
  ): MeterReading {
    const p = this.config.price;
    return {
      timeMs: atMs,
      mode: 'prometheus',
      source: this.config.url,
      status,
      gpu: {
        label: p.label,
        gpuHourlyUsd: p.gpuHourlyUsd,
        gpus: p.gpus,
        priceSource: p.priceSource,
      },
      scopes,
      gaps: this.#gaps.list(),
      gapsTotal: this.#gaps.total,
      lastError,
      serverVersion: null,
      vllmEra: null,
    };
  }
}
