/**
 * The queries of one fleet reading, fanned out with a concurrency cap: per grouping (replica,
 * model, fleet) and window, the counter rates and every histogram, plus the state at the instant.
 */

import type pLimit from 'p-limit';
import { LATENCY_KEYS, LENGTH_KEYS } from '../types.ts';
import type { StatTable } from './assemble.ts';
import { tableFrom } from './assemble.ts';
import type { PromqlClient, VectorSample } from './promqlClient.ts';
import {
  countersQuery,
  type FleetNames,
  HISTOGRAM_OF,
  histogramQuery,
  type QueryContext,
  range,
  stateQuery,
} from './queries.ts';

export interface Grouping {
  scope: 'replica' | 'model' | 'fleet';
  by: string[];
}

export interface Tables {
  /** One table per configured window. */
  counters: StatTable[];
  histograms: Array<Record<string, StatTable>>;
  state: StatTable;
  lifetime: StatTable;
}

export interface TableRequest {
  client: PromqlClient;
  limit: ReturnType<typeof pLimit>;
  names: FleetNames;
  selector: string | null;
  replicaLabel: string;
  windowsSeconds: number[];
  evalS: number;
}

export async function queryTables(request: TableRequest, g: Grouping): Promise<Tables> {
  const { client, limit, names, evalS } = request;
  const run = async (q: string | null): Promise<VectorSample[]> =>
    q ? limit(() => client.query(q, evalS)) : [];
  const ctx: QueryContext = { selector: request.selector, by: g.by };
  const windows = request.windowsSeconds.map((w) => range(w));

  const [counters, histograms, state] = await Promise.all([
    Promise.all(windows.map(async (w) => tableFrom(await run(countersQuery(names, ctx, w)), g.by))),
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
    run(stateQuery(names, ctx, request.replicaLabel)).then((s) => tableFrom(s, g.by)),
  ]);
  return { counters, histograms, state, lifetime: new Map() };
}
