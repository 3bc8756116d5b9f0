// A full restore by pages: SQLite's online backup API copies the staged
// database into the live one, as the sqlite3 program's `.restore` does. The
// copy is one write transaction on the live file (SQLite's own journal or WAL
// makes it atomic: other connections see the old data or the new, and a
// crash leaves the old), and it writes pages, not rows, so no index is
// rebuilt. The checks that a row copy ran inside its transaction run on the
// staged copy instead, in worker threads, while the safety backup is taken:
// a page copy makes the live database exactly the staged one.

import os from 'node:os';
import type Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError } from '../core/errors.js';
import { quoteName } from '../source/profile-queries.js';
import { damageReported, integrityOf, openDatabase } from '../source/sqlite.js';
import { callWorker } from '../source/worker.js';

export interface StagedCheck {
  /** integrity_check's answer: 'ok', or what it found. */
  integrity: string;
}

/** Workers that share the checks of one database (and at most one per core). */
const CHECK_WORKERS = 2;

/**
 * The parts of integrity_check that workers can share: quick_check of the
 * whole file (null here: the structure of every b-tree, CHECK and NOT NULL
 * constraints, and every page used exactly once) and integrity_check of each
 * table (its b-trees again, and its rows against its indexes and UNIQUE
 * constraints), which skips the page accounting. Together they check all
 * that integrity_check does. The largest table comes first (its largest
 * rowid times its b-trees), quick_check second: the workers claim parts in
 * this order, so the longest part does not start last.
 */
export function checkParts(db: Database.Database): (string | null)[] {
  // From the parsed schema: a schema row whose type reads 'Table' is a table
  // to SQLite, and must be one here too.
  const tables = (
    db.prepare("SELECT name, type FROM pragma_table_list WHERE schema = 'main'").all() as {
      name: string;
      type: string;
    }[]
  ).filter((t) => t.type !== 'view');
  const indexes = new Map(
    (
      db
        .prepare(
          "SELECT tbl_name AS t, count(*) AS n FROM sqlite_schema WHERE type = 'index' GROUP BY tbl_name",
        )
        .all() as { t: string; n: number }[]
    ).map((r) => [r.t, r.n]),
  );
  const size = (t: { name: string; type: string }): number => {
    // A virtual table's max(rowid) may scan it; a WITHOUT ROWID table has none.
    if (t.type === 'virtual') return 0;
    try {
      const top = db
        .prepare(`SELECT max(rowid) FROM ${quoteName(t.name)}`)
        .pluck()
        .get();
      return (Number(top) || 0) * (1 + (indexes.get(t.name) ?? 0));
    } catch {
      return 0;
    }
  };
  const ordered = tables
    .map((t) => ({ name: t.name, size: size(t) }))
    .sort((a, b) => b.size - a.size)
    .map((t) => t.name);
  return [...ordered.slice(0, 1), null, ...ordered.slice(1)];
}

/**
 * Checks the staged database (run in a worker). Opened read-only, SQLite's
 * integrity_check skips CHECK constraints; `writable` (a scratch copy of
 * Coffre's own, such as a backup's snapshot) checks them too. With `claim`
 * (a counter that workers share), this worker runs the parts of the check
 * (checkParts) it claims, until none is left; without, integrity_check whole.
 */
export function checkStagedHere(
  staged: string,
  key: string | null,
  writable = false,
  claim?: Int32Array,
): StagedCheck {
  try {
    const db = openDatabase(staged, { key, readonly: !writable });
    try {
      // No foreign_key_check: its rule refuses only the dangling references a
      // restore creates, and a page copy creates none beyond the backup's own.
      if (!claim) return { integrity: integrityOf(db) };
      const parts = checkParts(db);
      const answers: string[] = [];
      for (let i = Atomics.add(claim, 0, 1); i < parts.length; i = Atomics.add(claim, 0, 1)) {
        const part = parts[i];
        answers.push(
          integrityOf(
            db,
            part === null ? 'PRAGMA quick_check' : `PRAGMA integrity_check(${quoteName(part)})`,
          ),
        );
      }
      return merged(answers);
    } finally {
      db.close();
    }
  } catch (err) {
    const damage = damageReported(err);
    if (damage !== null) return { integrity: damage };
    throw err;
  }
}

/** The checks of a staged database, running in worker threads. */
export interface RunningCheck {
  /** Already marked handled: await it where the answer is needed. */
  readonly result: Promise<StagedCheck>;
  /** Stops the workers (the restore was cancelled or failed); `result` then rejects. */
  stop(): Promise<void>;
}

/**
 * Starts the checks of the staged database (`writable`: see checkStagedHere)
 * in `workers` worker threads (default: one per core, up to two) sharing its
 * parts; what any of them found is the answer. More than one pays where the
 * check runs alone (8.5 s to 6.1 s for the bench's register); where it
 * overlaps other work, a second worker takes a core from that work.
 */
export function checkStaged(
  staged: string,
  key: string | null,
  writable = false,
  workers = Math.min(CHECK_WORKERS, os.availableParallelism()),
): RunningCheck {
  const claim = workers > 1 ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
  const calls = Array.from({ length: Math.max(1, workers) }, () =>
    callWorker<StagedCheck>(
      new URL('./check-worker.js', import.meta.url),
      { staged, key, writable, claim },
      'check worker',
    ),
  );
  const stop = async () => {
    await Promise.all(calls.map((c) => c.stop()));
  };
  const result = Promise.all(calls.map((c) => c.result)).then(
    (answers) => merged(answers.map((a) => a.integrity)),
    async (err: unknown) => {
      // One worker failed: the others stop too.
      await stop();
      throw err;
    },
  );
  result.catch(() => undefined);
  return { result, stop };
}

/** Parts' answers as one: 'ok' when each is, else what they found. */
function merged(answers: string[]): StagedCheck {
  const found = answers.filter((a) => a !== 'ok');
  return { integrity: found.length > 0 ? found.join('; ') : 'ok' };
}

/** Throws RESTORE_CONFLICT when the staged database fails SQLite's integrity check. */
export function assertIntact(check: StagedCheck): void {
  if (check.integrity !== 'ok') {
    throw new CoffreError(
      'RESTORE_CONFLICT',
      `The restored database fails SQLite's integrity check: ${check.integrity}.`,
    );
  }
}

/**
 * Whether the backup API can write the staged database into the live one:
 * both plain (SQLCipher pages are keyed to their file), and, for a live
 * database in WAL mode, the same page size (SQLite cannot change the page size
 * of a WAL database), and a staged database of at least one page (see
 * copyPages). Otherwise the rows are copied.
 */
export function canCopyPages(live: string, staged: string, key: string | null): boolean {
  if (key) return false;
  try {
    const a = openDatabase(live, { readonly: true });
    const b = openDatabase(staged, { readonly: true });
    try {
      const wal = a.pragma('journal_mode', { simple: true }) === 'wal';
      return (
        (b.pragma('page_count', { simple: true }) as number) > 0 &&
        (!wal ||
          a.pragma('page_size', { simple: true }) === b.pragma('page_size', { simple: true }))
      );
    } finally {
      a.close();
      b.close();
    }
  } catch {
    return false;
  }
}

/** Pages copied per step: 16 MiB of 4 KiB pages, for progress and time to yield. */
const STEP_PAGES = 4096;

/** How long one wait for the gate blocks the thread (it then lets the event loop run). */
const GATE_POLL_MS = 20;

/** Pause between two tries to lock the live database for the copy. */
const LOCK_POLL_MS = 5;

export interface CopyOptions {
  onProgress?: (done: number, total: number) => void;
  /** How long to wait for another connection's write lock (default 10 s). */
  busyMs?: number;
  /** Pages per step (default 4096); tests take small steps to stop a copy midway. */
  stepPages?: number;
  /**
   * The commit waits for this: every page but the last is copied, inside the
   * write transaction, then the copy waits; a rejection rolls it back, having
   * changed nothing. So the checks of the staged copy overlap the copy itself.
   */
  gate?: Promise<unknown>;
  /** Called about every 20 ms while the copy waits for the gate. */
  onWaiting?: () => void;
}

/**
 * Copies the staged database into the live one, page by page, in one write
 * transaction of the live file. Waits up to `busyMs` for another connection
 * that holds the database's write lock (or, in rollback-journal mode, any
 * lock), then gives up, having changed nothing.
 *
 * The backup's own connection to the live file has no busy timeout, and when
 * its first step cannot lock the live file (SQLITE_BUSY), SQLite reports no
 * pages left to copy (it counts them only once it holds the lock), which
 * better-sqlite3 takes for the end of the copy: its promise resolves, nothing
 * copied. So a copy whose progress callback never ran did not start: it is
 * tried again until it does, or `busyMs` has passed. Once the first step holds
 * the lock, the copy keeps it to its commit.
 */
export async function copyPages(
  live: string,
  staged: string,
  { onProgress, busyMs = 10_000, stepPages = STEP_PAGES, gate, onWaiting }: CopyOptions = {},
): Promise<void> {
  let open = gate === undefined;
  let refused = null as Error | null; // set by the gate, at any await
  gate?.then(
    () => (open = true),
    (err: unknown) =>
      (refused = err instanceof Error ? err : new Error(`The copy was refused: ${String(err)}.`)),
  );
  const locked = () =>
    new CoffreError(
      'RESTORE_CONFLICT',
      `Another program kept the app's database ${live} locked for ${Math.round(busyMs / 1000)} s; nothing was changed. Close the app (or set a command that stops it: coffre hooks set before-restore "...") and run the restore again.`,
    );
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const source = openDatabase(staged, { readonly: true });
  try {
    const pageSize = source.pragma('page_size', { simple: true }) as number;
    // A copy of no pages would also end without its callback running.
    if ((source.pragma('page_count', { simple: true }) as number) === 0) {
      throw new Error(`The staged database ${staged} is empty: there are no pages to copy.`);
    }
    const lockSince = Date.now();
    for (let started = false as boolean; !started;) {
      if (refused) throw refused;
      let lastRemaining = -1;
      let stuckSince = Date.now();
      await source.backup(live, {
        progress: ({ totalPages, remainingPages }) => {
          started = true;
          // Thrown here, the copy is abandoned and its transaction rolled back.
          if (refused) throw refused;
          const now = Date.now();
          if (remainingPages !== lastRemaining) {
            lastRemaining = remainingPages;
            stuckSince = now;
          } else if (now - stuckSince > busyMs) {
            throw locked();
          }
          onProgress?.((totalPages - remainingPages) * pageSize, totalPages * pageSize);
          if (!open && remainingPages <= stepPages) {
            // The next step would copy the rest and commit: hold the last page
            // back until the gate opens. The event loop runs between steps (the
            // gate is settled there); the short block keeps this from spinning.
            if (remainingPages <= 1) {
              Atomics.wait(sleeper, 0, 0, GATE_POLL_MS);
              stuckSince = Date.now();
              onWaiting?.();
            }
            return Math.max(0, remainingPages - 1);
          }
          return stepPages;
        },
      });
      if (!started) {
        // The live database was locked: nothing was copied (see above).
        if (Date.now() - lockSince > busyMs) {
          throw locked();
        }
        await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      }
    }
    const total = (source.pragma('page_count', { simple: true }) as number) * pageSize;
    onProgress?.(total, total);
  } finally {
    source.close();
  }
}
