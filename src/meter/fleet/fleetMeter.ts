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
import { priceWindow } from '../reading.ts';
import { lookupReference, referenceNote } from '../reference.ts';
import { startTicker, type Ticker } from '../ticker.ts';
import type { Gap, MeterReading, ReferenceInfo, ScopeReading } from '../types.ts';
import { LATENCY_KEYS, LENGTH_KEYS } from '../types.ts';
import { fleetFigures, fleetState, type StatTable, tableFrom } from './assemble.ts';
import { PromqlClient, type VectorSample } from './promqlClient.ts';
import {
  countersQuery,
  type FleetNames,
  HISTOGRAM_OF,
  histogramQuery,
  lifetimeQuery,
  type QueryContext,
  range,
  resolveFleetNames,
  stateQuery,
  upQuery,
} from './queries.ts';

const MODEL_LABEL = 'model_name';
const KEPT_GAPS = 20;
const NAMES_REFRESH_MS = 60_000;

export interface FleetMeterEvents {
  reading: [MeterReading];
  gap: [Gap];
  recovered: [Gap];
  warning: [string];
}

interface Grouping {
  scope: 'replica' | 'model' | 'fleet';
  by: string[];
}

interface Tables {
  counters: StatTable[];
  histograms: Array<Record<string, StatTable>>;
  state: StatTable;
  lifetime: StatTable;
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
  #firstSeenMs = new Map<string, number>();
  #replicaUp = new Map<string, boolean>();
  #replicaRestarts = new Map<string, number>();
  #gaps: Gap[] = [];
  #gapsTotal = 0;
  #openGap: Gap | null = null;
  #lastGoodMs: number | null = null;
  #references = new Map<string, { info: ReferenceInfo | null; note: string | null }>();
  #ticker: Ticker | null = null;

  constructor(config: MeterConfig, options: { now?: () => number; client?: PromqlClient } = {}) {
    super();
    this.config = config;
    this.#now = options.now ?? Date.now;
    this.#startMs = this.#now();
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
      this.#closeGap(atMs);
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
    const evalS = atMs / 1000;
    const limit = pLimit(6);
    const run = async (q: string | null): Promise<VectorSample[]> =>
      q ? limit(() => this.client.query(q, evalS)) : [];
    const age = range((atMs - this.#startMs) / 1000);
    const groupings = this.#groupings();

    const perGrouping = await Promise.all(
      groupings.map(async (g): Promise<Tables> => {
        const ctx: QueryContext = { selector: this.config.selector, by: g.by };
        const windows = this.config.windowsSeconds.map((w) => range(w));
        const [counters, histograms, state, lifetime] = await Promise.all([
          Promise.all(
            windows.map(async (w) => tableFrom(await run(countersQuery(names, ctx, w)), g.by)),
          ),
          Promise.all(
            windows.map(async (w) => {
              const out: Record<string, StatTable> = {};
              await Promise.all(
                [...LATENCY_KEYS, ...LENGTH_KEYS].map(async (key) => {
                  const base = names.histograms[HISTOGRAM_OF[key]];
                  if (base) out[key] = tableFrom(await run(histogramQuery(base, ctx, w)), g.by);
                }),
              );
              return out;
            }),
          ),
          run(stateQuery(names, ctx, this.#replicaLabel)).then((s) => tableFrom(s, g.by)),
          run(lifetimeQuery(names, ctx, age, this.#replicaLabel)).then((s) => tableFrom(s, g.by)),
        ]);
        return { counters, histograms, state, lifetime };
      }),
    );
    const upSamples = await run(
      upQuery({ selector: this.config.selector, by: [] }, this.#replicaLabel),
    );
    const up = new Map(upSamples.map((s) => [s.labels[this.#replicaLabel] ?? '', s.value === 1]));

    const scopes: ScopeReading[] = [];
    groupings.forEach((g, i) => {
      const tables = perGrouping[i] as Tables;
      const keys = new Set([...tables.state.keys(), ...(tables.counters[0]?.keys() ?? [])]);
      for (const key of [...keys].sort()) {
        scopes.push(this.#scope(g, key, tables, up, atMs));
      }
    });
    this.#trackReplicas(scopes, atMs);
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
    const model = g.scope === 'replica' ? second : g.scope === 'model' ? first : 'all';
    const state = tables.state.get(key);
    const replicas = Math.max(1, state?.get('replicas') ?? 1);
    if (g.scope === 'replica' && !this.#firstSeenMs.has(key)) {
      // Replicas there at the first reading are billed from the meter's start, like the tokens
      // that `increase(…[age])` counts for them; later ones from when they appear.
      this.#firstSeenMs.set(key, this.#lastGoodMs === null ? this.#startMs : atMs);
    }

    const price = {
      gpuHourlyUsd: this.config.price.gpuHourlyUsd,
      gpus: this.config.price.gpus * replicas,
    };
    const { info: reference, note } = this.#reference(
      g.scope === 'fleet' ? this.#fleetModel() : model,
      replicas,
    );
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
    const usd = this.#spentUsd(g, key, atMs);
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

  /** Each replica is billed from the moment the meter first saw it. */
  #spentUsd(g: Grouping, key: string, atMs: number): number {
    let usd = 0;
    for (const [replicaKey, sinceMs] of this.#firstSeenMs) {
      const model = replicaKey.split('|')[1] ?? '';
      const member =
        g.scope === 'fleet' || (g.scope === 'model' ? model === key : replicaKey === key);
      if (member) usd += (this.#hourlyUsd * Math.max(0, atMs - sinceMs)) / 3_600_000;
    }
    return usd;
  }

  /** The fleet's model when every replica seen serves the same one, else 'all'. */
  #fleetModel(): string {
    const seen = new Set([...this.#firstSeenMs.keys()].map((k) => k.split('|')[1] ?? ''));
    return seen.size === 1 ? ([...seen][0] as string) : 'all';
  }

  #reference(model: string, replicas: number): { info: ReferenceInfo | null; note: string | null } {
    if (model === 'all' || model === '') {
      return { info: null, note: 'replicas serve different models' };
    }
    let found = this.#references.get(model);
    if (!found) {
      const sglang = this.#names?.counters.generationTokens?.startsWith('sglang:');
      const lookup = lookupReference(
        {
          model: this.config.model ?? model,
          precision: this.config.quantization,
          gpu: this.config.price.gpuClass,
          gpus: this.config.price.gpus,
          engine: sglang ? 'sglang' : 'vllm',
        },
        this.#hourlyUsd,
      );
      found = { info: lookup.reference, note: referenceNote(lookup) };
      this.#references.set(model, found);
    }
    // n replicas saturate at n × θ_max for n × the price: C_naive is unchanged.
    const info = found.info && {
      ...found.info,
      thetaMaxTokPerS: found.info.thetaMaxTokPerS * replicas,
    };
    return { info, note: found.note };
  }

  #trackReplicas(scopes: ScopeReading[], atMs: number): void {
    for (const s of scopes) {
      if (s.scope !== 'replica') continue;
      const key = `${s.replica}|${s.model}`;
      const wasUp = this.#replicaUp.get(key);
      if (wasUp === true && !s.up) {
        const gap: Gap = {
          kind: 'unreachable',
          startMs: atMs,
          endMs: null,
          failedScrapes: 1,
          message: `replica ${s.replica} is down (up == 0)`,
        };
        this.#recordGap(gap);
        this.emit('gap', gap);
      }
      if (wasUp === false && s.up) {
        const open = [...this.#gaps]
          .reverse()
          .find((g) => g.message.includes(s.replica) && !g.endMs);
        if (open) {
          open.endMs = atMs;
          this.emit('recovered', open);
        }
      }
      this.#replicaUp.set(key, s.up);
      const before = this.#replicaRestarts.get(key) ?? 0;
      if (s.restarts > before) {
        this.#recordGap({
          kind: 'restart',
          startMs: this.#lastGoodMs ?? atMs,
          endMs: atMs,
          failedScrapes: 0,
          message: `replica ${s.replica} restarted (counter reset)`,
        });
      }
      this.#replicaRestarts.set(key, Math.max(before, s.restarts));
    }
  }

  #failed(atMs: number, message: string): MeterReading {
    if (this.#openGap) this.#openGap.failedScrapes += 1;
    else {
      this.#openGap = {
        kind: 'unreachable',
        startMs: this.#lastGoodMs ?? atMs,
        endMs: null,
        failedScrapes: 1,
        message,
      };
      this.#recordGap(this.#openGap);
      this.emit('gap', this.#openGap);
    }
    return this.#reading(atMs, 'gap', [], message);
  }

  #closeGap(atMs: number): void {
    if (!this.#openGap) return;
    this.#openGap.endMs = atMs;
    this.emit('recovered', this.#openGap);
    this.#openGap = null;
  }

  #recordGap(gap: Gap): void {
    this.#gapsTotal += 1;
    this.#gaps.push(gap);
    if (this.#gaps.length > KEPT_GAPS) this.#gaps.shift();
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
      gaps: this.#gaps.map((g) => ({ ...g })),
      gapsTotal: this.#gapsTotal,
      lastError,
      serverVersion: null,
      vllmEra: null,
    };
  }
}
