// Reading an app's database the way its profile says: real rows (without the
// tombstoned ones), the schema version from the profile's query (else
// PRAGMA user_version), the app's version, whether it holds only what a
// fresh installation has, and the relations that dangle.

import type Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError } from '../core/errors.js';
import { relationOf, type Profile, type ProfileReading } from '../core/profiles.js';

export const quoteName = (name: string) => `"${name.replace(/"/g, '""')}"`;

function firstValue(db: Database.Database, sql: string): unknown {
  const row = db.prepare(sql).raw().get() as unknown[] | undefined;
  return row?.[0] ?? null;
}

/** Rows of a table that are not tombstoned (all rows when the profile declares no tombstone). */
export function countRealRows(
  db: Database.Database,
  table: string,
  tombstones: Record<string, string>,
  schema = 'main',
): number {
  const where = tombstones[table];
  const from = `${schema}.${quoteName(table)}`;
  if (where) {
    try {
      return firstValue(db, `SELECT count(*) FROM ${from} WHERE NOT (${where})`) as number;
    } catch {
      // A column the condition names is missing (an older schema): every row counts.
    }
  }
  return firstValue(db, `SELECT count(*) FROM ${from}`) as number;
}

/**
 * The schema version: the profile's query (0 when it finds nothing, e.g. a
 * database the app has not created yet), else PRAGMA user_version.
 */
export function readSchemaVersion(db: Database.Database, query: string | null): number {
  if (!query) return db.pragma('user_version', { simple: true }) as number;
  let value: unknown;
  try {
    value = firstValue(db, query);
  } catch (err) {
    if (/no such table/i.test((err as Error).message)) return 0;
    throw new CoffreError(
      'CONFIG_INVALID',
      `The profile's schema version query failed: ${(err as Error).message}.`,
      { cause: err, details: { query } },
    );
  }
  if (value === null) return 0;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new CoffreError(
      'CONFIG_INVALID',
      `The profile's schema version query gave ${JSON.stringify(value)}, not a whole number.`,
      { details: { query } },
    );
  }
  return n;
}

/** The app's version from the profile's query; null when it has none or finds nothing. */
export function readAppVersion(db: Database.Database, query: string | null): string | null {
  if (!query) return null;
  try {
    const value = firstValue(db, query) as string | number | bigint | null;
    return value === null || value === '' ? null : String(value);
  } catch {
    return null;
  }
}

/** The facts a profile adds to a database's plain facts. */
export function readProfileFacts(
  db: Database.Database,
  tables: readonly string[],
  reading: ProfileReading,
): { tables: Record<string, number>; schemaVersion: number; appVersion: string | null } {
  return {
    tables: Object.fromEntries(tables.map((t) => [t, countRealRows(db, t, reading.tombstones)])),
    schemaVersion: readSchemaVersion(db, reading.schemaVersionQuery),
    appVersion: readAppVersion(db, reading.appVersionQuery),
  };
}

/**
 * Rows beyond what a fresh installation holds, by table (real rows over the
 * profile's allowance; a table it does not name allows none), and by query.
 * Empty: a fresh installation.
 */
export function beyondFreshInstall(
  db: Database.Database,
  tables: readonly string[],
  profile: Pick<Profile, 'freshInstall' | 'tombstones' | 'caches'>,
): Record<string, number> {
  const allowed = profile.freshInstall?.rows ?? {};
  const out: Record<string, number> = {};
  for (const t of tables) {
    // A cache is rebuilt from the data: it is never data of its own.
    if (profile.caches.tables.includes(t)) continue;
    const n = countRealRows(db, t, profile.tombstones) - (allowed[t] ?? 0);
    if (n > 0) out[t] = n;
  }
  for (const [i, query] of (profile.freshInstall?.queries ?? []).entries()) {
    let n: number;
    try {
      n = Number(firstValue(db, query) ?? 0);
    } catch (err) {
      throw new CoffreError(
        'CONFIG_INVALID',
        `The profile's fresh-install query ${i + 1} failed: ${(err as Error).message}.`,
        { cause: err, details: { query } },
      );
    }
    if (n > 0) out[`query ${i + 1}`] = n;
  }
  return out;
}

export interface DanglingRelation {
  child: string;
  parent: string;
  rows: number;
}

/** SQL selecting the rowids of `child` rows whose parent is missing, in one schema. */
export function danglingSql(
  r: Profile['relations'][number],
  tombstones: Record<string, string>,
  schema: string,
): string {
  const { child, parent } = relationOf(r);
  const c = `${schema}.${quoteName(child.table)}`;
  const p = `${schema}.${quoteName(parent.table)}`;
  const tomb = tombstones[child.table];
  return `SELECT child_row.rowid AS rowid FROM ${c} AS child_row
    WHERE child_row.${quoteName(child.column)} IS NOT NULL${tomb ? ` AND NOT (${tomb})` : ''}
    AND NOT EXISTS (SELECT 1 FROM ${p} AS parent_row WHERE parent_row.${quoteName(parent.column)} = child_row.${quoteName(child.column)})`;
}

/** The profile's relations that dangle now (rows pointing to a missing parent); tables missing are skipped. */
export function danglingRelations(
  db: Database.Database,
  profile: Pick<Profile, 'relations' | 'tombstones'>,
  tables: readonly string[],
): DanglingRelation[] {
  const out: DanglingRelation[] = [];
  for (const r of profile.relations) {
    const { child, parent } = relationOf(r);
    if (!tables.includes(child.table) || !tables.includes(parent.table)) continue;
    const rows = firstValue(
      db,
      `SELECT count(*) FROM (${danglingSql(r, profile.tombstones, 'main')})`,
    ) as number;
    out.push({ child: r.child, parent: r.parent, rows });
  }
  return out;
}
