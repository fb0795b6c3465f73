/**
 * The meter's HTTP endpoint: GET /metrics (Prometheus text from the private registry) and
 * GET /cost (the latest reading as JSON). Read-only — GET and HEAD, anything else is 405 — and on
 * 127.0.0.1 unless the operator binds elsewhere.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { usageError } from '../util/errors.ts';
import type { MeterExporter } from './exporter.ts';
import type { MeterReading } from './types.ts';

export interface MeterEndpoint {
  url: string;
  close(): Promise<void>;
}

/** JSON has no Infinity: unbounded figures become null (the reading's `idle` flags say why). */
export function readingToJson(reading: MeterReading | null): string {
  return JSON.stringify(
    reading ?? { status: 'waiting', message: 'no sample yet' },
    (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
  );
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export async function startEndpoint(options: {
  host: string;
  port: number;
  exporter: MeterExporter;
  latest: () => MeterReading | null;
}): Promise<MeterEndpoint> {
  const { exporter, latest } = options;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(req, res, 405, 'text/plain; charset=utf-8', 'read-only endpoint: use GET or HEAD\n');
      req.resume();
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      exporter.metrics().then(
        (text) => send(req, res, 200, exporter.contentType, text),
        () => send(req, res, 500, 'text/plain; charset=utf-8', 'metrics unavailable\n'),
      );
      return;
    }
    if (path === '/cost') {
      send(req, res, 200, 'application/json; charset=utf-8', `${readingToJson(latest())}\n`);
      return;
    }
    if (path === '/') {
      send(req, res, 200, 'text/plain; charset=utf-8', 'vllm-cost-meter: GET /metrics, /cost\n');
      return;
    }
    send(req, res, 404, 'text/plain; charset=utf-8', 'not found: GET /metrics or /cost\n');
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      const why = err.code === 'EADDRINUSE' ? 'address already in use' : err.message;
      reject(usageError(`cannot listen on ${where} (${why}); pass --listen <port> or --no-listen`));
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
