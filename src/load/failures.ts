/**
 * How a request failed: transport errors mapped to the ErrorClass of types.ts, HTTP statuses,
 * the driver's own cancellations, and keeping secrets out of every message.
 */

import type { ErrorClass } from './types.ts';

/** Why the driver cancelled a request (drain timeout or Ctrl-C). */
export class CancelReason extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
  ) {
    super(message);
  }
}

export function httpClass(status: number): ErrorClass {
  if (status === 429) return 'http_429';
  if (status >= 500) return 'http_5xx';
  if (status >= 400) return 'http_4xx';
  // 1xx/3xx/other 2xx: not a stream we can measure.
  return 'malformed_stream';
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** Maps a transport failure to an error class. */
export function classifyFailure(err: unknown): { class: ErrorClass; message: string } {
  if (err instanceof CancelReason) return { class: err.errorClass, message: err.message };
  const e = err as { code?: string; message?: string; name?: string };
  const code = e.code ?? '';
  const message = `${code ? `${code}: ` : ''}${e.message ?? String(err)}`;
  if (TIMEOUT_CODES.has(code)) return { class: 'timeout', message };
  if (CONNECT_CODES.has(code) || code.startsWith('ERR_TLS') || code.includes('CERT')) {
    return { class: 'connect', message };
  }
  if (RESET_CODES.has(code)) return { class: 'reset', message };
  if (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return { class: 'malformed_stream', message };
  }
  return { class: 'reset', message };
}

/** Removes every secret from a message (servers sometimes echo the Authorization header). */
export function redact(message: string, secrets: string[]): string {
  let out = message;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out;
}
