// Warnings as data: a stable code, the facts behind it, and a plain sentence
// for whoever shows it. Edges (CLI, page) choose the words they print from the
// code and data; nothing compares a warning's text.

export const WARNING_CODES = [
  /** This register has no backup at all. */
  'NO_BACKUP',
  /** The newest backup is older than the stale threshold. */
  'BACKUP_STALE',
  /** The last backup attempt failed after the newest good backup. */
  'LAST_BACKUP_FAILED',
  /** The last backup reached some destinations only (one was unplugged, full, or the job was killed). */
  'BACKUP_PARTIAL',
  /** A cloud destination is over 80 % of its quota. */
  'QUOTA_NEARLY_FULL',
  /** A destination kept leftovers of an interrupted backup that could not be removed. */
  'LEFTOVERS_KEPT',
  /** Retention could not run after a good backup. */
  'RETENTION_NOT_APPLIED',
  /** A file changed while it was read into the archive. */
  'FILE_CHANGED',
  /** An entry of the files folder was left out (a link outside it, a pipe...). */
  'FILE_SKIPPED',
  /** The database snapshot failed SQLite's integrity check while it was written: no content check recorded. */
  'CONTENT_CHECK_FAILED',
  /** A restore was forced while another program had the app's database open. */
  'APP_STILL_RUNNING',
] as const;

export type WarningCode = (typeof WARNING_CODES)[number];

export interface Warning {
  code: WarningCode;
  /** A sentence in plain English, without command-line flags. */
  message: string;
  data: Readonly<Record<string, unknown>>;
}

import { formatInZone } from './time.js';

export function warning(
  code: WarningCode,
  message: string,
  data: Record<string, unknown> = {},
): Warning {
  return { code, message, data };
}

/**
 * Pure: what the status should warn about. The newest backup older than the
 * threshold is stale; a failure newer than it is reported.
 */
export function backupWarnings(
  newestBackup: string | null,
  lastFailure: { startedAt: string; errorMessage: string | null; errorCode: string | null } | null,
  staleAfterHours: number,
  now: Date,
  /** The register's time zone, for the times in the messages. */
  timeZone = 'UTC',
): Warning[] {
  const warnings: Warning[] = [];
  if (!newestBackup) warnings.push(warning('NO_BACKUP', 'There is no backup yet.'));
  else {
    const hours = (now.getTime() - Date.parse(newestBackup)) / 3_600_000;
    if (hours > staleAfterHours) {
      warnings.push(
        warning(
          'BACKUP_STALE',
          `The newest backup is ${Math.floor(hours)} hours old (more than ${staleAfterHours} h).`,
          { newest: newestBackup, hours: Math.floor(hours), staleAfterHours },
        ),
      );
    }
  }
  if (lastFailure) {
    warnings.push(
      warning(
        'LAST_BACKUP_FAILED',
        `The last backup attempt failed (${formatInZone(lastFailure.startedAt, timeZone)} ${timeZone}): ${lastFailure.errorMessage ?? lastFailure.errorCode ?? 'unknown error'}`,
        {
          at: lastFailure.startedAt,
          errorCode: lastFailure.errorCode,
          errorMessage: lastFailure.errorMessage,
        },
      ),
    );
  }
  return warnings;
}

/**
 * Pure: a warning when the newest backup job that made a backup reached only
 * some of its destinations. `committed` is null when the history does not
 * say which ones did (then the missing ones are not named).
 */
export function partialBackupWarning(
  job: {
    result: string;
    backupId: string | null;
    startedAt: string;
    destinations: readonly string[];
    committed: readonly string[] | null;
    errorMessage: string | null;
  } | null,
): Warning | null {
  if (!job || job.result !== 'partial' || !job.backupId) return null;
  const missing = job.committed ? job.destinations.filter((d) => !job.committed!.includes(d)) : [];
  const where = missing.length > 0 ? missing.join(', ') : 'some destinations';
  return warning(
    'BACKUP_PARTIAL',
    `The last backup (${job.backupId}) was not saved to ${where}: ${job.errorMessage ?? 'see the history'}`,
    { backupId: job.backupId, at: job.startedAt, missing, errorMessage: job.errorMessage },
  );
}
