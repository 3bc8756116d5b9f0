// Pure: the CSV of fiscal archives (RFC 4180: comma, CRLF, double quotes).
// Text is always quoted and numbers never are, and a NULL is an empty
// unquoted field: a verifier rebuilds each row exactly as SQLite held it
// (the string "12" is not the number 12 to a JSON-hashed chain) and
// recomputes its hash. Blobs are written as quoted hex.

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Buffer.isBuffer(value)) return `"${value.toString('hex')}"`;
  if (typeof value === 'string') return `"${value.replace(/"/g, '""')}"`;
  return typeof value === 'number' || typeof value === 'bigint'
    ? String(value)
    : JSON.stringify(value);
}

export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

/** Parses CSV text into rows: quoted fields are text, others numbers, empty ones null. */
export function parseCsv(text: string): (string | number | null)[][] {
  const rows: (string | number | null)[][] = [];
  let row: (string | number | null)[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let value: string | number | null;
    if (text[i] === '"') {
      let j = i + 1;
      let out = '';
      for (;;) {
        const k = text.indexOf('"', j);
        if (k === -1) throw new Error('unterminated quoted field');
        out += text.slice(j, k);
        if (text[k + 1] === '"') {
          out += '"';
          j = k + 2;
        } else {
          i = k + 1;
          break;
        }
      }
      value = out;
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\r' && text[j] !== '\n') j++;
      value = j === i ? null : Number(text.slice(i, j));
      i = j;
    }
    row.push(value);
    if (text[i] === ',') {
      i++;
      if (i === n) row.push(null);
    } else {
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      rows.push(row);
      row = [];
    }
  }
  if (row.length > 0) rows.push(row);
  return rows;
}
