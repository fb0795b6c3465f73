/**
 * The simulator has no tokenizer. Text prompts are counted with a fixed, documented rule so a
 * load generator can build prompts of an exact length: every whitespace-separated word counts
 * one token per started 12 characters, so a common English word is one token, as in byte-level
 * BPE vocabularies. Token-id prompts count their ids exactly. Generated text is a deterministic
 * stream of short words, one word per token.
 */

const WORD = /\S+/g;
const CHARS_PER_TOKEN = 12;

/** Tokens of a text prompt under the simulator's rule. */
export function countTextTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(WORD))
    tokens += Math.ceil([...match[0]].length / CHARS_PER_TOKEN);
  return tokens;
}

/** Fixed overhead of the chat template: per message and for the assistant header. */
export const CHAT_TOKENS_PER_MESSAGE = 4;
export const CHAT_TOKENS_PRIMING = 3;

/** Tokens of a chat request: each message's content plus the template's framing. */
export function countChatTokens(messages: Array<{ content: string }>): number {
  let tokens = CHAT_TOKENS_PRIMING;
  for (const m of messages) tokens += CHAT_TOKENS_PER_MESSAGE + countTextTokens(m.content);
  return tokens;
}

/** A text prompt of exactly `tokens` tokens under `countTextTokens` (one short word each). */
export function textOfTokens(tokens: number, seed = 0): string {
  const words: string[] = [];
  for (let i = 0; i < tokens; i++) words.push(VOCABULARY[(seed + i * 7) % VOCABULARY.length]!);
  return words.join(' ');
}

const VOCABULARY = [
  'cost',
  'gpu',
  'hour',
  'load',
  'rate',
  'tok',
  'batch',
  'kv',
  'page',
  'step',
  'time',
  'the',
  'of',
  'and',
  'to',
  'a',
  'in',
  'is',
  'per',
  'run',
].map((w) => w.slice(0, 4));

/** The text of output token number `index` (1-based) of a request: a leading space and a word. */
export function outputTokenText(requestSeq: number, index: number): string {
  return ` ${VOCABULARY[(requestSeq * 31 + index * 17) % VOCABULARY.length]}`;
}
