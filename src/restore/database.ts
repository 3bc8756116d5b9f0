// Restoring the database in ONE SQLite transaction on the live file: other
// connections (the app, a report) see the old data or the new, never a mix,
// and a crash at any point leaves the old data, which SQLite's own journal
// rolls back. Foreign keys and integrity are checked before the commit.

import type Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError } from '../core/errors.js';
import { openDatabase, userTables } from '../source/sqlite.js';
import type { Profile } from '../core/profiles.js';
import { danglingSql } from '../source/profile-queries.js';

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

function attach(db: Database.Database, staged: string, key: string | null): void {
  if (key) db.prepare('ATTACH DATABASE ? AS restored KEY ?').run(staged, key);
  else db.prepare('ATTACH DATABASE ? AS restored').run(staged);
}

function columns(db: Database.Database, schema: string, table: string): string {
  return (
    db.prepare(`PRAGMA ${schema}.table_info(${q(table)})`).all() as { name: string; type: string }[]
  )
    .map((c) => `${c.name}:${c.type}`)
    .join(',');
}

export interface ApplyOptions {
  /** Replace the whole database (schema included) rather than some tables. */
  full: boolean;
  tables: string[];
  key: string | null;
  /** Rows of each staged table (the backup's header), for progress. */
  rowCounts?: Record<string, number>;
  /** References the app keeps without foreign keys (its profile's): checked like them. */
  relations?: Profile['relations'];
  tombstones?: Record<string, string>;
}

/** Applies the staged database to the live one in one transaction; throws RESTORE_CONFLICT and changes nothing on a conflict. */
export function applyDatabase(
  live: string,
  staged: string,
  options: ApplyOptions,
  onRows?: (done: number, total: number) => void,
): void {
  const db = openDatabase(live, { key: options.key });
  try {
    // Checked explicitly below, on the whole result, before the commit.
    db.pragma('foreign_keys = OFF');
    attach(db, staged, options.key);
    // Only references this restore breaks count: an app that runs without
    // foreign keys may already have dangling rows, in its data or in the
    // backup. The common case has none at all and pays for one check; when
    // the result has some, the transaction is rolled back, the rows that
    // dangled before are noted, and the restore is tried once more.
    let before: Map<string, Violation> | null = null;
    for (;;) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const rows = rowCounter(
          options.rowCounts ?? {},
          options.full ? null : options.tables,
          onRows,
        );
        if (options.full) replaceAll(db, rows);
        else replaceTables(db, options.tables, rows);
        const after = violationKeys(db, 'main', options);
        if (after.size > 0 && before === null) {
          db.exec('ROLLBACK');
          before = violationKeys(db, 'main', options);
          continue;
        }
        const inBackup =
          after.size > 0 ? violationKeys(db, 'restored', options) : new Map<string, Violation>();
        const known = before ?? new Map<string, Violation>();
        const violations = [...after.entries()]
          .filter(([k]) => !known.has(k) && !inBackup.has(k))
          .map(([, v]) => v);
        if (violations.length > 0) throw conflict(violations);
        const check = db.pragma('main.integrity_check', { simple: true });
        if (check !== 'ok') {
          throw new CoffreError(
            'RESTORE_CONFLICT',
            `The restored database fails SQLite's integrity check: ${String(check)}.`,
          );
        }
        db.exec('COMMIT');
        return;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    }
  } finally {
    db.close();
  }
}

interface Violation {
  table: string;
  parent: string;
}

function conflict(violations: Violation[]): CoffreError {
  const counts = new Map<string, number>();
  for (const v of violations) {
    const k = `${v.table} -> ${v.parent}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const summary = [...counts].map(([k, n]) => {
    const [table, parent] = k.split(' -> ');
    return `${n} row(s) of ${table} would point to ${parent} rows that would no longer exist`;
  });
  return new CoffreError(
    'RESTORE_CONFLICT',
    `This restore would break references: ${summary.join('; ')}.`,
    {
      details: { violations: Object.fromEntries(counts) },
    },
  );
}

function violationKeys(
  db: Database.Database,
  schema: string,
  options: Pick<ApplyOptions, 'relations' | 'tombstones'>,
): Map<string, Violation> {
  const rows = db.prepare(`PRAGMA ${schema}.foreign_key_check`).all() as {
    table: string;
    rowid: number | null;
    parent: string;
    fkid: number;
  }[];
  const out = new Map<string, Violation>(
    rows.map((r) => [`${r.table}|${r.rowid}|${r.parent}|${r.fkid}`, r]),
  );
  const has = (t: string) =>
    db.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE type = 'table' AND name = ?`).get(t) !==
    undefined;
  // The app's undeclared relations, keyed apart from the foreign keys.
  for (const r of options.relations ?? []) {
    const [child] = r.child.split('.') as [string];
    const [parent] = r.parent.split('.') as [string];
    if (!has(child) || !has(parent)) continue;
    const ids = db
      .prepare(danglingSql(r, options.tombstones ?? {}, schema))
      .pluck()
      .all() as number[];
    for (const id of ids)
      out.set(`${child}|${id}|${r.child}>${r.parent}`, { table: child, parent });
  }
  return out;
}

/**
 * Counts the rows copied, for progress: each table adds its rows (as the
 * backup's header counted them) once it is copied.
 */
function rowCounter(
  counts: Record<string, number>,
  tables: string[] | null,
  onRows: ((done: number, total: number) => void) | undefined,
): (table: string) => void {
  if (!onRows) return () => undefined;
  const total = (tables ?? Object.keys(counts)).reduce((n, t) => n + (counts[t] ?? 0), 0);
  let done = 0;
  onRows(0, total);
  return (table) => {
    done += counts[table] ?? 0;
    onRows(Math.min(done, total), total);
  };
}

function replaceTables(
  db: Database.Database,
  tables: string[],
  copied: (table: string) => void,
): void {
  for (const table of tables) {
    const now = columns(db, 'main', table);
    const then = columns(db, 'restored', table);
    if (now !== then) {
      throw new CoffreError(
        'RESTORE_CONFLICT',
        `The table ${table} has changed shape since this backup (columns then: ${then || 'none'}; now: ${now || 'none'}). Restore the whole backup instead of some sections.`,
      );
    }
    db.exec(`DELETE FROM main.${q(table)}`);
    db.exec(`INSERT INTO main.${q(table)} SELECT * FROM restored.${q(table)}`);
    copied(table);
  }
}

function replaceAll(db: Database.Database, copied: (table: string) => void): void {
  const objects = db
    .prepare(
      "SELECT type, name FROM main.sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .all() as { type: string; name: string }[];
  const order = ['trigger', 'view', 'index', 'table'];
  for (const type of order) {
    for (const o of objects.filter((x) => x.type === type)) {
      if (
        type === 'index' &&
        db.prepare('SELECT sql FROM main.sqlite_master WHERE name = ?').pluck().get(o.name) === null
      )
        continue;
      db.exec(`DROP ${type.toUpperCase()} IF EXISTS main.${q(o.name)}`);
    }
  }
  const restored = db
    .prepare(
      "SELECT type, name, sql FROM restored.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
    )
    .all() as { type: string; name: string; sql: string }[];
  // CREATE statements run against main: they carry no schema name.
  for (const o of restored.filter((x) => x.type === 'table')) {
    db.exec(o.sql);
    db.exec(`INSERT INTO main.${q(o.name)} SELECT * FROM restored.${q(o.name)}`);
    copied(o.name);
  }
  const hasSequence = (schema: string) =>
    db.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE name = 'sqlite_sequence'`).get() !==
    undefined;
  if (hasSequence('main')) {
    db.exec('DELETE FROM main.sqlite_sequence');
    if (hasSequence('restored'))
      db.exec('INSERT INTO main.sqlite_sequence SELECT * FROM restored.sqlite_sequence');
  }
  for (const type of ['index', 'view', 'trigger']) {
    for (const o of restored.filter((x) => x.type === type)) db.exec(o.sql);
  }
  // The backup's own user_version (an app may keep its schema version elsewhere).
  db.pragma(
    `main.user_version = ${Math.trunc(db.pragma('restored.user_version', { simple: true }) as number)}`,
  );
}

/**
 * After a crash: whether the live tables already hold exactly the staged data
 * (the commit happened). Any doubt (a missing database, a table of another
 * shape, an error) answers no, which rolls the restore back.
 */
export function databaseMatches(
  live: string,
  staged: string,
  tables: string[],
  key: string | null,
): boolean {
  let db: Database.Database;
  try {
    db = openDatabase(live, { key, readonly: true });
  } catch {
    return false;
  }
  try {
    attach(db, staged, key);
    const liveTables = new Set(userTables(db));
    for (const table of tables) {
      if (!liveTables.has(table)) return false;
      if (columns(db, 'main', table) !== columns(db, 'restored', table)) return false;
      const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      if (
        n(`SELECT count(*) AS n FROM main.${q(table)}`) !==
        n(`SELECT count(*) AS n FROM restored.${q(table)}`)
      )
        return false;
      const differing = n(
        `SELECT count(*) AS n FROM (SELECT * FROM restored.${q(table)} EXCEPT SELECT * FROM main.${q(table)})`,
      );
      if (differing > 0) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    db.close();
  }
}
