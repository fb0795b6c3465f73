/**
 * Byte-level recognition of a content chunk whose shape the event reader has already learned
 * (openaiEvent.ts): one network chunk that is exactly `data: <prefix><text><suffix>\n\n`. The
 * driver then skips UTF-8 decoding, line splitting and string comparison — three native
 * buffer calls instead, which matters at ~250k chunks a second.
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
  textBytes: number;
}

export function chunkTemplate(prefix: string, suffix: string, version: number): ChunkTemplate {
  const head = Buffer.from(`data: ${prefix}`);
  const tail = Buffer.from(`${suffix}\n\n`);
  const headLength = head.length;
  const tailLength = tail.length;
  const template: ChunkTemplate = {
    version,
    textBytes: 0,
    match(chunk: Buffer): boolean {
      const n = chunk.length;
      const textEnd = n - tailLength;
      if (textEnd < headLength) return false;
      if (chunk.indexOf(QUOTE, headLength) !== textEnd) return false;
      if (textEnd > headLength && chunk[textEnd - 1] === BACKSLASH) return false;
      if (chunk.indexOf(LF, headLength) !== n - 2 || chunk.indexOf(CR, headLength) !== -1) {
        return false;
      }
      if (chunk.compare(head, 0, headLength, 0, headLength) !== 0) return false;
      if (chunk.compare(tail, 0, tailLength, textEnd, n) !== 0) return false;
      template.textBytes = textEnd - headLength;
      return true;
    },
  };
  return template;
}
