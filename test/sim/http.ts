/** Small HTTP helpers for the simulator tests: POST JSON, read an SSE body into events. */

export async function postJson(
  url: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

/** Splits an event-stream body into its `data:` payloads (strings, `[DONE]` included). */
export function sseData(body: string): string[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      expect(block.startsWith('data: ')).toBe(true);
      return block.slice('data: '.length);
    });
}

/** Value of one sample of a /metrics body, matched by name and a label substring. */
export function sampleValue(text: string, name: string, labelPart = ''): number {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(name) &&
        (l[name.length] === '{' || l[name.length] === ' ') &&
        l.includes(labelPart),
    );
  if (!line) throw new Error(`no sample ${name} ${labelPart}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

import { expect } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
export type Json = any;

/** A response body as loosely typed JSON, for assertions on its fields. */
export const jsonOf = (res: Response): Promise<Json> => res.json() as Promise<Json>;
