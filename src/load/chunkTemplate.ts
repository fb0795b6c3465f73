/**
 * Byte-level recognition of a content event whose shape the event reader has already learned
 * (openaiEvent.ts): a byte range that is exactly `data: <prefix><text><suffix>\n\n` — a whole
 * network chunk, or one event of several in a chunk. The driver then skips UTF-8 decoding, line
 * splitting, string comparison and the garbage they leave — a few native buffer calls instead,
 * which matters at ~250k events a second.
 *
 * It accepts a chunk only when the text in the middle can be nothing but the inside of a JSON
 * string: no quote (the first `"` after the prefix must be the suffix's), no raw line break,
 * and no trailing backslash. Anything else goes through the SSE parser and the event reader.
 */

const QUOTE = 34;
const LF = 10;
const CR = 13;
const BACKSLASH = 92;

export interface ChunkTemplate {
  version: number;
  /** Whether the chunk matched; `textBytes` is then the length of its text value. */
  match(chunk: Buffer): boolean;
  /** The same for the event occupying bytes[start, end), its blank line included. */
  matchRange(bytes: Buffer, start: number, end: number): boolean;
  textBytes: number;
}

export function chunkTemplate(prefix: string, suffix: string, version: number): ChunkTemplate {
  const head = Buffer.from(`data: ${prefix}`);
  const tail = Buffer.from(`${suffix}\n\n`);
  const headLength = head.length;
  const tailLength = tail.length;
  // The suffix must close the JSON string; otherwise nothing is matched by bytes.
  const closesString = tail[0] === QUOTE;
  const template: ChunkTemplate = {
    version,
    textBytes: 0,
    match(chunk: Buffer): boolean {
      return template.matchRange(chunk, 0, chunk.length);
    },
    matchRange(bytes: Buffer, start: number, end: number): boolean {
      const textStart = start + headLength;
      const textEnd = end - tailLength;
      if (!closesString || textEnd < textStart) return false;
      // The text is a few bytes: a plain loop beats native searches that would run on through
      // the rest of a many-event buffer.
      for (let i = textStart; i < textEnd; i++) {
        const b = bytes[i];
        if (b === QUOTE || b === LF || b === CR) return false;
      }
      if (textEnd > textStart && bytes[textEnd - 1] === BACKSLASH) return false;
      if (bytes.compare(head, 0, headLength, start, textStart) !== 0) return false;
      if (bytes.compare(tail, 0, tailLength, textEnd, end) !== 0) return false;
      template.textBytes = textEnd - textStart;
      return true;
    },
  };
  return template;
}
