/**
 * Starting and stopping real vLLM servers beside the shared one: a start-up failure is reported
 * with the server's own words and leaves no process behind, and the float32 variant that the
 * scenario compares with bfloat16 starts, serves and stops cleanly.
 */

import { describe, expect, inject, it } from 'vitest';
import { groupMembers } from './helpers/processes.ts';
import { captureStream } from './helpers/streamCapture.ts';
import { SCRATCH_DIR, SERVED_MODEL } from './helpers/vllmEnv.ts';
import { startVllmServer, VllmStartError } from './helpers/vllmServer.ts';

const vllm = inject('vllm');
const ready = vllm.status === 'ready' ? vllm : null;

describe.skipIf(ready === null)('real vLLM (CPU build) — starting and stopping', () => {
  const shared = ready!;

  it('reports a server that exits during start-up, with its log, and leaves nothing', async () => {
    // 8192 > the model's max_position_embeddings (4096): vLLM refuses the configuration.
    const failure = await startVllmServer({
      install: shared.install,
      logPath: `${SCRATCH_DIR}/server-bad-max-model-len.log`,
      extraArgs: ['--max-model-len', '8192'],
    }).then(
      () => null,
      (err: unknown) => err,
    );

    expect(failure).toBeInstanceOf(VllmStartError);
    const error = failure as VllmStartError;
    expect(error.message).toMatch(/exited during start-up/);
    expect(error.message).toMatch(/max_model_len|max-model-len/);
    expect(groupMembers(error.pid)).toEqual([]);
  });

  it('starts the float32 variant, serves a request and stops without leftovers', async () => {
    const server = await startVllmServer({
      install: shared.install,
      logPath: `${SCRATCH_DIR}/server-float32.log`,
      extraArgs: ['--dtype', 'float32'],
    });
    try {
      const stream = await captureStream(server.baseUrl, '/v1/completions', {
        model: SERVED_MODEL,
        prompt: 'One more request, in single precision.',
        max_tokens: 8,
        ignore_eos: true,
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(stream.status).toBe(200);
      expect((stream.json.at(-1)!.usage as { completion_tokens: number }).completion_tokens).toBe(
        8,
      );
    } finally {
      const report = await server.stop();
      expect(report.forced).toBe(false);
      expect(report.exitCode).toBe(0);
      expect(report.leftovers).toEqual([]);
      expect(groupMembers(server.pid)).toEqual([]);
    }
  });
});
