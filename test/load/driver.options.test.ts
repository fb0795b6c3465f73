import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveStep } from '../../src/load/driver.ts';
import { buildPlan } from '../../src/load/schedule.ts';
import type { RequestRecord, StepDriveOptions } from '../../src/load/types.ts';
import { completionChunk, listen, type Running, sse, usageChunk } from './servers.ts';

let server: Running;
const bodies: Array<Record<string, unknown>> = [];
const paths: string[] = [];
beforeAll(async () => {
  server = await listen((req, res, body) => {
    bodies.push(body);
    paths.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(sse(completionChunk(' x', 'length')) + sse(usageChunk(5, 1)) + sse('[DONE]'));
  });
});
afterAll(() => server.close());

function options(over: Partial<StepDriveOptions> = {}): StepDriveOptions {
  return {
    baseUrl: server.url,
    api: 'completions',
    model: 'served-name',
    plan: buildPlan({
      arrival: { kind: 'poisson' },
      rateRps: 200,
      warmupSeconds: 0.05,
      measureRequests: 40,
      promptLength: { kind: 'uniform', min: 3, max: 9 },
      outputLength: { kind: 'fixed', value: 7 },
      seed: 11,
      streamId: 'options',
    }),
    maxConcurrency: null,
    requestTimeoutMs: 2000,
    drainTimeoutMs: 2000,
    shape: {
      ignoreEos: true,
      pinOutputLength: true,
      continuousUsage: true,
      temperature: 0.5,
      extraBody: { top_k: 3 },
    },
    prompt: { vocabSize: 50, tokenizerPath: null, salt: 'opt' },
    apiKey: null,
    labels: { variant: 'v', stepIndex: 0, repeat: 0, rateRps: 200 },
    recordChunks: false,
    ...over,
  };
}

describe('driveStep options and requests', () => {
  it('sends the body vLLM expects, never before the planned time', async () => {
    bodies.length = 0;
    paths.length = 0;
    const records: RequestRecord[] = [];
    const o = options({ baseUrl: `${server.url}/v1/`, onRecord: (r) => records.push(r) });
    const summary = await driveStep(o);
    expect(summary.ok).toBe(o.plan.requests.length);
    expect(new Set(paths)).toEqual(new Set(['/v1/completions']));
    const body = bodies[0]!;
    expect(body).toMatchObject({
      model: 'served-name',
      max_tokens: 7,
      min_tokens: 7,
      ignore_eos: true,
      temperature: 0.5,
      top_k: 3,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
    // Prompt lengths follow the plan exactly; ids stay below the vocabulary of 50.
    const byPrompt = bodies.map((b) => (b.prompt as number[]).length).sort((a, b) => a - b);
    expect(byPrompt).toEqual(o.plan.requests.map((r) => r.promptTokens).sort((a, b) => a - b));
    expect(bodies.every((b) => (b.prompt as number[]).every((id) => id >= 12 && id < 50))).toBe(
      true,
    );
    // Open loop: a send is never early.
    for (const r of records) expect(r.sentAtMs!).toBeGreaterThanOrEqual(r.intendedAtMs);
    expect(records.every((r) => r.sendLagMs! >= 0 && r.capWaitMs === 0)).toBe(true);
  });

  it('chat requests carry one user message', async () => {
    bodies.length = 0;
    paths.length = 0;
    await driveStep(
      options({ api: 'chat', prompt: { vocabSize: null, tokenizerPath: null, salt: 'c' } }),
    );
    expect(paths[0]).toBe('/v1/chat/completions');
    const messages = bodies[0]!.messages as Array<{ role: string; content: string }>;
    expect(messages).toHaveLength(1);
    expect(messages[0]!.role).toBe('user');
  });

  it('an empty plan finishes at once', async () => {
    const plan = { requests: [], measureStartAtMs: 0, measureEndAtMs: 0 };
    const summary = await driveStep(options({ plan }));
    expect(summary).toMatchObject({ sent: 0, ok: 0, failed: 0, outputTokensInWindow: 0 });
  });

  it('a throwing onRecord stops the step and is rethrown', async () => {
    const error = new Error('disk full');
    await expect(
      driveStep(
        options({
          onRecord: () => {
            throw error;
          },
        }),
      ),
    ).rejects.toBe(error);
  });

  it('rejects bad options naming the field', async () => {
    await expect(driveStep(options({ baseUrl: 'localhost:8000' }))).rejects.toThrow(/baseUrl/);
    await expect(driveStep(options({ requestTimeoutMs: 0 }))).rejects.toThrow(/requestTimeoutMs/);
    await expect(driveStep(options({ maxConcurrency: 0 }))).rejects.toThrow(/maxConcurrency/);
    const plan = options().plan;
    const shuffled = { ...plan, requests: [...plan.requests].reverse() };
    await expect(driveStep(options({ plan: shuffled }))).rejects.toThrow(/plan\.requests\[1\]/);
  });
});
