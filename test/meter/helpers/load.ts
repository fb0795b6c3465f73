/**
 * Steady load for meter tests: a fixed number of workers, each sending one streaming completion
 * after another (closed loop) until stopped. The meter itself never sends these; the tests do,
 * so that there is something to meter.
 */

import { Agent, request } from 'undici';

export interface LoadHandle {
  /** Requests that finished with HTTP 200 and a complete stream. */
  completed(): number;
  failed(): number;
  stop(): Promise<void>;
}

export function startLoad(
  baseUrl: string,
  options: { model: string; concurrency: number; maxTokens: number; promptWords?: number },
): LoadHandle {
  const agent = new Agent({ connections: options.concurrency + 2 });
  const prompt = Array.from({ length: options.promptWords ?? 32 }, (_, i) => `w${i}`).join(' ');
  let running = true;
  let completed = 0;
  let failed = 0;

  const worker = async (index: number) => {
    // Staggered starts, so that the workers do not finish in lockstep.
    await new Promise((r) => setTimeout(r, index * 137));
    while (running) {
      try {
        const res = await request(`${baseUrl}/v1/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: options.model,
            prompt,
            max_tokens: options.maxTokens,
            ignore_eos: true,
            stream: true,
          }),
        });
        let text = '';
        for await (const chunk of res.body) text += String(chunk);
        if (res.statusCode === 200 && text.includes('[DONE]')) completed += 1;
        else failed += 1;
      } catch {
        failed += 1;
        // A restarting server refuses connections for a moment; do not spin.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const workers = Array.from({ length: options.concurrency }, (_, i) => worker(i));

  return {
    completed: () => completed,
    failed: () => failed,
    async stop() {
      running = false;
      await Promise.all(workers);
      await agent.close();
    },
  };
}
