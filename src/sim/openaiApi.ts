/**
 * The OpenAI-compatible request and response shapes of vLLM, as the simulator speaks them:
 * request validation (vLLM's defaults: completions max_tokens 16, chat up to the context end)
 * and the JSON of stream chunks and whole responses, field for field as vLLM 0.32.0 writes them
 * (../shared/fixtures/vllm-sse/v0.32.0-*; ../shared/notes/vllm.md §4).
 */

import { countChatTokens, countTextTokens } from './tokens.ts';

export type ApiKind = 'completions' | 'chat';

export interface ParsedRequest {
  api: ApiKind;
  model: string | null;
  promptTokens: number;
  maxTokens: number;
  maxTokensParam: number | null;
  minTokens: number;
  ignoreEos: boolean;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'BadRequestError',
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** vLLM's error body (≥ 0.10.1): `{"error": {message, type, param, code}}`. */
export const errorBody = (status: number, message: string, type: string, param: string | null) =>
  JSON.stringify({ error: { message, type, param, code: status } });

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalInt(body: Record<string, unknown>, key: string, min: number): number | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ApiError(
      400,
      `${key} must be an integer ≥ ${min} (got ${JSON.stringify(value)})`,
      'BadRequestError',
      key,
    );
  }
  return value;
}

function promptTokensOf(prompt: unknown): number {
  if (typeof prompt === 'string') return countTextTokens(prompt);
  if (Array.isArray(prompt)) {
    if (prompt.length > 0 && prompt.every((t) => Number.isInteger(t))) return prompt.length;
    if (prompt.length === 1) return promptTokensOf(prompt[0]);
  }
  throw new ApiError(
    400,
    'prompt must be a string, a list of token ids, or a list holding one of those ' +
      '(the simulator serves one prompt per request)',
    'BadRequestError',
    'prompt',
  );
}

function chatMessages(messages: unknown): Array<{ content: string }> {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new ApiError(400, 'messages must be a non-empty list', 'BadRequestError', 'messages');
  }
  return messages.map((m, i) => {
    if (!isObject(m))
      throw new ApiError(400, `messages[${i}] must be an object`, 'BadRequestError', 'messages');
    const content = m.content;
    if (typeof content === 'string') return { content };
    if (Array.isArray(content)) {
      const text = content
        .map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : ''))
        .join(' ');
      return { content: text };
    }
    return { content: '' };
  });
}

/** Validates a completions or chat body against the model's context length. */
export function parseRequest(api: ApiKind, body: unknown, maxModelLen: number): ParsedRequest {
  if (!isObject(body)) throw new ApiError(400, 'request body must be a JSON object');
  const promptTokens =
    api === 'completions'
      ? promptTokensOf(body.prompt)
      : countChatTokens(chatMessages(body.messages));
  const explicitMax =
    api === 'chat'
      ? (optionalInt(body, 'max_completion_tokens', 1) ?? optionalInt(body, 'max_tokens', 1))
      : optionalInt(body, 'max_tokens', 1);
  const contextLeft = maxModelLen - promptTokens;
  if (contextLeft < 1 || (explicitMax !== null && explicitMax > contextLeft)) {
    throw new ApiError(
      400,
      `This model's maximum context length is ${maxModelLen} tokens. However, you requested ` +
        `${promptTokens + (explicitMax ?? 1)} tokens (${promptTokens} in the messages, ` +
        `${explicitMax ?? 1} in the completion). Please reduce the length of the messages or completion.`,
    );
  }
  const maxTokens =
    explicitMax ?? (api === 'completions' ? Math.min(16, contextLeft) : contextLeft);
  const options = isObject(body.stream_options) ? body.stream_options : {};
  const includeUsage = options.include_usage === true;
  return {
    api,
    model: typeof body.model === 'string' ? body.model : null,
    promptTokens,
    maxTokens,
    maxTokensParam: explicitMax,
    minTokens: Math.min(optionalInt(body, 'min_tokens', 0) ?? 0, maxTokens),
    ignoreEos: body.ignore_eos === true,
    stream: body.stream === true,
    includeUsage,
    continuousUsage: includeUsage && options.continuous_usage_stats === true,
  };
}

export interface Usage {
  prompt_tokens: number;
  total_tokens: number;
  completion_tokens: number;
}

export const usageOf = (promptTokens: number, completionTokens: number): Usage => ({
  prompt_tokens: promptTokens,
  total_tokens: promptTokens + completionTokens,
  completion_tokens: completionTokens,
});

export interface ChunkContext {
  id: string;
  created: number;
  model: string;
}

export function completionChunk(
  c: ChunkContext,
  text: string,
  finish: string | null,
  usage: Usage | null,
): string {
  const chunk: Record<string, unknown> = {
    id: c.id,
    object: 'text_completion',
    created: c.created,
    model: c.model,
    choices: [
      {
        index: 0,
        text,
        logprobs: null,
        finish_reason: finish,
        stop_reason: null,
        prompt_token_ids: null,
        token_ids: null,
      },
    ],
  };
  if (usage) chunk.usage = usage;
  return JSON.stringify(chunk);
}

export function chatRoleChunk(c: ChunkContext, usage: Usage | null): string {
  const chunk: Record<string, unknown> = {
    id: c.id,
    object: 'chat.completion.chunk',
    created: c.created,
    model: c.model,
    choices: [
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    ],
    prompt_token_ids: null,
    prompt_text: null,
  };
  if (usage) chunk.usage = usage;
  return JSON.stringify(chunk);
}

export function chatChunk(
  c: ChunkContext,
  text: string,
  finish: string | null,
  usage: Usage | null,
): string {
  const choice: Record<string, unknown> = {
    index: 0,
    delta: { content: text },
    logprobs: null,
    finish_reason: finish,
  };
  if (finish !== null) choice.stop_reason = null;
  choice.token_ids = null;
  const chunk: Record<string, unknown> = {
    id: c.id,
    object: 'chat.completion.chunk',
    created: c.created,
    model: c.model,
    choices: [choice],
  };
  if (usage) chunk.usage = usage;
  return JSON.stringify(chunk);
}

/** The final usage-only chunk: empty `choices`, then `usage` and `system_fingerprint`. */
export function usageChunk(
  api: ApiKind,
  c: ChunkContext,
  usage: Usage,
  fingerprint: string,
): string {
  return JSON.stringify({
    id: c.id,
    object: api === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: c.created,
    model: c.model,
    choices: [],
    usage,
    system_fingerprint: fingerprint,
  });
}

/** A whole (non-streamed) response. */
export function fullResponse(
  api: ApiKind,
  c: ChunkContext,
  text: string,
  finish: string,
  usage: Usage,
): string {
  if (api === 'completions') {
    return JSON.stringify({
      id: c.id,
      object: 'text_completion',
      created: c.created,
      model: c.model,
      choices: [
        {
          index: 0,
          text,
          logprobs: null,
          finish_reason: finish,
          stop_reason: null,
          prompt_logprobs: null,
          prompt_token_ids: null,
          token_ids: null,
        },
      ],
      service_tier: null,
      system_fingerprint: null,
      usage: { ...usage, prompt_tokens_details: null },
      kv_transfer_params: null,
    });
  }
  return JSON.stringify({
    id: c.id,
    object: 'chat.completion',
    created: c.created,
    model: c.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text,
          refusal: null,
          annotations: null,
          audio: null,
          function_call: null,
          tool_calls: [],
          reasoning: null,
        },
        logprobs: null,
        finish_reason: finish,
        stop_reason: null,
        token_ids: null,
      },
    ],
    service_tier: null,
    system_fingerprint: null,
    usage: { ...usage, prompt_tokens_details: null },
    prompt_logprobs: null,
    prompt_token_ids: null,
    kv_transfer_params: null,
  });
}
