/**
 * One pass over requests.jsonl into per-step statistics. A big file is cut at line boundaries
 * into as many byte ranges as there are cores (up to 4) and each range is read by a worker
 * thread; their accumulators are merged here, so the result is the same as a serial read. A
 * malformed line is reported with its line number in the whole file.
 */

import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SloSpec } from '../harness/records.ts';
import { inputError } from '../util/errors.ts';
import { readJsonl } from './jsonl.ts';
import {
  type AccumulatorState,
  checkRecord,
  type RecomputedStep,
  StepAccumulators,
} from './requestStats.ts';

export interface RequestsPass {
  byStep: Map<string, RecomputedStep>;
  lines: number;
  truncatedLastLine: boolean;
}

export interface RequestsPassOptions {
  /** Worker threads to use; default: the cores available, at most 4. */
  workers?: number;
  /** Files smaller than this are read on the calling thread (worker start-up costs ~0.3 s). */
  parallelMinBytes?: number;
  /** Old-generation heap of each worker, MB (default 48). */
  workerHeapMb?: number;
}

/** What a worker posts back (see requestsWorker.ts). */
export type WorkerReply =
  | {
      ok: true;
      lines: number;
      truncatedLastLine: boolean;
      states: Array<[string, AccumulatorState]>;
    }
  | { ok: false; message: string; line: number | null; input: boolean };

const DEFAULT_PARALLEL_MIN_BYTES = 48 * 2 ** 20;
const WORKER_OLD_MB = 48;

/** Byte offsets that cut the file into `parts` ranges, each starting at a line. */
async function lineBoundaries(path: string, size: number, parts: number): Promise<number[]> {
  const cuts = [0];
  const handle = await open(path, 'r');
  try {
    const probe = Buffer.alloc(1 << 16);
    for (let k = 1; k < parts; k++) {
      let pos = Math.max(Math.floor((size * k) / parts), cuts[cuts.length - 1] as number);
      let found = -1;
      while (found === -1 && pos < size) {
        const { bytesRead } = await handle.read(probe, 0, probe.length, pos);
        const at = probe.subarray(0, bytesRead).indexOf(0x0a);
        if (at !== -1) found = pos + at + 1;
        else pos += bytesRead;
        if (bytesRead === 0) break;
      }
      if (found !== -1 && found < size && found > (cuts[cuts.length - 1] as number))
        cuts.push(found);
    }
  } finally {
    await handle.close();
  }
  cuts.push(size);
  return cuts;
}

function runWorker(
  path: string,
  start: number,
  end: number,
  slo: SloSpec | null,
  heapMb: number,
): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./requestsWorker.mjs', import.meta.url), {
      workerData: { path, start, end, slo },
      // Records die young and latencies live off-heap: small heaps keep a 1M-record pass
      // under 500 MB. A worker that still runs out falls back to the serial read.
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: heapMb },
    });
    worker.once('message', (reply: WorkerReply) => {
      resolve(reply);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`requests worker exited with code ${code}`));
    });
  });
}

async function parallelPass(
  path: string,
  size: number,
  slo: SloSpec | null,
  workers: number,
  heapMb: number,
): Promise<RequestsPass> {
  const cuts = await lineBoundaries(path, size, workers);
  const ranges = cuts.slice(1).map((end, i) => ({ start: cuts[i] as number, end }));
  const replies = await Promise.all(
    ranges.map((r) => runWorker(path, r.start, r.end, slo, heapMb)),
  );

  const accumulators = new StepAccumulators(slo);
  const states: Array<[string, AccumulatorState]> = [];
  let lines = 0;
  let truncatedLastLine = false;
  for (const reply of replies) {
    if (!reply.ok) {
      // Earlier ranges all succeeded (else their error came first): shift to a file line.
      const local = reply.line;
      const message =
        local === null
          ? reply.message
          : reply.message.replace(`${path}:${local}:`, `${path}:${lines + local}:`);
      throw reply.input ? inputError(message) : new Error(message);
    }
    states.push(...reply.states);
    lines += reply.lines;
    truncatedLastLine = reply.truncatedLastLine;
  }
  accumulators.merge(states);
  return { byStep: accumulators.finish(), lines, truncatedLastLine };
}

/** Reads requests.jsonl once and returns per-step statistics keyed by `stepKey`. */
export async function recomputeFromRequests(
  path: string,
  slo: SloSpec | null,
  options: RequestsPassOptions = {},
): Promise<RequestsPass> {
  const workers = options.workers ?? Math.min(4, availableParallelism());
  const { size } = await stat(path).catch(() => {
    throw inputError(`${path}: file not found`);
  });
  if (workers >= 2 && size >= (options.parallelMinBytes ?? DEFAULT_PARALLEL_MIN_BYTES)) {
    try {
      return await parallelPass(path, size, slo, workers, options.workerHeapMb ?? WORKER_OLD_MB);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_WORKER_OUT_OF_MEMORY') throw err;
    }
  }
  const accumulators = new StepAccumulators(slo);
  const result = await readJsonl(path, (value, line) =>
    accumulators.add(checkRecord(value, path, line)),
  );
  return {
    byStep: accumulators.finish(),
    lines: result.lines,
    truncatedLastLine: result.truncatedLastLine,
  };
}
