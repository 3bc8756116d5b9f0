// A consistent snapshot of a live SQLite database while the app keeps writing.
//
// In rollback-journal mode, any reader holds the app's writers back (a
// commit needs every SHARED lock gone), so the read lock is held only for a
// raw copy of the file, made in the kernel (copy_file_range, or a clone on
// file systems that share blocks), and the copy is checked afterwards
// (quick_check), with no lock. The file cannot change under a SHARED lock,
// and taking it rolled back any hot journal, so the copy is one committed
// state, encrypted (SQLCipher) as the source is. Should the copy not pass
// its check, the snapshot is taken again the old way, below.
//
// In WAL mode, readers never hold writers back: a plain database is copied
// with the online backup API in one step (copied in small steps, a backup
// restarts each time another connection writes, and under a steady writer it
// never ends; in one step it reads one consistent state). An encrypted
// (SQLCipher) one is copied with VACUUM INTO, which keeps its cipher and key,
// so the snapshot is as encrypted as the source; the backup API refuses that
// pair.
//
// The safety backup of a restore may instead read the live file in place
// (holdSnapshot): a worker holds a read transaction in which the file alone
// is the database (no frame of a WAL that it does not hold), so the file
// cannot change until the archive has read it. That costs a read, not a copy.

import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError, type ErrorCode } from '../core/errors.js';
import type { ProfileReading } from '../core/profiles.js';
import { diskFullAt } from '../state/disk.js';
import { openDatabase, readFacts, type DatabaseFacts } from './sqlite.js';
import { callWorker } from './worker.js';

export interface SnapshotRequest {
  source: string;
  target: string;
  key: string | null;
  /** How the profile reads the copy: tombstones, schema and app versions. */
  reading?: ProfileReading;
}

export interface SnapshotResult extends DatabaseFacts {
  encrypted: boolean;
  /**
   * How it was taken: a raw file copy under the read lock, the backup API,
   * VACUUM INTO, or the live file read in place under a read transaction
   * (holdSnapshot: held until released).
   */
  method: 'file-copy' | 'backup-api' | 'vacuum-into' | 'in-place';
  /** For a file copy: milliseconds the source was read-locked (a rollback-journal app's writers wait that long at most); 0 otherwise. */
  lockedMs: number;
}

/**
 * Copies the database file while `db` holds a SHARED lock on it: no
 * connection can commit meanwhile. Returns how long the lock was held.
 */
function copyUnderReadLock(db: Database.Database, source: string, target: string): number {
  readLock(db);
  const start = performance.now();
  try {
    // A clone where the file system can; else copy_file_range, in the kernel.
    fs.copyFileSync(source, target, fs.constants.COPYFILE_FICLONE);
  } finally {
    db.exec('COMMIT');
  }
  return performance.now() - start;
}

/** How long a snapshot tries to get in between a busy writer's commits. */
const READ_LOCK_PATIENCE_MS = 60_000;

/**
 * Opens a read transaction (the SHARED lock; taking it rolls back a hot
 * journal). A writer that commits back to back leaves only short gaps
 * between its commits, which SQLite's busy handler, sleeping up to 100 ms
 * between tries, mostly misses: this tries again every 2 ms instead.
 */
function readLock(db: Database.Database): void {
  const patience = db.pragma('busy_timeout', { simple: true }) as number;
  const deadline = Date.now() + Math.max(patience, READ_LOCK_PATIENCE_MS);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  db.pragma('busy_timeout = 0');
  try {
    for (;;) {
      db.exec('BEGIN');
      try {
        db.prepare('SELECT count(*) FROM sqlite_master').get();
        return;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        const busy = (err as { code?: string }).code?.startsWith('SQLITE_BUSY') === true;
        if (!busy || Date.now() > deadline) throw err;
        Atomics.wait(pause, 0, 0, 2);
      }
    }
  } finally {
    db.pragma(`busy_timeout = ${patience}`);
  }
}

/** quick_check of a snapshot copy: 'ok', or what is wrong with it. */
function quickCheck(file: string, key: string | null): string {
  try {
    const snap = openDatabase(file, { key, readonly: true });
    try {
      return (snap.prepare('PRAGMA quick_check').pluck().all() as string[]).join('; ');
    } finally {
      snap.close();
    }
  } catch (err) {
    return (err as Error).message;
  }
}

export async function takeSnapshotHere(request: SnapshotRequest): Promise<SnapshotResult> {
  fs.rmSync(request.target, { force: true });
  const db = openDatabase(request.source, { key: request.key });
  let method: SnapshotResult['method'] = request.key ? 'vacuum-into' : 'backup-api';
  let lockedMs = 0;
  try {
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') {
      lockedMs = copyUnderReadLock(db, request.source, request.target);
      if (quickCheck(request.target, request.key) === 'ok') method = 'file-copy';
      else {
        fs.rmSync(request.target, { force: true });
        lockedMs = 0;
      }
    }
    if (method === 'vacuum-into') {
      db.prepare('VACUUM INTO ?').run(request.target);
    } else if (method === 'backup-api') {
      // The first step copies 100 pages; returning a huge step size makes
      // the rest (or a restart after a concurrent write) one step.
      let stepped = false;
      await db.backup(request.target, { progress: () => ((stepped = true), 1 << 30) });
      // A first step that found the database locked (past its busy timeout)
      // ends the copy as if done, with nothing copied: never an empty snapshot.
      if (!stepped && (db.pragma('page_count', { simple: true }) as number) > 0) {
        throw Object.assign(new Error('the database stayed locked'), { code: 'SQLITE_BUSY' });
      }
    }
  } catch (err) {
    fs.rmSync(request.target, { force: true });
    // The copy goes to the home's scratch folder: a full disk there is not the app's fault.
    if (diskFullAt(err, path.dirname(request.target))) {
      throw new CoffreError(
        'DISK_FULL',
        `There is no room for the database snapshot in ${path.dirname(request.target)}: the disk that holds the Coffre home is full.`,
        { cause: err, details: { place: 'home', path: path.dirname(request.target) } },
      );
    }
    throw new CoffreError(
      'SOURCE_UNAVAILABLE',
      `Could not snapshot ${request.source}: ${(err as Error).message}.`,
      {
        cause: err,
        details: {
          file: request.source,
          ...((err as { code?: string }).code?.startsWith('SQLITE_BUSY')
            ? { reason: 'locked' }
            : {}),
        },
      },
    );
  } finally {
    db.close();
  }
  const snap = openDatabase(request.target, { key: request.key });
  try {
    // The copy of a WAL database is a single file: no -wal to ship or replay.
    if (!request.key && method !== 'file-copy') snap.pragma('journal_mode = DELETE');
    const facts = readFacts(snap, request.reading);
    return {
      ...facts,
      bytes: fs.statSync(request.target).size,
      encrypted: request.key !== null,
      method,
      lockedMs,
    };
  } finally {
    snap.close();
  }
}

/** Takes the snapshot in a worker thread. */
export function takeSnapshot(request: SnapshotRequest): Promise<SnapshotResult> {
  return callWorker<SnapshotResult>(
    new URL('./snapshot-worker.js', import.meta.url),
    request,
    'snapshot worker',
  ).result;
}

/** A live database held still by a read transaction, to be read in place. */
export interface HeldSnapshot {
  result: SnapshotResult;
  /** Ends the read transaction (idempotent). */
  release(): Promise<void>;
}

/**
 * In the worker: opens a read transaction on a plain database in which the
 * file alone is the database, and reads its facts. Returns null (nothing
 * held) when the WAL holds frames that a checkpoint could not move into the
 * file: then only a copy is a consistent snapshot.
 */
export function holdSnapshotHere(
  source: string,
  reading?: ProfileReading,
): { result: SnapshotResult; release(): void } | null {
  const db = openDatabase(source);
  try {
    const wal = db.pragma('journal_mode', { simple: true }) === 'wal';
    // Moves every frame into the file and empties the WAL, when no reader
    // or writer is in the way (the app is usually stopped for a restore).
    // It waits at most a second for them: then a copy is taken instead.
    if (wal) {
      db.pragma('busy_timeout = 1000');
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
    db.exec('BEGIN');
    // The first read starts the transaction; every count is of that state.
    const facts = readFacts(db, reading);
    // An empty WAL now means this transaction reads the file alone, and no
    // checkpoint can write into the file while it lasts. (A rollback-journal
    // database: the shared lock keeps every writer out of the file.)
    let walBytes = 0;
    try {
      walBytes = wal ? fs.statSync(`${source}-wal`).size : 0;
    } catch {
      walBytes = 0;
    }
    if (walBytes > 0) {
      db.exec('ROLLBACK');
      db.close();
      return null;
    }
    return {
      result: { ...facts, encrypted: false, method: 'in-place', lockedMs: 0 },
      release: () => {
        if (!db.open) return;
        db.exec('ROLLBACK');
        db.close();
      },
    };
  } catch (err) {
    if (db.open) db.close();
    throw err;
  }
}

/**
 * Holds a plain live database still in a worker thread (see holdSnapshotHere),
 * or resolves null when only a copy would be consistent.
 */
export function holdSnapshot(
  source: string,
  reading?: ProfileReading,
): Promise<HeldSnapshot | null> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./snapshot-worker.js', import.meta.url), {
      workerData: { source, reading, hold: true },
    });
    let settled = false;
    let exited = false;
    worker.once('exit', () => (exited = true));
    let released: Promise<void> | null = null;
    const release = () =>
      (released ??= new Promise<void>((done) => {
        if (exited) return done();
        worker.once('exit', () => done());
        worker.postMessage('release');
      }));
    worker.once(
      'message',
      (
        msg:
          | { ok: true; result: SnapshotResult | null }
          | { ok: false; error: { message: string; code?: string } },
      ) => {
        settled = true;
        if (!msg.ok) {
          reject(new CoffreError((msg.error.code ?? 'INTERNAL') as ErrorCode, msg.error.message));
          void worker.terminate();
        } else if (!msg.result) {
          resolve(null);
          void worker.terminate();
        } else {
          resolve({ result: msg.result, release });
        }
      },
    );
    worker.once('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled)
        reject(new CoffreError('INTERNAL', `The snapshot worker stopped (exit ${code}).`));
    });
  });
}
