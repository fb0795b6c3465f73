/**
 * One streaming request over an undici dispatcher, observed chunk by chunk. It returns raw
 * observations (`StreamOutcome`); `metrics.ts` turns them into a RequestRecord. The handler is
 * undici's dispatch interface rather than `request()`: no Readable stream per response, one
 * clock read per network chunk, and the SSE scanner runs directly on the received bytes.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { type ChunkTemplate, chunkTemplate } from './chunkTemplate.ts';
import { type CancelReason, classifyFailure, httpClass, redact } from './failures.ts';
import { createEventReader, errorMessageOf } from './openaiEvent.ts';
import { createSseParser, type SseParser } from './sseStream.ts';

/** The end of an SSE event as servers write it (LF line ends; CRLF streams take the slow path). */
const BLANK_LINE = Buffer.from('\n\n');
const LF = 10;

import type { ErrorClass } from './types.ts';

export { CancelReason } from './failures.ts';

export interface StreamContext {
  dispatcher: Dispatcher;
  /** Path of the endpoint, e.g. `/v1/completions` (with any base path). */
  path: string;
  /** Header pairs shared by every request of the step (content type, authorization). */
  headers: string[];
  /** Milliseconds since the step's origin, monotonic. */
  clock: () => number;
  requestTimeoutMs: number;
  /** `stream_options.continuous_usage_stats` was asked for: usage on a chunk is a running count. */
  continuousUsage: boolean;
  /** Strings that must never appear in a message (the API key). */
  secrets: string[];
  /** Called after each network chunk with the clock reading taken for it. */
  onChunk?: (nowMs: number) => void;
}

export interface StreamOutcome {
  status: number | null;
  sentAtMs: number;
  firstByteAtMs: number | null;
  endAtMs: number;
  /** Arrival time and token count of every chunk that carried tokens. */
  chunkAtMs: Float64Array;
  chunkTokens: Int32Array;
  /** completion_tokens of the final usage-only chunk, or −1. */
  finalUsageTokens: number;
  /** The last running completion_tokens seen on a content chunk, or −1. */
  runningUsageTokens: number;
  usagePromptTokens: number;
  finishReason: string | null;
  sawDone: boolean;
  error: { class: ErrorClass; message: string } | null;
}

export interface StreamHandle {
  /** Clock reading taken just before the request was handed to undici. */
  readonly sentAtMs: number;
  cancel(reason: CancelReason): void;
}

const ERROR_BODY_LIMIT = 4096;

/** Sends `body` and calls `done` exactly once, whatever happens. Never throws. */
export function startStream(
  ctx: StreamContext,
  requestId: string,
  body: string,
  expectedTokens: number,
  done: (outcome: StreamOutcome) => void,
): StreamHandle {
  const handler = new StreamHandler(ctx, expectedTokens, done);
  handler.sentAtMs = ctx.clock();
  try {
    ctx.dispatcher.dispatch(
      {
        path: ctx.path,
        method: 'POST',
        headers: [...ctx.headers, 'x-request-id', requestId],
        body,
        headersTimeout: ctx.requestTimeoutMs,
        bodyTimeout: ctx.requestTimeoutMs,
      },
      handler,
    );
  } catch (err) {
    handler.onResponseError(null, err as Error);
  }
  return handler;
}

class StreamHandler implements Dispatcher.DispatchHandler, StreamHandle {
  sentAtMs = 0;
  private controller: Dispatcher.DispatchController | null = null;
  private pendingCancel: CancelReason | null = null;
  private finished = false;
  private status: number | null = null;
  private firstByteAtMs: number | null = null;
  private now = 0;
  private times: Float64Array;
  private tokens: Int32Array;
  private count = 0;
  private finalUsage = -1;
  private runningUsage = -1;
  private promptUsage = -1;
  private finishReason: string | null = null;
  private sawDone = false;
  private error: { class: ErrorClass; message: string } | null = null;
  private errorBody = '';
  /** Retry-After of a 429 or 503: recorded, never obeyed (an open loop does not retry). */
  private retryAfter: string | null = null;
  private readonly events = createEventReader();
  private template: ChunkTemplate | null = null;
  private readonly parser: SseParser;

  constructor(
    private readonly ctx: StreamContext,
    expectedTokens: number,
    private readonly done: (outcome: StreamOutcome) => void,
  ) {
    const capacity = Math.min(Math.max(expectedTokens + 2, 16), 8192);
    this.times = new Float64Array(capacity);
    this.tokens = new Int32Array(capacity);
    this.parser = createSseParser({ onEvent: (data) => this.onEvent(data) });
  }

  cancel(reason: CancelReason): void {
    if (this.finished) return;
    if (this.controller) this.controller.abort(reason);
    else this.pendingCancel = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingCancel) controller.abort(this.pendingCancel);
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.status = statusCode;
    this.firstByteAtMs = this.ctx.clock();
    if (statusCode !== 200) {
      const value = headers?.['retry-after'];
      if (typeof value === 'string') this.retryAfter = value.slice(0, 40);
    }
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    const now = this.ctx.clock();
    if (this.status !== 200) {
      if (this.errorBody.length < ERROR_BODY_LIMIT) this.errorBody += chunk.toString('utf8');
    } else {
      this.now = now;
      this.consume(chunk);
    }
    this.ctx.onChunk?.(now);
  }

  onResponseEnd(): void {
    const now = this.ctx.clock();
    if (this.status === 200) {
      this.now = now;
      this.parser.end();
      if (!this.error && !this.sawDone && this.finishReason === null) {
        this.error = {
          class: 'malformed_stream',
          message: 'stream ended without [DONE] and without a finish_reason',
        };
      }
    } else if (this.status !== null) {
      this.error = { class: httpClass(this.status), message: this.httpMessage() };
    }
    this.finish(now);
  }

  onResponseError(_c: Dispatcher.DispatchController | null, err: Error): void {
    if (this.finished) return;
    this.error = classifyFailure(err);
    this.finish(this.ctx.clock());
  }

  /**
   * Reads a network chunk event by event: an event of the learned shape is recognised by its
   * bytes (one token if its text is non-empty), anything else goes through the SSE parser alone.
   * A chunk holding a whole burst of events thus allocates nothing per same-shape event.
   */
  private consume(chunk: Buffer): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (!this.parser.idle()) {
        // The rest of an event the previous chunk cut, line by line through the parser.
        const lf = chunk.indexOf(LF, pos);
        if (lf === -1) break;
        this.parser.feed(chunk.subarray(pos, lf + 1));
        pos = lf + 1;
        continue;
      }
      const template = this.currentTemplate();
      const boundary = chunk.indexOf(BLANK_LINE, pos);
      if (template === null || boundary === -1) break; // CR line ends, or an event cut in two
      const end = boundary + 2;
      if (template.matchRange(chunk, pos, end)) {
        this.events.countFastRead();
        if (template.textBytes > 0) this.push(1);
      } else {
        this.parser.feed(chunk.subarray(pos, end));
      }
      pos = end;
    }
    if (pos < n) this.parser.feed(pos === 0 ? chunk : chunk.subarray(pos));
  }

  /** The template of the shape the event reader has learned so far, rebuilt when it changes. */
  private currentTemplate(): ChunkTemplate | null {
    const events = this.events;
    if (events.shapeVersion !== (this.template?.version ?? 0)) {
      const shape = events.shape;
      this.template = shape ? chunkTemplate(shape.prefix, shape.suffix, events.shapeVersion) : null;
    }
    return this.template;
  }

  private onEvent(data: string): void {
    const f = this.events.read(data);
    if (f.kind === 'done') {
      this.sawDone = true;
      return;
    }
    if (f.kind === 'error' || f.kind === 'invalid') {
      this.error ??= {
        class: f.kind === 'error' ? 'stream_error_event' : 'malformed_stream',
        message: f.message ?? 'unreadable event',
      };
      return;
    }

    if (f.usagePromptTokens >= 0) this.promptUsage = f.usagePromptTokens;
    let tokens = 0;
    if (f.hasChoices) {
      if (this.ctx.continuousUsage && f.usageCompletionTokens >= 0) {
        tokens = f.usageCompletionTokens - Math.max(0, this.runningUsage);
        this.runningUsage = f.usageCompletionTokens;
      } else {
        if (f.usageCompletionTokens >= 0) this.finalUsage = f.usageCompletionTokens;
        tokens = f.hasText ? 1 : 0;
      }
      if (f.finishReason !== null) this.finishReason = f.finishReason;
    } else if (f.usageCompletionTokens >= 0) {
      this.finalUsage = f.usageCompletionTokens;
    }
    if (tokens > 0) this.push(tokens);
  }

  private push(tokens: number): void {
    if (this.count === this.times.length) {
      const times = new Float64Array(this.count * 2);
      times.set(this.times);
      this.times = times;
      const counts = new Int32Array(this.count * 2);
      counts.set(this.tokens);
      this.tokens = counts;
    }
    this.times[this.count] = this.now;
    this.tokens[this.count] = tokens;
    this.count++;
  }

  private httpMessage(): string {
    let detail = this.errorBody.trim();
    try {
      const parsed = JSON.parse(detail) as Record<string, unknown>;
      detail = errorMessageOf(parsed.error ?? parsed, parsed);
    } catch {
      // Not JSON: keep the raw text.
    }
    if (detail.length > 300) detail = `${detail.slice(0, 300)}…`;
    const retry = this.retryAfter === null ? '' : ` (Retry-After: ${this.retryAfter})`;
    return `HTTP ${this.status}${retry}${detail ? `: ${detail}` : ''}`;
  }

  private finish(endAtMs: number): void {
    if (this.finished) return;
    this.finished = true;
    const error = this.error
      ? { class: this.error.class, message: redact(this.error.message, this.ctx.secrets) }
      : null;
    this.done({
      status: this.status,
      sentAtMs: this.sentAtMs,
      firstByteAtMs: this.firstByteAtMs,
      endAtMs,
      chunkAtMs: this.times.subarray(0, this.count),
      chunkTokens: this.tokens.subarray(0, this.count),
      finalUsageTokens: this.finalUsage,
      runningUsageTokens: this.runningUsage,
      usagePromptTokens: this.promptUsage,
      finishReason: this.finishReason,
      sawDone: this.sawDone,
      error,
    });
  }
}
