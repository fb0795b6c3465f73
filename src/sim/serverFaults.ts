/** The HTTP side of injected faults: error answers, silence, and broken /metrics bodies. */

import type { ServerResponse } from 'node:http';
import type { FaultSpec } from './faults.ts';
import { errorBody } from './openaiApi.ts';

const STATUS_TYPE: Record<number, string> = {
  429: 'TooManyRequestsError',
  500: 'InternalServerError',
  503: 'ServiceUnavailableError',
};

/**
 * Answers a request fault that strikes before generation starts; returns false for the
 * mid-stream kinds, which the generation itself applies. `hang` never answers: the response
 * stays open in `hanging` until the client gives up or the server closes.
 */
export function faultResponse(
  fault: FaultSpec,
  res: ServerResponse,
  hanging: Set<ServerResponse>,
): boolean {
  const status = { 'http-500': 500, 'http-503': 503, 'http-429': 429 }[fault.kind as string];
  if (status !== undefined) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (fault.retryAfterS !== undefined) headers['retry-after'] = String(fault.retryAfterS);
    res.writeHead(status, headers);
    res.end(errorBody(status, `simulated fault: HTTP ${status}`, STATUS_TYPE[status]!, null));
    return true;
  }
  if (fault.kind === 'hang') {
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
    return true;
  }
  return false;
}

/** Serves /metrics under a metrics fault: late, failing, not Prometheus, or an HTML page. */
export function metricsFaultResponse(
  fault: FaultSpec,
  res: ServerResponse,
  body: () => string,
): void {
  switch (fault.kind) {
    case 'metrics-slow': {
      const timer = setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain; version=1.0.0; charset=utf-8' });
        res.end(body());
      }, fault.delayMs ?? 2000);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case 'metrics-500':
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error');
      return;
    case 'metrics-garbage':
      res.writeHead(200, { 'content-type': 'text/plain; version=1.0.0; charset=utf-8' });
      res.end('vllm:num_requests_running{engine="0" 3\n\u0000\u0001 not { prometheus\n');
      return;
    default:
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Proxy login</body></html>\n',
      );
  }
}
