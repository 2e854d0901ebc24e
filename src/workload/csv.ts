/**
 * A small RFC 4180 CSV reader (no dependency: the traces we read are plain comma-separated numbers and
 * timestamps, and we want line numbers in every error, which generic parsers do not all give).
 *
 * - Fields are separated by commas, records by LF or CRLF (a lone CR also ends a record).
 * - A field that starts with `"` is quoted: it runs to the next `"` not followed by another `"`; `""`
 *   inside it is one `"`; commas and line breaks inside are data. Text after the closing quote other than a
 *   separator is an error, as is a quote in the middle of an unquoted field, or an unclosed quote.
 * - Whitespace is kept as is (callers trim numbers themselves). A leading UTF-8 BOM is dropped.
 * - Blank lines (no characters at all) are skipped; they are common at the end of trace files.
 * Each record carries the 1-based line number it starts on, so errors can point at the file.
 */

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvError';
  }
}

export function parseCsv(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    // Skip blank lines.
    const c0 = text[i];
    if (c0 === '\n') {
      i++;
      line++;
      continue;
    }
    if (c0 === '\r') {
      i += text[i + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new CsvError(startLine, `unclosed quoted field (field ${fields.length + 1})`);
          const ch = text[i]!;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
          field += ch;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new CsvError(line, `unexpected character '${text[i]}' after the closing quote of field ${fields.length + 1}`);
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') throw new CsvError(line, `stray quote inside unquoted field ${fields.length + 1}`);
          i++;
        }
        field = text.slice(start, i);
      }
      fields.push(field);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      // End of record: consume the line break.
      if (i < n) {
        i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
      }
      break;
    }
    out.push({ line: startLine, fields });
  }
  return out;
}
