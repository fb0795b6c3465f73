/**
 * Parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text.
 * https://prometheus.io/docs/instrumenting/exposition_formats/ and
 * https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md
 *
 * Strict about syntax (a malformed line throws `PromParseError` naming the line), tolerant about
 * order: samples of a family may come in any order, `_created` may be its own family (text) or
 * part of the parent (OpenMetrics), and samples with no `# TYPE` become untyped families.
 * One pass over the string with char codes and `indexOf`; no regular expressions, so the cost is
 * linear in the body length. The sample loop keeps its cursor in local variables: moving it into
 * an object's fields made parsing twice as slow.
 */

import { CostMeterError } from '../util/errors.ts';
import { FamilyTable } from './promFamilies.ts';
import { endsWithEof, parseFloatToken, readEscapedValue, readMetaLine } from './promScan.ts';
import type { ParsedMetrics, PromFamily, PromSample } from './types.ts';

export { parseFloatToken } from './promScan.ts';

// Character codes and classes are repeated here rather than imported: calls across modules
// were not inlined in the hot loop and halved the parse speed.
const SPACE = 32;
const TAB = 9;
const CR = 13;
const HASH = 35;
const QUOTE = 34;
const LBRACE = 123;
const RBRACE = 125;
const COMMA = 44;
const EQUALS = 61;
const LESS_THAN = 60;

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

/**
 * Parses a whole exposition body. Throws `PromParseError` (code E_PARSE, with `line`) on the
 * first malformed line, on content after `# EOF`, and on an HTML page.
 */
export function parsePromText(text: string, options: ParseOptions = {}): ParsedMetrics {
  const source = options.source;
  const format = options.format ?? (endsWithEof(text) ? 'openmetrics' : 'prometheus');
  const table = new FamilyTable(format);
  const bad = (what: string, line: number) => new PromParseError(what, line, source);

  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  let sawEof = false;
  /** The previous sample's name and family, reused while lines repeat the name. */
  let lastName = '';
  let lastFamily: PromFamily | undefined;
  /** Index of the next backslash at or after the cursor (-1: none left). */
  let nextBackslash = 0;
  /** Label names at each position of the previous label set, reused without slicing. */
  const labelNames: string[] = [];

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
      const meta = readMetaLine(text, i, lineEnd);
      if (meta.kind === 'eof') sawEof = true;
      else if (meta.kind === 'error') throw bad(meta.error, lineNo);
      else if (meta.kind !== 'comment') {
        const problem = table.meta(meta.kind, meta.name, meta.text);
        if (problem) throw bad(problem, lineNo);
        lastFamily = undefined;
      }
      continue;
    }

    if (first === LESS_THAN) {
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
      let position = 0;
      for (;;) {
        while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
        if (i >= lineEnd) throw bad(`unterminated label set of '${name}'`, lineNo);
        if (text.charCodeAt(i) === RBRACE) {
          i++;
          break;
        }
        const labelStart = i;
        // Label sets repeat line after line: reuse the name seen at this position last time.
        const known = labelNames[position];
        let labelName: string;
        if (
          known !== undefined &&
          text.startsWith(known, i) &&
          !isLabelChar(text.charCodeAt(i + known.length))
        ) {
          labelName = known;
          i += known.length;
        } else {
          if (!isLabelStart(text.charCodeAt(i))) {
            throw bad(`expected a label name in '${name}', found '${text[i]}'`, lineNo);
          }
          while (i < lineEnd && isLabelChar(text.charCodeAt(i))) i++;
          labelName = text.slice(labelStart, i);
          labelNames[position] = labelName;
        }
        position++;
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
        let value: string;
        // Fast path: the closing quote comes before any backslash, so nothing to unescape.
        const close = text.indexOf('"', i);
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = text.indexOf('\\', i);
        if (close !== -1 && close < lineEnd && (nextBackslash === -1 || nextBackslash > close)) {
          value = text.slice(i, close);
          i = close + 1;
        } else {
          const read = readEscapedValue(text, i, lineEnd);
          if ('error' in read) throw bad(`${read.error} of label '${labelName}'`, lineNo);
          value = read.value;
          i = read.end;
        }
        if (labels[labelName] !== undefined && Object.hasOwn(labels, labelName)) {
          throw bad(`label '${labelName}' appears twice in '${name}'`, lineNo);
        }
        if (labelName === '__proto__') {
          Object.defineProperty(labels, labelName, { value, enumerable: true, writable: true });
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

    if (lastFamily === undefined) lastFamily = table.familyFor(name);
    lastFamily.samples.push(sample);
  }

  return { format, families: table.families };
}
