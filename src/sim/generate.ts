/**
 * Serves one /v1/completions or /v1/chat/completions request on a simulated engine: streamed as
 * vLLM streams (chat role chunk first, one chunk per token, `finish_reason` on the last one,
 * optional usage chunk, `[DONE]`) or as one JSON response, with the request faults applied.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSpec } from './faults.ts';
import type { LiveEngine, LiveHandle } from './liveEngine.ts';
import {
  type ApiKind,
  type ChunkContext,
  chatChunk,
  chatRoleChunk,
  completionChunk,
  errorBody,
  fullResponse,
  type ParsedRequest,
  usageChunk,
  usageOf,
} from './openaiApi.ts';
import { outputTokenText } from './tokens.ts';

export interface GenerateContext {
  api: ApiKind;
  parsed: ParsedRequest;
  engine: LiveEngine;
  chunk: ChunkContext;
  requestSeq: number;
  arrivalS: number;
  fault: FaultSpec | null;
  fingerprint: string;
  /** EOS position for requests that do not ignore it (the simulated model's natural length). */
  naturalStopAt: number;
}

/** Runs the request to its end; resolves when the response is finished or torn down. */
export function serveGeneration(
  ctx: GenerateContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { parsed, api } = ctx;
  const stopAt = parsed.ignoreEos ? null : Math.max(parsed.minTokens, ctx.naturalStopAt);
  // Tokens delivered before a mid-stream fault strikes.
  const afterTokens = ctx.fault?.afterTokens ?? 1;
  const midStream =
    ctx.fault?.kind === 'close-mid-stream' || ctx.fault?.kind === 'error-event' ? ctx.fault : null;
  const texts: string[] = [];

  return new Promise<void>((resolve) => {
    let ended = false;
    let handle: LiveHandle | null = null;
    const end = () => {
      ended = true;
      resolve();
    };
    res.on('close', () => {
      if (!ended) {
        handle?.abort('abort');
        end();
      }
    });

    if (parsed.stream) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
      });
      res.flushHeaders();
    }
    const send = (json: string) => res.write(`data: ${json}\n\n`);
    const usageSoFar = (n: number) =>
      parsed.continuousUsage ? usageOf(parsed.promptTokens, n) : null;

    handle = ctx.engine.submit(
      {
        promptTokens: parsed.promptTokens,
        maxTokens: parsed.maxTokens,
        maxTokensParam: parsed.maxTokensParam,
        stopAtTokens: stopAt,
        arrivalS: ctx.arrivalS,
      },
      {
        onToken: (n, _atS, finish) => {
          if (ended) return;
          const text = outputTokenText(ctx.requestSeq, n);
          texts.push(text);
          if (midStream && n > afterTokens && finish === null) {
            tearDown(midStream, n);
            return;
          }
          if (!parsed.stream) {
            if (finish !== null) {
              const body = fullResponse(
                api,
                ctx.chunk,
                texts.join(''),
                finish,
                usageOf(parsed.promptTokens, n),
              );
              res.writeHead(200, { 'content-type': 'application/json' });
              res.end(body);
              end();
            }
            return;
          }
          if (api === 'chat' && n === 1) send(chatRoleChunk(ctx.chunk, usageSoFar(0)));
          send(
            api === 'chat'
              ? chatChunk(ctx.chunk, text, finish, usageSoFar(n))
              : completionChunk(ctx.chunk, text, finish, usageSoFar(n)),
          );
          if (finish !== null) {
            if (parsed.includeUsage) {
              send(usageChunk(api, ctx.chunk, usageOf(parsed.promptTokens, n), ctx.fingerprint));
            }
            res.end('data: [DONE]\n\n');
            end();
          }
        },
      },
    );

    const tearDown = (fault: FaultSpec, n: number) => {
      if (fault.kind === 'close-mid-stream') {
        handle?.abort('abort');
        end();
        res.destroy();
        return;
      }
      // error-event: the engine failed this request (finished_reason "error").
      handle?.abort('error');
      const message = `simulated engine failure after ${n} tokens`;
      if (parsed.stream) {
        send(errorBody(500, message, 'InternalServerError', null));
        res.end('data: [DONE]\n\n');
      } else {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(errorBody(500, message, 'InternalServerError', null));
      }
      end();
    };

    req.on('aborted', () => {
      if (!ended) {
        handle?.abort('abort');
        end();
      }
    });
  });
}
