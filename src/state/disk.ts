// Telling a full disk from other write failures, for the home and its
// scratch space. SQLite often reports a full disk as a generic I/O error
// (creating its shared-memory file fails, SQLITE_IOERR_SHMSIZE), so an I/O
// error is read as a full disk when the file system has no room left.

import fs from 'node:fs';
import { CoffreError, isNoSpace } from '../core/errors.js';

/** Below this, a failed write is put down to the full disk. */
const ALMOST_FULL_BYTES = 1 << 20;

/** Free bytes for this user on the file system holding `dir`; null when it cannot tell. */
export function freeBytes(dir: string): number | null {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** Whether `err`, raised writing under `dir`, comes from a full disk. */
export function diskFullAt(err: unknown, dir: string): boolean {
  if (isNoSpace(err)) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_IOERR')) return false;
  const free = freeBytes(dir);
  return free !== null && free < ALMOST_FULL_BYTES;
}

/** The error for a full disk under the Coffre home (the CLI's advice names the home). */
export function homeDiskFull(home: string, doing: string, cause: unknown): CoffreError {
  return new CoffreError(
    'DISK_FULL',
    `The disk that holds the Coffre home ${home} is full: ${doing} failed.`,
    { cause, details: { place: 'home', home } },
  );
}
