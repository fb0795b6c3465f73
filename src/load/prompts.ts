/**
 * Prompts of an exact input length, unique per run so a warm prefix cache cannot serve them
 * (vllm#52884: +86% throughput from a warm cache).
 *
 * - Completions with a vocabulary size: a list of token ids, so the length is exact with no
 *   tokenizer at all. Ids come from [lowest, vocabSize); the low ids are skipped because
 *   vocabularies keep control and byte tokens there.
 * - Chat (or completions without a vocabulary): text made of common English words, each one
 *   token after a space in byte-level BPE vocabularies. With a local tokenizer.json the word
 *   list is filtered to words that really are one token and the count is checked; without one
 *   the length is an approximation and the server's usage.prompt_tokens is the figure recorded.
 *
 * Every request draws its words or ids from its own substream of (salt, seq).
 */

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inputError } from '../util/errors.ts';
import { type Rng, substream } from './rng.ts';
import type { Api, PromptOptions } from './types.ts';

export interface Prompt {
  /** Token ids for completions, text otherwise. */
  prompt: number[] | string;
  /** How `promptTokens` was established before the server answers. */
  source: 'planned' | 'tokenizer';
}

export interface PromptSource {
  promptFor(seq: number, promptTokens: number): Prompt;
}

/** Common words; most are single tokens after a space in GPT-2, Llama 3 and Qwen vocabularies. */
export const PROMPT_WORDS = (
  'time year people way day man thing woman life child world school state family student ' +
  'group country problem hand part place case week company system program question work ' +
  'government number night point home water room mother area money story fact month lot ' +
  'right study book eye job word business issue side kind head house service friend father ' +
  'power hour game line end member law car city community name president team minute idea ' +
  'kid body information back parent face others level office door health person art war ' +
  'history party result change morning reason research girl guy moment air teacher force ' +
  'education foot boy age policy music market sense nation plan college interest death ' +
  'experience effect use class control care field development role effort rate heart drug ' +
  'show leader light voice wife police mind price report decision son view relationship town ' +
  'road arm difference value building action model season society tax director position ' +
  'player record paper space ground form event official matter center couple site project ' +
  'activity star table need court oil situation cost industry figure street image phone data ' +
  'picture practice piece land product doctor wall patient worker news test movie north love ' +
  'support technology step baby computer type attention film tree source organization hair ' +
  'window evidence population site green river blue stone garden paper bridge'
).split(' ');

export async function createPromptSource(api: Api, options: PromptOptions): Promise<PromptSource> {
  if (!options.salt) throw inputError('prompt: salt must be a non-empty string');
  if (api === 'completions' && options.vocabSize !== null) {
    return tokenIdPrompts(options.vocabSize, options.salt);
  }
  if (options.tokenizerPath) {
    const counter = await loadTokenCounter(options.tokenizerPath);
    return wordPrompts(options.salt, counter, options.tokenizerPath);
  }
  return wordPrompts(options.salt, null, null);
}

function tokenIdPrompts(vocabSize: number, salt: string): PromptSource {
  if (!(Number.isInteger(vocabSize) && vocabSize >= 16)) {
    throw inputError(`prompt: vocabSize must be an integer ≥ 16, got ${vocabSize}`);
  }
  const lowest = Math.min(1000, Math.floor(vocabSize / 4));
  return {
    promptFor(seq, promptTokens) {
      const rng = substream(salt, `prompt/${seq}`);
      const ids = new Array<number>(promptTokens);
      for (let i = 0; i < promptTokens; i++) ids[i] = rng.int(lowest, vocabSize);
      return { prompt: ids, source: 'planned' };
    },
  };
}

type TokenCounter = (text: string) => number;

function wordPrompts(
  salt: string,
  counter: TokenCounter | null,
  path: string | null,
): PromptSource {
  const words = counter ? PROMPT_WORDS.filter((w) => counter(` ${w}`) === 1) : PROMPT_WORDS;
  if (words.length < 32) {
    throw inputError(
      `prompt: tokenizer ${path}: fewer than 32 of the built-in words are single tokens; ` +
        'this tokenizer is not a byte-level BPE one, so leave tokenizerPath unset',
    );
  }
  const compose = (rng: Rng, n: number) => {
    let text = '';
    for (let i = 0; i < n; i++) text += ` ${words[rng.int(0, words.length)]}`;
    return text;
  };
  // Words join without merging across the space only if the pre-tokenizer splits on it; check
  // once, and measure every prompt when it does not.
  const exactByConstruction =
    counter !== null && counter(compose(substream(salt, 'prompt/check'), 64)) === 64;

  return {
    promptFor(seq, promptTokens) {
      const rng = substream(salt, `prompt/${seq}`);
      let text = compose(rng, promptTokens);
      if (!counter) return { prompt: text, source: 'planned' };
      if (exactByConstruction) return { prompt: text, source: 'tokenizer' };
      // Slow path: trim or extend until the tokenizer agrees (a few rounds at most).
      for (let round = 0; round < 8; round++) {
        const diff = promptTokens - counter(text);
        if (diff === 0) return { prompt: text, source: 'tokenizer' };
        if (diff > 0) text += compose(rng, diff);
        else text = text.split(' ').slice(0, diff).join(' ');
      }
      return { prompt: text, source: 'planned' };
    },
  };
}

async function loadTokenCounter(path: string): Promise<TokenCounter> {
  const tokenizerJson = await readJson(path);
  const configPath = join(dirname(path), 'tokenizer_config.json');
  const config = await readJson(configPath).catch(() => ({}));
  const { Tokenizer } = await import('@huggingface/tokenizers');
  let tokenizer: InstanceType<typeof Tokenizer>;
  try {
    tokenizer = new Tokenizer(tokenizerJson as object, config as object);
  } catch (err) {
    throw inputError(`prompt: tokenizer ${path} could not be loaded; is it a tokenizer.json?`, err);
  }
  return (text) => tokenizer.encode(text, { add_special_tokens: false }).ids.length;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw inputError(`prompt: cannot read ${path}; check tokenizerPath`, err);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw inputError(`prompt: ${path} is not valid JSON`, err);
  }
}
