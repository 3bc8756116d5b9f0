// One job at a time per home. The lock is an exclusive SQLite transaction on
// job.lock: the operating system drops it when the process ends, however it
// ends (SIGKILL, power loss), so a killed job never leaves a stuck lock.
// job.json only tells the next caller who holds it.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { CoffreError } from '../core/errors.js';
import { diskFullAt, homeDiskFull } from './disk.js';

export interface JobLock {
  release(): void;
}

export function acquireJobLock(
  lockFile: string,
  infoFile: string,
  job: string,
  now: Date,
): JobLock {
  const home = path.dirname(lockFile);
  let db: Database.Database;
  try {
    db = new Database(lockFile);
  } catch (err) {
    throw lockFailure(err, home);
  }
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('busy_timeout = 0');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      let holder = '';
      try {
        const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as {
          job?: string;
          pid?: number;
          since?: string;
        };
        holder = ` (${info.job ?? 'a job'}, process ${info.pid ?? '?'}, since ${info.since ?? '?'})`;
      } catch {
        // No info file: the holder is just starting.
      }
      throw new CoffreError('BUSY', `Another Coffre job is running on this home${holder}.`, {
        details: { job },
      });
    }
    throw lockFailure(err, home);
  }
  try {
    fs.writeFileSync(
      infoFile,
      JSON.stringify({ job, pid: process.pid, since: now.toISOString() }) + '\n',
    );
  } catch (err) {
    // Never keep the lock of a job that cannot start (a daemon would hold it for ever).
    fs.rmSync(infoFile, { force: true });
    db.exec('ROLLBACK');
    db.close();
    throw lockFailure(err, home);
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        fs.rmSync(infoFile, { force: true });
      } finally {
        db.exec('ROLLBACK');
        db.close();
      }
    },
  };
}

function lockFailure(err: unknown, home: string): unknown {
  if (diskFullAt(err, home)) return homeDiskFull(home, 'taking the job lock', err);
  const code = (err as { code?: unknown }).code;
  if (
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_READONLY' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS'
  ) {
    return new CoffreError(
      'HOME_UNAVAILABLE',
      `The Coffre home ${home} cannot be written by this user: taking the job lock failed (${(err as Error).message}).`,
      { cause: err, details: { home } },
    );
  }
  return err;
}
