// The content of a fiscal archive: one CSV per fiscal table for a closed
// period (chained records, their lines and payments, closings, technical
// events), a README describing every file and field, the audit report, and
// a header that names the period, the recipe (so the chains can be checked
// without Coffre's code), where each chain starts and ends, and the previous
// fiscal archive's fingerprint, which chains the archives.

import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import type { FiscalAudit } from '../core/fiscal/audit.js';
import type { RecordRef } from '../core/fiscal/chain.js';
import { csvLine } from '../core/fiscal/csv.js';
import { periodEnd, type Period } from '../core/fiscal/period.js';
import type { FiscalRecipe } from '../core/fiscal/recipe.js';
import type { EncryptionInfo } from '../core/manifest.js';

export const FISCAL_FORMAT = 'coffre-fiscal-archive';
export const FISCAL_FORMAT_VERSION = 1;
export const FISCAL_README = 'README.txt';
export const FISCAL_AUDIT = 'audit.json';
export const FISCAL_DATA_DIR = 'data/';

export interface ChainSpan {
  count: number;
  /** The previous hash of the period's first record: where this part of the chain hangs. */
  startsAfter: string | null;
  first: RecordRef | null;
  last: RecordRef | null;
}

export interface FiscalHeader {
  format: typeof FISCAL_FORMAT;
  formatVersion: number;
  id: string;
  createdAt: string;
  register: { id: string; name: string; publicKey: string; keyFingerprint: string };
  app: { profile: string; version: string | null };
  period: Period;
  recipe: FiscalRecipe;
  files: { name: string; table: string; role: Role; rows: number; columns: string[] }[];
  chains: { records: ChainSpan; closings: ChainSpan | null; events: ChainSpan | null };
  /** Sums of the period's records, in minor units. */
  totals: { count: number; total: number; vat: number | null };
  /** The fiscal archive before this one, which this one continues. */
  previous: { archive: string; sha256: string; recordsLast: RecordRef | null } | null;
  /**
   * Set on an archive of the records a restore took out of the chain: the
   * backup restored, and the last number of each chain that the backup
   * kept (the archive holds the live rows beyond them). Such an archive
   * stands beside the series of period archives, not in it.
   */
  rewind?: { backupId: string; after: { records: number; closings: number; events: number } };
  audit: { ok: boolean; findings: number };
  encryption: EncryptionInfo;
}

export type Role = 'records' | 'lines' | 'payments' | 'closings' | 'events';

const q = (name: string) => `"${name}"`;

function writeCsv(file: string, rows: IterableIterator<unknown[]>, columns: string[]): number {
  const fd = fs.openSync(file, 'wx', 0o644);
  let count = 0;
  try {
    let buffer = csvLine(columns);
    for (const row of rows) {
      buffer += csvLine(row);
      count++;
      if (buffer.length > 1 << 20) {
        fs.writeSync(fd, buffer);
        buffer = '';
      }
    }
    fs.writeSync(fd, buffer);
  } finally {
    fs.closeSync(fd);
  }
  return count;
}

function columnsOf(db: Database.Database, table: string): string[] {
  return db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];
}

/**
 * Which rows an archive holds: those dated in a period, or (for the records
 * a restore takes out of the chain) those numbered beyond a backup's last.
 */
export type Selection =
  | { by: 'date'; from: string; end: string }
  | { by: 'sequence'; after: { records: number; closings: number; events: number } };

type ChainRole = 'records' | 'closings' | 'events';

/** The SQL condition selecting a chained table's rows (as `alias`), and its parameters. */
function selects(
  selection: Selection,
  role: ChainRole,
  spec: { sequence: string; date: string },
  alias: string,
): { sql: string; params: (string | number)[] } {
  if (selection.by === 'date') {
    const c = `${alias}.${q(spec.date)}`;
    return { sql: `${c} >= ? AND ${c} < ?`, params: [selection.from, selection.end] };
  }
  return { sql: `${alias}.${q(spec.sequence)} > ?`, params: [selection.after[role]] };
}

function span(
  db: Database.Database,
  spec: {
    table: string;
    sequence: string;
    date: string;
    chain: { hashColumn: string; previousColumn: string };
  },
  selection: Selection,
  role: ChainRole,
): ChainSpan {
  const w = selects(selection, role, spec, 't');
  const where = `WHERE ${w.sql}`;
  const pick = (order: 'ASC' | 'DESC') =>
    db
      .prepare(
        `SELECT t.${q(spec.sequence)} AS seq, t.${q(spec.date)} AS at, t.${q(spec.chain.hashColumn)} AS hash, t.${q(spec.chain.previousColumn)} AS previous
         FROM ${q(spec.table)} t ${where} ORDER BY t.${q(spec.sequence)} ${order} LIMIT 1`,
      )
      .get(...w.params) as { seq: number; at: string; hash: string; previous: string } | undefined;
  const first = pick('ASC');
  const last = pick('DESC');
  const count = db
    .prepare(`SELECT count(*) FROM ${q(spec.table)} t ${where}`)
    .pluck()
    .get(...w.params) as number;
  return {
    count,
    startsAfter: first?.previous ?? null,
    first: first ? { seq: first.seq, at: first.at, hash: first.hash } : null,
    last: last ? { seq: last.seq, at: last.at, hash: last.hash } : null,
  };
}

/** Writes the period's CSV files into `dir`; returns what the header says of them. */
export function exportPeriod(
  db: Database.Database,
  recipe: FiscalRecipe,
  period: Period,
  dir: string,
): Pick<FiscalHeader, 'files' | 'chains' | 'totals'> {
  return exportRows(db, recipe, { by: 'date', from: period.from, end: periodEnd(period) }, dir);
}

/** Writes the selected rows' CSV files into `dir`; returns what the header says of them. */
export function exportRows(
  db: Database.Database,
  recipe: FiscalRecipe,
  selection: Selection,
  dir: string,
): Pick<FiscalHeader, 'files' | 'chains' | 'totals'> {
  const r = recipe.records;
  const files: FiscalHeader['files'] = [];
  const dump = (role: Role, table: string, sql: string, params: (string | number)[]) => {
    const columns = columnsOf(db, table);
    const name = `${FISCAL_DATA_DIR}${table}.csv`;
    fs.mkdirSync(path.join(dir, FISCAL_DATA_DIR), { recursive: true });
    const rows = db
      .prepare(sql)
      .raw()
      .iterate(...params) as IterableIterator<unknown[]>;
    files.push({ name, table, role, rows: writeCsv(path.join(dir, name), rows, columns), columns });
  };
  const inRecords = selects(selection, 'records', r, 'r');
  dump(
    'records',
    r.table,
    `SELECT * FROM ${q(r.table)} r WHERE ${inRecords.sql} ORDER BY r.${q(r.sequence)}`,
    inRecords.params,
  );
  if (r.lines) {
    const l = r.lines;
    dump(
      'lines',
      l.table,
      `SELECT l.* FROM ${q(l.table)} l JOIN ${q(r.table)} r ON l.${q(l.foreignKey)} = r.${q(r.key)}
       WHERE ${inRecords.sql} ORDER BY r.${q(r.sequence)}, l.${q(l.orderBy)}`,
      inRecords.params,
    );
  }
  if (r.payments) {
    const p = r.payments;
    dump(
      'payments',
      p.table,
      `SELECT p.* FROM ${q(p.table)} p JOIN ${q(r.table)} r ON p.${q(p.foreignKey)} = r.${q(r.key)}
       WHERE ${inRecords.sql} ORDER BY r.${q(r.sequence)}, p.rowid`,
      inRecords.params,
    );
  }
  const c = recipe.closings;
  if (c) {
    const w = selects(selection, 'closings', c, 'c');
    dump(
      'closings',
      c.table,
      `SELECT * FROM ${q(c.table)} c WHERE ${w.sql} ORDER BY c.${q(c.sequence)}`,
      w.params,
    );
  }
  const e = recipe.events;
  if (e) {
    const w = selects(selection, 'events', e, 'e');
    dump(
      'events',
      e.table,
      `SELECT * FROM ${q(e.table)} e WHERE ${w.sql} ORDER BY e.${q(e.sequence)}`,
      w.params,
    );
  }
  const totals = db
    .prepare(
      `SELECT count(*) AS count, coalesce(sum(${q(r.amount)}), 0) AS total, ${r.vat ? `coalesce(sum(${q(r.vat)}), 0)` : 'NULL'} AS vat
       FROM ${q(r.table)} r WHERE ${inRecords.sql}`,
    )
    .get(...inRecords.params) as FiscalHeader['totals'];
  return {
    files,
    chains: {
      records: span(db, r, selection, 'records'),
      closings: c ? span(db, c, selection, 'closings') : null,
      events: e ? span(db, e, selection, 'events') : null,
    },
    totals,
  };
}

const ROLE_WORDS: Record<Role, string> = {
  records: 'the chained sales records of the period, one line each, in sequence order',
  lines: 'the lines of those records, hashed inside their record',
  payments: 'how each record was paid',
  closings: 'the closings (day, month, year) made during the period, chained',
  events: 'the journal of technical events of the period, chained',
};

/** The README of a fiscal archive: what each file and field is, and how to check them by hand. */
export function fiscalReadme(header: FiscalHeader): string {
  const r = header.recipe.records;
  const money = (cents: number | null) => (cents === null ? '-' : (cents / 100).toFixed(2));
  const chainWords = (
    fields: readonly string[],
    join: FiscalRecipe['records']['chain']['join'],
    algorithm: string,
    encoding: string,
  ) =>
    `${algorithm.toUpperCase()} (${encoding}) of ${join === 'json' ? 'a JSON array (no spaces) of' : `the text of, joined by "${join.separator}",`} ${fields
      .map((f) =>
        f === '@previous'
          ? "the previous record's hash"
          : f === '@lines'
            ? 'its lines (each an array of the line fields below, in line order)'
            : f,
      )
      .join(', ')}`;
  const lines = [
    `FISCAL ARCHIVE ${header.id}`,
    '',
    `Register: ${header.register.name} (${header.register.id})`,
    `Register key fingerprint: ${header.register.keyFingerprint}`,
    `App: ${header.app.profile}${header.app.version ? ` ${header.app.version}` : ''}`,
    `Period: ${header.period.from} to ${header.period.to} (included)`,
    ...(header.rewind
      ? [
          `Kept before a restore: the restore of backup ${header.rewind.backupId} took these rows out of the`,
          `register's chains (the ${r.label[1]} numbered after #${header.rewind.after.records}, the closings after`,
          `#${header.rewind.after.closings}, the events after #${header.rewind.after.events}); this archive keeps them, apart from`,
          'the series of period archives.',
        ]
      : []),
    `Made: ${header.createdAt}`,
    `${r.label[1]}: ${header.totals.count}, total ${money(header.totals.total)}, of which VAT ${money(header.totals.vat)}`,
    header.previous
      ? `Previous fiscal archive: ${header.previous.archive}, SHA-256 ${header.previous.sha256}`
      : 'Previous fiscal archive: none (this is the first)',
    '',
    'Amounts are integers in cents. Dates are ISO 8601, as the register stored them.',
    'In the CSV files (RFC 4180), text is always between double quotes, numbers never are,',
    'and an empty unquoted field is an empty value (NULL).',
    '',
    'FILES',
    '',
  ];
  for (const f of header.files) {
    lines.push(`${f.name}: ${ROLE_WORDS[f.role]} (${f.rows} rows, table ${f.table}).`);
    lines.push(`  Columns: ${f.columns.join(', ')}.`);
  }
  lines.push(
    `${FISCAL_AUDIT}: Coffre's audit of the register's data when this archive was made.`,
    "coffre/header.json: this archive's description, including the recipe below as data.",
    "coffre/register.pub.pem: the register's public key (Ed25519).",
    'coffre/SHA256SUMS: the SHA-256 of every other file; coffre/SHA256SUMS.sig signs it.',
    '',
    'HOW THE RECORDS ARE CHAINED',
    '',
    `Each ${r.label[0]}'s ${r.chain.hashColumn} is the ${chainWords(r.chain.fields, r.chain.join, r.chain.algorithm, r.chain.encoding)}.`,
    `Its ${r.chain.previousColumn} is the ${r.chain.hashColumn} of the ${r.label[0]} before it (the first of all: "${r.chain.genesis}").`,
  );
  if (r.lines) lines.push(`Line fields: ${r.lines.fields.join(', ')}.`);
  const c = header.recipe.closings;
  if (c)
    lines.push(
      `Each closing's ${c.chain.hashColumn} is the ${chainWords(c.chain.fields, c.chain.join, c.chain.algorithm, c.chain.encoding)}.`,
    );
  const e = header.recipe.events;
  if (e)
    lines.push(
      `Each event's ${e.chain.hashColumn} is the ${chainWords(e.chain.fields, e.chain.join, e.chain.algorithm, e.chain.encoding)}.`,
    );
  lines.push(
    '',
    'CHECKING IT',
    '',
    '  sha256sum -c coffre/SHA256SUMS',
    '  openssl pkeyutl -verify -pubin -inkey coffre/register.pub.pem -rawin \\',
    '    -in coffre/SHA256SUMS -sigfile coffre/SHA256SUMS.sig',
    '  coffre fiscal verify ARCHIVE [--previous PREVIOUS-ARCHIVE]',
    '',
    'Coffre keeps and proves this data; it does not certify the register that made it.',
    '',
  );
  return lines.join('\n');
}

export function auditSummary(audit: FiscalAudit): FiscalHeader['audit'] {
  return { ok: audit.ok, findings: audit.findings.length };
}
