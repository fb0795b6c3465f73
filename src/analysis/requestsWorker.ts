/**
 * Worker thread of requestsPass.ts: reads one byte range of requests.jsonl into per-step
 * accumulators and posts their state back, latency arrays transferred rather than copied.
 */

import { parentPort, workerData } from 'node:worker_threads';
import type { SloSpec } from '../harness/records.ts';
import { isCostMeterError } from '../util/errors.ts';
import { readJsonl } from './jsonl.ts';
import { checkRecord, StepAccumulators } from './requestStats.ts';
import type { WorkerReply } from './requestsPass.ts';

const { path, start, end, slo } = workerData as {
  path: string;
  start: number;
  end: number;
  slo: SloSpec | null;
};

async function work(): Promise<{ reply: WorkerReply; transfer: ArrayBuffer[] }> {
  const accumulators = new StepAccumulators(slo);
  try {
    const result = await readJsonl(
      path,
      (value, line) => accumulators.add(checkRecord(value, path, line)),
      { start, end },
    );
    const states = accumulators.states();
    const transfer = states.flatMap(([, s]) => [
      ...Object.values(s.values).map((v) => v.buffer as ArrayBuffer),
      ...s.sloValues.map(([, v]) => v.buffer as ArrayBuffer),
    ]);
    return {
      reply: { ok: true, lines: result.lines, truncatedLastLine: result.truncatedLastLine, states },
      transfer,
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const match = message.startsWith(`${path}:`)
      ? /^:(\d+):/.exec(message.slice(path.length))
      : null;
    return {
      reply: {
        ok: false,
        message,
        line: match ? Number(match[1]) : null,
        input: isCostMeterError(err),
      },
      transfer: [],
    };
  }
}

const { reply, transfer } = await work();
parentPort?.postMessage(reply, transfer);
