// Reads an app's fiscal data as its recipe describes it: chained records in
// sequence order (streamed, constant memory), totals per day, closings. The
// checks that turn this into a verdict are pure (core/fiscal/audit.ts).

import type Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError } from '../core/errors.js';
import {
  checkArchiveAge,
  checkClosings,
  findGaps,
  assembleAudit,
  type ArchiveWarning,
  type Closing,
  type ClosingKind,
  type DayTotals,
  type FiscalAudit,
  type Gap,
} from '../core/fiscal/audit.js';
import {
  checkChain,
  joinReports,
  LINES,
  PREVIOUS,
  type ChainRecord,
  type ChainReport,
} from '../core/fiscal/chain.js';
import { chainFormat, type ChainRecipe, type FiscalRecipe } from '../core/fiscal/recipe.js';

const q = (name: string) => `"${name}"`;

/** A period of records: [from, to) as ISO text compared with the stored dates. */
export interface Range {
  from: string | null;
  to: string | null;
  /** Only the rows numbered after this one (an audit that goes on from a checkpoint). */
  afterSeq?: number;
}

export function tableExists(db: Database.Database, table: string): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) !==
    undefined
  );
}

export function requireTables(db: Database.Database, recipe: FiscalRecipe): void {
  const tables = [
    recipe.records.table,
    recipe.records.lines?.table,
    recipe.records.payments?.table,
    recipe.closings?.table,
    recipe.events?.table,
  ].filter((t): t is string => t !== undefined);
  const missing = tables.filter((t) => !tableExists(db, t));
  if (missing.length > 0) {
    throw new CoffreError(
      'SOURCE_UNAVAILABLE',
      `The database has no table ${missing.join(', ')}, which the fiscal recipe names.`,
      { details: { tables: missing } },
    );
  }
}

function where(
  column: string,
  range: Range,
  sequence?: string,
): { sql: string; params: (string | number)[] } {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  if (range.afterSeq !== undefined && sequence !== undefined) {
    parts.push(`${sequence} > ?`);
    params.push(range.afterSeq);
  }
  if (range.from !== null) {
    parts.push(`${column} >= ?`);
    params.push(range.from);
  }
  if (range.to !== null) {
    parts.push(`${column} < ?`);
    params.push(range.to);
  }
  return { sql: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** The columns a chain hashes, without the markers. */
function hashedColumns(chain: ChainRecipe): string[] {
  return chain.fields.filter((f) => f !== PREVIOUS && f !== LINES);
}

/**
 * One chained table in sequence order, each row with the columns its hash
 * covers (and, for records with lines, its lines).
 */
export function* readChain(
  db: Database.Database,
  spec: { table: string; sequence: string; date: string; chain: ChainRecipe; key?: string },
  lines?: { table: string; foreignKey: string; orderBy: string; fields: string[] },
  range: Range = { from: null, to: null },
): Generator<ChainRecord> {
  const key = spec.key ?? 'rowid';
  const columns = [
    ...new Set([
      spec.sequence,
      spec.date,
      spec.chain.hashColumn,
      spec.chain.previousColumn,
      ...hashedColumns(spec.chain),
    ]),
  ];
  const w = where(`r.${q(spec.date)}`, range, `r.${q(spec.sequence)}`);
  const withLines = lines !== undefined && spec.chain.fields.includes(LINES);
  const sql = withLines
    ? `SELECT r.${key === 'rowid' ? 'rowid' : q(key)}, ${columns.map((c) => `r.${q(c)}`).join(', ')}, ${lines.fields.map((f) => `l.${q(f)}`).join(', ')}, l.rowid IS NOT NULL
       FROM ${q(spec.table)} r LEFT JOIN ${q(lines.table)} l ON l.${q(lines.foreignKey)} = r.${q(key)}
       ${w.sql} ORDER BY r.${q(spec.sequence)}, r.rowid, l.${q(lines.orderBy)}`
    : `SELECT r.${key === 'rowid' ? 'rowid' : q(key)}, ${columns.map((c) => `r.${q(c)}`).join(', ')}
       FROM ${q(spec.table)} r ${w.sql} ORDER BY r.${q(spec.sequence)}, r.rowid`;
  const rows = db
    .prepare(sql)
    .raw()
    .iterate(...w.params) as IterableIterator<unknown[]>;
  const at = (name: string) => 1 + columns.indexOf(name);
  const toRecord = (r: unknown[], recordLines: unknown[][]): ChainRecord => {
    const row: Record<string, unknown> = {};
    for (const c of columns) row[c] = r[at(c)];
    return {
      seq: Number(r[at(spec.sequence)]),
      id: Number(r[0]),
      at: r[at(spec.date)] === null ? null : String(r[at(spec.date)]),
      row,
      lines: recordLines,
      previousHash: String(r[at(spec.chain.previousColumn)]),
      hash: String(r[at(spec.chain.hashColumn)]),
    };
  };
  if (!withLines) {
    for (const r of rows) yield toRecord(r, []);
    return;
  }
  const lineStart = 1 + columns.length;
  let current: unknown[] | undefined;
  let recordLines: unknown[][] = [];
  for (const r of rows) {
    if (current === undefined || r[0] !== current[0]) {
      if (current !== undefined) yield toRecord(current, recordLines);
      current = r;
      recordLines = [];
    }
    if (r[r.length - 1] === 1) recordLines.push(r.slice(lineStart, r.length - 1));
  }
  if (current !== undefined) yield toRecord(current, recordLines);
}

export function* readSequence(
  db: Database.Database,
  table: string,
  sequence: string,
  afterSeq?: number,
): Generator<number> {
  const after = afterSeq === undefined ? '' : `WHERE ${q(sequence)} > ?`;
  const rows = db
    .prepare(`SELECT ${q(sequence)} FROM ${q(table)} ${after} ORDER BY ${q(sequence)}`)
    .pluck()
    .iterate(...(afterSeq === undefined ? [] : [afterSeq])) as IterableIterator<number>;
  for (const n of rows) yield Number(n);
}

/** The records' totals per day (the first 10 characters of their date). */
export function readDayTotals(db: Database.Database, recipe: FiscalRecipe): DayTotals[] {
  const r = recipe.records;
  const day = `substr(r.${q(r.date)}, 1, 10)`;
  const days = new Map<string, DayTotals>();
  const rows = db
    .prepare(
      `SELECT ${day} AS day, count(*) AS count, coalesce(sum(r.${q(r.amount)}), 0) AS total,
              ${r.vat ? `coalesce(sum(r.${q(r.vat)}), 0)` : 'NULL'} AS vat
       FROM ${q(r.table)} r GROUP BY day ORDER BY day`,
    )
    .all() as { day: string; count: number; total: number; vat: number | null }[];
  const lines = r.lines;
  for (const row of rows) {
    days.set(row.day, {
      ...row,
      byVat: lines?.vatRate && lines.amount ? {} : null,
      byMethod: r.payments ? {} : null,
    });
  }
  if (lines?.vatRate && lines.amount) {
    const split = db
      .prepare(
        `SELECT ${day} AS day, l.${q(lines.vatRate)} AS k, sum(l.${q(lines.amount)}) AS v
         FROM ${q(lines.table)} l JOIN ${q(r.table)} r ON l.${q(lines.foreignKey)} = r.${q(r.key)}
         GROUP BY day, k`,
      )
      .all() as { day: string; k: unknown; v: number }[];
    for (const s of split) {
      const d = days.get(s.day);
      if (d?.byVat) d.byVat[String(s.k)] = s.v;
    }
  }
  const p = r.payments;
  if (p) {
    const split = db
      .prepare(
        `SELECT ${day} AS day, p.${q(p.method)} AS k, sum(p.${q(p.amount)}) AS v
         FROM ${q(p.table)} p JOIN ${q(r.table)} r ON p.${q(p.foreignKey)} = r.${q(r.key)}
         GROUP BY day, k`,
      )
      .all() as { day: string; k: unknown; v: number }[];
    for (const s of split) {
      const d = days.get(s.day);
      if (d?.byMethod) d.byMethod[String(s.k)] = s.v;
    }
  }
  return [...days.values()];
}

function parseSplit(value: unknown): Record<string, number> {
  try {
    const parsed = JSON.parse(String(value)) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, number>;
    }
  } catch {
    // Unreadable: compared as empty, so the closing is reported.
  }
  return {};
}

export function readClosings(db: Database.Database, recipe: FiscalRecipe): Closing[] {
  const c = recipe.closings;
  if (!c) return [];
  const rows = db.prepare(`SELECT * FROM ${q(c.table)} ORDER BY ${q(c.sequence)}`).all() as Record<
    string,
    unknown
  >[];
  return closingsFromRows(recipe, rows);
}

/**
 * Pure: the closings as the recipe maps their rows, from the live database or
 * from a fiscal archive's CSV. Rows of a kind the recipe does not name are left out.
 */
export function closingsFromRows(
  recipe: FiscalRecipe,
  rows: readonly Record<string, unknown>[],
): Closing[] {
  const c = recipe.closings;
  if (!c) return [];
  const kinds = new Map<unknown, ClosingKind>(
    c.kind
      ? [
          [c.kind.day, 'day'],
          [c.kind.month, 'month'],
          [c.kind.year, 'year'],
        ]
      : [],
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const out: Closing[] = [];
  for (const row of rows) {
    const kind = c.kind ? kinds.get(row[c.kind.column]) : 'day';
    if (kind === undefined) continue;
    out.push({
      seq: Number(row[c.sequence]),
      kind,
      period: String(row[c.period]),
      closedAt: String(row[c.date]),
      count: c.count ? num(row[c.count]) : null,
      total: Number(row[c.total]),
      vat: c.vat ? num(row[c.vat]) : null,
      byVat: c.byVat ? parseSplit(row[c.byVat]) : null,
      byMethod: c.byMethod ? parseSplit(row[c.byMethod]) : null,
      grandTotal: c.grandTotal ? num(row[c.grandTotal]) : null,
    });
  }
  return out;
}

export function oldestRecordDate(db: Database.Database, recipe: FiscalRecipe): string | null {
  const r = recipe.records;
  return (
    (db
      .prepare(`SELECT min(${q(r.date)}) FROM ${q(r.table)}`)
      .pluck()
      .get() as string | null) ?? null
  );
}

/**
 * Where a records audit stopped: the last record it read (number and hash),
 * its report of the chain and of the sequence up to there. An audit that
 * starts from it reads only the records after it.
 */
export interface RecordsCheckpoint {
  seq: number;
  hash: string;
  report: ChainReport;
  sequence: { gaps: Gap[]; missing: number; duplicates: number[] };
}

/** The checkpoint a finished audit leaves; null when the chain is empty. */
export function checkpointOf(audit: FiscalAudit): RecordsCheckpoint | null {
  const r = audit.records;
  if (r.last === null) return null;
  const { label: _label, gaps, missing, duplicates, ...report } = r;
  return { seq: r.last.seq, hash: r.last.hash, report, sequence: { gaps, missing, duplicates } };
}

/** Whether the checkpoint's last record is still there, unchanged (else the audit starts over). */
function stillHolds(db: Database.Database, recipe: FiscalRecipe, cp: RecordsCheckpoint): boolean {
  const r = recipe.records;
  const hash: unknown = db
    .prepare(
      `SELECT ${q(r.chain.hashColumn)} FROM ${q(r.table)} WHERE ${q(r.sequence)} = ? ORDER BY rowid DESC LIMIT 1`,
    )
    .pluck()
    .get(cp.seq);
  return typeof hash === 'string' && hash === cp.hash;
}

/**
 * Every check on one database. `archives` are what the service knows of the
 * fiscal archives. With `from`, the records chain and sequence are checked
 * only after that checkpoint (when its last record still holds): the chain
 * is append-only, and a change before it is for a full audit to find.
 */
export interface AuditInput {
  now: Date;
  source: string;
  archives: {
    last: string | null;
    warnings: ArchiveWarning[];
    everyMonths: number | null;
  } | null;
  from?: RecordsCheckpoint | null;
}

export function auditDatabase(
  db: Database.Database,
  recipe: FiscalRecipe,
  input: AuditInput,
): FiscalAudit {
  requireTables(db, recipe);
  const r = recipe.records;
  const from = input.from && stillHolds(db, recipe, input.from) ? input.from : null;
  let records: ChainReport;
  let gaps: ReturnType<typeof findGaps>;
  let hashed: number;
  if (from) {
    const added = checkChain(
      readChain(db, r, r.lines, { from: null, to: null, afterSeq: from.seq }),
      chainFormat(r.chain),
      { start: from.hash },
    );
    const more = findGaps(readSequence(db, r.table, r.sequence, from.seq), { first: from.seq + 1 });
    records = joinReports(from.report, added);
    gaps = {
      gaps: [...from.sequence.gaps, ...more.gaps].slice(0, 100),
      missing: from.sequence.missing + more.missing,
      duplicates: [...from.sequence.duplicates, ...more.duplicates].slice(0, 100),
    };
    hashed = added.count;
  } else {
    records = checkChain(readChain(db, r, r.lines), chainFormat(r.chain));
    gaps = findGaps(readSequence(db, r.table, r.sequence), { first: 1 });
    hashed = records.count;
  }
  const c = recipe.closings;
  const closings = c
    ? {
        ...checkChain(readChain(db, c), chainFormat(c.chain)),
        ...checkClosings(
          readDayTotals(db, recipe),
          readClosings(db, recipe),
          input.now.toISOString().slice(0, 10),
          c.kind ? ['day', 'month', 'year'] : ['day'],
        ),
      }
    : null;
  const e = recipe.events;
  const events = e ? checkChain(readChain(db, e), chainFormat(e.chain)) : null;
  const archives = input.archives
    ? {
        last: input.archives.last,
        warnings: [
          ...checkArchiveAge(
            input.archives.last,
            oldestRecordDate(db, recipe),
            input.now,
            input.archives.everyMonths,
          ),
          ...input.archives.warnings,
        ],
      }
    : null;
  return assembleAudit({
    checkedAt: input.now.toISOString(),
    source: input.source,
    records: { ...records, label: r.label[1], ...gaps },
    closings,
    events,
    archives,
    scope: { after: from ? from.seq : null, hashed },
  });
}
