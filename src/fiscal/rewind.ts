// Reads what a restore would take out of the fiscal chain: the live
// database's records, closings and events beyond the last ones of the
// backup's database (both opened by the caller; the restore has the
// backup's copy staged). The words and the rules are in core/fiscal/rewind.ts.

import type Database from 'better-sqlite3-multiple-ciphers';
import type { FiscalRecipe } from '../core/fiscal/recipe.js';
import { planRewind, type ChainTail, type FiscalRewind } from '../core/fiscal/rewind.js';
import { tableExists } from './read.js';

const q = (name: string) => `"${name}"`;

function maxSeq(db: Database.Database, table: string, sequence: string): number {
  // A backup made before the app had its fiscal tables: every live row is beyond it.
  if (!tableExists(db, table)) return 0;
  return (
    (db
      .prepare(`SELECT coalesce(max(${q(sequence)}), 0) FROM ${q(table)}`)
      .pluck()
      .get() as number) ?? 0
  );
}

export function readRewind(
  live: Database.Database,
  backup: Database.Database,
  recipe: FiscalRecipe,
  touchesRecords: boolean,
): FiscalRewind | null {
  const r = recipe.records;
  // A live database without the fiscal tables has nothing to lose.
  if (!tableExists(live, r.table)) return null;
  const after = maxSeq(backup, r.table, r.sequence);
  const tail = live
    .prepare(
      `SELECT count(*) AS count, min(${q(r.sequence)}) AS fromSeq, max(${q(r.sequence)}) AS toSeq,
              min(${q(r.date)}) AS fromAt, max(${q(r.date)}) AS toAt, coalesce(sum(${q(r.amount)}), 0) AS total
       FROM ${q(r.table)} WHERE ${q(r.sequence)} > ?`,
    )
    .get(after) as ChainTail;
  const last = (spec: { table: string; sequence: string } | undefined) =>
    spec ? maxSeq(backup, spec.table, spec.sequence) : 0;
  const beyond = (spec: { table: string; sequence: string } | undefined) =>
    spec && tableExists(live, spec.table)
      ? (live
          .prepare(`SELECT count(*) FROM ${q(spec.table)} WHERE ${q(spec.sequence)} > ?`)
          .pluck()
          .get(last(spec)) as number)
      : 0;
  return planRewind({
    label: r.label,
    touchesRecords,
    liveAfterBackup: tail,
    closingsAfterBackup: beyond(recipe.closings),
    eventsAfterBackup: beyond(recipe.events),
    after: { records: after, closings: last(recipe.closings), events: last(recipe.events) },
  });
}
