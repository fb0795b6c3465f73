/**
 * The meter's settings, validated once at the boundary. `resolveMeterConfig` turns the raw
 * command-line values into a `MeterConfig` or throws a usage error (exit 2) naming the flag.
 */

import { findGpu, knownGpuIds } from '../cost/gpuCatalog.ts';
import { usageError } from '../util/errors.ts';
import type { MeterSlo } from './types.ts';

export interface MeterPrice {
  /** Label on every exported series: the catalog id, the --gpu name, or 'custom'. */
  label: string;
  /** Catalog GPU class for matching the paper's references; null when unknown. */
  gpuClass: string | null;
  gpuHourlyUsd: number;
  gpus: number;
  priceSource: string;
}

export interface MeterConfig {
  mode: 'direct' | 'prometheus';
  /** Base URL of the vLLM server (direct) or of the Prometheus HTTP API (fleet). */
  url: string;
  price: MeterPrice;
  intervalMs: number;
  windowsSeconds: number[];
  scrapeTimeoutMs: number;
  slo: MeterSlo | null;
  listen: { host: string; port: number } | null;
  log: { path: string; format: 'csv' | 'jsonl' } | null;
  model: string | null;
  quantization: string | null;
  durationMs: number | null;
  plain: boolean;
  /** Fleet mode: label naming a replica ('auto' picks pod when present, else instance). */
  replicaLabel: string;
  /** Fleet mode: extra label matchers added to every selector, e.g. `job="vllm"`. */
  selector: string | null;
}

export interface RawMeterOptions {
  url?: string;
  prometheus?: string;
  gpuPrice?: number;
  gpu?: string;
  gpus?: number;
  interval?: string;
  windows?: string;
  timeout?: string;
  sloTtftP99Ms?: number;
  sloTpotP99Ms?: number;
  sloE2eP99Ms?: number;
  plain?: boolean;
  listen?: string | false;
  bind?: string;
  log?: string;
  model?: string;
  quantization?: string;
  duration?: string;
  replicaLabel?: string;
  selector?: string;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** '500ms', '5s', '1m', '2h', or a bare number of seconds → milliseconds; null when invalid. */
export function parseDurationMs(raw: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  if (!match) return null;
  const value = Number(match[1]) * (UNIT_MS[match[2] ?? 's'] as number);
  return value > 0 && Number.isFinite(value) ? value : null;
}

/** 60 → '1m', 90 → '90s', 3600 → '1h': the label used for windows in every output. */
export function windowLabel(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function durationFlag(flag: string, raw: string): number {
  const ms = parseDurationMs(raw);
  if (ms === null) {
    throw usageError(`${flag} must be a duration such as 500ms, 5s, 1m or 2h (got '${raw}')`);
  }
  return ms;
}

function baseUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`${flag} must be an http(s) URL such as http://127.0.0.1:8000 (got '${raw}')`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`${flag} must use http or https (got '${raw}')`);
  }
  // Accept the /metrics URL people copy from their scrape config: the meter adds paths itself.
  const path = url.pathname.replace(/\/metrics\/?$/, '').replace(/\/+$/, '');
  return `${url.origin}${path}`;
}

function resolvePrice(raw: RawMeterOptions): MeterPrice {
  const gpus = raw.gpus ?? 1;
  if (raw.gpu === undefined && raw.gpuPrice === undefined) {
    throw usageError(
      `give the price: --gpu-price <USD per GPU-hour> or --gpu <${knownGpuIds().join('|')}>`,
    );
  }
  const known = raw.gpu === undefined ? undefined : findGpu(raw.gpu);
  if (raw.gpuPrice !== undefined) {
    return {
      label: known?.id ?? raw.gpu?.trim().toLowerCase() ?? 'custom',
      gpuClass: known?.id ?? null,
      gpuHourlyUsd: raw.gpuPrice,
      gpus,
      priceSource: '--gpu-price',
    };
  }
  if (!known) {
    throw usageError(
      `--gpu '${raw.gpu}' is not in the price catalog (known: ${knownGpuIds().join(', ')}); ` +
        'give --gpu-price <USD per GPU-hour> as well',
    );
  }
  return {
    label: known.id,
    gpuClass: known.id,
    gpuHourlyUsd: known.gpuHourlyUsd,
    gpus,
    priceSource: `catalog:${known.id} (${known.source}, ${known.asOf})`,
  };
}

function resolveListen(raw: RawMeterOptions): MeterConfig['listen'] {
  if (raw.listen === false) return null;
  const spec = raw.listen ?? '9464';
  const match = /^(?:(.+):)?(\d{1,5})$/.exec(spec.trim());
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65535) {
    throw usageError(`--listen must be PORT or HOST:PORT, e.g. 127.0.0.1:9464 (got '${spec}')`);
  }
  const listenHost = match[1]?.replace(/^\[(.*)\]$/, '$1');
  if (listenHost && raw.bind && listenHost !== raw.bind) {
    throw usageError(`--listen host '${listenHost}' and --bind '${raw.bind}' disagree; give one`);
  }
  return { host: raw.bind ?? listenHost ?? '127.0.0.1', port };
}

function resolveLog(path: string | undefined): MeterConfig['log'] {
  if (path === undefined) return null;
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return { path, format: 'csv' };
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return { path, format: 'jsonl' };
  throw usageError(`--log must name a .csv or .jsonl file (got '${path}')`);
}

function resolveWindows(raw: string | undefined, intervalMs: number): number[] {
  const parts = (raw ?? '1m,5m').split(',').map((p) => p.trim());
  const seconds = parts.map((p) => {
    const ms = parseDurationMs(p);
    if (ms === null || ms % 1000 !== 0) {
      throw usageError(`--windows must list whole-second durations such as 1m,5m (got '${raw}')`);
    }
    return ms / 1000;
  });
  const tooShort = seconds.find((s) => s * 1000 < 2 * intervalMs);
  if (tooShort !== undefined) {
    throw usageError(
      `--windows ${windowLabel(tooShort)} is shorter than two --interval periods; ` +
        'a window needs at least two samples',
    );
  }
  return [...new Set(seconds)].sort((a, b) => a - b);
}

function resolveSlo(raw: RawMeterOptions): MeterSlo | null {
  const slo: MeterSlo = {
    ttftP99Ms: raw.sloTtftP99Ms ?? null,
    tpotP99Ms: raw.sloTpotP99Ms ?? null,
    e2eP99Ms: raw.sloE2eP99Ms ?? null,
  };
  return Object.values(slo).some((v) => v !== null) ? slo : null;
}

export function resolveMeterConfig(raw: RawMeterOptions): MeterConfig {
  if ((raw.url === undefined) === (raw.prometheus === undefined)) {
    throw usageError('give exactly one of --url <vLLM server> or --prometheus <Prometheus URL>');
  }
  const mode = raw.url !== undefined ? 'direct' : 'prometheus';
  const url =
    mode === 'direct'
      ? baseUrl('--url', raw.url as string)
      : baseUrl('--prometheus', raw.prometheus as string);
  const intervalMs = durationFlag('--interval', raw.interval ?? '5s');
  if (intervalMs < 100) throw usageError('--interval must be at least 100ms');
  const timeoutMs = raw.timeout
    ? durationFlag('--timeout', raw.timeout)
    : Math.min(10_000, intervalMs);
  const replicaLabel = raw.replicaLabel ?? 'auto';
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(replicaLabel)) {
    throw usageError(`--replica-label must be a Prometheus label name (got '${replicaLabel}')`);
  }
  if (mode === 'direct' && (raw.replicaLabel !== undefined || raw.selector !== undefined)) {
    throw usageError('--replica-label and --selector apply to --prometheus mode only');
  }

  return {
    mode,
    url,
    price: resolvePrice(raw),
    intervalMs,
    windowsSeconds: resolveWindows(raw.windows, intervalMs),
    scrapeTimeoutMs: timeoutMs,
    slo: resolveSlo(raw),
    listen: resolveListen(raw),
    log: resolveLog(raw.log),
    model: raw.model ?? null,
    quantization: raw.quantization ?? null,
    durationMs: raw.duration === undefined ? null : durationFlag('--duration', raw.duration),
    plain: Boolean(raw.plain),
    replicaLabel,
    selector: raw.selector === undefined ? null : validateSelector(raw.selector),
  };
}

/** `job="vllm",namespace=~"prod.*"` (braces optional): label matchers added to every query. */
function validateSelector(raw: string): string {
  const inner = raw.trim().replace(/^\{/, '').replace(/\}$/, '').trim();
  const matcher = /^[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"$/;
  const parts = inner.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((p) => p.trim());
  if (inner === '' || parts.some((p) => !matcher.test(p))) {
    // The usual cause is a shell that ate the double quotes of an unquoted job="vllm".
    throw usageError(
      `--selector must be label matchers such as job="vllm" (got '${raw}'); ` +
        `quote them for the shell: --selector 'job="vllm"'`,
    );
  }
  return parts.join(',');
}
