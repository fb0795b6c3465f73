/**
 * A zero-work OpenAI-compatible streaming server for scripts/bench-driver, run as a separate
 * process (forked with IPC). Every response is N one-token chunks built once at start-up, each
 * already framed for chunked transfer encoding (as uvicorn sends vLLM's events).
 *
 * --write burst (default): the whole response leaves in one socket write, so the server costs
 *   almost nothing and the client's event handling is what the benchmark measures (the peer
 *   survey's zero-work server did the same: 256 events per response, no pacing).
 * --write stepped: like decode steps of a real engine, each "step" writes one chunk to every
 *   open stream, steps following each other with setImmediate (or every --step-ms); one
 *   socket.write per chunk, so the kernel's per-write cost dominates at high rates.
 *
 * For each request it keeps the wall-clock times (µs-precise epoch ms) of its first and last
 * token writes and of the request's arrival, keyed by x-request-id; the parent asks for them over IPC to measure how far the
 * driver's timestamps are from the moments the bytes were written.
 *
 *   messages in:  {type:'stamps'} → {type:'stamps', stamps, cpuMs}   (and clears them)
 *                 {type:'clock', t1} → {type:'clock', t1, t2}          (for the clock offset)
 *   message out at start: {type:'listening', port}
 */

import { createServer, type ServerResponse } from 'node:http';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) {
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
}
const tokens = Number(args.get('tokens') ?? 256);
const stepMs = Number(args.get('step-ms') ?? 0);
const burst = (args.get('write') ?? 'burst') === 'burst';

const epochNow = () => performance.timeOrigin + performance.now();

/** One SSE event as an HTTP/1.1 chunked-encoding frame, ready for socket.write. */
function frame(bytes: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`${bytes.length.toString(16)}\r\n`),
    bytes,
    Buffer.from('\r\n'),
  ]);
}

function chunk(text: string, finish: string | null): Buffer {
  const event = {
    id: 'cmpl-zero',
    object: 'text_completion',
    created: 0,
    model: 'zero',
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null }],
  };
  return frame(Buffer.from(`data: ${JSON.stringify(event)}\n\n`));
}
const body: Buffer[] = [];
for (let i = 0; i < tokens; i++)
  body.push(chunk(` t${i % 10}`, i === tokens - 1 ? 'length' : null));
const usage = {
  id: 'cmpl-zero',
  object: 'text_completion',
  created: 0,
  model: 'zero',
  choices: [],
  usage: { prompt_tokens: 32, completion_tokens: tokens, total_tokens: 32 + tokens },
};
const tail = Buffer.from(`data: ${JSON.stringify(usage)}\n\ndata: [DONE]\n\n`);
const wholeBody = Buffer.concat(body);

interface Stream {
  res: ServerResponse;
  id: string;
  next: number;
  arrivedAtMs: number;
  firstAtMs: number;
}
let streams: Stream[] = [];
const stamps: Record<string, [number, number, number]> = {};
let stepping = false;

function step(): void {
  const still: Stream[] = [];
  for (const s of streams) {
    const socket = s.res.socket;
    if (s.res.destroyed || !socket) continue;
    const now = epochNow();
    if (s.next === 0) s.firstAtMs = now;
    // Pre-framed bytes straight to the socket: one write per chunk, no per-chunk framing work.
    socket.write(body[s.next++]!);
    if (s.next === tokens) {
      stamps[s.id] = [s.arrivedAtMs, s.firstAtMs, now];
      s.res.end(tail); // the response writes the last frame and the terminating chunk
    } else {
      still.push(s);
    }
  }
  streams = still;
  if (streams.length === 0) stepping = false;
  else if (stepMs > 0) setTimeout(step, stepMs);
  else setImmediate(step);
}

const server = createServer((req, res) => {
  const arrivedAtMs = epochNow();
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders(); // headers out now: the body frames bypass the response object
    const id = String(req.headers['x-request-id'] ?? '');
    if (burst) {
      const now = epochNow();
      res.socket?.write(wholeBody);
      res.end(tail);
      stamps[id] = [arrivedAtMs, now, now];
      return;
    }
    streams.push({ res, id, next: 0, arrivedAtMs, firstAtMs: 0 });
    if (!stepping) {
      stepping = true;
      setImmediate(step);
    }
  });
});
server.keepAliveTimeout = 60_000;

let cpuMark = process.cpuUsage();
process.on('message', (m: { type: string; t1?: number }) => {
  if (m.type === 'clock') process.send?.({ type: 'clock', t1: m.t1, t2: epochNow() });
  if (m.type === 'stamps') {
    const cpu = process.cpuUsage(cpuMark);
    cpuMark = process.cpuUsage();
    process.send?.({ type: 'stamps', stamps, cpuMs: (cpu.user + cpu.system) / 1000 });
    for (const k of Object.keys(stamps)) delete stamps[k];
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(Number(args.get('port') ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send?.({ type: 'listening', port });
});
