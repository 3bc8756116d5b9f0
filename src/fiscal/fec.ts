// Writes and checks FEC files: reads the ledger as the profile's FEC recipe
// says, formats it (core/fiscal/fec.ts), runs the validator on the result.

import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError } from '../core/errors.js';
import {
  checkFec,
  decodeLatin9,
  encodeFec,
  fecFileName,
  formatFec,
  type FecEncoding,
  type FecProblem,
  type FecRecipe,
  type FecSeparator,
  type LedgerLine,
} from '../core/fiscal/fec.js';

const q = (name: string) => `"${name}"`;

export function readLedger(db: Database.Database, recipe: FecRecipe, year: string): LedgerLine[] {
  const e = recipe.entries;
  const a = recipe.accounts;
  const rows = db
    .prepare(
      `SELECT e.${q(e.journal)} AS journal, e.${q(e.number)} AS number, e.${q(e.date)} AS date,
              e.${q(e.account)} AS account, coalesce(a.${q(a.label)}, e.${q(e.account)}) AS accountLabel,
              ${e.pieceRef ? `e.${q(e.pieceRef)}` : `e.${q(e.number)}`} AS pieceRef, e.${q(e.label)} AS label,
              e.${q(e.debit)} AS debit, e.${q(e.credit)} AS credit
       FROM ${q(e.table)} e LEFT JOIN ${q(a.table)} a ON a.${q(a.code)} = e.${q(e.account)}
       WHERE e.${q(e.date)} >= ? AND e.${q(e.date)} < ?
       ORDER BY e.${q(e.date)}, e.${q(e.number)}, e.rowid`,
    )
    .all(`${year}-01-01`, `${Number(year) + 1}-01-01`) as Record<string, unknown>[];
  return rows.map((r) => ({
    journal: String(r.journal as string),
    number: r.number as number,
    date: String(r.date as string),
    account: String(r.account as string),
    accountLabel: String(r.accountLabel as string),
    pieceRef: String(r.pieceRef as string),
    label: String(r.label as string),
    debit: Number(r.debit),
    credit: Number(r.credit),
  }));
}

export interface FecResult {
  file: string;
  lines: number;
  entries: number;
  encoding: FecEncoding;
  separator: FecSeparator;
  ok: boolean;
  problems: FecProblem[];
}

export function writeFec(
  db: Database.Database,
  recipe: FecRecipe,
  options: {
    year: string;
    siren: string;
    separator: FecSeparator;
    encoding: FecEncoding;
    dir: string;
  },
): FecResult {
  if (!/^\d{4}$/.test(options.year)) {
    throw new CoffreError('USAGE', `"${options.year}" is not a year: write it as 2026.`);
  }
  const name = fecFileName(options.siren, `${options.year}-12-31`);
  const file = path.resolve(options.dir, name);
  const text = formatFec(readLedger(db, recipe, options.year), recipe.journals, options.separator);
  const check = checkFec(text, { year: options.year });
  try {
    fs.writeFileSync(file, encodeFec(text, options.encoding), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CoffreError('USAGE', `${file} already exists; move it away first.`);
    }
    throw err;
  }
  return {
    file,
    lines: check.lines,
    entries: check.entries,
    encoding: options.encoding,
    separator: options.separator,
    ok: check.ok,
    problems: check.problems,
  };
}

/** Reads a FEC file (UTF-8 when it is valid UTF-8, else ISO-8859-15) and checks it. */
export function checkFecFile(
  file: string,
  options: { year?: string } = {},
): ReturnType<typeof checkFec> & { file: string } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new CoffreError(
      'USAGE',
      `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = decodeLatin9(bytes);
  }
  const year = options.year ?? /FEC(\d{4})\d{4}\.txt$/.exec(path.basename(file))?.[1];
  return { file: path.resolve(file), ...checkFec(text, year ? { year } : {}) };
}
