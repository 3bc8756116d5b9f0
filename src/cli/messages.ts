import { type ErrorCode } from '../index.js';
// The CLI's words for each error kind: what to do next, and the exit code a
// script can test. The library's message says what happened.

export const EXIT_CODES: Record<ErrorCode, number> = {
  INTERNAL: 1,
  USAGE: 2,
  NOT_INITIALIZED: 3,
  CONFIG_INVALID: 3,
  ALREADY_INITIALIZED: 3,
  HOME_UNAVAILABLE: 3,
  IDENTITY_INVALID: 3,
  SOURCE_UNAVAILABLE: 4,
  NOT_A_DATABASE: 4,
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
  SECRET_FILE_UNSAFE: 20,
  CANCELLED: 23,
  AUTH_REQUIRED: 24,
  FORBIDDEN: 25,
};

/**
 * `verify` could not do the check asked for (an encrypted backup without its
 * key: only the fingerprint, or nothing without a sidecar). Not an error, not
 * a pass.
 */
export const NOT_VERIFIED_EXIT = 21;

export const HINTS: Record<ErrorCode, string> = {
  INTERNAL:
    'This is unexpected. Run the command again; if it fails again, report it with the error id above.',
  USAGE: 'Check the command with `coffre help <command>`.',
  NOT_INITIALIZED:
    'Set up this home first: `coffre init --home DIR --db FILE --profile pos|accounting|generic --name NAME`, or `coffre demo --home DIR` to try Coffre on a demo register.',
  CONFIG_INVALID:
    'Fix the lines above in the config file, or restore it from a copy. No backup was touched.',
  ALREADY_INITIALIZED: 'Use that home as it is, or choose another folder with --home.',
  HOME_UNAVAILABLE:
    'Give --home (or COFFRE_HOME) the folder Coffre was set up in, and run Coffre as the user who owns it (or give this user read and write access to it).',
  IDENTITY_INVALID:
    "Put back identity.json from a copy of this home (it holds the register's signing key). Without one, set up a new home and take over the register from its latest backup: `coffre restore BACKUP --adopt` on the new, empty installation.",
  NOT_A_DATABASE:
    "Check the app's database path (`coffre status` shows it; `source.database` in the config): it must name the app's SQLite file itself, not a folder or another file.",
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
  SECRET_FILE_UNSAFE:
    'Make the file readable by its owner only (`chmod 600 FILE`, as the message says), and check that nobody copied it meanwhile; then run the command again.',
  BUSY: 'Wait for it to finish and try again. A job that was killed releases its lock by itself.',
  SCHEMA_TOO_NEW:
    'Update the app to the version that made this backup (or newer), then restore. Nothing was changed.',
  RESTORE_CONFLICT:
    'Nothing was changed. Restore the sections together (e.g. catalog with sales), or do a full restore.',
  CANCELLED: 'Nothing was kept of the cancelled job. Start it again when you are ready.',
  AUTH_REQUIRED:
    'Check the user name and password (`coffre user list` shows the users; `coffre user passwd NAME` sets a new password).',
  FORBIDDEN:
    'Ask someone who may manage settings to give this user the right it needs: `coffre user rights NAME --rights export,settings`.',
};

/** Where a cloud destination's error needs other advice than a drive's. */
const CLOUD_HINTS: Partial<Record<ErrorCode, string>> = {
  DESTINATION_UNAVAILABLE:
    'Check the internet connection and the endpoint (`coffre destination list`); the service may be down for a while. Nothing partial was kept: run the command again later, or choose another destination with --to.',
};

/** Where an error in the Coffre home itself needs other advice than a destination's. */
const HOME_HINTS: Partial<Record<ErrorCode, string>> = {
  DISK_FULL:
    'Free some space on the disk that holds the Coffre home (other files there, or old archives in its backups/ folder), then run the command again. Nothing was changed.',
};

/** Bad input that names a file: say what is expected instead of pointing to the help. */
const INPUT_HINTS: Record<string, string> = {
  'archive-path':
    'Give a backup id (see `coffre list`) or the path of an archive file (NAME.tar.zst or NAME.tar.zst.age).',
};

/** The advice for an error: by its code, and for cloud destinations and the home by what they need. */
/**
 * Advice that depends on what the error's details say, where one code covers
 * situations that need different actions.
 */
function hintFromDetails(
  code: ErrorCode,
  details: Readonly<Record<string, unknown>>,
): string | null {
  if (code === 'RESTORE_CONFLICT' && details.hook === 'beforeRestore')
    return "Nothing was changed. The app's before-restore command (hooks.beforeRestore in the config) failed: see its output above, fix it or stop the app yourself, then run the restore again.";
  if (code === 'SOURCE_UNAVAILABLE' && details.reason === 'locked')
    return 'Another program kept the database locked (a long write, an open transaction, a database tool): wait for it to finish, or close that program, then run the command again.';
  if (code === 'SOURCE_UNAVAILABLE' && details.reason === 'no-key')
    return "The app's database is encrypted (SQLCipher): give Coffre its key file in the config (source.databaseKeyFile), readable by this user only, then run the command again.";
  if (code === 'SOURCE_UNAVAILABLE' && details.reason === 'wrong-key')
    return "The configured key does not open the app's database: check source.databaseKeyFile in the config (the app's current key).";
  if (code === 'BACKUP_NOT_FOUND' && Array.isArray(details.otherRegisters))
    return "Only other registers' backups match: see them with `coffre list --all-registers`. On a new, empty installation replacing that register, take over its identity: `coffre restore BACKUP --adopt`.";
  if (code === 'QUOTA_EXCEEDED' && details.mostlyManual === true)
    return 'Most backups kept there are manual backups, which retention never removes: delete the ones you no longer need (`coffre list`, then `coffre delete ID --from NAME`), or raise the quota (`coffre destination set NAME --quota 100GB`).';
  return null;
}

/** The advice for an error: by its code, and for cloud destinations by what they need. */
export function hintFor(
  code: string,
  details: Readonly<Record<string, unknown>> = {},
): string | null {
  const known = code as ErrorCode;
  const specific = hintFromDetails(known, details);
  if (specific) return specific;
  if (details.cloud === true && CLOUD_HINTS[known]) return CLOUD_HINTS[known];
  if (Array.isArray(details.registers))
    return "Give the backup's id: see `coffre list --all-registers`.";
  if (details.unknownDestination === true)
    return 'See the destinations with `coffre destination list`, or add one with `coffre destination add`.';
  if (details.place === 'home' && HOME_HINTS[known]) return HOME_HINTS[known];
  if (typeof details.input === 'string' && INPUT_HINTS[details.input]) {
    return INPUT_HINTS[details.input];
  }
  return HINTS[known] ?? null;
}
