// The layout of a Coffre home directory. Every path inside a home is built
// here, so the rest of the code never joins home-relative names by hand.

import path from 'node:path';

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
