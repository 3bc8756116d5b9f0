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
// A plain database may instead be read in place (holdSnapshot): a process
// of its own (hold-process.ts) holds a read transaction in which the file
// alone is the database (no frame of a WAL that it does not hold), so the
// file cannot change until the archive has read it. That costs a read, not a
// copy. The safety backup of a restore does this (the app is stopped), and so
// does a running app's backup of a WAL database to local disks, held between
// two of the app's commits.

import fs from 'node:fs';
import path from 'node:path';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3-multiple-ciphers';
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
  /**
   * With `check`: integrity_check of the held state, run in the same
   * transaction (a separate connection would read the app's later writes
   * through the WAL). Already marked handled.
   */
  check: Promise<{ integrity: string }> | null;
  /** Ends the read transaction (idempotent); waits for a check under way. */
  release(): Promise<void>;
}

/** How a database is held still to be read in place. */
export interface HoldOptions {
  /**
   * A backup while the app runs (its writers are never held): only a WAL
   * database is held, and the WAL is never checkpointed in a way that waits
   * for the app. Otherwise (the safety backup of a restore, the app stopped)
   * the WAL is emptied first, waiting up to a second for the app.
   */
  live?: boolean;
  /** Also runs integrity_check in the held transaction: the state the archive reads. */
  check?: boolean;
}

/** How many times a live hold tries to start between two of the app's commits. */
const LIVE_HOLD_TRIES = 25;

/**
 * In the hold process: opens a read transaction on a plain database in which the
 * file alone is the database, and reads its facts. Returns null (nothing
 * held) when the file is not that state: then only a copy is a consistent
 * snapshot.
 */
export function holdSnapshotHere(
  source: string,
  reading?: ProfileReading,
  options: HoldOptions = {},
): { result: SnapshotResult; db: Database.Database; release(): void } | null {
  const db = openDatabase(source);
  try {
    const wal = db.pragma('journal_mode', { simple: true }) === 'wal';
    // A rollback-journal database held by a running app's backup would keep
    // its writers out for the whole archive: that one is copied instead.
    const held = options.live
      ? wal && holdBetweenCommits(db, source)
      : holdAfterCheckpoint(db, source, wal);
    if (!held) {
      db.close();
      return null;
    }
    // The transaction started above: every count is of the held state.
    const facts = readFacts(db, reading);
    return {
      result: { ...facts, encrypted: false, method: 'in-place', lockedMs: 0 },
      db,
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
 * The restore's hold (the app stopped): moves every frame into the file and
 * empties the WAL, when no reader or writer is in the way, waiting at most a
 * second for them; then starts a read transaction. An empty WAL then means
 * this transaction reads the file alone, and no checkpoint can write into the
 * file while it lasts. (A rollback-journal database: the shared lock keeps
 * every writer out of the file.) False, with nothing open, otherwise.
 */
function holdAfterCheckpoint(db: Database.Database, source: string, wal: boolean): boolean {
  if (wal) {
    db.pragma('busy_timeout = 1000');
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  beginRead(db);
  if (wal && walBytes(source) > 0) {
    db.exec('ROLLBACK');
    return false;
  }
  return true;
}

/**
 * A running app's hold, WAL mode: never waits for the app's writers. A
 * passive checkpoint (it takes no lock a writer needs) moves the WAL's frames
 * into the file; the read transaction starts; a second passive checkpoint
 * then finding every frame of the WAL already in the file proves that the
 * file is this transaction's state: a checkpoint cannot move any later frame
 * into the file while the transaction lasts (the checkpointer stops at the
 * oldest reader's frame, and needs the lock that a reader of the file alone
 * holds). When the app committed in between, or another reader kept frames
 * back, it tries again a few times, then gives up (the snapshot is copied).
 */
function holdBetweenCommits(db: Database.Database, source: string): boolean {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let probe: Database.Database | null = null;
  try {
    // Opened by SQLite alone: openDatabase's look at the file would open and
    // close a descriptor of it, and that drops this process's locks on it
    // (hold-process.ts), the very lock that keeps other programs out.
    probe = new Database(source, { fileMustExist: true });
    probe.pragma('busy_timeout = 0');
    const checkpoint = () =>
      probe!.pragma('wal_checkpoint(PASSIVE)', { simple: false }) as [
        { busy: number; log: number; checkpointed: number },
      ];
    for (let attempt = 0; attempt < LIVE_HOLD_TRIES; attempt++) {
      checkpoint();
      beginRead(db);
      const [after] = checkpoint();
      // log is -1 when the database is not in WAL mode (any more).
      if (after.busy === 0 && after.log >= 0 && after.log === after.checkpointed) return true;
      db.exec('ROLLBACK');
      Atomics.wait(pause, 0, 0, 2 + attempt);
    }
    return false;
  } catch {
    // Whatever stops the hold (a WAL Coffre may not write, a lock past its
    // timeout) leaves the copy, which needs no more than reading.
    if (db.inTransaction) db.exec('ROLLBACK');
    return false;
  } finally {
    probe?.close();
  }
}

/** Starts a read transaction (the first read takes its snapshot). */
function beginRead(db: Database.Database): void {
  db.exec('BEGIN');
  db.prepare('SELECT count(*) FROM sqlite_master').get();
}

function walBytes(source: string): number {
  try {
    return fs.statSync(`${source}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * Holds a plain live database still in a child process (hold-process.ts; see
 * holdSnapshotHere), or resolves null when only a copy would be consistent.
 */
export function holdSnapshot(
  source: string,
  reading?: ProfileReading,
  options: HoldOptions = {},
): Promise<HeldSnapshot | null> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./hold-process.js', import.meta.url)), [], {
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let settled = false;
    let exited = false;
    const gone = new Promise<void>((done) =>
      child.once('exit', () => {
        exited = true;
        done();
      }),
    );
    let released: Promise<void> | null = null;
    // The hold ended before it was released (the process killed, or out of
    // memory): the file may have changed under the archive's read.
    let lost = false;
    const release = () =>
      (released ??= (async () => {
        if (!exited && child.connected) child.send('release', (err) => err && child.kill());
        await gone;
        if (lost) {
          throw new CoffreError(
            'SOURCE_UNAVAILABLE',
            `The process that kept ${source} from changing stopped before the backup had read it; nothing was saved. Run the backup again.`,
            { details: { file: source, reason: 'hold-lost' } },
          );
        }
      })());
    let checked: ((check: { integrity: string }) => void) | null = null;
    let checkFailed: ((err: Error) => void) | null = null;
    const check = options.check
      ? new Promise<{ integrity: string }>((ok, fail) => {
          checked = ok;
          checkFailed = fail;
        })
      : null;
    check?.catch(() => undefined);
    type Answer =
      | { ok: true; result: SnapshotResult | null }
      | { ok: true; check: { integrity: string } }
      | { ok: false; error: { message: string; code?: string } };
    child.on('message', (msg: Answer) => {
      if (!msg.ok) {
        const err = new CoffreError((msg.error.code ?? 'INTERNAL') as ErrorCode, msg.error.message);
        if (!settled) reject(err);
        else checkFailed?.(err);
        settled = true;
        child.kill();
      } else if ('check' in msg) {
        checked?.(msg.check);
      } else if (!msg.result) {
        settled = true;
        resolve(null);
        child.kill();
      } else {
        settled = true;
        resolve({ result: msg.result, check, release });
      }
    });
    // Every failure to start or to reach the process comes here (more than
    // once: a fork that failed fails its first send too).
    child.on('error', (err) => {
      if (!settled) reject(err);
      else checkFailed?.(err);
      settled = true;
    });
    child.once('exit', (code, signal) => {
      // Released, the process ends by itself (exit 0): anything else means
      // the transaction ended without it, maybe while the file was read.
      if (settled && (signal !== null || code !== 0)) lost = true;
      const err = new CoffreError(
        'INTERNAL',
        `The process holding the database snapshot stopped (${signal ?? `exit ${code}`}).`,
      );
      if (!settled) reject(err);
      // Released before its check ended: the check did not run to its end.
      else checkFailed?.(err);
      settled = true;
    });
    child.send({ source, reading, hold: options }, (err) => {
      if (err && !settled) {
        settled = true;
        reject(err);
      }
    });
  });
}
