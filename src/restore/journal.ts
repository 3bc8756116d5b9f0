// The restore journal: what a restore in progress has staged and swapped, so
// that a restore killed at any point is finished or rolled back by the next
// command. The database transaction is the commit point: before it, the
// restore is rolled back; once the live tables hold the staged data, it is
// rolled forward.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, writeFileAtomic } from '../state/files.js';
import { databaseMatches } from './database.js';

export interface SwapStep {
  live: string;
  staged: string;
  /** Where the live copy goes while the staged one takes its place. */
  old: string;
}

export interface RestoreJournal {
  version: 1;
  backupId: string;
  startedAt: string;
  safetyBackupId: string | null;
  /** The restore's job in the history, which the recovery of a killed restore completes. */
  jobId?: number;
  /** Folders to remove when the restore is over, whichever way it ends. */
  scratch: string[];
  database: { live: string; staged: string; tables: string[]; full: boolean } | null;
  files: SwapStep | null;
  settings: SwapStep | null;
  /**
   * preparing: staged copies are being moved next to what they replace (a
   * crash rolls back: nothing live was touched). swapping: the staged copies
   * are complete; folders are swapped and the database transaction runs (a
   * crash rolls forward only if the live database holds the staged data).
   * committed: finish.
   */
  state: 'preparing' | 'swapping' | 'committed';
  /**
   * A restore that takes over another register's identity (--adopt): which
   * one. Saved before the journal is removed, and by the recovery of a
   * restore that rolls forward, so data and identity always go together.
   */
  adopt?: {
    id: string;
    name: string;
    publicKey: string;
    /** age recipients new backups go on being encrypted to (AdoptedEncryption). */
    recipients?: string[];
  } | null;
}

export async function writeJournal(file: string, journal: RestoreJournal): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(journal, null, 2) + '\n', 0o600);
}

export function readJournal(file: string): RestoreJournal | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RestoreJournal;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const exists = (p: string) => fs.existsSync(p);

/** Puts the staged copy in place, keeping the live one aside. Safe to repeat. */
export async function swapIn(step: SwapStep): Promise<void> {
  if (exists(step.live) && !exists(step.old) && exists(step.staged))
    await fsp.rename(step.live, step.old);
  if (!exists(step.live) && exists(step.staged)) await fsp.rename(step.staged, step.live);
  // On the disk before the database commits (which rolls the swap forward).
  await fsyncDir(path.dirname(step.live));
}

/** Puts the live copy back. Safe to repeat. */
async function swapOut(step: SwapStep): Promise<void> {
  if (!exists(step.old)) return;
  if (exists(step.live)) await fsp.rename(step.live, step.staged);
  await fsp.rename(step.old, step.live);
  // On the disk before the journal that knows of the swap is removed.
  await fsyncDir(path.dirname(step.live));
}

async function cleanUp(journal: RestoreJournal, file: string): Promise<void> {
  for (const step of [journal.files, journal.settings]) {
    if (step) await fsp.rm(step.old, { recursive: true, force: true });
  }
  for (const dir of journal.scratch) await fsp.rm(dir, { recursive: true, force: true });
  await fsp.rm(file, { force: true });
}

/** Ends a restore that a crash interrupted; says which way it went. */
export async function recoverRestore(
  file: string,
  key: string | null,
  /** Runs when the restore rolls forward, before its journal goes (the --adopt identity). */
  onRolledForward: (journal: RestoreJournal) => Promise<void> = () => Promise.resolve(),
): Promise<{ outcome: 'rolled-forward' | 'rolled-back'; journal: RestoreJournal } | null> {
  const journal = readJournal(file);
  if (!journal) return null;
  const db = journal.database;
  // Only a restore whose staged copies were complete (swapping) can be
  // finished, and only if its database transaction committed.
  const committed =
    journal.state === 'committed' ||
    (journal.state === 'swapping' &&
      db !== null &&
      exists(db.staged) &&
      databaseMatches(db.live, db.staged, db.tables, key));
  if (committed) {
    for (const step of [journal.files, journal.settings]) if (step) await swapIn(step);
    await onRolledForward(journal);
    await cleanUp(journal, file);
    return { outcome: 'rolled-forward', journal };
  }
  await rollBackRestore(file, journal);
  return { outcome: 'rolled-back', journal };
}

/** Puts back what was swapped and removes the staged copies: the restore did not commit. */
export async function rollBackRestore(file: string, journal: RestoreJournal): Promise<void> {
  for (const step of [journal.settings, journal.files]) if (step) await swapOut(step);
  await cleanUp(journal, file);
}

/** Marks the restore committed, then removes what it no longer needs. */
export async function finishRestore(file: string, journal: RestoreJournal): Promise<void> {
  await writeJournal(file, { ...journal, state: 'committed' });
  await cleanUp(journal, file);
}
