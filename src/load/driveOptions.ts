/**
 * The edges of driveStep: checking its options once, and the JSON body of each request
 * (completions or chat, with vLLM's ignore_eos/min_tokens and stream_options).
 */

import { inputError } from '../util/errors.ts';
import type { Prompt } from './prompts.ts';
import type { StepDriveOptions } from './types.ts';

export function bodyBuilder(o: StepDriveOptions): (prompt: Prompt, outputTokens: number) => string {
  const streamOptions = o.shape.continuousUsage
    ? { include_usage: true, continuous_usage_stats: true }
    : { include_usage: true };
  return (prompt, outputTokens) => {
    const body: Record<string, unknown> = { model: o.model };
    if (o.api === 'chat') body.messages = [{ role: 'user', content: prompt.prompt }];
    else body.prompt = prompt.prompt;
    body.max_tokens = outputTokens;
    if (o.shape.pinOutputLength) body.min_tokens = outputTokens;
    if (o.shape.ignoreEos) body.ignore_eos = true;
    if (o.shape.temperature !== null) body.temperature = o.shape.temperature;
    body.stream = true;
    body.stream_options = streamOptions;
    return JSON.stringify(Object.assign(body, o.shape.extraBody));
  };
}

export function validateDriveOptions(o: StepDriveOptions): { origin: string; pathPrefix: string } {
  let url: URL;
  try {
    url = new URL(o.baseUrl);
  } catch {
    throw inputError(`driver: baseUrl "${o.baseUrl}" is not a URL; use e.g. http://127.0.0.1:8000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw inputError(`driver: baseUrl ${o.baseUrl} must be http:// or https://`);
  }
  if (o.api !== 'completions' && o.api !== 'chat') {
    throw inputError(`driver: api must be "completions" or "chat", got "${o.api}"`);
  }
  if (!o.model) throw inputError('driver: model must be the served model name');
  for (const key of ['requestTimeoutMs', 'drainTimeoutMs'] as const) {
    if (!(Number.isFinite(o[key]) && o[key] > 0)) {
      throw inputError(`driver: ${key} must be a positive number of milliseconds, got ${o[key]}`);
    }
  }
  const cap = o.maxConcurrency;
  if (cap !== null && !(Number.isInteger(cap) && cap >= 1)) {
    throw inputError(`driver: maxConcurrency must be an integer ≥ 1 or null, got ${cap}`);
  }
  const requests = o.plan.requests;
  for (let i = 1; i < requests.length; i++) {
    if (requests[i]!.intendedAtMs < requests[i - 1]!.intendedAtMs) {
      throw inputError(`driver: plan.requests[${i}] is earlier than the one before; use buildPlan`);
    }
  }
  // A base URL given with /v1 still works: the endpoint path adds it back.
  const pathPrefix = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return { origin: url.origin, pathPrefix };
}
