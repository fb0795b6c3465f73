/**
 * Token counts computed outside the server, with Hugging Face `transformers` from the vLLM
 * environment reading the same tokenizer files: the reference that the server's `usage` and its
 * prompt-token counter must match.
 */

import { execFileSync } from 'node:child_process';
import type { VllmInstall } from './vllmEnv.ts';

export type CountRequest =
  | { prompt: string }
  | { messages: Array<{ role: string; content: string }> };

// A completion prompt is tokenised with the tokenizer's special tokens (BOS); a chat prompt is
// the rendered template tokenised without them, since the template writes BOS itself.
const COUNT_SCRIPT = `
import json, sys
from transformers import AutoTokenizer
model_dir, requests = sys.argv[1], json.load(sys.stdin)
tok = AutoTokenizer.from_pretrained(model_dir)
counts = []
for r in requests:
    if "prompt" in r:
        counts.append(len(tok(r["prompt"]).input_ids))
    else:
        text = tok.apply_chat_template(r["messages"], add_generation_prompt=True, tokenize=False)
        counts.append(len(tok(text, add_special_tokens=False).input_ids))
print(json.dumps(counts))
`;

export function referencePromptTokens(
  install: VllmInstall,
  modelDir: string,
  requests: CountRequest[],
): number[] {
  const out = execFileSync(install.python, ['-c', COUNT_SCRIPT, modelDir], {
    input: JSON.stringify(requests),
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' },
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as number[];
}
