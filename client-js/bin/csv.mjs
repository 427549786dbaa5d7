/** RFC 4180 CSV records exactly as the Rust `csv` crate 1.x reads them with its defaults (csv-core's state machine), for bin/resolve.mjs. */

/**
 * Splits `text` into records of fields, like `csv::ReaderBuilder::new()` (delimiter `,`, quote `"`,
 * doubled quotes, no escape character, no comments, terminator `\r`, `\n` or `\r\n`): empty lines
 * are skipped; a quote inside an unquoted field is kept as text; text after a closing quote joins
 * the field; a last record without terminator counts. No field is trimmed, no BOM is removed.
 * @param {string} text
 * @returns {{ fields: string[], line: number }[]} records with the line each starts on (1-based, counting `\n` as csv-core does)
 */
export function parseCsv(text) {
  const records = [];
  let fields = [];
  let field = '';
  let line = 1;
  let start = 1;
  let i = 0;
  const n = text.length;
  // States: 0 start of record, 1 start of field, 2 unquoted field, 3 quoted field, 4 quote seen in a quoted field.
  let st = 0;
  const endRecord = () => {
    fields.push(field);
    records.push({ fields, line: start });
    fields = [];
    field = '';
    st = 0;
  };
  while (i < n) {
    const c = text[i];
    const term = c === '\n' || c === '\r';
    if (st === 0) {
      if (term) {
        if (c === '\n') line++;
        i++;
        continue;
      }
      start = line;
      st = 1;
    }
    if (st === 1 && c === '"') {
      st = 3;
      i++;
      continue;
    }
    if (st === 3) {
      if (c === '"') st = 4;
      else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (st === 4 && c === '"') {
      field += '"';
      st = 3;
      i++;
      continue;
    }
    // Start of field, unquoted field, or after a closing quote: all end at a delimiter or terminator.
    if (c === ',') {
      fields.push(field);
      field = '';
      st = 1;
      i++;
    } else if (term) {
      const crlf = c === '\r' && text[i + 1] === '\n';
      if (c === '\n' || crlf) line++;
      i += crlf ? 2 : 1;
      endRecord();
    } else {
      field += c;
      st = 2;
      i++;
    }
  }
  if (st !== 0) endRecord();
  return records;
}
