// Small steps of a restore: the app's restore hooks, moving staged folders
// into place, and what the history keeps of a restore.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CoffreError, isNoSpace } from '../core/errors.js';
import type { Sidecar } from '../core/manifest.js';
import { describeHolders } from '../core/holders.js';
import { withExports } from '../core/shell.js';
import { warning, type Warning } from '../core/warnings.js';
import { findDatabaseHolders } from '../source/holders.js';
import { fsyncDir, syncTree } from '../state/files.js';

/**
 * The safety backup is stored, not compressed (raw zstd blocks): it costs
 * about a copy of the data, the shop waits on it, and it only has to last
 * until the restore is known to be good.
 */
export const SAFETY_COMPRESSION_LEVEL = 'store';

/** Runs a restore hook; a failed before-restore hook stops the restore (nothing changed yet). */
export async function runRestoreHook(
  which: 'beforeRestore' | 'afterRestore',
  command: string | null,
  backupId: string,
  result: string,
): Promise<void> {
  if (!command) return;
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      withExports(command, { COFFRE_BACKUP_ID: backupId, COFFRE_RESTORE_RESULT: result }),
      { shell: true, stdio: 'inherit' },
    );
    child.on('error', () => resolve(127));
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0 && which === 'beforeRestore') {
    throw new CoffreError(
      'RESTORE_CONFLICT',
      `The before-restore command failed (exit ${code}); nothing was changed.`,
      { details: { hook: which, exitCode: code } },
    );
  }
}

/**
 * Refuses (APP_RUNNING) when another program has the live database open: a
 * restore under a running app is undone by its next write, or leaves it
 * working on figures that no longer exist. `force` goes ahead and returns a
 * warning instead. `stopped` says whether a before-restore step ran (the
 * words differ: the app was told to stop and did not).
 */
export async function assertAppStopped(
  liveDb: string,
  key: string | null,
  options: { force: boolean; stopped: boolean },
): Promise<Warning[]> {
  const { holders, looks } = await findDatabaseHolders(liveDb, key);
  if (holders.length === 0) return [];
  const who = describeHolders(holders);
  const facts = {
    file: liveDb,
    holders,
    looks,
  };
  if (options.force) {
    return [
      warning(
        'APP_STILL_RUNNING',
        `The restore went ahead although ${who} had the database ${liveDb} open: restart that program now, before it writes, or the data it holds in memory may overwrite what was restored.`,
        facts,
      ),
    ];
  }
  throw new CoffreError(
    'APP_RUNNING',
    `${options.stopped ? 'The app was asked to stop, but it is still running' : 'The app is still running'}: ${who} ${holders.length > 1 ? 'have' : 'has'} its database ${liveDb} open. A restore under a running app is undone or corrupted by its next write; nothing was changed. Stop the app (a before-restore command can do it for every restore), then restore again.`,
    { details: { ...facts, stopped: options.stopped } },
  );
}

/** What the history keeps of a restore: whether it took effect, and its safety backup. */
export function restoreDetail(
  detail: string | null,
): { applied: boolean; safetyBackupId: string | null } | null {
  if (!detail) return null;
  try {
    return JSON.parse(detail) as { applied: boolean; safetyBackupId: string | null };
  } catch {
    return null;
  }
}

/**
 * Renames, or copies (and syncs the copy) then removes when the two paths are
 * on different file systems; the rename itself is made durable.
 */
export async function moveAcross(from: string, to: string): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await fsp.cp(from, to, { recursive: true });
    // The copy is new data: on the disk before anything is swapped in.
    await syncTree(to);
    await fsp.rm(from, { recursive: true, force: true });
  }
  await fsyncDir(path.dirname(to));
}

/** A staging failure as the user should read it: a full disk says how much room the restore needs. */
export function stagingFailed(
  err: unknown,
  dataDir: string,
  sidecar: Sidecar | null | undefined,
): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') return err;
  const mib = (bytes = 0) => Math.ceil(bytes / 2 ** 20);
  return new CoffreError(
    'DISK_FULL',
    `There is not enough free space next to the app's data (${dataDir}) to stage this restore, which needs about ${mib(sidecar?.header.database.bytes) + mib(sidecar?.header.files.bytes)} MiB. Nothing was changed.`,
    { cause: err },
  );
}

/** The staging folders (`.coffre-restore-*`) that a killed restore left in these folders. */
export function stagingLeftovers(dirs: string[]): string[] {
  return dirs.flatMap((dir) => {
    try {
      return fs
        .readdirSync(dir)
        .filter((n) => n.startsWith('.coffre-restore-'))
        .map((n) => path.join(dir, n));
    } catch {
      return [];
    }
  });
}

/**
 * Starts making the staged copies a restore will rename into place durable
 * (the files folder and the settings file, where the restore replaces them),
 * once confirmed, while the safety backup runs; the restore awaits it before it
 * swaps anything. The staged database needs none: the page copy commits
 * through SQLite's own fsync, and a copy to a lost database's place is synced
 * where it is made.
 */
export function syncStaged(paths: (string | null)[]): Promise<void> {
  const synced = Promise.all(
    paths.filter((p): p is string => p !== null && fs.existsSync(p)).map((p) => syncTree(p)),
  ).then(
    () => undefined,
    (err: unknown) => {
      throw syncFailed(
        err,
        'the restored files could not be written to the disk, so nothing was changed. Check that disk (its free space, its health, that it is still plugged in), then run the restore again',
      );
    },
  );
  synced.catch(() => undefined);
  return synced;
}

/**
 * Makes a committed database durable before the restore says it took effect
 * and removes the old files: in WAL mode SQLite syncs the log at a checkpoint,
 * not at each commit (the driver's WAL default is synchronous=NORMAL), and
 * with another connection open no checkpoint may run for a while.
 */
export async function syncDatabase(db: string): Promise<void> {
  try {
    for (const file of [db, `${db}-wal`]) if (fs.existsSync(file)) await syncTree(file);
  } catch (err) {
    throw syncFailed(
      err,
      "the restored database could not be confirmed on the disk. The restore took effect; Coffre's next start finishes it (or puts the old data back if the disk lost it). Check that disk before starting the app again",
    );
  }
}

/** A sync that failed, in the user's words: DISK_FULL, else SOURCE_UNAVAILABLE. */
function syncFailed(err: unknown, what: string): CoffreError {
  const full = isNoSpace(err);
  return new CoffreError(
    full ? 'DISK_FULL' : 'SOURCE_UNAVAILABLE',
    `${full ? 'The disk is full' : "The disk of the app's data failed"} (${(err as Error).message}): ${what}.`,
    { cause: err },
  );
}
