/**
 * Fetches one /metrics body over HTTP(S) with undici, through one shared keep-alive Agent.
 * Sends `Accept: text/plain` so that servers which negotiate (vLLM ≤ 0.8.4) answer in the text
 * format. Every failure is one CostMeterError whose message names the URL and what to check.
 */

import { Agent, request, errors as undiciErrors } from 'undici';
import { CostMeterError, inputError } from '../util/errors.ts';

export interface ScrapeOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Largest body accepted, in bytes (default 64 MiB); a /metrics body is rarely over 1 MiB. */
  maxBytes?: number;
}

export interface ScrapeResult {
  text: string;
  contentType: string | null;
  elapsedMs: number;
}

let sharedAgent: Agent | undefined;

function agent(): Agent {
  sharedAgent ??= new Agent({ keepAliveTimeout: 30_000, connections: 8 });
  return sharedAgent;
}

/** Closes the shared Agent's idle connections (a later scrape opens a new one). */
export async function closeScrapeAgent(): Promise<void> {
  const open = sharedAgent;
  sharedAgent = undefined;
  await open?.close();
}

function checkUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw inputError(
      `'${url}' is not a URL; give an http(s) URL such as http://127.0.0.1:8000/metrics`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw inputError(`'${url}' is not an http(s) URL`);
  }
  return parsed;
}

/** What a connection-level failure says, short: `ECONNREFUSED`, `ENOTFOUND`, … */
function reason(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(err);
}

const METRICS_TYPES = ['text/plain', 'application/openmetrics-text'];

/**
 * GETs `url` and returns its body. Throws E_NETWORK (unreachable, timeout), E_INPUT (HTTP 4xx),
 * E_SERVER (other non-200 statuses) or E_PARSE (an HTML page or another content type).
 */
export async function scrapeMetrics(url: string, options: ScrapeOptions): Promise<ScrapeResult> {
  checkUrl(url);
  const started = performance.now();
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;

  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method: 'GET',
      dispatcher: agent(),
      headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' },
      signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  } catch (err) {
    throw networkError(url, err, options, timeout);
  }

  const { statusCode } = response;
  const contentType = headerValue(response.headers['content-type']);
  if (statusCode !== 200) {
    await response.body.dump().catch(() => {});
    const what = `${url} answered HTTP ${statusCode}`;
    if (statusCode >= 400 && statusCode < 500) {
      throw inputError(`${what}; check that the URL is the server's /metrics endpoint`);
    }
    throw new CostMeterError('E_SERVER', `${what}; the server may be starting or failing`);
  }

  let text = '';
  let bytes = 0;
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of response.body) {
      const buf = chunk as Uint8Array;
      bytes += buf.byteLength;
      if (bytes > maxBytes) {
        response.body.destroy();
        throw new CostMeterError('E_SERVER', `${url} sent more than ${maxBytes} bytes of metrics`);
      }
      text += decoder.decode(buf, { stream: true });
    }
    text += decoder.decode();
  } catch (err) {
    if (err instanceof CostMeterError) throw err;
    throw networkError(url, err, options, timeout);
  }

  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? null;
  if (mediaType === 'text/html' || /^\s*</.test(text)) {
    throw new CostMeterError(
      'E_PARSE',
      `${url} returned an HTML page, not metrics text; point it at the /metrics endpoint`,
    );
  }
  if (mediaType !== null && !METRICS_TYPES.includes(mediaType)) {
    throw new CostMeterError(
      'E_PARSE',
      `${url} returned ${mediaType}, not Prometheus metrics text; point it at /metrics`,
    );
  }
  return { text, contentType, elapsedMs: performance.now() - started };
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function networkError(
  url: string,
  err: unknown,
  options: ScrapeOptions,
  timeout: AbortSignal,
): CostMeterError {
  const timedOut =
    timeout.aborted ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError;
  if (timedOut && !options.signal?.aborted) {
    return new CostMeterError(
      'E_NETWORK',
      `${url} did not answer within ${options.timeoutMs} ms; is the server overloaded or stuck?`,
    );
  }
  if (options.signal?.aborted) {
    return new CostMeterError('E_NETWORK', `scrape of ${url} was cancelled`);
  }
  return new CostMeterError(
    'E_NETWORK',
    `cannot reach ${url} (${reason(err)}); is the server running and the address right?`,
  );
}
