/**
 * A sub-millisecond timer that does not spin the event loop. Node's timers have 1 ms
 * granularity and fire up to a millisecond late; spinning on setImmediate fixes that but burns
 * the driver's core and makes its CPU figure meaningless. Here a worker thread sleeps in
 * Atomics.wait (a futex, ~0.1 ms precise) until the deadline and then posts a message, which
 * wakes the main loop at once. Deadlines are on the monotonic hrtime clock, which every thread
 * shares. When the loop is busy with responses the driver does not depend on this timer: each
 * network chunk checks whether a send is due (driver.ts).
 */

import { Worker } from 'node:worker_threads';

export interface PreciseTimer {
  /** Fire `onFire` once at this hrtime (ns); replaces any earlier deadline. */
  armAt(deadlineNs: bigint): void;
  close(): Promise<void>;
}

const NONE = -1n;

// Plain CommonJS so the worker runs without a TypeScript loader.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const control = new Int32Array(workerData, 0, 2); // [generation, closed]
const deadline = new BigInt64Array(workerData, 8, 1);
parentPort.postMessage(1); // ready
for (;;) {
  const generation = Atomics.load(control, 0);
  if (Atomics.load(control, 1) === 1) break;
  const at = Atomics.load(deadline, 0);
  if (at === ${NONE}n) {
    Atomics.wait(control, 0, generation);
    continue;
  }
  const waitMs = Number(at - process.hrtime.bigint()) / 1e6;
  if (waitMs > 0) {
    Atomics.wait(control, 0, generation, waitMs);
    continue; // re-read: the deadline may have moved, or its time has come
  }
  if (Atomics.compareExchange(deadline, 0, at, ${NONE}n) === at) parentPort.postMessage(0);
}
`;

/** Resolves once the worker runs: a step must not start before its clock can wake it. */
export async function createPreciseTimer(onFire: () => void): Promise<PreciseTimer> {
  const shared = new SharedArrayBuffer(16);
  const control = new Int32Array(shared, 0, 2);
  const deadline = new BigInt64Array(shared, 8, 1);
  deadline[0] = NONE;
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: shared });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  worker.on('message', onFire);
  worker.unref();

  const wake = () => {
    Atomics.add(control, 0, 1);
    Atomics.notify(control, 0);
  };
  return {
    armAt(deadlineNs: bigint): void {
      Atomics.store(deadline, 0, deadlineNs);
      wake();
    },
    async close(): Promise<void> {
      Atomics.store(control, 1, 1);
      wake();
      worker.off('message', onFire);
      await worker.terminate();
    },
  };
}
