/**
 * The parser's cold paths and value readers (`promText.ts` keeps its own copies of the character
 * classes for the hot loop): Go-style floats, escapes, metadata lines.
 */

const SPACE = 32;
const TAB = 9;
const CR = 13;
const QUOTE = 34;
const BACKSLASH = 92;

/** `[a-zA-Z_:]`: the first character of a metric name. */
function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** Go's ParseFloat spellings of the special values, as Prometheus prints and accepts them. */
const SPECIAL_VALUES: Record<string, number> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/**
 * Parses a float token as Go's ParseFloat would (decimal, exponent, `NaN`, `±Inf`), undefined
 * when it is not a number. JavaScript's `Number()` also takes `0x…`, `0b…` and `0o…`, which no
 * exporter prints; they are refused.
 */
export function parseFloatToken(token: string): number | undefined {
  if (token.length === 0) return undefined;
  const c = token.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 46 || c === 43 || c === 45) {
    const value = Number(token);
    if (!Number.isNaN(value)) {
      const second = token.length > 2 && c === 48 ? token.charCodeAt(1) | 32 : 0;
      return second === 120 || second === 98 || second === 111 ? undefined : value;
    }
  }
  return SPECIAL_VALUES[token.toLowerCase()];
}

/** True when the last non-blank line of `text` is `# EOF` (an OpenMetrics body). */
export function endsWithEof(text: string): boolean {
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== 10 && c !== CR && c !== SPACE && c !== TAB) break;
    end--;
  }
  return end >= 5 && text.startsWith('# EOF', end - 5) && (end === 5 || text[end - 6] === '\n');
}

/** HELP text escapes: `\\` and `\n`. */
function unescapeHelp(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '\\' && i + 1 < raw.length) {
      const next = raw[++i];
      out += next === 'n' ? '\n' : next;
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Reads an escaped label value starting after its opening quote; returns the value and the
 * index after the closing quote, or a string error. Escapes: `\\`, `\"`, `\n`.
 */
export function readEscapedValue(
  text: string,
  start: number,
  lineEnd: number,
): { value: string; end: number } | { error: string } {
  let out = '';
  let chunk = start;
  for (let i = start; i < lineEnd; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return { value: out + text.slice(chunk, i), end: i + 1 };
    if (c !== BACKSLASH) continue;
    const next = text.charCodeAt(i + 1);
    let replacement: string;
    if (next === BACKSLASH) replacement = '\\';
    else if (next === QUOTE) replacement = '"';
    else if (next === 110 /* n */) replacement = '\n';
    else return { error: `invalid escape '\\${i + 1 < lineEnd ? text[i + 1] : ''}'` };
    out += text.slice(chunk, i) + replacement;
    i++;
    chunk = i + 1;
  }
  return { error: 'unterminated value' };
}

export type MetaLine =
  | { kind: 'eof' }
  | { kind: 'comment' }
  | { kind: 'HELP' | 'TYPE' | 'UNIT'; name: string; text: string }
  | { kind: 'error'; error: string };

/** Reads a line starting with `#` at `start`: metadata, `# EOF`, or a plain comment. */
export function readMetaLine(text: string, start: number, lineEnd: number): MetaLine {
  let i = start + 1;
  while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
  let k = i;
  while (k < lineEnd && !isBlank(text.charCodeAt(k))) k++;
  const keyword = text.slice(i, k);
  if (keyword === 'EOF' && k === lineEnd) return { kind: 'eof' };
  if (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT') return { kind: 'comment' };

  i = k;
  while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
  const nameStart = i;
  if (i >= lineEnd || !isNameStart(text.charCodeAt(i))) {
    return { kind: 'error', error: `expected a metric name after '# ${keyword}'` };
  }
  while (i < lineEnd && isNameChar(text.charCodeAt(i))) i++;
  const name = text.slice(nameStart, i);
  if (i < lineEnd && !isBlank(text.charCodeAt(i))) {
    return { kind: 'error', error: `invalid character '${text[i]}' in metric name '${name}'` };
  }
  if (i < lineEnd) i++; // the one separator; HELP text keeps any further blanks
  const rest = text.slice(i, lineEnd);
  return { kind: keyword, name, text: keyword === 'HELP' ? unescapeHelp(rest) : rest };
}
