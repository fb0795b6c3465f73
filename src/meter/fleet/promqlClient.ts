/**
 * A thin client for the Prometheus HTTP API (also served by Thanos and Mimir): instant queries
 * and label values, responses validated with zod. Errors name the URL and the query.
 */

import { Agent, request } from 'undici';
import { z } from 'zod';
import { CostMeterError } from '../../util/errors.ts';

const sampleValue = z.tuple([z.number(), z.string()]);

const vectorResult = z.object({
  resultType: z.literal('vector'),
  result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleValue })),
});
const scalarResult = z.object({ resultType: z.literal('scalar'), result: sampleValue });

const errorBody = z.object({
  status: z.literal('error'),
  errorType: z.string().optional(),
  error: z.string(),
});
const queryBody = z.union([
  z.object({ status: z.literal('success'), data: z.union([vectorResult, scalarResult]) }),
  errorBody,
]);
const labelValuesBody = z.union([
  z.object({ status: z.literal('success'), data: z.array(z.string()) }),
  errorBody,
]);

export interface VectorSample {
  labels: Record<string, string>;
  /** NaN when Prometheus answered NaN (for example 0/0 in an idle window). */
  value: number;
}

/** Prometheus prints floats as Go does: 'NaN', '+Inf', '-Inf', '1.5e+06'. */
export function parsePromValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

export class PromqlClient {
  readonly baseUrl: string;
  readonly #timeoutMs: number;
  readonly #agent: Agent;

  constructor(baseUrl: string, timeoutMs: number) {
    this.baseUrl = baseUrl;
    this.#timeoutMs = timeoutMs;
    this.#agent = new Agent({ connections: 8, keepAliveTimeout: 10_000 });
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #get(path: string, params: URLSearchParams, what: string): Promise<unknown> {
    const url = `${this.baseUrl}${path}?${params}`;
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        method: 'GET',
        dispatcher: this.#agent,
        headers: { accept: 'application/json' },
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new CostMeterError(
        'E_NETWORK',
        `cannot reach Prometheus at ${this.baseUrl} (${what}); check --prometheus`,
        { cause: err },
      );
    }
    const text = await response.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CostMeterError(
        'E_SERVER',
        `${this.baseUrl}${path} answered HTTP ${response.statusCode} with non-JSON for ${what}; ` +
          'is --prometheus the Prometheus API root?',
      );
    }
    return json;
  }

  /** Instant query at `timeS` (Unix seconds; now when omitted), as a vector. */
  async query(promql: string, timeS?: number): Promise<VectorSample[]> {
    const params = new URLSearchParams({ query: promql });
    if (timeS !== undefined) params.set('time', timeS.toFixed(3));
    const json = await this.#get('/api/v1/query', params, `query ${promql}`);
    const parsed = queryBody.safeParse(json);
    if (!parsed.success) {
      throw new CostMeterError(
        'E_SERVER',
        `unexpected answer from ${this.baseUrl}/api/v1/query for ${promql}: ` +
          (parsed.error.issues[0]?.message ?? 'invalid'),
      );
    }
    const body = parsed.data;
    if (body.status === 'error') {
      throw new CostMeterError(
        'E_SERVER',
        `Prometheus rejected ${promql}: ${body.errorType ?? 'error'}: ${body.error}`,
      );
    }
    if (body.data.resultType === 'scalar') {
      return [{ labels: {}, value: parsePromValue(body.data.result[1]) }];
    }
    return body.data.result.map((r) => ({ labels: r.metric, value: parsePromValue(r.value[1]) }));
  }

  /** Values of a label among series matching `match` (e.g. metric names that exist). */
  async labelValues(label: string, match: string[], startS?: number): Promise<string[]> {
    const params = new URLSearchParams();
    for (const m of match) params.append('match[]', m);
    if (startS !== undefined) params.set('start', startS.toFixed(3));
    const json = await this.#get(`/api/v1/label/${label}/values`, params, `label ${label}`);
    const parsed = labelValuesBody.safeParse(json);
    if (!parsed.success) {
      throw new CostMeterError(
        'E_SERVER',
        `unexpected answer from ${this.baseUrl}/api/v1/label/${label}/values`,
      );
    }
    if (parsed.data.status === 'error') {
      throw new CostMeterError('E_SERVER', `Prometheus: ${parsed.data.error}`);
    }
    return parsed.data.data;
  }
}
