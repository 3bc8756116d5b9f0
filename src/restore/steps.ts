// Small steps of a restore: the app's restore hooks, moving staged folders
// into place, and what the history keeps of a restore.

import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import { CoffreError } from '../core/errors.js';
import { withExports } from '../core/shell.js';
import type { ConfigStore } from '../state/config.js';
import type { Identity, IdentityStore } from '../state/identity.js';
import type { RestoreJournal } from './journal.js';

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

/** Renames, or copies then removes when the two paths are on different file systems. */
export async function moveAcross(from: string, to: string): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await fsp.cp(from, to, { recursive: true });
    await fsp.rm(from, { recursive: true, force: true });
  }
}

/**
 * Takes over a register's identity (--adopt), keeping its key as trusted,
 * and goes on encrypting to its recipients when the plan said so.
 */
export async function adoptIdentity(
  config: ConfigStore,
  identity: IdentityStore,
  register: NonNullable<RestoreJournal['adopt']>,
): Promise<void> {
  const recipients = register.recipients ?? [];
  if (recipients.length > 0) {
    await config.update(
      (c) =>
        c.encryption.recipients.length > 0 || c.encryption.passphraseFile
          ? c
          : { ...c, encryption: { recipients, passphraseFile: null } },
      'encryption-adopted',
    );
  }
  const current = identity.get();
  const trusted = new Set([...(current.trustedKeys ?? []), register.publicKey]);
  const adopted: Identity = {
    ...current,
    id: register.id,
    name: register.name,
    trustedKeys: [...trusted],
  };
  await identity.replace(adopted);
}
