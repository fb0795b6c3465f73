/**
 * Parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text.
 * https://prometheus.io/docs/instrumenting/exposition_formats/ and
 * https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md
 *
 * Strict about syntax (a malformed line throws `PromParseError` naming the line), tolerant about
 * order: samples of a family may come in any order, `_created` may be its own family (text) or
 * part of the parent (OpenMetrics), and samples with no `# TYPE` become untyped families.
 * One pass over the string with char codes and `indexOf`; no regular expressions, so the cost is
 * linear in the body length.
 */

import { CostMeterError } from '../util/errors.ts';
import type { ParsedMetrics, PromFamily, PromSample, PromType } from './types.ts';

/** A body that is not valid exposition text; `line` is 1-based. */
export class PromParseError extends CostMeterError {
  readonly line: number;

  constructor(what: string, line: number, source?: string) {
    super('E_PARSE', `${source ? `${source}, ` : ''}line ${line}: ${what}`);
    this.name = 'PromParseError';
    this.line = line;
  }
}

export interface ParseOptions {
  /** File name or URL, put in front of error messages. */
  source?: string;
  /** Forces the format; by default a body whose last line is `# EOF` is OpenMetrics. */
  format?: ParsedMetrics['format'];
}

const TYPES = new Set<string>([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'unknown',
  'info',
  'stateset',
  'gaugehistogram',
]);

/** Sample-name suffixes and the family types they may belong to. */
const SUFFIXES: Array<[string, PromType[]]> = [
  ['_bucket', ['histogram', 'gaugehistogram']],
  ['_count', ['histogram', 'summary']],
  ['_sum', ['histogram', 'summary']],
  ['_total', ['counter']],
  ['_created', ['counter', 'histogram', 'summary']],
  ['_gcount', ['gaugehistogram']],
  ['_gsum', ['gaugehistogram']],
  ['_info', ['info']],
];

const SPACE = 32;
const TAB = 9;
const HASH = 35;
const QUOTE = 34;
const BACKSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;
const COMMA = 44;
const EQUALS = 61;
const CR = 13;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

function isLabelStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isLabelChar(c: number): boolean {
  return isLabelStart(c) || (c >= 48 && c <= 57);
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

/** Parses a float token as Go's ParseFloat would; undefined when it is not a number. */
export function parseFloatToken(token: string): number | undefined {
  const n = token.length;
  if (n === 0) return undefined;
  let plain = true;
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i);
    // digits . + - e E
    if (!((c >= 48 && c <= 57) || c === 46 || c === 43 || c === 45 || c === 101 || c === 69)) {
      plain = false;
      break;
    }
  }
  if (plain) {
    const value = Number(token);
    return Number.isNaN(value) ? undefined : value;
  }
  return SPECIAL_VALUES[token.toLowerCase()];
}

function endsWithEof(text: string): boolean {
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== 10 && c !== CR && c !== SPACE && c !== TAB) break;
    end--;
  }
  return end >= 5 && text.startsWith('# EOF', end - 5) && (end === 5 || text[end - 6] === '\n');
}

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
 * Parses a whole exposition body. Throws `PromParseError` (code E_PARSE, with `line`) on the
 * first malformed line, on content after `# EOF`, and on an HTML page.
 */
export function parsePromText(text: string, options: ParseOptions = {}): ParsedMetrics {
  const source = options.source;
  const format = options.format ?? (endsWithEof(text) ? 'openmetrics' : 'prometheus');
  const families = new Map<string, PromFamily>();
  /** Families named by a HELP/TYPE/UNIT line, as opposed to ones made up for untyped samples. */
  const declared = new Set<string>();
  const typed = new Set<string>();
  const helped = new Set<string>();

  const bad = (what: string, line: number) => new PromParseError(what, line, source);

  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  let sawEof = false;
  let lastName = '';
  let lastFamily: PromFamily | undefined;

  const familyFor = (name: string): PromFamily => {
    const exact = families.get(name);
    if (exact && declared.has(name)) return exact;
    for (const [suffix, types] of SUFFIXES) {
      if (!name.endsWith(suffix)) continue;
      const base = name.slice(0, -suffix.length);
      const parent = families.get(base);
      if (parent && types.includes(parent.type)) return parent;
      // Text-format counters are declared with `_total`; their `_created` may lack its header.
      if (suffix === '_created') {
        const counter = families.get(`${base}_total`);
        if (counter && counter.type === 'counter') return counter;
      }
    }
    if (exact) return exact;
    const made: PromFamily = {
      name,
      type: format === 'openmetrics' ? 'unknown' : 'untyped',
      samples: [],
    };
    families.set(name, made);
    return made;
  };

  const declare = (name: string): PromFamily => {
    let family = families.get(name);
    if (!family) {
      family = { name, type: format === 'openmetrics' ? 'unknown' : 'untyped', samples: [] };
      families.set(name, family);
    }
    declared.add(name);
    lastFamily = undefined;
    return family;
  };

  const length = text.length;
  while (pos < length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = length;
    lineNo++;
    let lineEnd = end;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === CR) lineEnd--;
    const start = pos;
    pos = end + 1;

    let i = start;
    while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
    if (i === lineEnd) continue;
    if (sawEof) throw bad("content after '# EOF'", lineNo);
    const first = text.charCodeAt(i);

    if (first === HASH) {
      i++;
      while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
      let k = i;
      while (k < lineEnd && !isBlank(text.charCodeAt(k))) k++;
      const keyword = text.slice(i, k);
      if (keyword === 'EOF' && k === lineEnd) {
        sawEof = true;
        continue;
      }
      if (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT') continue; // a comment
      i = k;
      while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
      const nameStart = i;
      if (i >= lineEnd || !isNameStart(text.charCodeAt(i))) {
        throw bad(`expected a metric name after '# ${keyword}'`, lineNo);
      }
      while (i < lineEnd && isNameChar(text.charCodeAt(i))) i++;
      const name = text.slice(nameStart, i);
      if (i < lineEnd && !isBlank(text.charCodeAt(i))) {
        throw bad(`invalid character '${text[i]}' in metric name '${name}'`, lineNo);
      }
      if (i < lineEnd) i++; // the one separator; HELP text keeps further blanks
      const rest = text.slice(i, lineEnd);
      const family = declare(name);
      if (keyword === 'HELP') {
        if (helped.has(name)) throw bad(`second HELP line for '${name}'`, lineNo);
        helped.add(name);
        family.help = unescapeHelp(rest);
      } else if (keyword === 'TYPE') {
        const type = rest.trim();
        if (typed.has(name)) throw bad(`second TYPE line for '${name}'`, lineNo);
        if (!TYPES.has(type)) throw bad(`unknown metric type '${type}' for '${name}'`, lineNo);
        typed.add(name);
        family.type = type as PromType;
      } else {
        family.unit = rest.trim();
      }
      continue;
    }

    if (first === 60 /* < */) {
      throw bad('this is an HTML page, not Prometheus metrics text', lineNo);
    }

    // A sample: name [{labels}] value [timestamp] [# exemplar]
    const nameStart = i;
    if (!isNameStart(first)) {
      throw bad(`expected a metric name or '#', found '${text[i]}'`, lineNo);
    }
    let name: string;
    if (
      lastFamily !== undefined &&
      text.startsWith(lastName, nameStart) &&
      !isNameChar(text.charCodeAt(nameStart + lastName.length))
    ) {
      name = lastName;
      i = nameStart + lastName.length;
    } else {
      while (i < lineEnd && isNameChar(text.charCodeAt(i))) i++;
      name = text.slice(nameStart, i);
      lastName = name;
      lastFamily = undefined;
    }
    const afterName = i;
    while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;

    const labels: Record<string, string> = {};
    let separated = i > afterName;
    if (i < lineEnd && text.charCodeAt(i) === LBRACE) {
      i++;
      for (;;) {
        while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
        if (i >= lineEnd) throw bad(`unterminated label set of '${name}'`, lineNo);
        if (text.charCodeAt(i) === RBRACE) {
          i++;
          break;
        }
        const labelStart = i;
        if (!isLabelStart(text.charCodeAt(i))) {
          throw bad(`expected a label name in '${name}', found '${text[i]}'`, lineNo);
        }
        while (i < lineEnd && isLabelChar(text.charCodeAt(i))) i++;
        const labelName = text.slice(labelStart, i);
        while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
        if (text.charCodeAt(i) !== EQUALS) {
          throw bad(`expected '=' after label '${labelName}' of '${name}'`, lineNo);
        }
        i++;
        while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
        if (text.charCodeAt(i) !== QUOTE) {
          throw bad(`expected '"' to open the value of label '${labelName}' of '${name}'`, lineNo);
        }
        i++;
        const valueStart = i;
        let value: string | undefined;
        let escaped = '';
        let chunkStart = valueStart;
        for (;;) {
          if (i >= lineEnd) throw bad(`unterminated value of label '${labelName}'`, lineNo);
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            value =
              chunkStart === valueStart
                ? text.slice(valueStart, i)
                : escaped + text.slice(chunkStart, i);
            i++;
            break;
          }
          if (c === BACKSLASH) {
            const next = text.charCodeAt(i + 1);
            let replacement: string;
            if (next === BACKSLASH) replacement = '\\';
            else if (next === QUOTE) replacement = '"';
            else if (next === 110 /* n */) replacement = '\n';
            else {
              throw bad(`invalid escape '\\${text[i + 1] ?? ''}' in label '${labelName}'`, lineNo);
            }
            escaped += text.slice(chunkStart, i) + replacement;
            i += 2;
            chunkStart = i;
            continue;
          }
          i++;
        }
        if (Object.hasOwn(labels, labelName)) {
          throw bad(`label '${labelName}' appears twice in '${name}'`, lineNo);
        }
        if (labelName === '__proto__') {
          Object.defineProperty(labels, labelName, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          labels[labelName] = value;
        }
        while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
        const sep = text.charCodeAt(i);
        if (sep === COMMA) {
          i++;
        } else if (sep !== RBRACE) {
          throw bad(`expected ',' or '}' after label '${labelName}' of '${name}'`, lineNo);
        }
      }
      separated = isBlank(text.charCodeAt(i));
    }
    if (i >= lineEnd || !separated) {
      throw bad(
        i >= lineEnd ? `'${name}' has no value` : `unexpected '${text[i]}' after '${name}'`,
        lineNo,
      );
    }
    while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
    let k = i;
    while (k < lineEnd && !isBlank(text.charCodeAt(k))) k++;
    const valueToken = text.slice(i, k);
    const value = parseFloatToken(valueToken);
    if (value === undefined) {
      throw bad(`'${valueToken}' is not a number (value of '${name}')`, lineNo);
    }
    i = k;
    while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;

    const sample: PromSample = { name, labels, value };
    if (i < lineEnd && text.charCodeAt(i) !== HASH) {
      k = i;
      while (k < lineEnd && !isBlank(text.charCodeAt(k))) k++;
      const tsToken = text.slice(i, k);
      const ts = parseFloatToken(tsToken);
      if (ts === undefined || !Number.isFinite(ts)) {
        throw bad(`'${tsToken}' is not a timestamp (sample '${name}')`, lineNo);
      }
      if (format === 'prometheus' && !Number.isInteger(ts)) {
        throw bad(`timestamp '${tsToken}' must be whole milliseconds (sample '${name}')`, lineNo);
      }
      sample.timestampMs = format === 'openmetrics' ? ts * 1000 : ts;
      i = k;
      while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
    }
    if (i < lineEnd) {
      // Only an exemplar may follow: `# {labels} value [timestamp]`. It is ignored.
      if (text.charCodeAt(i) !== HASH)
        throw bad(`unexpected '${text[i]}' after the value of '${name}'`, lineNo);
      i++;
      while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) !== LBRACE) throw bad(`malformed exemplar after '${name}'`, lineNo);
    }

    if (lastFamily === undefined) lastFamily = familyFor(name);
    lastFamily.samples.push(sample);
  }

  return { format, families };
}
