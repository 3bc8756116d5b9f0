// The layout of a Coffre home directory. Every path inside a home is built
// here, so the rest of the code never joins home-relative names by hand.

import fs from 'node:fs';
import path from 'node:path';
import { CoffreError } from '../core/errors.js';

export interface HomePaths {
  root: string;
  config: string;
  identity: string;
  stateDb: string;
  lock: string;
  lockInfo: string;
  /** Present only while a restore is being applied. */
  restoreJournal: string;
  /** The default local destination. */
  backups: string;
  /** Scratch space: snapshots, deep verification. Same file system as the home. */
  tmp: string;
}

export function homePaths(root: string): HomePaths {
  const abs = path.resolve(root);
  return {
    root: abs,
    config: path.join(abs, 'config.json'),
    identity: path.join(abs, 'identity.json'),
    stateDb: path.join(abs, 'state.db'),
    lock: path.join(abs, 'job.lock'),
    lockInfo: path.join(abs, 'job.json'),
    restoreJournal: path.join(abs, 'restore-journal.json'),
    backups: path.join(abs, 'backups'),
    tmp: path.join(abs, 'tmp'),
  };
}

function unavailable(root: string, why: string, cause?: unknown): CoffreError {
  return new CoffreError('HOME_UNAVAILABLE', `The Coffre home ${root} ${why}.`, {
    ...(cause === undefined ? {} : { cause }),
    details: { home: root },
  });
}

/**
 * Checks that a home can be used by this user: a folder it may read and
 * enter. A home that does not exist passes (opening it then says
 * NOT_INITIALIZED; init creates it). Throws HOME_UNAVAILABLE.
 */
export function checkHome(root: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw unavailable(root, 'is inside a file, not a folder', err);
    throw unavailable(root, `cannot be read by this user (${code ?? 'error'})`, err);
  }
  if (!stat.isDirectory()) throw unavailable(root, 'is a file, not a folder');
  try {
    fs.accessSync(root, fs.constants.R_OK | fs.constants.X_OK);
    fs.readdirSync(root);
  } catch (err) {
    throw unavailable(
      root,
      `cannot be read by this user (${(err as NodeJS.ErrnoException).code ?? 'error'}: permission denied)`,
      err,
    );
  }
}

/** A home file that cannot be read, as the error a user can act on (null: not such a case). */
export function homeFileError(file: string, err: unknown): CoffreError | null {
  const code = (err as NodeJS.ErrnoException).code;
  const root = path.dirname(file);
  if (code === 'EACCES' || code === 'EPERM') {
    return unavailable(
      root,
      `cannot be read by this user: ${path.basename(file)} (permission denied)`,
      err,
    );
  }
  if (code === 'ENOTDIR') return unavailable(root, 'is a file, not a folder', err);
  return null;
}
