import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromText } from '../../src/telemetry/promText.ts';
import { closeScrapeAgent, scrapeMetrics } from '../../src/telemetry/scrape.ts';
import { CostMeterError } from '../../src/util/errors.ts';

// A label value with multi-byte characters, so chunks can split inside a character.
const BODY =
  '# HELP vllm:num_requests_running Number of requests in model execution batches.\n' +
  '# TYPE vllm:num_requests_running gauge\n' +
  'vllm:num_requests_running{engine="0",model_name="模型-ü"} 7.0\n';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
let server: Server;
let base = '';
let connections = 0;
const seenAccept: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seenAccept.push(String(req.headers.accept));
    const handler = routes.get(req.url ?? '');
    if (handler) handler(req, res);
    else res.writeHead(404).end('not found');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  routes.set('/metrics', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(BODY);
  });
  routes.set('/chunked', (_req, res) => {
    // Bytes split mid-line and inside the 3-byte '模' and the 2-byte 'ü'.
    const bytes = Buffer.from(BODY, 'utf8');
    const cut1 = bytes.indexOf(Buffer.from('模', 'utf8')) + 1;
    const cut2 = bytes.indexOf(Buffer.from('ü', 'utf8')) + 1;
    res.writeHead(200, { 'content-type': 'text/plain; version=1.0.0; charset=utf-8' });
    res.write(bytes.subarray(0, 10));
    res.write(bytes.subarray(10, cut1));
    setTimeout(() => {
      res.write(bytes.subarray(cut1, cut2));
      res.end(bytes.subarray(cut2));
    }, 20);
  });
  routes.set('/openmetrics', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/openmetrics-text; version=1.0.0' });
    res.end('# TYPE a gauge\na 1\n# EOF\n');
  });
  routes.set('/html', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><body>vLLM</body></html>');
  });
  routes.set('/html-as-text', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('  <html><body>proxy login</body></html>');
  });
  routes.set('/json', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"object":"list"}');
  });
  routes.set('/boom', (_req, res) => res.writeHead(500).end('internal error'));
  routes.set('/hang', () => {}); // never answers
});

afterAll(async () => {
  await closeScrapeAgent();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function failure(url: string, timeoutMs = 2000, signal?: AbortSignal) {
  try {
    await scrapeMetrics(url, { timeoutMs, signal });
  } catch (err) {
    if (err instanceof CostMeterError) return err;
    throw err;
  }
  throw new Error(`expected ${url} to fail`);
}

describe('scrapeMetrics', () => {
  it('returns the body and content type, asking for text/plain', async () => {
    const result = await scrapeMetrics(`${base}/metrics`, { timeoutMs: 2000 });
    expect(result.text).toBe(BODY);
    expect(result.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(result.elapsedMs).toBeGreaterThan(0);
    expect(seenAccept.at(-1)).toMatch(/^text\/plain/);
  });

  it('decodes a body whose chunks split lines and multi-byte characters', async () => {
    const { text } = await scrapeMetrics(`${base}/chunked`, { timeoutMs: 2000 });
    expect(text).toBe(BODY);
    const sample = parsePromText(text).families.get('vllm:num_requests_running')!.samples[0]!;
    expect(sample.labels.model_name).toBe('模型-ü');
    expect(sample.value).toBe(7);
  });

  it('reuses one keep-alive connection for successive scrapes', async () => {
    await scrapeMetrics(`${base}/metrics`, { timeoutMs: 2000 });
    const before = connections;
    for (let i = 0; i < 3; i++) await scrapeMetrics(`${base}/metrics`, { timeoutMs: 2000 });
    expect(connections).toBe(before);
  });

  it('accepts OpenMetrics text', async () => {
    const { text } = await scrapeMetrics(`${base}/openmetrics`, { timeoutMs: 2000 });
    expect(parsePromText(text).format).toBe('openmetrics');
  });

  it.each([
    ['/html', 'E_PARSE', 'returned an HTML page, not metrics text'],
    ['/html-as-text', 'E_PARSE', 'returned an HTML page, not metrics text'],
    ['/json', 'E_PARSE', 'returned application/json, not Prometheus metrics text'],
    ['/nope', 'E_INPUT', 'answered HTTP 404'],
    ['/boom', 'E_SERVER', 'answered HTTP 500'],
  ])('%s fails with %s and one line naming the URL', async (path, code, text) => {
    const err = await failure(`${base}${path}`);
    expect(err.code).toBe(code);
    expect(err.message).toContain(`${base}${path}`);
    expect(err.message).toContain(text);
    expect(err.message).not.toContain('\n');
  });

  it('times out on a server that never answers', async () => {
    const err = await failure(`${base}/hang`, 300);
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toBe(
      `${base}/hang did not answer within 300 ms; is the server overloaded or stuck?`,
    );
  });

  it('says when the caller cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await failure(`${base}/hang`, 5000, controller.signal);
    expect(err.message).toBe(`scrape of ${base}/hang was cancelled`);
  });

  it('names an unreachable URL and the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(`http://127.0.0.1:${port}/metrics`);
    expect(err.code).toBe('E_NETWORK');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`cannot reach http://127.0.0.1:${port}/metrics (ECONNREFUSED)`);
  });

  it('rejects what is not an http(s) URL', async () => {
    expect((await failure('localhost:8000/metrics')).code).toBe('E_INPUT');
    expect((await failure('ftp://127.0.0.1/metrics')).message).toContain('not an http(s) URL');
  });
});
