/**
 * A small RFC 4180 reader for the paper's CSV files: a header line, comma-separated fields,
 * optional double quotes ("" inside quotes is one quote), LF or CRLF line ends. Each record keeps
 * its 1-based line number so that errors can point at it.
 */

import { inputError } from '../util/errors.ts';

export interface CsvRecord {
  line: number;
  values: Record<string, string>;
}

export interface CsvTable {
  header: string[];
  records: CsvRecord[];
}

/** Splits the text into rows of fields, each with the line it started on. */
function splitRows(text: string, file: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;

  const endRow = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };

  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (quoted) throw inputError(`${file}:${rowLine}: a quoted field is never closed`);
  endRow();
  return rows;
}

/** Parses CSV text whose first row is the header; every row must have as many fields. */
export function parseCsv(text: string, file: string): CsvTable {
  const rows = splitRows(text.replace(/^\uFEFF/, ''), file);
  const first = rows.shift();
  if (!first) throw inputError(`${file}: the file is empty (expected a header line)`);
  const header = first.fields.map((name) => name.trim());

  const records = rows.map(({ line, fields }) => {
    if (fields.length !== header.length) {
      throw inputError(
        `${file}:${line}: ${fields.length} fields where the header has ${header.length}`,
      );
    }
    const values: Record<string, string> = {};
    header.forEach((name, index) => {
      values[name] = (fields[index] as string).trim();
    });
    return { line, values };
  });
  return { header, records };
}
