// Pure: the FEC (fichier des écritures comptables) that a French company
// hands the tax office: its 18 columns in the legal order, the line format
// (dates AAAAMMJJ, amounts with a decimal comma, no separator or newline
// inside a field), the file name, ISO-8859-15 text, and a validator that
// checks a file: the columns, mandatory fields, dates inside the year,
// balanced entries and their order.

import { z } from 'zod';
import { CoffreError } from '../errors.js';

export const FEC_COLUMNS = [
  'JournalCode',
  'JournalLib',
  'EcritureNum',
  'EcritureDate',
  'CompteNum',
  'CompteLib',
  'CompAuxNum',
  'CompAuxLib',
  'PieceRef',
  'PieceDate',
  'EcritureLib',
  'Debit',
  'Credit',
  'EcritureLet',
  'DateLet',
  'ValidDate',
  'Montantdevise',
  'Idevise',
] as const;

const MANDATORY: readonly (typeof FEC_COLUMNS)[number][] = [
  'JournalCode',
  'JournalLib',
  'EcritureNum',
  'EcritureDate',
  'CompteNum',
  'CompteLib',
  'PieceRef',
  'PieceDate',
  'EcritureLib',
  'Debit',
  'Credit',
  'ValidDate',
];

export const SEPARATORS = { pipe: '|', tab: '\t' } as const;
export type FecSeparator = keyof typeof SEPARATORS;
export type FecEncoding = 'latin9' | 'utf8';

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a table or column name');

/** Which tables and columns of an accounting app feed its FEC. */
export const fecRecipeSchema = z
  .object({
    entries: z
      .object({
        table: identifier,
        number: identifier,
        journal: identifier,
        date: identifier,
        account: identifier,
        label: identifier,
        /** Integers in cents. */
        debit: identifier,
        credit: identifier,
        /** The document's reference; the entry number when none. */
        pieceRef: identifier.optional(),
      })
      .strict(),
    accounts: z.object({ table: identifier, code: identifier, label: identifier }).strict(),
    /** Journal code -> its name. */
    journals: z.record(z.string().min(1), z.string().min(1)),
  })
  .strict();

export type FecRecipe = z.infer<typeof fecRecipeSchema>;

/** One line of the ledger, as read from the app. */
export interface LedgerLine {
  journal: string;
  number: string | number;
  /** YYYY-MM-DD */
  date: string;
  account: string;
  accountLabel: string;
  pieceRef: string;
  label: string;
  debit: number;
  credit: number;
}

export function fecFileName(siren: string, closing: string): string {
  if (!/^\d{9}$/.test(siren)) {
    throw new CoffreError('USAGE', `"${siren}" is not a SIREN: nine digits, e.g. 123456789.`);
  }
  return `${siren}FEC${closing.replace(/-/g, '')}.txt`;
}

function yyyymmdd(day: string): string {
  return day.slice(0, 10).replace(/-/g, '');
}

function amount(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)},${String(abs % 100).padStart(2, '0')}`;
}

/** Text without the separator, newlines or surrounding spaces. */
function clean(text: string, separator: string): string {
  return text
    .split(separator)
    .join(' ')
    .replace(/[\r\n]+/g, ' ')
    .trim();
}

/** The FEC's text: a header line, then one line per ledger line, CRLF-terminated. */
export function formatFec(
  lines: readonly LedgerLine[],
  journals: Readonly<Record<string, string>>,
  separator: FecSeparator,
): string {
  const sep = SEPARATORS[separator];
  const out = [FEC_COLUMNS.join(sep)];
  for (const l of lines) {
    const date = yyyymmdd(l.date);
    out.push(
      [
        l.journal,
        journals[l.journal] ?? l.journal,
        String(l.number),
        date,
        l.account,
        l.accountLabel,
        '',
        '',
        l.pieceRef,
        date,
        l.label,
        amount(l.debit),
        amount(l.credit),
        '',
        '',
        date,
        '',
        '',
      ]
        .map((f) => clean(f, sep))
        .join(sep),
    );
  }
  return out.join('\r\n') + '\r\n';
}

// ISO-8859-15 is ISO-8859-1 with eight characters replaced (the euro sign among them).
const LATIN9: Record<string, number> = {
  '€': 0xa4,
  Š: 0xa6,
  š: 0xa8,
  Ž: 0xb4,
  ž: 0xb8,
  Œ: 0xbc,
  œ: 0xbd,
  Ÿ: 0xbe,
};
const LATIN9_BACK = new Map(Object.entries(LATIN9).map(([c, b]) => [b, c]));
const REPLACED = new Set([0xa4, 0xa6, 0xa8, 0xb4, 0xb8, 0xbc, 0xbd, 0xbe]);

/** Encodes text as ISO-8859-15; a character it lacks becomes "?". */
export function encodeLatin9(text: string): Buffer {
  const out = Buffer.alloc(text.length);
  let i = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out[i++] = LATIN9[ch] ?? (code < 0x100 && !REPLACED.has(code) ? code : 0x3f);
  }
  return out.subarray(0, i);
}

export function decodeLatin9(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) s += LATIN9_BACK.get(b) ?? String.fromCharCode(b);
  return s;
}

export function encodeFec(text: string, encoding: FecEncoding): Buffer {
  return encoding === 'utf8' ? Buffer.from(text, 'utf8') : encodeLatin9(text);
}

export interface FecProblem {
  /** 1-based line number in the file; 0 for the file as a whole. */
  line: number;
  code:
    | 'columns'
    | 'fields'
    | 'mandatory'
    | 'date'
    | 'amount'
    | 'year'
    | 'unbalanced'
    | 'order'
    | 'empty';
  message: string;
}

const AMOUNT = /^-?\d+(,\d{1,2})?$/;

function validDate(text: string): boolean {
  if (!/^\d{8}$/.test(text)) return false;
  const iso = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
}

function cents(text: string): number {
  const [units, decimals = ''] = text.replace('-', '').split(',');
  const value = Number(units) * 100 + Number(decimals.padEnd(2, '0'));
  return text.startsWith('-') ? -value : value;
}

/**
 * Checks a FEC's text. The separator is the header's (pipe or tab); `year`
 * (when known) bounds the entry dates; `limit` caps the problems kept.
 */
export function checkFec(
  text: string,
  options: { year?: string; limit?: number } = {},
): { ok: boolean; lines: number; entries: number; problems: FecProblem[] } {
  const limit = options.limit ?? 100;
  const problems: FecProblem[] = [];
  const add = (p: FecProblem) => {
    if (problems.length < limit) problems.push(p);
  };
  const rows = text.split(/\r?\n/);
  if (rows[rows.length - 1] === '') rows.pop();
  if (rows.length === 0) {
    return {
      ok: false,
      lines: 0,
      entries: 0,
      problems: [{ line: 0, code: 'empty', message: 'The file is empty.' }],
    };
  }
  const header = rows[0].replace(/^\uFEFF/, '');
  const sep = header.includes('\t') ? '\t' : '|';
  const names = header.split(sep);
  if (names.join('|') !== FEC_COLUMNS.join('|')) {
    add({
      line: 1,
      code: 'columns',
      message: `The header must be the 18 columns ${FEC_COLUMNS.join(sep === '\t' ? ', ' : '|')} in this order, separated by a pipe or a tab.`,
    });
    return { ok: false, lines: rows.length, entries: 0, problems };
  }
  const col = Object.fromEntries(FEC_COLUMNS.map((c, i) => [c, i])) as Record<
    (typeof FEC_COLUMNS)[number],
    number
  >;
  const balance = new Map<string, { debit: number; credit: number; line: number }>();
  const seen = new Set<string>();
  let current: string | null = null;
  let lastDate = '';
  for (let i = 1; i < rows.length; i++) {
    const line = i + 1;
    const f = rows[i].split(sep);
    if (f.length !== FEC_COLUMNS.length) {
      add({
        line,
        code: 'fields',
        message: `Line ${line} has ${f.length} fields instead of 18 (a separator inside a text?).`,
      });
      continue;
    }
    for (const name of MANDATORY) {
      if (f[col[name]].trim() === '')
        add({ line, code: 'mandatory', message: `Line ${line}: ${name} is empty.` });
    }
    for (const name of ['EcritureDate', 'PieceDate', 'ValidDate'] as const) {
      const v = f[col[name]];
      if (v !== '' && !validDate(v))
        add({
          line,
          code: 'date',
          message: `Line ${line}: ${name} "${v}" is not a date written AAAAMMJJ.`,
        });
    }
    const date = f[col.EcritureDate];
    if (options.year && validDate(date) && !date.startsWith(options.year)) {
      add({
        line,
        code: 'year',
        message: `Line ${line}: EcritureDate ${date} is outside the year ${options.year}.`,
      });
    }
    for (const name of ['Debit', 'Credit'] as const) {
      const v = f[col[name]];
      if (v !== '' && !AMOUNT.test(v))
        add({
          line,
          code: 'amount',
          message: `Line ${line}: ${name} "${v}" is not an amount with a decimal comma (1234,56).`,
        });
    }
    const key = `${f[col.JournalCode]} ${f[col.EcritureNum]}`;
    if (key !== current) {
      if (seen.has(key)) {
        add({
          line,
          code: 'order',
          message: `Line ${line}: entry ${f[col.EcritureNum]} continues after other entries; the lines of an entry follow each other.`,
        });
      }
      if (validDate(date) && date < lastDate) {
        add({
          line,
          code: 'order',
          message: `Line ${line}: entry ${f[col.EcritureNum]} (${date}) comes after an entry of ${lastDate}; entries go in date order.`,
        });
      }
      if (validDate(date) && date > lastDate) lastDate = date;
      current = key;
      seen.add(key);
    }
    const b = balance.get(key) ?? { debit: 0, credit: 0, line };
    if (AMOUNT.test(f[col.Debit])) b.debit += cents(f[col.Debit]);
    if (AMOUNT.test(f[col.Credit])) b.credit += cents(f[col.Credit]);
    balance.set(key, b);
  }
  for (const [key, b] of balance) {
    if (b.debit !== b.credit) {
      add({
        line: b.line,
        code: 'unbalanced',
        message: `Entry ${key.split(' ')[1]} (line ${b.line}) is not balanced: debit ${amount(b.debit)}, credit ${amount(b.credit)}.`,
      });
    }
  }
  return { ok: problems.length === 0, lines: rows.length, entries: balance.size, problems };
}
