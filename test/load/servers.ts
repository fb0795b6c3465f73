/**
 * Purpose-built local streaming servers for the driver tests (port 0, 127.0.0.1 only). They
 * run in the test's process, so their performance.now() is the driver's clock too.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Running {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => void,
): Promise<Running> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      raw += d;
    });
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        // Tests that care send JSON.
      }
      handler(req, res, body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export const sse = (event: unknown) =>
  `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`;

export function completionChunk(text: string, finish: string | null, usage?: object) {
  return {
    id: 'cmpl-t',
    object: 'text_completion',
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  };
}

export function chatChunk(delta: object, finish: string | null, usage?: object) {
  return {
    id: 'chatcmpl-t',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  };
}

export function usageChunk(prompt: number, completion: number) {
  return {
    id: 'cmpl-t',
    choices: [],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    },
  };
}

/**
 * What the timed server did for one request, in wall-clock milliseconds with sub-millisecond
 * precision (performance.timeOrigin + performance.now()), comparable across processes.
 */
export interface Truth {
  arrivedAt: number;
  writes: Array<{ at: number; tokens: number }>;
}

export interface TimedOptions {
  ttftMs: number;
  itlMs: number;
  /** Tokens carried by each content chunk, in order (the response length is their sum). */
  chunkTokens: number[];
  promptTokens: number;
}

/**
 * Streams tokens at known times and records when it wrote each chunk. Chat responses start
 * with vLLM's role chunk (`content: ""`) 1 ms after arrival; it must not count as a token.
 * With `continuous_usage_stats` every content chunk carries the running usage.
 */
export async function timedServer(
  o: TimedOptions,
): Promise<Running & { truth: Map<string, Truth> }> {
  const truth = new Map<string, Truth>();
  const total = o.chunkTokens.reduce((a, b) => a + b, 0);
  const running = await listen((req, res, body) => {
    const arrivedAt = performance.timeOrigin + performance.now();
    const id = String(req.headers['x-request-id']);
    const t: Truth = { arrivedAt, writes: [] };
    truth.set(id, t);
    const chat = req.url === '/v1/chat/completions';
    const options = (body.stream_options ?? {}) as Record<string, boolean>;
    const continuous = options.include_usage && options.continuous_usage_stats;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (chat)
      setTimeout(() => res.write(sse(chatChunk({ role: 'assistant', content: '' }, null))), 1);

    let sent = 0;
    const writeChunk = (i: number) => {
      const n = o.chunkTokens[i]!;
      sent += n;
      const finish = i === o.chunkTokens.length - 1 ? 'length' : null;
      const usage = continuous
        ? {
            prompt_tokens: o.promptTokens,
            completion_tokens: sent,
            total_tokens: o.promptTokens + sent,
          }
        : undefined;
      const text = ' tok'.repeat(n);
      const event = chat
        ? chatChunk({ content: text }, finish, usage)
        : completionChunk(text, finish, usage);
      t.writes.push({ at: performance.timeOrigin + performance.now(), tokens: n });
      res.write(sse(event));
      if (i + 1 < o.chunkTokens.length) setTimeout(() => writeChunk(i + 1), o.itlMs);
      else res.end(sse(usageChunk(o.promptTokens, total)) + sse('[DONE]'));
    };
    setTimeout(() => writeChunk(0), o.ttftMs);
  });
  return { ...running, truth };
}
