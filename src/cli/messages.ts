import { type ErrorCode } from '../index.js';
// The CLI's words for each error kind: what to do next, and the exit code a
// script can test. The library's message says what happened.

export const EXIT_CODES: Record<ErrorCode, number> = {
  INTERNAL: 1,
  USAGE: 2,
  NOT_INITIALIZED: 3,
  CONFIG_INVALID: 3,
  ALREADY_INITIALIZED: 3,
  SOURCE_UNAVAILABLE: 4,
  ENCRYPTION_REQUIRED: 5,
  KEY_REQUIRED: 6,
  WRONG_KEY: 7,
  CORRUPT_ARCHIVE: 8,
  BAD_SIGNATURE: 8,
  UNSUPPORTED_FORMAT: 9,
  FOREIGN_REGISTER: 10,
  BACKUP_NOT_FOUND: 11,
  DESTINATION_UNAVAILABLE: 12,
  DESTINATION_READ_ONLY: 12,
  DISK_FULL: 13,
  BUSY: 14,
  SCHEMA_TOO_NEW: 15,
  RESTORE_CONFLICT: 16,
  DESTINATION_AUTH: 17,
  QUOTA_EXCEEDED: 18,
  UNENCRYPTED_UPLOAD: 19,
};

/**
 * `verify` could not do the check asked for (an encrypted backup without its
 * key: only the fingerprint, or nothing without a sidecar). Not an error, not
 * a pass.
 */
export const NOT_VERIFIED_EXIT = 20;

export const HINTS: Record<ErrorCode, string> = {
  INTERNAL:
    'This is unexpected. Run the command again; if it fails again, report it with the error id above.',
  USAGE: 'Check the command with `coffre help <command>`.',
  NOT_INITIALIZED:
    'Set up this home first: `coffre init --home DIR --db FILE --profile pos|accounting|generic --name NAME`, or `coffre demo --home DIR` to try Coffre on a demo register.',
  CONFIG_INVALID:
    'Fix the lines above in the config file, or restore it from a copy. No backup was touched.',
  ALREADY_INITIALIZED: 'Use that home as it is, or choose another folder with --home.',
  SOURCE_UNAVAILABLE:
    "Check that the app's database and folders exist and are readable by this user (see `coffre status`).",
  ENCRYPTION_REQUIRED:
    'Set up a key once with `coffre encryption new-key --out FILE` (keep FILE away from the register), or give --recipient age1... or --passphrase-file FILE.',
  KEY_REQUIRED: 'Give the key with --identity FILE (an age key file) or --passphrase-file FILE.',
  WRONG_KEY:
    'Use the key or passphrase this backup was made with. Without it, an encrypted backup cannot be opened.',
  CORRUPT_ARCHIVE:
    'Do not restore from this copy. Use another copy of the same backup or an earlier backup (`coffre list`).',
  BAD_SIGNATURE:
    'This archive may have been altered. Do not restore from it; use another copy or an earlier backup.',
  UNSUPPORTED_FORMAT: 'Update Coffre to a version that reads this archive.',
  FOREIGN_REGISTER:
    "Use a backup of this register (`coffre list`). A new, empty installation can take over a replaced register's identity: `coffre restore BACKUP --adopt`.",
  BACKUP_NOT_FOUND: 'See the backups that exist with `coffre list`.',
  DESTINATION_UNAVAILABLE:
    'Plug in or mount the drive, check the path with `coffre destination list`, or choose another destination with --to.',
  DESTINATION_READ_ONLY:
    'Make the folder writable (unlock the USB stick, check permissions) or choose another destination with --to.',
  DISK_FULL:
    'Free some space on that drive (old backups there, other files); for a backup you can also choose another destination with --to.',
  DESTINATION_AUTH:
    'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for this command, or give the destination a credentials file (mode 0600): `coffre destination add NAME s3 ... --credentials-file FILE`. Check that the key may read and write the bucket.',
  QUOTA_EXCEEDED:
    'Keep fewer backups in the cloud (e.g. `coffre retention set --destination NAME --daily 3 --weekly 2`), or take a larger plan and raise the quota (`coffre destination set NAME --quota 100GB`). Nothing was deleted beyond what retention allows.',
  UNENCRYPTED_UPLOAD:
    'Set up encryption in one command: `coffre encryption new-key --out FILE` (keep FILE away from the register). Or, if the provider may read this data, allow it: --allow-unencrypted, or `coffre destination set NAME --allow-unencrypted`.',
  BUSY: 'Wait for it to finish and try again. A job that was killed releases its lock by itself.',
  SCHEMA_TOO_NEW:
    'Update the app to the version that made this backup (or newer), then restore. Nothing was changed.',
  RESTORE_CONFLICT:
    'Nothing was changed. Restore the sections together (e.g. catalog with sales), or do a full restore.',
};

/** Where a cloud destination's error needs other advice than a drive's. */
const CLOUD_HINTS: Partial<Record<ErrorCode, string>> = {
  DESTINATION_UNAVAILABLE:
    'Check the internet connection and the endpoint (`coffre destination list`); the service may be down for a while. Nothing partial was kept: run the command again later, or choose another destination with --to.',
};

/** The advice for an error: by its code, and for cloud destinations by what they need. */
export function hintFor(
  code: string,
  details: Readonly<Record<string, unknown>> = {},
): string | null {
  const known = code as ErrorCode;
  if (details.cloud === true && CLOUD_HINTS[known]) return CLOUD_HINTS[known];
  if (Array.isArray(details.registers))
    return "Give the backup's id: see `coffre list --all-registers`.";
  if (details.unknownDestination === true)
    return 'See the destinations with `coffre destination list`, or add one with `coffre destination add`.';
  return HINTS[known] ?? null;
}
