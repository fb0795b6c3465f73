/**
 * One streaming request read to the end: the raw bytes (for fixtures) and the events as the
 * project's own SSE parser (src/load/sseStream.ts) frames them.
 */

import { request } from 'undici';
import { createSseParser } from '../../../src/load/sseStream.ts';

export interface CapturedStream {
  status: number;
  contentType: string | null;
  raw: Buffer;
  /** `data` of every event, `[DONE]` included, in order. */
  events: string[];
  /** The JSON events (everything but `[DONE]`), parsed. */
  json: Array<Record<string, unknown>>;
}

export async function captureStream(
  baseUrl: string,
  path: string,
  body: Record<string, unknown>,
): Promise<CapturedStream> {
  const res = await request(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  const events: string[] = [];
  const parser = createSseParser({ onEvent: (data) => events.push(data) });
  const parts: Buffer[] = [];
  for await (const chunk of res.body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    parts.push(bytes);
    parser.feed(bytes);
  }
  parser.end();
  const contentType = res.headers['content-type'];
  return {
    status: res.statusCode,
    contentType: typeof contentType === 'string' ? contentType : null,
    raw: Buffer.concat(parts),
    events,
    json: events.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e) as Record<string, unknown>),
  };
}

export async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await request(url, { headersTimeout: 30_000, bodyTimeout: 30_000 });
  return { status: res.statusCode, body: await res.body.json() };
}
