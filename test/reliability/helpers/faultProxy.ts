/**
 * A purpose-built fault injector on a loopback port: it stands in front of a simulator and
 * forwards everything to it, except the requests it was told to break. It breaks what the
 * simulator's own fault modes cannot: SSE that is not SSE, events that are not JSON, a /metrics
 * endpoint that is not there or never answers. Counting is by arrival order at the proxy, so
 * "every Nth" is exact whatever order the client's connections deliver the requests in.
 */

import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type StreamBreak =
  /** 200 text/event-stream whose body has no `data:` framing at all. */
  | 'malformed-sse'
  /** 200 SSE whose second event is not JSON. */
  | 'invalid-json';

export type MetricsBreak = '404' | '500' | 'garbage' | 'html' | 'hang';

export interface FaultProxyOptions {
  /** Break every Nth generation request (1 = all). */
  everyNth?: number;
  stream?: StreamBreak;
  metrics?: MetricsBreak;
}

export interface FaultProxy {
  url: string;
  /** Generation requests broken so far. */
  readonly broken: number;
  /** Changes how /metrics answers from now on (null: forwarded untouched). */
  setMetrics(mode: MetricsBreak | null): void;
  close(): Promise<void>;
}

const chunk = (text: string, finish: string | null) =>
  `data: ${JSON.stringify({
    id: 'cmpl-proxy',
    object: 'text_completion',
    created: 1,
    model: 'x',
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
  })}\n\n`;

function breakStream(kind: StreamBreak, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (kind === 'malformed-sse') {
    // Bytes, newlines and a JSON body, but not one `data:` line: no event is ever dispatched.
    res.end('HTTP/1.1 garbage\n\u0000\u00ff{"choices":[{"text":"a"}]}\nnot an event\n\n');
    return;
  }
  res.end(`${chunk(' a', null)}data: {"choices": [{"text": " b",}]\n\n${chunk('', 'length')}`);
}

/** A /metrics answer that is not usable metrics; false for 'hang' (no answer at all). */
function breakMetrics(kind: MetricsBreak, res: ServerResponse): boolean {
  const text = (status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  if (kind === '404') text(404, 'text/plain', '404 page not found\n');
  else if (kind === '500') text(500, 'text/plain', 'Internal Server Error\n');
  else if (kind === 'garbage') text(200, 'text/plain', 'vllm:generation_tokens_total{ 12\n');
  else if (kind === 'html') text(200, 'text/html', '<!DOCTYPE html><html>Sign in</html>\n');
  return kind !== 'hang';
}

function forward(target: URL, req: IncomingMessage, res: ServerResponse): void {
  const upstream = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

/** Starts the proxy in front of `targetUrl` (a simulator's base URL). */
export async function startFaultProxy(
  targetUrl: string,
  options: FaultProxyOptions,
): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const every = options.everyNth ?? 1;
  let generation = 0;
  let broken = 0;
  let metrics = options.metrics ?? null;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path?.startsWith('/v1/') && options.stream) {
      generation += 1;
      if (generation % every === 0) {
        broken += 1;
        req.resume();
        req.on('end', () => breakStream(options.stream as StreamBreak, res));
        return;
      }
    }
    if (req.method === 'GET' && path === '/metrics' && metrics) {
      breakMetrics(metrics, res); // a hanging one is destroyed on close()
      return;
    }
    forward(target, req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get broken() {
      return broken;
    },
    setMetrics(mode) {
      metrics = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
