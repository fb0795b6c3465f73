import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromptSource, PROMPT_WORDS } from '../../src/load/prompts.ts';

/** GPT-2's byte → printable character map, the alphabet of byte-level BPE vocabularies. */
function byteAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const out: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    out[b] = String.fromCharCode(printable.includes(b) ? b : 256 + extra++);
  }
  return out;
}

/**
 * A small byte-level BPE tokenizer.json in which " <word>" is one token for the first 40
 * built-in words (merges Ġ+t → Ġt, Ġt+i → Ġti, …) and every other byte stays one token.
 */
function tinyTokenizerJson(): object {
  const alphabet = byteAlphabet();
  const vocab: Record<string, number> = {};
  alphabet.forEach((ch, i) => {
    vocab[ch] = i;
  });
  const merges: string[] = [];
  for (const word of PROMPT_WORDS.slice(0, 40)) {
    let piece = 'Ġ';
    for (const ch of word) {
      merges.push(`${piece} ${ch}`);
      piece += ch;
      vocab[piece] ??= Object.keys(vocab).length;
    }
  }
  return {
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: {
      type: 'ByteLevel',
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

let dir: string;
let tokenizerPath: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tok-'));
  tokenizerPath = join(dir, 'tokenizer.json');
  await writeFile(tokenizerPath, JSON.stringify(tinyTokenizerJson()));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('prompts of an exact length', () => {
  it('completions: token ids of exactly the length, below the vocabulary, unique per salt and seq', async () => {
    const source = await createPromptSource('completions', {
      vocabSize: 5000,
      tokenizerPath: null,
      salt: 'run-a',
    });
    const p = source.promptFor(3, 700);
    expect(p.source).toBe('planned');
    const ids = p.prompt as number[];
    expect(ids).toHaveLength(700);
    // Lowest id min(1000, 5000/4) = 1000.
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...ids)).toBeLessThan(5000);
    expect(source.promptFor(3, 700).prompt).toEqual(ids);
    expect(source.promptFor(4, 700).prompt).not.toEqual(ids);
    const other = await createPromptSource('completions', {
      vocabSize: 5000,
      tokenizerPath: null,
      salt: 'run-b',
    });
    // Different runs share no 16-token prefix block, so a prefix cache cannot hit.
    expect((other.promptFor(3, 700).prompt as number[]).slice(0, 16)).not.toEqual(ids.slice(0, 16));
  });

  it('chat without a tokenizer: n words, an approximation', async () => {
    const source = await createPromptSource('chat', {
      vocabSize: null,
      tokenizerPath: null,
      salt: 's',
    });
    const p = source.promptFor(0, 50);
    expect(p.source).toBe('planned');
    expect((p.prompt as string).trim().split(' ')).toHaveLength(50);
  });

  it('chat with a local byte-level BPE tokenizer.json: exactly the length by that tokenizer', async () => {
    const source = await createPromptSource('chat', { vocabSize: null, tokenizerPath, salt: 's' });
    const reference = new Tokenizer(tinyTokenizerJson(), {});
    for (const n of [1, 7, 128, 1000]) {
      const p = source.promptFor(n, n);
      expect(p.source).toBe('tokenizer');
      expect(reference.encode(p.prompt as string, { add_special_tokens: false }).ids).toHaveLength(
        n,
      );
    }
  });

  it('a missing tokenizer file is named in the error', async () => {
    await expect(
      createPromptSource('chat', {
        vocabSize: null,
        tokenizerPath: join(dir, 'nope.json'),
        salt: 's',
      }),
    ).rejects.toThrow(/nope\.json/);
  });
});
