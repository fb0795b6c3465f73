/**
 * Small HTTP questions to a server: is it ready, which model does it serve, which version is
 * it. Each has a short timeout and answers with values or a one-line reason, never a stack.
 */

import { request } from 'undici';
import { CostMeterError, describeError, inputError } from '../util/errors.ts';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** GET with a timeout; throws with a short reason (refused, timeout) on transport failure. */
export async function httpGet(
  url: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const res = await request(url, { method: 'GET', headers, signal: both });
  const body = await res.body.text();
  return { status: res.statusCode, body };
}

/** A short reason for a failed request: `connection refused`, `timeout`, … */
export function transportReason(err: unknown): string {
  const code =
    (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if ((err as Error).name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT')
    return 'timeout';
  return describeError(err);
}

export const authHeaders = (apiKey: string | null): Record<string, string> =>
  apiKey ? { authorization: `Bearer ${apiKey}` } : {};

/** The one listed model, or an error saying what to set. */
function onlyModel(models: string[], baseUrl: string, where: string): string {
  const url = new URL('/v1/models', baseUrl).toString();
  if (models.length === 1) return models[0] as string;
  if (models.length === 0) {
    throw inputError(`${where} model: not set, and ${url} lists no model; add 'model: <name>'`);
  }
  throw inputError(
    `${where} model: not set, and ${url} lists ${models.length} (${models.join(', ')}); ` +
      "add 'model: <name>'",
  );
}

/**
 * The check before a variant's sweep: GET /v1/models must answer, and the scenario's model must
 * be among the served ids (vLLM lists each `--served-model-name` and LoRA adapter), so a typo
 * in the URL or the model costs one line (exit 2), not a sweep of failed requests. Returns the
 * model to ask for: `model` when given, else the one the server lists.
 */
export async function preflight(
  baseUrl: string,
  apiKey: string | null,
  model: string | null,
  where: string,
): Promise<string> {
  const url = new URL('/v1/models', baseUrl).toString();
  let answer: HttpAnswer;
  try {
    answer = await httpGet(url, 10_000, authHeaders(apiKey));
  } catch (err) {
    throw new CostMeterError('E_NETWORK', `cannot reach ${baseUrl}: ${transportReason(err)}`);
  }
  if (answer.status === 401 || answer.status === 403) {
    throw inputError(`${url} answered HTTP ${answer.status}: check the API key of ${where}`);
  }
  if (answer.status !== 200) {
    if (model === null) {
      throw inputError(`cannot list models at ${url}: HTTP ${answer.status}; set 'model:' instead`);
    }
    // A server without the listing (not vLLM) cannot be checked; its requests will tell.
    return model;
  }
  const served = servedIds(answer.body);
  if (served === null) {
    throw inputError(`${url} did not answer JSON; is this an OpenAI-compatible server?`);
  }
  // `model:` unset: the one model the server lists; errors say what to set.
  if (model === null) return onlyModel(served, baseUrl, where);
  if (served.includes(model)) return model;
  const listed = served.length > 0 ? `it serves ${served.join(', ')}` : 'it lists no model';
  throw inputError(
    `model '${model}' is not served at ${baseUrl}: ${listed}; fix 'model:' in ${where}`,
  );
}

/** The ids of a /v1/models body, or null when it is not that JSON. */
function servedIds(body: string): string[] | null {
  try {
    const data = (JSON.parse(body) as { data?: unknown }).data;
    if (!Array.isArray(data)) return null;
    return data
      .map((m: { id?: unknown }) => m?.id)
      .filter((id): id is string => typeof id === 'string');
  } catch {
    return null;
  }
}

/** The server's version from GET /version (vLLM: {"version": "0.x"}), or null. */
export async function serverVersion(
  baseUrl: string,
  apiKey: string | null,
): Promise<string | null> {
  try {
    const answer = await httpGet(
      new URL('/version', baseUrl).toString(),
      5000,
      authHeaders(apiKey),
    );
    if (answer.status !== 200) return null;
    const version = (JSON.parse(answer.body) as { version?: unknown }).version;
    return typeof version === 'string' ? version : null;
  } catch {
    return null;
  }
}

/** Why `baseUrl` does not answer at all (`connection refused`, `timeout`), or null if it does. */
export async function unreachable(baseUrl: string, apiKey: string | null): Promise<string | null> {
  try {
    await httpGet(new URL('/v1/models', baseUrl).toString(), 3000, authHeaders(apiKey));
    return null;
  } catch (err) {
    return transportReason(err);
  }
}
